"""Placement: where a target's ``with`` goes, or why it cannot go anywhere safely.

A *target* is bound to a name (``r = <target>``: the binding statement becomes
``with <target> as r:``) or used directly inside one statement (it is *hoisted*:
``with <target> as response:`` and the statement uses ``response``). The statement must be one
a ``with`` can wrap, evaluated exactly once; hoisting must not reorder anything with a side
effect; the block then reaches as far as ``escape.py`` says.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst
from libcst.metadata import ExpressionContext, ExpressionContextProvider, ScopeProvider

from ..imports import fresh_name, module_names
from ..tree import children, walk
from .eager import CLOSING_METHODS
from .escape import EscapeAnalysis
from .model import MetadataView, NameScope, Plan, Skip, Target, Unsafe

#: Node types whose evaluation has no side effect worth keeping in order (hoisting check).
_SAFE_TYPES = (
    cst.Name, cst.Attribute, cst.Dot, cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary,
    cst.ConcatenatedString, cst.Ellipsis, cst.LeftParen, cst.RightParen, cst.Comma, cst.Arg,
    cst.AssignEqual, cst.SimpleWhitespace, cst.ParenthesizedWhitespace, cst.TrailingWhitespace,
    cst.EmptyLine, cst.Comment, cst.Newline, cst.Element, cst.List, cst.Tuple,
    cst.LeftSquareBracket, cst.RightSquareBracket, cst.AssignTarget,
)


def _is_safe(node: cst.CSTNode) -> bool:
    for sub in walk(node):
        if not isinstance(sub, _SAFE_TYPES):
            return False
        if isinstance(sub, cst.Arg) and sub.star:
            return False
    return True


class Placement(MetadataView):
    """Plans the ``with`` of each target of one module, for one ``WrappingCodemod`` (its
    ``MODULE_LEVEL`` and ``FRESH_NAME`` say whether module-level targets count and how hoisted
    ones are named)."""

    def __init__(self, codemod: Any) -> None:
        super().__init__(codemod)
        self._scopes: Dict[cst.CSTNode, NameScope] = {}
        self._all_names: Optional[Set[str]] = None

    def _fresh_name(self, scope: NameScope) -> str:
        if self._all_names is None:
            self._all_names = module_names(self.codemod, self.codemod.module)
        name = fresh_name(self.codemod.FRESH_NAME, self._all_names, scope.fresh)
        scope.fresh.add(name)
        return name

    def already_closed_item(self, node: cst.CSTNode) -> bool:
        """``with <target>``, ``with closing(<target>)``, ``stack.enter_context(<target>)``."""
        parent = self._parent(node)
        if isinstance(parent, cst.WithItem) and parent.item is node:
            return True
        if isinstance(parent, cst.Arg):
            call = self._parent(parent)
            if isinstance(call, cst.Call):
                if isinstance(call.func, cst.Attribute) and call.func.attr.value in (
                    "enter_context", "enter_async_context", "push", "callback",
                ):
                    return True
                if self.resolver.resolves_to(call.func, ["contextlib.closing", "contextlib.aclosing"]):
                    return True
        return False

    def statement_of(self, target: Target) -> Tuple[cst.BaseStatement, cst.CSTNode]:
        """The statement of a block holding the target; raises Unsafe for places that are
        evaluated conditionally, lazily or more than once."""
        child: cst.CSTNode = target.node
        node = self._parent(child)
        noun = target.noun
        while node is not None:
            if isinstance(node, cst.Lambda):
                raise Unsafe(f"the {noun} is opened inside a lambda")
            if isinstance(node, cst.Assert):
                raise Unsafe(f"the {noun} is opened inside an assert (skipped under python -O); "
                             f"moving it out would open it there too")
            if isinstance(node, (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp, cst.CompFor)):
                raise Unsafe(f"the {noun} is opened inside a comprehension")
            if isinstance(node, cst.Param):
                raise Unsafe(f"the {noun} is opened in a default argument")
            if isinstance(node, cst.Decorator):
                raise Unsafe(f"the {noun} is opened in a decorator")
            if isinstance(node, cst.IfExp):
                raise Unsafe(f"the {noun} is opened in a conditional expression")
            if isinstance(node, cst.BooleanOperation) and child is node.right:
                raise Unsafe(f"the {noun} is opened on the right side of and/or")
            if isinstance(node, cst.While):
                raise Unsafe(f"the {noun} is opened in a while condition")
            if isinstance(node, cst.If) and child is node.orelse:
                raise Unsafe(f"the {noun} is opened in an elif condition")
            if isinstance(node, (cst.MatchCase, cst.Annotation, cst.FunctionDef, cst.ClassDef)):
                raise Unsafe(f"the {noun} is opened in a place a with statement cannot wrap")
            if isinstance(node, cst.SimpleStatementSuite):
                raise Unsafe(f"the {noun} is opened in a one-line compound statement",
                             "move the body after the colon onto its own indented line, then run again")
            parent = self._parent(node)
            if isinstance(node, cst.BaseStatement) and isinstance(parent, (cst.IndentedBlock, cst.Module)):
                if isinstance(node, cst.SimpleStatementLine) and len(node.body) != 1:
                    raise Unsafe(f"the {noun} is opened on a line with several statements",
                                 "split the line at its semicolons (one statement per line), then run again")
                owner = self._parent(parent) if isinstance(parent, cst.IndentedBlock) else None
                if isinstance(owner, cst.ClassDef):
                    if not self.codemod.MODULE_LEVEL:
                        raise Skip()  # a class attribute: long-lived, like a module-level one
                    raise Unsafe(f"the {noun} is opened in a class body")
                if isinstance(node, cst.BaseCompoundStatement):
                    allowed = (
                        (isinstance(node, cst.For) and child is node.iter)
                        or (isinstance(node, cst.If) and child is node.test)
                        or (isinstance(node, cst.With) and child in node.items)
                        or (isinstance(node, cst.Match) and child is node.subject)
                    )
                    if not allowed:
                        raise Unsafe(f"the {noun} is opened in a place a with statement cannot wrap")
                return node, parent
            child, node = node, parent
        raise Unsafe(f"the {noun} is opened in a place a with statement cannot wrap")

    def _scope_of(self, stmt: cst.CSTNode) -> NameScope:
        node = self._parent(stmt)
        while node is not None and not isinstance(node, (cst.FunctionDef, cst.Module)):
            node = self._parent(node)
        assert node is not None
        found = self._scopes.get(node)
        if found is None:
            body = node.body if isinstance(node, cst.FunctionDef) else node
            first = None
            for sub in walk(body):
                if isinstance(sub, cst.BaseStatement):
                    first = sub
                    break
            scope = self.get_metadata(ScopeProvider, first, None) if first is not None else None
            found = NameScope(node, scope)
            self._collect_names(found)
            self._scopes[node] = found
        return found

    def _collect_names(self, scope: NameScope) -> None:
        root = scope.root.body if isinstance(scope.root, cst.FunctionDef) else scope.root
        stack: List[cst.CSTNode] = [root]
        while stack:
            current = stack.pop()
            if isinstance(current, cst.Name):
                scope.names.setdefault(current.value, []).append(current)
                continue
            if isinstance(current, cst.Attribute):
                stack.append(current.value)
                continue
            if isinstance(current, cst.Arg):
                stack.append(current.value)
                continue
            if isinstance(current, (cst.Import, cst.ImportFrom)):
                for alias in current.names if not isinstance(current.names, cst.ImportStar) else ():
                    bound = alias.asname.name if alias.asname else alias.name
                    if isinstance(bound, cst.Name):
                        scope.names.setdefault(bound.value, []).append(bound)
                continue
            stack.extend(children(current))

    def plan(self, target: Target, stmt: cst.BaseStatement, block: cst.CSTNode) -> Optional[Plan]:
        scope = self._scope_of(stmt)
        noun = target.noun
        if isinstance(scope.root, cst.Module) and not self.codemod.MODULE_LEVEL:
            return None
        if target.needs_async_def and not (
            isinstance(scope.root, cst.FunctionDef) and scope.root.asynchronous is not None
        ):
            raise Unsafe(f"the {noun} needs `async with`, but this is not inside an async def")
        stmts = list(block.body)
        index = next(i for i, s in enumerate(stmts) if s is stmt)
        binding = self._binding_name(target, stmt)
        if binding is None:
            if target.named_only:
                return None
            if target.mode == "aclose":
                raise Unsafe(f"the {noun} is not bound to a name; close it with `await .aclose()` "
                             f"in a finally")
            self._check_evaluation_order(target, stmt)
            name = None
        else:
            name = binding
            if self._closed_elsewhere(name, scope):
                return None
            if target.used_as_response and not self._used_as_response(name, scope):
                return None
        if name is None:
            name = self._fresh_name(scope)
            tainted = {name}
            first = index
            # The statement itself, with the target replaced by the fresh name.
            stmt_tainted_node = target.node
        else:
            tainted = {name}
            first = index + 1
            stmt_tainted_node = None
        escapes = EscapeAnalysis(self.codemod, target, scope, stmt_tainted_node)
        end = escapes.extent(stmts, index, first, tainted, block)
        if target.mode == "aclose":
            self._check_not_rebound(name, stmts[index + 1 : end + 1], noun)
        return Plan(target, block, index, end, name, named=binding is not None,
                    hazard=escapes.hazard, hazard_reason=escapes.hazard_reason)

    def _binding_name(self, target: Target, stmt: cst.BaseStatement) -> Optional[str]:
        if not isinstance(stmt, cst.SimpleStatementLine):
            return None
        small = stmt.body[0]
        if (
            isinstance(small, cst.Assign)
            and len(small.targets) == 1
            and isinstance(small.targets[0].target, cst.Name)
            and small.value is target.node
        ):
            return small.targets[0].target.value
        return None

    def _closed_elsewhere(self, name: str, scope: NameScope) -> bool:
        """The name is closed some other way: a ``finally`` that closes it, a ``with`` item,
        ``closing(name)``, ``enter_context(name)``, or its ``close`` passed along."""
        for occurrence in scope.names.get(name, ()):
            if self.already_closed_item(occurrence):
                return True
            parent = self._parent(occurrence)
            if (
                isinstance(parent, cst.Attribute)
                and parent.value is occurrence
                and parent.attr.value in CLOSING_METHODS
            ):
                grand = self._parent(parent)
                if not (isinstance(grand, cst.Call) and grand.func is parent):
                    return True  # ``stack.callback(r.close)``, ``atexit.register(s.close)``
                if self._in_finally(grand, scope):
                    return True
        return False

    def _in_finally(self, node: cst.CSTNode, scope: NameScope) -> bool:
        current = self._parent(node)
        while current is not None and current is not scope.root:
            if isinstance(current, cst.Finally):
                return True
            current = self._parent(current)
        return False

    def _used_as_response(self, name: str, scope: NameScope) -> bool:
        for occurrence in scope.names.get(name, ()):
            parent = self._parent(occurrence)
            if (
                isinstance(parent, cst.Attribute)
                and parent.value is occurrence
                and not parent.attr.value.startswith("__")
                and parent.attr.value not in ("gen", "args", "kwds", "func")
            ):
                return True
        return False

    def _check_not_rebound(self, name: str, stmts: Sequence[cst.CSTNode], noun: str) -> None:
        for stmt in stmts:
            for sub in walk(stmt):
                if isinstance(sub, cst.Name) and sub.value == name:
                    ctx = self.get_metadata(ExpressionContextProvider, sub, None)
                    if ctx in (ExpressionContext.STORE, ExpressionContext.DEL):
                        raise Unsafe(f"`{name}` is rebound before the {noun} could be closed in a "
                                     f"finally")

    def _check_evaluation_order(self, target: Target, stmt: cst.BaseStatement) -> None:
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
                    raise Unsafe(f"the augmented assignment's target runs before the "
                                 f"{target.noun} is opened; hoisting it would change the order")
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
                    raise Unsafe(f"something in this statement runs before the {target.noun} is "
                                 f"opened; hoisting it would change the order")
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

    @staticmethod
    def nest(plans: List[Plan]) -> None:
        """Make ranges in one block nest: a range that starts inside another and ends after
        it extends the outer one (closing later than needed is always safe)."""
        plans.sort(key=lambda p: p.start)
        changed = True
        while changed:
            changed = False
            for p in plans:
                for q in plans:
                    if p.start < q.start <= p.end < q.end:
                        p.end = q.end
                        changed = True

