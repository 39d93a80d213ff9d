"""How generated code reaches ``contextlib.closing``: under ``contextlib`` when that name is
free or only ever bound by ``import contextlib``, else under a private alias
(``import contextlib as _contextlib``) by the same rule; when both names are taken the site
is reported."""

from __future__ import annotations

from typing import Any, Optional

import libcst as cst

from ..imports import only_bound_by_import_of

#: The names tried, in order; the target spec keeps them visible to pruning.
CANDIDATES = ("contextlib", "_contextlib")


def contextlib_name(codemod: Any, module: cst.Module) -> Optional[str]:
    """The name to use, or None when both candidates are taken."""
    star = any(
        isinstance(n, cst.ImportFrom) and isinstance(n.names, cst.ImportStar)
        for n in codemod.nodes_of(module, cst.ImportFrom)
    )
    for candidate in CANDIDATES:
        if candidate == "contextlib" and star:
            continue  # a star import may bind it to anything
        if only_bound_by_import_of(codemod, module, candidate, "contextlib"):
            return candidate
    return None
