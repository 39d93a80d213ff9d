"""Taint: which names may refer to the object a target opened, and which values cannot.

From the binding, the *tainted* names are the name and every name assigned from an expression
that may keep a reference to a tainted object (``raw = r.raw``, ``lines = r.iter_lines()``,
``reader = csv.reader(f)``). An expression is *eager* when its value cannot refer to a tainted
object (``r.json()``, ``r.status_code``, ``list(lines)``): names assigned from eager
expressions are not tainted. The vocabulary is in ``eager.py``.
"""

from __future__ import annotations

from typing import Any, FrozenSet, Iterable, Optional, Set

import libcst as cst
from libcst.metadata import ExpressionContext, ExpressionContextProvider

from ..tree import children, name_assignment, walk
from .eager import (
    ALL_METHODS_ARE_COROUTINES,
    CONSUMER_METHODS,
    COROUTINE_METHODS,
    EAGER_ATTRS,
    EAGER_FUNCTIONS,
    EAGER_METHODS,
    ELEMENT_EAGER_METHODS,
    LAZY_ATTRS_BY_LIBRARY,
    LOADING_METHODS,
    PASS_THROUGH_FUNCTIONS,
    READ_RESPONSE_METHODS,
)
from .model import NESTED_SCOPES, MetadataView, NameScope
from .reads import reads_response

_EAGER_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp)

#: Builtins that iterate their only argument before they return and keep no reference to it
#: (``next`` is no such: the rest of the iterator stays with the caller).
_CONSUMING_BUILTINS = frozenset(
    "builtins." + n
    for n in ("list", "tuple", "set", "frozenset", "dict", "sorted", "sum", "min", "max", "any", "all", "bytes")
)


def walk_scope(node: cst.CSTNode) -> Iterable[cst.CSTNode]:
    """Like ``walk``, but yields nested scopes (functions, lambdas, classes, generator
    expressions) without descending into them."""
    return walk(node, prune=lambda n: isinstance(n, NESTED_SCOPES))


class Taint(MetadataView):
    """Taint questions about one target, over explicit inputs: the target's ``library``
    (aiohttp's ``resp.content`` is a stream, elsewhere data), the ``hoisted_node`` (a target
    used inline, which counts as tainted wherever it appears) and the ``scope`` analysed."""

    def __init__(
        self,
        codemod: Any,
        library: str,
        hoisted_node: Optional[cst.CSTNode],
        scope: NameScope,
        client_class: Optional[str] = None,
        roots: FrozenSet[str] = frozenset(),
        helpers: Any = None,
    ) -> None:
        super().__init__(codemod)
        self.library = library
        self.hoisted_node = hoisted_node
        self.scope = scope
        #: When the target is a client: its class, and the names bound to the client itself
        #: (and to nothing else in the scope), whose request methods are known.
        self.client_class = client_class
        self.roots = roots
        #: Summaries of the module's own functions (``summaries.HelperSummaries``), or None.
        self.helpers = helpers
        #: What the target opens ("response" or "client"): the summaries of helpers differ.
        self.noun = "client" if client_class is not None else "response"
        #: The statement holding the target (``shadowed`` needs it), or None: no shadowing.
        self.origin: Optional[cst.CSTNode] = None
        #: ``EscapeAnalysis.holds_in_result``: the ``self`` of a holder class's method, and
        #: its attributes read as plain data (``self.base``).
        self.holder = ""
        self.holder_plain: FrozenSet[str] = frozenset()
        self._shadowed: dict = {}
        #: ``placement._responses_outlive_session``: a request of a ``requests.Session``
        #: itself counts as eager, streamed too; ``streamed``: such calls found streamed.
        self.streams_outlive = False
        self.streamed: list = []

    def is_tainted_name(self, node: cst.CSTNode, live: Set[str]) -> bool:
        if node is self.hoisted_node:
            return True
        return isinstance(node, cst.Name) and node.value in live

    def mentions(self, node: cst.CSTNode, live: Set[str]) -> bool:
        """Whether ``node`` reads a tainted name (anywhere inside, nested scopes included)."""
        stack = [node]
        while stack:
            current = stack.pop()
            if current is self.hoisted_node:
                return True
            if isinstance(current, cst.Name):
                if current.value in live:
                    ctx = self.get_metadata(ExpressionContextProvider, current, None)
                    if ctx is not ExpressionContext.STORE or isinstance(self._parent(current), cst.AugAssign):
                        if not self.shadowed(current, live):
                            return True
                continue
            if isinstance(current, cst.Attribute):
                stack.append(current.value)
                continue
            if isinstance(current, cst.Arg):
                stack.append(current.value)
                continue
            stack.extend(children(current))
        return False

    def shadowed(self, name: cst.Name, live: Set[str]) -> bool:
        """``name`` (read somewhere in the scope) cannot be the target's object there: in a
        block around it, an earlier statement of the same block rebinds it to a value that
        does not refer to the object (``handle = urlopen(b)`` in a loop body before the
        ``handle.read()`` there; ``resp = {...}`` at the top of an ``except``), and no
        statement between them binds it again or holds the target. Within one run of that
        block the rebinding runs before the read, loops included."""
        if self.origin is None:
            return False
        key = (name, frozenset(live))
        found = self._shadowed.get(key)
        if found is None:
            found = self._shadowed[key] = self._compute_shadowed(name, live)
        return found

    def _compute_shadowed(self, name: cst.Name, live: Set[str]) -> bool:
        child: cst.CSTNode = name
        node = self._parent(name)
        while node is not None and node is not self.scope.root:
            if isinstance(node, (cst.IndentedBlock, cst.Module)):
                state = None  # None: nothing binds it before ``child`` in this block
                for sibling in node.body:
                    if sibling is child:
                        break
                    if self._holds_origin(sibling):
                        state = False
                    elif self._rebinds_fresh(sibling, name.value, live):
                        state = True
                    elif self._binds(sibling, name.value):
                        state = False
                if state is not None:
                    return state
            if isinstance(node, NESTED_SCOPES):
                return False
            if isinstance(node, (cst.For, cst.While)) and (self._holds_origin(node) or self._binds(node, name.value)):
                # A later iteration may see what an earlier one bound (the target included).
                return False
            child, node = node, self._parent(node)
        return False

    def _holds_origin(self, stmt: cst.CSTNode) -> bool:
        current: Optional[cst.CSTNode] = self.origin
        while current is not None:
            if current is stmt:
                return True
            current = self._parent(current)
        return False

    def _binds(self, stmt: cst.CSTNode, name: str) -> bool:
        return self.binds(stmt, name, handlers=True)

    def _rebinds_fresh(self, stmt: cst.CSTNode, name: str, live: Set[str]) -> bool:
        found = name_assignment(stmt)
        if found is None or found[0] != name:
            return False
        small = found[1]
        return not self.mentions(small.value, live) or self.eager(small.value, live)

    def derived_in(self, stmt: cst.CSTNode, live: Set[str]) -> Set[str]:
        """Names a statement binds to values that may refer to a tainted object."""
        found: Set[str] = set()

        def bind(target: cst.CSTNode) -> None:
            for sub in walk(target):
                if isinstance(sub, cst.Name):
                    ctx = self.get_metadata(ExpressionContextProvider, sub, None)
                    if ctx is ExpressionContext.STORE:
                        found.add(sub.value)

        for sub in walk_scope(stmt):
            if isinstance(sub, NESTED_SCOPES) and sub is not stmt:
                continue
            if isinstance(sub, cst.Assign):
                if self.mentions(sub.value, live) and not self.eager(sub.value, live):
                    for t in sub.targets:
                        bind(t.target)
            elif isinstance(sub, (cst.AnnAssign, cst.AugAssign)) and sub.value is not None:
                if self.mentions(sub.value, live) and not self.eager(sub.value, live):
                    bind(sub.target)
            elif isinstance(sub, cst.NamedExpr):
                if self.mentions(sub.value, live) and not self.eager(sub.value, live):
                    bind(sub.target)
            elif isinstance(sub, cst.For):
                if self.mentions(sub.iter, live) and not self.elements_eager(sub.iter, live):
                    bind(sub.target)
            elif isinstance(sub, cst.WithItem):
                if sub.asname is not None and self.mentions(sub.item, live) and not self.eager(sub.item, live):
                    bind(sub.asname.name)
            elif isinstance(sub, cst.Match):
                if self.mentions(sub.subject, live):
                    for case in sub.cases:
                        bind(case.pattern)
                        # Capture names are bindings too (no STORE context in libcst).
                        for part in walk(case.pattern):
                            if isinstance(part, (cst.MatchAs, cst.MatchStar)) and part.name is not None:
                                found.add(part.name.value)
                            elif isinstance(part, cst.MatchMapping) and part.rest is not None:
                                found.add(part.rest.value)
            elif isinstance(sub, cst.ExceptHandler):
                pass
        return found

    def elements_eager(self, iterable: cst.BaseExpression, live: Set[str]) -> bool:
        """Iterating ``iterable`` yields plain data (bytes, str, lines)."""
        if self.is_tainted_name(iterable, live):
            return True
        if isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Attribute):
            if iterable.func.attr.value in ELEMENT_EAGER_METHODS and self.is_tainted_name(iterable.func.value, live):
                return True
        if isinstance(iterable, cst.GeneratorExp):
            return self._comprehension_eager(iterable, live)  # ``sum(len(b) for b in r)``
        if (
            isinstance(iterable, cst.Attribute)
            and iterable.attr.value == "content"
            and self.is_tainted_name(iterable.value, live)
        ):
            return True  # aiohttp ``async for line in resp.content``
        if (
            isinstance(iterable, cst.Call)
            and self.helpers is not None
            and self.helpers.yields_data(self, iterable, live)
        ):
            return True  # ``self._iter_stream(r)``: a generator of this module yielding data read from it
        return self.eager(iterable, live)

    def consumed_at_once(self, gen: cst.GeneratorExp) -> bool:
        """``gen`` is the only argument of a call that iterates it to the end (or stops
        early and drops it) before it returns, and keeps no reference to it."""
        if gen.for_in.asynchronous is not None or any(isinstance(n, cst.Await) for n in walk(gen)):
            return False  # an async generator: no builtin iterates it
        arg = self._parent(gen)
        if not (isinstance(arg, cst.Arg) and arg.keyword is None and not arg.star):
            return False
        call = self._parent(arg)
        if not (isinstance(call, cst.Call) and len(call.args) == 1):
            return False
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "join":
            return isinstance(func.value, (cst.SimpleString, cst.ConcatenatedString))
        return bool(self.qualified(func) & _CONSUMING_BUILTINS)

    def qualified(self, func: cst.CSTNode) -> Set[str]:
        return self.resolver.imported_names(func, builtins=True)

    def eager(self, expr: cst.CSTNode, live: Set[str], awaited: bool = False) -> bool:
        """``expr``'s value cannot hold a reference to a tainted object (``awaited``: ``expr``
        is the operand of ``await``, so a coroutine it returns is run at once)."""
        if not self.mentions(expr, live):
            return True
        if self.is_tainted_name(expr, live):
            return False
        if isinstance(expr, cst.Attribute):
            attr = expr.attr.value
            if self.holder and isinstance(expr.value, cst.Name) and expr.value.value == self.holder:
                if attr in self.holder_plain:
                    return True
            if attr in LAZY_ATTRS_BY_LIBRARY.get(self.library, ()):
                return False
            if attr in EAGER_ATTRS:
                return True
            return self.eager(expr.value, live)
        if isinstance(expr, cst.Call):
            return self._call_eager(expr, live, awaited)
        if isinstance(expr, cst.Await):
            return self.eager(expr.expression, live, awaited=True)
        if isinstance(expr, cst.Subscript):
            return self.eager(expr.value, live) and all(
                self.eager(el.slice.value, live) for el in expr.slice if isinstance(el.slice, cst.Index)
            )
        if isinstance(expr, (cst.Comparison, cst.FormattedString, cst.ConcatenatedString, cst.SimpleString)):
            return True
        if isinstance(expr, cst.UnaryOperation):
            return isinstance(expr.operator, cst.Not) or self.eager(expr.expression, live)
        if (
            isinstance(expr, cst.BinaryOperation)
            and isinstance(expr.operator, cst.Modulo)
            and isinstance(expr.left, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString))
        ):
            return True  # ``"error: %s" % (r,)``: a new string, as ``str(r)`` is
        if isinstance(expr, (cst.BinaryOperation, cst.BooleanOperation)):
            return self.eager(expr.left, live) and self.eager(expr.right, live)
        if isinstance(expr, cst.IfExp):
            return self.eager(expr.body, live) and self.eager(expr.orelse, live)
        if isinstance(expr, cst.NamedExpr):
            return self.eager(expr.value, live)
        if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
            return all(not isinstance(e, cst.StarredElement) and self.eager(e.value, live) for e in expr.elements)
        if isinstance(expr, cst.Dict):
            return all(
                isinstance(e, cst.DictElement) and self.eager(e.key, live) and self.eager(e.value, live)
                for e in expr.elements
            )
        if isinstance(expr, _EAGER_COMPREHENSIONS):
            return self._comprehension_eager(expr, live)
        return False

    def _call_eager(self, call: cst.Call, live: Set[str], awaited: bool) -> bool:
        """A call's result: a method of a tainted object is eager when listed (and not a
        coroutine left to run later); a function when it consumes its arguments."""
        func = call.func
        args_eager = all(self.eager(a.value, live) for a in call.args)
        if isinstance(func, cst.Attribute):
            if self.reads_response(call, awaited) or self._streams_past_close(call, awaited):
                return args_eager
            if args_eager and isinstance(func.value, cst.Call) and self._loads_all(func.value, func.attr.value):
                return True  # ``Image.open(r.raw).convert("RGB")``: a new image, the body read
            if not self.eager(func.value, live):
                if (
                    args_eager
                    and self.noun == "client"
                    and self.helpers is not None
                    and self.helpers.holder_method_eager(self, call)
                ):
                    return True  # ``api.search(q)``: a method of a holder class that keeps nothing
                if not awaited and (self.library in ALL_METHODS_ARE_COROUTINES or func.attr.value in COROUTINE_METHODS):
                    return False  # a coroutine that will read from the response later
                return func.attr.value in EAGER_METHODS and args_eager
            if args_eager or func.attr.value in CONSUMER_METHODS:
                return True
            if self.helpers is not None and self.helpers.keeps_nothing(self, call, live, awaited):
                return True  # ``self._read(r)``: a method of the class whose summary keeps nothing
            return bool(self.qualified(func) & EAGER_FUNCTIONS)
        if self.helpers is not None and self.helpers.keeps_nothing(self, call, live, awaited):
            return True
        qualified = self.qualified(func)
        if qualified & PASS_THROUGH_FUNCTIONS:
            return self._pass_through_eager(call, live)
        if qualified & EAGER_FUNCTIONS:
            return True
        return False if self.mentions(func, live) else args_eager

    def _loads_all(self, opened: cst.Call, method: str) -> bool:
        """``opened`` is a call of a lazy reader (``PIL.Image.open``) and ``method`` one of
        its result's methods that reads everything first (``eager.LOADING_METHODS``)."""
        return any(method in LOADING_METHODS.get(name, ()) for name in self.qualified(opened.func))

    def reads_response(self, call: cst.Call, awaited: bool) -> bool:
        return reads_response(call, awaited, self.client_class, self.roots)

    def _streams_past_close(self, call: cst.Call, awaited: bool) -> bool:
        """With ``streams_outlive``: ``call`` is a request method of the ``requests.Session``
        itself (``s.get(u, stream=True)``); its response reads on after ``s.close()``."""
        func = call.func
        if not (self.streams_outlive and self.client_class == "requests.Session" and isinstance(func, cst.Attribute)):
            return False
        if not (isinstance(func.value, cst.Name) and func.value.value in self.roots):
            return False
        if func.attr.value not in READ_RESPONSE_METHODS["requests.Session"]:
            return False
        if not self.reads_response(call, awaited) and call not in self.streamed:
            self.streamed.append(call)
        return True

    def _comprehension_eager(self, comp: cst.BaseExpression, live: Set[str]) -> bool:
        """A list/set/dict comprehension is eager when its elements are (names bound from
        iterating a tainted iterable that yields objects are tainted inside it)."""
        inner = set(live)
        for_in = comp.for_in
        while for_in is not None:
            if self.mentions(for_in.iter, inner) and not self.elements_eager(for_in.iter, inner):
                inner |= {n.value for n in walk(for_in.target) if isinstance(n, cst.Name)}
            for_in = for_in.inner_for_in
        if isinstance(comp, cst.DictComp):
            return self.eager(comp.key, inner) and self.eager(comp.value, inner)
        return self.eager(comp.elt, inner)

    def _pass_through_eager(self, call: cst.Call, live: Set[str]) -> bool:
        """``dict``/``max``/``next``/``list``...: the result holds their arguments (or the
        elements of a single iterable): eager only when those are."""
        positional = [a for a in call.args if a.keyword is None]
        for a in call.args:
            if a.star:
                if self.mentions(a.value, live):
                    return False
            elif a.keyword is not None:
                if a.keyword.value != "key" and not self.eager(a.value, live):
                    return False
        if not positional:
            return True
        first, rest = positional[0], positional[1:]
        iterable_form = len(positional) == 1 or self.qualified(call.func) & {"builtins.next"}
        if iterable_form and not self.elements_eager(first.value, live):
            return False
        if not iterable_form and not self.eager(first.value, live):
            return False
        return all(self.eager(a.value, live) for a in rest)
