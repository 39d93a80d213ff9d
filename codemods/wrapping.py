"""Wrapping what holds a connection in ``with`` / ``async with``, scoped to its last use.

Shared by ``close-response`` and ``close-client``. A codemod built on ``WrappingCodemod`` only
says which expressions open something that must be closed (``target_of``); the ``closing``
package decides where the ``with`` goes, or why it cannot go anywhere safely (then the site is
reported):

* ``closing/placement.py``: which statement holds the target, whether it can be wrapped or
  hoisted, the plan (the range of statements the ``with`` holds);
* ``closing/taint.py`` and ``closing/escape.py``: which names may refer to the object, and
  every way it could outlive the block (vocabulary in ``closing/eager.py``; the checks of
  stores, calls and later mentions in ``closing/stores.py``, ``closing/callees.py`` and
  ``closing/occurrences.py``);
* ``closing/builder.py``: the new statements; ``closing/contextlib_name.py``: how
  ``contextlib.closing`` is named.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Tuple

import libcst as cst

from .base import HttpCodemod
from .closing.builder import WithBuilder, header_word
from .closing.contextlib_name import CANDIDATES as CONTEXTLIB_NAMES
from .closing.contextlib_name import contextlib_name
from .closing.factory import handed_to_caller
from .closing.eager import *  # noqa: F401,F403  (the vocabulary, importable from here as before)
from .closing.model import Mode, Plan, Skip, Target, Unsafe
from .closing.placement import Placement
from .spec import HTTP_LIBRARIES, TargetSpec

__all__ = ["Mode", "Plan", "Skip", "Target", "Unsafe", "WrappingCodemod"]


class WrappingCodemod(HttpCodemod):
    """Base for codemods that wrap targets in ``with``; subclasses define ``target_of``."""

    #: ``contextlib_name`` checks every binding of ``contextlib``/``_contextlib`` in the module.
    TARGETS = TargetSpec(module_wide=HTTP_LIBRARIES | set(CONTEXTLIB_NAMES))
    MODULE_WIDE = TARGETS.module_wide

    #: Fresh names for hoisted targets: ``response``, ``response_1``, ...
    FRESH_NAME = "response"
    #: Whether targets at module level are handled (never for clients).
    MODULE_LEVEL = True

    # -- subclass API ----------------------------------------------------------------------

    def project_problem(self, target: Target) -> Optional[str]:
        """What other files of the project forbid for this target (``codemods/facts/``);
        ``None``: nothing (the default: a response's mocks are not affected by ``with``). A
        codemod may instead change how the target is closed (``target.mode``, ``target.hazard``)
        and return ``None``: close-client's ``contextlib.closing`` for a mocked constructor."""
        return None

    def call_site(self, call: cst.Call, library: str, scope: str, chain: Tuple[str, ...] = ()) -> Any:
        """``call`` as the ``facts.CallSite`` whose patches the project facts are asked about
        (``chain``: the dotted call, when the caller has worked it out)."""
        from .facts import CallSite
        from .imports import dotted

        chain = chain or tuple(dotted(call.func).split("."))
        return CallSite(
            path=self.context.filename or "",
            library=library,
            verb=chain[-1],
            qualified=tuple(
                sorted(self.resolver.imported_names(call.func) | self.resolver.shared_qualified(call.func))
            ),
            chain=chain,
            scope=scope,
        )

    def close_mocked(self, target: Target, patch: Any, hazard: str, why: str) -> None:
        """Close ``target`` with ``contextlib.closing`` because ``patch`` (a ``facts.Patch``) may
        hand the code a mock: ``closing`` binds the object itself where ``with`` would bind its
        ``__enter__()`` value, and only adds ``close()``. On the ``MagicMock`` that ``patch``
        makes (it has every method) that is safe; on an object the test chose
        (``patch.stand_in``) it is an unsafe fix with ``hazard``, reported with ``why``."""
        target.mode = Mode.CLOSING
        target.mocked = f"{patch.text} at {patch.where}"
        if patch.stand_in:
            target.hazard = hazard
            target.hazard_reason = why

    def target_of(self, node: cst.CSTNode) -> Optional[Target]:
        raise NotImplementedError

    def might_be_target(self, node: cst.CSTNode) -> bool:
        """A cheap syntactic pre-check (no metadata) that ``node`` could be a target; a file
        where no node passes it is returned untouched before any metadata is computed."""
        return True

    #: ``TARGETS.candidate_names``: names (last part) of the functions and classes that can
    #: be targets, for the pre-check.
    CANDIDATE_NAMES: frozenset = frozenset()

    def candidate_name(self, func: cst.BaseExpression) -> bool:
        if isinstance(func, cst.Attribute):
            func = func.attr
        return isinstance(func, cst.Name) and func.value in self._candidates

    def transform_module(self, tree: cst.Module) -> cst.Module:
        self._candidates = set(self.CANDIDATE_NAMES)
        for node in self.nodes_of(tree, cst.ImportFrom):
            if not isinstance(node.names, cst.ImportStar):
                for alias in node.names:
                    if (
                        alias.asname is not None
                        and isinstance(alias.name, cst.Name)
                        and alias.name.value in self.CANDIDATE_NAMES
                        and isinstance(alias.asname.name, cst.Name)
                    ):
                        self._candidates.add(alias.asname.name.value)
        if not any(
            isinstance(node, (cst.Call, cst.Await)) and self.might_be_target(node)
            for node in self.nodes_of(tree, cst.Call, cst.Await)
        ):
            return tree
        return super().transform_module(tree)

    def changed_nodes(self) -> Optional[Iterable[cst.CSTNode]]:
        return (
            list(getattr(self, "_plans", {}))
            + list(getattr(self, "_hoisted", {}))
            + list(getattr(self, "_callbacks", {}))  # their blocks get ``stack.callback(...)``
            + list(getattr(self, "_raise_edits", {}))  # closed before a raise (``closing/raising.py``)
        )

    def fixed_message(self, target: Target, plan: Plan) -> str:
        return f"closed the {target.noun} with `{header_word(target)}`"

    def stack_message(self, target: Target, plan: Plan) -> str:
        """The fixed message of a plan with ``callbacks`` (``closing/stack.py``)."""
        if isinstance(plan.block.body[plan.start], cst.While):  # type: ignore[attr-defined]
            return (
                f"closed the {target.noun} with `contextlib.ExitStack()` around the loop whose next run reads "
                f"it, and `{plan.name}.callback(...close)` right after it is made"
            )
        return (
            f"closed the {target.noun} with `contextlib.ExitStack()` around the `if` only some of whose "
            f"branches make it, and `{plan.name}.callback(...close)` right after it is made"
        )

    # -- planning --------------------------------------------------------------------------

    def visit_Module(self, node: cst.Module) -> None:
        self._plans: Dict[cst.CSTNode, List[Plan]] = {}
        self._hoisted: Dict[cst.CSTNode, Plan] = {}
        self._merged: List[Plan] = []
        self._hoisted_updated: Dict[cst.CSTNode, cst.BaseExpression] = {}
        self._hoisted_columns: Dict[cst.CSTNode, int] = {}
        self._needs_contextlib = False
        self._contextlib: Optional[Tuple[Optional[str]]] = None
        self._raise_fixes: List[Any] = []  # ``closing/raising.RaiseFix``, from ``close_before_raise``
        self._raise_edits: Dict[cst.CSTNode, List[Tuple[str, str]]] = {}
        targets: List[Target] = []
        for sub in self.nodes_of(node, cst.Call, cst.Await):
            found = self.target_of(sub)
            if found is not None:
                targets.append(found)
        if not targets:
            return
        positions = {t.node: self.position(t.node) for t in targets}
        targets.sort(key=lambda t: positions[t.node])
        placement = Placement(self)
        located, per_statement = self._locate(placement, targets)
        for target, stmt, block in located:
            if len(per_statement[stmt]) > 1:
                self.report(
                    target.node,
                    f"several connections are opened in one statement; close the {target.noun} by hand",
                    f"bind each {target.noun} to a name in a statement of its own, then run again",
                )
                continue
            self._plan_one(placement, target, stmt, block)
        self._callbacks: Dict[cst.CSTNode, Tuple[str, str, str]] = {}
        for merged in self._merged:
            self.fixed(merged.target.node, self._message(merged), merged.hazard)
        for plans in self._plans.values():
            Placement.nest(plans)
            for plan in plans:
                self.fixed(plan.target.node, self._message(plan), plan.hazard)
                if plan.callbacks:
                    self._needs_contextlib = True
                    for stmt, bound, method in plan.callbacks:
                        self._callbacks[stmt] = (plan.name, bound, method)
                elif not plan.named and not plan.bound:
                    self._hoisted[plan.target.node] = plan
                if plan.target.mode == Mode.CLOSING:
                    self._needs_contextlib = True
        self._apply_raise_fixes()

    def _apply_raise_fixes(self) -> None:
        """The raises closed before they leave (``closing/raising.py``): fixed, unless their
        block is rewrapped by another fix (its statements are indexed), then reported."""
        parent = self.resolver.parent
        # One raise closes several responses only by ``close()`` lines: a ``with`` around it
        # (whose exit the factories pass trusts for its own name only) stands alone, else the
        # fixes that meet there are all reported (so a second run says the same).
        wanted: Dict[cst.CSTNode, set] = {}
        for fix in self._raise_fixes:
            for line, name, how in fix.edits:
                wanted.setdefault(line, set()).add((name, how))
        clash = {line for line, e in wanted.items() if len(e) > 1 and any(how == "with" for _, how in e)}
        for fix in self._raise_fixes:
            blocks = {parent(line) for line, _, _ in fix.edits}
            if any(
                block in self._plans or any(stmt in self._callbacks for stmt in getattr(block, "body", ()))
                for block in blocks
            ):
                self.report(fix.target.node, fix.reason)
                continue
            if any(line in clash for line, _, _ in fix.edits):
                self.report(fix.target.node, fix.reason)
                continue
            for line, name, how in fix.edits:
                edits = self._raise_edits.setdefault(line, [])
                if (name, how) not in edits:  # two bindings of one name: one line
                    edits.append((name, how))
            self.fixed(fix.target.node, fix.message, fix.target.hazard)

    def _message(self, plan: Plan) -> str:
        return self.stack_message(plan.target, plan) if plan.callbacks else self.fixed_message(plan.target, plan)

    def unchecked_callers(self, target: Target) -> Optional[str]:
        """Why the callers of the function that hands ``target`` out are not this codemod's
        sites (then the binding is reported with it); None: they are, or need not be."""
        return None

    def close_before_raise(self, target: Target, why: str) -> Optional[Any]:
        """A ``closing/raising.RaiseFix`` for a target handed to the caller but left open by a
        raise (``why``: the report otherwise); None: reported."""
        return None

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> Any:
        edits = getattr(self, "_raise_edits", {}).get(original_node)
        if not edits:
            return updated_node
        lines = updated_node.leading_lines
        raising = updated_node.with_changes(leading_lines=())
        if edits[0][1] == "with":  # ``with r:`` around the raise: the exception is made with it open
            return cst.With(
                items=[cst.WithItem(cst.Name(edits[0][0]))], body=cst.IndentedBlock(body=[raising]), leading_lines=lines
            )
        out: List[cst.BaseStatement] = [
            cst.SimpleStatementLine(body=[cst.Expr(cst.Call(cst.Attribute(cst.Name(name), cst.Name("close"))))])
            for name, _ in edits
        ]
        out[0] = out[0].with_changes(leading_lines=lines)
        return cst.FlattenSentinel([*out, raising])

    def _locate(self, placement: Placement, targets: List[Target]) -> Tuple[list, Dict[cst.CSTNode, List[Target]]]:
        """(target, its statement, that statement's block) for each target a ``with`` could
        hold, and the targets of each statement; the others are reported (or skipped: not
        sites)."""
        per_statement: Dict[cst.CSTNode, List[Target]] = {}
        located = []
        for target in targets:
            if self.suppressed(target.node) or placement.already_closed_item(target.node):
                continue
            if handed_to_caller(self, target):  # the caller's to close (closing/factory.py)
                why = self.unchecked_callers(target)
                if why is None:
                    continue
                fix = self.close_before_raise(target, why)
                if fix is not None:
                    self._raise_fixes.append(fix)
                    continue
                self.report(target.node, why)
                continue
            try:
                stmt, block = placement.statement_of(target)
            except Skip:
                continue
            except Unsafe as exc:
                self.report(target.node, exc.reason, exc.suggestion)
                continue
            why = self.project_problem(target)
            if why is not None:
                self.report(target.node, why)
                continue
            per_statement.setdefault(stmt, []).append(target)
            located.append((target, stmt, block))
        return located, per_statement

    def _plan_one(self, placement: Placement, target: Target, stmt: cst.BaseStatement, block: cst.CSTNode) -> None:
        try:
            plan = placement.plan(target, stmt, block)
        except Skip:
            return  # not a site after all (``escape.py``: its owner closes it)
        except Unsafe as exc:
            self.report(target.node, exc.reason, exc.suggestion)
            return
        if plan is None:
            return
        if target.hazard and not plan.hazard:
            plan.hazard, plan.hazard_reason = target.hazard, target.hazard_reason
        if (target.mode == Mode.CLOSING or plan.callbacks) and self._contextlib_name() is None:
            self.report(
                target.node,
                f"the names `contextlib` and `_contextlib` are both taken in this module; close the {target.noun} by hand",
            )
            return
        if plan.hazard and not self.unsafe_fix(target.node, plan.hazard_reason, plan.hazard):
            return
        plans = self._plans.setdefault(plan.block, [])
        for other in plans:
            if plan.callbacks and other.callbacks and other.start == plan.start:
                # Objects made in two branches of one ``if``: one ``ExitStack``, a callback each.
                other.end = max(other.end, plan.end)
                other.hazard = other.hazard or plan.hazard
                other.callbacks.extend(plan.callbacks)
                plan.name = other.name  # (its message names the stack)
                self._merged.append(plan)
                return
            if plan.bound and other.bound and (other.start, other.name) == (plan.start, plan.name):
                # Two bindings of one name (the branches of an ``if``) closed by one ``with``.
                other.end = max(other.end, plan.end)
                other.hazard = other.hazard or plan.hazard
                self._merged.append(plan)
                return
        plans.append(plan)

    def _contextlib_name(self) -> Optional[str]:
        if self._contextlib is None:
            self._contextlib = (contextlib_name(self, self.module),)
        return self._contextlib[0]

    # -- applying ---------------------------------------------------------------------------

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        return self._substitute(original_node, updated_node)

    def leave_Await(self, original_node: cst.Await, updated_node: cst.Await) -> cst.BaseExpression:
        return self._substitute(original_node, updated_node)

    def _substitute(self, original: cst.CSTNode, updated: cst.BaseExpression) -> cst.BaseExpression:
        plan = getattr(self, "_hoisted", {}).get(original)
        if plan is None:
            return updated
        self._hoisted_updated[original] = updated
        stmt = plan.block.body[plan.start]  # type: ignore[attr-defined]
        (line, column), (stmt_line, stmt_column) = self.position(original), self.position(stmt)
        if line == stmt_line:  # on the statement's first line: it can be realigned
            self._hoisted_columns[original] = column - stmt_column
        return cst.Name(plan.name)

    def _builder(self, original: Optional[cst.CSTNode] = None) -> WithBuilder:
        contextlib = self._contextlib_name() if self._needs_contextlib else None
        # ``stack.callback(s.close)`` after each binding of this block a stack closes.
        callbacks = getattr(self, "_callbacks", {})
        after = {}
        if callbacks and isinstance(original, cst.IndentedBlock):
            after = {i: callbacks[stmt] for i, stmt in enumerate(original.body) if stmt in callbacks}
        return WithBuilder(self._hoisted_updated, contextlib, after, self.module.default_indent, self._hoisted_columns)

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        plans = getattr(self, "_plans", {}).get(original_node, [])
        if not plans and not getattr(self, "_callbacks", None):
            return updated_node  # no plan and no stack callback anywhere: no builder to make
        builder = self._builder(original_node)
        if not plans and not builder.callbacks:
            return updated_node
        body = builder.build(_no_blank_first(updated_node.body, plans), plans, 0, updated_node.indent)
        return updated_node.with_changes(body=body)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        plans = getattr(self, "_plans", {}).get(original_node)
        if plans:
            body = self._builder().build(_no_blank_first(updated_node.body, plans), plans, 0, None)
            updated_node = updated_node.with_changes(body=body)
        if getattr(self, "_needs_contextlib", False):
            alias = self._contextlib_name()
            self.add_needed_import("contextlib", asname=None if alias == "contextlib" else alias)
        return updated_node


def _no_blank_first(stmts: Iterable[cst.BaseStatement], plans: List[Plan]) -> List[cst.BaseStatement]:
    """``stmts`` where a statement that becomes the first of a new ``with`` block (the one
    after ``name = <target>``) drops the blank lines above it: ruff format removes a blank
    line that opens a block (black keeps it or not), and a careful hand would not write one.
    Comments above it stay, with the blank lines between them and the statement."""
    out = list(stmts)
    for plan in plans:
        first = plan.start + 1
        if plan.named and first <= plan.end and first < len(out):
            lines = out[first].leading_lines
            blanks = 0
            while blanks < len(lines) and lines[blanks].comment is None:
                blanks += 1
            if blanks:
                out[first] = out[first].with_changes(leading_lines=lines[blanks:])
    return out
