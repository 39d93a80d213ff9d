"""Occurrences: where else a tainted name is mentioned in its scope (after the block, in
another branch, captured by a nested scope, declared ``global``/``nonlocal``), and whether that
can still be the object the ``with`` closes."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set, Tuple

import libcst as cst
from libcst.metadata import ExpressionContext, ExpressionContextProvider, ScopeProvider
from libcst.metadata.scope_provider import ClassScope

from ..tree import walk
from .model import NESTED_SCOPE_KIND, NESTED_SCOPES, MetadataView, NameScope, Unsafe

_LOOPS = (cst.For, cst.While)


class Occurrences(MetadataView):
    """Occurrence checks for one target, over its ``taint`` (``taint.Taint``: shadowing)."""

    def __init__(self, codemod: Any, taint: Any) -> None:
        super().__init__(codemod)
        self.taint = taint

    def check_declarations(self, scope: NameScope, names: Set[str], noun: str) -> None:
        root = scope.root.body if isinstance(scope.root, cst.FunctionDef) else scope.root
        for sub in walk(root):
            if isinstance(sub, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                continue
            if isinstance(sub, (cst.Global, cst.Nonlocal)):
                for item in sub.names:
                    if item.name.value in names:
                        kind = "global" if isinstance(sub, cst.Global) else "nonlocal"
                        raise Unsafe(f"`{item.name.value}` is declared {kind}; the {noun} may be used elsewhere")

    def check_occurrences(
        self,
        scope: NameScope,
        stmts: List[cst.BaseStatement],
        index: int,
        last: int,
        names: Set[str],
        kills: Dict[str, int],
        block: cst.CSTNode,
        noun: str,
    ) -> None:
        inside = stmts[index : last + 1]
        stmt = stmts[index]
        in_loop = self._in_loop(stmt, scope)
        loop_start = self._outermost_loop_start(stmt, scope)
        for name in sorted(names):  # the same reason on every run
            kill = kills.get(name)
            after_kill = set(stmts[kill:]) if kill is not None else set()
            for occurrence in scope.names.get(name, ()):
                owner, nested = self._owner(occurrence, scope, block)
                if nested is not None:
                    if self.local_to_nested(occurrence, scope):
                        continue
                    kind = NESTED_SCOPE_KIND[type(nested)]
                    raise Unsafe(
                        f"the {noun} is captured by {kind} at {self.codemod.line_ref(nested)}; "
                        f"it may be used after the with block"
                    )
                if owner is not None and any(owner is s for s in inside):
                    continue
                ctx = self.get_metadata(ExpressionContextProvider, occurrence, None)
                if ctx is ExpressionContext.STORE and not isinstance(self._parent(occurrence), cst.AugAssign):
                    continue
                if ctx is ExpressionContext.DEL:
                    continue
                if owner is not None and owner in after_kill:
                    continue
                if isinstance(occurrence, cst.Name) and self.taint.shadowed(occurrence, names):
                    continue
                if self.position(occurrence) < loop_start:
                    continue  # before the binding, and outside every loop that repeats it
                if not in_loop and self._other_branch(occurrence, stmt, scope):
                    continue
                raise Unsafe(
                    f"`{name}` is used after the end of its block (at "
                    f"{self.codemod.line_ref(occurrence)}); the {noun} cannot be closed there"
                )

    def _other_branch(self, occurrence: cst.CSTNode, stmt: cst.CSTNode, scope: NameScope) -> bool:
        """``occurrence`` is in the ``else``/``elif`` of an ``if`` whose body holds ``stmt``:
        outside a loop, the run that binds the name never reaches it."""
        child, node = stmt, self._parent(stmt)
        while node is not None and node is not scope.root:
            if isinstance(node, cst.If) and child is node.body and node.orelse is not None:
                current: Optional[cst.CSTNode] = occurrence
                while current is not None and current is not node:
                    if current is node.orelse:
                        return True
                    current = self._parent(current)
            child, node = node, self._parent(node)
        return False

    def _owner(
        self, occurrence: cst.CSTNode, scope: NameScope, block: cst.CSTNode
    ) -> Tuple[Optional[cst.CSTNode], Optional[cst.CSTNode]]:
        """(the statement of ``block`` holding ``occurrence`` or None, the innermost nested
        scope node between them or None)."""
        nested = None
        child, node = occurrence, self._parent(occurrence)
        while node is not None:
            if isinstance(node, NESTED_SCOPES) and node is not scope.root and nested is None:
                nested = node
            if node is block:
                return child, nested
            if node is scope.root:
                return None, nested
            child, node = node, self._parent(node)
        return None, nested

    def local_to_nested(self, occurrence: cst.Name, scope: NameScope) -> bool:
        """The name at ``occurrence`` is bound in a nested scope, not the one we analyse."""
        inner = self.get_metadata(ScopeProvider, occurrence, None)
        first = True
        while inner is not None and inner is not scope.scope:
            if occurrence.value in inner.assignments and (first or not isinstance(inner, ClassScope)):
                return True
            parent = getattr(inner, "parent", None)
            if parent is inner:
                break
            inner, first = parent, False
        return False

    def _outermost_loop_start(self, stmt: cst.CSTNode, scope: NameScope) -> Tuple[int, int]:
        """Where the outermost loop around ``stmt`` (in its function) starts, or ``stmt``."""
        start = self.position(stmt)
        node = self._parent(stmt)
        while node is not None and node is not scope.root:
            if isinstance(node, _LOOPS):
                start = self.position(node)
            node = self._parent(node)
        return start

    def _in_loop(self, stmt: cst.CSTNode, scope: NameScope) -> bool:
        node = self._parent(stmt)
        while node is not None and node is not scope.root:
            if isinstance(node, _LOOPS):
                return True
            node = self._parent(node)
        return False
