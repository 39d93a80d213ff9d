"""An object made in only some branches of an ``if`` and used after it (hvac's tests:
``if use_session: s = requests.Session()`` / ``c = Client(session=s)`` / ``else: c =
Client()``, then ``c`` read after the ``if``): no ``with`` can start at the binding (its block
ends with the branch) nor after the ``if`` (on the other branches there is nothing to close).

``with contextlib.ExitStack() as stack:`` opened at the ``if`` and held over its later uses
(the extent a ``with`` there would have, by the same escape analysis), with
``stack.callback(s.close)`` right after the binding in its branch, closes the object on every
path that made it, when the block ends or an exception leaves it, and does nothing on the
others. ``callback(s.close)``, not ``s = stack.enter_context(...)``: the name keeps the object
itself (a test's mock of the constructor, whose ``__enter__()`` returns another object), and
only its close is added, as ``contextlib.closing`` would.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, List, Optional, Tuple

import libcst as cst

from ..tree import walk
from .builder import closing_call
from .escape import EscapeAnalysis
from .model import NESTED_SCOPES, MetadataView, Mode, NameScope, Plan, Skip, Target, Unsafe


class StackPlan(MetadataView):
    """Plans the ``ExitStack`` of one target, with the module's ``helpers`` and a
    ``fresh(scope, base)`` that names the stack."""

    def __init__(self, codemod: Any, helpers: Any, fresh: Callable[[NameScope, str], str]) -> None:
        super().__init__(codemod)
        self.helpers = helpers
        self.fresh = fresh
        #: Why the last ``plan`` found no plan when an ExitStack fitted but with two hazards
        #: (a better report than "only some branches make it"), else None.
        self.blocked: Optional[Unsafe] = None

    def plan(
        self,
        target: Target,
        stmt: cst.BaseStatement,
        block: cst.CSTNode,
        stmts: List[cst.BaseStatement],
        index: int,
        scope: NameScope,
        name: str,
    ) -> Optional[Plan]:
        """The plan, or None (then the site stays reported as made in a branch). Only:

        * a sync close (``close``; ``clear`` for urllib3's ``PoolManager`` under ``with``):
          an async one would need ``AsyncExitStack`` and ``await``;
        * the binding a plain statement of the branch's own block, the branch going on from
          it to the end of the ``if`` (no ``return``/``break``/``continue`` after it, which
          would leave the stack's block early with an object a ``with`` never held);
        * the ``if`` (its ``elif``/``else`` chain) a statement of one of the function's
          blocks (``_ifs_around``: the innermost whose extent is found, never outside the
          loop or ``try`` the binding is in);
        * the ``if`` and what follows it holding the object as a ``with`` opened at the ``if``
          would (``EscapeAnalysis.extent``): nothing returned, stored or captured that
          outlives the block; its hazard, if any, is the plan's (an unsafe fix, as that
          ``with`` would be); exceptions made in the block that carry it out (``_extent``)
          are such a hazard;
        * in a loop, the name bound by a plain statement of the stack's block before the
          ``if`` (``r = None``), else a later run could use an earlier run's object past the
          ``if``, closed: a hazard (``_carried``), the only one the fix may then have."""
        self.blocked = None
        method = self._close_method(target)
        if method is None or not isinstance(block, cst.IndentedBlock):
            return None
        for outer, at in self._ifs_around(block, scope, stmts[index + 1 :]):
            found = self._extent(target, scope, outer, at, name)
            if found is not None:
                end, escapes = found
                break
        else:
            return None
        hazard, hazard_reason = escapes.hazard, escapes.hazard_reason
        loop = self._carried(outer, at, name, scope)
        if loop is not None:
            top = outer.body[at]
            if hazard:
                # A second hazard: reported, with both named.
                first = escapes.hazard_reason.split("an ExitStack at that if closes it, but ")[-1]
                self.blocked = Unsafe(
                    f"`{name}` is used after the `if` at {self.codemod.line_ref(top)}, which makes the "
                    f"{target.noun} only on some branches; an ExitStack at that if would close it, but then "
                    f"{first}, and a later run of the loop at {self.codemod.line_ref(loop)} may use the "
                    f"{target.noun} of an earlier run, closed; close the {target.noun} by hand after its last "
                    "use (in a finally)"
                )
                return None
            hazard = (
                f"a later run of the loop may pass the `if` without making a new {target.noun} and use "
                f"the one of an earlier run, closed; safe when every run that uses `{name}` after the "
                "`if` makes it there"
            )
            hazard_reason = (
                f"`{name}` is used after the `if` at {self.codemod.line_ref(top)}, which makes the "
                f"{target.noun} only on some branches, in the loop at {self.codemod.line_ref(loop)}: a later "
                f"run may use the {target.noun} of an earlier run"
            )
        return self._stack(target, outer, at, end, scope, (stmt, name, method), hazard, hazard_reason)

    def _carried(self, outer: cst.IndentedBlock, at: int, name: str, scope: NameScope) -> Optional[cst.CSTNode]:
        """The innermost loop (of the function) around ``outer`` when nothing that runs in each
        of its runs before ``outer.body[at]`` binds ``name``: a plain statement before it in
        its block or in a block around it inside the loop (``r = None``), or an ``if`` there
        each of whose branches, ``else`` included, binds it so (you-get: ``if timeout: r =
        urlopen(...)`` / ``else: r = urlopen(...)``). Else a run that passes the stack's
        binding by may still see the object an earlier run made (and its stack closed).
        None when there is no such loop or the name is rebound so."""
        block: cst.CSTNode = outer
        while True:
            for stmt in block.body[:at]:  # type: ignore[attr-defined]
                if isinstance(stmt, cst.SimpleStatementLine) and self.binds(stmt, name):
                    return None
                if isinstance(stmt, cst.If) and self._every_branch_binds(stmt, name):
                    return None
            node = self._parent(block)
            while node is not None and not isinstance(node, cst.IndentedBlock):
                if node is scope.root or isinstance(node, NESTED_SCOPES):
                    return None
                if isinstance(node, (cst.For, cst.While)):
                    return node
                child, node = node, self._parent(node)
            if node is None:
                return None
            at = next(i for i, st in enumerate(node.body) if st is child)
            block = node

    def _every_branch_binds(self, top: cst.If, name: str) -> bool:
        branch: Optional[cst.CSTNode] = top
        while branch is not None:
            body = branch.body
            if not isinstance(body, cst.IndentedBlock):
                return False
            if not any(isinstance(st, cst.SimpleStatementLine) and self.binds(st, name) for st in body.body):
                return False
            if isinstance(branch, cst.If) and branch.orelse is None:
                return False
            branch = branch.orelse if isinstance(branch, cst.If) else None
        return True

    def plan_loop(
        self, target: Target, stmt: cst.BaseStatement, scope: NameScope, name: str, exc: Unsafe
    ) -> Optional[Plan]:
        """A binding in a loop whose object a later run of the loop uses before the binding
        (you-get: ``response = urlopen_with_retry(...)`` / ``continue`` in a ``while True:``
        retry loop whose top reads ``response.read()``): no ``with`` in the loop's body can
        hold it. ``with contextlib.ExitStack() as stack:`` around that loop (the innermost
        one whose body holds the use ``exc`` names, before the binding) and
        ``stack.callback(r.close)`` after the binding close every object the loop made when
        the loop is done, as a ``with`` around the loop would (the same extent and escapes,
        ``_extent``). Always an unsafe fix, its one hazard: each object an earlier run made
        stays open until the loop ends (before, it was dropped, and so closed, when the name
        was rebound): right for a retry loop (a few rounds), not for one that pages through
        many. Only for a ``while``, not a ``for`` over a collection (one object for each of
        its items). None when that does not hold, or when a second hazard applies (another
        escape's, or ``_carried``: a loop around that one that may use an earlier run's)."""
        method = self._close_method(target)
        occurrence = getattr(exc, "after_block", None)
        if method is None or occurrence is None or not isinstance(scope.root, cst.FunctionDef):
            return None
        if not self.position(occurrence) < self.position(stmt):
            return None
        node = self._parent(stmt)
        while node is not None and node is not scope.root:
            if isinstance(node, NESTED_SCOPES):
                return None
            if isinstance(node, (cst.For, cst.While)) and self._within(occurrence, node.body):
                break  # (a ``for`` is given up below)
            node = self._parent(node)
        else:
            return None
        if not isinstance(node, cst.While):
            # A ``for`` over a collection would keep every object it made open until it ends
            # (before, each was dropped at the next rebinding); a ``while`` is a retry loop.
            return None
        outer = self._parent(node)
        if not isinstance(outer, cst.IndentedBlock):
            return None
        at = next(i for i, st in enumerate(outer.body) if st is node)
        where = f"the loop at {self.codemod.line_ref(node)}, a later run of which uses it before the binding"
        found = self._extent(target, scope, outer, at, name, where)
        if found is None:
            return None
        end, escapes = found
        if escapes.hazard or self._carried(outer, at, name, scope) is not None:
            return None  # a second hazard: reported
        noun = target.noun
        hazard = (
            f"every {noun} an earlier run of the loop made stays open until the loop ends (before, each was "
            f"closed when `{name}` was rebound); right for a retry loop of a few rounds, not for one that "
            "pages through many"
        )
        hazard_reason = (
            f"`{name}` is used in {where}; an ExitStack around that loop closes each {noun} it makes, but only "
            "when the loop ends"
        )
        return self._stack(target, outer, at, end, scope, (stmt, name, method), hazard, hazard_reason)

    def _stack(
        self,
        target: Target,
        outer: cst.IndentedBlock,
        at: int,
        end: int,
        scope: NameScope,
        callback: Tuple[cst.BaseStatement, str, str],
        hazard: Optional[str],
        hazard_reason: Optional[str],
    ) -> Plan:
        """The unnamed ``with contextlib.ExitStack() as stack:`` over ``outer.body[at:end]``,
        ``stack.callback(name.close)`` after the binding (``callback``)."""
        return Plan(
            target,
            outer,
            at,
            end,
            self.fresh(scope, "stack"),
            named=False,
            hazard=hazard,
            hazard_reason=hazard_reason,
            callbacks=[callback],
        )

    def _within(self, node: cst.CSTNode, ancestor: cst.CSTNode) -> bool:
        current: Optional[cst.CSTNode] = node
        while current is not None and current is not ancestor:
            current = self._parent(current)
        return current is ancestor

    def _extent(
        self, target: Target, scope: NameScope, outer: cst.IndentedBlock, at: int, name: str, where: str = ""
    ) -> Optional[Tuple[int, EscapeAnalysis]]:
        """The extent of a ``with`` opened at ``outer.body[at]``, and its analysis; or None.
        Where only exceptions made in the stack's block carry the object out (``raise
        E(response=r)``, ``r.raise_for_status()``: kaggle's resumed download), an unsafe fix
        with the first one's hazard: a handler gets the object closed (its status and headers
        read as before, an unread body no longer). No ``with`` can start after them: the
        stack's callback is registered at the binding, before them."""
        stmts = list(outer.body)
        escapes = EscapeAnalysis(self.codemod, target, scope, None, helpers=self.helpers)
        try:
            return escapes.extent(stmts, at, at, {name}, outer), escapes
        except Skip:
            return None
        except Unsafe as exc:
            if not exc.exiting:
                return None
        escapes = EscapeAnalysis(self.codemod, target, scope, None, helpers=self.helpers)
        escapes.raise_hazards = True
        escapes.calls.status_raises = True
        try:
            end = escapes.extent(stmts, at, at, {name}, outer)
        except (Unsafe, Skip):
            return None
        first = escapes.calls.status_hazard or escapes.raise_hazard
        if escapes.hazard or not first:
            return None  # an unknown call is a second hazard
        top = stmts[at]
        carried = first[1].split("; close it by hand")[0]
        escapes.calls.hazard = first[0]
        if where:
            reason = f"`{name}` is used in {where}; an ExitStack around that loop closes it, but {carried}"
        else:
            reason = (
                f"`{name}` is used after the `if` at {self.codemod.line_ref(top)}, which makes the {target.noun} "
                f"only on some branches; an ExitStack at that if closes it, but {carried}"
            )
        escapes.calls.hazard_reason = reason
        return end, escapes

    @staticmethod
    def _close_method(target: Target) -> Optional[str]:
        """What the ``with`` (``closing``) would call at its end, when it is not awaited."""
        if target.mode == Mode.CLOSING:
            return "close"
        if target.mode != Mode.WITH:
            return None
        call = closing_call(target)
        if call is None or call[1]:
            return None
        return call[0]

    def _ifs_around(
        self, block: cst.CSTNode, scope: NameScope, rest: List[cst.BaseStatement]
    ) -> Iterator[Tuple[cst.IndentedBlock, int]]:
        """(a block of the function, the index of an ``if`` in it) for the ``if`` one of whose
        branches ``block`` is, then for each ``if`` around it whose branch goes on from the
        inner one to its end: innermost first. Each goes on from the binding to its end (no
        ``return``/``break``/``continue`` after it in the branches between). The block may be
        any of the function's (a loop's, a ``try``'s body): the stack is then entered and left
        with each run of that block, as a ``with`` there would be."""
        if not isinstance(scope.root, cst.FunctionDef):
            return
        while True:
            if any(isinstance(sub, (cst.Return, cst.Break, cst.Continue)) for later in rest for sub in walk(later)):
                return
            top = self.if_of_branch(block)
            if top is None:
                return
            outer = self._parent(top)
            if not isinstance(outer, cst.IndentedBlock):
                return
            at = next(i for i, s in enumerate(outer.body) if s is top)
            yield outer, at
            block, rest = outer, list(outer.body[at + 1 :])
