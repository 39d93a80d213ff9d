"""The data the wrapping analysis passes between its steps, and its two outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set, Tuple

import libcst as cst

from ..enums import StrEnum


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

    def __init__(self, reason: str, suggestion: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        #: The manual edit, when it is mechanical (shown under the report).
        self.suggestion = suggestion


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


@dataclass
class Plan:
    target: Target
    block: cst.CSTNode
    start: int
    end: int
    name: str
    named: bool  # the binding statement ``name = <target>`` becomes the with header
    #: An unsafe fix: what may go wrong (``--unsafe-fixes`` applies it), and the report's
    #: reason when it is not applied.
    hazard: str = ""
    hazard_reason: str = ""


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
