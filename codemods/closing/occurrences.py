"""Occurrences: where else a tainted name is mentioned in its scope (after the block, in
another branch, captured by a nested scope, declared ``global``/``nonlocal``), and whether that
can still be the object the ``with`` closes."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set, Tuple

import libcst as cst
from libcst.metadata import ExpressionContext, ExpressionContextProvider, ScopeProvider
from libcst.metadata.scope_provider import ClassScope

from ..tree import children, walk
from .model import NESTED_SCOPE_KIND, NESTED_SCOPES, MetadataView, NameScope, Unsafe

_LOOPS = (cst.For, cst.While)


def captured_reason(codemod: Any, noun: str, nested: cst.CSTNode, names: Set[str]) -> str:
    """The report of an object of ``names`` captured by ``nested``: when ``nested`` is a
    function that closes it (``async def _close(upstream=upstream, client=client): await
    client.aclose()``, handed to ``BackgroundTask``: gradio), say that its close is handed on,
    which no with can hold."""
    kind = NESTED_SCOPE_KIND[type(nested)]
    where = codemod.line_ref(nested)
    if isinstance(nested, cst.FunctionDef):
        bound = set(names)
        for param in [*nested.params.params, *nested.params.kwonly_params]:
            default = param.default
            if default is not None and any(isinstance(n, cst.Name) and n.value in names for n in walk(default)):
                bound.add(param.name.value)
        for sub in walk(nested.body):
            if (
                isinstance(sub, cst.Call)
                and isinstance(sub.func, cst.Attribute)
                and sub.func.attr.value in ("close", "aclose")
                and isinstance(sub.func.value, cst.Name)
                and sub.func.value.value in bound
            ):
                return (
                    f"the {noun} is captured by {kind} at {where}, `{nested.name.value}`, which closes it: its "
                    f"close is handed to whatever calls `{nested.name.value}` (a callback, a background task), "
                    f"after a with block here would end; close it by hand on the paths that do not get there"
                )
    return f"the {noun} is captured by {kind} at {where}; it may be used after the with block"


def ends_by_leaving(body: cst.BaseSuite) -> bool:
    """A handler body whose last statement is ``return`` or ``raise``: it never falls through."""
    stmts = body.body if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)) else []
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, cst.SimpleStatementLine):
        last = last.body[-1]
    return isinstance(last, (cst.Return, cst.Raise))


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
        settled: Optional[Dict[str, int]] = None,
    ) -> None:
        """Raise Unsafe for an occurrence of ``names`` that may still be the object after the
        ``with`` (``stmts[index : last + 1]`` of ``block``). ``kills``: the first plain
        rebinding of each name at the top level of ``block``; ``settled``: those the analysis
        never made the object again, which end its life for the code after ``block`` too
        (``_rebound_on_every_path``)."""
        inside = stmts[index : last + 1]
        stmt = stmts[index]
        in_loop = self._in_loop(stmt, scope)
        loop_start = self._outermost_loop_start(stmt, scope)
        facts = (inside, kills, settled or {}, loop_start, in_loop)
        for name in sorted(names):  # the same reason on every run
            for occurrence in scope.names.get(name, ()):
                owner, nested = self._owner(occurrence, scope, block)
                if nested is not None:
                    if self.local_to_nested(occurrence, scope):
                        continue
                    raise Unsafe(captured_reason(self.codemod, noun, nested, names))
                if not self._may_be_object(occurrence, owner, name, names, scope, block, stmts, index, facts):
                    continue
                # A factory (``return r`` after an ``if``/``try``/loop that binds it) says so.
                for other in scope.names.get(name, ()):
                    parent = self._parent(other)
                    if not (isinstance(parent, cst.Return) and parent.value is other):
                        continue
                    at, inner = self._owner(other, scope, block)
                    if inner is None and self._may_be_object(other, at, name, names, scope, block, stmts, index, facts):
                        raise Unsafe(
                            f"the {noun} is returned at {self.codemod.line_ref(other)}, after the end of the "
                            f"block that binds it; the caller may still use it"
                        )
                after = Unsafe(
                    f"`{name}` is used after the end of its block (at "
                    f"{self.codemod.line_ref(occurrence)}); the {noun} cannot be closed there"
                )
                after.after_block = occurrence  # type: ignore[attr-defined]  # placement.py lifts it
                raise after

    def _may_be_object(
        self,
        occurrence: cst.CSTNode,
        owner: Optional[cst.CSTNode],
        name: str,
        names: Set[str],
        scope: NameScope,
        block: cst.CSTNode,
        stmts: List[cst.BaseStatement],
        index: int,
        facts: Tuple[List[cst.BaseStatement], Dict[str, int], Dict[str, int], Tuple[int, int], bool],
    ) -> bool:
        """``occurrence`` (not in a nested scope; ``owner``: its statement of ``block``) may
        read the object after the ``with``; ``facts``: (the statements the with holds, the
        kills, the settled kills, where the outermost loop around the binding starts,
        whether one is around it)."""
        inside, kills, settled, loop_start, in_loop = facts
        if owner is not None and any(owner is s for s in inside):
            return False
        ctx = self.get_metadata(ExpressionContextProvider, occurrence, None)
        if ctx is ExpressionContext.STORE and not isinstance(self._parent(occurrence), cst.AugAssign):
            return False
        if ctx is ExpressionContext.DEL:
            return False
        kill = kills.get(name)
        if owner is not None and kill is not None and any(owner is s for s in stmts[kill:]):
            return False
        if (
            owner is None
            and name in settled
            and self._rebound_on_every_path(occurrence, scope, block, stmts, index, settled[name])
        ):
            return False
        if isinstance(occurrence, cst.Name) and self.taint.shadowed(occurrence, names):
            return False
        if self.position(occurrence) < loop_start:
            return False  # before the binding, and outside every loop that repeats it
        if not in_loop and self._other_branch(occurrence, stmts[index], scope):
            return False
        if in_loop and self._rebound_first_in_its_block(occurrence, name, names, stmts[index], scope):
            return False
        return True

    def _rebound_first_in_its_block(
        self, occurrence: cst.CSTNode, name: str, names: Set[str], held: cst.CSTNode, scope: NameScope
    ) -> bool:
        """A later run of a loop reaches ``occurrence`` only past a rebinding of its name: a
        block around it (inside the function) has, before the statement holding it, a plain
        ``name = <value>`` (the value not read from the object) or an ``if`` each of whose
        branches, ``else`` included, ends up so (you-get: ``if timeout: response = urlopen(...)``
        / ``else: response = urlopen(...)``, then ``response.headers``); ``held`` (the
        statement the ``with`` holds, the object's binding in it) is neither that rebinding
        nor between it and the occurrence. A block is entered at its top, so whoever gets from
        ``held`` to the occurrence runs the rebinding (a branch that does not bind it leaves
        the block: it must end with ``return``/``raise``/``break``/``continue``)."""
        child, node = occurrence, self._parent(occurrence)
        while node is not None and node is not scope.root:
            if isinstance(node, NESTED_SCOPES):
                return False
            if isinstance(node, cst.IndentedBlock):
                body = list(node.body)
                k = next((i for i, st in enumerate(body) if st is child), None)
                if k is not None:
                    for j in range(k - 1, -1, -1):
                        if any(self._within(held, st) for st in body[j : k + 1]):
                            break
                        if self._plain_rebinding(body[j], name, names) or self._rebound_in_every_branch(
                            body[j], name, names
                        ):
                            return True
            child, node = node, self._parent(node)
        return False

    def _plain_rebinding(self, stmt: cst.CSTNode, name: str, names: Set[str]) -> bool:
        if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
            return False
        small = stmt.body[0]
        if not isinstance(small, cst.Assign) or self.taint.mentions(small.value, names):
            return False
        return any(isinstance(t.target, cst.Name) and t.target.value == name for t in small.targets)

    def _rebound_in_every_branch(self, stmt: cst.CSTNode, name: str, names: Set[str]) -> bool:
        if not isinstance(stmt, cst.If):
            return False
        branch: Optional[cst.CSTNode] = stmt
        while branch is not None:
            body = branch.body
            if not isinstance(body, cst.IndentedBlock):
                return False
            rebinds = [i for i, st in enumerate(body.body) if self._plain_rebinding(st, name, names)]
            if not rebinds and not ends_by_leaving(body):
                return False
            if rebinds and self.binds(body.body[rebinds[-1] + 1 :], name):
                return False  # bound again after it (perhaps to the object)
            if isinstance(branch, cst.If) and branch.orelse is None:
                return False
            branch = branch.orelse if isinstance(branch, cst.If) else None
        return True

    def _rebound_on_every_path(
        self,
        occurrence: cst.CSTNode,
        scope: NameScope,
        block: cst.CSTNode,
        stmts: List[cst.BaseStatement],
        index: int,
        kill: int,
    ) -> bool:
        """``occurrence`` (outside ``block``) is reached from the binding (in ``stmts[index]``)
        only through ``stmts[kill]``, the plain rebinding of its name at the top level of
        ``block``: a path that falls off the end of ``block`` runs it; the others leave
        ``block`` abruptly from ``stmts[index : kill + 1]``, and none may get there:

        * no ``break``/``continue`` there leaves ``block`` (it would skip the rebinding and go
          on after, or at the top of, an enclosing loop);
        * a ``return`` or an exception leaves the function, unless a ``try`` around ``block``
          catches it: every handler of such a ``try`` must end with ``return``/``raise``, and
          neither a handler nor a ``finally`` it runs may hold ``occurrence`` (or cancel the
          exit with ``return``/``break``/``continue``); no ``with`` around ``block`` (its
          context manager may swallow the exception), no ``try``/``except*``.
        """
        if any(self._jumps_out(stmt) for stmt in stmts[index : kill + 1]):
            return False
        child, node = block, self._parent(block)
        while node is not None and node is not scope.root:
            if isinstance(node, (cst.With, cst.TryStar)):
                return False
            if isinstance(node, cst.Try):
                if child is node.body:
                    for handler in node.handlers:
                        if not ends_by_leaving(handler.body) or self._within(occurrence, handler):
                            return False
                if node.finalbody is not None and child is not node.finalbody:
                    if self._within(occurrence, node.finalbody):
                        return False
                    if any(isinstance(n, (cst.Return, cst.Break, cst.Continue)) for n in walk(node.finalbody)):
                        return False
            child, node = node, self._parent(node)
        return True

    def _within(self, node: cst.CSTNode, ancestor: cst.CSTNode) -> bool:
        current: Optional[cst.CSTNode] = node
        while current is not None:
            if current is ancestor:
                return True
            current = self._parent(current)
        return False

    @staticmethod
    def _jumps_out(stmt: cst.CSTNode) -> bool:
        """``stmt`` holds a ``break``/``continue`` that leaves it: one outside every loop body
        inside it (a loop's ``else`` is not its body), outside nested scopes."""
        stack: List[cst.CSTNode] = [stmt]
        while stack:
            node = stack.pop()
            if isinstance(node, (cst.Break, cst.Continue)):
                return True
            if isinstance(node, NESTED_SCOPES):
                continue
            if isinstance(node, _LOOPS):
                if node.orelse is not None:
                    stack.append(node.orelse)
                continue
            stack.extend(children(node))
        return False

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
        via_iter = False  # ``child`` is the iterable of the ``for`` clause ``node``
        child, node = occurrence, self._parent(occurrence)
        while node is not None:
            if isinstance(node, cst.GeneratorExp) and (
                (via_iter and child is node.for_in) or self.taint.consumed_at_once(node)
            ):
                pass  # evaluated here and now (``escape._check_generator``): no capture
            elif isinstance(node, NESTED_SCOPES) and node is not scope.root and nested is None:
                nested = node
            via_iter = isinstance(node, cst.CompFor) and child is node.iter
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
