"""The ``--session-scope function`` strategy: in each function with two or more targets (or
one in a loop), the statements from the first to the last target run inside
``with requests.Session() as session:`` (or an httpx ``Client``)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import libcst as cst
from libcst.metadata import ScopeProvider
from libcst.metadata.scope_provider import ImportAssignment

from ..imports import dotted, scope_names
from ..tree import walk
from .client import DEFAULT_FUNCTION_NAMES, ClientDefinition, api_of, modules_of
from .targets import ShareTarget


def plan_function(share: Any, module: cst.Module, targets: List[ShareTarget]) -> None:
    by_function: Dict[cst.FunctionDef, List[ShareTarget]] = {}
    for t in targets:
        if t.reference:
            # Its calls may run after the statements a ``with`` would wrap: not followed here.
            share.report(t.call, "a reference to the function, not a call: --session-scope function routes calls only")
            continue
        if t.function is None or t.deferred or t.statement is None:
            continue  # module level, lambdas, generator expressions: left alone
        by_function.setdefault(t.function, []).append(t)
    for function, found in by_function.items():
        if len(found) < 2 and not any(t.in_loop for t in found):
            continue
        if not isinstance(function.body, cst.IndentedBlock):
            for t in found:
                share.report(t.call, "one-line function body; not wrapped in a session")
            continue
        ok = share.eligible(found, share.env_problem)
        if len(ok) < 2 and not any(t.in_loop for t in ok):
            continue
        _plan_one_function(share, function, ok)


def _plan_one_function(share: Any, function: cst.FunctionDef, ok: List[ShareTarget]) -> None:
    body = list(function.body.body)
    start = min(body.index(t.statement) for t in ok)  # type: ignore[arg-type]
    end = max(body.index(t.statement) for t in ok)  # type: ignore[arg-type]
    problem = _function_problem(share, function, body[start : end + 1], ok) or _escape_problem(share, ok)
    if problem is not None:
        for t in ok:
            share.report(t.call, problem)
        return
    libraries = modules_of(ok)  # requests, niquests, httpx, httpx2: one client each
    refs = {}
    for lib in libraries:
        ref = _function_lib_ref(share, function, lib, start, ok)
        if ref is None:
            break
        refs[lib] = ref
    cookiejar = None
    if not share.keep_cookies and len(refs) == len(libraries):
        cookiejar = _function_cookiejar_ref(share, function)
    if len(refs) != len(libraries) or (not share.keep_cookies and cookiejar is None):
        why = "cannot name the library or http.cookiejar here (not imported at module level, or the name is taken)"
        for t in ok:
            share.report(t.call, why)
        return
    given = share.options["session-name"] or ""
    items: List[Tuple[str, str]] = []
    names: Dict[str, str] = {}
    # Names new to this function's scope (each function may use the same name), and to what
    # the codemod adds at module level.
    taken = scope_names(share, function) | (share.imports.all_names - share.imports.initial_names)
    taken.update(r.split(".")[0] for r in list(refs.values()) + [cookiejar] if r)
    policy = None
    for lib in libraries:
        base = given or DEFAULT_FUNCTION_NAMES[api_of(lib)]
        if given and len(libraries) >= 2 and api_of(lib) == "httpx":
            base = f"{given}_httpx"
        names[lib] = share.imports.fresh(base, taken)
        client = ClientDefinition(api_of(lib), refs[lib], cookiejar)
        items.append((client.constructor(), names[lib]))
        policy = policy or client.policy(names[lib])
    share.plan.functions[function] = (start, end, items, policy)  # type: ignore[assignment]
    for t in ok:
        share.schedule(t, names[t.found.top_module])


def _function_problem(share: Any, function: cst.FunctionDef, statements, targets) -> Optional[str]:
    nested = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
    yields = any(
        isinstance(node, cst.Yield) for stmt in statements for node in walk(stmt, prune=lambda n: isinstance(n, nested))
    )
    if yields:
        return "generator that yields between its calls: a session would stay open while it is suspended; left alone"
    return None


def _escape_problem(share: Any, targets: List[ShareTarget]) -> Optional[str]:
    """A target's value that may be used after the ``with`` block closed the client.

    Conservative: a target returned or yielded as such (or in a returned tuple/list), and an
    ``httpx.stream(...)`` that is not itself a ``with`` item (a lazy context manager: the
    request is sent when it is entered, maybe after the block).
    """
    for t in targets:
        if t.found.library == "httpx" and t.found.name == "stream":
            parent = share.resolver.parent(t.call)
            if not (isinstance(parent, cst.WithItem) and parent.item is t.call):
                return (
                    "httpx.stream() not used directly as a `with` item: it sends its request "
                    "when entered, maybe after the block closed the client"
                )
        parent = share.resolver.parent(t.call)
        while isinstance(parent, (cst.Element, cst.StarredElement, cst.Tuple, cst.List)):
            parent = share.resolver.parent(parent)
        if isinstance(parent, (cst.Return, cst.Yield)):
            return "a call's result is returned; the caller would use it after the block"
    return None


def _function_lib_ref(share: Any, function: cst.FunctionDef, lib: str, start: int, targets) -> Optional[str]:
    """The expression naming ``lib`` at the start of the wrapped range, or None."""
    try:
        scope = share.get_metadata(ScopeProvider, function.body, None)
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
                        if dotted(alias.name) == lib:
                            bound = (
                                alias.asname.name.value
                                if alias.asname is not None and isinstance(alias.asname.name, cst.Name)
                                else lib
                            )
                            if all(isinstance(a, ImportAssignment) for a in scope[bound]):
                                return bound
    ref = share.imports.module_ref(lib, len(share.module_node.body), must_exist=True)
    if ref is None:
        return None
    top = ref.name.split(".")[0]
    if any(a.scope is not scope.globals for a in scope[top]):
        return None  # shadowed in the function
    if ref.add is not None:
        share.add_needed_import(lib, asname=ref.name)
    return ref.name


def _function_cookiejar_ref(share: Any, function: cst.FunctionDef) -> Optional[str]:
    ref = share.imports.module_ref("http.cookiejar", len(share.module_node.body), must_exist=False)
    if ref is None:
        return None
    try:
        scope = share.get_metadata(ScopeProvider, function.body, None)
    except KeyError:
        return None
    if scope is None or any(a.scope is not scope.globals for a in scope[ref.name.split(".")[0]]):
        return None
    if ref.add is not None:
        share.add_needed_import("http.cookiejar", asname=ref.name)
    return ref.name
