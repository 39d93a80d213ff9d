"""The tree builder: a block's statements rebuilt with each plan's range inside its
``with`` (or ``try``/``finally``), nested plans inside their outer one."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import libcst as cst

from ..tree import walk
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
        leading_lines=[line.with_changes(indent=False) if line.comment is None else line for line in lines]
    )


def closing_call(target: Target) -> Optional[Tuple[str, bool]]:
    """(method, awaited) of the explicit close that the ``with`` (or ``finally``) written for
    ``target`` makes redundant when it is the last statement of the block: the one its exit
    runs. aiohttp's ``resp.close()`` drops the connection where ``async with`` releases it:
    none there."""
    if target.mode == Mode.ACLOSE:
        return ("aclose", True)
    if target.noun == "client":
        return {
            "requests.Session": ("close", False),
            "httpx.Client": ("close", False),
            "urllib3.PoolManager": ("clear", False),
            "aiohttp.ClientSession": ("close", True),
            "httpx.AsyncClient": ("aclose", True),
        }.get(target.client_class or "")
    if target.mode in (Mode.WITH, Mode.CLOSING) and target.library in ("requests", "urllib", "urllib3", "httpx"):
        if target.used_as_response:
            return None  # ``stream()`` gives a context manager, not the response
        return ("close", False)
    return None


def _is_close_of(stmt: cst.BaseStatement, name: str, call: Tuple[str, bool]) -> bool:
    """``stmt`` is exactly ``name.method()`` (``await name.method()``)."""
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Expr)):
        return False
    if any(line.comment is not None for line in stmt.leading_lines) or stmt.trailing_whitespace.comment is not None:
        return False  # a comment explains it: keep both
    value = stmt.body[0].value
    method, awaited = call
    if awaited:
        if not isinstance(value, cst.Await):
            return False
        value = value.expression
    return (
        isinstance(value, cst.Call)
        and not value.args
        and isinstance(value.func, cst.Attribute)
        and value.func.attr.value == method
        and isinstance(value.func.value, cst.Name)
        and value.func.value.value == name
    )


def _bound_parts(node: cst.CSTNode) -> List[cst.CSTNode]:
    """The parts of ``node`` that it binds names in (empty for nodes that bind nothing)."""
    if isinstance(node, cst.Assign):
        return [t.target for t in node.targets]
    if isinstance(node, (cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor, cst.NamedExpr, cst.Del)):
        return [node.target]
    if isinstance(node, cst.AsName):
        return [node.name]
    if isinstance(node, cst.ImportAlias):
        return [node.asname.name if node.asname is not None else node.name]
    if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        return [node.name]
    if isinstance(node, (cst.Global, cst.Nonlocal)):
        return [item.name for item in node.names]
    if isinstance(node, cst.ExceptHandler) and node.name is not None:
        return [node.name]
    if isinstance(node, (cst.MatchAs, cst.MatchStar)) and node.name is not None:
        return [node.name]
    return []


def _may_rebind(stmts: List[cst.BaseStatement], name: str) -> bool:
    """``name`` is bound anywhere in ``stmts`` (nested scopes included: an over-approximation)."""
    for stmt in stmts:
        for node in walk(stmt):
            for part in _bound_parts(node):
                if any(isinstance(sub, cst.Name) and sub.value == name for sub in walk(part)):
                    return True
    return False


def _without_final_close(body: List[cst.BaseStatement], plan: Plan) -> List[cst.BaseStatement]:
    """``body`` without an explicit close at its end (what the with's exit now does), never
    empty."""
    call = closing_call(plan.target)
    if call is not None and body and _is_close_of(body[-1], plan.name, call) and not _may_rebind(body[:-1], plan.name):
        body = body[:-1]
    return body or [cst.SimpleStatementLine([cst.Pass()])]


def _callback(stack: str, bound: str, method: str) -> cst.SimpleStatementLine:
    """``stack.callback(bound.method)``."""
    call = cst.Call(
        cst.Attribute(cst.Name(stack), cst.Name("callback")),
        [cst.Arg(cst.Attribute(cst.Name(bound), cst.Name(method)))],
    )
    return cst.SimpleStatementLine([cst.Expr(call)])


def _is_bare_name(stmt: cst.BaseStatement, name: str) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, cst.Name)
        and stmt.body[0].value.value == name
    )


class WithBuilder:
    """``hoisted_updated``: each hoisted target's (already transformed) expression;
    ``contextlib``: the name ``contextlib.closing`` is reached under (``contextlib_name.py``)."""

    def __init__(
        self,
        hoisted_updated: Dict[cst.CSTNode, cst.BaseExpression],
        contextlib: Optional[str],
        callbacks: Optional[Dict[int, Tuple[str, str, str]]] = None,
    ) -> None:
        self.hoisted_updated = hoisted_updated
        self.contextlib = contextlib
        #: (stack, bound name, method) of ``stack.callback(bound.method)``, written after the
        #: statement at each index of the block (``closing/stack.py``).
        self.callbacks = callbacks or {}

    def build(
        self, stmts: List[cst.BaseStatement], plans: List[Plan], offset: int, indent: Optional[str]
    ) -> List[cst.BaseStatement]:
        """Rebuild ``stmts`` (which start at index ``offset`` of the original block)."""
        out: List[cst.BaseStatement] = []
        position = offset
        ordered = sorted(plans, key=lambda p: p.start)
        k = 0
        while position < offset + len(stmts):
            plan = ordered[k] if k < len(ordered) else None
            if plan is None or plan.start != position:
                out.append(stmts[position - offset])
                if position in self.callbacks:
                    out.append(_callback(*self.callbacks[position]))
                position += 1
                continue
            inner = [q for q in ordered[k + 1 :] if q.start <= plan.end]
            k += 1 + len(inner)
            first_stmt = stmts[plan.start - offset]
            body_start = plan.start + 1 if plan.named else plan.start
            body = self.build(stmts[body_start - offset : plan.end + 1 - offset], inner, body_start, indent)
            out.extend(self._wrap(plan, first_stmt, body, indent))
            position = plan.end + 1
        return out

    def _wrap(
        self, plan: Plan, first: cst.BaseStatement, body: List[cst.BaseStatement], indent: Optional[str]
    ) -> List[cst.BaseStatement]:
        target = plan.target
        asname: Optional[cst.AsName] = cst.AsName(name=cst.Name(plan.name))
        if plan.callbacks:
            # ``with contextlib.ExitStack() as stack:`` from the ``if`` (``closing/stack.py``).
            body = [body[0].with_changes(leading_lines=())] + body[1:]
            body = [_unindent_blank_lines(stmt) for stmt in body]
            stack = cst.Call(cst.Attribute(cst.Name(self.contextlib or "contextlib"), cst.Name("ExitStack")))
            return [
                cst.With(
                    items=[cst.WithItem(item=stack, asname=asname)],
                    body=cst.IndentedBlock(body=body, indent=indent),
                    leading_lines=first.leading_lines,
                )
            ]
        if plan.named:
            assert isinstance(first, cst.SimpleStatementLine)
            value = first.body[0].value  # type: ignore[attr-defined]
            header = first.trailing_whitespace
            leading = first.leading_lines
        else:
            value = cst.Name(plan.name) if plan.bound else self.hoisted_updated[target.node]
            header = cst.TrailingWhitespace()
            leading = first.leading_lines
            body = [body[0].with_changes(leading_lines=())] + body[1:]
            if plan.bound:
                asname = None
            elif _is_bare_name(body[0], plan.name):
                # A call made only for its effect (``urlopen(u, timeout=1)``): ``with <call>:``.
                body, asname = body[1:], None
        body = _without_final_close(body, plan)
        # Blank lines moved one level in would otherwise gain the new indentation as
        # trailing whitespace (at module level a blank line "matches" the empty indent).
        body = [_unindent_blank_lines(stmt) for stmt in body]
        block = cst.IndentedBlock(body=body, header=header, indent=indent)
        if target.mode == Mode.ACLOSE:
            close = cst.SimpleStatementLine(
                [cst.Expr(cst.Await(cst.Call(cst.Attribute(cst.Name(plan.name), cst.Name("aclose")))))]
            )
            return [
                *([] if plan.bound else [first]),
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
                items=[cst.WithItem(item=item_expr, asname=asname)],
                body=block,
                asynchronous=cst.Asynchronous() if target.mode == Mode.ASYNC_WITH else None,
                leading_lines=leading,
            )
        ]
