"""An optional dependency: the library imported in a module-level ``try`` that catches the
ImportError (``try: import requests`` / ``except ImportError: pass`` or ``requests = None``).

The shared client then goes where the library is imported, inside that ``try``, right after
the import: it exists exactly when the library does, and the module still imports without
the library. A handler that binds ``requests = None`` gets ``_session = None`` next to it, so a
call made without the library fails as before (``AttributeError`` on ``None``); a handler that
binds nothing leaves both names unbound (``NameError`` either way, naming the new name).

Only the module and package strategies place a client at module level; anything else about
the ``try`` (an ``else`` or ``finally``, the name bound some other way, a handler that does not
catch ImportError) keeps the report "imported conditionally".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional

import libcst as cst
from libcst.metadata import ImportAssignment

from ..imports import dotted
from ..tree import name_assignment

#: Handler types that catch the ImportError of a missing library.
_CATCHES = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


@dataclass(frozen=True)
class Guard:
    """``try_index``: the ``try`` in the module's body; ``import_index``: the import statement
    in its body; ``none_at``: (handler index, statement index) of ``lib = None``, if any;
    ``ref``: the name the import binds."""

    try_index: int
    import_index: int
    none_at: Optional[tuple]
    ref: str


def find_guard(share: Any, module: cst.Module, lib: str) -> Optional[Guard]:
    """The guard of ``lib``'s module-level import, when the client can go inside it."""
    scope = share.imports.global_scope
    if scope is None or share.imports.has_star:
        return None
    for index, stmt in enumerate(module.body):
        if not isinstance(stmt, cst.Try) or stmt.orelse is not None or stmt.finalbody is not None:
            continue
        found = _import_of(stmt, lib)
        if found is None:
            continue
        import_index, ref = found
        if not any(_catches_import_error(h) for h in stmt.handlers):
            return None
        if all(share.imports.leaves_block(h.body) for h in stmt.handlers):
            return None  # the module stops without the library: an unconditional import
        none_at = _none_binding(stmt, ref)
        if not _bound_only_here(scope, ref, stmt, none_at):
            return None
        return Guard(index, import_index, none_at, ref)
    return None


def _import_of(stmt: cst.Try, lib: str) -> Optional[tuple]:
    """(statement index, bound name) of ``import lib`` / ``import lib as X`` in the try body."""
    for index, inner in enumerate(stmt.body.body):
        if not isinstance(inner, cst.SimpleStatementLine):
            continue
        for small in inner.body:
            if not isinstance(small, cst.Import):
                continue
            for alias in small.names:
                if dotted(alias.name) != lib:
                    continue
                if alias.asname is None:
                    return index, lib
                if isinstance(alias.asname.name, cst.Name):
                    return index, alias.asname.name.value
    return None


def _catches_import_error(handler: cst.ExceptHandler) -> bool:
    kind = handler.type
    if kind is None:
        return True
    kinds = [e.value for e in kind.elements] if isinstance(kind, cst.Tuple) else [kind]
    return any(isinstance(k, cst.Name) and k.value in _CATCHES for k in kinds)


def _none_binding(stmt: cst.Try, name: str) -> Optional[tuple]:
    """(handler, statement) of the first top-level ``name = None`` of a handler (any other
    binding of the name fails ``_bound_only_here``)."""
    for h_index, handler in enumerate(stmt.handlers):
        if not isinstance(handler.body, cst.IndentedBlock):
            continue
        for s_index, inner in enumerate(handler.body.body):
            if _is_none_assignment(inner, name):
                return (h_index, s_index)
    return None


def _is_none_assignment(stmt: cst.BaseStatement, name: str) -> bool:
    found = name_assignment(stmt)
    return (
        found is not None
        and found[0] == name
        and isinstance(found[1].value, cst.Name)
        and found[1].value.value == "None"
    )


def is_none_fallback(parent: Any, node: cst.CSTNode) -> bool:
    """``node`` (a binding's name) is the target of ``name = None`` at the top of a handler
    that catches ImportError, of a module-level ``try``: the value a guarded client has when
    its library is missing (``place`` writes ``_session = None`` there). Resolving the client,
    that binding does not count: a call through it fails as the library's would."""
    assign_target = parent(node)
    assign = parent(assign_target) if assign_target is not None else None
    line = parent(assign) if assign is not None else None
    block = parent(line) if line is not None else None
    handler = parent(block) if block is not None else None
    owner = parent(handler) if handler is not None else None
    return (
        isinstance(assign, cst.Assign)
        and isinstance(line, cst.SimpleStatementLine)
        and _is_none_assignment(line, getattr(node, "value", ""))
        and isinstance(handler, cst.ExceptHandler)
        and _catches_import_error(handler)
        and isinstance(owner, cst.Try)
        and isinstance(parent(owner), cst.Module)
    )


def _bound_only_here(scope: Any, name: str, stmt: cst.Try, none_at: Any) -> bool:
    """Every module-level binding of ``name`` is the guarded import or the ``None``."""
    none_stmt = None
    if none_at:
        h_index, s_index = none_at
        none_stmt = stmt.handlers[h_index].body.body[s_index]
    imports = {
        id(small) for inner in stmt.body.body if isinstance(inner, cst.SimpleStatementLine) for small in inner.body
    }
    nones = {id(none_stmt.body[0].targets[0].target)} if none_stmt is not None else set()  # type: ignore
    assignments = list(scope[name]) if name in scope else []
    if not assignments:
        return False
    for assignment in assignments:
        node = getattr(assignment, "node", None)
        if isinstance(assignment, ImportAssignment):
            if id(node) not in imports:
                return False
        elif id(node) not in nones:
            return False
    return True


def place(
    body: List[cst.BaseStatement],
    guard: Guard,
    imports: List[cst.BaseStatement],
    block: List[cst.BaseStatement],
    names: List[str],
) -> None:
    """Put ``block`` into the guarded ``try`` of ``body`` right after the import (``imports``,
    the standard-library imports it needs, just before it, a section of their own), and
    ``name = None`` for each of ``names`` after the handler's ``lib = None``."""
    stmt = body[guard.try_index]
    assert isinstance(stmt, cst.Try)
    inner = list(stmt.body.body)
    after = guard.import_index + 1
    if after < len(inner) and not inner[after].leading_lines:
        inner[after] = inner[after].with_changes(leading_lines=[cst.EmptyLine(indent=False)])
    block = list(block)
    if block:
        block[0] = block[0].with_changes(leading_lines=[cst.EmptyLine(indent=False)])
    inner[after:after] = block
    if imports:
        at = guard.import_index
        inner[at] = inner[at].with_changes(leading_lines=[cst.EmptyLine(indent=False), *inner[at].leading_lines])
        imports = list(imports)
        imports[0] = imports[0].with_changes(leading_lines=[])
        inner[at:at] = imports
    handlers = list(stmt.handlers)
    if guard.none_at is not None and names:
        h_index, s_index = guard.none_at
        handler = handlers[h_index]
        lines = list(handler.body.body)
        lines[s_index + 1 : s_index + 1] = [cst.parse_statement(f"{name} = None\n") for name in names]
        handlers[h_index] = handler.with_changes(body=handler.body.with_changes(body=lines))
    body[guard.try_index] = stmt.with_changes(body=stmt.body.with_changes(body=inner), handlers=handlers)
