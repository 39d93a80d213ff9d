"""Escapes: every way a tainted object could outlive the ``with`` block, and how far the
block must reach.

The ``with`` body runs to the last statement of the same block that mentions a tainted name.
Every way a tainted object could outlive that block is an *escape* and is reported instead:
returned or yielded, stored on an attribute / in a subscript / in a container, declared
``global``/``nonlocal``, captured by a nested function, lambda, class or generator expression
(a generator expression runs now when the object is only its outermost iterable, or when a
builtin consumes it at once: ``_check_generator``), or mentioned anywhere outside the block
where it could still be the same object.

One store is no escape but the end of the analysis: ``self.X = <object>`` where the class
closes ``self.X`` in its own ``close()`` (``stores.py``): when it is the only escape, a plain
statement of the binding's own block, the object's lifetime is its owner's and the binding is
no site (``Skip``).
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, List, Optional, Set, Tuple

import libcst as cst
from libcst.metadata import ExpressionContext, ExpressionContextProvider

from ..tree import children, walk
from .callees import CallCheck
from .model import NESTED_SCOPES, MetadataView, Mode, NameScope, Skip, Target, Unsafe
from .occurrences import Occurrences, captured_reason, ends_by_leaving
from .stores import StoreCheck
from .taint import Taint, walk_scope

_LOOPS = (cst.For, cst.While)


def _check_not_exported(exported: List[str], noun: str) -> None:
    if exported:
        raise Unsafe(
            f"`{exported[0]}` is bound at module level; other modules may import "
            f"the {noun} and use it after the with block"
        )


class EscapeAnalysis(MetadataView):
    """The extent of one target's ``with`` block in ``scope``, or ``Unsafe`` with the reason
    it cannot be closed there. ``hoisted_node``: the target itself when it is used inline (it
    is then replaced by a fresh name that is tainted from its statement on)."""

    def __init__(
        self,
        codemod: Any,
        target: Target,
        scope: NameScope,
        hoisted_node: Optional[cst.CSTNode],
        helpers: Any = None,
    ) -> None:
        super().__init__(codemod)
        self.target = target
        self.scope = scope
        self.taint = Taint(
            codemod, target.library, hoisted_node, scope, client_class=target.client_class, helpers=helpers
        )
        self.taint.noun = target.noun
        self.occurrences = Occurrences(codemod, self.taint)
        self.stores = StoreCheck(codemod, self.taint)
        self.stores.async_close = target.mode in (Mode.ASYNC_WITH, Mode.ACLOSE)
        self.calls = CallCheck(codemod, self.taint)
        #: ``holds_in_result``: a return of the object is no escape (the result holds it).
        self.result_holds = False
        #: ``keeps_nothing`` found an escape that is no unknown call (``summaries.definitely_keeps``).
        self.definite = False
        #: ``placement``'s retry: ``raise E(r)`` in the block is an unsafe fix, not an escape
        #: (``_raised_in_new_exception``).
        self.raise_hazards = False
        #: (hazard, reason) of the first such raise, or ().
        self.raise_hazard: Tuple[str, ...] = ()
        #: ``_check_escapes`` runs with ``exits_allowed``: a raise then leaves before the block.
        self._exits_allowed = False
        #: The exception calls of ``_raised_in_new_exception`` (ids): no call escapes.
        self._raised_calls: Set[int] = set()
        #: ``keeps_nothing``: the reason of the escape it found ("" for none).
        self.why = ""

    @property
    def hazard(self) -> str:
        """Set when the only escapes are unknown calls that in practice read the response:
        the fix is then unsafe (``--unsafe-fixes``), with this hazard and ``hazard_reason``."""
        return self.calls.hazard

    @property
    def hazard_reason(self) -> str:
        return self.calls.hazard_reason

    def extent(
        self,
        stmts: List[cst.BaseStatement],
        index: int,
        first: int,
        tainted: Set[str],
        block: cst.CSTNode,
        open_at: Optional[int] = None,
    ) -> int:
        """The index in ``stmts`` (the statements of ``block``) of the last statement the
        ``with`` must hold: the target is in ``stmts[index]``, ``tainted`` are the names it is
        bound to, followed from ``stmts[first]`` on.

        ``open_at``: the ``with`` opens at ``stmts[open_at]`` (after the binding); the
        statements before it run as they did, so there only escapes that leave the function
        with the object are allowed (``Unsafe.exiting``); raises Unsafe when no statement from
        ``open_at`` on uses it.

        Raises Skip when the only escapes are owned stores (``stores.py``), each a statement
        of ``stmts`` itself (so every path that goes on from the binding stores it), and no
        ``with`` placed later is being tried (``open_at``): then the class closes it."""
        self.stores.owning = True
        last = self._extent(stmts, index, first, tainted, block, open_at)
        if self.stores.owned:
            sub, exc = self.stores.owned[0]
            top = {
                id(small) for stmt in stmts[first:] if isinstance(stmt, cst.SimpleStatementLine) for small in stmt.body
            }
            if open_at is None and all(id(s) in top for s, _ in self.stores.owned):
                raise Skip()
            if open_at is None:
                exc = Unsafe(f"{exc.reason}, but not on every path from the binding")
            raise exc
        return last

    def _extent(
        self,
        stmts: List[cst.BaseStatement],
        index: int,
        first: int,
        tainted: Set[str],
        block: cst.CSTNode,
        open_at: Optional[int],
    ) -> int:
        target, scope, hoisted_node = self.target, self.scope, self.taint.hoisted_node
        noun = target.noun
        self.taint.roots = frozenset(name for name in tainted if self._is_itself(name))
        self.taint.origin = target.node  # shadowing never counts the binding of the target itself
        live = set(tainted)
        ever = set(tainted)
        kills: Dict[str, int] = {}
        latest: Dict[str, int] = {}  # the last kill of each name
        last = index
        for j in range(first, len(stmts)):
            stmt = stmts[j]
            if not live:
                break
            if self.taint.mentions(stmt, live):
                last = j
            # Names derived inside the statement (to a fixpoint: loops can feed back).
            while True:
                derived = self.taint.derived_in(stmt, live)
                if derived <= live:
                    break
                live |= derived
                ever |= derived
            if self.taint.mentions(stmt, live):
                last = j
                try:
                    self._check_escapes(stmt, live, noun, exits_allowed=open_at is not None and j < open_at)
                except Unsafe as exc:
                    exc.index = j
                    raise
            self._kill_rebound(stmt, j, live, kills, latest)
        if isinstance(scope.root, cst.Module) and not self._in_script():
            # A module global can be imported (``from m import resp``) and used after the block.
            _check_not_exported(sorted(ever - (tainted if hoisted_node is not None else set())), noun)
        self.occurrences.check_declarations(scope, ever, noun)
        # Killed and never the object again: the code after the block sees another value.
        settled = {name: j for name, j in latest.items() if name not in live}
        self.occurrences.check_occurrences(scope, stmts, index, last, ever, kills, block, noun, settled)
        if open_at is not None and last < open_at:
            raise Unsafe(f"the {noun} is not used after the statements that must stay before its with block")
        return last

    def _in_script(self) -> bool:
        """The module is a script no other module can import (``ProjectFacts.is_script``):
        its globals are exported to nobody."""
        facts = getattr(getattr(self.codemod, "file", None), "facts", None)
        filename = self.codemod.context.filename or ""
        return bool(filename) and facts is not None and facts.is_script(filename)

    def _kill_rebound(
        self,
        stmt: cst.BaseStatement,
        j: int,
        live: Set[str],
        kills: Dict[str, int],
        latest: Optional[Dict[str, int]] = None,
    ) -> None:
        """A plain top-level rebinding (to a value that cannot be the object) kills a name."""
        if not isinstance(stmt, cst.SimpleStatementLine):
            return
        for small in stmt.body:
            for bound, value in self._plain_bindings(small):
                if bound in live and not (self.taint.mentions(value, live) and not self.taint.eager(value, live)):
                    live.discard(bound)
                    kills.setdefault(bound, j)
                    if latest is not None:
                        latest[bound] = j

    def keeps_nothing(self, stmts: List[cst.CSTNode], tainted: Set[str]) -> bool:
        """No statement of ``stmts`` (a function body whose parameters ``tainted`` are the
        object) lets the object outlive them: the summary of a helper (``summaries.py``).
        Names are never killed here: a name once derived stays derived."""
        noun = self.target.noun
        live = set(tainted)
        try:
            for stmt in stmts:
                while True:
                    derived = self.taint.derived_in(stmt, live)
                    if derived <= live:
                        break
                    live |= derived
                if self.taint.mentions(stmt, live):
                    self._check_escapes(stmt, live, noun)
            self.occurrences.check_declarations(self.scope, live, noun)
        except Unsafe as exc:
            self.definite = not getattr(exc, "unknown", False)
            self.why = exc.reason
            return False
        self.why = self.hazard_reason
        return not self.hazard  # an unknown call that may keep it: the helper may keep it

    def holds_in_result(
        self,
        stmts: List[cst.CSTNode],
        tainted: Set[str],
        holder: str = "",
        klass: Optional[cst.ClassDef] = None,
        plain: FrozenSet[str] = frozenset(),
    ) -> bool:
        """Like ``keeps_nothing``, but the function may return the object (or something that
        holds it): the caller's taint follows the result. ``holder``: the ``self`` of a method
        of a holder class (``summaries.holder_init``), tainted too: it may store the object on
        its own attributes (not ones ``klass``'s body binds: a property, a descriptor), and
        its own methods count as calls that keep nothing only when it passes them nothing
        tainted (each method of the class is read the same way). ``plain``: attributes of
        ``holder`` read as plain data (``summaries.plain_attributes``), on which nothing
        tainted may be stored."""
        self.result_holds = True
        self.taint.holder, self.taint.holder_plain = holder, plain
        self.stores.holder, self.stores.klass, self.stores.plain = holder, klass, plain
        self.calls.holder = holder
        return self.keeps_nothing(stmts, tainted)

    def _is_itself(self, name: str) -> bool:
        """Wherever ``name`` is read in the scope, it is an object like the target: every
        binding of it is ``name = <a target of this codemod, of the same library and class>``
        (``handle = urlopen(a)`` ... ``handle = urlopen(b)``)."""
        for occurrence in self.scope.names.get(name, ()):
            ctx = self.get_metadata(ExpressionContextProvider, occurrence, None)
            if ctx is ExpressionContext.LOAD:
                continue
            target = self._parent(occurrence)
            assign = self._parent(target) if isinstance(target, cst.AssignTarget) else None
            if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1 and target.target is occurrence):
                return False
            found = self.codemod.target_of(assign.value)
            if found is None or (found.library, found.client_class, found.noun) != (
                self.target.library,
                self.target.client_class,
                self.target.noun,
            ):
                return False
        return True

    def _plain_bindings(self, small: cst.CSTNode) -> List[Tuple[str, cst.BaseExpression]]:
        if isinstance(small, cst.Assign):
            return [(t.target.value, small.value) for t in small.targets if isinstance(t.target, cst.Name)]
        if isinstance(small, cst.AnnAssign) and small.value is not None and isinstance(small.target, cst.Name):
            return [(small.target.value, small.value)]
        return []

    def _check_escapes(self, stmt: cst.CSTNode, live: Set[str], noun: str, exits_allowed: bool = False) -> None:
        """Raise Unsafe for the first escape in ``stmt``; with ``exits_allowed`` (``stmt`` runs
        before the with block), escapes that leave the function are allowed unless a handler
        inside ``stmt`` may catch them and go on."""
        if not exits_allowed:
            for sub in walk_scope(stmt):
                self._check_escape(sub, live, noun)
            return
        self._exits_allowed = True
        try:
            self._check_exiting_escapes(stmt, live, noun)
        finally:
            self._exits_allowed = False

    def _check_exiting_escapes(self, stmt: cst.CSTNode, live: Set[str], noun: str) -> None:
        stack: List[cst.CSTNode] = [stmt]
        while stack:
            sub = stack.pop()
            try:
                self._check_escape(sub, live, noun)
            except Unsafe as exc:
                if not (exc.exiting and self._leaves(sub, stmt)):
                    raise
                if isinstance(sub, (cst.Return, cst.Raise)):
                    continue  # what it evaluates leaves with it
            if not isinstance(sub, NESTED_SCOPES):
                stack.extend(reversed(children(sub)))

    def _leaves(self, node: cst.CSTNode, stmt: cst.CSTNode) -> bool:
        """Control at ``node`` (a return, a raise, a call that raises) leaves ``stmt`` for good:
        no ``try`` inside ``stmt`` around it has a handler that can fall through."""
        child, current = node, self._parent(node)
        while current is not None:
            if isinstance(current, cst.Try) and child is current.body:
                if any(not ends_by_leaving(h.body) for h in current.handlers):
                    return False
            if isinstance(current, cst.TryStar) and child is current.body:
                return False
            if (
                isinstance(current, (cst.Try, cst.TryStar))
                and current.finalbody is not None
                and any(isinstance(n, (cst.Break, cst.Continue, cst.Return)) for n in walk(current.finalbody))
            ):
                return False  # a finally that can cancel the exit
            if isinstance(current, cst.With) and child is current.body:
                return False  # its context manager may suppress an exception
            if current is stmt:
                return True
            child, current = current, self._parent(current)
        return False

    def _check_escape(self, sub: cst.CSTNode, live: Set[str], noun: str) -> None:
        if isinstance(sub, cst.GeneratorExp):
            self._check_generator(sub, live, noun)
            return
        if isinstance(sub, NESTED_SCOPES):
            if self._captured_in(sub, live):
                raise Unsafe(captured_reason(self.codemod, noun, sub, live))
            return
        if self.result_holds and (isinstance(sub, cst.Return) or self._returned_container(sub)):
            return
        if isinstance(sub, (cst.Return, cst.Yield)) and sub.value is not None:
            value = sub.value
            if isinstance(value, cst.From):
                value = value.item
            if self.taint.mentions(value, live) and not self.taint.eager(value, live):
                what = "returned" if isinstance(sub, cst.Return) else "yielded"
                raise Unsafe(
                    f"the {noun} (or something reading from it) is {what} at "
                    f"{self.codemod.line_ref(sub)}; the caller may still use it",
                    exiting=isinstance(sub, cst.Return),
                )
        elif isinstance(sub, cst.Raise) and sub.exc is not None:
            if self.taint.mentions(sub.exc, live) and not self.taint.eager(sub.exc, live):
                reason = f"the {noun} is carried out by an exception at {self.codemod.line_ref(sub)}"
                if self._exits_allowed or not (
                    self.raise_hazards and self._raised_in_new_exception(sub, live, noun, reason)
                ):
                    raise Unsafe(reason, exiting=True)
        elif isinstance(sub, cst.Call):
            if id(sub) not in self._raised_calls:
                self.calls.check(sub, live, noun)
        else:
            self.stores.check(sub, live, noun)

    def _raised_in_new_exception(self, raise_: cst.Raise, live: Set[str], noun: str, reason: str) -> bool:
        """``raise HTTPFailure(r)`` / ``raise E("failed", response=r)`` in the block: the
        object leaves in an exception made right there, which keeps it; the ``with`` closes it
        as the exception passes out. An unsafe fix whose one hazard is a handler reading the
        object the exception keeps (a response's body read before, ``r.json()`` in the
        constructor, stays readable; a stream does not). Only when the object itself (a
        tainted name) is a plain argument of the call and nothing else about the statement is
        an escape; the call is then no escape (``_raised_calls``), and the first such raise is
        the hazard (``raise_hazard``: placement takes it when no other hazard is found)."""
        call = raise_.exc
        if not isinstance(call, cst.Call) or self.taint.mentions(call.func, live):
            return False
        if raise_.cause is not None and self.taint.mentions(raise_.cause.item, live):
            return False
        for arg in call.args:
            if arg.star or not self.taint.mentions(arg.value, live):
                continue
            if not (self.taint.is_tainted_name(arg.value, live) or self.taint.eager(arg.value, live)):
                return False
        text = self.codemod.module.code_for_node(call.func)
        name = text if len(text) <= 60 and "\n" not in text else "the exception"
        self._raised_calls.add(id(call))
        if not self.raise_hazard:
            self.raise_hazard = (
                f"`{name}` keeps the {noun}, closed once the exception leaves the with block; safe unless a "
                f"handler reads what of it was not read before",
                reason,
            )
        return True

    def _returned_container(self, node: cst.CSTNode) -> bool:
        """``node`` is a container that is returned (``return {"session": s}``), directly or
        inside returned containers: the result holds what it holds."""
        while isinstance(node, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
            parent = self._parent(node)
            while isinstance(parent, (cst.Element, cst.DictElement, cst.StarredElement, cst.StarredDictElement)):
                parent = self._parent(parent)
            if isinstance(parent, cst.Return):
                return True
            node = parent
        return False

    def _check_generator(self, gen: cst.GeneratorExp, live: Set[str], noun: str) -> None:
        """A generator expression runs later, when it is iterated, except two parts:

        - its outermost iterable, evaluated at once in this scope: ``(b for b in r)`` holds
          ``iter(r)``, a value reading from the object (tainted like ``r.iter_content()``),
          whose own escapes are those of this scope. Only a mention elsewhere (the element,
          a condition, an inner ``for``) is a capture;
        - all of it when it is the only argument of a builtin that consumes it before it
          returns and keeps no reference to it (``list(...)``, ``"".join(...)``, ``sum(...)``):
          it runs inside the statement, so its body is checked here like any expression
          (names bound from iterating a tainted iterable are tainted inside it)."""
        if self.taint.consumed_at_once(gen):
            inner = set(live)
            for_in: Optional[cst.CompFor] = gen.for_in
            while for_in is not None:
                if self.taint.mentions(for_in.iter, inner) and not self.taint.elements_eager(for_in.iter, inner):
                    inner |= {n.value for n in walk(for_in.target) if isinstance(n, cst.Name)}
                for_in = for_in.inner_for_in
            for part in children(gen):
                for sub in walk_scope(part):
                    self._check_escape(sub, inner, noun)
            return
        later: List[cst.CSTNode] = [gen.elt, gen.for_in.target, *gen.for_in.ifs]
        if gen.for_in.inner_for_in is not None:
            later.append(gen.for_in.inner_for_in)
        if any(self._captured_in(part, live) for part in later):
            raise Unsafe(
                f"the {noun} is captured by a generator expression at {self.codemod.line_ref(gen)}; it "
                f"may be used after the with block"
            )
        for sub in walk_scope(gen.for_in.iter):
            self._check_escape(sub, live, noun)

    def _captured_in(self, nested: cst.CSTNode, live: Set[str]) -> bool:
        for sub in walk(nested):
            if isinstance(sub, cst.Name) and sub.value in live:
                parent = self._parent(sub)
                if isinstance(parent, cst.Attribute) and parent.attr is sub:
                    continue
                if isinstance(parent, cst.Arg) and parent.keyword is sub:
                    continue
                if not self.occurrences.local_to_nested(sub, self.scope):
                    return True
        return False
