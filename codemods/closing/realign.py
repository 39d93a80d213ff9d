"""Continuation lines of statements that the ``with`` moves: what a careful hand re-indents.

A statement moved one block deeper moves every one of its lines: libcst indents the lines
that continue inside brackets with the block, but a backslash continuation keeps its raw
columns (``deeper``). The expression that becomes a ``with`` item moves along its line
(``response = requests.get(url,`` -> ``with requests.get(url,``): a continuation line aligned
with one of its opening brackets moves with that bracket; a hanging indent stays where the
statement's indentation puts it (``realigned``). Lines inside a multi-line string never change.
"""

from __future__ import annotations

import io
import re
import tokenize
from typing import List, Optional

import libcst as cst

_MODULE = cst.Module(body=[])
_BACKSLASH = re.compile(r"\\(\r\n?|\n)")
_OPEN, _CLOSE = "([{", ")]}"


def code(node: cst.CSTNode) -> str:
    """``node``'s text at indentation level zero."""
    return _MODULE.code_for_node(node)


class _Deeper(cst.CSTTransformer):
    def __init__(self, pad: str) -> None:
        self.pad = pad

    def leave_SimpleWhitespace(
        self, original_node: cst.SimpleWhitespace, updated_node: cst.SimpleWhitespace
    ) -> cst.SimpleWhitespace:
        if "\\" not in updated_node.value:
            return updated_node
        return updated_node.with_changes(value=_BACKSLASH.sub(lambda m: m.group(0) + self.pad, updated_node.value))

    def leave_ParenthesizedWhitespace(
        self, original_node: cst.ParenthesizedWhitespace, updated_node: cst.ParenthesizedWhitespace
    ) -> cst.ParenthesizedWhitespace:
        if updated_node.indent:  # libcst adds the block's indentation itself
            return updated_node
        last = updated_node.last_line
        return updated_node.with_changes(last_line=last.with_changes(value=self.pad + last.value))


def _needs_deeper(text: str) -> bool:
    return "\\" in text


def deeper(stmt: cst.BaseStatement, pad: str) -> cst.BaseStatement:
    """``stmt`` (moved ``pad`` deeper) with the continuation lines libcst does not indent
    with the block moved by ``pad`` too: after a backslash, and inside brackets on a line
    that started left of the block's indentation."""
    if not _needs_deeper(code(stmt)) and not _has_unindented(stmt):
        return stmt
    return stmt.visit(_Deeper(pad))  # type: ignore[return-value]


class _Unindented(cst.CSTVisitor):
    found = False

    def visit_ParenthesizedWhitespace(self, node: cst.ParenthesizedWhitespace) -> Optional[bool]:
        if not node.indent:
            self.found = True
        return False


def _has_unindented(node: cst.CSTNode) -> bool:
    visitor = _Unindented()
    node.visit(visitor)
    return visitor.found


def _shifts(text: str, old_col: int, delta: int) -> Optional[List[int]]:
    """For each line of ``text`` (an expression whose first line starts at ``old_col``), how
    far it moves when that first line moves by ``delta``; None: not sure (then nothing does)."""
    rows = text.count("\n") + 1
    shift = [0] * (rows + 2)
    shift[1] = delta
    decided = {1}
    stack: List[tuple] = []
    lines = text.split("\n")
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(" " * old_col + text).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    skip = (tokenize.INDENT, tokenize.DEDENT, tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER)
    for tok in tokens:
        if tok.type in skip:
            continue
        row, col = tok.start
        if row not in decided:
            decided.add(row)
            if lines[row - 2].rstrip("\r").endswith("\\"):
                return None  # a backslash continuation: raw columns, not the block's
            if stack and (
                col == stack[-1][1] + 1 or (tok.type == tokenize.OP and tok.string in _CLOSE and col == stack[-1][1])
            ):
                shift[row] = shift[stack[-1][0]]  # aligned with its bracket: moves with it
        for inside in range(row + 1, tok.end[0] + 1):
            decided.add(inside)  # inside a multi-line string: never changed
        if tok.type == tokenize.OP:
            if tok.string in _OPEN:
                stack.append((row, col))
            elif tok.string in _CLOSE and stack:
                stack.pop()
    return shift[1 : rows + 1]


def realigned(expr: cst.BaseExpression, old_col: int, new_col: int) -> cst.BaseExpression:
    """``expr``, whose first line moved from ``old_col`` to ``new_col`` (columns counted from
    the statement's indentation), with the continuation lines aligned to its brackets moved
    as far as those brackets moved."""
    delta = new_col - old_col
    text = code(expr)
    if delta == 0 or "\n" not in text or old_col < 0 or _has_unindented(expr):
        return expr
    shifts = _shifts(text, old_col, delta)
    if shifts is None or not any(shifts[1:]):
        return expr
    lines = text.split("\n")
    for i in range(1, len(lines)):
        move, line = shifts[i], lines[i]
        if move == 0 or not line.strip():
            continue
        lead = len(line) - len(line.lstrip(" \t"))
        if "\t" in line[:lead] or lead + move < 0:
            return expr
        lines[i] = " " * (lead + move) + line[lead:]
    try:
        return cst.parse_expression("\n".join(lines))
    except cst.ParserSyntaxError:
        return expr
