"""Project facts: what other files of a project know about each module, collected once per run
before any file is rewritten, and handed to every file's codemods (``Settings.facts``).

Whether a rewrite keeps a repository working can depend on facts elsewhere in it: a test that
``mock.patch("pkg.mod.requests.get")`` no longer intercepts a call routed through a shared
session; ``requests_cache.install_cache()`` in another module caches bare calls, not a session
made at import; a project that requires ``requests>=2.32`` is not exposed to CVE-2024-35195.

The pass reads every discovered Python file, tests and conftest included (the prefilter's
verdict does not apply here): bytes first, then Python's ``ast`` only for files that name a
patching helper, the library modules or ``os.environ``. It never imports anything. The result,
``ProjectFacts``, is plain data (sorted tuples): picklable for the workers, the same whatever
``-j``, with a stable ``__cache_key__()``.
"""

from __future__ import annotations

import ast
import bisect
import configparser
import hashlib
import os
import re
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

from ..discover import display_path

#: Codemods whose decisions consult project facts (the pass runs only when one is selected).
CONSUMERS = frozenset({"share-session"})
LIBRARIES = ("requests", "httpx")
#: Files that mark a project's root (the outermost one inside the run's roots wins).
MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")

# -- facts ---------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Patch:
    """A replacement of a library function or of a module's binding of the library.

    ``kind``: ``mock`` (mock.patch and friends: temporary, usually after the code under test
    was imported), ``assign`` (``requests.get = fake``, ``setattr``: a run-time swap),
    ``string`` (a dotted string of a file that also calls ``patch(name)``: maybe its target),
    ``unsettled`` (``patch(name)`` whose target the pass cannot read: ``target`` is empty and
    ``library`` says which library the file names).

    ``reach``: for a patch made in a test module (``test_*.py``, ``*_test.py``, ``tests.py``),
    its real path: a patch that replaces a library function for every module (``requests.get``,
    also through ``pkg.mod.requests.get``) covers only the calls in the modules that test can
    reach by imports (``ProjectFacts.imports``). Empty (conftest, helpers, the package's own
    modules): the whole project, since any test may run it."""

    project: str
    target: str
    kind: str
    library: str
    where: str
    text: str
    reach: str = ""


@dataclass(frozen=True, order=True)
class Change:
    """A run-time change made somewhere in the project: ``requests_cache`` (install_cache /
    enabled) or ``env`` (an ``os.environ`` write that may set proxy or SSL variables)."""

    project: str
    kind: str
    where: str
    text: str


@dataclass(frozen=True, order=True)
class Bound:
    """A declared requirement on a library: ``directory`` is where the declaring file is."""

    directory: str
    library: str
    specifier: str
    where: str


@dataclass(frozen=True)
class CallSite:
    """What a codemod knows of one call it considers rewriting."""

    path: str
    library: str  # requests / httpx
    verb: str  # get, post, ..., request, stream
    qualified: Tuple[str, ...]  # the resolved names, e.g. ("requests.get",), ("requests.api.get",)
    chain: Tuple[str, ...]  # the call's name as spelled: ("requests", "get"), ("get",)
    scope: str = "module"  # share-session strategy: module / function / client


@dataclass(frozen=True)
class ProjectFacts:
    projects: Tuple[str, ...] = ()  # real paths of the project roots, sorted
    patches: Tuple[Patch, ...] = ()
    changes: Tuple[Change, ...] = ()
    bounds: Tuple[Bound, ...] = ()
    #: (real path, dotted names it imports) for every file read: what a test can reach.
    imports: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    files: int = 0  # how many files the pass read (statistics)
    parsed: int = 0  # how many of them it parsed with ast

    def __cache_key__(self) -> str:
        digest = hashlib.sha256()
        for part in (self.projects, self.patches, self.changes, self.bounds, self.imports):
            digest.update(repr(part).encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
        return "facts:" + digest.hexdigest()

    # -- queries ---------------------------------------------------------------------------

    def project_of(self, path: str) -> Optional[str]:
        real = _real(path)
        best = None
        for root in self.projects:
            if _inside(real, root) and (best is None or len(root) > len(best)):
                best = root
        return best

    def problem_for(self, codemod: str, site: CallSite) -> Optional[str]:
        """Why the project's other files forbid rewriting ``site`` (``None``: nothing does)."""
        if codemod not in CONSUMERS:
            return None
        project = self.project_of(site.path)
        if project is None:
            return None
        real = _real(site.path)
        modules = module_names(real, project)
        found = []
        for patch in self._candidates(project, site.library, modules):
            why = _patch_covers(patch, site, modules, lambda: patch.reach == "" or real in self.reachable(patch.reach))
            if why is not None:
                path, _, line = patch.where.rpartition(":")
                found.append((_RANK[patch.kind], path, int(line) if line.isdigit() else 0, why))
        if found:
            return min(found)[3]  # a direct mock first, then a swap, a string, an unsettled patch
        for change in self.changes:
            if change.project != project:
                continue
            if change.kind == "requests_cache" and site.library == "requests" and site.scope != "function":
                # A function-scope session is made when the function runs: install_cache's
                # requests.Session replacement applies to it as to the bare call.
                return (
                    f"{change.text} at {change.where} patches bare calls; a shared Session "
                    "would not be cached"
                )
            if change.kind == "env" and site.library == "httpx" and site.scope != "function":
                return (
                    f"{change.text} at {change.where} may change proxy or SSL variables; an httpx "
                    "client made at import reads them once, a bare call when it runs"
                )
        return None

    def _candidates(self, project: str, library: str, modules: Sequence[str]) -> List[Patch]:
        """The patches of ``project`` that may cover a call in one of ``modules``: those that
        name the library, and those under the module's own dotted name (an index built once
        per process: queries run per call site)."""
        index = _INDEXES.get(id(self))
        if index is None or index[0] is not self:
            by_key: Dict[Tuple[str, str], List[Patch]] = {}
            for patch in self.patches:
                parts = patch.target.split(".") if patch.target else []
                keys = {("lib", p) for p in parts if p in LIBRARIES} or set()
                if patch.kind == "unsettled":
                    keys.add(("lib", patch.library))
                for i in range(1, len(parts)):
                    keys.add(("mod", ".".join(parts[:i])))
                for key in keys:
                    by_key.setdefault((patch.project + "\0" + key[0], key[1]), []).append(patch)
            index = (self, by_key)
            _INDEXES.clear()  # one ProjectFacts per run
            _INDEXES[id(self)] = index
        by_key = index[1]
        out = list(by_key.get((project + "\0lib", library), []))
        for module in modules:
            out += by_key.get((project + "\0mod", module), [])
        return out

    def reachable(self, start: str) -> FrozenSet[str]:
        """Real paths of the files ``start`` reaches by imports (itself included; importing
        ``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py`` too). Memoised per process."""
        graph = _GRAPHS.get(id(self))
        if graph is None or graph[0] is not self:
            by_name: Dict[str, List[str]] = {}
            for path, _ in self.imports:
                for name in module_names(path, self.project_of(path)):
                    by_name.setdefault(name, []).append(path)
            graph = (self, by_name, dict(self.imports), {})
            _GRAPHS.clear()
            _GRAPHS[id(self)] = graph
        _, by_name, edges, memo = graph
        if start in memo:
            return memo[start]
        seen = {start}
        todo = [start]
        while todo:
            path = todo.pop()
            for name in edges.get(path, ()):
                parts = name.split(".")
                for i in range(1, len(parts) + 1):
                    for target in by_name.get(".".join(parts[:i]), ()):
                        if target not in seen:
                            seen.add(target)
                            todo.append(target)
        memo[start] = frozenset(seen)
        return memo[start]

    def requires_at_least(self, path: str, library: str, version: str) -> bool:
        """Whether the declarations nearest ``path`` all exclude every ``library`` release
        below ``version`` (no declaration: False)."""
        real = _real(path)
        dirs = sorted({b.directory for b in self.bounds if b.library == library and _inside(real, b.directory)},
                      key=len)
        if not dirs:
            return False
        nearest = dirs[-1]
        specs = [b.specifier for b in self.bounds if b.library == library and b.directory == nearest]
        return all(lower_bound_at_least(s, version) for s in specs)

    def describe(self) -> List[str]:
        """One line per fact (``--verbose`` and debugging)."""
        out = [f"{p.where}: {p.kind} {p.text}" for p in self.patches]
        out += [f"{c.where}: {c.kind} {c.text}" for c in self.changes]
        out += [f"{b.where}: {b.library}{b.specifier or ' (any version)'}" for b in self.bounds]
        return out


EMPTY = ProjectFacts()
_INDEXES: Dict[int, Tuple[ProjectFacts, Dict[Tuple[str, str], List[Patch]]]] = {}
_GRAPHS: Dict[int, Any] = {}
_RANK = {"mock": 0, "assign": 1, "string": 2, "unsettled": 3}

#: Global targets that intercept every bare call of the library (``requests.get`` calls
#: ``requests.api.request``, which builds ``requests.sessions.Session``), but not a call on a
#: session made earlier.
_INTERCEPT_ALL = {
    "requests": frozenset({"requests.api.request", "requests.api.sessions", "requests.api.sessions.Session",
                           "requests.sessions.Session", "requests.sessions.session"}),
    "httpx": frozenset({"httpx._api.request", "httpx._api.Client"}),
}
#: Names whose run-time reassignment (not a temporary mock) a module-level client would see
#: differently: it is created from ``requests.Session`` once, at import.
_CLIENT_CLASSES = {"requests": frozenset({"requests.Session", "requests.session"}), "httpx": frozenset({"httpx.Client"})}


def _patch_covers(patch: Patch, site: CallSite, modules: Sequence[str], reaches: Any) -> Optional[str]:
    """Why ``patch`` covers ``site``. ``reaches()``: whether the test that makes a patch of
    global effect can reach the site's module (always, for a patch made outside a test)."""
    if patch.kind == "unsettled":
        if patch.library != site.library or not reaches():
            return None
        return (
            f"{patch.text} at {patch.where} patches a target the facts pass cannot read; it may "
            "be this call, which a shared client would bypass"
        )
    target = patch.target
    covered = False
    # The module's own binding: pkg.mod.requests, pkg.mod.requests.get, pkg.mod.get (from
    # requests import get), pkg.mod.rq (import requests as rq).
    for module in modules:
        if target.startswith(module + "."):
            rest = target[len(module) + 1:].split(".")
            if tuple(rest) == site.chain[: len(rest)]:
                covered = True
                break
    if not covered:
        glob = _global_target(target)
        if glob is not None and glob.split(".")[0] == site.library and reaches():
            chain = ".".join(site.chain)
            if (
                glob in site.qualified
                or glob in (f"{site.library}.{site.verb}", f"requests.api.{site.verb}", f"httpx._api.{site.verb}")
                or glob in _INTERCEPT_ALL[site.library]
                or (chain.startswith(site.library + ".") and glob == chain)
            ):
                covered = True
            elif patch.kind == "assign" and (
                glob in _CLIENT_CLASSES[site.library] or glob.split(".")[-1] not in _VERBS
            ):
                covered = True  # a swap of Session (or another library name) for the whole run
    if not covered:
        return None
    if patch.kind == "assign":
        return (
            f"{patch.text} at {patch.where} replaces {target} at run time; a shared client would "
            "bypass the replacement"
        )
    return f"mocked by {patch.where} ({patch.text}); a shared session would bypass it"


_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "stream"})


def _global_target(target: str) -> Optional[str]:
    """``pkg.mod.requests.get`` -> ``requests.get``: a module's ``requests`` is the library
    module itself, so patching an attribute through it patches it for every module."""
    parts = target.split(".")
    for i, part in enumerate(parts):
        if part in LIBRARIES and i + 1 < len(parts):
            return ".".join(parts[i:])
    return None


def module_names(real: str, project: Optional[str]) -> List[str]:
    """Dotted names a file may be imported as: every suffix of its path below the project
    (``src/pkg/mod.py``: ``mod``, ``pkg.mod``, ``src.pkg.mod``)."""
    rel = os.path.relpath(real, project) if project else real
    parts = [p for p in rel.replace(os.sep, "/").split("/") if p and p != os.curdir]
    if not parts or parts[0] == os.pardir:
        parts = [p for p in real.replace(os.sep, "/").split("/") if p]
    if not parts:
        return []
    last = parts[-1]
    if last.endswith(".py"):
        last = last[:-3]
    parts = parts[:-1] + ([] if last == "__init__" else [last])
    return [".".join(parts[i:]) for i in range(len(parts) - 1, -1, -1) if all(p.isidentifier() for p in parts[i:])]


def lower_bound_at_least(specifier: str, version: str) -> bool:
    """Whether every version ``specifier`` allows is >= ``version`` (``>=2.32``, ``~=2.32.3``,
    ``==2.32.*``, ``>2.32``; ``""`` allows everything)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        specs = SpecifierSet(specifier)
        floor = Version(version)
    except (InvalidSpecifier, InvalidVersion):
        return False
    for spec in specs:
        value = spec.version
        if spec.operator in ("==", "===") and value.endswith(".*"):
            value = value[:-2]
        if spec.operator in (">=", ">", "==", "===", "~="):
            try:
                if Version(value) >= floor:
                    return True
            except InvalidVersion:
                continue
    return False


def _real(path: str) -> str:
    return os.path.realpath(os.path.abspath(path))


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


# -- the pass ------------------------------------------------------------------------------

#: A file is read with ast only if it names one of these (bytes, case-sensitive; substring
#: tests first, they are much faster than a regex over every file).
_SCREEN_WORDS = (b"patch(", b"patch.", b"Patch", b"monkeypatch", b"setattr", b"requests_cache", b"setenv",
                 b"putenv", b"dotenv")
_SCREEN_MORE = re.compile(
    rb"environ\s*\[[^\]\n]*\]\s*=[^=]|environ\.(?:update|setdefault|pop|clear|__setitem__|__delitem__)"
    rb"|(?:requests|httpx)(?:\.\w+)+\s*=[^=]"
)


def worth_parsing(data: bytes) -> bool:
    if any(word in data for word in _SCREEN_WORDS):
        return True
    if b"environ" in data or b"requests." in data or b"httpx." in data:
        return _SCREEN_MORE.search(data) is not None
    return False


_LIBRARY_WORD = re.compile(rb"\b(requests|httpx)\b")
#: Lines worth a full look: the statements that hold none are not walked (only their nested
#: statements, for imports), which keeps the pass cheap on large test files.
_LINE_WORDS = re.compile(rb"mock|Mock|patch|Patch|setattr|delattr|requests|httpx|env|install_cache|enabled")


_IMPORT_LINE = re.compile(
    rb"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]*(\([^)]*\)|[^\n#;]*)|import[ \t]+([^\n#;]+))", re.M
)


def imported_modules(data: bytes, package: str) -> Tuple[str, ...]:
    """The dotted names a file's import statements name (``from a import b``: ``a`` and
    ``a.b``, which may be a submodule), relative ones resolved against ``package``. Read from
    the bytes, imports in strings included: more reach is the safe side."""
    out: Set[str] = set()
    skipped = _type_checking_blocks(data) if b"TYPE_CHECKING" in data else []
    for match in _IMPORT_LINE.finditer(data):
        if skipped and any(start <= match.start() < end for start, end in skipped):
            continue  # ``if TYPE_CHECKING:`` imports never run
        source, names, plain = match.groups()
        if plain is not None:
            for part in plain.decode("utf-8", "replace").split(","):
                name = part.strip().split(" ")[0].strip("()\\ \t\r")
                if name:
                    out.add(name)
            continue
        module = source.decode("utf-8", "replace")
        level = len(module) - len(module.lstrip("."))
        module = module[level:]
        if level:
            base = package.split(".") if package else []
            keep = len(base) - (level - 1)
            if keep < 0:
                continue
            module = ".".join(base[:keep] + ([module] if module else []))
        if module:
            out.add(module)
        for part in names.decode("utf-8", "replace").strip("()").replace("\\", " ").split(","):
            name = part.strip().split(" ")[0].strip()
            if name and name != "*" and name.isidentifier():
                out.add(f"{module}.{name}" if module else name)
    return tuple(sorted(n for n in out if all(p.isidentifier() for p in n.split("."))))


_TYPE_CHECKING = re.compile(rb"^([ \t]*)if[ \t]+(?:typing\.)?TYPE_CHECKING[ \t]*:[ \t]*(?:#[^\n]*)?\n", re.M)


def _type_checking_blocks(data: bytes) -> List[Tuple[int, int]]:
    """Byte ranges of the bodies of ``if TYPE_CHECKING:`` blocks (up to the first line
    indented no deeper than the ``if``; an ``else:`` body is not part of it)."""
    blocks = []
    for match in _TYPE_CHECKING.finditer(data):
        indent = len(match.group(1).expandtabs())
        pos = match.end()
        while pos < len(data):
            end = data.find(b"\n", pos)
            end = len(data) if end < 0 else end + 1
            line = data[pos:end]
            stripped = line.strip()
            if stripped and not stripped.startswith(b"#"):
                if len(line.expandtabs()) - len(line.expandtabs().lstrip()) <= indent:
                    break
            pos = end
        blocks.append((match.end(), pos))
    return blocks


def candidate_lines(data: bytes) -> List[int]:
    lines = []
    pos, line = 0, 1
    for match in _LINE_WORDS.finditer(data):
        line += data.count(b"\n", pos, match.start())
        pos = match.start()
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


def needed(codemods: Iterable[str]) -> bool:
    return any(name in CONSUMERS for name in codemods)


def collect(files: Sequence[str], roots: Sequence[str] = (), read=None) -> ProjectFacts:
    """The facts of the projects ``files`` belong to. ``roots``: the run's roots (real paths);
    a project's root is the outermost directory with a marker inside the root holding the file
    (else the nearest one above it, else that root)."""
    finder = _ProjectFinder(roots)
    patches: Set[Patch] = set()
    changes: Set[Change] = set()
    projects: Set[str] = set()
    parsed = 0
    imports: Dict[str, Tuple[str, ...]] = {}
    for path in files:
        real = _real(path)
        project = finder.project(real)
        projects.add(project)
        try:
            data = read(path) if read is not None else _read_bytes(path)
        except (OSError, ValueError):
            continue
        imports[real] = imported_modules(data, _package_of(module_names(real, project), path))
        if not worth_parsing(data):
            continue
        try:
            tree = ast.parse(data)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        parsed += 1
        where = display_path(path)
        libs = tuple(sorted({m.decode() for m in _LIBRARY_WORD.findall(data)}))
        file = _FileFacts(tree, project, where, module_names(real, project), libs, patches, changes)
        file.lines = candidate_lines(data)
        file.reach = real if is_test_module(real) else ""
        file.run()
    bounds: Set[Bound] = set()
    for directory in sorted(finder.declaring_dirs(projects)):
        bounds.update(read_bounds(directory))
    return ProjectFacts(
        projects=tuple(sorted(projects)),
        patches=tuple(sorted(patches)),
        changes=tuple(sorted(changes)),
        bounds=tuple(sorted(bounds)),
        imports=tuple(sorted(imports.items())),
        files=len(files),
        parsed=parsed,
    )


def is_test_module(path: str) -> bool:
    """``test_*.py``, ``*_test.py``, ``tests.py``: pytest's and Django's test modules (not
    ``conftest.py``, whose fixtures may run for every test)."""
    name = os.path.basename(path)
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py") or name == "tests.py")


def _read_bytes(path: str) -> bytes:
    if not os.path.isfile(path):
        raise ValueError("not a regular file")
    with open(path, "rb") as handle:
        return handle.read()


class _ProjectFinder:
    def __init__(self, roots: Sequence[str]) -> None:
        self.roots = sorted({_real(r) for r in roots}, key=len, reverse=True)
        self.cache: Dict[str, str] = {}
        self.marked: Set[str] = set()

    def _has_marker(self, directory: str) -> bool:
        return any(os.path.exists(os.path.join(directory, m)) for m in MARKERS)

    def project(self, real_file: str) -> str:
        directory = os.path.dirname(real_file)
        if directory in self.cache:
            return self.cache[directory]
        root = next((r for r in self.roots if _inside(directory, r)), None)
        chain = []
        current = directory
        while True:
            if self._has_marker(current):
                chain.append(current)
                self.marked.add(current)
            parent = os.path.dirname(current)
            if parent == current or (root is not None and current == root and chain):
                break
            if root is not None and not _inside(parent, root) and chain:
                break
            current = parent
        inside_root = [d for d in chain if root is None or _inside(d, root)]
        if inside_root:
            project = inside_root[-1]  # the outermost
        elif chain:
            project = chain[0]  # the nearest above the root
        else:
            project = root or directory
        self.cache[directory] = project
        return project

    def declaring_dirs(self, projects: Iterable[str]) -> Set[str]:
        """Where requirement files may be: every marked directory seen, and each project root."""
        return set(self.marked) | set(projects)


# -- one file ------------------------------------------------------------------------------

_MOCKER_NAMES = ("mocker", "module_mocker", "class_mocker", "package_mocker", "session_mocker")
_PATCH_FUNCS = frozenset({"unittest.mock.patch", "mock.patch", "patch", "mocker.patch", "asynctest.patch"})
_ENV_KEYS = frozenset(
    {"http_proxy", "https_proxy", "all_proxy", "no_proxy", "ssl_cert_file", "ssl_cert_dir", "sslkeylogfile"}
)
_NOT_TARGETS = frozenset({"create", "spec", "spec_set", "autospec", "new_callable"})
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")


class _FileFacts:
    def __init__(self, tree: ast.Module, project: str, where: str, modules: Sequence[str],
                 libs: Tuple[str, ...], patches: Set[Patch], changes: Set[Change]) -> None:
        self.tree = tree
        self.project = project
        self.where = where
        self.package = _package_of(modules, where)
        self.libs = libs
        self.patches = patches
        self.changes = changes
        self.aliases: Dict[str, str] = {}
        self.constants: Dict[str, str] = {}
        self.unsettled: List[Tuple[int, str]] = []
        self.lines: Optional[List[int]] = None  # candidate lines (None: walk everything)
        self.reach = ""  # the file's real path when it is a test module (``Patch.reach``)

    # names ---------------------------------------------------------------------------------

    def _imports(self, nodes: Sequence[ast.AST]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.aliases[a.asname] = a.name
                    else:
                        top = a.name.split(".")[0]
                        self.aliases.setdefault(top, top)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = self.package.split(".") if self.package else []
                    keep = len(pkg) - (node.level - 1)
                    if keep < 0:
                        continue
                    base = ".".join(pkg[:keep] + ([base] if base else []))
                for a in node.names:
                    if a.name == "*":
                        continue
                    self.aliases[a.asname or a.name] = f"{base}.{a.name}" if base else a.name
        for node in self.tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                value = self._literal(node.value)
                if value is not None:
                    self.constants[node.targets[0].id] = value

    def dotted(self, node: ast.AST) -> Optional[str]:
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Call):  # pytest.MonkeyPatch().setattr, mock.patch(...).start
            inner = self.dotted(node.func)
            if inner is None:
                return None
            parts.append("()")
            head = inner
        elif isinstance(node, ast.Name):
            head = self.aliases.get(node.id, node.id)
        else:
            return None
        return ".".join([head] + parts[::-1])

    def _literal(self, node: ast.AST) -> Optional[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.constants[node.id]
        if isinstance(node, ast.JoinedStr):
            out = []
            for value in node.values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    out.append(value.value)
                elif isinstance(value, ast.FormattedValue) and value.format_spec is None and value.conversion == -1:
                    inner = self._literal(value.value)
                    if inner is None:
                        return None
                    out.append(inner)
                else:
                    return None
            return "".join(out)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self._literal(node.left), self._literal(node.right)
            if left is not None and right is not None:
                return left + right
        return None

    # facts ---------------------------------------------------------------------------------

    def add_patch(self, node: ast.AST, target: str, kind: str, text: str) -> None:
        # Every dotted target is kept, not only those naming a library: ``pkg.mod.get`` and
        # ``pkg.mod.rq`` patch a module's binding of requests.get / requests (the module knows).
        if not _DOTTED.match(target):
            return
        if kind == "assign" and not any(p in LIBRARIES for p in target.split(".")):
            return  # obj.attr = value: only a library's attribute is a swap of interest
        self.patches.add(Patch(self.project, target, kind, "", f"{self.where}:{node.lineno}", text, self.reach))

    def add_object_patch(self, node: ast.AST, obj: ast.AST, attr: ast.AST, kind: str, text: str) -> None:
        base = self.dotted(obj)
        name = self._literal(attr)
        if base is None or name is None:
            if any(lib in ast.dump(obj) for lib in LIBRARIES) and self.libs:
                self.unsettled.append((node.lineno, text))
            return
        if not any(p in LIBRARIES for p in base.split(".")) and any(lib in ast.dump(obj) for lib in LIBRARIES):
            # self.requests, a fixture named requests_module: an object we cannot name
            self.unsettled.append((node.lineno, text))
            return
        self.add_patch(node, f"{base}.{name}", kind, text)

    def run(self) -> None:
        nodes: List[ast.AST] = []
        if self.lines is None:
            nodes = list(ast.walk(self.tree))
        else:
            self._select(self.tree.body, nodes)
        self._imports(nodes)
        for node in nodes:
            if isinstance(node, ast.Call):
                self._call(node)
            elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
                targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
                for t in targets:
                    self._assigned(node, t)
        if self.unsettled:
            strings = self._library_strings()
            if strings:
                settled = {(p.target, p.where) for p in self.patches}
                for line, target in strings:
                    if (target, f"{self.where}:{line}") in settled:
                        continue
                    self.patches.add(Patch(self.project, target, "string", "", f"{self.where}:{line}",
                                           f"{target!r}, a string of a file that patches names it cannot read",
                                           self.reach))
            else:
                for line, text in self.unsettled:
                    for lib in self.libs:
                        self.patches.add(Patch(self.project, "", "unsettled", lib, f"{self.where}:{line}", text,
                                               self.reach))

    def _touched(self, node: ast.AST) -> bool:
        lines = self.lines
        assert lines is not None
        start = getattr(node, "lineno", None)
        if start is None:
            return True  # match_case: no position of its own
        for decorator in getattr(node, "decorator_list", ()):
            start = min(start, decorator.lineno)
        end = getattr(node, "end_lineno", None) or start
        i = bisect.bisect_left(lines, start)
        return i < len(lines) and lines[i] <= end

    def _select(self, statements: Sequence[ast.AST], out: List[ast.AST]) -> None:
        """The nodes of the statements that span a candidate line, and every import; the
        nested statements of the others are still visited (for their imports)."""
        for st in statements:
            if isinstance(st, (ast.Import, ast.ImportFrom)):
                out.append(st)
                continue
            touched = self._touched(st)
            for _, value in ast.iter_fields(st):
                if isinstance(value, list) and value and isinstance(value[0], (ast.stmt, ast.excepthandler, ast.match_case)):
                    for child in value:
                        if isinstance(child, ast.stmt):
                            self._select([child], out)
                        else:  # an except handler or a match case: its header, then its body
                            if self._touched(child):
                                for name, part in ast.iter_fields(child):
                                    if name != "body" and isinstance(part, ast.AST):
                                        out.extend(ast.walk(part))
                            self._select(child.body, out)
                elif touched:
                    for part in value if isinstance(value, list) else [value]:
                        if isinstance(part, ast.AST):
                            out.extend(ast.walk(part))
            if touched:
                out.append(st)

    def _library_strings(self) -> List[Tuple[int, str]]:
        out = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                value = node.value.strip(".")
                if _DOTTED.match(value) and any(p in LIBRARIES for p in value.split(".")):
                    out.append((node.lineno, value))
        return out

    def _assigned(self, node: ast.AST, target: ast.AST) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for el in target.elts:
                self._assigned(node, el)
            return
        if isinstance(target, ast.Attribute):
            root = target
            while isinstance(root, ast.Attribute):
                root = root.value
            if not (isinstance(root, ast.Name) and root.id in self.aliases):
                return  # task.requests.headers = ...: an attribute of a local object, not a module
            name = self.dotted(target)
            if name is not None:
                verb = "del" if isinstance(node, ast.Delete) else "="
                self.add_patch(node, name, "assign", f"{_short(name)} {verb} ...")
        elif isinstance(target, ast.Subscript) and self.dotted(target.value) == "os.environ":
            key = self._literal(target.slice if not isinstance(target.slice, ast.Index) else target.slice.value)  # type: ignore[attr-defined]
            self._env(node, [key], f"os.environ[{key!r}] = ..." if key else "os.environ[...] = ...")

    def _env(self, node: ast.AST, keys: Sequence[Optional[str]], text: str) -> None:
        if any(k is None or k.lower() in _ENV_KEYS for k in keys):
            self.changes.add(Change(self.project, "env", f"{self.where}:{node.lineno}", text))

    def _call(self, node: ast.Call) -> None:
        func = self.dotted(node.func)
        if func is None:
            return
        last = func.split(".")[-1]
        if last not in _INTERESTING_CALLS and not _is_patcher(func):
            return
        head = func.rsplit(".", 1)[0] if "." in func else ""
        args = node.args
        text = _call_text(func, node)
        if func.startswith("requests_cache.") and last in ("install_cache", "enabled"):
            self.changes.add(Change(self.project, "requests_cache", f"{self.where}:{node.lineno}",
                                    f"requests_cache.{last}"))
            return
        if func in ("dotenv.load_dotenv", "dotenv.main.load_dotenv"):
            self._env(node, [None], "load_dotenv()")
            return
        if func in ("os.putenv", "os.unsetenv", "os.environ.__setitem__", "os.environ.setdefault",
                    "os.environ.pop", "os.environ.__delitem__") and args:
            self._env(node, [self._literal(args[0])], text)
            return
        if func in ("os.environ.update", "os.environ.clear"):
            self._env(node, self._dict_keys(node, 0), text)
            return
        if last == "setenv" and args and head != "os":  # monkeypatch.setenv
            self._env(node, [self._literal(args[0])], text)
            return
        if last == "dict" and head.endswith("patch") and args:  # mock.patch.dict(os.environ, ...)
            first = self._literal(args[0]) or self.dotted(args[0])
            if first == "os.environ":
                clear = any(k.arg == "clear" for k in node.keywords)
                self._env(node, [None] if clear else self._dict_keys(node, 1), text)
            return
        if func in ("setattr", "delattr") and len(args) >= 2:
            self.add_object_patch(node, args[0], args[1], "assign", text)
            return
        if last == "setattr" and head:  # monkeypatch.setattr, mp.setattr, MonkeyPatch().setattr
            # (obj, "name", value), (obj, "name", value=...) or ("pkg.mod.name", value)
            value_keyword = any(k.arg == "value" for k in node.keywords)
            if len(args) >= 3 or (len(args) == 2 and value_keyword):
                self.add_object_patch(node, args[0], args[1], "mock", text)
            elif args:
                self._string_patch(node, args[0], text)
            return
        if last in ("MockPatch", "MonkeyPatch") and func.startswith("fixtures."):  # testtools
            if args:
                self._string_patch(node, args[0], text)
            return
        if last == "MockPatchObject" and func.startswith("fixtures.") and len(args) >= 2:
            self.add_object_patch(node, args[0], args[1], "mock", text)
            return
        if last == "object" and _is_patcher(head):
            if len(args) >= 2:
                self.add_object_patch(node, args[0], args[1], "mock", text)
            return
        if last == "multiple" and _is_patcher(head):
            if args:
                base = self._literal(args[0]) or self.dotted(args[0])
                names = [k.arg for k in node.keywords if k.arg and k.arg not in _NOT_TARGETS]
                if base is None:
                    self._unsettled(node, text)
                for name in names:
                    if base is not None:
                        self.add_patch(node, f"{base}.{name}", "mock", text)
            return
        if _is_patcher(func):
            target = args[0] if args else next((k.value for k in node.keywords if k.arg == "target"), None)
            if target is not None:
                self._string_patch(node, target, text)

    def _string_patch(self, node: ast.Call, target: ast.AST, text: str) -> None:
        value = self._literal(target)
        if value is None:
            self._unsettled(node, text)
        else:
            self.add_patch(node, value, "mock", text)

    def _unsettled(self, node: ast.Call, text: str) -> None:
        if self.libs:
            self.unsettled.append((node.lineno, text))

    def _dict_keys(self, node: ast.Call, index: int) -> List[Optional[str]]:
        keys: List[Optional[str]] = [k.arg for k in node.keywords if k.arg and k.arg != "clear"]
        if any(k.arg is None for k in node.keywords):
            keys.append(None)
        if len(node.args) > index:
            value = node.args[index]
            if isinstance(value, ast.Dict):
                keys += [self._literal(k) if k is not None else None for k in value.keys]
            else:
                keys.append(None)
        return keys


#: The last name of every call ``_call`` may record (others are skipped at once).
_INTERESTING_CALLS = frozenset({
    "install_cache", "enabled", "load_dotenv", "putenv", "unsetenv", "__setitem__", "__delitem__", "setdefault",
    "pop", "update", "clear", "setenv", "dict", "setattr", "delattr", "MockPatch", "MonkeyPatch",
    "MockPatchObject", "object", "multiple", "patch",
})


def _is_patcher(func: str) -> bool:
    if func in _PATCH_FUNCS:
        return True
    parts = func.split(".")
    return parts[-1] == "patch" and (
        "mock" in parts[:-1] or any(p in _MOCKER_NAMES for p in parts[:-1]) or func.endswith("mock.patch")
    )


def _call_text(func: str, node: ast.Call) -> str:
    first = node.args[0] if node.args else None
    shown = func.replace("unittest.mock.", "mock.")
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        inner = repr(first.value)
        if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
            inner += f", {node.args[1].value!r}"
    elif first is not None:
        try:
            inner = ast.unparse(first)
        except Exception:  # pragma: no cover - ast.unparse handles every expression ast made
            inner = "..."
        if len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
            inner += f", {node.args[1].value!r}"
    else:
        inner = ""
    if len(inner) > 80:
        inner = inner[:77] + "..."
    return f"{_short(shown)}({inner})"


def _short(name: str) -> str:
    return name.replace("unittest.mock.", "mock.")


def _package_of(modules: Sequence[str], where: str) -> str:
    """The package of a file, for relative imports: its longest dotted name minus the module
    (``__init__.py`` is the package itself)."""
    if not modules:
        return ""
    longest = modules[-1]
    if os.path.basename(where) == "__init__.py":
        return longest
    return longest.rsplit(".", 1)[0] if "." in longest else ""


# -- declared requirements -----------------------------------------------------------------

_REQUIREMENT_FILES = re.compile(r"^requirements.*\.(txt|in)$")


def read_bounds(directory: str) -> List[Bound]:
    """Declarations of requests/httpx in ``directory``'s pyproject.toml ([project] and
    poetry), setup.cfg, setup.py (literal lists) and requirements*.txt (also requirements/)."""
    out: List[Bound] = []

    def add(requirement: str, where: str) -> None:
        bound = _requirement(requirement)
        if bound is not None:
            out.append(Bound(directory, bound[0], bound[1], where))

    def shown(name: str) -> str:
        return display_path(os.path.join(directory, name))

    pyproject = os.path.join(directory, "pyproject.toml")
    if os.path.isfile(pyproject):
        for line, requirement in _pyproject_requirements(pyproject):
            add(requirement, f"{shown('pyproject.toml')}:{line}" if line else shown("pyproject.toml"))
    setup_cfg = os.path.join(directory, "setup.cfg")
    if os.path.isfile(setup_cfg):
        for requirement in _setup_cfg_requirements(setup_cfg):
            add(requirement, shown("setup.cfg"))
    setup_py = os.path.join(directory, "setup.py")
    if os.path.isfile(setup_py):
        for line, requirement in _setup_py_requirements(setup_py):
            add(requirement, f"{shown('setup.py')}:{line}")
    candidates = []
    try:
        candidates = [n for n in os.listdir(directory) if _REQUIREMENT_FILES.match(n)]
        sub = os.path.join(directory, "requirements")
        if os.path.isdir(sub):
            candidates += [os.path.join("requirements", n) for n in os.listdir(sub) if n.endswith((".txt", ".in"))]
    except OSError:
        pass
    for name in sorted(candidates):
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            continue
        for line, requirement in _requirements_txt(path):
            add(requirement, f"{shown(name)}:{line}")
    return out


def _requirement(text: str) -> Optional[Tuple[str, str]]:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        req = Requirement(text.strip())
    except InvalidRequirement:
        return None
    name = canonicalize_name(req.name)
    if name not in LIBRARIES:
        return None
    return name, str(req.specifier)


def _pyproject_requirements(path: str) -> List[Tuple[int, str]]:
    from ..config import tomllib

    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        data = tomllib.loads(raw.decode("utf-8"))
    except Exception:
        return []
    lines = raw.decode("utf-8", "replace").splitlines()

    def line_of(text: str) -> int:
        for i, line in enumerate(lines, 1):
            if text in line:
                return i
        return 0

    out: List[Tuple[int, str]] = []
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    groups = [project.get("dependencies")]
    optional = project.get("optional-dependencies")
    if isinstance(optional, dict):
        groups += list(optional.values())
    dep_groups = data.get("dependency-groups")
    if isinstance(dep_groups, dict):
        groups += list(dep_groups.values())
    for group in groups:
        if isinstance(group, list):
            out += [(line_of(r), r) for r in group if isinstance(r, str)]
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    tables = []
    if isinstance(poetry, dict):
        tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
        pgroups = poetry.get("group")
        if isinstance(pgroups, dict):
            tables += [g.get("dependencies") for g in pgroups.values() if isinstance(g, dict)]
    for table in tables:
        if not isinstance(table, dict):
            continue
        for name, value in table.items():
            if str(name).lower() not in LIBRARIES:
                continue
            for constraint in value if isinstance(value, list) else [value]:
                if isinstance(constraint, dict):
                    constraint = constraint.get("version", "*")
                if isinstance(constraint, str):
                    out.append((line_of(str(name)), f"{name}{poetry_specifier(constraint)}"))
    return out


def poetry_specifier(constraint: str) -> str:
    """Poetry's ``^2.32``, ``~2.32``, ``2.32.0``, ``*`` -> PEP 440."""
    out = []
    for part in re.split(r"\s*,\s*|\s+", constraint.strip()):
        if not part or part == "*":
            continue
        if part.startswith("^"):
            out.append(">=" + part[1:])
        elif part.startswith("~") and not part.startswith("~="):
            out.append(">=" + part[1:])
        elif re.match(r"^[0-9]", part):
            out.append("==" + part)
        else:
            out.append(part)
    return ",".join(out)


def _setup_cfg_requirements(path: str) -> List[str]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError, OSError):
        return []
    out = []
    if parser.has_option("options", "install_requires"):
        out += parser.get("options", "install_requires").splitlines()
    if parser.has_section("options.extras_require"):
        for _, value in parser.items("options.extras_require"):
            out += value.splitlines()
    return [line.strip() for line in out if line.strip() and not line.strip().startswith("#")]


def _setup_py_requirements(path: str) -> List[Tuple[int, str]]:
    try:
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    lists: Dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            lists[node.targets[0].id] = node.value
    out: List[Tuple[int, str]] = []

    def strings(node: Optional[ast.AST]) -> None:
        if isinstance(node, ast.Name) and node.id in lists:
            node = lists[node.id]
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            for el in node.elts:
                if isinstance(el, ast.Constant) and isinstance(el.value, str):
                    out.append((el.lineno, el.value))
        elif isinstance(node, ast.Dict):
            for value in node.values:
                strings(value)

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg in ("install_requires", "extras_require", "requires"):
                    strings(kw.value)
    return out


def _requirements_txt(path: str) -> List[Tuple[int, str]]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    out = []
    for number, line in enumerate(lines, 1):
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if not line or line.startswith("-"):
            continue
        line = line.split(" --", 1)[0].strip()  # --hash=...
        out.append((number, line))
    return out


def for_run(files: Sequence[str], roots: Sequence[str], excludes: Sequence[str] = ()) -> ProjectFacts:
    """The facts of the projects the run's files belong to. A project whose root lies above
    the run's roots (``http-codemods src/``, pre-commit naming single files) is walked too,
    with the same excludes: its tests patch the files the run rewrites."""
    from ..discover import discover

    finder = _ProjectFinder(roots)
    projects = {finder.project(_real(f)) for f in files}
    outside = sorted(p for p in projects if not any(_inside(p, r) for r in finder.roots))
    extra: List[str] = []
    if outside:
        extra = discover(outside, excludes).files
    seen: Set[str] = set()
    every = []
    for path in list(files) + extra:
        real = _real(path)
        if real not in seen:
            seen.add(real)
            every.append(path)
    return collect(every, list(roots) + outside)


def for_stdin(filename: Optional[str], excludes: Sequence[str] = ()) -> ProjectFacts:
    """The facts of the project around ``--stdin-filename``, or none without one."""
    if not filename:
        return EMPTY
    directory = os.path.dirname(_real(filename))
    if not os.path.isdir(directory):
        return EMPTY
    files = [filename] if os.path.isfile(filename) else []
    if not files:  # a new file: the project of its directory
        facts = for_run([os.path.join(directory, "__new__.py")], [directory], excludes)
        return facts
    return for_run(files, [directory], excludes)


