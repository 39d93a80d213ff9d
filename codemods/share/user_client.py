"""The ``--client MODULE:NAME`` strategy: the user's own shared client (its library given by
``--client-library``), imported where needed."""

from __future__ import annotations

from typing import Any, List, Optional

import libcst as cst
from libcst.metadata import ScopeProvider

from ..imports import dotted
from .layout import insertion_point, is_module_file, top_statement_index
from .targets import ShareTarget


def plan_client(share: Any, module: cst.Module, targets: List[ShareTarget]) -> None:
    module_name, name = share.options["client"].split(":", 1)
    library = share.options["client-library"]
    if is_module_file(share.context.filename, module_name):
        for t in targets:
            share.report(t.call, f"this is {module_name}, the module of the shared client {name}")
        return
    # An existing ``from module import name [as alias]`` at module level?
    ref_name: Optional[str] = None
    for _, imp in share.imports.top_imports(module.body):
        if isinstance(imp, cst.ImportFrom) and imp.module is not None and not imp.relative:
            if dotted(imp.module) != module_name or isinstance(imp.names, cst.ImportStar):
                continue
            for alias in imp.names:
                if dotted(alias.name) == name:
                    bound = alias.asname.name if alias.asname is not None else alias.name
                    if isinstance(bound, cst.Name):
                        ref_name = bound.value
    add = None
    if ref_name is None:
        if share.imports.global_bindings(name):
            for t in targets:
                share.report(t.call, f"the name {name} is already used in this module")
            return
        ref_name = name
        add = cst.parse_statement(f"from {module_name} import {name}\n")

    def check(t: ShareTarget) -> Optional[str]:
        if t.found.top_module != library:
            return f"{t.found.top_module} call, but the shared client {name} is a {library} client (--client-library)"
        try:
            scope = share.get_metadata(ScopeProvider, t.call, None)
        except KeyError:
            scope = None
        if scope is not None and any(a.scope is not scope.globals for a in scope[ref_name]):
            return f"{ref_name} is a local name here"
        return None

    ok = share.eligible(targets, check)
    if not ok:
        return
    if add is not None:
        first_use = min(top_statement_index(share, t.call) for t in ok)
        share.plan.insert_at = insertion_point(module.body, first_use)
        share.plan.module_block = [add]
    for t in ok:
        share.schedule(t, ref_name)
