"""Hoisting order: a target used inside a statement is moved before it (``with <target> as
response:``), which is only right when nothing the statement evaluates before the target can
have a side effect or raise."""

from __future__ import annotations

from typing import List

import libcst as cst

from ..tree import children, walk
from .model import MetadataView, Target, Unsafe

#: Node types whose evaluation has no side effect worth keeping in order (hoisting check).
_SAFE_TYPES = (
    cst.Name,
    cst.Attribute,
    cst.Dot,
    cst.SimpleString,
    cst.Integer,
    cst.Float,
    cst.Imaginary,
    cst.ConcatenatedString,
    cst.Ellipsis,
    cst.LeftParen,
    cst.RightParen,
    cst.Comma,
    cst.Arg,
    cst.AssignEqual,
    cst.SimpleWhitespace,
    cst.ParenthesizedWhitespace,
    cst.TrailingWhitespace,
    cst.EmptyLine,
    cst.Comment,
    cst.Newline,
    cst.Element,
    cst.List,
    cst.Tuple,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.AssignTarget,
)


def _is_safe(node: cst.CSTNode) -> bool:
    for sub in walk(node):
        if not isinstance(sub, _SAFE_TYPES):
            return False
        if isinstance(sub, cst.Arg) and sub.star:
            return False
    return True


class HoistOrder(MetadataView):
    """The evaluation-order check of hoisting (parents and imports come from the codemod)."""

    def check(self, target: Target, stmt: cst.BaseStatement) -> None:
        """Hoisting moves the target before the rest of its statement: only when nothing the
        statement evaluates before it can have a side effect or raise."""
        child: cst.CSTNode = target.node
        node = self._parent(child)
        while node is not None:
            if isinstance(node, (cst.Assign, cst.AnnAssign)) and child is node.value:
                before: List[cst.CSTNode] = []
            elif isinstance(node, cst.Assign):
                before = [node.value] + [t for t in node.targets[: node.targets.index(child)]]
            elif isinstance(node, cst.AugAssign) and child is node.value:
                if not isinstance(node.target, cst.Name):
                    raise Unsafe(
                        f"the augmented assignment's target runs before the "
                        f"{target.noun} is opened; hoisting it would change the order"
                    )
                before = [node.target]
            elif isinstance(node, (cst.For, cst.If, cst.Match)):
                before = []
            else:
                before = []
                for sub in node.children:
                    if sub is child:
                        break
                    before.append(sub)
            for sub in before:
                if not _is_safe(sub) or not self._attributes_are_imports(sub):
                    raise Unsafe(
                        f"something in this statement runs before the {target.noun} is "
                        f"opened; hoisting it would change the order"
                    )
            if node is stmt:
                return
            child, node = node, self._parent(node)

    def _attributes_are_imports(self, node: cst.CSTNode) -> bool:
        """Every attribute chain in ``node`` resolves to an import (``json.loads``): reading it
        cannot raise or run code; ``self.metrics.record`` can (``metrics`` may be None)."""
        stack = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, cst.Attribute):
                if not self.resolver.imported_names(current):
                    return False
                continue
            stack.extend(children(current))
        return True
