"""A ``with`` that opens after the binding: ``with name:`` (``with contextlib.closing(name):``,
``async with name:``) placed later around the remaining uses, when the binding statement cannot
itself become the ``with`` header; everything before it runs as it did."""

from __future__ import annotations

from typing import Any, FrozenSet, List, Optional, Sequence, Tuple, Union

import libcst as cst
from libcst.metadata import ExpressionContext, ExpressionContextProvider

from ..calls import REQUESTS_VERBS
from ..tree import children, walk
from ..spec import Kind
from .escape import EscapeAnalysis, ends_by_leaving
from .model import NESTED_SCOPES, MetadataView, NameScope, Plan, Target, Unsafe


def _always_true(test: cst.BaseExpression) -> bool:
    return (isinstance(test, cst.Name) and test.value == "True") or (
        isinstance(test, cst.Integer) and test.value == "1"
    )


def _breaks_of(loop: cst.While) -> List[cst.Break]:
    """The ``break`` statements that leave ``loop`` (not those of loops inside it, nor of
    nested scopes; a nested loop's ``else`` belongs to ``loop``)."""
    found: List[cst.Break] = []
    stack: List[cst.CSTNode] = [loop.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Break):
            found.append(node)
            continue
        if isinstance(node, NESTED_SCOPES):
            continue
        if isinstance(node, (cst.For, cst.While)):
            if node.orelse is not None:
                stack.append(node.orelse)
            continue
        stack.extend(children(node))
    return found


class LaterWith(MetadataView):
    """Plans a ``with`` that opens after the binding, with the module's ``helpers``
    (``summaries.HelperSummaries``) shared by every analysis."""

    def __init__(self, codemod: Any, helpers: Any) -> None:
        super().__init__(codemod)
        self.helpers = helpers
        #: the use after the block that stopped the last plan's ``with`` in the binding's
        #: own block, past its exits (``_open_later``'s ``record``)
        self.used_after: Optional[Unsafe] = None

    def plan_after_binding(
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
        self.used_after = None
        if exc.exiting and exc.index is not None:
            found = self._open_later(
                target, block, stmts, index, index + 1, exc.index + 1, scope, name, frozenset({bound}), record=True
            )
            if isinstance(found, Plan):
                return found
            blocked = found
        every: FrozenSet[cst.CSTNode] = frozenset({bound})
        after_block = getattr(exc, "after_block", None) is not None
        while True:
            outer = (
                self._try_around(target, block, name)
                or self._if_around(target, block, name)
                or self._with_around(block)
                or self._loop_around(target, block, stmt, name)
            )
            if outer is None:
                return blocked
            compound, outer_block, bindings = outer
            every = every | frozenset(bindings)
            outer_stmts = list(outer_block.body)
            t = next(i for i, s in enumerate(outer_stmts) if s is compound)
            found = self._open_later(
                target, outer_block, outer_stmts, t, t, t + 1, scope, name, every, exit_reason=after_block
            )
            if isinstance(found, Plan):
                return found
            if found is None and t == len(outer_stmts) - 1 and isinstance(self._parent(outer_block), cst.Try):
                # Nothing after it here: the ``try`` whose body ends with it may have an
                # after (``try: try: r = open(q)`` / ``except E: ...`` / ``except F: ...``).
                block = outer_block
                continue
            return blocked or found

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
        exit_reason: bool = False,
        record: bool = False,
    ) -> Union[Plan, Unsafe, None]:
        """``with name:`` from ``stmts[open_at]`` (moved past each statement whose escapes
        leave the function), or the escape that blocks it, or None. ``exit_reason``: when
        the last statement leaves the function with the object, that escape is the reason
        (the binding's own report only said it is used after its block). ``record``: a use
        after the block that stops it is kept in ``used_after`` (for ``placement.py``'s
        report: the first escape, ``.raise_for_status()``, was not what stopped it)."""
        prefix_start = first if first > index else index
        exit_: Optional[Unsafe] = None
        # With ``record``, once more past the last statement: nothing is left to hold, but
        # the analysis still finds a use after the block.
        while open_at < len(stmts) or (record and open_at == len(stmts)):
            escapes = EscapeAnalysis(self.codemod, target, scope, None, helpers=self.helpers)
            try:
                end = escapes.extent(stmts, index, first, {name}, block, open_at=open_at)
            except Unsafe as exc:
                if exc.exiting and exc.index is not None and exc.index >= open_at:
                    open_at = exc.index + 1
                    exit_ = exc
                    continue
                if record and getattr(exc, "after_block", None) is not None:
                    self.used_after = exc
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
        if exit_ is not None and exit_reason:
            # After a compound, the last statement leaves the function with the object
            # (gradio: ``return StreamingResponse(...)`` of the client's streamed response):
            # no with can hold it, and that is the reason.
            return exit_
        return None

    def _try_around(
        self, target: Target, block: cst.CSTNode, name: str
    ) -> Optional[Tuple[cst.CSTNode, cst.CSTNode, List[cst.CSTNode]]]:
        """(the ``try`` whose body ``block`` is, the block holding it, the other bindings of
        ``name`` it makes) when every handler ends with ``return``/``raise`` or by binding
        ``name`` to an object like the target (``except TypeError: r = requests.get(u)``)."""
        owner = self._parent(block)
        if not isinstance(owner, cst.Try) or owner.body is not block:
            return None
        if not owner.handlers and not self._finally_lets_through(owner, name):
            return None
        bindings: List[cst.CSTNode] = []
        for handler in owner.handlers:
            if ends_by_leaving(handler.body):
                continue
            found = self._binds_on_every_way_on(target, handler.body, name)
            if found is None:
                return None
            bindings.extend(found)
        outer = self._parent(owner)
        if not isinstance(outer, (cst.IndentedBlock, cst.Module)):
            return None
        return owner, outer, bindings

    def _finally_lets_through(self, owner: cst.Try, name: str) -> bool:
        """A ``try`` with no handler (biopython's ``try: stream = Entrez.einfo()`` /
        ``finally: Entrez.api_key = cached``): the statement after it runs only when its body
        ran to the end, the binding included, when its ``finally`` cannot swallow the
        body's exception (no ``return``/``break``/``continue`` of its own) and does not
        rebind ``name``. (An ``else`` runs only after the body too.)"""
        final = owner.finalbody
        if final is None or self.binds(final, name):
            return False
        if owner.orelse is not None and self.binds(owner.orelse, name):
            return False
        for node in walk(final, prune=lambda n: isinstance(n, (*NESTED_SCOPES, cst.For, cst.While))):
            if isinstance(node, (cst.Return, cst.Break, cst.Continue)):
                return False
        for loop in walk(final, prune=lambda n: isinstance(n, NESTED_SCOPES)):
            if isinstance(loop, (cst.For, cst.While)):
                if any(isinstance(n, cst.Return) for n in walk(loop, prune=lambda n: isinstance(n, NESTED_SCOPES))):
                    return False
        return True

    def _binds_on_every_way_on(self, target: Target, body: cst.BaseSuite, name: str) -> Optional[List[cst.CSTNode]]:
        """The bindings of ``name`` (to objects like the target) through which every path
        that falls off the end of ``body`` goes: one of its top-level statements, or an
        ``if`` with an ``else`` each of whose branches binds so or ends with ``return``/
        ``raise`` (``if e.code <= 299: r = e`` / ``else: raise``); None when a path may fall
        through without one. (What follows a binding may not rebind the name: the caller's
        ``_open_later`` gives up on any other binding.)"""
        if not isinstance(body, cst.IndentedBlock):
            return None
        for stmt in body.body:
            found = self._alike_binding(target, stmt, name)
            if found is not None:
                return [found]
            if isinstance(stmt, cst.If):
                branches: List[cst.BaseSuite] = []
                node: Optional[cst.CSTNode] = stmt
                while isinstance(node, cst.If):
                    branches.append(node.body)
                    node = node.orelse
                if not isinstance(node, cst.Else):
                    continue
                branches.append(node.body)
                inner: List[cst.CSTNode] = []
                for branch in branches:
                    if ends_by_leaving(branch):
                        continue
                    more = self._binds_on_every_way_on(target, branch, name)
                    if more is None:
                        break
                    inner.extend(more)
                else:
                    if inner:
                        return inner
        return None

    def _if_around(
        self, target: Target, block: cst.CSTNode, name: str
    ) -> Optional[Tuple[cst.CSTNode, cst.CSTNode, List[cst.CSTNode]]]:
        """(the ``if`` one of whose branches ``block`` is, the block holding it, the bindings
        of ``name`` in its branches) when every branch, ``else`` included, binds ``name`` at
        its top level to an object like the target (``if opener: r = opener.open(q)`` /
        ``else: r = urlopen(q)``): after the ``if``, ``name`` is one of them."""
        top = self.if_of_branch(block)
        if top is None:
            return None
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

    def _with_around(self, block: cst.CSTNode) -> Optional[Tuple[cst.CSTNode, cst.CSTNode, List[cst.CSTNode]]]:
        """(the ``with`` whose body ``block`` is, the block holding it, no other bindings) when
        each of its items is a call of an HTTP library (a client, a response: their ``__exit__``
        never swallows an exception): whoever reaches the statement after it went through the
        whole body, the binding included (``async with ClientSession() as s:`` /
        ``r = await s.post(u)``, then ``r.json()`` after it)."""
        owner = self._parent(block)
        if not isinstance(owner, cst.With) or owner.body is not block:
            return None
        for item in owner.items:
            if not (isinstance(item.item, cst.Call) and self.resolver.classify(item.item) is not None):
                return None
        outer = self._parent(owner)
        if not isinstance(outer, (cst.IndentedBlock, cst.Module)):
            return None
        return owner, outer, []

    def _loop_around(
        self, target: Target, block: cst.CSTNode, stmt: cst.BaseStatement, name: str
    ) -> Optional[Tuple[cst.CSTNode, cst.CSTNode, List[cst.CSTNode]]]:
        """(the ``while True:`` around ``block``, the block holding it, the other bindings of
        ``name`` in it) when every ``break`` of that loop comes right after a binding of
        ``name`` to an object like the target (a retry loop: ``try: r = urlopen(u)`` /
        ``break`` / ``except HTTPError: ...``), or is all of the ``else`` of a ``try`` whose
        body ends with such a binding (``try: r = urlopen(u)`` / ``except ...`` / ``else:
        break``): the loop has no other way out to the statement
        after it, and a run that binds the name leaves the loop at once, so whoever reaches
        that statement has ``name`` bound to the one object it made. (A rebinding anywhere in
        the loop makes ``_open_later`` give up.)"""
        loop: Optional[cst.CSTNode] = self._parent(block)
        while loop is not None and not isinstance(loop, (cst.While, cst.For, cst.FunctionDef, cst.Lambda)):
            loop = self._parent(loop)
        if not isinstance(loop, cst.While) or loop.orelse is not None or not _always_true(loop.test):
            return None
        bindings: List[cst.CSTNode] = []
        breaks = _breaks_of(loop)
        if not breaks:
            return None
        for brk in breaks:
            line = self._parent(brk)
            holder = self._parent(line) if isinstance(line, cst.SimpleStatementLine) else None
            if not (isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1):
                return None
            if not isinstance(holder, cst.IndentedBlock):
                return None
            at = next(i for i, s in enumerate(holder.body) if s is line)
            before = holder.body[at - 1] if at > 0 else self._bound_by_try_body(holder)
            found = self._alike_binding(target, before, name) if before is not None else None
            if found is None:
                return None
            bindings.append(found)
        if not any(self._parent(self._parent(b)) is stmt.body[0] for b in bindings):  # type: ignore[union-attr]
            return None  # the binding we plan for is not one of them
        outer = self._parent(loop)
        if not isinstance(outer, (cst.IndentedBlock, cst.Module)):
            return None
        return loop, outer, bindings

    def _bound_by_try_body(self, holder: cst.IndentedBlock) -> Optional[cst.CSTNode]:
        """When ``holder`` is the ``else`` of a ``try`` (``try: r = urlopen(u)`` / ``except
        URLError: ...`` / ``else: break``: pytube), the last statement of that ``try``'s body:
        the ``else`` runs only when the body ran to its end, that statement included."""
        orelse = self._parent(holder)
        owner = self._parent(orelse) if isinstance(orelse, cst.Else) else None
        if not (isinstance(owner, cst.Try) and owner.orelse is orelse):
            return None
        body = owner.body
        if not (isinstance(body, cst.IndentedBlock) and body.body):
            return None
        return body.body[-1]

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
        if value is target.node:
            return assign.targets[0].target  # its own binding (its mode may have been changed: closing())
        if target.library == "urllib" and target.noun == "response" and self._caught_http_error(stmt, value):
            return assign.targets[0].target
        found = self.codemod.target_of(value)
        if found is not None and found.mode != target.mode and target.mocked:
            # The target is closed by ``contextlib.closing`` (a test may mock its factory):
            # the other binding's object is too when the project treats it so (query_pubmed's
            # ``Entrez.esearch`` in both branches), and no hazard comes with it that the
            # target's fix does not carry.
            if self.codemod.project_problem(found) is not None:
                return None
            if found.hazard and found.hazard != target.hazard:
                return None
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
                and (call.kind == Kind.FUNCTION or call.client_class == "requests.Session")
            ):
                return assign.targets[0].target
        return None

    def _caught_http_error(self, stmt: cst.CSTNode, value: cst.BaseExpression) -> bool:
        """``value`` is the name of the ``except urllib.error.HTTPError as e:`` around
        ``stmt`` (ecmwf-api-client: ``r = e``): an HTTPError is a urllib response (an
        ``addinfourl`` over the error's body), which ``with`` closes as it closes the one
        ``urlopen`` returns; nothing between the handler and ``stmt`` may rebind it."""
        if not isinstance(value, cst.Name):
            return False
        node = self._parent(stmt)
        while node is not None and not isinstance(node, (cst.ExceptHandler, *NESTED_SCOPES)):
            node = self._parent(node)
        if not isinstance(node, cst.ExceptHandler) or node.type is None or node.name is None:
            return False
        if not (isinstance(node.name.name, cst.Name) and node.name.name.value == value.value):
            return False
        if self.binds(node.body, value.value):
            return False
        return bool(self.resolver.resolves_to(node.type, ["urllib.error.HTTPError"]))

    def _rebinds(self, name: str, stmts: Sequence[cst.CSTNode], skip: FrozenSet[cst.CSTNode]) -> bool:
        return self.binds(stmts, name, skip)

    def check_not_rebound(self, name: str, stmts: Sequence[cst.CSTNode], noun: str) -> None:
        for stmt in stmts:
            for sub in walk(stmt):
                if isinstance(sub, cst.Name) and sub.value == name:
                    ctx = self.get_metadata(ExpressionContextProvider, sub, None)
                    if ctx in (ExpressionContext.STORE, ExpressionContext.DEL):
                        raise Unsafe(f"`{name}` is rebound before the {noun} could be closed in a finally")
