"""The default strategy: one module-level client, created right after the imports, used by
every target of the module."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set

import libcst as cst

from ..imports import Ref
from .client import DEFAULT_MODULE_NAMES, ClientDefinition, api_of, modules_of
from .layout import insertion_point, top_statement_index
from .targets import ShareTarget


def plan_module(share: Any, module: cst.Module, targets: List[ShareTarget]) -> None:
    ok = share.eligible(targets, share.module_problem)
    report_pending(share, module)
    if not ok:
        return
    first_use = min(top_statement_index(share, t.call) for t in ok)
    point = insertion_point(module.body, first_use)
    libraries = modules_of(ok)  # requests, niquests, httpx, httpx2: one client each
    adds: List[cst.SimpleStatementLine] = []
    lines: List[str] = []
    given = share.options["session-name"] or ""
    names: Dict[str, str] = {}
    refs: Dict[str, Ref] = {}
    helpers: Dict[str, Optional[Ref]] = {}
    if not share.keep_cookies:
        helpers["http.cookiejar"] = share.imports.module_ref("http.cookiejar", point, must_exist=False)
    guard = None
    for lib in libraries:
        lib_targets = [t for t in ok if t.found.top_module == lib]
        lib_guard = guard_for(share, lib, lib_targets, libraries, first_use)
        ref = Ref(lib_guard.ref) if lib_guard is not None else share.imports.module_ref(lib, point, must_exist=True)
        guard = guard or lib_guard
        if ref is None:
            for t in lib_targets:
                share.report(
                    t.call,
                    f"{lib} is not imported at module level before its first use",
                    f"add `import {lib}` to the module's imports at the top, then run again",
                )
            continue
        refs[lib] = ref
        share.imports.all_names.update(r.name.split(".")[0] for r in list(helpers.values()) + [ref] if r)
        if given:
            base = given if api_of(lib) == "requests" or len(libraries) == 1 else f"{given}_httpx"
        else:
            base = DEFAULT_MODULE_NAMES[api_of(lib)]
        names[lib] = share.imports.fresh(base)
    if not refs:
        return
    added: Set[str] = set()
    for ref in list(helpers.values()) + [refs[lib] for lib in libraries if lib in refs]:
        if ref is not None and ref.add is not None and ref.name not in added:
            added.add(ref.name)
            adds.append(ref.add)
    cookiejar = helpers["http.cookiejar"].name if not share.keep_cookies else None  # type: ignore[union-attr]
    for lib in libraries:
        if lib in refs:
            lines += ClientDefinition(api_of(lib), refs[lib].name, cookiejar).module_statements(names[lib])
    if guard is not None:
        share.plan.guard = guard
        share.plan.guard_imports = list(adds)
        share.plan.module_block = [cst.parse_statement(line + "\n") for line in lines]
        share.plan.guard_names = list(names.values()) if guard.none_at is not None else []
    else:
        share.plan.module_block = module_block(module, point, adds, lines)
    share.plan.insert_at = point
    for t in ok:
        if t.found.top_module in refs:
            share.schedule(t, names[t.found.top_module])


def guard_for(share: Any, lib: str, targets: List[ShareTarget], libraries: List[str], first_use: int) -> Any:
    """The guard of optional ``lib`` (``guarded.py``) the client goes into, if any: one library
    only, its ``try`` before the first use."""
    if not targets:
        return None
    guard = share.guard_of(lib, targets[0].root.value)
    if guard is None or len(libraries) > 1 or guard.try_index >= first_use:
        return None
    return guard


def report_pending(share: Any, module: cst.Module) -> None:
    """The unsafe fixes not applied (no ``--unsafe-fixes``): "fixable with --unsafe-fixes"
    only where ``--unsafe-fixes`` would fix them (the library can be named there)."""
    pending, share.pending = share.pending, []
    if not pending:
        return
    point = insertion_point(module.body, min(top_statement_index(share, t.call) for t, _ in pending))
    for target, hazard in pending:
        lib = target.found.top_module
        if share.imports.library_imported(lib, point) or share.guard_of(lib, target.root.value) is not None:
            share.unsafe_fix(target.call, hazard.reason, hazard.hazard)
        else:
            share.report(
                target.call,
                f"{lib} is not imported at module level before its first use",
                f"add `import {lib}` to the module's imports at the top, then run again",
            )


def module_block(
    module: cst.Module, point: int, adds: List[cst.SimpleStatementLine], lines: List[str]
) -> List[cst.BaseStatement]:
    """The imports to add and the client's statements, set off by blank lines."""
    if adds and point > 0 and not isinstance(module.body[point - 1], cst.SimpleStatementLine):
        adds[0] = adds[0].with_changes(leading_lines=[cst.EmptyLine()])
    block: List[cst.BaseStatement] = list(adds)
    client_stmts = [cst.parse_statement(line + "\n") for line in lines]
    if client_stmts and (point > 0 or adds):
        client_stmts[0] = client_stmts[0].with_changes(leading_lines=[cst.EmptyLine()])
    block += client_stmts
    return block
