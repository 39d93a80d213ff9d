"""The tree builder: a block's statements rebuilt with each plan's range inside its
``with`` (or ``try``/``finally``), nested plans inside their outer one."""

from __future__ import annotations

from typing import Dict, List, Optional

import libcst as cst

from .model import Mode, Plan, Target


def header_word(target: Target) -> str:
    """How a fixed site names the construct it wrote."""
    return {
        Mode.WITH: "with",
        Mode.ASYNC_WITH: "async with",
        Mode.CLOSING: "with contextlib.closing",
        Mode.ACLOSE: "try/finally: await .aclose()",
    }[target.mode]


def _unindent_blank_lines(stmt: cst.BaseStatement) -> cst.BaseStatement:
    lines = stmt.leading_lines
    if not any(line.comment is None and line.indent for line in lines):
        return stmt
    return stmt.with_changes(
        leading_lines=[
            line.with_changes(indent=False) if line.comment is None else line for line in lines
        ]
    )


class WithBuilder:
    """``hoisted_updated``: each hoisted target's (already transformed) expression;
    ``contextlib``: the name ``contextlib.closing`` is reached under (``contextlib_name.py``)."""

    def __init__(self, hoisted_updated: Dict[cst.CSTNode, cst.BaseExpression], contextlib: Optional[str]) -> None:
        self.hoisted_updated = hoisted_updated
        self.contextlib = contextlib

    def build(self, stmts: List[cst.BaseStatement], plans: List[Plan], offset: int, indent: Optional[str]) -> List[cst.BaseStatement]:
        """Rebuild ``stmts`` (which start at index ``offset`` of the original block)."""
        out: List[cst.BaseStatement] = []
        position = offset
        ordered = sorted(plans, key=lambda p: p.start)
        k = 0
        while position < offset + len(stmts):
            plan = ordered[k] if k < len(ordered) else None
            if plan is None or plan.start != position:
                out.append(stmts[position - offset])
                position += 1
                continue
            inner = [q for q in ordered[k + 1 :] if q.start <= plan.end]
            k += 1 + len(inner)
            first_stmt = stmts[plan.start - offset]
            if plan.named:
                body_start = plan.start + 1
            else:
                body_start = plan.start
            body = self.build(stmts[body_start - offset : plan.end + 1 - offset], inner, body_start, indent)
            out.extend(self._wrap(plan, first_stmt, body, indent))
            position = plan.end + 1
        return out

    def _wrap(self, plan: Plan, first: cst.BaseStatement, body: List[cst.BaseStatement], indent: Optional[str]) -> List[cst.BaseStatement]:
        target = plan.target
        if plan.named:
            assert isinstance(first, cst.SimpleStatementLine)
            value = first.body[0].value  # type: ignore[attr-defined]
            header = first.trailing_whitespace
            leading = first.leading_lines
        else:
            value = self.hoisted_updated[target.node]
            header = cst.TrailingWhitespace()
            leading = first.leading_lines
            body = [body[0].with_changes(leading_lines=())] + body[1:]
        if not body:
            body = [cst.SimpleStatementLine([cst.Pass()])]
        # Blank lines moved one level in would otherwise gain the new indentation as
        # trailing whitespace (at module level a blank line "matches" the empty indent).
        body = [_unindent_blank_lines(stmt) for stmt in body]
        block = cst.IndentedBlock(body=body, header=header, indent=indent)
        if target.mode == Mode.ACLOSE:
            close = cst.SimpleStatementLine(
                [cst.Expr(cst.Await(cst.Call(cst.Attribute(cst.Name(plan.name), cst.Name("aclose")))))]
            )
            return [
                first,
                cst.Try(
                    body=cst.IndentedBlock(body=body, indent=indent),
                    finalbody=cst.Finally(body=cst.IndentedBlock(body=[close], indent=indent)),
                ),
            ]
        item_expr = value
        if target.unwrap_await and isinstance(item_expr, cst.Await):
            item_expr = item_expr.expression
        if target.mode == Mode.CLOSING:
            item_expr = cst.Call(
                cst.Attribute(cst.Name(self.contextlib or "contextlib"), cst.Name("closing")),
                [cst.Arg(item_expr)],
            )
        return [
            cst.With(
                items=[cst.WithItem(item=item_expr, asname=cst.AsName(name=cst.Name(plan.name)))],
                body=block,
                asynchronous=cst.Asynchronous() if target.mode == Mode.ASYNC_WITH else None,
                leading_lines=leading,
            )
        ]
