"""The tree builder: a block's statements rebuilt with each plan's range inside its
``with`` (or ``try``/``finally``), nested plans inside their outer one."""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Tuple

import libcst as cst

from ..tree import walk
from .model import Mode, Plan, Target
from .realign import code, deeper, realigned


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


def is_close_of(stmt: cst.BaseStatement, name: str, call: Tuple[str, bool]) -> bool:
    """``stmt`` is exactly ``name.method()`` (``await name.method()``)."""
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Expr)):
        return False
    if stmt.trailing_whitespace.comment is not None:
        return False  # a comment on its line explains it: keep both
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


def may_rebind(stmts: List[cst.BaseStatement], name: str) -> bool:
    """``name`` is bound anywhere in ``stmts`` (nested scopes included: an over-approximation)."""
    for stmt in stmts:
        for node in walk(stmt):
            for part in _bound_parts(node):
                if any(isinstance(sub, cst.Name) and sub.value == name for sub in walk(part)):
                    return True
    return False


#: A comment that says what the close does (it goes with the close the ``with`` replaces).
_ABOUT_CLOSE = re.compile(r"\b(clos|releas|free|clean)", re.IGNORECASE)


def _without_final_close(
    body: List[cst.BaseStatement], plan: Plan
) -> Tuple[List[cst.BaseStatement], List[cst.EmptyLine]]:
    """``body`` without an explicit close at its end (what the with's exit now does), never
    empty, and the comment lines above that close that stay, at the end of the block: none
    when one of them is about closing (it goes with the close), else all, from the first."""
    call = closing_call(plan.target)
    footer: List[cst.EmptyLine] = []
    if call is not None and body and is_close_of(body[-1], plan.name, call) and not may_rebind(body[:-1], plan.name):
        lines = list(body[-1].leading_lines)
        comments = [line.comment.value for line in lines if line.comment is not None]
        if comments and not any(_ABOUT_CLOSE.search(text) for text in comments):
            first = next(i for i, line in enumerate(lines) if line.comment is not None)
            footer = lines[first:]
        body = body[:-1]
    return body or [cst.SimpleStatementLine([cst.Pass()])], footer


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


def _is_pass(body: List[cst.BaseStatement]) -> bool:
    return (
        len(body) == 1
        and isinstance(body[0], cst.SimpleStatementLine)
        and len(body[0].body) == 1
        and isinstance(body[0].body[0], cst.Pass)
    )


class WithBuilder:
    """``hoisted_updated``: each hoisted target's (already transformed) expression;
    ``contextlib``: the name ``contextlib.closing`` is reached under (``contextlib_name.py``)."""

    def __init__(
        self,
        hoisted_updated: Dict[cst.CSTNode, cst.BaseExpression],
        contextlib: Optional[str],
        callbacks: Optional[Dict[int, Tuple[str, str, str]]] = None,
        default_indent: str = "    ",
        hoisted_columns: Optional[Dict[cst.CSTNode, int]] = None,
    ) -> None:
        self.hoisted_updated = hoisted_updated
        self.contextlib = contextlib
        #: (stack, bound name, method) of ``stack.callback(bound.method)``, written after the
        #: statement at each index of the block (``closing/stack.py``).
        self.callbacks = callbacks or {}
        #: The module's indentation unit (what a block with ``indent=None`` adds).
        self.default_indent = default_indent
        #: Each hoisted target's column in its statement's first line, counted from the
        #: statement's indentation (absent: it does not start on that line).
        self.hoisted_columns = hoisted_columns or {}

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
            pad = indent if indent is not None else self.default_indent
            body = [_unindent_blank_lines(deeper(stmt, pad)) for stmt in body]
            stack = cst.Call(cst.Attribute(cst.Name(self.contextlib or "contextlib"), cst.Name("ExitStack")))
            return [
                cst.With(
                    items=[cst.WithItem(item=stack, asname=asname)],
                    body=cst.IndentedBlock(body=body, indent=indent),
                    leading_lines=first.leading_lines,
                )
            ]
        old_col = -1  # where the item's expression started (-1: unknown, leave its lines)
        if plan.named:
            assert isinstance(first, cst.SimpleStatementLine)
            value = first.body[0].value  # type: ignore[attr-defined]
            header = first.trailing_whitespace
            leading = first.leading_lines
            old_text = code(first.with_changes(leading_lines=()))
            item_text = code(value.expression if target.unwrap_await and isinstance(value, cst.Await) else value)
            found = old_text.find(item_text)
            if found >= 0 and "\n" not in old_text[:found]:
                old_col = found
        else:
            value = cst.Name(plan.name) if plan.bound else self.hoisted_updated[target.node]
            if not plan.bound:
                old_col = self.hoisted_columns.get(target.node, -1)
            header = cst.TrailingWhitespace()
            leading = first.leading_lines
            body = [body[0].with_changes(leading_lines=())] + body[1:]
            if plan.bound:
                asname = None
            elif _is_bare_name(body[0], plan.name):
                # A call made only for its effect (``urlopen(u, timeout=1)``): ``with <call>:``.
                body, asname = body[1:], None
        closed_only = bool(body) and len(body) == 1 and closing_call(target) is not None
        body, footer = _without_final_close(body, plan)
        if closed_only and asname is not None and _is_pass(body) and (plan.unused_name or not plan.named):
            # The block was only the close of an object made for its effect
            # (``urlopen(u).close()``, ``stream = epost(...)`` / ``stream.close()``): ``with <call>:``.
            asname = None
        # Blank lines moved one level in would otherwise gain the new indentation as
        # trailing whitespace (at module level a blank line "matches" the empty indent).
        pad = indent if indent is not None else self.default_indent
        body = [_unindent_blank_lines(deeper(stmt, pad)) for stmt in body]
        block = cst.IndentedBlock(body=body, header=header, indent=indent, footer=footer)
        if target.mode == Mode.ACLOSE:
            close = cst.SimpleStatementLine(
                [cst.Expr(cst.Await(cst.Call(cst.Attribute(cst.Name(plan.name), cst.Name("aclose")))))]
            )
            return [
                *([] if plan.bound else [first]),
                cst.Try(
                    body=cst.IndentedBlock(body=body, indent=indent, footer=footer),
                    finalbody=cst.Finally(body=cst.IndentedBlock(body=[close], indent=indent)),
                ),
            ]
        expr = value
        if target.unwrap_await and isinstance(expr, cst.Await):
            expr = expr.expression
        with_ = self._with(plan, expr, asname, block, leading)
        if old_col >= 0 and "\n" in code(expr):
            # The item moved along its line: what is aligned with its brackets moves too.
            header_text = code(with_.with_changes(body=cst.IndentedBlock(body=[]), leading_lines=()))
            new_col = header_text.find(code(expr))
            moved = realigned(expr, old_col, new_col) if new_col >= 0 else expr
            if moved is not expr:
                with_ = self._with(plan, moved, asname, block, leading)
        return [with_]

    def _with(
        self,
        plan: Plan,
        expr: cst.BaseExpression,
        asname: Optional[cst.AsName],
        block: cst.IndentedBlock,
        leading: Sequence[cst.EmptyLine],
    ) -> cst.With:
        if plan.target.mode == Mode.CLOSING:
            expr = cst.Call(
                cst.Attribute(cst.Name(self.contextlib or "contextlib"), cst.Name("closing")),
                [cst.Arg(expr)],
            )
        return cst.With(
            items=[cst.WithItem(item=expr, asname=asname)],
            body=block,
            asynchronous=cst.Asynchronous() if plan.target.mode == Mode.ASYNC_WITH else None,
            leading_lines=leading,
        )
