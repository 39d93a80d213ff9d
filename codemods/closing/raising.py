"""Closing a factory's response before a raise that would leave with it open.

``r = requests.get(u, stream=True); if r.status_code != 200: raise ApiError("failed"); return r``
hands the response to its caller on every normal exit (``closing/factory.py``), but the raise
leaves the function with it open: the caller never gets it, nobody closes it. The fix closes it
just before that raise, as a maintainer would::

    if r.status_code != 200:
        r.close()
        raise ApiError("failed")

It is safe when the raise no longer needs the response open: its exception and cause read
nothing of it but what a closed response still holds (status, reason, url, headers: ``META``).
A raise that reads the body (``f"{r.status_code} {r.text}"`` of a streamed response, which
reads the body from the connection) keeps the response open while the exception is made:
``with r:`` around the raise (for the responses closed by ``with``: requests, urlopen, a
factory's), whose exit closes it as the exception leaves. A raise whose exception carries the
response (``raise HTTPError(response=r)``, a bare ``raise``) is no such raise (``facts/
factories._carries``): the exception hands it on.

``r.close()`` must close what the name holds on every path to the raise: the name is bound
there on every path from the function's entry (``_bound_at``), and every binding of it in the
function is a plain ``name = <call>`` whose call makes a response (a target of close-response,
or a requests/httpx request, streamed or not: ``close()`` of a read response only releases what
it already released). A test's stand-in for the call is read as for ``with``: one that may lack
``close()`` makes the fix unsafe (``project_problem``). Async responses, httpx's ``stream()``,
a raise on one line with its ``if`` (``if bad: raise E``), or one in a block that another fix
rewraps are reported as before.

The factories pass (``facts/factories.py``) reads both shapes as closing the response just
before the raise, so the function is the same factory before and after the rewrite: its
callers are sites whether its file was rewritten in this run or earlier.
"""

from __future__ import annotations

import ast
from typing import Any, FrozenSet, List, Optional, Sequence, Tuple

import libcst as cst

from ..tree import walk
from .factory import RaiseLeak
from .model import Mode, Target

#: What a closed response still holds: read by a raise after ``close()``, it reads the same.
META_ATTRS = frozenset(
    {
        "status_code",
        "status",
        "code",
        "reason",
        "reason_phrase",
        "url",
        "headers",
        "ok",
        "is_redirect",
        "is_permanent_redirect",
        "cookies",
        "encoding",
        "history",
        "request",
        "elapsed",
        "links",
        "msg",
        "version",
        "is_success",
        "is_error",
        "is_client_error",
        "is_server_error",
        "http_version",
    }
)
META_METHODS = frozenset({"getcode", "geturl", "info", "getheader", "getheaders"})

#: Libraries whose response ``with name:`` closes (httpx's needs ``contextlib.closing``).
_WITH_LIBRARIES = frozenset({"requests", "urllib"})
_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


class RaiseFix:
    """The plan: for each raise statement (``cst.SimpleStatementLine``), the name closed and
    how (``"close"``: ``name.close()`` before it; ``"with"``: ``with name:`` around it)."""

    def __init__(self, target: Target, edits: List[Tuple[cst.SimpleStatementLine, str, str]], reason: str) -> None:
        self.target = target
        self.edits = edits
        self.reason = reason  # the report, should another fix rewrap the raise's block
        self.message = ""  # the fixed message (set by the codemod)


def plan(codemod: Any, target: Target, leak: RaiseLeak, reason: str) -> Optional[RaiseFix]:
    """The fix, or None when it cannot be made safely (``reason``: the site's report)."""
    if target.mode not in (Mode.WITH, Mode.CLOSING) or target.used_as_response or target.needs_async_def:
        return None
    if isinstance(target.node, cst.Await):
        return None
    parent = codemod.resolver.parent
    binding = parent(target.node)
    if not (
        isinstance(binding, cst.Assign)
        and len(binding.targets) == 1
        and isinstance(binding.targets[0].target, cst.Name)
        and binding.value is target.node
    ):
        return None
    name = binding.targets[0].target.value
    func = parent(binding)
    while func is not None and not isinstance(func, (*_SCOPES, cst.Module)):
        func = parent(func)
    if not isinstance(func, cst.FunctionDef):
        return None
    libraries = _responses(codemod, func, name, target)
    if not _plain_bindings(leak.func, name) or libraries is None or _captured(leak.func, name):
        return None
    edits = []
    quiet = _quiet_withs(codemod, func, leak.func)
    for raise_node, raise_ast, held in leak.raises:
        if name not in held or name not in (_bound_at(leak.func, raise_ast, quiet) or ()):
            return None
        line = parent(raise_node)
        if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
            return None  # ``if bad: raise E`` or ``x = 1; raise E``
        if not isinstance(parent(line), cst.IndentedBlock):
            return None
        needs = _needs_open(raise_ast, held)
        if needs is None:
            return None
        if needs:
            if target.mode != Mode.WITH or target.mocked or target.hazard:
                return None
            library = target.library
            if library not in _WITH_LIBRARIES and getattr(codemod, "_made_by", {}).get(target.node) is None:
                return None
            if not libraries <= _WITH_LIBRARIES:  # another binding an httpx response: no ``with``
                return None
        edits.append((line, name, "with" if needs else "close"))
    return RaiseFix(target, edits, reason)


#: What a raise may read of a response without a call, besides ``META_ATTRS``: its body, read
#: there and then (an uncalled method such as ``r.json``, or ``r.raw``, would carry the response).
BODY_ATTRS = frozenset({"text", "content"})
#: Where a name is read later than the raise itself (a lambda's or a generator's body).
_DEFERRED = (ast.Lambda, ast.GeneratorExp)


def _needs_open(stmt: ast.Raise, held: FrozenSet[str]) -> Optional[bool]:
    """Whether the raise reads what only an open response gives (its body); None when it uses
    a name that holds it other than through an attribute read there and then: the name
    itself, an uncalled method (``ValueError(r.json)``), ``r.raw``, or any use in a lambda or
    a generator expression (read when the handler calls it, after the close: review)."""
    parents = {}
    needs = False
    for part in (stmt.exc, stmt.cause):
        if part is None:
            continue
        for node in ast.walk(part):
            for child in ast.iter_child_nodes(node):
                parents[child] = node
            if not (isinstance(node, ast.Name) and node.id in held):
                continue
            up = parents.get(node)
            while up is not None:
                if isinstance(up, _DEFERRED):
                    return None
                up = parents.get(up)
            attr = parents.get(node)
            if not (isinstance(attr, ast.Attribute) and attr.value is node):
                return None
            call = parents.get(attr)
            called = isinstance(call, ast.Call) and call.func is attr
            if attr.attr in META_METHODS and called:
                continue
            if attr.attr in META_ATTRS and not called:
                continue
            if not called and attr.attr not in BODY_ATTRS:
                return None
            needs = True
    return needs


def _captured(func: ast.FunctionDef, name: str) -> bool:
    """A nested function, lambda or class of ``func`` reads ``name``: what it returns may be
    raised (``raise ValueError(why)``) and read the response after the close (review)."""
    for node in ast.walk(func):
        if node is func or not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if any(isinstance(sub, ast.Name) and sub.id == name for sub in ast.walk(node)):
            return True
    return False


def _plain_bindings(func: ast.FunctionDef, name: str) -> bool:
    """Every binding of ``name`` in ``func`` is a plain ``name = <call>`` (no parameter,
    ``global``, ``del``, loop target, ``with ... as``, walrus, import, handler name)."""
    args = func.args
    params = {a.arg for a in args.args + args.posonlyargs + args.kwonlyargs}
    params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    if name in params:
        return False
    stack: List[ast.AST] = list(func.body)
    parents = {}
    while stack:
        node = stack.pop()
        children = list(ast.iter_child_nodes(node))
        for child in children:
            parents[child] = node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name == name:
                return False
            continue  # nested scopes: their names are theirs (``nonlocal`` is seen below)
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            return False
        if isinstance(node, ast.alias) and (node.asname or node.name).split(".")[0] == name:
            return False
        if isinstance(node, ast.ExceptHandler) and node.name == name:
            return False
        if type(node).__name__ in ("MatchAs", "MatchStar", "MatchMapping"):
            if name in (getattr(node, "name", None), getattr(node, "rest", None)):
                return False
        if isinstance(node, ast.Name) and node.id == name and not isinstance(node.ctx, ast.Load):
            parent = parents.get(node)
            if not (
                isinstance(parent, ast.Assign)
                and len(parent.targets) == 1
                and parent.targets[0] is node
                and isinstance(parent.value, ast.Call)
            ):
                return False
        stack.extend(children)
    return True


def _responses(codemod: Any, func: cst.FunctionDef, name: str, target: Target) -> Optional[FrozenSet[str]]:
    """The libraries of the other responses ``name = <call>`` binds in ``func`` (nested scopes
    aside; a factory's counts as requests), or None when one of them makes no response."""
    found = set()
    for node in walk(func.body, prune=lambda n: isinstance(n, _SCOPES)):
        if not isinstance(node, cst.Assign) or len(node.targets) != 1:
            continue
        bound = node.targets[0].target
        if not (isinstance(bound, cst.Name) and bound.value == name):
            continue
        value = node.value
        if value is target.node:
            continue
        library = _makes_response(codemod, value) if isinstance(value, cst.Call) else ""
        if not library:
            return None
        found.add(library)
    return frozenset(found)


def _makes_response(codemod: Any, call: cst.Call) -> str:
    """The library of the response ``call`` makes ("" when it may make anything else)."""
    from ..calls import REQUESTS_VERBS
    from ..spec import Kind

    found = codemod.resolver.classify(call)
    if found is None:
        factory = codemod._factory_of(call)
        return "requests" if factory is not None and factory.mode == Mode.WITH else ""
    if found.kind == Kind.URLOPEN:
        return "urllib"
    method = found.kind == Kind.METHOD
    if found.library == "requests" and found.name in REQUESTS_VERBS:
        return "requests" if not method or found.client_class == "requests.Session" else ""
    if found.library == "httpx" and found.name in REQUESTS_VERBS | {"send"}:
        return "httpx" if not method or found.client_class == "httpx.Client" else ""
    return ""


# -- the names bound on every path from the function's entry ------------------------------------


#: Clients whose ``__exit__`` closes them and returns None: it never swallows an exception.
_QUIET_CLIENTS = frozenset({"requests.Session", "httpx.Client"})


def _quiet_withs(codemod: Any, func: cst.FunctionDef, tree: ast.FunctionDef) -> FrozenSet[ast.AST]:
    """The ``with`` statements of ``tree`` (``func`` as ``ast``) whose every item is a client
    constructor of ``_QUIET_CLIENTS`` (``with requests.Session() as s:``, what close-client
    makes of ``s = requests.Session()``): their exit cannot swallow an exception of the body,
    so what the body binds on every path is bound after them. The two trees differ only in the
    target (a call either way), so their ``with`` statements pair up in source order."""
    theirs = sorted(
        ((codemod.position(n), n) for n in walk(func) if isinstance(n, cst.With) and n.asynchronous is None),
        key=lambda p: p[0],
    )
    mine = sorted((n for n in ast.walk(tree) if isinstance(n, ast.With)), key=lambda n: (n.lineno, n.col_offset))
    if len(mine) != len(theirs):
        return frozenset()
    client = codemod.resolver.constructed_client
    return frozenset(
        m for m, (_, t) in zip(mine, theirs) if all(client(item.item) in _QUIET_CLIENTS for item in t.items)
    )


class _Bound:
    def __init__(self, goal: ast.AST, quiet: FrozenSet[ast.AST] = frozenset()) -> None:
        self.goal = goal
        self.quiet = quiet  # ``with`` statements whose exit swallows nothing (``_quiet_withs``)
        self.at: Optional[FrozenSet[str]] = None  # the names bound at ``goal`` on every path seen

    def run(self, stmts: Sequence[ast.stmt], bound: Optional[FrozenSet[str]]) -> Optional[FrozenSet[str]]:
        for stmt in stmts:
            if bound is None:
                return None
            bound = self.stmt(stmt, bound)
        return bound

    def stmt(self, stmt: ast.stmt, bound: FrozenSet[str]) -> Optional[FrozenSet[str]]:
        if stmt is self.goal:
            self.at = bound if self.at is None else self.at & bound
            return None
        if isinstance(stmt, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
            return None
        if isinstance(stmt, ast.Assign):
            return bound | {t.id for t in stmt.targets if isinstance(t, ast.Name)}
        if isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
            named = isinstance(stmt.target, ast.Name) and getattr(stmt, "value", True) is not None
            return bound | {stmt.target.id} if named else bound  # type: ignore[union-attr]
        if isinstance(stmt, ast.Delete):
            return bound - {t.id for t in stmt.targets if isinstance(t, ast.Name)}
        if isinstance(stmt, ast.If):
            return _meet(self.run(stmt.body, bound), self.run(stmt.orelse, bound))
        if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
            self.run(stmt.body, bound)  # may run no round: what follows gets ``bound``
            self.run(stmt.orelse, bound)
            return bound
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            names = {i.optional_vars.id for i in stmt.items if isinstance(i.optional_vars, ast.Name)}
            after = self.run(stmt.body, bound | names)
            if after is None or stmt in self.quiet:
                return after  # the body's bindings hold after it: its exit runs on, or raises
            return bound | names
        if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            body = self.run(stmt.body, bound)  # type: ignore[attr-defined]
            fall = self.run(stmt.orelse, body) if body is not None else None  # type: ignore[attr-defined]
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                fall = _meet(fall, self.run(handler.body, bound))
            if stmt.finalbody:  # type: ignore[attr-defined]
                self.run(stmt.finalbody, bound)  # type: ignore[attr-defined]
                return None if fall is None else self.run(stmt.finalbody, fall)  # type: ignore[attr-defined]
            return fall
        if type(stmt).__name__ == "Match":
            fall: Optional[FrozenSet[str]] = bound
            for case in stmt.cases:  # type: ignore[attr-defined]
                fall = _meet(fall, self.run(case.body, bound))
            return fall
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return bound | {stmt.name}
        return bound


def _meet(a: Optional[FrozenSet[str]], b: Optional[FrozenSet[str]]) -> Optional[FrozenSet[str]]:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def _bound_at(
    func: ast.FunctionDef, goal: ast.AST, quiet: FrozenSet[ast.AST] = frozenset()
) -> Optional[FrozenSet[str]]:
    """The local names bound on every path from ``func``'s entry to ``goal`` (a statement of
    it); None when no path is seen to reach it. ``quiet``: ``with`` statements whose exit
    swallows no exception (``_quiet_withs``)."""
    follow = _Bound(goal, quiet)
    follow.run(func.body, frozenset())
    return follow.at
