"""The data the wrapping analysis passes between its steps, and its two outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set, Tuple

import libcst as cst
from libcst.metadata import ExpressionContext, ExpressionContextProvider

from ..enums import StrEnum
from ..tree import walk


class Mode(StrEnum):
    """How a target is closed."""

    WITH = "with"
    ASYNC_WITH = "async with"
    #: sync ``with contextlib.closing(<target>) as name``
    CLOSING = "closing"
    #: ``try``/``finally: await name.aclose()``, for a name binding only
    ACLOSE = "aclose"


class Skip(Exception):
    """Raised inside the analysis: not a site for this codemod (nothing to report)."""


class Unsafe(Exception):
    """Raised inside the analysis: the site must be reported with this reason."""

    def __init__(self, reason: str, suggestion: str = "", exiting: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        #: The manual edit, when it is mechanical (shown under the report).
        self.suggestion = suggestion
        #: The escape leaves the function with the object (``return r``, ``raise E(r)``,
        #: ``r.raise_for_status()``): harmless before a ``with`` that starts after it.
        self.exiting = exiting
        #: The index (in the analysed block) of the statement that raised it, if known.
        self.index: Optional[int] = None


@dataclass
class Target:
    """An expression that opens something that must be closed.

    ``mode``: a ``Mode`` (plain strings are accepted too).
    ``unwrap_await``: the ``with`` item is the awaited expression (aiohttp's
    ``await session.get()`` becomes ``async with session.get()``).
    """

    node: cst.BaseExpression
    mode: str
    library: str
    noun: str = "response"
    unwrap_await: bool = False
    named_only: bool = False
    needs_async_def: bool = False
    #: Only when the name is used as a response (``r.status_code``): httpx's ``stream()``.
    used_as_response: bool = False
    #: For a client: its class (``requests.Session``), so that the calls on it that return a
    #: response whose body is already read are known to keep no reference to it.
    client_class: Optional[str] = None
    #: An unsafe target (``--unsafe-fixes``): what may go wrong, and the report's reason when
    #: the fix is not applied (``closing/held.py``: a client from an unannotated parameter).
    hazard: str = ""
    hazard_reason: str = ""
    #: close-client: the test's mock of the constructor (``text at path:line``) that makes the
    #: fix ``contextlib.closing`` rather than ``with``.
    mocked: str = ""


@dataclass
class Plan:
    target: Target
    block: cst.CSTNode
    start: int
    end: int
    name: str
    named: bool  # the binding statement ``name = <target>`` becomes the with header
    #: The target is bound earlier (``r = <target>`` stays where it is) and the block, from
    #: ``start``, is held by ``with r:`` (``with contextlib.closing(r):``, ``async with r:``).
    bound: bool = False
    #: An unsafe fix: what may go wrong (``--unsafe-fixes`` applies it), and the report's
    #: reason when it is not applied.
    hazard: str = ""
    hazard_reason: str = ""
    #: ``with contextlib.ExitStack() as <name>:`` from ``start`` (an ``if`` only some of
    #: whose branches make the object, ``closing/stack.py``): (the binding statement in its
    #: branch, the bound name, its close method) for each ``<name>.callback(<bound>.<method>)``
    #: written right after that binding.
    callbacks: List[Tuple[cst.BaseStatement, str, str]] = field(default_factory=list)
    #: The bound name is read nowhere in its function but by ``name.close()`` statements
    #: (biopython: ``stream = Entrez.epost(...)`` / ``stream.close()``): a block that is only
    #: that close becomes ``with <target>:`` / ``pass``, binding no name (``placement.py``).
    unused_name: bool = False


@dataclass
class NameScope:
    """A function (or the module) whose statements the analysis follows names through."""

    root: cst.CSTNode  # FunctionDef or Module
    scope: object  # libcst Scope of the root
    names: Dict[str, List[cst.Name]] = field(default_factory=dict)
    fresh: Set[str] = field(default_factory=set)


#: Nodes that open a scope of their own (capturing a name there is an escape).
NESTED_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.GeneratorExp)

#: How a report names each nested scope kind.
NESTED_SCOPE_KIND = {
    cst.FunctionDef: "a nested function",
    cst.Lambda: "a lambda",
    cst.ClassDef: "a class body",
    cst.GeneratorExp: "a generator expression",
}


class MetadataView:
    """What the analysis objects read from the codemod that runs them: metadata (parents,
    expression contexts, scopes, qualified names) and positions. Nothing else."""

    def __init__(self, codemod: Any) -> None:
        self.codemod = codemod
        self.resolver = codemod.resolver

    def _parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        return self.resolver.parent(node)

    def get_metadata(self, key: Any, node: cst.CSTNode, *default: Any) -> Any:
        return self.codemod.get_metadata(key, node, *default)

    def position(self, node: cst.CSTNode) -> Tuple[int, int]:
        return self.codemod.position(node)

    def if_of_branch(self, block: cst.CSTNode) -> Optional[cst.If]:
        """The first ``if`` of the ``if``/``elif``/``else`` chain one of whose branches is
        ``block`` (an ``elif`` is an ``If`` in its parent's ``orelse``); None if ``block`` is
        no branch of an ``if``."""
        node = self._parent(block)
        if isinstance(node, cst.Else):
            node = self._parent(node)
        if not isinstance(node, cst.If):
            return None
        parent = self._parent(node)
        while isinstance(parent, cst.If) and parent.orelse is node:
            node, parent = parent, self._parent(parent)
        return node

    def branch_if_of_function(
        self, block: cst.CSTNode, scope: "NameScope", rest: List[cst.BaseStatement]
    ) -> Optional[Tuple[cst.IndentedBlock, int]]:
        """(the function's own block, the index of the ``if`` in it) when ``block`` is a
        branch of an ``if`` that is a statement of the function's own body and ``rest`` (the
        branch's statements after the binding) leaves it by no ``return``/``break``/
        ``continue``: the branch goes on to the end of the ``if``. Else None."""
        top = self.if_of_branch(block)
        if top is None or not isinstance(scope.root, cst.FunctionDef):
            return None
        outer = self._parent(top)
        if not (isinstance(outer, cst.IndentedBlock) and outer is scope.root.body):
            return None
        if any(isinstance(sub, (cst.Return, cst.Break, cst.Continue)) for later in rest for sub in walk(later)):
            return None
        return outer, next(i for i, s in enumerate(outer.body) if s is top)

    def binds(self, stmts: Any, name: str, skip: Any = frozenset(), handlers: bool = False) -> bool:
        """Whether any of ``stmts`` (a node or a sequence) binds or deletes ``name``: stored, or
        named by an import, ``def``/``class``, ``global``/``nonlocal`` or a ``match`` capture;
        with ``handlers``, also a name an ``except`` clause names. Names in ``skip`` don't count."""
        for stmt in [stmts] if isinstance(stmts, cst.CSTNode) else stmts:
            for sub in walk(stmt):
                if not (isinstance(sub, cst.Name) and sub.value == name) or sub in skip:
                    continue
                if self.get_metadata(ExpressionContextProvider, sub, None) in (
                    ExpressionContext.STORE,
                    ExpressionContext.DEL,
                ):
                    return True
                parent = self._parent(sub)
                if isinstance(parent, _BINDING_PARENTS) or (handlers and isinstance(parent, cst.ExceptHandler)):
                    return True
        return False


#: A name whose parent is one of these is bound by it (``import x as name``, ``def name``, ...).
_BINDING_PARENTS = (
    cst.AsName,
    cst.ImportAlias,
    cst.FunctionDef,
    cst.ClassDef,
    cst.Global,
    cst.Nonlocal,
    cst.NameItem,
    cst.MatchAs,
    cst.MatchStar,
)
