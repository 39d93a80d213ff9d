"""Placement: where a target's ``with`` goes, or why it cannot go anywhere safely.

A *target* is bound to a name (``r = <target>``: the binding statement becomes
``with <target> as r:``) or used directly inside one statement (it is *hoisted*:
``with <target> as response:`` and the statement uses ``response``). The statement must be one
a ``with`` can wrap, evaluated exactly once; hoisting must not reorder anything with a side
effect; the block then reaches as far as ``escape.py`` says.
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst
from libcst.metadata import ExpressionContext, ExpressionContextProvider, ScopeProvider

from ..calls import REQUESTS_VERBS
from ..imports import fresh_name, scope_names
from ..tree import children, walk
from .eager import CLOSING_METHODS
from .escape import EscapeAnalysis, ends_by_leaving
from .summaries import HelperSummaries
from .model import MetadataView, NameScope, Plan, Skip, Target, Unsafe

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


class Placement(MetadataView):
    """Plans the ``with`` of each target of one module, for one ``WrappingCodemod`` (its
    ``MODULE_LEVEL`` and ``FRESH_NAME`` say whether module-level targets count and how hoisted
    ones are named)."""

    def __init__(self, codemod: Any) -> None:
        super().__init__(codemod)
        self._scopes: Dict[cst.CSTNode, NameScope] = {}
        #: Summaries of the module's own functions, shared by every target's analysis.
        self.helpers = HelperSummaries(codemod, self)
        self._taken: Dict[cst.CSTNode, Set[str]] = {}

    def _fresh_name(self, scope: NameScope) -> str:
        """A name new to the scope the ``with`` binds it in (``imports.scope_names``): in a
        function, names used only in other functions are free."""
        taken = self._taken.get(scope.root)
        if taken is None:
            taken = self._taken[scope.root] = scope_names(self.codemod, scope.root)
        name = fresh_name(self.codemod.FRESH_NAME, taken, scope.fresh)
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
                    "enter_context",
                    "enter_async_context",
                    "push",
                    "callback",
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
                raise Unsafe(
                    f"the {noun} is opened inside an assert (skipped under python -O); "
                    f"moving it out would open it there too"
                )
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
                raise Unsafe(
                    f"the {noun} is opened in a one-line compound statement",
                    "move the body after the colon onto its own indented line, then run again",
                )
            parent = self._parent(node)
            if isinstance(node, cst.BaseStatement) and isinstance(parent, (cst.IndentedBlock, cst.Module)):
                if isinstance(node, cst.SimpleStatementLine) and len(node.body) != 1:
                    raise Unsafe(
                        f"the {noun} is opened on a line with several statements",
                        "split the line at its semicolons (one statement per line), then run again",
                    )
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
                raise Unsafe(f"the {noun} is not bound to a name; close it with `await .aclose()` in a finally")
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
        escapes = EscapeAnalysis(self.codemod, target, scope, stmt_tainted_node, helpers=self.helpers)
        try:
            end = escapes.extent(stmts, index, first, tainted, block)
        except Unsafe as exc:
            if binding is None or target.used_as_response:
                raise
            later = self._plan_after_binding(target, stmt, block, stmts, index, scope, name, exc)
            if isinstance(later, Unsafe):
                raise later from None
            if later is None:
                raise
            return later
        if target.mode == "aclose":
            self._check_not_rebound(name, stmts[index + 1 : end + 1], noun)
        return Plan(
            target,
            block,
            index,
            end,
            name,
            named=binding is not None,
            hazard=escapes.hazard,
            hazard_reason=escapes.hazard_reason,
        )

    # -- a with that opens after the binding -------------------------------------------------

    def _plan_after_binding(
        self,
        target: Target,
        stmt: cst.BaseStatement,
        block: cst.CSTNode,
        stmts: List[cst.BaseStatement],
        index: int,
        scope: NameScope,
        name: str,
        exc: Unsafe,
    ) -> Union[Plan, Unsafe, None]:
        """When ``name = <target>`` cannot become the ``with`` header, ``with name:`` placed
        later around the remaining uses, with everything before it left as it was:

        * in the same block, after the statements whose only escapes leave the function with
          the object (``r.raise_for_status()``, ``return r``, ``raise E(r)``): on those paths
          the object is left exactly as before, on every other path it is closed;
        * after the ``try`` whose body binds it, when every handler of that ``try`` returns
          or raises: whoever reaches the statement after it has ``name`` bound to the object.

        Returns the plan, or the escape that blocks it after the binding's own exits (a better
        reason than the first one), or None.
        """
        assert isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign)
        bound = stmt.body[0].targets[0].target
        blocked: Optional[Unsafe] = None
        if exc.exiting and exc.index is not None:
            found = self._open_later(
                target, block, stmts, index, index + 1, exc.index + 1, scope, name, frozenset({bound})
            )
            if isinstance(found, Plan):
                return found
            blocked = found
        outer = self._try_around(target, block, name) or self._if_around(target, block, name)
        if outer is None:
            return blocked
        compound, outer_block, bindings = outer
        outer_stmts = list(outer_block.body)
        t = next(i for i, s in enumerate(outer_stmts) if s is compound)
        found = self._open_later(
            target, outer_block, outer_stmts, t, t, t + 1, scope, name, frozenset({bound, *bindings})
        )
        return found if isinstance(found, Plan) else (blocked or found)

    def _open_later(
        self,
        target: Target,
        block: cst.CSTNode,
        stmts: List[cst.BaseStatement],
        index: int,
        first: int,
        open_at: int,
        scope: NameScope,
        name: str,
        bound: FrozenSet[cst.CSTNode],
    ) -> Union[Plan, Unsafe, None]:
        """``with name:`` from ``stmts[open_at]`` (moved past each statement whose escapes
        leave the function), or the escape that blocks it, or None."""
        prefix_start = first if first > index else index
        while open_at < len(stmts):
            escapes = EscapeAnalysis(self.codemod, target, scope, None, helpers=self.helpers)
            try:
                end = escapes.extent(stmts, index, first, {name}, block, open_at=open_at)
            except Unsafe as exc:
                if exc.exiting and exc.index is not None and exc.index >= open_at:
                    open_at = exc.index + 1
                    continue
                return exc if not exc.exiting and exc.index is not None else None
            # ``with name:`` must close the object the binding made: nothing before it may
            # rebind the name (the binding itself aside).
            if self._rebinds(name, stmts[prefix_start:open_at], skip=bound):
                return None
            if target.mode == "aclose":
                try:
                    self._check_not_rebound(name, stmts[open_at : end + 1], target.noun)
                except Unsafe:
                    return None
            return Plan(
                target,
                block,
                open_at,
                end,
                name,
                named=False,
                bound=True,
                hazard=escapes.hazard,
                hazard_reason=escapes.hazard_reason,
            )
        return None

    def _try_around(
        self, target: Target, block: cst.CSTNode, name: str
    ) -> Optional[Tuple[cst.CSTNode, cst.CSTNode, List[cst.CSTNode]]]:
        """(the ``try`` whose body ``block`` is, the block holding it, the other bindings of
        ``name`` it makes) when every handler ends with ``return``/``raise`` or by binding
        ``name`` to an object like the target (``except TypeError: r = requests.get(u)``)."""
        owner = self._parent(block)
        if not isinstance(owner, cst.Try) or owner.body is not block or not owner.handlers:
            return None
        bindings: List[cst.CSTNode] = []
        for handler in owner.handlers:
            if ends_by_leaving(handler.body):
                continue
            last = handler.body.body[-1] if isinstance(handler.body, cst.IndentedBlock) and handler.body.body else None
            found = self._alike_binding(target, last, name) if last is not None else None
            if found is None:
                return None
            bindings.append(found)
        outer = self._parent(owner)
        if not isinstance(outer, (cst.IndentedBlock, cst.Module)):
            return None
        return owner, outer, bindings

    def _if_around(
        self, target: Target, block: cst.CSTNode, name: str
    ) -> Optional[Tuple[cst.CSTNode, cst.CSTNode, List[cst.CSTNode]]]:
        """(the ``if`` one of whose branches ``block`` is, the block holding it, the bindings
        of ``name`` in its branches) when every branch, ``else`` included, binds ``name`` at
        its top level to an object like the target (``if opener: r = opener.open(q)`` /
        ``else: r = urlopen(q)``): after the ``if``, ``name`` is one of them."""
        node: Optional[cst.CSTNode] = self._parent(block)
        if isinstance(node, cst.Else):
            node = self._parent(node)
        # Climb to the first ``if`` of an ``elif`` chain.
        while isinstance(node, cst.If) and isinstance(self._parent(node), cst.If) and self._parent(node).orelse is node:
            node = self._parent(node)
        if not isinstance(node, cst.If):
            return None
        top = node
        bindings: List[cst.CSTNode] = []
        branch: Optional[cst.CSTNode] = top
        while branch is not None:
            body = branch.body
            if not isinstance(body, cst.IndentedBlock):
                return None
            found = [b for b in (self._alike_binding(target, st, name) for st in body.body) if b is not None]
            if len(found) != 1:
                return None  # none, or a second one the with after the if would not close
            bindings.extend(found)
            orelse = branch.orelse if isinstance(branch, cst.If) else None
            if orelse is None and isinstance(branch, cst.If):
                return None  # no else: the name may be unbound or something else after it
            branch = orelse
        outer = self._parent(top)
        if not isinstance(outer, (cst.IndentedBlock, cst.Module)):
            return None
        return top, outer, bindings

    def _alike_binding(self, target: Target, stmt: cst.CSTNode, name: str) -> Optional[cst.CSTNode]:
        """The ``Name`` of ``stmt`` when it is ``name = <an object like the target>``: a
        target of this codemod of the same library, kind and class, or (requests) any
        response of requests, which ``with`` closes harmlessly when its body was read."""
        if not (
            isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Assign)
        ):
            return None
        assign = stmt.body[0]
        if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
            return None
        if assign.targets[0].target.value != name:
            return None
        value = assign.value
        found = self.codemod.target_of(value)
        if found is not None and (found.library, found.mode, found.noun, found.client_class) == (
            target.library,
            target.mode,
            target.noun,
            target.client_class,
        ):
            return assign.targets[0].target
        if target.noun == "response" and target.library == "requests" and isinstance(value, cst.Call):
            call = self.resolver.classify(value)
            if (
                call is not None
                and call.library == "requests"
                and call.name in REQUESTS_VERBS
                and (call.kind == "function" or call.client_class == "requests.Session")
            ):
                return assign.targets[0].target
        return None

    def _rebinds(self, name: str, stmts: Sequence[cst.CSTNode], skip: FrozenSet[cst.CSTNode]) -> bool:
        return self.binds(stmts, name, skip)

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
                        raise Unsafe(f"`{name}` is rebound before the {noun} could be closed in a finally")

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
