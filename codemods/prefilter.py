"""Decide, before any libcst parse, whether a file can hold a target at all.

Two stages, each a sound over-approximation of what a codemod could touch:

1. **Bytes.** A target needs an HTTP library (or a client the configuration names) to be
   imported by name, so a file whose bytes hold no ``import``/``from`` naming one (and none of
   the configured words) is skipped.
2. **Python's ``ast``** (about ten times cheaper than a libcst parse with metadata). Codemods
   find their targets through libcst's ``QualifiedNameProvider`` (see ``calls.py``), which only
   resolves names bound by ``import`` statements. This stage mirrors that resolution without
   scopes: it collects every name any import in the file binds (at any depth, any alias),
   follows attribute chains from those names, and keeps the file only if some chain names a
   target (``requests.get``, ``httpx.Client``, ``urllib.request.urlopen``, a client class used
   as an annotation, ... : ``TARGET_NAMES``, built from ``calls.py``'s tables), or the file
   star-imports an HTTP library (``share-session`` reports those). Ignoring scopes only adds
   candidates (a shadowed name still counts), never removes one.

   ``ast`` knows only the running interpreter's grammar: when it cannot parse a file (3.12+
   syntax on 3.11, a NUL byte, a bad encoding, nesting too deep, ...) the file goes on to
   libcst, which reads every version and gives the real error if there is one. So this stage
   never turns a file into an error and never skips a file libcst could change.
   ``tests/test_properties.py`` checks the soundness claim: files this stage rejects produce
   no site and no change when forced through every codemod.
"""

from __future__ import annotations

import ast
import gc
import re
import warnings
from functools import lru_cache
from typing import Any, Dict, FrozenSet, Iterable, Iterator, List, NamedTuple, Optional, Pattern, Set, Tuple

from .call_names import (
    _ALIASES,
    AIOHTTP_VERBS,
    CLIENT_CLASSES,
    CLIENT_CONSTRUCTORS,
    DROP_INS,
    HTTPX_VERBS,
    LIBRARIES,
    MODULE_FUNCTIONS,
    normalise,
)
from .spec import ALL_KINDS, Kind

LIBRARY_WORDS = ("requests", "httpx", "aiohttp", "urllib3", "urllib") + tuple(DROP_INS)

#: Every qualified name (normalised as ``calls.normalise`` does) a codemod can act on.
TARGET_NAMES: FrozenSet[str] = frozenset(
    set(MODULE_FUNCTIONS)
    | set(CLIENT_CONSTRUCTORS)
    | set(CLIENT_CLASSES)
    | {"urllib.request.urlopen", "urllib.request.build_opener"}
)

#: Stage counters for this process (the benchmark and tests read them).
STATS = {"bytes_rejected": 0, "ast_rejected": 0, "ast_failed": 0, "candidates": 0, "no_site": 0}


_LIBRARY = rb"(?:" + b"|".join(w.encode() for w in sorted(LIBRARY_WORDS, key=len, reverse=True)) + rb")\b"
_CONTINUATION = rb"\\(?:\r\n|\r|\n)"
_SPACE = rb"(?:[ \t\f]|" + _CONTINUATION + rb")"
#: ``import a, requests.x`` (across backslash continuations): binds a library name.
#: (``import(?<=\bimport)``: ``\bimport``, literal first so the regex engine skips to it.)
_IMPORT = re.compile(rb"import(?<=\bimport)\b(?:[^\r\n#;\\]|" + _CONTINUATION + rb")*?\b" + _LIBRARY)
#: ``from <library module> import ...``: group 1 the module, group 2 a star.
_FROM = re.compile(
    rb"from(?<=\bfrom)"
    + _SPACE
    + rb"+("
    + _LIBRARY
    + rb"(?:"
    + _SPACE
    + rb"*\."
    + _SPACE
    + rb"*\w+)*)"
    + _SPACE
    + rb"+import\b"
    + _SPACE
    + rb"*(\*)?"
)


#: The name of the module share-session's ``package`` strategy generates in each package
#: (``share.package_client.MODULE_BASE``; ``_http_client_1``... when that name is taken). A
#: module that imports from it uses a known client (``share/shared_import.py``): that import is
#: a mention of an HTTP library, and the file is a candidate.
GENERATED_WORD = b"_http_client"
_GENERATED = re.compile(
    rb"from(?<=\bfrom)"
    + _SPACE
    + rb"+(?:[\w.]|"
    + _SPACE
    + rb")*?(?<!\w)_http_client(?:_\d+)?"
    + _SPACE
    + rb"+import\b"
)
_GENERATED_MODULE = re.compile(r"_http_client(?:_\d+)?\Z")


def imports_generated(data: bytes) -> bool:
    """Whether the bytes may hold ``from <...>_http_client import ...`` (a match in a string or
    a comment only costs the next stage)."""
    return GENERATED_WORD in data and _GENERATED.search(data) is not None


def generated_module(node: ast.AST) -> bool:
    """``node`` is ``from <...>._http_client import ...`` (relative or not)."""
    if not isinstance(node, ast.ImportFrom) or not node.module:
        return False
    return _GENERATED_MODULE.match(node.module.rsplit(".", 1)[-1]) is not None


def _raw_targets() -> FrozenSet[str]:
    """Every spelling of a target before ``calls.normalise`` (``requests.api.get``, ...)."""
    raw = set(TARGET_NAMES)
    for alias, meaning in _ALIASES.items():
        if alias.endswith("."):
            raw |= {alias + name[len(meaning) :] for name in TARGET_NAMES if name.startswith(meaning)}
        else:
            raw.add(alias)
    for drop_in, library in DROP_INS.items():  # niquests.get, niquests.api.get, ...
        raw |= {drop_in + name[len(library) :] for name in list(raw) if name.split(".", 1)[0] == library}
    return frozenset(raw)


#: Modules a ``from ... import`` can bind a target (or a path to one) from: every proper
#: prefix of a target's spelling. ``from urllib.parse import quote`` or
#: ``from requests.exceptions import HTTPError`` bind nothing a codemod acts on.
_TARGET_MODULES = frozenset(
    ".".join(parts[:i]) for parts in (t.split(".") for t in _raw_targets()) for i in range(1, len(parts))
)


def _imports_a_target(data: bytes) -> bool:
    """An import that can bind a target: ``import <library>...`` (binds the library's name,
    from which any target is reachable), or ``from <module> import`` where a target lives
    under the module (or ``*``). Sound over-approximation of stage 2's import analysis; a
    match in a string or comment only costs the next stage."""
    if _IMPORT.search(data) is not None or imports_generated(data):
        return True
    for match in _FROM.finditer(data):
        module = re.sub(rb"[\s\\]", b"", match.group(1)).decode("ascii", "replace")
        if match.group(2) or module in _TARGET_MODULES:
            return True
    return False


#: The last answer of ``might_contain_target``: [the bytes object, the extra words, the answer].
#: A cached run asks it of the same bytes twice in a row (``engine._process_cached``, then
#: ``screen``); the object is held, so an identical ``id`` is the same bytes.
_LAST: List[Any] = [None, (), False]


def might_contain_target(data: bytes, extra_words: Iterable[str] = ()) -> bool:
    """Stage 1: do the bytes import an HTTP library (or name a configured word) at all?"""
    extra = tuple(sorted(set(extra_words)))
    last = _LAST
    if last[0] is data and last[1] == extra:
        return last[2]
    found = _imports_a_target(data) or (bool(extra) and _extra_pattern(extra).search(data) is not None)
    if type(data) is bytes:  # immutable: the same object, the same answer
        _LAST[:] = [data, extra, found]
    return found


def _is_library_module(module: str) -> bool:
    return module.split(".", 1)[0] in LIBRARIES


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def _statements(tree: ast.AST):
    """Every statement, at any depth (imports are statements: no need to walk expressions)."""
    stack = list(getattr(tree, "body", ()))
    while stack:
        node = stack.pop()
        yield node
        for name in _BLOCKS:
            block = getattr(node, name, None)
            if block:
                stack.extend(block)


def import_bindings(node: ast.AST) -> Iterator[Tuple[str, str, str]]:
    """``(local name, qualified name, module imported)`` for each name an ``import`` or an
    absolute ``from ... import`` binds, as libcst qualifies it (``import a.b`` binds ``a`` to
    ``a``; ``import a.b as c``, ``c`` to ``a.b``; ``from a import b as c``, ``c`` to ``a.b``).
    Star and relative imports bind nothing here. The prefilter and pruning (``prune.py``)
    both read imports through this."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                yield alias.asname, alias.name, alias.name
            else:
                top = alias.name.split(".", 1)[0]
                yield top, top, alias.name
    elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
        for alias in node.names:
            if alias.name != "*":
                yield alias.asname or alias.name, f"{node.module}.{alias.name}", node.module


def _bindings(tree: ast.AST) -> Tuple[Dict[str, Set[str]], bool, bool]:
    """Local name -> the qualified names imports of an HTTP library bind it to, whether the
    file star-imports one, and whether it imports from a generated client module."""
    bound: Dict[str, Set[str]] = {}
    star = generated = False
    for node in _statements(tree):
        generated = generated or generated_module(node)
        for local, qualified, module in import_bindings(node):
            if _is_library_module(module):
                bound.setdefault(local, set()).add(qualified)
        if isinstance(node, ast.ImportFrom) and not node.level and node.module and _is_library_module(node.module):
            star = star or any(alias.name == "*" for alias in node.names)
    return bound, star, generated


def walk(root: ast.AST) -> List[ast.AST]:
    """Every node under ``root`` (itself included), in exactly ``ast.walk``'s order (breadth
    first, children in field order), as a list: about three times cheaper than ``ast.walk``'s
    generators, which were a tenth of a worker's time on the corpus (every screened file is
    walked twice, and pruning walks each function)."""
    nodes = [root]
    append, node_type, list_type = nodes.append, ast.AST, list
    for node in nodes:  # grows while it is read: a queue, as ``ast.walk``'s deque
        for name in node._fields:
            value = getattr(node, name, None)
            if value.__class__ is list_type:
                for item in value:
                    if isinstance(item, node_type):
                        append(item)
            elif isinstance(value, node_type):
                append(value)
    return nodes


#: The last tree ``nodes_of`` walked and its nodes: the screen asks for both stages' walks of
#: the same tree in a row (``kinds_in``, then ``possible_sites``). The tree is held, so an
#: identical object is the same tree (trees are not changed after parsing here).
_LAST_WALK: List[Any] = [None, []]


def nodes_of(tree: ast.AST) -> List[ast.AST]:
    """``walk(tree)``, computed once for the last tree asked about."""
    if _LAST_WALK[0] is not tree:
        _LAST_WALK[:] = [tree, walk(tree)]
    return _LAST_WALK[1]


def _dotted(node: ast.AST) -> Optional[Tuple[str, str]]:
    """``a.b.c`` -> ("a", "b.c"); ``a`` -> ("a", ""); anything else -> None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return node.id, ".".join(reversed(parts))


def _kind(name: str) -> Optional[Kind]:
    name = normalise(name)
    if name in MODULE_FUNCTIONS:
        return Kind.FUNCTION
    if name in CLIENT_CONSTRUCTORS:
        return Kind.CONSTRUCTOR
    if name in CLIENT_CLASSES:
        return Kind.CLASS
    if name in ("urllib.request.urlopen", "urllib.request.build_opener"):
        return Kind.URLOPEN  # an opener's ``open(...)`` is a response like ``urlopen``'s
    return None


def _target_kinds(tree: ast.AST, bound: Dict[str, Set[str]]) -> Set[str]:
    kinds: Set[str] = set()
    attribute, name = ast.Attribute, ast.Name
    for node in nodes_of(tree):
        kind_of_node = type(node)
        if kind_of_node is attribute:
            found = _dotted(node)
            if found is None or found[0] not in bound:
                continue
            root, rest = found
            for qualified in bound[root]:
                kind = _kind(f"{qualified}.{rest}")
                if kind:
                    kinds.add(kind)
        elif kind_of_node is name and node.id in bound:
            for qualified in bound[node.id]:
                kind = _kind(qualified)
                if kind:
                    kinds.add(kind)
    return kinds


def needs(codemod: str) -> FrozenSet[str]:
    """The kinds of target name (``TARGET_NAMES`` split by ``calls.HttpCall.kind``, plus star
    imports) ``codemod`` can act on: its ``TARGETS.kinds`` (``spec.py``)."""
    from .registry import BY_NAME  # the registry imports every codemod, which import us

    cls = BY_NAME.get(codemod)
    return cls.TARGETS.kinds if cls is not None else ALL_KINDS


def parse_ast(data: bytes) -> Optional[ast.Module]:
    """Python's ast of ``data``, or ``None`` when this interpreter cannot parse it.

    The cyclic garbage collector is off while it parses: a tree holds no reference cycles (its
    nodes are freed by reference counting), but its hundreds of thousands of new objects set
    off collections that each walk a worker's whole heap (its facts, libcst), for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(data)
    except BaseException as exc:  # SyntaxError, ValueError (NUL), RecursionError, MemoryError
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        STATS["ast_failed"] += 1
        return None
    finally:
        if enabled:
            gc.enable()


def kinds_in(tree: ast.Module) -> Optional[FrozenSet[str]]:
    try:
        bound, star, generated = _bindings(tree)
        kinds = _target_kinds(tree, bound) if bound else set()
        if star:
            kinds.add(Kind.STAR)
        if generated:  # a client of the package's generated module: a made client, for the codemods
            kinds.add(Kind.CONSTRUCTOR)
        return frozenset(kinds)
    except RecursionError:
        return None


def target_kinds(data: bytes) -> Optional[FrozenSet[str]]:
    """The kinds of target name the file uses (empty: none), or ``None`` when ``ast`` cannot
    tell (it could not parse the file): then every codemod must look."""
    tree = parse_ast(data)
    return None if tree is None else kinds_in(tree)


def relevant(codemod: str, kinds: Optional[FrozenSet[str]]) -> bool:
    """Can ``codemod`` act on a file using these kinds of target name?"""
    if kinds is None:
        return True
    return bool(kinds & needs(codemod))


# libcst's native parser overflows the C stack (a segfault, which would kill the whole run)
# somewhere between 1,000 and 2,000 nested brackets and 5,000 to 20,000 chained unary
# operators. Python's own parser refuses much less (200 brackets), so only a file ``ast``
# could not parse needs this check before libcst sees it.
MAX_BRACKET_DEPTH = 1000
_UNARY_RUN = re.compile(rb"(?:[-+~][ \t]*){5000,}|(?:\bnot\s+){2000,}")


def too_deep(data: bytes) -> Optional[str]:
    """Why libcst must not be given this file (it could crash the process), or ``None``."""
    if data.count(b"(") + data.count(b"[") + data.count(b"{") > MAX_BRACKET_DEPTH:
        depth = deepest = 0
        for match in re.finditer(rb"[\[\](){}]", data):
            if match.group() in b"([{":
                depth += 1
                if depth > deepest:
                    deepest = depth
            elif depth:
                depth -= 1
        if deepest > MAX_BRACKET_DEPTH:
            return f"nesting too deep ({deepest} levels of brackets)"
    if _UNARY_RUN.search(data):
        return "nesting too deep (a chain of thousands of unary operators)"
    return None


class Verdict(NamedTuple):
    candidate: bool
    #: Kinds of target name present (see ``target_kinds``); ``None``: unknown, run everything.
    kinds: Optional[FrozenSet[str]] = None
    #: Set when the file must not reach libcst's parser (see ``too_deep``).
    danger: Optional[str] = None
    #: Python's ast of the file, when the ``ast`` stage parsed it (``prune.py`` reuses it).
    tree: Optional[ast.Module] = None


def screen(
    data: bytes,
    extra_words: Iterable[str] = (),
    codemods: Optional[Iterable[str]] = None,
    factories: Iterable[str] = (),
    reach: Optional["FactoryReach"] = None,
) -> Verdict:
    """Both stages. A configured extra word (``--client``) disables the ``ast`` stage for files
    that contain it: what such a client makes a target is the codemod's business. With
    ``codemods`` (the selected ones), a file the ``ast`` stage passes is rejected too when none
    of them can find a target in it (``possible_sites``; ``factories``: the names of the
    project facts' response factories, which close-response calls targets). ``reach``: which
    of ``extra_words`` are the names of the file's project's factories (``engine.words_for``),
    with what a call of one needs: a file that cannot reach one is screened as if it named
    none."""
    extra = tuple(sorted(set(extra_words)))
    if not might_contain_target(data, extra):
        STATS["bytes_rejected"] += 1
        return Verdict(False)
    tree: Optional[ast.Module] = None
    if extra and _extra_pattern(extra).search(data):
        configured = tuple(w for w in extra if reach is None or w not in reach.words)
        if reach is None or (configured and _extra_pattern(configured).search(data)):
            STATS["candidates"] += 1
            return Verdict(True, None, too_deep(data))
        # Only factory names: a call can reach a factory only through an import of it or of
        # its module, or in the factory's own module (``reaches_factory``).
        tree = parse_ast(data)
        if tree is None or reaches_factory(tree, reach):
            # Every codemod runs on it (``kinds`` unknown), but none finds a target in a
            # file where no node meets the syntactic conditions of its targets (the rules of
            # ``possible_sites``; a factory's call is close-response's through ``factories``).
            if tree is not None and codemods is not None and not possible_sites(tree, None, codemods, factories):
                STATS["no_site"] += 1
                return Verdict(False)
            STATS["candidates"] += 1
            return Verdict(True, None, too_deep(data))
    if tree is None:
        tree = parse_ast(data)
    kinds = None if tree is None else kinds_in(tree)
    if kinds is None:
        STATS["candidates"] += 1
        return Verdict(True, None, too_deep(data))
    if kinds:
        if codemods is not None and tree is not None and not possible_sites(tree, kinds, codemods, factories):
            STATS["no_site"] += 1
            return Verdict(False, kinds)
        STATS["candidates"] += 1
        return Verdict(True, kinds, None, tree)
    STATS["ast_rejected"] += 1
    return Verdict(False, kinds)


class FactoryReach(NamedTuple):
    """The response factories a file names (``ProjectFacts.factory_words``): their names, every
    dotted name each is reached by (``Factory.qualified``), and the file's own module names
    (``ProjectFacts.names_of``)."""

    words: FrozenSet[str]
    qualified: Tuple[str, ...]
    modules: FrozenSet[str]


def reaches_factory(tree: ast.Module, reach: FactoryReach) -> bool:
    """Whether a call in ``tree`` may resolve to one of the factories, as close-response's
    ``_factory_of`` resolves it: by a qualified name from an import (the factory's own, or an
    attribute chain from its module or class: an import binding a prefix of it, relative ones
    matched on their dotted tail), or in the factory's own module (its local binding, or
    ``self.m()`` in its class). A star import may bind anything: it counts."""
    for qualified in reach.qualified:
        parts = qualified.split(".")
        if any(".".join(parts[:i]) in reach.modules for i in range(1, len(parts))):
            return True  # its module, or a class of it (nested ones too) holds it
    targets = [f".{q}." for q in reach.qualified]
    for node in _statements(tree):
        if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.level:
            for alias in node.names:
                tail = f".{node.module}.{alias.name}." if node.module else f".{alias.name}."
                if any(tail in target for target in targets):
                    return True
            continue
        for _, bound, _ in import_bindings(node):
            if any(target.startswith(f".{bound}.") for target in targets):
                return True
    return False


# -- which codemods can find a target: each one's syntactic necessary conditions, on ast ------
#
# A codemod's sites (fixed or reported) all come from its targets (``WrappingCodemod.
# target_of`` for the closing codemods, ``share/targets.collect`` for share-session); a file
# where no node meets the syntactic conditions every target meets gets no site, and no change
# (a codemod changes a file only when it fixed a site), from any codemod, so each sees the file
# as it is. The conditions, read from those functions (``tests/test_prefilter_sites.py``):
#
# - close-client: a constructor call that is the whole value of ``name = ...`` (one target, a
#   plain name: ``target_of``);
# - close-response: an awaited method call ``await x.get(...)``/``x.send(...)`` (aiohttp's
#   request methods, httpx's ``send``), or a call that passes ``might_be_target`` (a name it
#   closes: ``urlopen``, ``stream``, a response factory, an alias of one; ``stream=True`` or
#   ``preload_content=False``, the literals ``target_of`` requires; ``opener.open(...)`` in a
#   file that names ``build_opener``, which ``opener_open`` resolves through an import) or
#   that names ``urlopen`` through an import, and is not the item of a ``with`` (``already_closed_item``:
#   no site);
# - share-session: a call of a module function through an import (``requests.get(...)``), or
#   with a star import of a library, a call of a bare verb (reported).
#
# Names are resolved as ``kinds_in`` does (every import, any depth, scopes ignored): only ever
# more candidates. Any other codemod: no rule, the file goes on.

_AWAITED = AIOHTTP_VERBS | {"send"}
#: The keyword a request method's call needs to be close-response's target, and its value (a
#: literal: ``is_literal_true``/``is_literal_false``).
_RESPONSE_KEYWORDS = {"stream": True, "preload_content": False}


def _value(node: ast.AST) -> object:
    """``True``/``False`` for those literals, else ``None``."""
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, bool) else None


_STAR_VERBS = HTTPX_VERBS
_SITE_RULES = ("close-client", "close-response", "share-session")


def _candidate_names(codemod: str) -> FrozenSet[str]:
    from .registry import BY_NAME

    return BY_NAME[codemod].TARGETS.candidate_names


def _last(func: ast.AST) -> Optional[str]:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def possible_sites(
    tree: ast.Module, kinds: Optional[FrozenSet[str]], codemods: Iterable[str], factories: Iterable[str] = ()
) -> bool:
    """Whether any codemod of ``codemods`` relevant to ``kinds`` (``None``: unknown, every one)
    may find a target in ``tree`` (False only when none can: see the rules above)."""
    wanted = set()
    for name in codemods:
        if not relevant(name, kinds):
            continue  # the engine does not run it on this file
        if name not in _SITE_RULES:
            return True
        wanted.add(name)
    if not wanted:
        return False
    try:
        return _possible_sites(tree, wanted, frozenset(factories))
    except RecursionError:
        return True


def _possible_sites(tree: ast.Module, wanted: Set[str], factories: FrozenSet[str]) -> bool:
    bound, star, _ = _bindings(tree)
    client = "close-client" in wanted
    response = "close-response" in wanted
    share = "share-session" in wanted
    client_names = set(_candidate_names("close-client")) if client else set()
    response_names = set(_candidate_names("close-response")) | set(factories) if response else set()
    calls: List[ast.Call] = []
    assigned: Set[int] = set()  # calls that are the whole value of ``name = ...``
    in_with: Set[int] = set()  # calls that are a ``with`` item
    awaited: Set[int] = set()
    aliases: Dict[str, str] = {}  # asname -> the last part of the name it binds
    opener = False  # ``build_opener`` named: ``opener.open(...)`` may be a target (``opener_open``)
    # share-session's references (``share/references.py``): a conditional's branches and
    # assignments' values that may name a library function
    referenced: List[ast.AST] = []
    for node in nodes_of(tree):
        kind = type(node)
        if kind is ast.Call:
            calls.append(node)  # type: ignore[arg-type]
        elif kind is ast.Assign:
            if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):  # type: ignore[attr-defined]
                assigned.add(id(node.value))  # type: ignore[attr-defined]
            if share:
                referenced.append(node.value)  # type: ignore[attr-defined]
        elif kind is ast.AnnAssign:
            if share and node.value is not None:  # type: ignore[attr-defined]
                referenced.append(node.value)  # type: ignore[attr-defined]
        elif kind is ast.IfExp:
            if share:
                referenced += (node.body, node.orelse)  # type: ignore[attr-defined]
        elif kind is ast.withitem:
            in_with.add(id(node.context_expr))  # type: ignore[attr-defined]
        elif kind is ast.Await:
            awaited.add(id(node.value))  # type: ignore[attr-defined]
        elif kind is ast.Attribute:
            opener = opener or node.attr == "build_opener"  # type: ignore[attr-defined]
        elif kind is ast.Import or kind is ast.ImportFrom:
            for alias in node.names:  # type: ignore[attr-defined]
                opener = opener or alias.name.rsplit(".", 1)[-1] == "build_opener"
                if alias.asname:
                    aliases[alias.asname] = alias.name.rsplit(".", 1)[-1]
    for asname, name in aliases.items():
        if name in client_names:
            client_names.add(asname)
        if name in response_names:
            response_names.add(asname)
    if share and bound:
        for value in referenced:
            dotted_ref = _dotted(value) if isinstance(value, (ast.Attribute, ast.Name)) else None
            if dotted_ref is not None and dotted_ref[0] in bound:
                root, rest = dotted_ref
                if any(_kind(f"{q}.{rest}" if rest else q) == Kind.FUNCTION for q in bound[root]):
                    return True
    for call in calls:
        func = call.func
        last = _last(func)
        found: Set[str] = set()
        dotted = _dotted(func) if bound else None
        if dotted is not None and dotted[0] in bound:
            root, rest = dotted
            for qualified in bound[root]:
                kind = _kind(f"{qualified}.{rest}" if rest else qualified)
                if kind:
                    found.add(kind)
        if client and id(call) in assigned and (last in client_names or Kind.CONSTRUCTOR in found):
            return True
        if share and (Kind.FUNCTION in found or (star and isinstance(func, ast.Name) and func.id in _STAR_VERBS)):
            return True
        if response:
            if id(call) in awaited and isinstance(func, ast.Attribute) and func.attr in _AWAITED:
                return True
            if id(call) in in_with:
                continue  # ``with <target>``: already closed
            if (
                last in response_names
                or any(
                    k.arg in _RESPONSE_KEYWORDS and _value(k.value) is _RESPONSE_KEYWORDS[k.arg] for k in call.keywords
                )
                or (
                    opener
                    and isinstance(func, ast.Attribute)
                    and func.attr == "open"
                    and isinstance(func.value, ast.Name)
                )
                or Kind.URLOPEN in found
            ):
                return True
    return False


@lru_cache(maxsize=32)
def _extra_pattern(extra: Tuple[str, ...]) -> Pattern[bytes]:
    return re.compile(rb"\b(?:" + b"|".join(re.escape(w.encode()) for w in extra) + rb")\b")
