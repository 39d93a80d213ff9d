"""The ``package`` strategy (the default): a module of a package imports its package's shared
client (``package_client.py``) instead of defining one of its own.

``from ._http_client import session as _session`` (relative when the module or, failing that,
most of its package imports relatively; else ``from pkg._http_client import ...``), placed
where the project's import sorting puts it, and every target routed through ``_session``. A
module outside any package (a script), a module with an ``if __name__ == "__main__":`` block
(it may be run as a script, where neither import resolves), and every run without a package
plan (standard input, the library API) keep the module-level client of ``module_scope.py``.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

import libcst as cst
from libcst.metadata import FunctionScope

from ..imports import dotted
from .client import DEFAULT_MODULE_NAMES, api_of, modules_of
from .guarded import is_none_fallback
from .layout import insertion_point, top_statement_index
from .module_scope import guard_for, module_block, plan_module, report_pending
from .package_client import EXPORTS, PackageClient
from .targets import ShareTarget


def plan_package(share: Any, module: cst.Module, targets: List[ShareTarget]) -> None:
    client = _client_for(share, module)
    if client is None:
        plan_module(share, module, targets)
        return
    ok = share.eligible(targets, share.module_problem)
    report_pending(share, module)
    if not ok:
        return
    first_use = min(top_statement_index(share, t.call) for t in ok)
    point = insertion_point(module.body, first_use)
    libraries = modules_of(ok)
    given = share.options["session-name"] or ""
    names = {}
    reused = {}
    guard = None
    for lib in libraries:
        lib_targets = [t for t in ok if t.found.top_module == lib]
        lib_guard = guard_for(share, lib, lib_targets, libraries, first_use)
        guard = guard or lib_guard
        problem = _problem(share, client, lib, point, lib_guard is not None)
        if problem is not None and problem[0] == _NOT_IMPORTED.format(lib=lib):
            lazy = _local_imports(share, lib, lib_targets)
            if lazy is not None:  # an optional dependency imported in its functions: so is the client
                _plan_lazy(share, client, module, lib, lazy, _base(given, lib, libraries))
                continue
        if problem is not None:
            for t in lib_targets:
                share.report(t.call, *problem)
            continue
        existing = _imported_already(share, lib, lib_targets, first_use)
        if existing is not None:  # an earlier run's import of the package's client: reuse it
            reused[lib] = existing
            continue
        names[lib] = share.imports.fresh(_base(given, lib, libraries))
    for lib in reused:
        share.requires.append((client.path, lib))
    if not names:
        for t in ok:
            if t.found.top_module in reused:
                share.routes[t.call] = client.path
                share.schedule(t, reused[t.found.top_module])
        return
    source = client.import_from(share.context.filename or "", _relative(module, client))
    aliases = ", ".join(f"{EXPORTS[lib]} as {names[lib]}" for lib in sorted(names, key=lambda m: EXPORTS[m]))
    statement = cst.parse_statement(f"from {source} import {aliases}\n")
    assert isinstance(statement, cst.SimpleStatementLine)
    # Into the run of imports that holds the libraries' own imports (where import_cleanup sorts
    # it), not after later import-like blocks that may follow other code (E402 there).
    if guard is not None:
        share.plan.guard = guard
        share.plan.module_block = [statement]
        share.plan.guard_names = list(names.values()) if guard.none_at is not None else []
    else:
        point = _library_run_end(module, names, point)
        share.plan.module_block = module_block(module, point, [statement], [])
    share.plan.insert_at = point
    for lib in names:
        share.requires.append((client.path, lib))
    for t in ok:
        receiver = names.get(t.found.top_module) or reused.get(t.found.top_module)
        if receiver is not None:
            share.routes[t.call] = client.path
            share.schedule(t, receiver)


def _imported_already(share: Any, lib: str, targets: List[ShareTarget], first_use: int) -> Optional[str]:
    """The name the module already binds ``lib``'s client of the package to: a module-level
    ``from ._http_client import session as _session`` an earlier run wrote, before the first
    target, the name's only binding and the one every target sees (``FileContext.shared``:
    the client module is ours and defines it)."""
    for found in share.file.shared:
        if found.name != EXPORTS[lib] or found.library != lib:
            continue
        everything = share.imports.global_bindings(found.local)
        # (the ``_session = None`` beside it in an optional dependency's handler: guarded.py)
        fallbacks = {b for b in everything if is_none_fallback(share.resolver.parent, getattr(b, "node", None))}
        bindings = [b for b in everything if b not in fallbacks]
        if len(bindings) != 1 or not isinstance(bindings[0].node, cst.ImportFrom):
            continue
        binding = bindings[0]
        if share.resolver.shared_import(binding.node, found.local) is None:
            continue
        if top_statement_index(share, binding.node) >= first_use:
            continue
        if all(_sees(share, t.call, found.local, binding, fallbacks) for t in targets):
            return found.local
    return None


def _sees(share: Any, node: cst.CSTNode, name: str, binding: Any, fallbacks: Any = frozenset()) -> bool:
    scope = share.resolver._scope_of(node)
    return scope is not None and set(scope[name]) - set(fallbacks) == {binding}


def _library_run_end(module: cst.Module, libraries: Any, point: int) -> int:
    """At the end of the run of import lines that holds the first module-level ``import lib`` /
    ``from lib import`` of each of ``libraries`` (the last of those), when each has one before
    ``point``; else ``point``.
    The shared module loads the libraries: it comes no earlier than their own imports."""
    after = 0
    for lib in libraries:
        found = None
        for index, stmt in enumerate(module.body[:point]):
            if isinstance(stmt, cst.SimpleStatementLine) and any(_imports(small, lib) for small in stmt.body):
                found = index
                break
        if found is None:
            return point
        while found + 1 < point and _import_line(module.body[found + 1]):
            found += 1  # to the end of that run of import lines
        after = max(after, found + 1)
    return after or point


def _import_line(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in stmt.body
    )


def _imports(small: cst.BaseSmallStatement, lib: str) -> bool:
    if isinstance(small, cst.Import):
        return any(dotted(alias.name).split(".")[0] == lib for alias in small.names)
    if isinstance(small, cst.ImportFrom) and not small.relative and small.module is not None:
        return dotted(small.module).split(".")[0] == lib
    return False


def _client_for(share: Any, module: cst.Module) -> Optional[PackageClient]:
    layout = share.file.packages
    if layout is None or not share.context.filename:
        return None
    client = layout.for_file(share.context.filename)
    if client is None or _main_block(module) or _is_client_module(share.context.filename, client):
        return None
    return client


def _base(given: str, lib: str, libraries: List[str]) -> str:
    """The name the shared client is imported under (fresh-suffixed by the caller)."""
    if given:
        return given if api_of(lib) == "requests" or len(libraries) == 1 else f"{given}_httpx"
    return DEFAULT_MODULE_NAMES[api_of(lib)]


_NOT_IMPORTED = "{lib} is not imported at module level before its first use"


def _local_imports(
    share: Any, lib: str, targets: List[ShareTarget]
) -> Optional[Dict[cst.SimpleStatementLine, List[ShareTarget]]]:
    """The function-level ``import lib`` lines every target's name comes from (each target's
    root name bound by exactly one ``import lib`` of an enclosing function, alone on its line),
    grouped by line; None when any target's name has another source."""
    found: Dict[cst.SimpleStatementLine, List[ShareTarget]] = {}
    for target in targets:
        scope = share.resolver._scope_of(target.root)
        if scope is None:
            return None
        bindings = list(scope[target.root.value])
        if len(bindings) != 1:
            return None
        binding = bindings[0]
        node = getattr(binding, "node", None)
        if not isinstance(node, cst.Import) or not isinstance(binding.scope, FunctionScope):
            return None
        if len(node.names) != 1 or dotted(node.names[0].name) != lib or node.names[0].asname is not None:
            return None
        line = share.resolver.parent(node)
        if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
            return None
        found.setdefault(line, []).append(target)
    return found


def _plan_lazy(
    share: Any,
    client: PackageClient,
    module: cst.Module,
    lib: str,
    lazy: Dict[cst.SimpleStatementLine, List[ShareTarget]],
    base: str,
) -> None:
    """``import requests`` in a function -> ``from pkg._http_client import session as
    _session`` beside it (instead of it when the targets were its only uses): the client
    module loads where and when the library did, and the module still never needs the
    library at import."""
    name = share.imports.fresh(base)
    source = client.import_from(share.context.filename or "", _relative(module, client))
    statement = cst.parse_statement(f"from {source} import {EXPORTS[lib]} as {name}\n")
    assert isinstance(statement, cst.SimpleStatementLine)
    for line, targets in lazy.items():
        imp = line.body[0]
        scope = share.resolver._scope_of(imp)
        uses = {
            id(access.node)
            for binding in scope[lib]
            if getattr(binding, "node", None) is imp
            for access in binding.references
        }
        replace = uses <= {id(t.root) for t in targets}
        share.plan.local_imports[line] = (statement, replace)
        for target in targets:
            share.routes[target.call] = client.path  # for the plan of the tests' patches (mockpatch)
            share.schedule(target, name)
    share.requires.append((client.path, lib))


def _problem(share: Any, client: PackageClient, lib: str, point: int, guarded: bool) -> Optional[tuple]:
    if not guarded and not share.imports.library_imported(lib, point):
        return (
            _NOT_IMPORTED.format(lib=lib),
            f"add `import {lib}` to the module's imports at the top, then run again",
        )
    if EXPORTS[lib] not in client.defines and not client.extendable:
        return (
            f"the package's client module {client.path} was edited since it was generated and "
            f"defines no `{EXPORTS[lib]}`",
            f"add `{EXPORTS[lib]}` to {client.path} (or use --session-scope module), then run again",
        )
    return None


def _relative(module: cst.Module, client: PackageClient) -> bool:
    """The module's own style; with no import of its package, the package's."""
    absolute = False
    for stmt in module.body:
        for small in stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.ImportFrom) and small.relative:
                return True
            names = [small.module] if isinstance(small, cst.ImportFrom) else []
            if isinstance(small, cst.Import):
                names = [a.name for a in small.names]
            absolute = absolute or any(_top(n) == client.package for n in names if n is not None)
    return client.relative and not absolute


def _top(expr: cst.BaseExpression) -> str:
    while isinstance(expr, cst.Attribute):
        expr = expr.value
    return expr.value if isinstance(expr, cst.Name) else ""


def _main_block(module: cst.Module) -> bool:
    for stmt in module.body:
        if isinstance(stmt, cst.If):
            test = module.code_for_node(stmt.test)
            if "__name__" in test and "__main__" in test:
                return True
    return False


def _is_client_module(filename: str, client: PackageClient) -> bool:
    return os.path.realpath(filename) == os.path.realpath(os.path.join(client.directory, client.module + ".py"))
