"""Byte-level screening, before any parse: whether a file is worth reading with ``ast`` at all
(``worth_parsing``: it names a patching helper, ``requests_cache``, a library attribute
assignment or an ``os.environ`` write), which lines are worth a full look
(``candidate_lines``), which libraries it names, and which modules its import statements name
(``imported_modules``, with the bodies of ``if TYPE_CHECKING:`` blocks left out), read from the
bytes since every discovered file needs them and most are never parsed.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from typing import List, Set, Tuple

from .model import PATCHED_MODULES

#: The libraries and their drop-ins (``niquests``, ``httpx2``), as the bytes spell them.
_LIBRARY_NAMES = tuple(name.encode() for name in PATCHED_MODULES)
_LIBRARY_DOTS = tuple(name + b"." for name in _LIBRARY_NAMES)

#: A file is read with ast only if it names one of these (bytes, case-sensitive; substring
#: tests first, they are much faster than a regex over every file).
_SCREEN_WORDS = (
    b"patch(",
    b"patch.",
    b"Patch",
    b"monkeypatch",
    b"setattr",
    b"requests_cache",
    b"setenv",
    b"putenv",
    b"dotenv",
    b".return_value",  # a test that sets a fixture's mock's result (``visitor.chosen_results``)
    b".side_effect",
    b".close.",  # a test that counts the calls of a mock's close() (``standins.close_checks``)
)
_SCREEN_MORE = re.compile(
    rb"environ\s*\[[^\]\n]*\]\s*=[^=]|environ\.(?:update|setdefault|pop|clear|__setitem__|__delitem__)"
    rb"|(?:" + b"|".join(_LIBRARY_NAMES) + rb")(?:\.\w+)+\s*=[^=]"
)


def worth_parsing(data: bytes) -> bool:
    if any(word in data for word in _SCREEN_WORDS):
        return True
    if b"environ" in data or any(dot in data for dot in _LIBRARY_DOTS):
        return _SCREEN_MORE.search(data) is not None
    return False


#: ``\b(requests|httpx|niquests|httpx2)\b``, written with the literal first (the same matches,
#: faster: the regex engine skips to each literal instead of trying a word boundary at every
#: position).
_LIBRARY_WORD = re.compile(b"(" + b"|".join(rb"%s(?<=\b%s)" % (name, name) for name in _LIBRARY_NAMES) + rb")\b")
#: Lines worth a full look: the statements that hold none are not walked (only their nested
#: statements, for imports), which keeps the pass cheap on large test files.
_LINE_WORDS = re.compile(
    rb"mock|Mock|patch|Patch|setattr|delattr|" + b"|".join(_LIBRARY_NAMES) + rb"|env|install_cache|enabled"
)


#: One import statement (a backslash continues a line: ``from a import b, \\`` then ``c``).
#: An import statement (a parenthesised list may hold comments, and a ``)`` in one of them,
#: ``# noqa: F401 (re-exported)``, does not end the list).
_IMPORT_LINE = re.compile(
    rb"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]*(\((?:[^)#]|#[^\n]*)*\)|(?:[^\n#;\\]|\\\r?\n|\\)*)"
    rb"|import[ \t]+((?:[^\n#;\\]|\\\r?\n|\\)+))",
    re.M,
)


_DYNAMIC_IMPORT = re.compile(
    rb"\bimport_module\s*\(|\b__import__\s*\(|^(?:async[ \t]+)?def[ \t]+__getattr__\s*\(", re.M
)
#: A literal each alternative of ``_DYNAMIC_IMPORT`` needs: substring tests first (the regex,
#: with its ``^`` tried at every line, cost ~4 s of CPU over the corpus' 16,938 files).
_DYNAMIC_WORDS = (b"import_module", b"__import__", b"__getattr__")


def _dynamic(data: bytes) -> bool:
    """Whether the file imports by name: ``_DYNAMIC_IMPORT.search(data) is not None``."""
    return any(word in data for word in _DYNAMIC_WORDS) and _DYNAMIC_IMPORT.search(data) is not None


_DOTTED_STRING = re.compile(rb"""['"](\.*[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)['"]""")


def _dynamic_names(data: bytes, package: str) -> Set[str]:
    """What a module importing by name may load: every dotted string it holds (relative ones
    against ``package``) and every module of its package."""
    out: Set[str] = set()
    for match in _DOTTED_STRING.finditer(data):
        name = match.group(1).decode("ascii", "replace")
        level = len(name) - len(name.lstrip("."))
        if level:
            base = package.split(".") if package else []
            keep = len(base) - (level - 1)
            if keep <= 0:
                continue
            name = ".".join(base[:keep] + [name[level:]])
        elif "." not in name:
            continue
        out.add(name)
    if package and not any(name.startswith(package + ".") for name in out):
        out.add(f"{package}.*")  # names it builds: any module of its package
    return out


#: Marks a lazy name in ``imported_modules``' answer.
LAZY = "~"


def _names_of(match: "re.Match[bytes]", package: str) -> Set[str]:
    """The dotted names one import statement names (relative ones against ``package``).
    ``from a import b``: ``a.b`` only (``a`` runs as the package of ``a.b``, which may be a
    submodule or an attribute: ``ProjectFacts.reachable`` tells); ``from a import *``: ``a``,
    imported by its own name (the star reads every public name, lazy ones included)."""
    out: Set[str] = set()
    source, names, plain = match.groups()
    if plain is not None:
        for part in plain.decode("utf-8", "replace").replace("\\", " ").split(","):
            name = part.strip().split(" ")[0].strip("() \t\r\n")
            if name:
                out.add(name)
        return out
    module = source.decode("utf-8", "replace")
    level = len(module) - len(module.lstrip("."))
    module = module[level:]
    if level:
        base = package.split(".") if package else []
        keep = len(base) - (level - 1)
        if keep < 0:
            return out
        module = ".".join(base[:keep] + ([module] if module else []))
    for part in _listed(names):
        name = part[0]
        if name == "*" and module:
            out.add(module)
        elif name and name.isidentifier():
            out.add(f"{module}.{name}" if module else name)
    if module and not out:  # a list the screen cannot read: the module itself runs
        out.add(module)
    return out


def _listed(names: bytes) -> List[List[str]]:
    """The words of each name a from-import lists (``X``, ``X as Y``), comments left out (a
    parenthesised list may hold ``# noqa`` after any name)."""
    text = re.sub(r"#[^\n]*", "", names.decode("utf-8", "replace")).strip().strip("()").replace("\\", " ")
    return [part.split() for part in text.split(",") if part.split()]


#: Marks an attribute a lazy module loads by name: ``@Name=pkg.mod`` (from ``if TYPE_CHECKING:
#: from pkg.mod import Name``, an import of it inside a function, or a ``"Name": "pkg.mod"``
#: table entry). ``from pkg import Name`` then reaches ``pkg.mod`` only.
ATTRIBUTE = "@"
_PAIR = re.compile(rb"""['"]([A-Za-z_]\w*)['"]\s*:\s*['"](\.*[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)['"]""")
_FAR_END = 1 << 62  # ``_string_spans``: no limit

#: Tokens that may hold an import-looking line which never runs: comments and strings (the
#: leftmost match wins, so a quote inside a comment or a ``#`` inside a string is consumed).
#: A string's prefix (``r"""``, ``b'``) is left out of its match: the tokens end where they
#: did, and every alternative then starts with ``#`` or a quote, which the regex engine skips
#: to (with the optional prefix first it tried every position: ~2x slower). A match starts one
#: or two bytes later than the token, never at a line's start an import statement takes.
_NOT_CODE = re.compile(
    rb"#[^\n]*"
    rb'|"""(?:\\.|[^\\])*?"""'
    rb"|\'\'\'(?:\\.|[^\\])*?\'\'\'"
    rb'|"(?:\\.|[^"\\\n])*"'
    rb"|'(?:\\.|[^'\\\n])*'",
    re.S,
)


def _string_spans(data: bytes, upto: int = _FAR_END) -> List[Tuple[int, int]]:
    """Byte ranges of the triple-quoted strings (docstrings: their example imports never run);
    only those can hold a line that starts like an import statement. Those starting after
    ``upto`` are left out (the scan stops there: ``imported_modules`` asks about positions up
    to its last import statement only)."""
    if b'"""' not in data and b"'''" not in data:
        return []
    out = []
    for match in _NOT_CODE.finditer(data):
        if match.start() > upto:
            break
        if match.group().endswith((b'"""', b"'''")):
            out.append(match.span())
    return out


def _inside_any(pos: int, spans: List[Tuple[int, int]]) -> bool:
    """Whether ``pos`` lies in one of the sorted, disjoint ``spans``."""
    i = bisect.bisect_right(spans, (pos, _FAR)) - 1
    return i >= 0 and spans[i][0] <= pos < spans[i][1]


_FAR = 1 << 62


def _attributes(data: bytes, package: str, lazy_spans: List[Tuple[int, int]]) -> Set[str]:
    """``@Name=module`` entries of a lazy module: its table pairs and the from-imports that
    only run when asked (``if TYPE_CHECKING:`` bodies and function bodies)."""
    out: Set[str] = set()
    for match in _PAIR.finditer(data):
        name, module = match.group(1).decode(), match.group(2).decode("ascii", "replace")
        level = len(module) - len(module.lstrip("."))
        if level:
            base = package.split(".") if package else []
            keep = len(base) - (level - 1)
            if keep <= 0:
                continue
            module = ".".join(base[:keep] + [module[level:]])
        out.add(f"{ATTRIBUTE}{name}={module}")
    for match in _IMPORT_LINE.finditer(data):
        source, names, _ = match.groups()
        if source is None or not _inside_any(match.start(), lazy_spans):
            continue
        module = next(iter(_names_of(match, package)), "").rpartition(".")[0]
        if not module:
            continue
        for bits in _listed(names):
            if bits[-1].isidentifier():  # ``X`` or ``X as Y``: the package's name
                out.add(f"{ATTRIBUTE}{bits[-1]}={module}")
    return out


def imported_modules(data: bytes, package: str) -> Tuple[str, ...]:
    """The dotted names a file's import statements name (``from a import b``: ``a.b``, which
    may be a submodule), relative ones resolved against ``package``. Read from the bytes; lines
    inside triple-quoted strings (docstring examples) are not statements and do not count."""
    out: Set[str] = set()
    dynamic = _dynamic(data)
    # A module that imports by name (a module-level ``__getattr__``, ``importlib.import_module``)
    # loads at run time what it names under ``if TYPE_CHECKING:`` (langchain's lazy packages),
    # in its dotted strings and, for a name it builds, any module of its package (``pkg.*``).
    # Those are *lazy* names (``LAZY`` first): importing a submodule runs the package's
    # ``__init__`` but never its ``__getattr__``, so ``ProjectFacts.reachable`` follows them only
    # from a module imported by its own name (``import pkg``), and for ``from pkg import X`` only
    # the modules that ``@X=...`` names (every lazy name when X has none).
    blocks = _type_checking_blocks(data) if b"TYPE_CHECKING" in data else []
    matches = list(_IMPORT_LINE.finditer(data))
    strings = _string_spans(data, matches[-1].start()) if matches else []
    lazy_package = dynamic and _LAZY_GETATTR.search(data) is not None
    functions = _blocks(_DEF, data) if lazy_package else []
    lazy_spans = sorted(blocks + functions)
    if dynamic:
        out.update(LAZY + name for name in _dynamic_names(data, package))
    for match in matches:
        if strings and _inside_any(match.start(), strings):
            continue
        lazy = bool(blocks) and _inside_any(match.start(), sorted(blocks))
        if lazy and not dynamic:
            continue  # ``if TYPE_CHECKING:`` imports never run
        # a lazy package's functions run when its ``__getattr__`` asks (llms' ``_import_x()``)
        lazy = lazy or (bool(functions) and _inside_any(match.start(), functions))
        found = _names_of(match, package)
        out.update(LAZY + name for name in found) if lazy else out.update(found)
    if lazy_package:
        out.update(_attributes(data, package, lazy_spans))
    return tuple(
        sorted(
            n
            for n in out
            if n.startswith(ATTRIBUTE) or all(p.isidentifier() or p == "*" for p in n.lstrip(LAZY).split("."))
        )
    )


#: A module-level ``__getattr__``: the module loads names when asked (a lazy package).
_LAZY_GETATTR = re.compile(rb"^(?:async[ \t]+)?def[ \t]+__getattr__\s*\(", re.M)
_DEF = re.compile(rb"^([ \t]*)(?:async[ \t]+)?def[ \t][^\n]*:[ \t]*(?:#[^\n]*)?\n", re.M)


_TYPE_CHECKING = re.compile(rb"^([ \t]*)if[ \t]+(?:typing\.)?TYPE_CHECKING[ \t]*:[ \t]*(?:#[^\n]*)?\n", re.M)


def _type_checking_blocks(data: bytes) -> List[Tuple[int, int]]:
    """Byte ranges of the bodies of ``if TYPE_CHECKING:`` blocks (up to the first line
    indented no deeper than the ``if``; an ``else:`` body is not part of it)."""
    return _blocks(_TYPE_CHECKING, data)


def _blocks(header: "re.Pattern[bytes]", data: bytes) -> List[Tuple[int, int]]:
    """Byte ranges of the bodies of the blocks whose one-line header ``header`` matches (group
    1: its indentation), up to the first line indented no deeper."""
    blocks = []
    for match in header.finditer(data):
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


_DEF_NAME = re.compile(rb"def(?<=\bdef)[ \t]+(\w+)")  # in a string or comment too: only ever more
#: A private name bound otherwise than by ``def``: ``_x = ``/``_x: T = `` (a local variable, a
#: class attribute, ``obj._x = ``), ``setattr(obj, "_x", ...)``, a mock (``patch.object(C,
#: "_x")``, ``patch("pkg.mod.C._x")``: a ``MagicMock`` keeps its arguments in ``call_args``);
#: any dotted string ending in it counts too. Cheap, and only ever makes the closing codemods
#: read fewer methods. Several simple patterns: a regex each is faster than one alternation.
_PRIVATE_ASSIGN = re.compile(rb"(_(?<=\b_)\w+)[ \t]*(?::[^=\n]*)?=(?!=)")
_PRIVATE_NAMED = re.compile(rb"(?:setattr|\.object)\([^,\n]*,[ \t]*['\"](_\w+)['\"]")
_PRIVATE_DOTTED = re.compile(rb"\.(_\w+)['\"]")
#: Any name stored as an attribute (``util.check = util.keep``, ``Api.get = fake``): a ``def``
#: of that name may be replaced from outside its module (review of the change: a module
#: function rebound by another module was read as the function called).
_ATTRIBUTE_STORE = re.compile(rb"\.(\w+)[ \t]*=(?!=)")
#: Any name a ``setattr``/``patch.object`` call or a mock's dotted target string names
#: (``monkeypatch.setattr(util, "check", fake)``, ``patch("pkg.util.check")``): with
#: ``_ATTRIBUTE_STORE``, what may replace a module-level ``def`` or ``class`` from outside
#: (``STORED``).
_NAMED = re.compile(rb"(?:setattr|\.object)\([^,\n]*,[ \t]*['\"](\w+)['\"]")
_DOTTED = re.compile(rb"\.(\w+)['\"]")
#: The prefix of a ``member_names`` entry saying that the name may be stored as an attribute
#: (or replaced by a mock) somewhere: ``(".check", 2)``. A module-level function is rebound
#: only that way; another ``def`` of its name (a method of some class) does not rebind it.
STORED = "."
#: The prefix of a ``member_names`` entry saying that a class of that name may have a subclass
#: in the project: the name is a word of some ``class`` statement's bases (``class D(C)``,
#: ``class D(mod.C, metaclass=M)``: every word up to the colon), the bare value an assignment
#: ends its line with (``Alias = C``, ``Alias = mod.C``: the alias may be subclassed), or a word of
#: a line calling ``type(`` or ``new_class(`` (a class made at run time). ``("(C", 2)``: read
#: only as "maybe"; ``ProjectFacts.subclassed``. Bases that are computed (``ANY_CLASS``) may be
#: any class.
SUBCLASSED = "("
#: The name ``subclass_names`` gives when a class statement's bases are computed (a call, a
#: ``*`` argument): any class may be derived from.
ANY_CLASS = b"*"
_CLASS_BASES = re.compile(rb"class(?<=\bclass)[ \t]+\w+[ \t]*\(([^:]*)")
_ALIAS = re.compile(rb"=(?<![=!<>]=)(?!=)[ \t]*((?:\w+[ \t]*\.[ \t]*)*\w+)[ \t]*(?:#[^\n]*)?$", re.M)
_DYNAMIC_CLASS = re.compile(rb"type(?<=\btype)[ \t]*\([^\n]*")  # the literal first: fast
_NEW_CLASS = re.compile(rb"new_class[ \t]*\([^\n]*")
_WORD = re.compile(rb"[A-Za-z_]\w*")


def member_names(data: bytes) -> Tuple[Tuple[str, int], ...]:
    """(name, how many times it is bound) for every name a ``def`` binds, every private name
    bound otherwise and every name stored as an attribute (``facts.model.ProjectFacts.members``);
    from the bytes, never parsed. Such a store counts twice: bound more than once, whatever else.
    A name stored as an attribute or named by ``setattr``/a mock also gets a ``STORED`` entry
    (``ProjectFacts.never_replaced``)."""
    counts = Counter(_DEF_NAME.findall(data))
    stored = set(_ATTRIBUTE_STORE.findall(data)) if b"=" in data else set()
    if b"_" in data:
        again = _PRIVATE_ASSIGN.findall(data) + _PRIVATE_DOTTED.findall(data)
        if b"setattr" in data or b".object(" in data:
            again += _PRIVATE_NAMED.findall(data)
        stored.update(again)
    for name in stored:
        counts[name] += 2
    if b"=" in data or b"'" in data or b'"' in data:
        replaced = set(_ATTRIBUTE_STORE.findall(data)) if b"=" in data else set()
        if b"setattr" in data or b".object(" in data:
            replaced.update(_NAMED.findall(data))
        replaced.update(_DOTTED.findall(data))
        for name in replaced:
            counts[STORED.encode() + name] = 2
    prefix = SUBCLASSED.encode()
    for name in subclass_names(data):
        counts[prefix + name] = 2
    return tuple(sorted((name.decode("ascii", "replace"), count) for name, count in counts.items()))


def _computed_bases(text: bytes) -> bool:
    """``text`` (what follows a ``class X(`` up to the next colon) is a class header's bases,
    closed by a ``)`` that only whitespace follows, and they hold a call or a ``*`` argument. A
    ``class S() {`` of another language in a string is no header."""
    depth, computed, index = 1, False, 0
    while index < len(text):
        char = text[index : index + 1]
        if char == b"(":
            depth += 1
            computed = True
        elif char == b")":
            depth -= 1
            if depth == 0:
                return computed and not text[index + 1 :].strip()
        elif char == b"*" and depth == 1:
            if text[index + 1 : index + 2] == b"*":
                index += 1  # ``**options``: keywords for the metaclass
            else:
                computed = True
        index += 1
    return False


def subclass_names(data: bytes) -> Set[bytes]:
    """The names a class of which may be subclassed by this file (``SUBCLASSED``)."""
    found: Set[bytes] = set()
    if b"class" in data:
        for bases in _CLASS_BASES.findall(data):
            found.update(_WORD.findall(bases))
            if _computed_bases(bases):
                found.add(ANY_CLASS)  # ``class D(make_base())``, ``class D(*bases)``: any class
    if b"=" in data:
        for value in _ALIAS.findall(data):
            found.add(value.rpartition(b".")[2].strip())
    if b"type" in data:
        for line in _DYNAMIC_CLASS.findall(data):
            found.update(_WORD.findall(line))
    if b"new_class" in data:
        for line in _NEW_CLASS.findall(data):
            found.update(_WORD.findall(line))
    return found
