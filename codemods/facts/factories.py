"""Response factories: functions of the project that hand a fresh response to their caller.

``def _execute_request(url): ...; return urlopen(request)`` is right to return the response
open: it is a factory. The leak is at its callers, which never close what they get
(``response = _execute_request(url); return response.read()``). ``close-response`` closes the
response there (``with _execute_request(url) as response:``) when it knows, before any file is
rewritten, that the call makes a fresh response: that knowledge crosses files (the callers may
be in other modules), so it is a project fact, computed here with Python's ``ast``.

A factory, soundly (anything else is not one):

- a ``def`` at module level, or a plain ``def`` in the body of a class at module level or of a
  class bound once in the body of one (``Threatnet.Stream._create_stream``; not a dunder); not
  ``async``, not decorated but by decorators proven transparent (``decorators.py``), no
  ``yield``; its name bound once in its module (or
  class body) and never declared ``global``. A public method (``Factory.public``) may be
  overridden by a subclass outside the project that returns something else: its callers'
  fixes are unsafe;
- every ``return`` of it (nested functions aside) returns a fresh response made in it, and its
  body cannot end without one (every normal exit is such a ``return``, by the rule of
  ``hands_out`` followed from its entry: an ``if``/``try`` whose every branch returns or
  raises, a ``while True`` left only by them, a ``for i in range(K)`` retry loop whose last
  round returns or raises on every path, ``if i + 1 == K: raise`` taken as it then is; not a
  ``with`` whose exit may swallow an exception; a call of a function of the module that never
  returns normally, ``_Context.noreturn``, ends a path as a raise does): ``urllib.request.urlopen(...)`` (or ``opener.open(...)`` of a local
  ``opener = urllib.request.build_opener(...)``), a requests module function
  (``requests.get(...)``, any ``stream=``), a request method of a local ``requests.Session()``
  (or of a parameter annotated ``requests.Session``, never rebound), of one bound once at
  module level or of the package's shared one (``from ._http_client import session as
  _session``, trusted as ``share/shared_import.py`` says): what share-session made of
  ``requests.get``,
  ``io.TextIOWrapper(r, ...)``/``io.BufferedReader(r)`` of one (closing the wrapper closes the response), a call of a
  factory found already (rounds, at most ``_ROUNDS``: ``def get(u): return _open(u)``; files
  that name a factory are parsed for them then; a test that may replace the inner factory
  marks the outer one ``mocked`` too), or a local
  name whose every binding in the function is one of those (a name bound in branches or a retry
  loop) or an owning wrapper of the name itself (``handle = io.TextIOWrapper(handle)``); at least one of them leaks unless closed (``urlopen``, ``stream=True``);
- such a local name is used in the function only as the returned value, as the wrapped object
  of a ``TextIOWrapper`` bound to another such name, or through one of the response's plain
  attributes (``r.status_code``, ``r.text``, ``r.raise_for_status()``, ``handle.url``), closed
  just before a ``raise`` (``r.close()`` as the statement before it, or ``with r:`` around it:
  the caller never gets that response; ``closed_before_raise``), a read
  of a urlopen response's body (``data = response.read()``: it stays open), or an attribute
  set on it (``response.data = data``): nothing keeps it elsewhere.

The project's other files may still replace or override it: a method counts only when no other
``def`` of the project has its name and nothing assigns that name (``obj._m = f``), and any
mention of the name as the last part of a string or as an assigned name (``patch("p.m._f")``,
``m._f = fake``, ``setattr(m, "_f", ...)``), or a patch of the module or class that holds it, is
recorded as ``Factory.mocked``: close-response then reports the callers instead of binding a
mock's ``__enter__()`` value.

Only files the prefilter can find relevant are parsed (they name an HTTP library and one of the
leaking calls), so the pass stays cheap.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ..call_names import REQUESTS_VERBS
from ..closing.eager import CLOSING_METHODS, EAGER_ATTRS, EAGER_METHODS, RAISING_METHODS
from .decorators import Lookup, clear_decorator_memo, transparent
from .model import _GENERATED_CLIENT
from .standins import children, statements
from .visitor import _Names

_DECORATOR_LINE = re.compile(rb"^[ \t\f]*@", re.MULTILINE)
_URLOPEN = frozenset({"urllib.request.urlopen"})  # what close-response closes (calls.py)
_REQUESTS_FUNCTIONS = frozenset(
    {f"requests.{v}" for v in REQUESTS_VERBS} | {f"requests.api.{v}" for v in REQUESTS_VERBS}
)
_OPENERS = frozenset({"urllib.request.build_opener"})
_SESSION_CLASSES = frozenset({"requests.Session", "requests.sessions.Session"})
_SESSIONS = frozenset({"requests.Session", "requests.session", "requests.sessions.Session"})
#: Wrappers whose ``close()`` closes the stream they wrap (``io.TextIOWrapper`` closes its
#: buffer, ``io.BufferedReader`` its raw stream): returning one returns the response.
#: ``gzip.GzipFile(fileobj=r)`` is none: its ``close()`` leaves ``fileobj`` open.
OWNING_WRAPPERS = frozenset({"io.TextIOWrapper", "io.BufferedReader"})
_WRAPPERS = OWNING_WRAPPERS
#: What a factory may use of the response before returning it: the closing codemods' plain
#: attributes and methods (``closing/eager.py``), less those that read the body or close it
#: (a caller's ``with`` on a closed ``urlopen`` response raises ``ValueError``).
_PLAIN = (
    (EAGER_ATTRS | EAGER_METHODS | RAISING_METHODS)
    - CLOSING_METHODS
    - frozenset(
        {
            "read",
            "read1",
            "readinto",
            "readline",
            "readlines",
            "peek",
            "aread",
            "drain_conn",
            "wait_for_close",
            "decode",
        }
    )
)
#: What a factory may call on a urlopen response before returning it: reading its body
#: (``http.client.HTTPResponse.read()`` releases the connection at the end of the body but
#: leaves the response open: a caller's ``with`` on it works).
_READS = frozenset({"read", "read1", "readinto", "readline", "readlines", "peek"})
_ROUNDS = 4  # factories of factories of factories of a leaking call, at most
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


@dataclass(frozen=True, order=True)
class Factory:
    """One response factory. ``qualified``: every dotted name it is reached by
    (``pkg.mod._open``, ``pkg.mod.Stream._create_stream``); ``owner``: its class ("" for a
    function); ``library``: ``urllib``/``requests``; ``mode``: how a caller closes what it
    returns (``with``); ``where``: ``path:line`` of its ``def``; ``mocked``: why a test may
    replace it (empty: nothing does)."""

    project: str
    qualified: Tuple[str, ...]
    name: str
    owner: str
    library: str
    mode: str
    where: str
    mocked: str = ""

    @property
    def public(self) -> bool:
        """A public method: a class outside the project may derive from its class and override
        it (to return something else than a response)."""
        return bool(self.owner) and not self.name.startswith("_")


_LEAKING = re.compile(rb"urlopen|stream\s*=\s*True")


def worth_reading(data: bytes) -> bool:
    """Bytes that may hold a factory: a ``return`` and a leaking call."""
    return b"return" in data and (b"urlopen" in data or b"stream" in data) and _LEAKING.search(data) is not None


#: qualified name -> (library, mocked) of the factories known so far (a call to one is a
#: fresh response too: factories of factories).
Known = Dict[str, Tuple[str, str]]


def in_module(
    tree: ast.Module,
    package: str,
    modules: Sequence[str] = (),
    known: Optional[Known] = None,
    lookup: Optional[Lookup] = None,
    shared: Sequence[Any] = (),
) -> List[Tuple[str, str, int, str, str]]:
    """The factories defined in ``tree`` (imported as ``modules``): (owner class or "", name,
    line, library, mocked: why a test may replace a factory it calls). ``lookup``: the tree of
    a module of the project by its dotted name (where a decorator is defined). ``shared``: the
    clients the module imports from its package's generated client module
    (``share.shared_import.shared_imports``, what ``FileContext.shared`` holds for the closing
    codemods): a ``requests.Session`` bound once in the module, like a local ``Session()``, as
    one the module makes itself (``_session = requests.Session()``)."""
    context = _Context(modules, known or {}, tree, lookup)
    names, declared = _module_names(tree, package)
    out = []
    top = _binding_counts(tree.body)
    # Module-level sessions bound once: ``_session = requests.Session()`` (share-session's
    # ``module`` strategy) or the import of the package's shared one.
    context.clients = frozenset(
        name
        for name in [found.local for found in shared if found.client_class == "requests.Session"]
        + [
            stmt.targets[0].id
            for stmt in tree.body
            if isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and isinstance(stmt.value, ast.Call)
            and names.dotted(stmt.value.func) in _SESSIONS
        ]
        if top.get(name) == 1 and name not in declared
    )
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef) and top.get(stmt.name) == 1 and stmt.name not in declared:
            library, mocked = _factory(stmt, names, context, "")
            if library:
                out.append(("", stmt.name, stmt.lineno, library, mocked))
        elif isinstance(stmt, ast.ClassDef) and top.get(stmt.name) == 1:
            out.extend(_in_class(stmt, stmt.name, names, context))
    return out


def _in_class(
    cls: ast.ClassDef, owner: str, names: _Names, context: "_Context"
) -> List[Tuple[str, str, int, str, str]]:
    """The factories among the methods of ``cls`` (reached as ``owner``: ``Api``, or
    ``Threatnet.Stream`` for a class bound once in the body of a class at module level)."""
    out = []
    inside = _binding_counts(cls.body)
    for sub in cls.body:
        if (
            isinstance(sub, ast.FunctionDef)
            and not (sub.name.startswith("__") and sub.name.endswith("__"))
            and inside.get(sub.name) == 1
        ):
            library, mocked = _factory(sub, names, context, owner)
            if library:
                out.append((owner, sub.name, sub.lineno, library, mocked))
        elif isinstance(sub, ast.ClassDef) and inside.get(sub.name) == 1 and "." not in owner:
            out.extend(_in_class(sub, f"{owner}.{sub.name}", names, context))
    return out


def module_of(qualified: str, owner: str) -> str:
    """The module part of a factory's ``qualified`` name (less its class, dotted if nested)."""
    return qualified.rsplit(".", 1 + (owner.count(".") + 1 if owner else 0))[0]


def _binding_counts(body: Sequence[ast.stmt]) -> Dict[str, int]:
    """How often each name is bound by the statements of ``body`` (function and class bodies
    aside)."""
    counts: Dict[str, int] = {}

    def add(name: str) -> None:
        counts[name] = counts.get(name, 0) + 1

    stack: List[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            add(node.name)
            stack.extend(node.decorator_list)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            add(node.id)
        elif isinstance(node, ast.alias):
            add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                add(name)
        elif type(node).__name__ in ("MatchAs", "MatchStar", "MatchMapping"):
            name = getattr(node, "name", None) or getattr(node, "rest", None)
            if name:
                add(name)
        stack.extend(children(node))
    return counts


def _own_nodes(func: ast.FunctionDef) -> Iterable[ast.AST]:
    """The nodes of ``func``'s body, nested scopes aside (their headers' defaults included)."""
    stack: List[ast.AST] = list(func.body)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _SCOPES):
            continue
        stack.extend(children(node))


_MODULE_NAMES: Dict[int, Tuple[ast.Module, _Names, Set[str]]] = {}


def _module_names(tree: ast.Module, package: str) -> Tuple[_Names, Set[str]]:
    """The module's import names and the names it declares ``global`` (one walk per tree)."""
    cached = _MODULE_NAMES.get(id(tree))
    if cached is not None and cached[0] is tree:
        return cached[1], cached[2]
    imports: List[ast.AST] = []
    declared: Set[str] = set()
    for node in statements(tree):  # ``ast.walk``'s order, statements only: all these are
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(node)
        elif isinstance(node, ast.Global):
            declared.update(node.names)
    names = _Names(tree, package)
    names._imports(imports)
    _MODULE_NAMES[id(tree)] = (tree, names, declared)
    return names, declared


class _Context:
    def __init__(
        self, modules: Sequence[str], known: Known, tree: Optional[ast.Module] = None, lookup: Optional[Lookup] = None
    ) -> None:
        self.modules = tuple(modules)
        self.known = known
        self.tree = tree
        self.lookup = lookup
        self._noreturn: Optional[frozenset] = None
        #: Module-level names of ``requests.Session`` clients bound once (``in_module``).
        self.clients: frozenset = frozenset()
        self._tails: Optional[frozenset] = None

    def tails(self) -> frozenset:
        """The last parts of the known factories' names (``known`` does not change while a
        module is read)."""
        if self._tails is None:
            self._tails = frozenset(name.rpartition(".")[2] for name in self.known)
        return self._tails

    def noreturn(self) -> frozenset:
        """The module's functions that never return normally: a plain ``def`` at module level
        (bound once, never declared ``global``, not decorated, no ``yield``/``await``) with no
        ``return`` whose every path raises (``hands_out``'s flow: it cannot fall off its end)."""
        if self._noreturn is None:
            out = set()
            tree = self.tree
            if tree is not None:
                counts = _binding_counts(tree.body)
                declared = {name for n in statements(tree) if isinstance(n, ast.Global) for name in n.names}
                for stmt in tree.body:
                    if (
                        not isinstance(stmt, ast.FunctionDef)
                        or stmt.decorator_list
                        or counts.get(stmt.name) != 1
                        or stmt.name in declared
                    ):
                        continue
                    if any(
                        isinstance(n, (ast.Return, ast.Yield, ast.YieldFrom, ast.Await, ast.Global, ast.Nonlocal))
                        for n in _own_nodes(stmt)
                    ):
                        continue
                    flow = _HandsOut(lambda _: None, False, False, lambda value, _: False, stmt).run(
                        stmt.body, frozenset({"*"})
                    )
                    if not flow.bad and flow.fall is None:
                        out.add(stmt.name)
            self._noreturn = frozenset(out)
        return self._noreturn


def _factory(func: ast.FunctionDef, names: _Names, context: _Context, owner: str) -> Tuple[str, str]:
    """The library of the fresh response ``func`` returns on every path ("" if none), and
    why a test may replace a factory it calls."""
    if not func.body:
        return "", ""
    nodes = list(_own_nodes(func))
    if not _may_be_factory(nodes, names, context):
        return "", ""  # what every path below would end with, for a fraction of its cost
    for decorator in func.decorator_list:  # only decorators proven transparent (``decorators.py``)
        if context.tree is None or not transparent(decorator, names, context.tree, context.modules, context.lookup):
            return "", ""
    params = {a.arg for a in func.args.args + func.args.posonlyargs + func.args.kwonlyargs}
    params |= {a.arg for a in (func.args.vararg, func.args.kwarg) if a is not None}
    parents: Dict[ast.AST, ast.AST] = {}
    # Every binding of each local name: the value of ``name = value``, or None (another kind).
    bindings: Dict[str, List[Optional[ast.AST]]] = {}
    for node in nodes:
        if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Nonlocal, ast.Await)):
            return "", ""
        if isinstance(node, ast.Global):
            # ``global _entry_db_names`` (biopython's TogoWS ``entry`` caches module state): such
            # a name is no local, so it never holds the response (an unknown binding).
            for name in node.names:
                bindings.setdefault(name, []).append(None)
        for child in children(node):
            parents[child] = node
    for node in nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            parent = parents.get(node)
            plain = isinstance(parent, ast.Assign) and len(parent.targets) == 1 and parent.targets[0] is node
            if (
                isinstance(parent, ast.withitem)
                and parent.optional_vars is node
                and isinstance(parent.context_expr, ast.Call)
                and names.dotted(parent.context_expr.func) in _SESSIONS
            ):
                # ``with requests.Session() as s:`` (close-client's fix of ``s = requests.Session()``):
                # ``s`` is the session (its ``__enter__`` returns itself). Nothing else bound by a
                # ``with`` is read: ``with requests.get(u) as r: ...; return r`` returns it closed.
                bindings.setdefault(node.id, []).append(parent.context_expr)
                continue
            bindings.setdefault(node.id, []).append(parent.value if plain else None)  # type: ignore[union-attr]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bindings.setdefault(node.name, []).append(None)
        elif isinstance(node, ast.alias):
            bindings.setdefault((node.asname or node.name).split(".")[0], []).append(None)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bindings.setdefault(node.name, []).append(None)
        elif type(node).__name__ in ("MatchAs", "MatchStar", "MatchMapping"):
            bindings.setdefault(getattr(node, "name", None) or getattr(node, "rest", None) or "", []).append(None)
    for param in params:
        bindings.setdefault(param, []).append(None)
    sessions = {
        name
        for name, values in bindings.items()
        if all(isinstance(v, ast.Call) and names.dotted(v.func) in _SESSIONS for v in values)
    }
    # ``sess: requests.Session``, never rebound: a plain annotation settles the client's class
    # as it does for close-response's own sites (``calls.HttpResolver``, ``closing/held.py``).
    sessions |= {
        a.arg
        for a in func.args.args + func.args.posonlyargs + func.args.kwonlyargs
        if a.annotation is not None and names.dotted(a.annotation) in _SESSION_CLASSES and bindings.get(a.arg) == [None]
    }
    # A module-level session (``from ._http_client import session as _session``, ``_session =
    # requests.Session()``), when no binding of the function shadows it: what share-session
    # made of ``requests.get(...)``.
    sessions |= {name for name in context.clients if name not in bindings}
    # ``opener = urllib.request.build_opener(...)``: ``opener.open(u)`` is ``urlopen(u)`` on it
    # (close-response closes it the same way, ``closing/held.py``).
    openers = {
        name
        for name, values in bindings.items()
        if all(isinstance(v, ast.Call) and names.dotted(v.func) in _OPENERS for v in values)
    }

    def opened(call: ast.AST) -> bool:
        return (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "open"
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id in openers
        )

    responses: Dict[str, str] = {}  # local name -> library
    leaks = [False]
    mocked = [""]
    receiver = func.args.args[0].arg if owner and func.args.args else None

    def factory_called(call: ast.Call) -> Optional[Tuple[str, str]]:
        """(library, mocked) of the known factory ``call`` calls."""
        if not context.known:
            return None
        func_name = names.dotted(call.func) or ""
        head, _, rest = func_name.partition(".")
        if receiver and head == receiver and rest and "." not in rest and len(bindings.get(receiver, ())) == 1:
            if not rest.startswith("_"):
                return None  # a public method: a subclass outside the project may override it
            candidates = [f"{m}.{owner}.{rest}" for m in context.modules]
        elif head in bindings:
            return None  # a local name
        elif "." in func_name:
            candidates = [func_name]  # through an import
        else:
            candidates = [f"{m}.{func_name}" for m in context.modules]  # this module's own def
        for name in candidates:
            if name in context.known:
                return context.known[name]
        return None

    def produced(expr: Optional[ast.AST], known: Dict[str, str]) -> str:
        if isinstance(expr, ast.Name):
            return known.get(expr.id, "")
        if not isinstance(expr, ast.Call):
            return ""
        func_name = names.dotted(expr.func) or ""
        if func_name in _URLOPEN or opened(expr):
            return "urllib"
        if func_name in _REQUESTS_FUNCTIONS:
            return "requests"
        if (
            isinstance(expr.func, ast.Attribute)
            and isinstance(expr.func.value, ast.Name)
            and expr.func.value.id in sessions
            and expr.func.attr in REQUESTS_VERBS
        ):
            return "requests"
        if func_name in _WRAPPERS and expr.args and isinstance(expr.args[0], ast.Name):
            return known.get(expr.args[0].id, "")
        called = factory_called(expr)
        if called is not None:
            return called[0]
        return ""

    changed = True
    while changed:  # least fixpoint: names whose every binding is a response
        changed = False
        for name, values in bindings.items():
            if name in responses or not values:
                continue
            # ``handle = io.TextIOWrapper(handle, ...)`` (biopython's Entrez ``_open``): an
            # owning wrapper of the name itself holds what the name held before, a response by
            # the name's other bindings (or the name is unbound, and the wrapper call raises).
            others = [v for v in values if not _wraps_itself(v, name, names)]
            libs = {produced(v, responses) for v in others}
            if others and len(libs) == 1 and "" not in libs:
                responses[name] = libs.pop()
                changed = True
    libraries: Set[str] = set()
    following: Optional[Dict[ast.AST, Any]] = None
    for node in nodes:
        if isinstance(node, ast.Call):
            func_name = names.dotted(node.func) or ""
            stream = next((k.value for k in node.keywords if k.arg == "stream"), None)
            if (
                func_name in _URLOPEN
                or opened(node)
                or (
                    produced(node, responses) == "requests"
                    and isinstance(stream, ast.Constant)
                    and stream.value is True
                )
            ):
                leaks[0] = True
            called = factory_called(node)
            if called is not None:
                leaks[0] = True
                mocked[0] = mocked[0] or called[1]
        if isinstance(node, ast.Return):
            lib = produced(node.value, responses)
            if not lib:
                return "", ""
            libraries.add(lib)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in responses:
            parent = parents.get(node)
            if isinstance(parent, ast.Return):
                continue
            if following is None:
                following = _next_statements(func)
            if closed_before_raise(node, parents, following):
                continue  # ``r.close()`` / ``with r:`` just before a raise: the caller never gets it
            if isinstance(parent, ast.Attribute) and parent.attr in _PLAIN:
                continue
            if (
                isinstance(parent, ast.Attribute)
                and parent.attr in _READS
                and responses[node.id] == "urllib"
                and isinstance(parents.get(parent), ast.Call)
                and parents[parent].func is parent  # type: ignore[attr-defined]
            ):
                continue  # ``data = response.read()``: a urlopen response read to its end is still open
            if (
                isinstance(parent, ast.Attribute)
                and isinstance(parent.ctx, ast.Store)
                and parent.attr not in CLOSING_METHODS
                and not parent.attr.startswith("__")
            ):
                continue  # ``response.data = data``: it keeps the data, nothing keeps it
            if (
                isinstance(parent, ast.Call)
                and parent.args
                and parent.args[0] is node
                and names.dotted(parent.func) in _WRAPPERS
                and isinstance(parents.get(parent), ast.Assign)
                and any(isinstance(t, ast.Name) and t.id in responses for t in parents[parent].targets)  # type: ignore[attr-defined]
            ):
                continue
            return "", ""
    if len(libraries) != 1 or not leaks[0]:
        return "", ""
    # Every normal exit returns a fresh response, wherever it is (``hands_out``'s rule, from
    # the function's entry): it cannot fall off its end, and a ``with`` whose exit may swallow
    # an exception (``with suppress(OSError): return urlopen(u)``) may let it.
    follow = _HandsOut(names.dotted, False, True, lambda value, _: bool(produced(value, responses)), func)
    # ``_raise_retries_exhausted(...)`` (gdown): a call of a function of this module that never
    # returns normally ends the path as a ``raise`` does.
    follow.noreturn = frozenset(n for n in context.noreturn() if n not in bindings)
    flow = follow.run(func.body, frozenset({"*"}))
    if flow.bad or flow.fall is not None:
        return "", ""
    return libraries.pop(), mocked[0]


def _may_be_factory(nodes: Sequence[ast.AST], names: _Names, context: _Context) -> bool:
    """What ``_factory`` needs of a function's own ``nodes`` before it can find a factory: a
    ``return`` (else no library), and a call that may leak (else ``leaks`` stays false): one
    of ``_URLOPEN``, an ``x.open(...)`` (``opened``), a call with ``stream=True``, or one whose
    dotted name ends with the last part of a known factory's name (every candidate of
    ``factory_called`` ends with the call's last part)."""
    returns = leaks = False
    tails = context.tails()
    for node in nodes:
        if isinstance(node, ast.Return):
            returns = True
        elif not leaks and isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "open" and isinstance(func.value, ast.Name):
                leaks = True
            elif any(
                k.arg == "stream" and isinstance(k.value, ast.Constant) and k.value.value is True for k in node.keywords
            ):
                leaks = True
            else:
                name = names.dotted(func) or ""
                leaks = name in _URLOPEN or (bool(tails) and name.rpartition(".")[2] in tails)
        if returns and leaks:
            return True
    return False


def _wraps_itself(value: Optional[ast.AST], name: str, names: _Names) -> bool:
    """``value`` is ``io.TextIOWrapper(name, ...)`` (an owning wrapper of ``name`` itself)."""
    return (
        isinstance(value, ast.Call)
        and bool(value.args)
        and isinstance(value.args[0], ast.Name)
        and value.args[0].id == name
        and names.dotted(value.func) in _WRAPPERS
    )


# -- the project's other files ------------------------------------------------------------------


def qualify(module_names: Sequence[str], owner: str, name: str) -> Tuple[str, ...]:
    inner = f"{owner}.{name}" if owner else name
    return tuple(f"{m}.{inner}" for m in module_names)


def screen_project(
    found: List[Factory], texts: Iterable[Tuple[str, bytes]], patches: Sequence[object], reaches: Any = None
) -> List[Factory]:
    """``found`` (one project's factories) less the overridable methods, each with why a test
    may replace it (``mocked``). ``texts``: (display path, bytes) of every file of the project.
    ``reaches``: as for ``_replaces``."""
    by_name: Dict[str, List[Factory]] = {}
    for factory in found:
        by_name.setdefault(factory.name, []).append(factory)
    assigned: Dict[str, str] = {}
    quoted: Dict[str, str] = {}
    passed: Dict[str, str] = {}  # named other than in a call: ``map(f, xs)``, ``g = f``, ``{"k": f}``
    words = {name: name.encode() for name in by_name}
    keywords: Dict[int, Any] = {}  # ``_an_argument``'s memo: id(data) -> the file's arguments
    # A name only module-level functions have: where they are defined. A module that cannot
    # see them mentions some other binding of the name (``_another_binding``).
    homes = {
        name: (
            {f.where.rpartition(":")[0] for f in its},
            {module_of(q, "") for f in its for q in f.qualified},
        )
        for name, its in by_name.items()
        if not any(f.owner for f in its)
    }
    imported: Dict[Tuple[int, str], bool] = {}  # ``_another_binding``'s memo
    for where, data in texts:
        for name, word in words.items():
            if word not in data:
                continue
            escaped = re.escape(word)
            # ``m._f = fake``, ``self._m = f`` (an instance attribute shadows the method), ``_f = g``
            patterns = [(rb"(?<!\w)" + escaped + rb"\s*=(?!=)", assigned)]
            # A reference handed on: its calls are made where the codemod cannot see them, so
            # closing at the callers it sees would leave those silent (review of the change).
            patterns.append(
                (rb"(?:(?<![\w.'\"])|(?<=self\.)|(?<=cls\.))" + escaped + rb"(?=[ \t]*(?:[,)\]}]|\r?$))", passed)
            )
            if any(w in data for w in (b"patch", b"setattr", b"mock", b"Mock")):
                patterns.append((rb"['\".]" + escaped + rb"['\"]", quoted))
            for pattern, table in patterns:
                match = next(
                    (
                        m
                        for m in re.finditer(pattern, data, re.MULTILINE)
                        if (table is not passed or (_not_an_import(data, m) and _in_code(data, m.start())))
                        and not (table is not passed and _an_argument(data, m, table is quoted, keywords))
                        and not _another_binding(data, m, name, where, homes, imported, table is quoted)
                    ),
                    None,
                )
                if match and name not in table:
                    line = data.count(b"\n", 0, match.start()) + 1
                    start = data.rfind(b"\n", 0, match.start()) + 1
                    end = data.find(b"\n", match.start())
                    text = data[start : end if end >= 0 else len(data)].decode("utf-8", "replace").strip()
                    table[name] = f"`{text[:60]}` at {where}:{line}"
    # A nested class (``Threatnet.Stream``) is matched by its own name, as any class is.
    derived = _derived([data for _, data in texts], {f.owner.rpartition(".")[2] for f in found if f.owner})
    overridden: List[Tuple[str, str, str, int]] = []  # (name, owner, where, line of the def)
    for where, data in texts:
        for name, word in words.items():
            if word in data and re.search(rb"\bdef\s+" + re.escape(word) + rb"\b", data):
                overridden.extend((n, o, f"{where}:{c}", m) for n, o, c, m in _classes_defining(data, name, derived))
    out = []
    for factory in found:
        others = [
            where
            for n, o, where, line in overridden
            if (n, o) == (factory.name, factory.owner.rpartition(".")[2])
            and f"{where.rpartition(':')[0]}:{line}" != factory.where
        ]
        if factory.owner and (factory.name in assigned or others):
            continue  # a class that may derive from its class defines it too, or something rebinds it
        if factory.name in passed:
            continue  # called somewhere through another name: those callers would go unsaid
        mocked = assigned.get(factory.name) or quoted.get(factory.name) or factory.mocked
        if not mocked:
            for patch in patches:
                if _replaces(patch, factory, reaches):
                    target = getattr(patch, "target", "")
                    mocked = f"`{getattr(patch, 'text', target)}` at {getattr(patch, 'where', '')}"
                    break
        out.append(
            Factory(
                factory.project,
                factory.qualified,
                factory.name,
                factory.owner,
                factory.library,
                factory.mode,
                factory.where,
                mocked,
            )
        )
    return out


_DYNAMIC_IMPORT = re.compile(rb"\b(?:importlib|__import__|sys\.modules|globals|vars)\b")


def _another_binding(
    data: bytes,
    match: Any,
    name: str,
    where: str,
    homes: Dict[str, Tuple[Set[str], Set[str]]],
    memo: Dict[Tuple[int, str], bool],
    quoted: bool = False,
) -> bool:
    """Whether ``name`` at ``match`` (of ``screen_project``'s patterns: ``name =``, the name
    passed on, a quoted name) in the file ``where`` is some other binding than the factories of
    that name: they are all module-level functions (``homes``: their files and modules),
    ``where`` is none of those files, and it cannot see them. A module sees another module's
    function only through an import of that name (``from pkg.mod import name``, ``from pkg
    import *``) or of its module: it imports neither the name nor that module nor a package
    above it (``import Bio.KEGG`` binds ``Bio``), nothing from a package above it (``from Bio
    import TogoWS``), no relative import naming a part of its module's name (``from . import
    TogoWS``; ``from .Interfaces import SequenceIterator`` is none), and names no
    ``importlib``/``__import__``/``sys.modules``/``globals``/``vars`` (a file it cannot parse
    sees everything). Then a bare
    name there is a local of its own (biopython's ``return search`` in ``Bio/Pathway/Rep``, no
    ``Bio.TogoWS.search``), an attribute is some other object's (its KEGG parser's
    ``record.entry = words[0]``, ``self.entry``), and a string of the name alone
    (``element.tag == "entry"``; what ``setattr(m, "entry", f)`` would name) no target. A dotted
    string (``patch("Bio.TogoWS.entry")``) counts wherever it is: a patch imports its target
    itself."""
    home = homes.get(name)
    if home is None or where in home[0]:
        return False
    if quoted and data[match.start() : match.start() + 1] not in (b"'", b'"'):
        return False  # ``".entry"``: the end of a dotted target
    key = (id(data), name)
    sees = memo.get(key)
    if sees is None:
        try:
            tree: Optional[ast.Module] = _parsed(data)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            tree = None
        sees = tree is None or bool(_DYNAMIC_IMPORT.search(data))
        prefixes = {m.rsplit(".", k)[0] for m in home[1] for k in range(m.count(".") + 1)}
        roots = {p.split(".")[0] for p in prefixes}
        parts = {part for m in home[1] for part in m.split(".")}
        for node in statements(tree) if not sees and tree is not None else ():
            if isinstance(node, ast.Import):
                sees = any(
                    (alias.asname or alias.name).split(".")[0] == name or alias.name.split(".")[0] in roots
                    for alias in node.names
                )
            elif isinstance(node, ast.ImportFrom) and node.level:
                # relative: it reaches the module only by naming it or a package above it
                sees = any(part in parts for part in (node.module or "").split(".")) or any(
                    alias.name == "*" or alias.name in parts or (alias.asname or alias.name) == name
                    for alias in node.names
                )
            elif isinstance(node, ast.ImportFrom):
                sees = node.module in home[1] or any(
                    alias.name == "*"
                    or (alias.asname or alias.name) == name
                    or f"{node.module}.{alias.name}" in prefixes
                    for alias in node.names
                )
            if sees:
                break
        memo[key] = sees
    return not sees


#: Keywords of a patcher or ``setattr`` form whose string names what it replaces
#: (``patch(target=...)``, ``patch.object(obj, attribute=...)``, ``monkeypatch.setattr(name=...)``).
_TARGET_KEYWORDS = frozenset({"target", "attribute", "name"})


def _an_argument(data: bytes, match: Any, quoted: bool, memo: Dict[int, Any]) -> bool:
    """Whether ``match`` (of ``screen_project``'s ``name =`` or quoted-name patterns) is not
    what it seemed: for ``name =``, a keyword's name or a parameter with a default (biopython's
    ``_build_request(cgi, variables, ecitmatch=True)`` and ``def _build_request(...,
    ecitmatch=False)`` rebind no ``ecitmatch``); for a quoted name, inside a string given to a
    keyword that does not name a patch's target (nltk's ``validate_network_url(url_str,
    context="pathsec.urlopen")``) or listed in ``__all__``. A file that does not parse:
    neither (the match counts)."""
    found = memo.get(id(data))
    if found is None:
        names: Set[Tuple[int, int]] = set()
        strings: List[Tuple[int, int, int, int]] = []
        try:
            tree = _parsed(data)
        except (SyntaxError, ValueError):
            tree = None
        for node in ast.walk(tree) if tree is not None else ():
            values: List[ast.AST] = []
            if isinstance(node, ast.arg):  # a parameter: ``def _build_request(..., ecitmatch=False)``
                names.add((node.lineno, node.col_offset))
            elif isinstance(node, ast.keyword) and node.arg is not None:
                names.add((node.lineno, node.col_offset))
                values = [node.value] if node.arg not in _TARGET_KEYWORDS else []
            elif (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
                and isinstance(node.value, (ast.List, ast.Tuple))
            ):
                values = list(node.value.elts)  # ``__all__ = [..., "urlopen", ...]``: names exported
            for value in values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    strings.append((value.lineno, value.col_offset, value.end_lineno or 0, value.end_col_offset or 0))
        found = memo[id(data)] = (tree is not None, names, strings)
    parsed, names, strings = found
    if not parsed:
        return False
    start = data.rfind(b"\n", 0, match.start()) + 1
    spot = (data.count(b"\n", 0, match.start()) + 1, match.start() - start)
    if not quoted:
        return spot in names
    return any((a, b) <= spot and spot < (c, d) for a, b, c, d in strings)


#: ``_parsed``'s memo for one ``collect``: id(bytes) -> (the bytes, their tree or what parsing raised).
_PARSED: Dict[int, Tuple[bytes, Any]] = {}


def _parsed(data: bytes) -> ast.Module:
    """``ast.parse(data)`` (raising what it raises), once per bytes object of the pass: the
    project's screening parses a file for each factory name it defines, in each round. The
    trees are only read."""
    cached = _PARSED.get(id(data))
    if cached is None or cached[0] is not data:
        try:
            found: Any = ast.parse(data)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            found = exc
        cached = _PARSED[id(data)] = (data, found)
    if isinstance(cached[1], BaseException):
        raise cached[1]
    return cached[1]


def _not_an_import(data: bytes, match: Any) -> bool:
    """The name at ``match`` is not on an ``import`` / ``from ... import`` line, nor on a
    comment line (``# from nltk.pathsec import urlopen, ZipFile`` runs nothing)."""
    start = data.rfind(b"\n", 0, match.start()) + 1
    line = data[start : match.start()].lstrip()
    return not line.startswith((b"import ", b"from ", b"#"))


_NAME_TOKENS: Dict[int, Tuple[bytes, Optional[Set[Tuple[int, int]]]]] = {}


def _in_code(data: bytes, offset: int) -> bool:
    """Whether the name at ``offset`` of ``data`` is a name token of the code, not text in a
    docstring, a string or a comment (``# or esearch, efetch, ...`` in biopython's Entrez
    docstring). A file ``tokenize`` cannot read counts as code everywhere. Only files where the
    word matched are tokenized, once each."""
    import io
    import tokenize

    cached = _NAME_TOKENS.get(id(data))
    if cached is None or cached[0] is not data:
        found: Optional[Set[Tuple[int, int]]] = set()
        try:
            for token in tokenize.tokenize(io.BytesIO(data).readline):
                if token.type == tokenize.NAME:
                    found.add(token.start)  # type: ignore[union-attr]
        except (tokenize.TokenError, SyntaxError, UnicodeDecodeError, ValueError):
            found = None
        if len(_NAME_TOKENS) > 64:
            _NAME_TOKENS.clear()
        cached = _NAME_TOKENS[id(data)] = (data, found)
    names = cached[1]
    if names is None:
        return True
    start = data.rfind(b"\n", 0, offset) + 1
    row = data.count(b"\n", 0, offset) + 1
    column = len(data[start:offset].decode("utf-8", "replace"))
    return (row, column) in names


#: The library names a factory's response comes from: a patch of any of them (or of the
#: factory's module's binding of one) may hand the factory a mock to return.
_LIBRARY_ROOTS = {"urllib": ("urllib", "http.client"), "requests": ("requests", "urllib3")}


def _replaces(patch: object, factory: Factory, reaches: Any = None) -> bool:
    """``patch`` may make ``factory`` return something else than a real response: it replaces
    the factory (or its class or module), anything of the factory's module (``pkg.request
    .urlopen``: pytube's tests patch the call inside the factory, and a plain ``Mock`` has no
    ``__enter__``), a name of its library or a client of its package's generated client module
    (close-response's rule for its sites, ``model._covers_response``), or its target cannot be
    read. A target read only
    in part (``"Bio.Entrez." + param``: ``Patch.prefix``) counts when some target of that
    start would.

    A patch of a library name made in a test module (``Patch.reach``: ``mock.patch(
    "requests.post")`` in ``test_nuclia.py``) replaces it only while that test runs, when only
    the code of the modules it reaches by imports runs (close-response's rule for its sites,
    ``ProjectFacts.covering_patches``): it counts when ``reaches(patch.reach, factory)`` (the
    factory's module is one of them; ``None``: always)."""
    target = getattr(patch, "target", "")
    if not target:
        if getattr(patch, "kind", "") != "unsettled":
            return False
        prefix = getattr(patch, "prefix", "")
        return not prefix or _may_replace(prefix, factory)
    for qualified in factory.qualified:
        if qualified == target or qualified.startswith(target + "."):
            return True
        module = module_of(qualified, factory.owner)
        if target.startswith(module + "."):
            return True
    if (
        factory.library == "requests"
        and _GENERATED_CLIENT.search(target)
        and any(target.split(".")[0] == qualified.split(".")[0] for qualified in factory.qualified)
    ):
        # A client of its package's generated module (``pkg._http_client.session.get``): the
        # session share-session routes its ``requests.get`` through, as ``requests.Session.get``.
        return True
    if not any(target == root or target.startswith(root + ".") for root in _LIBRARY_ROOTS.get(factory.library, ())):
        return False
    reach = getattr(patch, "reach", "")
    return reaches is None or not reach or reaches(reach, factory)


def _may_replace(prefix: str, factory: Factory) -> bool:
    """Whether some dotted target that starts with ``prefix`` (which ends with a dot) meets
    ``_replaces``'s rules for ``factory``: the factory itself or what holds it, a name under
    its module, or under a library root."""

    def related(name: str) -> bool:  # some target of the prefix is ``name`` or under it
        return (name + ".").startswith(prefix) or prefix.startswith(name + ".")

    for qualified in factory.qualified:
        if qualified.startswith(prefix) or related(module_of(qualified, factory.owner)):
            return True
    return any(related(root) for root in _LIBRARY_ROOTS.get(factory.library, ()))


#: A file's first round of ``collect``, computed from its bytes alone (``first_round``): ``None``
#: when it is not worth parsing for factories, else what ``in_module`` finds in it before any
#: factory is known (its ``modules`` then play no part).
FirstRound = Optional[Tuple[Tuple[str, str, int, str, str], ...]]


def first_round(data: bytes, package: str) -> FirstRound:
    """What ``collect`` computes of one file before it knows any factory, from its bytes and
    package only: the facts pass computes it in its workers (``facts._compute_part``), with
    the file's other facts, instead of ``collect`` reading and parsing every file again."""
    from ..prefilter import screen

    tree = _candidate_tree(data, screen)
    if tree is None:
        return None
    found = tuple(in_module(tree, package))
    _MODULE_NAMES.pop(id(tree), None)
    return found


def _candidate_tree(data: bytes, screen) -> Optional[ast.Module]:
    """The tree of a file worth parsing for factories (the prefilter's), else ``None``."""
    if not worth_reading(data):
        return None
    verdict = screen(data)
    return verdict.tree if verdict.candidate else None


def collect(
    files: Sequence[str],
    reals: Sequence[str],
    owner: Dict[str, str],
    names: Dict[str, Tuple[str, ...]],
    package,
    read,
    patches: Sequence[object],
    display,
    firsts: Optional[Dict[str, FirstRound]] = None,
    reaches: Any = None,
    jobs: int = 1,
) -> Tuple[Factory, ...]:
    """The factories of every project of the run. ``owner``: real path -> project;
    ``names``: real path -> dotted names; ``package(real)``: what relative imports resolve
    against; ``read(path)``: the bytes (raises OSError/ValueError); ``display(path)``: the
    path as reports show it. ``firsts``: real path -> ``first_round`` of the file, for every
    file of ``names`` (then only the files of projects with a candidate are read, and a
    candidate is parsed again only for a later round). ``reaches``: as for ``_replaces``.
    ``jobs``: processes that collect the projects (``_each_project``).

    Project by project: a project's factories come from its own files, its own patches and its
    own modules (``_lookups``). One pass over every project at once let a factory's name found
    in one project (biopython's ``search``, nltk's ``urlopen``) send the next round's word
    search into every other project's files, to parse and walk them again for a function that
    is not theirs: 16 s of the corpus's facts pass (one process, before any file runs), 4 s
    project by project, the factories the same."""
    wanted = None
    if firsts is not None:
        wanted = {owner.get(real) for real, first in firsts.items() if first is not None and names.get(real)}
    by_project: Dict[str, List[int]] = {}
    for position, real in enumerate(reals):
        project = owner.get(real)
        if project is not None and names.get(real) and (wanted is None or project in wanted):
            by_project.setdefault(project, []).append(position)

    def one(project: str) -> List[Factory]:
        its_reals = [reals[i] for i in by_project[project]]
        return _collect_project(
            [files[i] for i in by_project[project]],
            its_reals,
            owner,
            {real: names[real] for real in its_reals},
            package,
            read,
            [p for p in patches if getattr(p, "project", None) == project],
            display,
            None if firsts is None else {real: firsts[real] for real in its_reals if real in firsts},
            reaches,
        )

    out: List[Factory] = []
    largest_first = sorted(by_project, key=lambda p: (-len(by_project[p]), p))
    if sum(len(positions) for positions in by_project.values()) < PARALLEL_FILES:
        jobs = 1
    for found in _each_project(one, largest_first, jobs):
        out += found
    return tuple(sorted(out))


#: Fewer projects than this, or fewer files over them, are collected in the run's process.
PARALLEL_PROJECTS, PARALLEL_FILES = 2, 1000
_ONE: List[Callable[[str], List[Factory]]] = []  # the forked processes' ``one`` (never pickled)


def _each_project(one: Callable[[str], List[Factory]], projects: List[str], jobs: int) -> Iterable[List[Factory]]:
    """``one(project)`` for each project, in ``jobs`` forked processes (the largest projects
    first, so that none is left to run alone at the end); a pool that breaks (a process
    killed) leaves its projects to this process. The factories are the same whatever ``jobs``."""
    from ..workers import start_context

    context = start_context()
    # ``one`` reaches the processes through ``_ONE``, which only a forked child inherits.
    if jobs <= 1 or len(projects) < PARALLEL_PROJECTS or context.get_start_method() != "fork":
        return [one(project) for project in projects]
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    got: List[List[Factory]] = []
    _ONE[:] = [one]
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            for found in pool.map(_one_forked, projects):
                got.append(found)
    except BrokenProcessPool:
        got += [one(project) for project in projects[len(got) :]]
    finally:
        _ONE.clear()
    return got


def _one_forked(project: str) -> List[Factory]:
    return _ONE[0](project)


def _collect_project(
    files: Sequence[str],
    reals: Sequence[str],
    owner: Dict[str, str],
    names: Dict[str, Tuple[str, ...]],
    package,
    read,
    patches: Sequence[object],
    display,
    firsts: Optional[Dict[str, FirstRound]],
    reaches: Any,
) -> List[Factory]:
    """``collect`` for the files of one project (``patches``: the project's)."""
    from ..prefilter import imports_generated, parse_ast, screen
    from ..share.shared_import import shared_imports

    trees: Dict[str, Tuple[str, Optional[ast.Module]]] = {}  # real -> (path, tree): the files worth parsing
    texts: Dict[str, List[Tuple[str, bytes]]] = {}  # project -> (display path, bytes) of its files
    wanted = None
    if firsts is not None:
        wanted = {owner.get(real) for real, first in firsts.items() if first is not None and names.get(real)}
    for path, real in zip(files, reals):
        project = owner.get(real)
        if project is None or not names.get(real):
            continue
        if wanted is not None and project not in wanted:
            continue  # no candidate in its project: its bytes are never looked at
        try:
            data = read(path)
        except (OSError, ValueError):
            continue
        texts.setdefault(project, []).append((display(path), data))
        if firsts is not None:
            if firsts.get(real) is not None:
                trees[real] = (path, None)  # parsed when a later round asks
            continue
        tree = _candidate_tree(data, screen)
        if tree is not None:
            trees[real] = (path, tree)
    projects = {owner[real] for real in trees}
    texts = {project: its for project, its in texts.items() if project in projects}
    rest = [(path, real) for path, real in zip(files, reals) if real not in trees and owner.get(real) in projects]
    data_of = {display(path): data for its in texts.values() for path, data in its}
    # Rounds: the factories of the leaking calls, then those returning a known factory's
    # response (``def get(u): return _open(u)``), until no round finds a new one.
    out: Dict[Tuple[str, ...], Factory] = {}
    known: Known = {}
    todo = set(trees)
    lookups = _lookups(files, reals, owner, names, read)

    def defined(real: str, path: str, tree: Optional[ast.Module]) -> Iterable[Tuple[str, str, int, str, str]]:
        first = firsts.get(real) if firsts is not None and not known else None
        data = data_of.get(display(path), b"")
        # The workers' first round reads no other module, so a decorator proven transparent
        # by its own module (``decorators.transparent``) is seen only here: a file with a
        # decorated ``def`` is computed again (a byte test, a superset of such files).
        # Nor the clients it imports from its package's generated client module: their trust
        # rests on that module's bytes (``share/shared_import.py``), read here.
        if first is not None and not _DECORATOR_LINE.search(data) and not imports_generated(data):
            return first
        if tree is None:
            tree = parse_ast(data)
            if tree is None:  # pragma: no cover - the prefilter parsed these very bytes
                return ()
            trees[real] = (path, tree)
        shared = shared_imports(data, real)
        return in_module(tree, package(real), names[real], known, lookups.get(owner[real]), shared)

    for _ in range(_ROUNDS):
        found: Dict[str, List[Factory]] = {}
        for real, (path, tree) in sorted(trees.items()):
            if real not in todo:
                continue
            for cls, name, line, library, via in defined(real, path, tree):
                qualified = qualify(names[real], cls, name)
                if qualified not in out:
                    factory = Factory(
                        owner[real], qualified, name, cls, library, "with", f"{display(path)}:{line}", via
                    )
                    found.setdefault(owner[real], []).append(factory)
        if not found:
            break
        for project, its in sorted(found.items()):
            project_patches = [p for p in patches if getattr(p, "project", None) == project]
            for factory in screen_project(its, texts.get(project, []), project_patches, reaches):
                out[factory.qualified] = factory
                for name in factory.qualified:
                    known[name] = (factory.library, factory.mocked)
        before = set(trees)
        fresh = {f.name for fs in found.values() for f in fs if f.qualified in out}
        _add_callers(trees, rest, fresh, lambda path: data_of.get(display(path), b""))
        # The next round reads the files that name a factory found in this one.
        word = (
            re.compile(rb"\b(?:" + b"|".join(re.escape(w.encode()) for w in sorted(fresh)) + rb")\b") if fresh else None
        )
        todo = {
            real
            for real, (path, _) in trees.items()
            if real not in before or (word is not None and word.search(data_of.get(display(path), b"")))
        }
        if not todo:
            break
    _MODULE_NAMES.clear()
    _NAME_TOKENS.clear()
    _PARSED.clear()
    clear_decorator_memo()
    return list(out.values())


def _lookups(files, reals, owner, names, read) -> Dict[str, Lookup]:
    """project -> the tree of one of its modules by dotted name (parsed when first asked;
    None for a name no file of the project has, or one it cannot parse)."""
    paths: Dict[str, Dict[str, str]] = {}
    for path, real in zip(files, reals):
        project = owner.get(real)
        if project is None:
            continue
        its = paths.setdefault(project, {})
        for dotted in names.get(real, ()):
            # Two files of one name (a module and a script copy): neither is read.
            its[dotted] = path if its.get(dotted, path) == path else ""
    parsed: Dict[str, Optional[ast.Module]] = {}

    def make(its: Dict[str, str]) -> Lookup:
        def lookup(module: str) -> Optional[ast.Module]:
            path = its.get(module)
            if not path:
                return None
            if path not in parsed:
                try:
                    parsed[path] = ast.parse(read(path))
                except (OSError, ValueError, SyntaxError, RecursionError, MemoryError):
                    parsed[path] = None
            return parsed[path]

        return lookup

    return {project: make(its) for project, its in paths.items()}


def _add_callers(
    trees: Dict[str, Tuple[str, Optional[ast.Module]]], rest: List[Tuple[str, str]], words: Set[str], data
) -> None:
    """Parse into ``trees`` the files of ``rest`` that name one of ``words`` (a factory's
    name: they may hold a factory of it), and drop them from ``rest``."""
    if not words:
        return
    # A factory of one returns its call or binds it: ``return f(`` / ``= f(`` on one line.
    alternatives = b"|".join(re.escape(w.encode()) for w in sorted(words))
    pattern = re.compile(rb"(?:\breturn\b|=)[^\n]*\b(?:" + alternatives + rb")[ \t]*\(")
    encoded = [w.encode() for w in words]
    keep = []
    for path, real in rest:
        text = data(path)
        if b"return" in text and any(w in text for w in encoded) and pattern.search(text):
            try:
                trees[real] = (path, _parsed(text))
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                pass
        else:
            keep.append((path, real))
    rest[:] = keep


_CLASS = re.compile(rb"^[ \t]*class[ \t]+(\w+)[ \t]*(?:\(([^)]*)\))?", re.M)


def _derived(datas: Iterable[bytes], owners: Set[str]) -> Dict[str, Set[str]]:
    """owner -> the names of the project's classes that may derive from it (by the last part
    of their bases' names, transitively; itself included)."""
    bases: List[Tuple[str, Set[str]]] = []
    for data in datas:
        if b"class" not in data:
            continue
        for match in _CLASS.finditer(data):
            listed = match.group(2) or b""
            names = {part.strip().split(b".")[-1].decode("utf-8", "replace") for part in listed.split(b",")}
            bases.append((match.group(1).decode(), {n for n in names if n}))
    out = {}
    for owner in owners:
        found = {owner}
        changed = True
        while changed:
            changed = False
            for name, its in bases:
                if name not in found and its & found:
                    found.add(name)
                    changed = True
        out[owner] = found
    return out


def _classes_defining(data: bytes, name: str, derived: Dict[str, Set[str]]) -> List[Tuple[str, str, int, int]]:
    """(name, owner, line of the class, line of the def) for each factory owner and each class
    of this file that defines ``name`` and may derive from the owner's class (by name; a class
    without bases derives from nothing, it can only be the owner's class itself); an
    unparsable file counts for every owner."""
    try:
        tree = _parsed(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return [(name, owner, 0, 0) for owner in derived]
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        for sub in node.body:
            if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and sub.name == name:
                for owner, classes in derived.items():
                    if node.name not in classes:
                        continue
                    if node.bases or node.keywords:
                        out.append((name, owner, node.lineno, sub.lineno))
    return out


# -- the object handed to the caller ------------------------------------------------------------
_TRIVIAL = (ast.Pass, ast.Break, ast.Continue)


@dataclass(frozen=True)
class _Flow:
    """How running some statements may end, for the object being followed: ``bad`` (a normal
    exit that does not hand it out: a ``return`` of anything else, falling off the function, a
    path that drops every name of it), and the names that hold it where they fall through, break
    or continue (None: not reached)."""

    bad: bool = False
    fall: Optional[frozenset] = None
    brk: Optional[frozenset] = None
    cont: Optional[frozenset] = None


def _meet(a: Optional[frozenset], b: Optional[frozenset]) -> Optional[frozenset]:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def _join(a: _Flow, b: _Flow) -> _Flow:
    return _Flow(a.bad or b.bad, _meet(a.fall, b.fall), _meet(a.brk, b.brk), _meet(a.cont, b.cont))


def _stored(node: ast.AST) -> Set[str]:
    """The names ``node`` binds or deletes (nested scopes aside, their own names included)."""
    out: Set[str] = set()
    stack = [node]
    while stack:
        sub = stack.pop()
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            out.add(sub.id)
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(sub.name)
            stack.extend(sub.decorator_list)
            continue
        elif isinstance(sub, ast.Lambda):
            continue
        elif isinstance(sub, ast.alias):
            out.add((sub.asname or sub.name).split(".")[0])
        elif isinstance(sub, ast.ExceptHandler) and sub.name:
            out.add(sub.name)
        elif isinstance(sub, (ast.Global, ast.Nonlocal)):
            out.update(sub.names)
        elif type(sub).__name__ in ("MatchAs", "MatchStar", "MatchMapping"):
            name = getattr(sub, "name", None) or getattr(sub, "rest", None)
            if name:
                out.add(name)
        stack.extend(children(sub))
    return out


class _HandsOut:
    """Follows the names that hold one object (``name``, and owning wrappers of it bound to
    other names) through a function's statements: see ``hands_out``."""

    def __init__(self, dotted, containers: bool, wrappers: bool, returned=None, func=None) -> None:
        self.dotted = dotted
        self.containers = containers
        self.wrappers = wrappers
        #: ``returned(value, owned)``: what a ``return`` must return (default: the object).
        self.returned = returned
        self.func = func  # the function followed (its constants bound once: ``_constants``)
        self._ints: Optional[Dict[str, int]] = None
        #: On the last round of a ``for`` over ``range(K)``: the values its target and bound
        #: have then (``{"i": K - 1, "retries": K}``); None elsewhere.
        self.last: Optional[Dict[str, int]] = None
        #: With a list: the ``raise`` statements reached while a name holds the object, that
        #: leave the function (in no ``try`` or ``with`` of it: ``guarded``) and whose
        #: exception does not carry it (``_carries``): the object leaks there.
        self.raises: Optional[List[ast.Raise]] = None
        self.guarded: Set[ast.AST] = set()
        #: With ``raises``: the names that hold the object at each of them (``closing/raising.py``).
        self.holding: Dict[ast.AST, frozenset] = {}
        #: Bare names of functions that never return normally: a statement calling one ends
        #: its path as a ``raise`` (``_Context.noreturn``; empty but for a factory's own flow).
        self.noreturn: frozenset = frozenset()

    def holds(self, expr: Optional[ast.AST], owned: frozenset) -> bool:
        """``expr`` is the object itself: a name holding it, or an owning wrapper of one."""
        if isinstance(expr, ast.Name):
            return expr.id in owned
        return (
            self.wrappers
            and isinstance(expr, ast.Call)
            and bool(expr.args)
            and self.dotted(expr.func) in OWNING_WRAPPERS
            and self.holds(expr.args[0], owned)
        )

    def returns(self, value: Optional[ast.AST], owned: frozenset) -> bool:
        if self.returned is not None:
            return bool(self.returned(value, owned))
        if self.holds(value, owned):
            return True
        return (
            self.containers
            and isinstance(value, (ast.Tuple, ast.List))
            and any(isinstance(e, ast.Name) and e.id in owned for e in value.elts)
        )

    def run(self, stmts: Sequence[ast.stmt], owned: Optional[frozenset]) -> _Flow:
        flow = _Flow(fall=owned)
        closed = False  # ``r.close()`` ran before, in this block: a raise after it leaves nothing open
        for stmt in stmts:
            if flow.fall is None:
                break
            if isinstance(stmt, ast.Raise) and closed:
                return _Flow(flow.bad, None, flow.brk, flow.cont)  # as the raise's own step, unrecorded
            step = self.stmt(stmt, flow.fall)
            closed = closed or (
                isinstance(stmt, ast.Expr)
                and isinstance(stmt.value, ast.Call)
                and isinstance(stmt.value.func, ast.Attribute)
                and stmt.value.func.attr in CLOSING_METHODS
                and isinstance(stmt.value.func.value, ast.Name)
                and stmt.value.func.value.id in flow.fall
            )
            flow = _Flow(flow.bad or step.bad, step.fall, _meet(flow.brk, step.brk), _meet(flow.cont, step.cont))
            if flow.fall is not None and not flow.fall:
                flow = _Flow(True, None, flow.brk, flow.cont)  # no name holds it any more: dropped
        return flow

    def stmt(self, stmt: ast.stmt, owned: frozenset) -> _Flow:
        if isinstance(stmt, ast.Return):
            return _Flow(bad=not self.returns(stmt.value, owned))
        if isinstance(stmt, ast.Raise):
            if (
                self.raises is not None
                and owned
                and stmt not in self.guarded
                and stmt not in self.raises
                and not _carries(stmt, owned)
            ):
                self.raises.append(stmt)
                self.holding[stmt] = owned
            return _Flow()
        if isinstance(stmt, ast.Break):
            return _Flow(brk=owned)
        if isinstance(stmt, ast.Continue):
            return _Flow(cont=owned)
        if isinstance(stmt, (ast.Global, ast.Nonlocal)):
            return _Flow(bad=bool(owned & set(stmt.names)), fall=owned)
        if isinstance(stmt, ast.If):
            owned = owned - _stored(stmt.test)
            known = _value(stmt.test, self.last) if self.last is not None else None
            if known is not None:  # on the last round of a retry loop: ``if i + 1 == retries: raise``
                return self.run(stmt.body if known else stmt.orelse, owned)
            return _join(self.run(stmt.body, owned), self.run(stmt.orelse, owned))
        if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
            return self.loop(stmt, owned)
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                owned = owned - _stored(item)
            body = self.run(stmt.body, owned)
            if not _may_raise(stmt.body):
                return body
            # Its exit may swallow an exception of the body: the code after it runs then too.
            return _Flow(body.bad, _meet(body.fall, owned - _stored(stmt)), body.brk, body.cont)
        if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            return self.try_(stmt, owned, self.run(stmt.body, owned), True)  # type: ignore[arg-type]
        if type(stmt).__name__ == "Match":
            owned = owned - _stored(stmt.subject)  # type: ignore[attr-defined]
            flow = _Flow(fall=owned)
            for case in stmt.cases:  # type: ignore[attr-defined]
                flow = _join(flow, self.run(case.body, owned - _stored(case.pattern)))
            return flow
        if (
            self.noreturn
            and isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name)
            and stmt.value.func.id in self.noreturn
        ):
            return _Flow()  # it raises
        if isinstance(stmt, ast.Assign):
            if self.holds(stmt.value, owned):
                kept = owned - _stored(stmt)
                return _Flow(fall=kept | {t.id for t in stmt.targets if isinstance(t, ast.Name)})
        return _Flow(fall=owned - _stored(stmt))

    def loop(self, stmt, owned: frozenset) -> _Flow:
        owned = owned - _stored(stmt.target) - _stored(stmt.iter) if not isinstance(stmt, ast.While) else owned
        if isinstance(stmt, ast.While):
            owned = owned - _stored(stmt.test)
        start = owned
        while True:  # the names that hold it at the top of every iteration
            body = self.run(stmt.body, start)
            again = _meet(_meet(start, body.fall), body.cont)
            if again == start:
                break
            start = again
        forever = isinstance(stmt, ast.While) and isinstance(stmt.test, ast.Constant) and bool(stmt.test.value)
        forever = forever or self.ends_on_last_round(stmt, start)
        after = None if forever else self.run(stmt.orelse, start)
        fall = _meet(after.fall if after else None, body.brk)
        bad = body.bad or bool(after and after.bad)
        return _Flow(bad, fall, after.brk if after else None, after.cont if after else None)

    def ends_on_last_round(self, stmt, start: frozenset) -> bool:
        """``stmt`` is a ``for i in range(K)`` (``K`` a positive int: a literal, or a local of
        the function bound once to one; neither ``i`` nor ``K`` bound in the loop) whose last
        round cannot end normally: on it (``i == K - 1``) every path of the body returns or
        raises, each ``if`` whose test is then known taken its one way (``if i + 1 == retries:
        raise``). Such a loop is never left but by a ``break``, a ``return`` or a raise: the
        retry loop of ``for i in range(3): try: return urlopen(u) except URLError: if i == 2:
        raise``."""
        if not isinstance(stmt, ast.For) or not isinstance(stmt.target, ast.Name) or stmt.orelse:
            return False
        it = stmt.iter
        if not (
            isinstance(it, ast.Call)
            and isinstance(it.func, ast.Name)
            and it.func.id == "range"
            and len(it.args) == 1
            and not it.keywords
        ):
            return False
        if self.func is None or any(
            (isinstance(n, ast.Name) and n.id == "range" and not isinstance(n.ctx, ast.Load))
            or (isinstance(n, ast.Global) and "range" in n.names)  # the module's ``range``, maybe another
            for n in ast.walk(self.func)
        ):
            return False
        ints = self.constants()
        bound = it.args[0]
        if isinstance(bound, ast.Constant) and type(bound.value) is int:
            count = bound.value
        elif isinstance(bound, ast.Name) and bound.id in ints:
            count = ints[bound.id]
        else:
            return False
        stored = set().union(set(), *(_stored(s) for s in stmt.body))
        for node in ast.walk(self.func):  # a nested function's ``nonlocal i`` may rebind it too
            if isinstance(node, (ast.Global, ast.Nonlocal)):
                stored.update(node.names)
        if count < 1 or stmt.target.id in stored or (isinstance(bound, ast.Name) and bound.id in stored):
            return False
        env = {stmt.target.id: count - 1}
        if isinstance(bound, ast.Name):
            env[bound.id] = count
        saved, self.last = self.last, env
        try:
            body = self.run(stmt.body, start | {"<last round>"})
        finally:
            self.last = saved
        return body.fall is None and body.cont is None

    def constants(self) -> Dict[str, int]:
        """The function's local names bound once, by ``name = <int literal>`` (no parameter,
        no ``global``): ``retry_time = 3``."""
        if self._ints is None:
            self._ints = {}
            func = self.func
            if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                counts: Dict[str, int] = {}
                values: Dict[str, int] = {}
                for node in _own_nodes(func):  # type: ignore[arg-type]
                    if isinstance(node, ast.Name):
                        if isinstance(node.ctx, (ast.Store, ast.Del)):
                            counts[node.id] = counts.get(node.id, 0) + 1
                    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                        counts[node.name] = 2  # some other binding: a def, an import, ``global``...
                    elif isinstance(node, ast.alias):
                        counts[(node.asname or node.name).split(".")[0]] = 2
                    elif isinstance(node, ast.ExceptHandler) and node.name:
                        counts[node.name] = 2
                    elif isinstance(node, (ast.Global, ast.Nonlocal)):
                        counts.update((name, 2) for name in node.names)
                    if (
                        isinstance(node, ast.Assign)
                        and len(node.targets) == 1
                        and isinstance(node.targets[0], ast.Name)
                        and isinstance(node.value, ast.Constant)
                        and type(node.value.value) is int
                    ):
                        values[node.targets[0].id] = node.value.value
                args = func.args
                params = {a.arg for a in args.args + args.posonlyargs + args.kwonlyargs}
                params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
                self._ints = {n: v for n, v in values.items() if n not in params and counts.get(n) == 1}
        return self._ints

    def try_(self, stmt, owned: frozenset, body: _Flow, handled: bool, start: Optional[frozenset] = None) -> _Flow:
        """The flow of ``stmt`` (a ``try``) whose body ran as ``body``; ``handled``: its
        handlers may run with the object held (by ``start``; by default ``owned`` less what
        the body rebinds)."""
        flow = _Flow(body.bad, None, body.brk, body.cont)
        flow = _join(flow, self.run(stmt.orelse, body.fall) if body.fall is not None else _Flow())
        if handled:
            if start is None:
                start = owned - set().union(*(_stored(s) for s in stmt.body))
            for handler in stmt.handlers:
                flow = _join(flow, self.run(handler.body, start - _stored(handler)))
        if stmt.finalbody:
            if any(isinstance(n, (ast.Return, ast.Break, ast.Continue)) for s in stmt.finalbody for n in ast.walk(s)):
                return _Flow(bad=True)  # a finally that can cancel the exit
            if flow.fall is not None:
                final = self.run(stmt.finalbody, flow.fall)
                flow = _Flow(flow.bad or final.bad, final.fall, flow.brk, flow.cont)
        return flow


_COMPARE = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
}


def _value(expr: ast.AST, env: Dict[str, int]) -> Any:
    """The value of ``expr`` (int literals, names of ``env``, ``+``, ``-``, comparisons), or
    None when it is anything else."""
    if isinstance(expr, ast.Constant) and type(expr.value) is int:
        return expr.value
    if isinstance(expr, ast.Name):
        return env.get(expr.id)
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, (ast.Add, ast.Sub)):
        left, right = _value(expr.left, env), _value(expr.right, env)
        if type(left) is not int or type(right) is not int:
            return None
        return left + right if isinstance(expr.op, ast.Add) else left - right
    if isinstance(expr, ast.Compare):
        values = [_value(e, env) for e in [expr.left, *expr.comparators]]
        if any(type(v) is not int for v in values):
            return None
        if any(type(op) not in _COMPARE for op in expr.ops):
            return None
        return all(_COMPARE[type(op)](a, b) for op, a, b in zip(expr.ops, values, values[1:]))
    return None


def _next_statements(func: ast.AST) -> Dict[ast.AST, Optional[ast.stmt]]:
    """Each statement of ``func`` (nested scopes aside) -> the one after it in its block."""
    out: Dict[ast.AST, Optional[ast.stmt]] = {}
    for node in _own_nodes(func):  # type: ignore[arg-type]
        blocks = [getattr(node, f, None) for f in ("body", "orelse", "finalbody")]
        blocks += [h.body for h in getattr(node, "handlers", ()) or ()]
        blocks += [c.body for c in getattr(node, "cases", ()) or ()]
        for block in blocks:
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                for i, stmt in enumerate(block):
                    out[stmt] = block[i + 1] if i + 1 < len(block) else None
    return out


def closed_before_raise(node: ast.Name, parents: Dict[ast.AST, ast.AST], following: Dict[ast.AST, Any]) -> bool:
    """``node`` is the object closed just before a ``raise`` (the shapes close-response writes
    when a raise would leave a factory with its response open, ``closing/raising.py``, and the
    same by hand): ``r.close()`` as a statement whose next statement is a ``raise``, or ``with
    r:`` (no ``as``) whose body is one ``raise``. The caller never gets that response, so the
    function still hands out every response it returns. ``following``: ``_next_statements``
    of the function."""
    parent = parents.get(node)
    if isinstance(parent, ast.withitem):
        stmt = parents.get(parent)
        return (
            isinstance(stmt, ast.With)
            and parent.optional_vars is None
            and len(stmt.items) == 1
            and len(stmt.body) == 1
            and isinstance(stmt.body[0], ast.Raise)
        )
    call = parents.get(parent) if isinstance(parent, ast.Attribute) and parent.attr == "close" else None
    stmt = parents.get(call) if isinstance(call, ast.Call) and call.func is parent else None
    if not isinstance(stmt, ast.Expr) or call.args or call.keywords:  # type: ignore[union-attr]
        return False
    # ``a.close()`` then ``b.close()`` then the raise: two responses closed before it
    seen = 0
    after = following.get(stmt)
    while _is_close(after) and seen < 8:
        after, seen = following.get(after), seen + 1
    return isinstance(after, ast.Raise)


def _is_close(stmt: Optional[ast.AST]) -> bool:
    """``name.close()`` as a statement."""
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Attribute)
        and stmt.value.func.attr == "close"
        and isinstance(stmt.value.func.value, ast.Name)
        and not stmt.value.args
        and not stmt.value.keywords
    )


def _carries(stmt: ast.Raise, owned: frozenset) -> bool:
    """Whether the exception ``stmt`` raises may carry the object: a bare ``raise`` (the
    exception being handled, ``HTTPError`` has ``response``), or a raise whose exception or
    cause names it other than for one of its attributes (``HTTPError(response=r)``, not
    ``ValueError(r.status_code)``)."""
    if stmt.exc is None:
        return True
    parents: Dict[ast.AST, ast.AST] = {}
    for part in (stmt.exc, stmt.cause):
        if part is None:
            continue
        for node in ast.walk(part):
            for child in children(node):
                parents[child] = node
            if isinstance(node, ast.Name) and node.id in owned:
                parent = parents.get(node)
                if not (isinstance(parent, ast.Attribute) and parent.value is node):
                    return True
    return False


def _guarded_raises(func: ast.AST) -> Set[ast.AST]:
    """The ``raise`` statements of ``func`` in one of its ``try`` or ``with`` statements (an
    exception there may be caught, or the block's exit may close the object)."""
    out: Set[ast.AST] = set()
    for node in _own_nodes(func):  # type: ignore[arg-type]
        if isinstance(node, (ast.Try, ast.With)) or type(node).__name__ == "TryStar":
            out.update(n for n in ast.walk(node) if isinstance(n, ast.Raise))
    return out


def _may_raise(stmts: Sequence[ast.stmt]) -> bool:
    """Whether any of ``stmts`` may raise (anything but ``pass``/``break``/``continue`` and
    ``return`` of a plain name)."""
    for stmt in stmts:
        if isinstance(stmt, _TRIVIAL):
            continue
        if isinstance(stmt, ast.Return) and (stmt.value is None or isinstance(stmt.value, (ast.Name, ast.Constant))):
            continue
        return True
    return False


def _path(body: Sequence[ast.stmt], stmt: ast.stmt) -> Optional[List[Tuple[ast.AST, str, Sequence[ast.stmt], int]]]:
    """(owner, field, statements, index) from ``body`` (a function's) down to ``stmt``,
    outermost first; nested scopes aside."""
    for i, sub in enumerate(body):
        if sub is stmt:
            return [(None, "body", body, i)]  # type: ignore[list-item]
        if isinstance(sub, _SCOPES):
            continue
        parts: List[Tuple[str, Sequence[ast.stmt]]] = []
        for field in ("body", "orelse", "finalbody"):
            value = getattr(sub, field, None)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                parts.append((field, value))
        for k, handler in enumerate(getattr(sub, "handlers", ()) or ()):
            parts.append((f"handler{k}", handler.body))
        for k, case in enumerate(getattr(sub, "cases", ()) or ()):
            parts.append((f"case{k}", case.body))
        for field, stmts in parts:
            inner = _path(stmts, stmt)
            if inner is not None:
                inner[0] = (sub, field, inner[0][2], inner[0][3])
                return [(None, "body", body, i)] + inner  # type: ignore[list-item]
    return None


def hands_out(
    func: ast.AST,
    stmt: ast.stmt,
    name: str,
    dotted,
    containers: bool = False,
    wrappers: bool = True,
    raises: Optional[List[ast.Raise]] = None,
    holding: Optional[Dict[ast.AST, frozenset]] = None,
) -> bool:
    """Whether ``func`` hands the object that ``stmt`` (a statement of its own) binds to
    ``name`` to its caller: on every normal exit after ``stmt`` it returns that object itself
    (``return name``, ``return io.TextIOWrapper(name, ...)`` with ``wrappers``; a tuple or list
    holding the name with ``containers``), wherever that exit is (inside the block that binds it
    or after its end), and no path after ``stmt`` drops it (falls off the function, returns
    anything else, rebinds every name of it, leaves a loop body to go round again). Paths that
    raise are the caller's too. No ``yield`` in ``func``. ``dotted(expr)``: the dotted name of
    an expression (``io.TextIOWrapper``). The one rule for "the caller owns it": close-response
    and close-client report
    no site for such a binding. A factory follows the same flow from its entry, every
    ``return`` a fresh response (``_factory``); a response it binds and drops on one path
    (a retry loop that binds a new one) is reported there, and its callers are still sites."""
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    for node in _own_nodes(func):  # type: ignore[arg-type]
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return False
    path = _path(func.body, stmt)
    if path is None:
        return False
    follow = _HandsOut(dotted, containers, wrappers, func=func)
    if raises is not None:  # the caller wants the raises that leave with the object (``_HandsOut.raises``)
        follow.raises, follow.guarded = raises, _guarded_raises(func)
        if holding is not None:
            follow.holding = holding
    owner, field, stmts, index = path[-1]
    flow = follow.run(stmts[index + 1 :], frozenset({name}))
    after: List[ast.stmt] = list(stmts[index + 1 :])  # what runs after the binding, inside each level
    for level in range(len(path) - 1, 0, -1):
        owner, field = path[level][0], path[level][1]
        _, _, outer, outer_index = path[level - 1]
        if isinstance(owner, (ast.For, ast.AsyncFor, ast.While)) and field == "body":
            # Round again: the next iteration may bind it anew and drop this one.
            flow = _Flow(flow.bad or flow.fall is not None or flow.cont is not None, flow.brk)
        elif isinstance(owner, ast.Try) or type(owner).__name__ == "TryStar":
            if field == "body":
                # A handler runs after the binding when what follows it in the body raises.
                start = frozenset({name}) - set().union(set(), *(_stored(s) for s in after))
                flow = follow.try_(owner, frozenset({name}), flow, _may_raise(after), start)
            elif field.startswith("handler") or field == "orelse":
                empty = ast.Try(body=[], handlers=[], orelse=[], finalbody=owner.finalbody)  # type: ignore[attr-defined]
                flow = follow.try_(empty, frozenset(), flow, False)
        elif isinstance(owner, (ast.With, ast.AsyncWith)) and field == "body" and _may_raise(after):
            # Its exit may swallow an exception raised after the binding: the code after it runs.
            held = frozenset({name}) - set().union(set(), *(_stored(s) for s in after))
            flow = _Flow(flow.bad, _meet(flow.fall, held), flow.brk, flow.cont)
        rest = outer[outer_index + 1 :]
        after = [owner] if _may_raise(after) else []  # type: ignore[list-item]
        after += list(rest)
        if flow.fall is not None:
            more = follow.run(rest, flow.fall)
            flow = _Flow(flow.bad or more.bad, more.fall, _meet(flow.brk, more.brk), _meet(flow.cont, more.cont))
    return not flow.bad and flow.fall is None


def hands_out_marked(
    tree: ast.Module,
    marker: str,
    containers: bool = False,
    wrappers: bool = True,
    raises: Optional[List[ast.Raise]] = None,
    holding: Optional[Dict[ast.AST, frozenset]] = None,
) -> bool:
    """``hands_out`` for the object made by the call of ``marker`` in ``tree`` (the codemods
    replace their target by ``marker()`` in the code of its function, after the module's
    imports): bound by ``name = <it>`` (``await``, an owning wrapper around it) in a function,
    or returned at once (``return <it>``)."""
    names = _Names(tree, "")
    names._imports([n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))])
    parents: Dict[ast.AST, ast.AST] = {}
    found: Optional[ast.AST] = None
    for node in ast.walk(tree):
        for child in children(node):
            parents[child] = node
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == marker:
            found = node
    if found is None:
        return False
    value: ast.AST = found
    parent = parents.get(value)
    if isinstance(parent, ast.Await):
        value, parent = parent, parents.get(parent)
    while (
        wrappers
        and isinstance(parent, ast.Call)
        and parent.args
        and parent.args[0] is value
        and names.dotted(parent.func) in OWNING_WRAPPERS
    ):
        value, parent = parent, parents.get(parent)
    func = parent
    while func is not None and not isinstance(func, (*_SCOPES, ast.Module)):
        func = parents.get(func)
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    if isinstance(parent, ast.Return) and parent.value is value:
        return not any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _own_nodes(func))  # type: ignore[arg-type]
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
        target = parent.targets[0].id
    elif isinstance(parent, ast.AnnAssign) and isinstance(parent.target, ast.Name) and parent.value is value:
        target = parent.target.id
    else:
        return False
    return hands_out(func, parent, target, names.dotted, containers, wrappers, raises, holding)
