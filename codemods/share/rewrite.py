"""The rewrite: what the strategies planned (``SharePlan``), applied: calls routed through the
client, function bodies wrapped in a ``with`` of clients, the module-level block inserted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import libcst as cst

from .checks import REQUESTS_TO_KEYWORD
from .guarded import place


@dataclass
class SharePlan:
    #: call (or a reference, ``references.py``) -> (receiver, verb, library)
    rewrites: Dict[cst.CSTNode, Tuple[str, str, str]] = field(default_factory=dict)
    module_block: List[cst.BaseStatement] = field(default_factory=list)
    insert_at: int = -1
    #: an optional dependency's guard (``guarded.Guard``): the block goes into its ``try``;
    #: ``guard_imports`` before the library's import there, ``guard_names`` set to None where
    #: the handler sets the library to None
    guard: Any = None
    guard_imports: List[cst.BaseStatement] = field(default_factory=list)
    guard_names: List[str] = field(default_factory=list)
    #: function -> (first, last statement index, [(client constructor, name)], cookie policy)
    functions: Dict[cst.FunctionDef, Tuple[int, int, List[Tuple[str, str]], Optional[str]]] = field(
        default_factory=dict
    )
    #: a function's ``import lib`` line -> (the client's import, whether it replaces the line)
    local_imports: Dict[cst.SimpleStatementLine, Tuple[cst.SimpleStatementLine, bool]] = field(default_factory=dict)


def route_call(updated_node: cst.Call, planned: Tuple[str, str, str]) -> cst.Call:
    """``requests.get(u, p)`` -> ``<receiver>.get(u, params=p)``: the same arguments (those
    ``Session.<verb>`` has positional only since 2.32 passed by keyword)."""
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


def route_reference(updated_node: cst.BaseExpression, planned: Tuple[str, str, str]) -> cst.Attribute:
    """``requests.get`` (not called here) -> ``<receiver>.get``, in its parentheses."""
    receiver, verb, _ = planned
    return cst.Attribute(value=cst.Name(receiver), attr=cst.Name(verb), lpar=updated_node.lpar, rpar=updated_node.rpar)


def wrap_function_body(
    updated_node: cst.FunctionDef, planned: Tuple[int, int, List[Tuple[str, str]], Optional[str]]
) -> cst.FunctionDef:
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
    with_stmt = with_stmt.with_changes(body=cst.IndentedBlock(body=inner), leading_lines=leading)
    body[start : end + 1] = [with_stmt]
    return updated_node.with_changes(body=updated_node.body.with_changes(body=body))


def insert_module_block(updated_node: cst.Module, plan: SharePlan) -> cst.Module:
    if not plan.module_block or plan.insert_at < 0 or not plan.rewrites:
        return updated_node
    body = list(updated_node.body)
    if plan.guard is not None:
        place(body, plan.guard, plan.guard_imports, plan.module_block, plan.guard_names)
        return updated_node.with_changes(body=body)
    point = plan.insert_at
    only_imports = all(
        isinstance(stmt, cst.SimpleStatementLine)
        and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)
        for stmt in plan.module_block
    )  # the package strategy's import: import_cleanup puts it in its block
    if point < len(body) and not body[point].leading_lines and not only_imports:
        body[point] = body[point].with_changes(leading_lines=[cst.EmptyLine()])
    body[point:point] = plan.module_block
    return updated_node.with_changes(body=body)


def insert_local_imports(original: cst.IndentedBlock, updated: cst.IndentedBlock, plan: SharePlan) -> cst.IndentedBlock:
    """The client's import beside (or instead of) each planned ``import lib`` of the block."""
    if not plan.local_imports or not any(stmt in plan.local_imports for stmt in original.body):
        return updated
    assert len(original.body) == len(updated.body)
    body: List[cst.BaseStatement] = []
    for before, after in zip(original.body, updated.body):
        planned = plan.local_imports.get(before)  # type: ignore[call-overload]
        if planned is None:
            body.append(after)
            continue
        statement, replace = planned
        if replace:
            body.append(statement.with_changes(leading_lines=after.leading_lines))
        else:
            body += [after, statement]
    return updated.with_changes(body=body)
