"""A ``with`` whose block rebinds the name it holds (you-get ``icourses.py``: ``response =
urlopen(urls[0])`` / ``while True:`` / ``out.append(response.read(size))`` / ...
``response = urlopen(urls[len(out)])``). Before, the rebinding dropped the first response,
and so closed it (its connection); the ``with`` holds it, half read and open, until its block
ends: the same hazard as the rebinding's own ``ExitStack`` around a loop (``stack.py``).

No hazard where the first response is done when the name is rebound: read to its end
(``r.read()``, ``r.content``, ``r.json()``) or closed by a statement that runs before the
rebinding on every path to it (one of the statements before it in its block, or in a block
around it); the rebinding in the body of ``if not data:`` where ``data = r.read(16)`` came
before (the empty chunk is the end of the body); the rebinding's own value reading it to its
end (``handle = BytesIO(handle.read())``); or a rebinding that is the block's last statement
(its last in an ``if``/``else``/``with`` that is), after which nothing runs before the close.
"""

from __future__ import annotations

from typing import Iterator, List, Optional, Sequence, Set, Tuple

import libcst as cst

from ..tree import walk
from .model import NESTED_SCOPES, MetadataView, Target

#: Methods that, called with no argument, read a response to its end or close it.
_FINISHING_METHODS = frozenset({"read", "readlines", "json", "close", "aread", "aclose", "release"})
#: Attributes whose value is the whole body (requests, httpx).
_FINISHING_ATTRS = frozenset({"content", "text"})
#: Methods that read a chunk: an empty one is the end of the body.
_CHUNK_METHODS = frozenset({"read", "read1", "readline"})

_LOCAL_SCOPES = NESTED_SCOPES + (cst.ListComp, cst.SetComp, cst.DictComp)
_LOOPS = (cst.For, cst.While)


def _pruned(node: cst.CSTNode) -> bool:
    return isinstance(node, _LOCAL_SCOPES)


def _method_call(node: cst.CSTNode, name: str) -> Optional[str]:
    """``m`` of ``name.m(...)``, else None."""
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and isinstance(node.func.value, cst.Name)
        and node.func.value.value == name
    ):
        return node.func.attr.value
    return None


def _unconditional(stmt: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The nodes of ``stmt`` that run whenever it does: not those of a nested scope, nor a
    branch of ``a if c else b`` (its test runs), nor what follows ``and``/``or`` (``left``)."""
    for node in walk(stmt, lambda n: _pruned(n) or isinstance(n, (cst.IfExp, cst.BooleanOperation))):
        yield node
        if isinstance(node, cst.IfExp):
            yield from _unconditional(node.test)
        elif isinstance(node, cst.BooleanOperation):
            yield from _unconditional(node.left)


def _finishes(stmt: cst.CSTNode, name: str) -> bool:
    """``stmt`` is a simple statement line that reads ``name`` to its end or closes it (on
    every path through it: ``_unconditional``)."""
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    for node in _unconditional(stmt):
        method = _method_call(node, name)
        if method in _FINISHING_METHODS and isinstance(node, cst.Call) and not node.args:
            return True
        if (
            isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and node.value.value == name
            and node.attr.value in _FINISHING_ATTRS
        ):
            return True
    return False


def _empty_names(test: cst.BaseExpression) -> Set[str]:
    """The names ``test`` is true only when empty (or zero): ``not data``, ``data == b""``,
    ``len(data) == 0``, ``not len(data)``."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = test.expression
        if isinstance(inner, cst.Name):
            return {inner.value}
        length = _len_of(inner)
        return {length} if length is not None else set()
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        if not isinstance(target.operator, (cst.Equal, cst.Is)):
            return set()
        left, right = test.left, target.comparator
        if isinstance(left, cst.Name) and isinstance(right, cst.SimpleString) and right.evaluated_value in ("", b""):
            return {left.value}
        length = _len_of(left)
        if length is not None and isinstance(right, cst.Integer) and right.evaluated_value == 0:
            return {length}
    return set()


def _len_of(node: cst.BaseExpression) -> Optional[str]:
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value == "len"
        and len(node.args) == 1
        and isinstance(node.args[0].value, cst.Name)
    ):
        return node.args[0].value.value
    return None


class Rebinding(MetadataView):
    """Whether a ``with`` over ``name`` (its block ``stmts``) holds the response past a
    rebinding of ``name`` that, before, dropped (and closed) it while it may be unread."""

    def hazard(self, target: Target, stmts: Sequence[cst.BaseStatement], name: str) -> Optional[Tuple[str, str]]:
        """(hazard, the report's reason) for the first such rebinding in ``stmts``, or None."""
        if target.noun != "response":
            return None
        for stmt in stmts:
            for node in walk(stmt, _pruned):
                if not (isinstance(node, cst.Name) and node.value == name and self.binds(node, name, handlers=True)):
                    continue
                if self._done_before(node, stmts, name) or self._last(node, stmts):
                    continue
                where = self.codemod.line_ref(node)
                noun = target.noun
                hazard = (
                    f"the first {noun} stays open until the with block ends (before, it was closed when `{name}` "
                    "was rebound)"
                )
                if self._in_loop(node, stmts):
                    hazard += "; right for a retry loop of a few rounds, not for one that pages through many"
                reason = (
                    f"`{name}` is rebound at {where} before the {noun} is known to be read to its end or closed; "
                    f"a with here would keep the {noun} open until its block ends"
                )
                return hazard, reason
        return None

    def _statement(self, node: cst.CSTNode) -> cst.CSTNode:
        """The statement of a block (or of ``stmts``) that ``node`` is in."""
        current = node
        while not isinstance(current, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            parent = self._parent(current)
            if parent is None:
                return current
            current = parent
        return current

    def _done_before(self, node: cst.Name, stmts: Sequence[cst.BaseStatement], name: str) -> bool:
        """The response is read to its end, closed, or already another object, by a statement
        that runs before the rebinding ``node`` on every path to it (within ``stmts``)."""
        current = self._statement(node)
        if _finishes(current, name):
            return True  # ``handle = BytesIO(handle.read())``: read before it is stored
        empty: Set[str] = set()  # names an ``if`` around the rebinding proves empty
        while True:
            body = self._block_of(current, stmts)
            if body is None:
                return False
            at = next(i for i, st in enumerate(body) if st is current)
            for before in reversed(body[:at]):
                if _finishes(before, name):
                    return True
                if isinstance(before, cst.SimpleStatementLine) and self.binds(before, name):
                    return True  # the name holds another object by now
                for chunk in sorted(empty):
                    if self._chunk_read(before, chunk, name):
                        return True
                    if self.binds(before, chunk):
                        empty.discard(chunk)
            if any(st is current for st in stmts):
                return False
            current, guards = self._enclosing(current)
            if current is None:
                return False
            empty |= guards

    def _block_of(self, stmt: cst.CSTNode, stmts: Sequence[cst.BaseStatement]) -> Optional[List[cst.CSTNode]]:
        if any(st is stmt for st in stmts):
            return list(stmts)
        parent = self._parent(stmt)
        if isinstance(parent, cst.IndentedBlock):
            return list(parent.body)
        return None

    def _enclosing(self, stmt: cst.CSTNode) -> Tuple[Optional[cst.CSTNode], Set[str]]:
        """The statement whose block holds ``stmt``, and the names proven empty there (the
        test of an ``if`` whose body it is)."""
        block = self._parent(stmt)
        guards: Set[str] = set()
        node = self._parent(block) if block is not None else None
        if isinstance(node, cst.If) and node.body is block:
            guards = _empty_names(node.test)
        while node is not None and not (
            isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
            and isinstance(self._parent(node), (cst.IndentedBlock, cst.Module))
        ):
            if isinstance(node, _LOCAL_SCOPES):
                return None, guards
            node = self._parent(node)
        return node, guards

    @staticmethod
    def _chunk_read(stmt: cst.CSTNode, chunk: str, name: str) -> bool:
        """``stmt`` is ``chunk = name.read(n)`` (``read1``, ``readline``)."""
        if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
            return False
        small = stmt.body[0]
        return (
            isinstance(small, cst.Assign)
            and len(small.targets) == 1
            and isinstance(small.targets[0].target, cst.Name)
            and small.targets[0].target.value == chunk
            and _method_call(small.value, name) in _CHUNK_METHODS
        )

    def _last(self, node: cst.Name, stmts: Sequence[cst.BaseStatement]) -> bool:
        """The rebinding is the last statement of ``stmts``, or the last of a branch of an
        ``if`` (of a ``with``) that is: nothing runs after it before the block closes. Never
        one in a compound statement's header (``for r in ...``, ``with ... as r``, ``while (r :=
        ...)``): its body runs after it."""
        current = self._statement(node)
        if isinstance(current, cst.BaseCompoundStatement):
            return False
        while True:
            if any(st is current for st in stmts):
                return current is stmts[-1]
            block = self._parent(current)
            if not isinstance(block, cst.IndentedBlock) or block.body[-1] is not current:
                return False
            owner = self._parent(block)
            if isinstance(owner, cst.Else):
                owner = self._parent(owner)
            while isinstance(owner, cst.If) and isinstance(self._parent(owner), cst.If):
                owner = self._parent(owner)  # an ``elif``: the ``if`` it belongs to
            if not isinstance(owner, (cst.If, cst.With)):
                return False
            current = owner

    def _in_loop(self, node: cst.CSTNode, stmts: Sequence[cst.BaseStatement]) -> bool:
        current = self._parent(node)
        while current is not None and not any(st is current for st in stmts):
            if isinstance(current, _LOOPS):
                return True
            current = self._parent(current)
        return isinstance(current, _LOOPS)
