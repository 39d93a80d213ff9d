"""Stores: a tainted value kept where it outlives the ``with`` block (an attribute, a
subscript, a for-loop target that is not a plain name, a container)."""

from __future__ import annotations

from typing import Any, Set

import libcst as cst
from libcst.metadata import ExpressionContext, ExpressionContextProvider

from ..tree import walk
from .model import MetadataView, Unsafe


class StoreCheck(MetadataView):
    """Store escapes for one target, over its ``taint`` (``taint.Taint``)."""

    def __init__(self, codemod: Any, taint: Any) -> None:
        super().__init__(codemod)
        self.taint = taint
        #: ``EscapeAnalysis.holds_in_result``: the ``self`` whose attributes may hold the
        #: object, and its class (whose body must not bind the attribute).
        self.holder = ""
        self.klass: Any = None
        self.plain: Any = frozenset()

    def check(self, sub: cst.CSTNode, live: Set[str], noun: str) -> None:
        """A tainted value stored where it outlives the block: an attribute, a subscript, a
        for-loop target that is not a plain name, a container."""
        if isinstance(sub, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            value = sub.value
            if value is None or not self.taint.mentions(value, live) or self.taint.eager(value, live):
                return
            targets = [t.target for t in sub.targets] if isinstance(sub, cst.Assign) else [sub.target]
            for t in targets:
                for part in walk(t):
                    if isinstance(part, cst.Attribute) and self._store_position(part, t):
                        if self._on_holder(part):
                            continue
                        raise Unsafe(f"the {noun} is stored on an attribute at {self.codemod.line_ref(sub)}")
                    if isinstance(part, cst.Subscript) and self._store_position(part, t):
                        raise Unsafe(f"the {noun} is stored in a subscript at {self.codemod.line_ref(sub)}")
        elif isinstance(sub, cst.For):
            if self.taint.mentions(sub.iter, live) and not self.taint.elements_eager(sub.iter, live):
                if not all(
                    isinstance(
                        p,
                        (
                            cst.Name,
                            cst.Tuple,
                            cst.List,
                            cst.Element,
                            cst.StarredElement,
                            cst.Comma,
                            cst.LeftParen,
                            cst.RightParen,
                            cst.SimpleWhitespace,
                            cst.LeftSquareBracket,
                            cst.RightSquareBracket,
                        ),
                    )
                    for p in walk(sub.target)
                ):
                    raise Unsafe(f"the {noun} is stored by a for loop target at {self.codemod.line_ref(sub)}")
        elif isinstance(sub, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
            if self.taint.mentions(sub, live) and not self.taint.eager(sub, live):
                if isinstance(self._parent(sub), (cst.AssignTarget, cst.For)) or self._is_target(sub):
                    return
                raise Unsafe(f"the {noun} is stored in a container at {self.codemod.line_ref(sub)}")

    def _on_holder(self, part: cst.Attribute) -> bool:
        """``self.x = ...`` on the holder instance, ``x`` not bound in its class body."""
        from .summaries import class_binds

        return (
            bool(self.holder)
            and isinstance(part.value, cst.Name)
            and part.value.value == self.holder
            and self.klass is not None
            and part.attr.value not in self.plain
            and not class_binds(self.klass, part.attr.value)
        )

    def _is_target(self, node: cst.CSTNode) -> bool:
        ctx = self.get_metadata(ExpressionContextProvider, node, None)
        return ctx in (ExpressionContext.STORE, ExpressionContext.DEL)

    def _store_position(self, part: cst.CSTNode, target: cst.CSTNode) -> bool:
        """``part`` (inside an assignment target) is itself what is assigned to."""
        node = part
        while node is not target:
            parent = self._parent(node)
            if not isinstance(parent, (cst.Tuple, cst.List, cst.Element, cst.StarredElement)):
                return False
            node = parent
        return True
