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

from typing import Any, Callable, List, Optional

import libcst as cst

from .builder import closing_call
from .escape import EscapeAnalysis
from .model import MetadataView, Mode, NameScope, Plan, Skip, Target, Unsafe


class StackPlan(MetadataView):
    """Plans the ``ExitStack`` of one target, with the module's ``helpers`` and a
    ``fresh(scope, base)`` that names the stack."""

    def __init__(self, codemod: Any, helpers: Any, fresh: Callable[[NameScope, str], str]) -> None:
        super().__init__(codemod)
        self.helpers = helpers
        self.fresh = fresh

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
        * the ``if`` (its ``elif``/``else`` chain) a statement of the function's own block;
        * the ``if`` and what follows it holding the object as a ``with`` opened at the ``if``
          would (``EscapeAnalysis.extent``): nothing returned, stored or captured that
          outlives the block; its hazard, if any, is the plan's (an unsafe fix, as that
          ``with`` would be)."""
        method = self._close_method(target)
        if method is None or not isinstance(block, cst.IndentedBlock):
            return None
        found = self.branch_if_of_function(block, scope, stmts[index + 1 :])
        if found is None:
            return None
        outer, at = found
        outer_stmts = list(outer.body)
        escapes = EscapeAnalysis(self.codemod, target, scope, None, helpers=self.helpers)
        try:
            end = escapes.extent(outer_stmts, at, at, {name}, outer)
        except (Unsafe, Skip):
            return None
        return Plan(
            target,
            outer,
            at,
            end,
            self.fresh(scope, "stack"),
            named=False,
            hazard=escapes.hazard,
            hazard_reason=escapes.hazard_reason,
            callbacks=[(stmt, name, method)],
        )

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
