"""``share-session``: route bare ``requests.get(...)`` / ``httpx.get(...)`` calls through one
shared, cookie-isolated client, so connections are reused instead of opened per call.

``requests.get(url)`` builds a ``Session``, sends one request and closes the session (and its
connection pool) again; ``httpx.get(url)`` does the same with a ``Client``. Three strategies:

- ``module`` (default): one module-level client, created right after the imports, used by every
  target of the module;
- ``function``: in each function with two or more targets (or one in a loop), the statements from
  the first to the last target run inside ``with requests.Session() as session:``;
- ``--client MODULE:NAME``: the user's own shared client (its library given by
  ``--client-library``).

What a bare call does that a client method would not do the same way (checked in the installed
sources of requests 2.34 and httpx 0.28, see README):

- requests: ``requests.<verb>`` is ``with Session() as s: return s.request(...)``, so a shared
  session behaves the same per request except that it keeps cookies between calls (we give it a
  cookie policy that stores none) and reuses pooled connections. ``verify``/``cert`` are reported:
  before requests 2.32 a pooled connection made with ``verify=False`` was reused by later
  verifying requests to the same host (CVE-2024-35195). ``**kwargs`` may hold them: reported.
  ``requests.get(url, params)`` has ``params`` positional, which ``Session.get`` only has since
  2.32: it is passed as ``params=`` instead.
- httpx: ``httpx.<verb>`` passes ``cookies``, ``proxy``, ``verify``, ``timeout`` and ``trust_env``
  to the ``Client`` it creates. ``Client.<verb>`` has no ``proxy``/``verify``/``trust_env``/``cert``
  and deprecates per-request ``cookies``: such calls are reported. ``timeout`` is accepted per
  request with the same meaning. httpx sends cookies on a redirect from the client's jar only,
  so with an isolated jar a redirect that sets a cookie would not carry it on: calls that may
  follow redirects are reported unless ``--keep-cookies``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst
from libcst.metadata import QualifiedNameProvider, ScopeProvider
from libcst.metadata.scope_provider import GlobalScope, ImportAssignment

from .base import HttpCodemod, Option
from .calls import HttpCall, is_literal_false, is_literal_true
from .tree import walk

#: How many positional arguments each bare function takes (beyond that it raised TypeError).
REQUESTS_POSITIONAL = {
    "get": 2, "post": 3, "put": 2, "patch": 2, "delete": 1, "head": 1, "options": 1, "request": 2,
}
#: Positional parameter names of the bare requests functions after ``url`` (``params`` of
#: ``get`` is turned into a keyword: ``Session.get`` has it positional only since 2.32).
REQUESTS_TO_KEYWORD = {"get": ("params",)}
HTTPX_POSITIONAL = {verb: 1 for verb in ("get", "post", "put", "patch", "delete", "head", "options")}
HTTPX_POSITIONAL.update({"request": 2, "stream": 2})
#: Keywords both ``httpx.<verb>`` and ``Client.<verb>`` take with the same meaning.
HTTPX_SHARED_KEYWORDS = frozenset(
    {"method", "url", "params", "content", "data", "files", "json", "headers", "auth", "timeout"}
)

LIBRARY_CLASS = {"requests": "Session", "httpx": "Client"}
DEFAULT_MODULE_NAMES = {"requests": "_session", "httpx": "_client"}
DEFAULT_FUNCTION_NAMES = {"requests": "session", "httpx": "client"}

_EXITS = {"sys.exit", "builtins.exit", "builtins.quit", "os._exit", "exit", "quit"}
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CLIENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$")

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


@dataclass
class _Target:
    call: cst.Call
    found: HttpCall
    root: cst.Name
    function: Optional[cst.FunctionDef]  # innermost enclosing def, None at module level
    deferred: bool  # inside a lambda, generator expression or class body within that def
    in_loop: bool
    statement: Optional[cst.BaseStatement] = None  # top-level statement of ``function``'s body


@dataclass
class _Ref:
    """How generated code names a module: ``name`` and the import to add (or None)."""

    name: str
    add: Optional[cst.SimpleStatementLine] = None


@dataclass
class _Facts:
    patched: Dict[str, str] = field(default_factory=dict)  # library -> why
    env: Optional[str] = None  # how the module changes os.environ, if it does
    fork: Optional[str] = None  # what the module forks with, if it does


#: Calls that change the process environment (httpx clients read it when created).
_ENV_WRITERS = frozenset(
    {
        "os.putenv", "os.unsetenv", "os.environ.update", "os.environ.setdefault", "os.environ.pop",
        "os.environ.popitem", "os.environ.clear", "os.environ.__setitem__", "os.environ.__delitem__",
        "dotenv.load_dotenv", "dotenv.main.load_dotenv",
    }
)
#: What starts another process by forking (multiprocessing.* is matched by prefix).
_FORKERS = frozenset(
    {
        "os.fork", "os.forkpty", "concurrent.futures.ProcessPoolExecutor",
        "concurrent.futures.process.ProcessPoolExecutor",
    }
)
#: The library modules themselves (a call that receives one may patch it: setattr, mock.patch.object).
_LIBRARY_MODULES = frozenset(
    {
        "requests", "requests.api", "requests.sessions", "requests.adapters", "requests.models",
        "httpx", "httpx._api", "httpx._client",
    }
)


@dataclass
class _Plan:
    rewrites: Dict[cst.Call, Tuple[str, str, str]] = field(default_factory=dict)  # call -> (receiver, verb, library)
    module_block: List[cst.BaseStatement] = field(default_factory=list)
    insert_at: int = -1
    functions: Dict[cst.FunctionDef, Tuple[int, int, List[Tuple[str, str]], bool]] = field(
        default_factory=dict
    )


class ShareSession(HttpCodemod):
    NAME = "share-session"
    #: ``_module_facts`` looks for patches, environment changes and forks module-wide.
    MODULE_WIDE = HttpCodemod.MODULE_WIDE | {
        "os.environ", "os.putenv", "os.unsetenv", "os.fork", "os.forkpty", "dotenv", "multiprocessing",
        "concurrent.futures.ProcessPoolExecutor", "concurrent.futures.process.ProcessPoolExecutor",
        "requests_cache",
    }
    DESCRIPTION = (
        "Route bare requests.get()/httpx.get() calls through one shared, cookie-isolated "
        "client so connections are reused."
    )
    WHY = (
        "requests.get(url) creates and closes a whole Session per call (httpx.get a Client): "
        "every call opens a new TCP connection, and with TLS a new handshake."
    )
    FIX = (
        "Creates one client per module (after the imports) or per function (a `with` block) and "
        "rewrites the calls to `<client>.<verb>(...)` with the same arguments. The client stores "
        "no cookies, as bare calls never carried cookies from one call to the next. Connections "
        "are reused; a module-level client is shared by threads and lives until the process "
        "exits (it is not closed by an atexit handler). Tests that patch the bare function "
        "(`mock.patch(\"mod.requests.get\")`) no longer intercept the rewritten calls: patch "
        "the client's method instead (`mock.patch.object(mod._session, \"get\")`)."
    )
    DEFAULT = True
    OPTIONS = (
        Option(
            "session-scope",
            "module",
            "one shared client per module, or a `with` client per function",
            ("module", "function"),
        ),
        Option("session-name", "", "name of the generated client (default _session/_client)"),
        Option("client", "", "MODULE:NAME of an existing shared client to use instead"),
        Option(
            "client-library",
            "requests",
            "library of the --client object",
            ("requests", "httpx"),
        ),
        Option("keep-cookies", False, "let the shared client carry cookies between calls"),
    )

    def __init__(self, context: Any, **options: Any) -> None:
        super().__init__(context, **options)
        scope = self.options["session-scope"]
        if scope not in ("module", "function"):
            raise ValueError(f"session-scope must be module or function, not {scope!r}")
        name = self.options["session-name"] or ""
        if name and (not _IDENTIFIER.match(name) or name.startswith("__")):
            raise ValueError(f"invalid session-name {name!r}: expected an identifier not starting with __")
        client = self.options["client"] or ""
        if client and not _CLIENT.match(client):
            raise ValueError(f"invalid client {client!r}: expected MODULE:NAME, e.g. myapp.http:session")
        if self.options["client-library"] not in ("requests", "httpx"):
            raise ValueError("client-library must be requests or httpx")
        keep = self.options["keep-cookies"]
        if isinstance(keep, str):
            keep = keep.strip().lower() in ("1", "true", "yes", "on")
        self.keep_cookies = bool(keep)
        self.plan = _Plan()

    def changed_nodes(self) -> Optional[Iterable[cst.CSTNode]]:
        return list(self.plan.rewrites) + list(self.plan.functions)

    # -- analysis ------------------------------------------------------------------------

    def visit_Module(self, node: cst.Module) -> bool:
        self.plan = _Plan()  # libcst's runner reuses one instance for every file
        self.module_node = node
        self.all_names = {n.value for n in self.nodes_of(node, cst.Name)} | self.file.hidden_names
        self._added: Dict[str, _Ref] = {}
        self.global_scope = self._global_scope(node)
        targets = self._collect(node)
        if not targets:
            return True
        self.has_star = any(
            isinstance(n.names, cst.ImportStar) for n in self.nodes_of(node, cst.ImportFrom)
        )
        self.facts = self._module_facts(node)
        if self.options["client"]:
            self._plan_client(node, targets)
        elif self.options["session-scope"] == "function":
            self._plan_function(node, targets)
        else:
            self._plan_module(node, targets)
        return True

    def _global_scope(self, node: cst.Module) -> Optional[GlobalScope]:
        for stmt in node.body:
            try:
                scope = self.get_metadata(ScopeProvider, stmt, None)
            except KeyError:
                scope = None
            if scope is not None:
                return scope.globals
        return None

    def _collect(self, module: cst.Module) -> List[_Target]:
        star_libraries = _star_imports(self.nodes_of(module, cst.ImportFrom))
        found: List[_Target] = []

        for call in self.nodes_of(module, cst.Call):  # source order
            info = self.resolver.classify(call)
            if info is None:
                if star_libraries and isinstance(call.func, cst.Name):
                    self._maybe_star(call, star_libraries)
                continue
            if info.kind != "function" or info.library not in ("requests", "httpx"):
                continue
            if self.suppressed(call):
                continue
            root = _root_name(call.func)
            if root is None:
                continue
            function, deferred, in_loop, statement = self._context(call)
            found.append(_Target(call, info, root, function, deferred, in_loop, statement))
        return found

    def _maybe_star(self, call: cst.Call, libraries: Sequence[str]) -> None:
        name = call.func
        assert isinstance(name, cst.Name)
        verbs = {"get", "post", "put", "patch", "delete", "head", "options", "request", "stream"}
        if name.value not in verbs or self.suppressed(call):
            return
        try:
            scope = self.get_metadata(ScopeProvider, name, None)
        except KeyError:
            return
        if scope is None or scope[name.value]:
            return
        self.report(call, f"cannot resolve {name.value}(): star import from {' or '.join(libraries)}")

    def _context(self, call: cst.Call):
        """(innermost def, deferred, in a loop of that def, that def's body statement).

        ``deferred``: inside a lambda or a generator expression (they may run after the def's
        statements did). Decorators and default values belong to the enclosing scope.
        """
        deferred = False
        in_loop = False
        prev: Optional[cst.CSTNode] = None
        child: cst.CSTNode = call
        node = self.resolver.parent(call)
        while node is not None and not isinstance(node, cst.Module):
            if isinstance(node, cst.FunctionDef) and child is node.body:
                statement = prev if isinstance(prev, cst.BaseStatement) else None
                return node, deferred, in_loop, statement
            if (
                (isinstance(node, cst.For) and child is node.body)
                or (isinstance(node, cst.While) and (child is node.body or child is node.test))
                or (isinstance(node, cst.CompFor) and child is not node.iter)
            ):
                in_loop = True
            elif isinstance(node, _COMPREHENSIONS):
                first_iter = child is node.for_in and prev is node.for_in.iter
                if not first_iter:
                    in_loop = True
                    if isinstance(node, cst.GeneratorExp):
                        deferred = True
            elif isinstance(node, cst.Lambda) and child is node.body:
                deferred = True
            prev, child = child, node
            node = self.resolver.parent(node)
        return None, deferred, in_loop, None

    # -- per-target checks ---------------------------------------------------------------

    def _argument_problem(self, target: _Target) -> Optional[str]:
        call, lib, verb = target.call, target.found.library, target.found.name
        if any(a.star == "*" for a in call.args):
            return "passes *args: cannot tell which parameters they fill"
        positional = [a for a in call.args if a.keyword is None and a.star == ""]
        keywords = {a.keyword.value for a in call.args if a.keyword is not None}
        if lib == "requests":
            if len(positional) > REQUESTS_POSITIONAL.get(verb, 1):
                return "more positional arguments than the function takes"
            if any(a.star == "**" for a in call.args):
                return (
                    "passes **kwargs, which may hold verify=/cert=: requests < 2.32 reuses pooled "
                    "connections across TLS settings (CVE-2024-35195)"
                )
            for name in ("verify", "cert"):
                arg = _keyword(call, name)
                if arg is not None and not (name == "verify" and is_literal_true(arg.value)):
                    return (
                        f"passes {name}=: requests < 2.32 reuses a shared pool's connections "
                        "across TLS settings (CVE-2024-35195); left to its own session"
                    )
            if verb in REQUESTS_TO_KEYWORD:
                names = REQUESTS_TO_KEYWORD[verb]
                if any(n in keywords for n in names) and len(positional) > 1:
                    return "passes params both by position and by keyword"
            return None
        # httpx
        if len(positional) > HTTPX_POSITIONAL.get(verb, 1):
            return "more positional arguments than the function takes"
        if any(a.star == "**" for a in call.args):
            return (
                "passes **kwargs, which may hold verify=/proxy=/cookies=/trust_env=: an httpx "
                "client takes those only when it is created"
            )
        for name in sorted(keywords):
            if name in HTTPX_SHARED_KEYWORDS:
                continue
            if name == "follow_redirects":
                arg = _keyword(call, name)
                assert arg is not None
                if is_literal_false(arg.value) or self.keep_cookies or self.options["client"]:
                    continue
                return (
                    "may follow redirects: httpx sends cookies set along a redirect chain from the "
                    "client's jar, which the shared client keeps empty (--keep-cookies allows it)"
                )
            if name == "cookies":
                return "passes cookies=: per-request cookies on an httpx client are deprecated"
            return f"passes {name}=, which an httpx client takes only when it is created"
        return None

    def _binding_problem(self, target: _Target) -> Optional[str]:
        """The call's root name must be bound by imports only (no other assignment)."""
        root = target.root
        try:
            scope = self.get_metadata(ScopeProvider, root, None)
        except KeyError:
            scope = None
        if scope is None:
            return "cannot resolve the call's name"
        assignments = list(scope[root.value])
        if not assignments:
            return "cannot resolve the call's name"
        for assignment in assignments:
            if not isinstance(assignment, ImportAssignment):
                return f"{root.value} is also bound to something other than the import"
            if assignment.scope is scope.globals and not self._unconditional(assignment.node):
                return (
                    f"{root.value} is imported conditionally; a shared client would need "
                    f"{target.found.library} whenever the module runs"
                )
        return None

    def _unconditional(self, node: cst.CSTNode) -> bool:
        """An import statement at module level that runs whenever the module does (or stops it)."""
        stmt = self.resolver.parent(node)
        if not isinstance(stmt, cst.SimpleStatementLine):
            return False
        owner = self.resolver.parent(stmt)
        if isinstance(owner, cst.Module):
            return True
        if isinstance(owner, cst.IndentedBlock):
            block_owner = self.resolver.parent(owner)
            if isinstance(block_owner, cst.Try) and block_owner.body is owner:
                if isinstance(self.resolver.parent(block_owner), cst.Module):
                    return bool(block_owner.handlers) and all(
                        self._escapes(h.body) for h in block_owner.handlers
                    )
        return False

    def _escapes(self, body: cst.BaseSuite) -> bool:
        statements = list(body.body)
        if not statements:
            return False
        last = statements[-1]
        small = last.body[-1] if isinstance(last, cst.SimpleStatementLine) else None
        if isinstance(body, cst.SimpleStatementSuite):
            small = body.body[-1]
        if isinstance(small, cst.Raise):
            return True
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            names = self.get_metadata(QualifiedNameProvider, small.value.func, set())
            return any(q.name in _EXITS for q in names)
        return False

    # -- what the rest of the module does -------------------------------------------------

    def _module_facts(self, module: cst.Module) -> "_Facts":
        """Run-time patches of the libraries, environment changes and forks, anywhere in the
        module (resolved names, never source text)."""
        facts = _Facts()
        names = self.resolver.imported_names

        def store_targets(target: cst.BaseExpression) -> List[cst.BaseExpression]:
            if isinstance(target, (cst.Tuple, cst.List)):
                out: List[cst.BaseExpression] = []
                for el in target.elements:
                    out += store_targets(el.value)
                return out
            return [target]

        def assigned(target: cst.BaseExpression) -> None:
            for t in store_targets(target):
                if isinstance(t, cst.Attribute):
                    for q in names(t.value):
                        lib = _library_of(q)
                        if lib is not None:
                            facts.patched.setdefault(
                                lib, f"the module patches {q}.{t.attr.value} at run time"
                            )
                elif isinstance(t, cst.Subscript) and "os.environ" in names(t.value):
                    facts.env = facts.env or "os.environ[...] is set"

        kinds = (cst.Assign, cst.AugAssign, cst.AnnAssign, cst.Del, cst.Import, cst.ImportFrom, cst.Call)
        for node in self.nodes_of(module, *kinds):  # source order: the first reason wins
            if isinstance(node, cst.Assign):
                for t in node.targets:
                    assigned(t.target)
            elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
                assigned(node.target)
            elif isinstance(node, cst.Del):
                assigned(node.target)
            elif isinstance(node, (cst.Import, cst.ImportFrom)):
                if isinstance(node, cst.Import):
                    modules = [_dotted(a.name) for a in node.names]
                else:
                    modules = [_dotted(node.module)] if node.module is not None and not node.relative else []
                    if modules and modules[0] == "concurrent.futures" and not isinstance(node.names, cst.ImportStar):
                        if any(_dotted(a.name) == "ProcessPoolExecutor" for a in node.names):
                            facts.fork = facts.fork or "ProcessPoolExecutor"
                for m in modules:
                    if m.split(".")[0] == "requests_cache":
                        facts.patched.setdefault("requests", "the module uses requests_cache, which patches requests.Session at run time")
                    if m.split(".")[0] == "multiprocessing":
                        facts.fork = facts.fork or "multiprocessing"
            elif isinstance(node, cst.Call):
                func = names(node.func)
                for q in func:
                    if q.startswith("requests_cache."):
                        facts.patched.setdefault("requests", f"the module calls {q}, which patches requests.Session at run time")
                    if q in _ENV_WRITERS:
                        facts.env = facts.env or f"{q}() is called"
                    if q in _FORKERS or q.startswith("multiprocessing."):
                        facts.fork = facts.fork or q
                for arg in node.args:
                    for q in names(arg.value):
                        if q in _LIBRARY_MODULES:
                            facts.patched.setdefault(
                                _library_of(q) or "requests",
                                f"the module passes the {q} module to a call that may patch it",
                            )
        return facts

    def _patch_problem(self, target: _Target) -> Optional[str]:
        why = self.facts.patched.get(target.found.library)
        if why is None:
            return None
        return (
            f"{why}: a shared client would bypass the patch (tests that mock.patch "
            f"{target.found.library}.{target.found.name} would no longer intercept the call)"
        )

    def _env_problem(self, target: _Target) -> Optional[str]:
        if target.found.library != "httpx" or self.facts.env is None:
            return None
        return (
            f"the module changes the environment ({self.facts.env}): an httpx client reads proxy "
            "and SSL variables when it is created, a bare call when it runs"
        )

    def _module_problem(self, target: _Target) -> Optional[str]:
        if self.facts.fork is not None:
            return (
                f"the module uses {self.facts.fork}: a process forked after the shared client's "
                "first use would share its connections (use --session-scope function)"
            )
        return self._env_problem(target)

    # -- module-level references (imports we need) ----------------------------------------

    def _top_imports(self, body: Sequence[cst.BaseStatement]) -> List[Tuple[int, cst.CSTNode]]:
        """(index, Import/ImportFrom) of the unconditional module-level imports in ``body``."""
        out = []
        for index, stmt in enumerate(body):
            candidates: List[cst.CSTNode] = []
            if isinstance(stmt, cst.SimpleStatementLine):
                candidates = list(stmt.body)
            elif isinstance(stmt, cst.Try) and stmt.handlers and all(
                self._escapes(h.body) for h in stmt.handlers
            ):
                for inner in stmt.body.body:
                    if isinstance(inner, cst.SimpleStatementLine):
                        candidates += list(inner.body)
            for small in candidates:
                if isinstance(small, (cst.Import, cst.ImportFrom)):
                    out.append((index, small))
        return out

    def _library_imported(self, library: str, before: int) -> bool:
        for index, imp in self._top_imports(self.module_node.body):
            if index >= before:
                continue
            if isinstance(imp, cst.Import):
                for alias in imp.names:
                    if _dotted(alias.name).split(".")[0] == library:
                        return True
            elif isinstance(imp, cst.ImportFrom) and imp.module is not None and not imp.relative:
                if _dotted(imp.module).split(".")[0] == library:
                    return True
        return False

    def _module_ref(self, module: str, before: int, must_exist: bool) -> Optional[_Ref]:
        """A name for ``module`` usable at module level from statement ``before`` on.

        Reuses ``import module [as X]`` (X bound by such imports only, and no star import
        that could rebind it); otherwise adds ``import module as _module`` under a fresh
        private name. ``must_exist``: the library itself must already be imported by then,
        so adding the import changes nothing about when or whether it loads.
        """
        top = module.split(".")[0]
        for index, imp in self._top_imports(self.module_node.body):
            if index >= before or not isinstance(imp, cst.Import) or self.has_star:
                continue
            for alias in imp.names:
                if _dotted(alias.name) != module:
                    continue
                if alias.asname is not None:
                    as_name = alias.asname.name
                    if isinstance(as_name, cst.Name) and self._only_imports(as_name.value, module):
                        return _Ref(as_name.value)
                elif self._only_imports(top, top):
                    return _Ref(module)
        if must_exist and not self._library_imported(top, before):
            return None
        return self._added_ref(module)

    def _added_ref(self, module: str) -> _Ref:
        """``import module as _name`` under a fresh private name (one per module and file), so
        that no name of the user's, star-imported ones included, is rebound."""
        ref = self._added.get(module)
        if ref is None:
            name = self._fresh("_" + module.split(".")[-1])
            ref = _Ref(name, cst.parse_statement(f"import {module} as {name}\n"))  # type: ignore[arg-type]
            self._added[module] = ref
        return ref

    def _global_bindings(self, name: str) -> list:
        if self.global_scope is None or name not in self.global_scope.assignments:
            return []
        return list(self.global_scope.assignments[name])

    def _only_imports(self, name: str, package: str) -> bool:
        """Every module-level binding of ``name`` is ``import package[.sub]`` (or there is none)."""
        if self.global_scope is None:
            return False
        for assignment in self._global_bindings(name):
            node = getattr(assignment, "node", None)
            if not isinstance(node, cst.Import):
                return False
            for alias in node.names:
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    bound = alias.asname.name.value
                    top = _dotted(alias.name) if bound == name else None
                else:
                    bound = _dotted(alias.name).split(".")[0]
                    top = bound
                if bound == name and top != package:
                    return False
        return True

    def _fresh(self, base: str, taken: Optional[Set[str]] = None) -> str:
        """``base``, or ``base_1``, ``base_2``... : a name used nowhere in the module."""
        taken = self.all_names if taken is None else taken
        name = base
        n = 1
        while name in taken:
            name = f"{base}_{n}"
            n += 1
        taken.add(name)
        return name

    def _insertion_point(self, body: Sequence[cst.BaseStatement], first_use: int) -> int:
        """After the last import-like statement before ``first_use`` (after docstring and
        ``__future__`` imports at least)."""
        point = 0
        if body and _is_docstring(body[0]):
            point = 1
        for index in range(first_use):
            if _import_like(body[index]):
                point = index + 1
        return point

    # -- strategies ----------------------------------------------------------------------

    def _eligible(self, targets: List[_Target], extra=None) -> List[_Target]:
        ok = []
        for target in targets:
            problem = (
                self._argument_problem(target)
                or self._binding_problem(target)
                or self._patch_problem(target)
            )
            if problem is None and extra is not None:
                problem = extra(target)
            if problem is not None:
                self.report(target.call, problem)
            else:
                ok.append(target)
        return ok

    def _top_statement_index(self, node: cst.CSTNode) -> int:
        child = node
        parent = self.resolver.parent(node)
        while parent is not None and not isinstance(parent, cst.Module):
            child = parent
            parent = self.resolver.parent(parent)
        return list(self.module_node.body).index(child)  # type: ignore[arg-type]

    def _plan_module(self, module: cst.Module, targets: List[_Target]) -> None:
        ok = self._eligible(targets, self._module_problem)
        if not ok:
            return
        first_use = min(self._top_statement_index(t.call) for t in ok)
        point = self._insertion_point(module.body, first_use)
        libraries = [lib for lib in ("requests", "httpx") if any(t.found.library == lib for t in ok)]
        adds: List[cst.SimpleStatementLine] = []
        lines: List[str] = []
        given = self.options["session-name"] or ""
        names: Dict[str, str] = {}
        refs: Dict[str, _Ref] = {}
        helpers: Dict[str, Optional[_Ref]] = {}
        if not self.keep_cookies:
            helpers["http.cookiejar"] = self._module_ref("http.cookiejar", point, must_exist=False)
        for lib in libraries:
            ref = self._module_ref(lib, point, must_exist=True)
            lib_targets = [t for t in ok if t.found.library == lib]
            if ref is None:
                for t in lib_targets:
                    self.report(t.call, f"{lib} is not imported at module level before its first use")
                continue
            refs[lib] = ref
            self.all_names.update(r.name.split(".")[0] for r in list(helpers.values()) + [ref] if r)
            if given:
                base = given if lib == "requests" or len(libraries) == 1 else f"{given}_httpx"
            else:
                base = DEFAULT_MODULE_NAMES[lib]
            names[lib] = self._fresh(base)
        if not refs:
            return
        added: Set[str] = set()
        for ref in list(helpers.values()) + [refs[lib] for lib in libraries if lib in refs]:
            if ref is not None and ref.add is not None and ref.name not in added:
                added.add(ref.name)
                adds.append(ref.add)
        for lib in libraries:
            if lib not in refs:
                continue
            name, ref = names[lib], refs[lib]
            if lib == "requests":
                lines.append(f"{name} = {ref.name}.Session()")
                if not self.keep_cookies:
                    cj = helpers["http.cookiejar"].name  # type: ignore[union-attr]
                    lines.append(f"{name}.cookies.set_policy({cj}.DefaultCookiePolicy(allowed_domains=[]))")
            else:
                if self.keep_cookies:
                    lines.append(f"{name} = {ref.name}.Client()")
                else:
                    cj = helpers["http.cookiejar"].name  # type: ignore[union-attr]
                    lines.append(
                        f"{name} = {ref.name}.Client(\n"
                        f"    cookies={cj}.CookieJar({cj}.DefaultCookiePolicy(allowed_domains=[]))\n"
                        ")"
                    )
        if adds and point > 0 and not isinstance(module.body[point - 1], cst.SimpleStatementLine):
            adds[0] = adds[0].with_changes(leading_lines=[cst.EmptyLine()])
        block: List[cst.BaseStatement] = list(adds)
        client_stmts = [cst.parse_statement(line + "\n") for line in lines]
        if point > 0 or adds:
            client_stmts[0] = client_stmts[0].with_changes(leading_lines=[cst.EmptyLine()])
        block += client_stmts
        self.plan.module_block = block
        self.plan.insert_at = point
        for t in ok:
            if t.found.library in refs:
                self._schedule(t, names[t.found.library])

    def _plan_client(self, module: cst.Module, targets: List[_Target]) -> None:
        module_name, name = self.options["client"].split(":", 1)
        library = self.options["client-library"]
        if _is_module_file(self.context.filename, module_name):
            for t in targets:
                self.report(t.call, f"this is {module_name}, the module of the shared client {name}")
            return
        # An existing ``from module import name [as alias]`` at module level?
        ref_name: Optional[str] = None
        for _, imp in self._top_imports(module.body):
            if isinstance(imp, cst.ImportFrom) and imp.module is not None and not imp.relative:
                if _dotted(imp.module) != module_name or isinstance(imp.names, cst.ImportStar):
                    continue
                for alias in imp.names:
                    if _dotted(alias.name) == name:
                        bound = alias.asname.name if alias.asname is not None else alias.name
                        if isinstance(bound, cst.Name):
                            ref_name = bound.value
        add = None
        if ref_name is None:
            if self._global_bindings(name):
                for t in targets:
                    self.report(t.call, f"the name {name} is already used in this module")
                return
            ref_name = name
            add = cst.parse_statement(f"from {module_name} import {name}\n")

        def check(t: _Target) -> Optional[str]:
            if t.found.library != library:
                return (
                    f"{t.found.library} call, but the shared client {name} is a {library} client "
                    f"(--client-library)"
                )
            try:
                scope = self.get_metadata(ScopeProvider, t.call, None)
            except KeyError:
                scope = None
            if scope is not None and any(a.scope is not scope.globals for a in scope[ref_name]):
                return f"{ref_name} is a local name here"
            return None

        ok = self._eligible(targets, check)
        if not ok:
            return
        if add is not None:
            first_use = min(self._top_statement_index(t.call) for t in ok)
            self.plan.insert_at = self._insertion_point(module.body, first_use)
            self.plan.module_block = [add]
        for t in ok:
            self._schedule(t, ref_name)

    def _plan_function(self, module: cst.Module, targets: List[_Target]) -> None:
        by_function: Dict[cst.FunctionDef, List[_Target]] = {}
        for t in targets:
            if t.function is None or t.deferred or t.statement is None:
                continue  # module level, lambdas, generator expressions: left alone
            by_function.setdefault(t.function, []).append(t)
        for function, found in by_function.items():
            if len(found) < 2 and not any(t.in_loop for t in found):
                continue
            if not isinstance(function.body, cst.IndentedBlock):
                for t in found:
                    self.report(t.call, "one-line function body; not wrapped in a session")
                continue
            ok = self._eligible(found, self._env_problem)
            if len(ok) < 2 and not any(t.in_loop for t in ok):
                continue
            body = list(function.body.body)
            start = min(body.index(t.statement) for t in ok)  # type: ignore[arg-type]
            end = max(body.index(t.statement) for t in ok)  # type: ignore[arg-type]
            problem = self._function_problem(function, body[start : end + 1], ok) or self._escape_problem(ok)
            if problem is not None:
                for t in ok:
                    self.report(t.call, problem)
                continue
            libraries = [lib for lib in ("requests", "httpx") if any(t.found.library == lib for t in ok)]
            refs = {}
            for lib in libraries:
                ref = self._function_lib_ref(function, lib, start, ok)
                if ref is None:
                    break
                refs[lib] = ref
            cookiejar = None
            if not self.keep_cookies and len(refs) == len(libraries):
                cookiejar = self._function_cookiejar_ref(function)
            if len(refs) != len(libraries) or (not self.keep_cookies and cookiejar is None):
                why = (
                    "cannot name the library or http.cookiejar here (not imported at module "
                    "level, or the name is taken)"
                )
                for t in ok:
                    self.report(t.call, why)
                continue
            given = self.options["session-name"] or ""
            items: List[Tuple[str, str]] = []
            names: Dict[str, str] = {}
            taken = set(self.all_names)  # each function may use the same name
            taken.update(r.split(".")[0] for r in list(refs.values()) + [cookiejar] if r)
            for lib in libraries:
                base = given or DEFAULT_FUNCTION_NAMES[lib]
                if given and len(libraries) == 2 and lib == "httpx":
                    base = f"{given}_httpx"
                names[lib] = self._fresh(base, taken)
                ref = refs[lib]
                if lib == "requests":
                    items.append((f"{ref}.Session()", names[lib]))
                elif cookiejar is None:
                    items.append((f"{ref}.Client()", names[lib]))
                else:
                    items.append(
                        (
                            f"{ref}.Client(cookies={cookiejar}.CookieJar("
                            f"{cookiejar}.DefaultCookiePolicy(allowed_domains=[])))",
                            names[lib],
                        )
                    )
            policy = None
            if "requests" in names and cookiejar is not None:
                policy = (
                    f"{names['requests']}.cookies.set_policy("
                    f"{cookiejar}.DefaultCookiePolicy(allowed_domains=[]))"
                )
            self.plan.functions[function] = (start, end, items, policy)  # type: ignore[assignment]
            for t in ok:
                self._schedule(t, names[t.found.library])

    def _function_problem(self, function: cst.FunctionDef, statements, targets) -> Optional[str]:
        nested = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
        yields = any(
            isinstance(node, cst.Yield)
            for stmt in statements
            for node in walk(stmt, prune=lambda n: isinstance(n, nested))
        )
        if yields:
            return (
                "generator that yields between its calls: a session would stay open while it is "
                "suspended; left alone"
            )
        return None

    def _escape_problem(self, targets: List[_Target]) -> Optional[str]:
        """A target's value that may be used after the ``with`` block closed the client.

        Conservative: a target returned or yielded as such (or in a returned tuple/list), and an
        ``httpx.stream(...)`` that is not itself a ``with`` item (a lazy context manager: the
        request is sent when it is entered, maybe after the block).
        """
        for t in targets:
            if t.found.library == "httpx" and t.found.name == "stream":
                parent = self.resolver.parent(t.call)
                if not (isinstance(parent, cst.WithItem) and parent.item is t.call):
                    return (
                        "httpx.stream() not used directly as a `with` item: it sends its request "
                        "when entered, maybe after the block closed the client"
                    )
            parent = self.resolver.parent(t.call)
            while isinstance(parent, (cst.Element, cst.StarredElement, cst.Tuple, cst.List)):
                parent = self.resolver.parent(parent)
            if isinstance(parent, (cst.Return, cst.Yield)):
                return "a call's result is returned; the caller would use it after the block"
        return None

    def _function_lib_ref(self, function: cst.FunctionDef, lib: str, start: int, targets) -> Optional[str]:
        """The expression naming ``lib`` at the start of the wrapped range, or None."""
        try:
            scope = self.get_metadata(ScopeProvider, function.body, None)
        except KeyError:
            scope = None
        if scope is None:
            return None
        # A local ``import lib [as X]`` among the statements before the range.
        for stmt in list(function.body.body)[:start]:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Import):
                        for alias in small.names:
                            if _dotted(alias.name) == lib:
                                bound = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else lib
                                if all(isinstance(a, ImportAssignment) for a in scope[bound]):
                                    return bound
        ref = self._module_ref(lib, len(self.module_node.body), must_exist=True)
        if ref is None:
            return None
        top = ref.name.split(".")[0]
        if any(a.scope is not scope.globals for a in scope[top]):
            return None  # shadowed in the function
        if ref.add is not None:
            self.add_needed_import(lib, asname=ref.name)
        return ref.name

    def _function_cookiejar_ref(self, function: cst.FunctionDef) -> Optional[str]:
        ref = self._module_ref("http.cookiejar", len(self.module_node.body), must_exist=False)
        if ref is None:
            return None
        try:
            scope = self.get_metadata(ScopeProvider, function.body, None)
        except KeyError:
            return None
        if scope is None or any(a.scope is not scope.globals for a in scope[ref.name.split(".")[0]]):
            return None
        if ref.add is not None:
            self.add_needed_import("http.cookiejar", asname=ref.name)
        return ref.name

    def _schedule(self, target: _Target, receiver: str) -> None:
        # The import behind the call's name is kept even when nothing uses it any more: a
        # module-level name is public (``from compat import get`` in another module).
        self.plan.rewrites[target.call] = (receiver, target.found.name, target.found.library)
        self.fixed(target.call, f"routed through the shared client {receiver}")

    # -- rewriting -----------------------------------------------------------------------

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        planned = self.plan.rewrites.get(original_node)
        if planned is None:
            return updated_node
        receiver, verb, library = planned
        func = cst.Attribute(value=cst.Name(receiver), attr=cst.Name(verb))
        args = list(updated_node.args)
        if library == "requests" and verb in REQUESTS_TO_KEYWORD:
            names = REQUESTS_TO_KEYWORD[verb]
            positional = [i for i, a in enumerate(args) if a.keyword is None and a.star == ""]
            for offset, index in enumerate(positional[1 : 1 + len(names)]):
                args[index] = args[index].with_changes(
                    keyword=cst.Name(names[offset]),
                    equal=cst.AssignEqual(
                        whitespace_before=cst.SimpleWhitespace(""),
                        whitespace_after=cst.SimpleWhitespace(""),
                    ),
                )
        return updated_node.with_changes(func=func, args=args)

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        planned = self.plan.functions.get(original_node)
        if planned is None:
            return updated_node
        start, end, items, policy = planned
        body = list(updated_node.body.body)
        inner = body[start : end + 1]
        first = inner[0]
        leading = list(first.leading_lines)
        inner[0] = first.with_changes(leading_lines=[])
        if policy is not None:
            inner.insert(0, cst.parse_statement(policy + "\n"))
        header = "with " + ", ".join(f"{expr} as {name}" for expr, name in items) + ":\n    pass\n"
        with_stmt = cst.parse_statement(header)
        assert isinstance(with_stmt, cst.With)
        with_stmt = with_stmt.with_changes(
            body=cst.IndentedBlock(body=inner), leading_lines=leading
        )
        body[start : end + 1] = [with_stmt]
        return updated_node.with_changes(body=updated_node.body.with_changes(body=body))

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not self.plan.module_block or self.plan.insert_at < 0 or not self.plan.rewrites:
            return updated_node
        body = list(updated_node.body)
        point = self.plan.insert_at
        if point < len(body) and not body[point].leading_lines:
            body[point] = body[point].with_changes(leading_lines=[cst.EmptyLine()])
        body[point:point] = self.plan.module_block
        return updated_node.with_changes(body=body)


# -- helpers ---------------------------------------------------------------------------------


def _library_of(qualified: str) -> Optional[str]:
    for lib in ("requests", "httpx"):
        if qualified == lib or qualified.startswith(lib + "."):
            return lib
    return None


def _keyword(call: cst.Call, name: str) -> Optional[cst.Arg]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def _root_name(expr: cst.BaseExpression) -> Optional[cst.Name]:
    while isinstance(expr, cst.Attribute):
        expr = expr.value
    return expr if isinstance(expr, cst.Name) else None


def _dotted(expr: Union[cst.Attribute, cst.Name, cst.BaseExpression]) -> str:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return _dotted(expr.value) + "." + expr.attr.value
    return ""


def _star_imports(imports: Sequence[cst.CSTNode]) -> List[str]:
    found = []
    for node in imports:
        if isinstance(node, cst.ImportFrom) and isinstance(node.names, cst.ImportStar):
            if node.module is not None and not node.relative:
                lib = _dotted(node.module)
                if lib in ("requests", "requests.api", "httpx") and lib.split(".")[0] not in found:
                    found.append(lib.split(".")[0])
    return found


def _is_docstring(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _simple_ok(stmt: cst.BaseStatement, allow_assign: bool) -> bool:
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    for small in stmt.body:
        if isinstance(small, (cst.Import, cst.ImportFrom, cst.Pass)):
            continue
        if allow_assign and isinstance(small, cst.Assign) and isinstance(
            small.value, (cst.Name, cst.SimpleString, cst.Integer, cst.Float)
        ):
            continue
        return False
    return True


def _import_like(stmt: cst.BaseStatement) -> bool:
    """An import, or a ``try``/``if`` that only imports (its handlers may do anything)."""
    if isinstance(stmt, cst.SimpleStatementLine):
        return all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)
    if isinstance(stmt, cst.Try):
        blocks = [stmt.body] + ([stmt.orelse.body] if stmt.orelse else [])
        has_import = False
        for block in blocks:
            if not isinstance(block, cst.IndentedBlock):
                return False
            for inner in block.body:
                if not _simple_ok(inner, allow_assign=True):
                    return False
                has_import = has_import or any(
                    isinstance(s, (cst.Import, cst.ImportFrom)) for s in inner.body  # type: ignore[union-attr]
                )
        return has_import and stmt.finalbody is None
    if isinstance(stmt, cst.If):
        node: Optional[Union[cst.If, cst.Else]] = stmt
        has_import = False
        while node is not None:
            if not isinstance(node.body, cst.IndentedBlock):
                return False
            for inner in node.body.body:
                if _import_like(inner):
                    has_import = True
                elif not _simple_ok(inner, allow_assign=True):
                    return False
            node = node.orelse if isinstance(node, cst.If) else None
        return has_import
    return False


def _is_module_file(filename: Optional[str], module: str) -> bool:
    if not filename:
        return False
    path = filename.replace("\\", "/")
    tail = module.replace(".", "/")
    return path.endswith("/" + tail + ".py") or path == tail + ".py" or path.endswith(
        "/" + tail + "/__init__.py"
    )
