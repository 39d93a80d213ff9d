"""Where generated module-level statements go: after the imports before the first use."""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import libcst as cst

from ..tree import is_docstring as _is_docstring


def insertion_point(body: Sequence[cst.BaseStatement], first_use: int) -> int:
    """After the last import-like statement before ``first_use`` (after docstring and
    ``__future__`` imports at least)."""
    point = 0
    if body and _is_docstring(body[0]):
        point = 1
    for index in range(first_use):
        if _import_like(body[index]):
            point = index + 1
    return point


def top_statement_index(share: Any, node: cst.CSTNode) -> int:
    child = node
    parent = share.resolver.parent(node)
    while parent is not None and not isinstance(parent, cst.Module):
        child = parent
        parent = share.resolver.parent(parent)
    return list(share.module_node.body).index(child)  # type: ignore[arg-type]


def _simple_ok(stmt: cst.BaseStatement, allow_assign: bool) -> bool:
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    for small in stmt.body:
        if isinstance(small, (cst.Import, cst.ImportFrom, cst.Pass)):
            continue
        if (
            allow_assign
            and isinstance(small, cst.Assign)
            and isinstance(small.value, (cst.Name, cst.SimpleString, cst.Integer, cst.Float))
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
                    isinstance(s, (cst.Import, cst.ImportFrom))
                    for s in inner.body  # type: ignore[union-attr]
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


def is_module_file(filename: Optional[str], module: str) -> bool:
    if not filename:
        return False
    path = filename.replace("\\", "/")
    tail = module.replace(".", "/")
    return path.endswith("/" + tail + ".py") or path == tail + ".py" or path.endswith("/" + tail + "/__init__.py")
