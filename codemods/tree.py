"""Fast walks over libcst trees, and the metadata codemods compute only when they need it.

``CSTNode.children`` rebuilds every node it is asked about (it runs the node's
``_visit_and_replace_children``), and a libcst visitor calls several methods per node,
whitespace included. The codemods' own searches (which calls are targets, which names a
statement binds, what the module patches) need neither: ``walk`` reads the dataclass fields
directly, skips layout tokens (whitespace, comments, parentheses, commas, ...), and yields
the nodes in source order.

``LazyMetadata`` holds what libcst would compute eagerly for every node of every file:
parents (from ``walk``), positions, expression contexts and qualified names are resolved on
first use, so a file whose codemods find nothing pays only for its scopes.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Set, Tuple, Type

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import (
    BaseMetadataProvider,
    CodePosition,
    BatchableMetadataProvider,
    ExpressionContext,
    ExpressionContextProvider,
    MetadataWrapper,
    PositionProvider,
    QualifiedName,
    Scope,
    ScopeProvider,
)
from libcst.metadata.expression_context_provider import ExpressionContextVisitor
from libcst.metadata.scope_provider import ScopeVisitor

_UNDEFINED: Any = object()

#: Layout tokens: they hold no name, call or statement, so searches never descend into them.
TOKENS: Tuple[type, ...] = (
    cst.BaseParenthesizableWhitespace,
    cst.TrailingWhitespace,
    cst.EmptyLine,
    cst.Comment,
    cst.Newline,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.Comma,
    cst.Dot,
    cst.Colon,
    cst.Semicolon,
    cst.AssignEqual,
)

#: Fields whose dataclass order is not the order of the source text.
_SOURCE_ORDER: Dict[type, Tuple[str, ...]] = {
    cst.FunctionDef: ("decorators", "asynchronous", "name", "type_parameters", "params", "returns", "body"),
    cst.ClassDef: ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    cst.IfExp: ("body", "test", "orelse"),
    cst.DictComp: ("key", "value", "for_in"),
    cst.Arg: ("keyword", "value"),
    cst.Parameters: ("posonly_params", "posonly_ind", "params", "star_arg", "kwonly_params", "star_kwarg"),
    cst.ExceptHandler: ("type", "name", "body"),
    cst.ExceptStarHandler: ("type", "name", "body"),
    cst.With: ("asynchronous", "items", "body"),
    cst.For: ("asynchronous", "target", "iter", "body", "orelse"),
    cst.CompFor: ("asynchronous", "target", "iter", "ifs", "inner_for_in"),
    cst.MatchCase: ("pattern", "guard", "body"),
    cst.TypeAlias: ("name", "type_parameters", "value"),
}


def is_docstring(stmt: cst.CSTNode) -> bool:
    """A line that is only a string (a docstring where it opens a module, class or def)."""
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def name_assignment(stmt: cst.CSTNode) -> Optional[Tuple[str, cst.Assign]]:
    """(name, the ``Assign``) of a line that is only ``name = value``; None otherwise."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        return small.targets[0].target.value, small
    return None


def _subclasses(cls: type) -> Set[type]:
    found = {cls}
    for sub in cls.__subclasses__():
        found |= _subclasses(sub)
    return found


#: Whitespace and comment nodes: they hold no call, no statement and no function, so walks and
#: transforms that look for those skip their subtrees (``base._TRIVIA``, ``import_cleanup``).
TRIVIA = (
    cst.EmptyLine,
    cst.TrailingWhitespace,
    cst.Comment,
    cst.Newline,
    cst.SimpleWhitespace,
    cst.ParenthesizedWhitespace,
)


#: Concrete node classes, and those that are layout tokens (type lookups in a set are much
#: cheaper than ``isinstance`` against libcst's abstract base classes).
_NODE_TYPES = frozenset(_subclasses(cst.CSTNode))
_TOKEN_TYPES = frozenset(t for t in _NODE_TYPES if issubclass(t, TOKENS))
#: Fields that only ever hold layout tokens.
_TOKEN_FIELDS = frozenset(
    {
        "lpar",
        "rpar",
        "leading_lines",
        "lines_after_decorators",
        "header",
        "footer",
        "trailing_whitespace",
        "comma",
        "semicolon",
        "equal",
        "colon",
        "first_colon",
        "second_colon",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "dot",
        "newline",
    }
)

_FIELDS: Dict[type, Tuple[str, ...]] = {}


def _fields(cls: type) -> Tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        declared = [
            f.name
            for f in dataclasses.fields(cls)
            if f.name not in _TOKEN_FIELDS and not f.name.startswith("whitespace")
        ]
        order = _SOURCE_ORDER.get(cls)
        if order is not None:
            declared = [n for n in order if n in declared] + [n for n in declared if n not in order]
        names = _FIELDS[cls] = tuple(declared)
    return names


def children(node: cst.CSTNode) -> List[cst.CSTNode]:
    """The child nodes of ``node`` that are not layout tokens, in source order."""
    out: List[cst.CSTNode] = []
    nodes, tokens = _NODE_TYPES, _TOKEN_TYPES
    for name in _fields(type(node)):
        value = getattr(node, name)
        kind = type(value)
        if kind in nodes:
            if kind not in tokens:
                out.append(value)
        elif kind is list or kind is tuple:
            for item in value:
                kind = type(item)
                if kind in nodes and kind not in tokens:
                    out.append(item)
    return out


def walk(node: cst.CSTNode, prune: Optional[Callable[[cst.CSTNode], bool]] = None) -> Iterator[cst.CSTNode]:
    """``node`` and its descendants (layout tokens excluded), in source order. ``prune(n)``
    true: ``n`` is yielded but its descendants are not."""
    stack = [node]
    pop = stack.pop
    extend = stack.extend
    while stack:
        current = pop()
        yield current
        if prune is not None and prune(current):
            continue
        kids = children(current)
        kids.reverse()
        extend(kids)


class _QualifiedNames:
    """``QualifiedNameProvider``'s mapping, computed per node on first use."""

    def __init__(self, scopes: Any) -> None:
        self._scopes = scopes
        self._cache: Dict[cst.CSTNode, Set[QualifiedName]] = {}

    def get(self, node: cst.CSTNode, default: Any = None) -> Any:
        try:
            return self._cache[node]
        except KeyError:
            pass
        scope = self._scopes.get(node, None)
        names = scope.get_qualified_names_for(node) if scope is not None else set()
        self._cache[node] = names
        return names

    def __getitem__(self, node: cst.CSTNode) -> Set[QualifiedName]:
        return self.get(node)


class LazyMetadata:
    """Metadata of one module, each kind resolved the first time a codemod asks for it and
    then shared by every codemod that runs on the same (unchanged) tree."""

    def __init__(self, wrapper: MetadataWrapper) -> None:
        self.wrapper = wrapper
        self._parents: Optional[Dict[cst.CSTNode, cst.CSTNode]] = None
        self._buckets: Optional[Dict[type, List[cst.CSTNode]]] = None
        self._order: Dict[cst.CSTNode, int] = {}
        self._qualified: Optional[_QualifiedNames] = None
        self._starts: Optional[StartPositions] = None

    @property
    def module(self) -> cst.Module:
        return self.wrapper.module

    def _build_index(self) -> None:
        """One walk: every node's parent, and the nodes of each type in source order."""
        parents: Dict[cst.CSTNode, cst.CSTNode] = {}
        buckets: Dict[type, List[cst.CSTNode]] = {}
        order: Dict[cst.CSTNode, int] = {}
        stack: List[cst.CSTNode] = [self.wrapper.module]
        count = 0
        while stack:
            node = stack.pop()
            order[node] = count
            count += 1
            bucket = buckets.get(type(node))
            if bucket is None:
                bucket = buckets[type(node)] = []
            bucket.append(node)
            kids = children(node)
            for kid in kids:
                parents[kid] = node
            kids.reverse()
            stack.extend(kids)
        self._parents, self._buckets, self._order = parents, buckets, order

    def nodes(self, *types: type) -> List[cst.CSTNode]:
        """The module's nodes that are instances of ``types`` (layout tokens never are), in
        source order: what ``[n for n in walk(module) if isinstance(n, types)]`` gives."""
        if self._buckets is None:
            self._build_index()
        assert self._buckets is not None
        concrete = [t for t in self._buckets if issubclass(t, types)]
        if len(concrete) == 1:
            return list(self._buckets[concrete[0]])
        found = [n for t in concrete for n in self._buckets[t]]
        found.sort(key=self._order.__getitem__)
        return found

    def mapping(self, key: Type[Any]) -> Any:
        from libcst.metadata import ParentNodeProvider, QualifiedNameProvider

        if key is ParentNodeProvider:
            if self._parents is None:
                self._build_index()
            return self._parents
        if key is PositionProvider:
            if self._starts is None:
                self._starts = StartPositions(self.wrapper.module)
            return self._starts
        if key is QualifiedNameProvider:
            if self._qualified is None:
                self._qualified = _QualifiedNames(self.resolve(FastScopeProvider))
            return self._qualified
        return self.resolve(PROVIDERS.get(key, key))

    def resolve(self, provider: Any) -> Any:
        """``MetadataWrapper.resolve`` without its detour: for each round of dependencies it
        runs a batched traversal of the whole module even when no provider is batchable."""
        metadata = self.wrapper._metadata
        if provider not in metadata:
            for dependency in provider.METADATA_DEPENDENCIES:
                self.resolve(dependency)
            if issubclass(provider, BatchableMetadataProvider):
                self.wrapper.resolve_many([provider])
            else:
                metadata[provider] = provider()._gen(self.wrapper)
        return metadata[provider]


# -- scope analysis without layout tokens -------------------------------------------------
#
# libcst's ScopeProvider and ExpressionContextProvider are "batchable": resolving them runs a
# batched traversal of the whole module that calls nothing but their ``visit_Module``, which
# then runs its own visitor over the whole module again. And ``CSTNode.visit`` rebuilds every
# node it visits (``_visit_and_replace_children``), for read-only visitors too, whitespace
# included. The providers below run the same visitors (so the same scopes and contexts) once,
# and, only while they run (``read_only_visits``), ``CSTNode.visit`` is given a read-only path
# for exactly these two visitor classes (and the visitors they create): the same hooks in the
# same order, without rebuilding nodes and without descending into layout tokens, which hold
# no name. Outside that window (libcst's own runner and tool included) ``CSTNode.visit`` is
# libcst's. This leans on libcst internals (``_visit_and_replace_children`` semantics, the
# two visitor classes, dataclass fields): pyproject bounds the tested libcst versions.

_libcst_visit = cst.CSTNode.visit


def _read_only_visit(self: cst.CSTNode, visitor: Any) -> Any:
    if not getattr(visitor, "_http_codemods_read_only", False):
        return _libcst_visit(self, visitor)
    if visitor.on_visit(self):
        nodes, tokens = _NODE_TYPES, _TOKEN_TYPES
        for name in _fields(type(self)):
            value = getattr(self, name)
            visitor.on_visit_attribute(self, name)
            kind = type(value)
            if kind in nodes:
                if kind not in tokens:
                    value.visit(visitor)
            elif kind is list or kind is tuple:
                for item in value:
                    kind = type(item)
                    if kind in nodes and kind not in tokens:
                        item.visit(visitor)
            visitor.on_leave_attribute(self, name)
    visitor.on_leave(self)
    return self


_active = 0


@contextmanager
def read_only_visits() -> Iterator[None]:
    """Install the read-only ``CSTNode.visit`` for the duration (re-entrant; single thread:
    the engine runs files in processes)."""
    global _active
    if _active == 0:
        cst.CSTNode.visit = _read_only_visit  # type: ignore[method-assign]
    _active += 1
    try:
        yield
    finally:
        _active -= 1
        if _active == 0:
            cst.CSTNode.visit = _libcst_visit  # type: ignore[method-assign]


for _visitor in (ScopeVisitor, ExpressionContextVisitor):
    setattr(_visitor, "_http_codemods_read_only", True)


class FastExpressionContextProvider(BaseMetadataProvider[ExpressionContext]):
    """``ExpressionContextProvider``'s metadata (see above)."""

    def _gen_impl(self, module: cst.Module) -> None:
        with read_only_visits():
            module.visit(ExpressionContextVisitor(self, ExpressionContext.LOAD))


class FastScopeProvider(BaseMetadataProvider[Optional[Scope]]):
    """``ScopeProvider``'s metadata (see above)."""

    METADATA_DEPENDENCIES = (FastExpressionContextProvider,)

    def get_metadata(self, key: Any, node: cst.CSTNode, default: Any = _UNDEFINED) -> Any:
        if key is ExpressionContextProvider:  # what libcst's ScopeVisitor asks for
            key = FastExpressionContextProvider
        if default is _UNDEFINED:
            return super().get_metadata(key, node)
        return super().get_metadata(key, node, default)

    def _gen_impl(self, module: cst.Module) -> None:
        visitor = ScopeVisitor(self)
        with read_only_visits():
            module.visit(visitor)
            visitor.infer_accesses()


#: What codemods ask for -> what computes it.
PROVIDERS: Dict[Any, Any] = {
    ScopeProvider: FastScopeProvider,
    ExpressionContextProvider: FastExpressionContextProvider,
}


# -- start positions from one plain code generation ---------------------------------------


@dataclass(frozen=False)
class _StartRecordingState(CodegenState):
    """Records, per node, the index of the token it starts at: the same start
    ``PositionProvider`` gives (syntactic where the node declares one, else the start of its
    code), without tracking lines and columns token by token."""

    starts: Dict[cst.CSTNode, int] = dataclasses.field(default_factory=dict)
    _stack: List[int] = dataclasses.field(default_factory=list)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self._stack.append(len(self.tokens))

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self._stack.pop()
        if node not in self.starts:
            self.starts[node] = start

    @contextmanager
    def record_syntactic_position(
        self, node: cst.CSTNode, *, start_node: Optional[cst.CSTNode] = None, end_node: Optional[cst.CSTNode] = None
    ) -> Iterator[None]:
        start = len(self.tokens)
        try:
            yield
        finally:
            self.starts[node] = self.starts[start_node] if start_node is not None else start


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class _Start(NamedTuple):
    start: CodePosition


class StartPositions:
    """``PositionProvider``'s mapping, ``.start`` only (nothing here needs ends)."""

    def __init__(self, module: cst.Module) -> None:
        state = _StartRecordingState(default_indent=module.default_indent, default_newline=module.default_newline)
        module._codegen(state)
        self._starts = state.starts
        self._offsets = [0, *itertools.accumulate(map(len, state.tokens))]
        self._code = "".join(state.tokens)
        self._cache: Dict[cst.CSTNode, _Start] = {}
        self._line_starts: Optional[List[int]] = None  # offsets where each line starts

    def get(self, node: cst.CSTNode, default: Any = None) -> Any:
        found = self._cache.get(node)
        if found is not None:
            return found
        index = self._starts.get(node)
        if index is None:
            return default
        offset = self._offsets[index]
        if self._line_starts is None:
            # Lines break at "\n", "\r\n" and "\r", as libcst counts them; found once, then
            # each position is a binary search (counting from the top for each was quadratic).
            self._line_starts = [0, *(match.end() for match in _LINE_BREAK.finditer(self._code))]
        line = bisect.bisect_right(self._line_starts, offset)
        column = offset - self._line_starts[line - 1]
        found = self._cache[node] = _Start(CodePosition(line, column))
        return found

    def __getitem__(self, node: cst.CSTNode) -> _Start:
        found = self.get(node)
        if found is None:
            raise KeyError(node)
        return found
