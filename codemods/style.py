"""The project's own style for a file: its import sorting (isort or ruff's isort) and its
formatter (black or ruff format), read from the configuration files nearest to the file.

What is read (the first file that says something, walking up from the file's directory to
the repository root, ``.git``, or the filesystem root):

- import sorting: ``[tool.ruff.lint.isort]`` / ``[tool.ruff.isort]`` (pyproject.toml),
  ``[lint.isort]`` / ``[isort]`` (ruff.toml, .ruff.toml), ``[tool.isort]`` (pyproject.toml),
  ``[settings]`` / ``[isort]`` (.isort.cfg), ``[isort]`` / ``[tool:isort]`` (setup.cfg,
  tox.ini); none: isort's defaults (which ruff's match);
- formatter: ``[tool.black]`` -> black, ``[tool.ruff.format]`` (or ``[format]`` in
  ruff.toml) -> ruff format, a ``black`` / ``ruff-format`` hook in
  ``.pre-commit-config.yaml``, or a Makefile, tox.ini, noxfile.py or GitHub workflow that runs
  ``ruff format`` / ``black``; else ruff configured at all (``[tool.ruff]``, ``ruff.toml``):
  ruff format, but only for a file that ruff format leaves unchanged before the rewrite (its
  new statements are then formatted like the rest of it); none: no formatter (minimal edits).

Unreadable or odd configuration is ignored (the defaults apply): this only decides where an
added import goes and whether the formatter runs on the changed lines.
"""

from __future__ import annotations

import configparser
import functools
import os
import re
import stat
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Tuple

from . import fileindex

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FUTURE, STDLIB, THIRDPARTY, FIRSTPARTY, LOCALFOLDER = range(5)

if sys.version_info >= (3, 10):
    _STDLIB: FrozenSet[str] = frozenset(sys.stdlib_module_names)
else:  # pragma: no cover - a conservative list for 3.9 (what the codemods add, and the usual)
    _STDLIB = frozenset(
        """abc argparse array ast asyncio base64 binascii bisect builtins bz2 calendar cgi
        collections concurrent configparser contextlib contextvars copy csv ctypes dataclasses
        datetime decimal difflib email enum errno fnmatch fractions ftplib functools gc getpass
        glob gzip hashlib heapq hmac html http importlib inspect io ipaddress itertools json
        keyword logging lzma math mimetypes multiprocessing netrc numbers operator os pathlib
        pickle platform pprint queue random re secrets select shlex shutil signal site socket
        socketserver sqlite3 ssl stat statistics string struct subprocess sys sysconfig tarfile
        tempfile textwrap threading time timeit tokenize traceback types typing unittest urllib
        uuid warnings weakref xml zipfile zlib zoneinfo""".split()
    )


@dataclass(frozen=True)
class ImportStyle:
    """The isort settings that decide where a new ``import x`` goes."""

    known: Tuple[Tuple[str, int], ...] = ()  # (module prefix, section), from the config
    src: Tuple[str, ...] = ()  # directories whose packages are first party
    own_package: str = ""  # the top-level package of the file itself (first party)
    force_sort_within_sections: bool = False
    from_first: bool = False
    case_sensitive: bool = False
    no_sections: bool = False
    #: Relative imports closest first (``from . import`` before ``from .. import``): isort's
    #: ``reverse_relative``, ruff's ``relative-imports-order = "closest-to-furthest"``. The
    #: default of both is furthest first.
    reverse_relative: bool = False
    #: Imports every module must have (ruff's ``required-imports``, isort's ``add_imports``),
    #: e.g. ``from __future__ import annotations``: a module this tool creates has them too.
    required_imports: Tuple[str, ...] = ()
    #: Blank lines after the imports (ruff's and isort's ``lines-after-imports``; -1: isort's
    #: default, two before a def or class, else one).
    lines_after_imports: int = -1

    def section(self, module: str, level: int = 0) -> int:
        if level:
            return LOCALFOLDER
        if self.no_sections:
            return THIRDPARTY
        top = module.split(".")[0]
        if top == "__future__":
            return FUTURE
        best: Optional[Tuple[int, int]] = None
        for prefix, section in self.known:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), section)
        if best is not None:
            return best[1]
        if top == self.own_package:
            return FIRSTPARTY
        for directory in self.src:
            if os.path.isdir(os.path.join(directory, top)) or os.path.isfile(os.path.join(directory, top + ".py")):
                return FIRSTPARTY
        if top in _STDLIB:
            return STDLIB
        return THIRDPARTY


@dataclass(frozen=True)
class Style:
    imports: ImportStyle = field(default_factory=ImportStyle)
    #: "black", "ruff" or "" (none configured).
    formatter: str = ""
    #: The file that configures the formatter (passed to black as --config).
    formatter_config: str = ""
    #: The formatter runs only on a file it leaves unchanged before the rewrite (it is not
    #: configured, but ruff is, and the file is formatted: ``IF_CLEAN``).
    formatter_if_clean: bool = False


NO_STYLE = Style()


def _toml(path: str) -> Dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
        return data if isinstance(data, dict) else {}
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError, ValueError):
        return {}


def _cfg(path: str) -> Optional[configparser.ConfigParser]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None
    return parser


def _get(table: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(table, dict):
            return None
        table = table.get(key)
    return table


def _norm(settings: Dict[str, Any]) -> Dict[str, Any]:
    """Keys with dashes (ruff) and underscores (isort) alike, values as Python values."""
    return {str(k).replace("-", "_").lower(): v for k, v in settings.items()}


def _names(value: Any) -> Tuple[str, ...]:
    if isinstance(value, str):
        return tuple(v.strip() for v in re.split(r"[,\s]+", value) if v.strip())
    if isinstance(value, (list, tuple)):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return ()


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _required(value: Any) -> Tuple[str, ...]:
    """Required import statements: a list (toml) or isort's comma-separated string."""
    if isinstance(value, str):
        value = value.split(",") if "\n" not in value else value.splitlines()
    if not isinstance(value, (list, tuple)):
        return ()
    return tuple(str(v).strip() for v in value if str(v).strip())


def _int(value: Any, default: int) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        return default


def _isort_settings(directory: str) -> Optional[Tuple[Dict[str, Any], str]]:
    """(settings, directory of the file) from the isort configuration in ``directory``."""
    pyproject = os.path.join(directory, "pyproject.toml")
    if os.path.isfile(pyproject):
        data = _toml(pyproject)
        for keys in (("tool", "ruff", "lint", "isort"), ("tool", "ruff", "isort"), ("tool", "isort")):
            table = _get(data, *keys)
            if isinstance(table, dict):
                settings = _norm(table)
                src = _get(data, "tool", "ruff", "src")
                if keys[-1] == "isort" and keys[1] == "ruff" and src is not None:
                    settings.setdefault("src_paths", src)
                return settings, directory
    for name in ("ruff.toml", ".ruff.toml"):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            data = _toml(path)
            for keys in (("lint", "isort"), ("isort",)):
                table = _get(data, *keys)
                if isinstance(table, dict):
                    settings = _norm(table)
                    if data.get("src") is not None:
                        settings.setdefault("src_paths", data.get("src"))
                    return settings, directory
    for name, sections in (
        (".isort.cfg", ("settings", "isort")),
        ("setup.cfg", ("isort", "tool:isort")),
        ("tox.ini", ("isort", "tool:isort")),
    ):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            parser = _cfg(path)
            if parser is None:
                continue
            for section in sections:
                if parser.has_section(section):
                    return _norm(dict(parser.items(section))), directory
    return None


_PRE_COMMIT_HOOK = re.compile(r"^\s*-?\s*id:\s*['\"]?(black|black-jupyter|ruff-format)['\"]?\s*$", re.M)


#: The formatter a Makefile, tox.ini, noxfile or CI workflow runs (``ruff format .``, ``black src``).
_FORMAT_COMMAND = re.compile(
    r"\b(ruff[ \t]+format)\b"  # unambiguous wherever it is written
    r"|(?:^[ \t]*(?:-[ \t]*)?(?:run:[ \t]*)?|\brun[ \t]+|-m[ \t]+|&&[ \t]*|;[ \t]*|\|\|[ \t]*)(black)\b(?![-\w])",
    re.M,
)


def _formatter(directory: str) -> Optional[Tuple[str, str]]:
    pyproject = os.path.join(directory, "pyproject.toml")
    if os.path.isfile(pyproject):
        data = _toml(pyproject)
        if isinstance(_get(data, "tool", "black"), dict):
            return "black", pyproject
        if isinstance(_get(data, "tool", "ruff", "format"), dict):
            return "ruff", pyproject
    for name in ("ruff.toml", ".ruff.toml"):
        path = os.path.join(directory, name)
        if os.path.isfile(path) and isinstance(_toml(path).get("format"), dict):
            return "ruff", path
    for name in (".pre-commit-config.yaml", ".pre-commit-config.yml"):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            try:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
            except (OSError, UnicodeDecodeError):
                continue
            found = _PRE_COMMIT_HOOK.search(text)
            if found:
                return ("ruff" if found.group(1) == "ruff-format" else "black"), ""
    scripts = [os.path.join(directory, n) for n in ("Makefile", "makefile", "tox.ini", "noxfile.py")]
    workflows = os.path.join(directory, ".github", "workflows")
    if os.path.isdir(workflows):
        try:
            scripts += [
                os.path.join(workflows, n) for n in sorted(os.listdir(workflows)) if n.endswith((".yml", ".yaml"))
            ]
        except OSError:
            pass
    for path in scripts:
        if not os.path.isfile(path):
            continue
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read(200_000)
        except OSError:
            continue
        found = _FORMAT_COMMAND.search(text)
        if found:
            return ("ruff" if found.group(1) else "black"), ""
    if os.path.isfile(pyproject) and isinstance(_get(_toml(pyproject), "tool", "ruff"), dict):
        return IF_CLEAN + "ruff", pyproject
    for name in ("ruff.toml", ".ruff.toml"):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return IF_CLEAN + "ruff", path
    return None


#: A formatter that applies only to a file it leaves unchanged before the rewrite: ruff
#: configured (``[tool.ruff]``, ``ruff.toml``) with no ``format`` table (gradio: ruff format
#: runs from a script its sdist does not ship).
IF_CLEAN = "if-clean:"


@functools.lru_cache(maxsize=4096)
def _style_of_directory(directory: str) -> Tuple[Optional[Tuple[Dict[str, Any], str]], Optional[Tuple[str, str]], str]:
    """(isort settings, formatter, project root) for files in ``directory``: the nearest
    configuration of each upwards, the nearest directory with ``pyproject.toml`` or
    ``setup.py`` (up to one with ``.git``; none: ``directory``). From the parent's answer,
    which is cached too: a tree's directories read each configuration once."""
    isort = _isort_settings(directory)
    formatter = _formatter(directory)
    parent = os.path.dirname(directory)
    if _marked(directory) or os.path.exists(os.path.join(directory, ".git")) or parent == directory:
        root = directory
        if os.path.exists(os.path.join(directory, ".git")) or parent == directory:
            return isort, formatter, root
        up_isort, up_formatter, _ = _style_of_directory(parent)
        if formatter is None or (formatter[0].startswith(IF_CLEAN) and up_formatter is not None):
            formatter = up_formatter  # (a formatter the project runs wins over a guess)
        return (isort if isort is not None else up_isort), formatter, root
    up_isort, up_formatter, up_root = _style_of_directory(parent)
    found = up_root != parent or _marked(parent) or os.path.exists(os.path.join(parent, ".git"))
    return (
        isort if isort is not None else up_isort,
        formatter if formatter is not None else up_formatter,
        up_root if found else directory,
    )


def _marked(directory: str) -> bool:
    return os.path.isfile(os.path.join(directory, "pyproject.toml")) or os.path.exists(
        os.path.join(directory, "setup.py")
    )


def _own_package(path: str) -> str:
    """The top-level package holding ``path`` (directories with ``__init__.py`` upwards)."""
    directory = os.path.dirname(path)
    top = ""
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        top = os.path.basename(directory)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return top


@functools.lru_cache(maxsize=1024)
def style_for(path: Optional[str]) -> Style:
    """The style that applies to the file at ``path`` (``NO_STYLE`` without a path)."""
    if not path or path == "-":
        return NO_STYLE
    absolute = os.path.abspath(path)
    isort, formatter, root = _style_of_directory(os.path.dirname(absolute))
    settings, base = isort if isort is not None else ({}, root)
    profile = str(settings.get("profile", "")).lower()
    known = []
    for key, section in (
        ("known_first_party", FIRSTPARTY),
        ("known_third_party", THIRDPARTY),
        ("known_local_folder", LOCALFOLDER),
        ("extra_standard_library", STDLIB),
        ("known_standard_library", STDLIB),
    ):
        known += [(name, section) for name in _names(settings.get(key))]
    src_paths = _names(settings.get("src_paths")) or (".", "src")
    src = tuple(os.path.normpath(os.path.join(base, s)) for s in src_paths)
    force_sort = _flag(settings.get("force_sort_within_sections", profile == "google"))
    imports = ImportStyle(
        known=tuple(known),
        src=src,
        own_package=_own_package(absolute),
        force_sort_within_sections=force_sort,
        from_first=_flag(settings.get("from_first", False)),
        case_sensitive=_flag(settings.get("case_sensitive", False)),
        no_sections=_flag(settings.get("no_sections", False)),
        reverse_relative=_flag(settings.get("reverse_relative", False))
        or str(settings.get("relative_imports_order", "")).strip().lower() == "closest-to-furthest",
        required_imports=_required(settings.get("required_imports", settings.get("add_imports"))),
        lines_after_imports=_int(settings.get("lines_after_imports"), -1),
    )
    kind, config = formatter if formatter is not None else ("", "")
    if_clean = kind.startswith(IF_CLEAN)
    return Style(
        imports=imports,
        formatter=kind[len(IF_CLEAN) :] if if_clean else kind,
        formatter_config=config,
        formatter_if_clean=if_clean,
    )


#: Directories never searched for imports of a module (environments, caches, builds).
_SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        "env",
        "node_modules",
        "__pycache__",
        "build",
        "dist",
        "site-packages",
        ".mypy_cache",
        ".ruff_cache",
    }
)
#: A project with more Python files than this is not searched: every import is kept.
MAX_PROJECT_FILES = 20_000
#: Bytes read of each (a generated giant is not searched past this).
_MAX_READ = 8 * 1024 * 1024
#: ``from(?<=\bfrom)``: ``\bfrom`` (the same matches), but a literal first lets the regex engine
#: skip to each "from" instead of trying every position (8x faster on the corpus).
#: A parenthesised list may hold comments, and a ``)`` in one of them does not end it.
_FROM_IMPORT = re.compile(rb"from(?<=\bfrom)\s+(\.*[\w.]*)\s+import\s+(\((?:[^)#]|#[^\n]*)*\)|[^\n#;]*)")


@functools.lru_cache(maxsize=16)
def _imported_names(root: str) -> Optional[Dict[str, FrozenSet[str]]]:
    """module's last dotted part -> the names some file of the project imports from a module
    of that name (``from x.y import a, b``: ``y`` -> {a, b}); None: too many files to tell.

    Every directory is listed again on each call (a file added since the last run is seen);
    an unchanged file's pairs come from the file index's memo through the ``lstat`` its
    directory listing gives (``_file_pairs``), without reading it."""
    found: Dict[str, set] = {}
    count = 0
    memo_key = fileindex.digester(*_FROM_IMPORTS_MEMO)
    index = fileindex.current()
    pending = [root]
    while pending:
        directory = pending.pop()
        try:
            listing = os.scandir(directory)
        except OSError:
            continue
        with listing:
            entries = list(listing)
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir()  # follows a link, as os.walk sorts its names
            except OSError:
                is_dir = False
            if is_dir:
                # A link to a directory is not descended into (os.walk's followlinks=False).
                if name not in _SKIP_DIRS and not name.endswith(".egg-info") and not entry.is_symlink():
                    pending.append(entry.path)
                continue
            if not name.endswith((".py", ".pyi")):
                continue
            count += 1
            if count > MAX_PROJECT_FILES:
                return None
            pairs = _file_pairs(entry, index, memo_key)
            if pairs is None:
                continue
            for tail, names in pairs:
                if tail.startswith("."):
                    # ``from . import name`` / ``from .. import name``: the package that many
                    # levels up from this file, by its directory's name.
                    package = directory
                    for _ in range(len(tail) - 1):
                        package = os.path.dirname(package)
                    tail = os.path.basename(package)
                found.setdefault(tail, set()).update(names)
    return {k: frozenset(v) for k, v in found.items()}


def _file_pairs(entry: "os.DirEntry[str]", index: Any, memo_key: Callable[[str], str]) -> Optional[List[List[Any]]]:
    """``_from_imports`` of the file at ``entry`` (``None``: not a regular file, unreadable).
    Regular files only, never through a link: a FIFO would block the read, a device or a link
    out of the tree is not the project's source."""
    full = entry.path
    try:
        if index is not None and entry.is_file(follow_symlinks=False):
            # A regular file (the listing's type: no ``lstat``) this run already found
            # unchanged (``FileIndex.seen``: the lookups stat every file of the run first).
            sha = index.seen.get(full)
            if sha is not None:
                pairs = index.get(full, _FROM_IMPORTS_MEMO[0], memo_key(sha))
                if pairs is not fileindex.MISSING:
                    return pairs
        st = entry.stat(follow_symlinks=False)
        if not stat.S_ISREG(st.st_mode):
            return None
        if index is not None:
            sha = index.known_stat(full, st)
            if sha is not None:
                pairs = index.get(full, _FROM_IMPORTS_MEMO[0], memo_key(sha))
                if pairs is not fileindex.MISSING:
                    return pairs
        pairs = fileindex.remembered(full, *_FROM_IMPORTS_MEMO, _from_imports, _MAX_READ)
        if pairs is fileindex.MISSING:
            with open(full, "rb") as handle:
                pairs = _from_imports(handle.read(_MAX_READ))
    except OSError:
        return None
    return pairs


#: The file index's memo of ``_from_imports`` (purpose, parameters).
_FROM_IMPORTS_MEMO = ("from-imports", [3])


def from_imports_of(data: bytes) -> Optional[List[List[Any]]]:
    """``_from_imports(data)`` as ``_imported_names`` memoises it (``None``: too large)."""
    return _from_imports(data) if len(data) <= _MAX_READ else None


def note_from_imports(index: Any, path: str, sha: str, pairs: Optional[List[List[Any]]]) -> None:
    """Memoise ``from_imports_of`` the bytes of SHA-256 ``sha`` in the file index, computed
    where the bytes were in hand (the facts pass reads every file of a cached run):
    ``_imported_names`` then reads no file again."""
    if pairs is not None:
        purpose, parts = _FROM_IMPORTS_MEMO
        index.put(path, purpose, fileindex.digest(purpose, parts, sha), pairs)


def from_imports_memo(sha: str, data: bytes) -> Optional[Tuple[str, str, List[List[Any]]]]:
    """(purpose, key, value) that ``note_from_imports`` puts for the bytes ``data`` of SHA-256
    ``sha`` (``None``: too large), for a process that computes it away from the index."""
    pairs = from_imports_of(data)
    if pairs is None:
        return None
    purpose, parts = _FROM_IMPORTS_MEMO
    return purpose, fileindex.digest(purpose, parts, sha), pairs


def _from_imports(data: bytes) -> List[List[Any]]:
    """[module's last dotted part, the names imported from it] of each ``from`` import; the
    dots themselves for ``from . import`` / ``from .. import`` (the importer's package)."""
    if b"import" not in data:
        return []
    out: List[List[Any]] = []
    for module, names in _FROM_IMPORT.findall(data):
        text = module.decode("ascii", "replace")
        tail = text if text and not text.strip(".") else text.rstrip(".").split(".")[-1]
        if tail:
            listed = re.sub(rb"#[^\n]*", b"", names)
            out.append([tail, [n.decode("ascii", "replace") for n in re.findall(rb"\w+", listed) if n != b"as"]])
    return out


def imported_elsewhere(path: Optional[str], name: str) -> bool:
    """Whether another file of the project may import ``name`` from the module at ``path``
    (``from <...>.<module> import name``, found by a search of the project's files that
    errs on the side of yes). No file: a source on its own, imported by nothing."""
    if not path or path == "-" or not os.path.isfile(path):
        return False
    absolute = os.path.abspath(path)
    _, _, root = _style_of_directory(os.path.dirname(absolute))
    index = _imported_names(root)
    if index is None:
        return True
    return name in index.get(_module_tail(absolute), frozenset())


def _module_tail(absolute: str) -> str:
    """The last dotted part of the module at ``absolute``: its file's stem, or for a package's
    ``__init__.py`` the package's (directory's) name (``from pkg import name`` imports it)."""
    stem = os.path.splitext(os.path.basename(absolute))[0]
    if stem == "__init__":
        return os.path.basename(os.path.dirname(absolute))
    return stem


def _imported_key(path: str, data: bytes) -> Any:
    """What a cached result owes to other files: the names they import from this module (an
    import the rewrite leaves unused is kept when another file imports it). Only files that may
    be rewritten pay for the project's index."""
    from .prefilter import might_contain_target

    if not path or path == "-" or not might_contain_target(data) or not os.path.isfile(path):
        return None
    absolute = os.path.abspath(path)
    _, _, root = _style_of_directory(os.path.dirname(absolute))
    index = _imported_names(root)
    if index is None:
        return "unknown"
    return sorted(index.get(_module_tail(absolute), ()))


def remember_imported_names(path: str) -> None:
    """``_imported_names`` of the project of ``path``, in this process (the parent of a run):
    a cold run's workers compute it for their files' keys, and the from-imports it memoises in
    their copies of the file index (files under the project the run does not name) were lost,
    so the first warm run read and recorded them again. Memoised per root (``lru_cache``)."""
    if not path or path == "-":
        return
    _, _, root = _style_of_directory(os.path.dirname(os.path.abspath(path)))
    _imported_names(root)


def _register() -> None:
    from . import cache

    cache.add_key_part(_imported_key)


_register()
