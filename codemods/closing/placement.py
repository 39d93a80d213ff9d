"""Placement: where a target's ``with`` goes, or why it cannot go anywhere safely.

A *target* is bound to a name (``r = <target>``: the binding statement becomes
``with <target> as r:``) or used directly inside one statement (it is *hoisted*:
``with <target> as response:`` and the statement uses ``response``). The statement must be one
a ``with`` can wrap, evaluated exactly once; hoisting must not reorder anything with a side
effect; the block then reaches as far as ``escape.py`` says.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set, Tuple

import libcst as cst
from libcst.metadata import ExpressionContext, ExpressionContextProvider, QualifiedNameProvider, ScopeProvider

from ..imports import fresh_name, scope_names
from ..tree import children, walk
from .builder import closing_call, is_close_of, may_rebind
from .eager import CLOSING_METHODS
from .escape import EscapeAnalysis
from .hoisting import HoistOrder
from .later import LaterWith
from .rebinding import Rebinding
from .stack import StackPlan
from .summaries import HelperSummaries
from .model import MetadataView, NameScope, Plan, Skip, Target, Unsafe


#: Functions of no argument that cannot raise (``_quiet_argument``).
_CLOCKS = ("time.monotonic", "time.time", "time.perf_counter", "time.monotonic_ns", "time.time_ns")


class Placement(MetadataView):
    """Plans the ``with`` of each target of one module, for one ``WrappingCodemod`` (its
    ``MODULE_LEVEL`` and ``FRESH_NAME`` say whether module-level targets count and how hoisted
    ones are named)."""

    def __init__(self, codemod: Any) -> None:
        super().__init__(codemod)
        self._scopes: Dict[cst.CSTNode, NameScope] = {}
        #: Summaries of the module's own functions, shared by every target's analysis.
        self.helpers = HelperSummaries(codemod, self)
        self.later = LaterWith(codemod, self.helpers)
        self.hoisting = HoistOrder(codemod)
        self.stack = StackPlan(codemod, self.helpers, self._fresh_name)
        self.rebinding = Rebinding(codemod)
        self._taken: Dict[cst.CSTNode, Set[str]] = {}

    def _fresh_name(self, scope: NameScope, base: str = "") -> str:
        """A name new to the scope the ``with`` binds it in (``imports.scope_names``): in a
        function, names used only in other functions are free."""
        taken = self._taken.get(scope.root)
        if taken is None:
            taken = self._taken[scope.root] = scope_names(self.codemod, scope.root)
        name = fresh_name(base or self.codemod.FRESH_NAME, taken, scope.fresh)
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
            if self._closed_by_callee(target):
                return None
            self.hoisting.check(target, stmt)
            name = None
        else:
            name = binding
            following = stmts[index + 1] if index + 1 < len(stmts) else None
            raw = target.library == "requests" and target.noun == "response"
            if self._closed_elsewhere(name, scope, following, raw, after=stmt, library=target.library, noun=noun):
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
            later = None
            owned = None
            if binding is not None and not target.used_as_response:
                owned = self._owned_after_if(target, stmt, block, stmts, index, scope, name, exc)
                later = self.later.plan_after_binding(target, stmt, block, stmts, index, scope, name, exc)
                if later is not None and not isinstance(later, Unsafe):
                    later.end = self._explicit_close(target, list(later.block.body), later.start, later.end, name)
                    return self._rebinding_hazard(later, list(later.block.body)[later.start : later.end + 1])
            retried = self._responses_outlive_session(
                target, scope, stmt_tainted_node, stmts, index, first, tainted, block
            ) or self._raised_in_new_exception(target, scope, stmt_tainted_node, stmts, index, first, tainted, block)
            if retried is None:
                if binding is not None and not target.used_as_response:
                    # A later run of the loop uses it before the binding: an ExitStack around the loop.
                    looped = self.stack.plan_loop(target, stmt, scope, name, exc)
                    if looped is not None:
                        return looped
                if isinstance(later, Unsafe):
                    raise later from None
                if binding is not None and not target.used_as_response:
                    if owned is not None:
                        raise owned from None
                    branch = self._made_in_a_branch(target, block, name, exc)
                    if branch is None and self.later.used_after is not None:
                        # kaggle: past ``.raise_for_status()``, a use after the if stops the with.
                        branch = self._made_in_a_branch(target, block, name, self.later.used_after)
                    if branch is not None:
                        # ``with contextlib.ExitStack()`` at the if, its callback in the branch.
                        stacked = self.stack.plan(target, stmt, block, stmts, index, scope, name)
                        if stacked is not None:
                            return stacked
                        raise (self.stack.blocked or branch) from None
                raise
            end, escapes = retried
        if target.mode == "aclose":
            self.later.check_not_rebound(name, stmts[index + 1 : end + 1], noun)
        if binding is not None:
            end = self._explicit_close(target, stmts, first, end, name)
        plan = Plan(
            target,
            block,
            index,
            end,
            name,
            named=binding is not None,
            hazard=escapes.hazard,
            hazard_reason=escapes.hazard_reason,
        )
        if binding is None:
            return plan
        plan.unused_name = self._only_closed(name, scope)
        return self._rebinding_hazard(plan, stmts[first : end + 1])

    def _only_closed(self, name: str, scope: NameScope) -> bool:
        """Every occurrence of ``name`` in the scope (nested ones included) is a plain
        ``name = ...`` or a ``name.close()`` statement: no read would miss the name if a
        ``with`` that only closes the object bound none."""
        for node in walk(scope.root):
            if not (isinstance(node, cst.Name) and node.value == name):
                continue
            parent = self._parent(node)
            if isinstance(parent, cst.AssignTarget) and isinstance(self._parent(parent), cst.Assign):
                continue
            call = self._parent(parent) if isinstance(parent, cst.Attribute) else None
            if (
                isinstance(call, cst.Call)
                and call.func is parent
                and parent.value is node
                and parent.attr.value == "close"
                and not call.args
                and isinstance(self._parent(call), cst.Expr)
            ):
                continue
            return False
        return True

    def _rebinding_hazard(self, plan: Plan, held: List[cst.BaseStatement]) -> Plan:
        """``plan`` made unsafe when its block (``held``) rebinds the name while the first
        object may be unread (``rebinding.py``); reported when it has another hazard too."""
        found = self.rebinding.hazard(plan.target, held, plan.name)
        if found is None:
            return plan
        if plan.hazard:
            raise Unsafe(found[1])
        plan.hazard, plan.hazard_reason = found
        return plan

    def _explicit_close(self, target: Target, stmts: List[cst.BaseStatement], first: int, end: int, name: str) -> int:
        """The block (from ``stmts[first]``) ends at an explicit ``name.close()`` inside it
        (biopython's tests: ``records = list(Medline.parse(handle))`` / ``handle.close()`` /
        asserts on ``records``), which the builder then drops (``builder._without_final_close``):
        the with's exit closes the object where the close did, and what follows ran on a closed
        object before too. Only a plain close statement of the block itself (every path that
        goes on from the binding runs it) of the same object (not rebound before it), whose
        name is not read again before a plain rebinding. Otherwise ``end``."""
        call = closing_call(target)
        if call is None:
            return end
        for j in range(first, end):
            if is_close_of(stmts[j], name, call):
                if not may_rebind(stmts[first:j], name) and not self._read_again(stmts[j + 1 : end + 1], name):
                    return j
                return end
        return end

    def _read_again(self, stmts: List[cst.BaseStatement], name: str) -> bool:
        """``name`` is read (or deleted) in ``stmts`` before a top-level ``name = <value>``
        that does not read it; nested scopes count too (an over-approximation)."""
        for stmt in stmts:
            for node in walk(stmt):
                if isinstance(node, cst.Name) and node.value == name:
                    context = self.get_metadata(ExpressionContextProvider, node, None)
                    if context is not ExpressionContext.STORE:
                        return True
            if self._binding_of(stmt) == name:
                return False
        return False

    @staticmethod
    def _binding_of(stmt: cst.BaseStatement) -> Optional[str]:
        """The name a plain one-target assignment statement binds, or None."""
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
            small = stmt.body[0]
            if (
                isinstance(small, cst.Assign)
                and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name)
            ):
                return small.targets[0].target.value
        return None

    def _responses_outlive_session(
        self,
        target: Target,
        scope: NameScope,
        stmt_tainted_node: Optional[cst.CSTNode],
        stmts: List[cst.BaseStatement],
        index: int,
        first: int,
        tainted: Set[str],
        block: cst.CSTNode,
    ) -> Optional[Tuple[int, EscapeAnalysis]]:
        """A ``requests.Session`` that cannot be closed in a block only because a streamed
        response it made (``s.get(u, stream=True)``) outlives it (returned, stored, read
        after): ``Session.close()`` closes its adapters, whose urllib3 pools close only their
        idle connections, so the response's connection stays open and reads on after it (and
        is closed as before, by whoever closes the response). The block then ends where the
        session's own uses end: an unsafe fix, with that one hazard (a transport adapter
        mounted on the session may close connections in use), when no other escape remains
        and no other hazard is found. The extent, and the analysis that found it; or None."""
        if target.client_class != "requests.Session" or not self._made_by_requests(target):
            return None
        escapes = EscapeAnalysis(self.codemod, target, scope, stmt_tainted_node, helpers=self.helpers)
        escapes.taint.streams_outlive = True
        end = self._extent_or_none(escapes, stmts, index, first, tainted, block)
        if end is None or escapes.hazard or not escapes.taint.streamed:
            return None
        call = escapes.taint.streamed[0]
        escapes.calls.hazard = (
            f"the streamed response of `{self.codemod.module.code_for_node(call.func)}(...)` is read after "
            "the session is closed; safe unless an adapter mounted on the session closes connections in use"
        )
        escapes.calls.hazard_reason = (
            f"the streamed response made at {self.codemod.line_ref(call)} outlives the session; "
            "requests reads it on after `Session.close()`"
        )
        return end, escapes

    @staticmethod
    def _extent_or_none(
        escapes: EscapeAnalysis,
        stmts: List[cst.BaseStatement],
        index: int,
        first: int,
        tainted: Set[str],
        block: cst.CSTNode,
    ) -> Optional[int]:
        """``escapes.extent(...)`` of a retry with a relaxed rule; None where it fails too."""
        try:
            return escapes.extent(stmts, index, first, tainted, block)
        except (Unsafe, Skip):
            return None

    def _made_by_requests(self, target: Target) -> bool:
        """The client is requests' own (``requests.Session()``), not a drop-in's
        (``niquests.Session()``, normalised to the same class), whose ``close()`` may differ."""
        node = target.node
        if not isinstance(node, cst.Call):
            return False
        names = self.get_metadata(QualifiedNameProvider, node.func, set())
        return bool(names) and all(q.name.split(".")[0] == "requests" for q in names)

    def _raised_in_new_exception(
        self,
        target: Target,
        scope: NameScope,
        stmt_tainted_node: Optional[cst.CSTNode],
        stmts: List[cst.BaseStatement],
        index: int,
        first: int,
        tainted: Set[str],
        block: cst.CSTNode,
    ) -> Optional[Tuple[int, EscapeAnalysis]]:
        """The object cannot be closed in a block only because ``raise E(r)`` carries it out
        in an exception made there (``escape._raised_in_new_exception``): an unsafe fix with
        that one hazard. Tried after every safe placement (``later``: a ``with`` opened after
        the raise) failed. The extent, and the analysis that found it; or None."""
        escapes = EscapeAnalysis(self.codemod, target, scope, stmt_tainted_node, helpers=self.helpers)
        escapes.raise_hazards = True
        end = self._extent_or_none(escapes, stmts, index, first, tainted, block)
        if end is None or escapes.hazard or not escapes.raise_hazard:
            return None  # no raise was the obstacle, or an unknown call is a second hazard
        escapes.calls.hazard, escapes.calls.hazard_reason = escapes.raise_hazard
        return end, escapes

    def _owned_after_if(
        self,
        target: Target,
        stmt: cst.BaseStatement,
        block: cst.CSTNode,
        stmts: List[cst.BaseStatement],
        index: int,
        scope: NameScope,
        name: str,
        exc: Unsafe,
    ) -> Optional[Unsafe]:
        """``if not session: session = requests.Session()`` then ``self._session = session``
        after the ``if`` (influxdb, hvac): the use after the block (``exc``) may be a store on
        ``self`` the class closes. The ``if`` (its ``elif``/``else`` chain) is read as the
        binding statement of the method's body: raises Skip when that analysis finds only
        owned stores on every path from it (``EscapeAnalysis.extent``), returns its report
        when it finds an owned store the class does not close (which says where to close
        it), else None. Only when the branch goes on from the binding to the end of the
        ``if`` (no ``return``/``break``/``continue`` after it)."""
        found = self.branch_if_of_function(block, scope, stmts[index + 1 :])
        if getattr(exc, "after_block", None) is None or found is None:
            return None
        outer, at = found
        outer_stmts = list(outer.body)
        escapes = EscapeAnalysis(self.codemod, target, scope, None, helpers=self.helpers)
        try:
            escapes.extent(outer_stmts, at, at, {name}, outer)
        except Unsafe as lifted:
            stored = lifted.reason.startswith(f"the {target.noun} is stored on self.")
            return lifted if stored or escapes.stores.owned else None
        return None

    def _made_in_a_branch(self, target: Target, block: cst.CSTNode, bound: str, exc: Unsafe) -> Optional[Unsafe]:
        """The use after the block (``exc``) comes after the ``if`` one of whose branches
        binds the object (hvac's tests: ``if use_session: s = requests.Session()`` /
        ``c = Client(session=s)`` / ``else: c = Client()``, then ``c`` read after the
        ``if``): say so, and what to do, as no ``with`` can start after it."""
        occurrence = getattr(exc, "after_block", None)
        node = self.if_of_branch(block)
        if occurrence is None or node is None:
            return None
        if self._inside(occurrence, node) or self.position(occurrence) < self.position(node):
            return None  # in the if, or before it (an earlier run of a loop)
        branches: List[cst.CSTNode] = []
        current: Optional[cst.CSTNode] = node
        while isinstance(current, cst.If):
            branches.append(current.body)
            current = current.orelse
        if current is not None and all(self.binds(branch, bound) for branch in [*branches, current]):
            return None  # each branch binds it: something else stops the with after the if
        name = occurrence.value if isinstance(occurrence, cst.Name) else "it"
        return Unsafe(
            f"`{name}` is used after the end of its block (at {self.codemod.line_ref(occurrence)}), after "
            f"the `if` at {self.codemod.line_ref(node)}, but only some branches of that if make the "
            f"{target.noun}: no with can start after it; close the {target.noun} by hand after that use "
            f"(in a finally)"
        )

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

    def _closed_elsewhere(
        self,
        name: str,
        scope: NameScope,
        following: Optional[cst.CSTNode] = None,
        raw: bool = False,
        after: Optional[cst.CSTNode] = None,
        library: str = "",
        noun: str = "",
    ) -> bool:
        """The name is closed some other way: a ``finally`` that closes it (``raw``: a
        requests response, also ``finally: r.raw.close()``, which closes its connection as
        ``r.close()`` would: newspaper3k), a ``with`` item,
        ``closing(name)``, ``enter_context(name)``, its ``close`` passed along, or a helper
        that closes it in its own ``finally`` (``HelperSummaries.closes``), called in
        ``following``, the statement right after the binding (so every path reaches it: a
        helper called after an early ``return`` leaves that path open). A ``with`` item (or
        ``closing``/``enter_context``) counts only after ``after``, the binding statement: the
        ``with response:`` around a rebinding ``response = get(...)`` closes the response bound
        before it, never the new one (a with's exit is fixed when it starts)."""
        start = self.position(after) if after is not None else None
        for occurrence in scope.names.get(name, ()):
            if self.already_closed_item(occurrence) and (start is None or self.position(occurrence) > start):
                return True
            parent = self._parent(occurrence)
            if following is not None and isinstance(parent, cst.Arg) and parent.value is occurrence:
                call = self._parent(parent)
                if (
                    isinstance(call, cst.Call)
                    and isinstance(following, cst.SimpleStatementLine)
                    and self._inside(call, following)
                    and self.helpers.closes(call, parent, library, noun)
                ):
                    return True  # ``read_bounded(r)``, which closes it in its ``finally``
            if raw and isinstance(parent, cst.Attribute) and parent.value is occurrence and parent.attr.value == "raw":
                closer = self._parent(parent)
                call = self._parent(closer)
                if (
                    isinstance(closer, cst.Attribute)
                    and closer.value is parent
                    and closer.attr.value == "close"
                    and isinstance(call, cst.Call)
                    and call.func is closer
                    and self._in_finally(call, scope)
                ):
                    return True
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

    def _closed_by_callee(self, target: Target) -> bool:
        """``body = _bounded_body(urlopen(url), limit)``: the target is an argument of a call
        to a helper that closes that parameter in its ``finally`` (``HelperSummaries.closes``),
        and the arguments evaluated after it cannot raise (``_quiet_argument``), so every path
        that makes the object enters the helper: it is closed already (a ``with`` would close
        it twice, and under a test's mock of the call get the mock's ``__enter__()`` value)."""
        arg = self._parent(target.node)
        call = self._parent(arg) if isinstance(arg, cst.Arg) else None
        if not (isinstance(call, cst.Call) and isinstance(arg, cst.Arg) and arg.value is target.node):
            return False
        later = list(call.args)[list(call.args).index(arg) + 1 :]
        if not all(not a.star and self._quiet_argument(a.value) for a in later):  # ``*it`` iterates
            return False
        return self.helpers.closes(call, arg, target.library, target.noun)

    def _quiet_argument(self, value: cst.BaseExpression) -> bool:
        """An argument whose evaluation cannot raise: a literal, a name, an attribute of a name
        (a module's constant), the clock (``time.monotonic()``), and sums, differences and
        products of these."""
        if isinstance(value, (cst.Integer, cst.Float, cst.SimpleString, cst.Name)):
            return True
        if isinstance(value, cst.Attribute):
            return isinstance(value.value, cst.Name)
        if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, (cst.Add, cst.Subtract, cst.Multiply)):
            return self._quiet_argument(value.left) and self._quiet_argument(value.right)
        if isinstance(value, cst.Call) and not value.args:
            return self.resolver.resolves_to(value.func, _CLOCKS) is not None
        return False

    def _inside(self, node: cst.CSTNode, ancestor: cst.CSTNode) -> bool:
        current: Optional[cst.CSTNode] = node
        while current is not None and current is not ancestor:
            current = self._parent(current)
        return current is ancestor

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
                    # (equal starts: an ``ExitStack`` at an ``if`` whose test holds a hoisted one)
                    if p is not q and p.start <= q.start <= p.end < q.end:
                        p.end = q.end
                        changed = True
