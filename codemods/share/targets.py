"""Target collection: the bare ``requests.<verb>()`` / ``httpx.<verb>()`` calls of a module,
with where each sits (function, loop, deferred), and star imports that hide one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Tuple

import libcst as cst
from libcst.metadata import ScopeProvider

from ..calls import HttpCall
from ..imports import dotted
from ..spec import Kind
from .references import references

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


@dataclass
class ShareTarget:
    #: the node rewritten and reported at: the call, or for a reference (``reference``) the
    #: ``requests.<verb>`` expression itself (``fn = requests.post if p else requests.get``)
    call: Any
    found: HttpCall
    root: cst.Name
    function: Optional[cst.FunctionDef]  # innermost enclosing def, None at module level
    deferred: bool  # inside a lambda, generator expression or class body within that def
    in_loop: bool
    statement: Optional[cst.BaseStatement] = None  # top-level statement of ``function``'s body
    #: a reference's calls, the calls its value flows into (their arguments are checked)
    uses: Tuple[cst.Call, ...] = ()
    reference: bool = False
    #: a reference whose flow was followed on an assumption: the unsafe fix's hazard
    hazard: str = ""

    @property
    def func(self) -> cst.BaseExpression:
        """The expression naming the library function (the call's ``func``, or the reference)."""
        return self.call if self.reference else self.call.func

    @property
    def calls(self) -> Tuple[cst.Call, ...]:
        """The calls whose arguments reach the library function."""
        return self.uses if self.reference else (self.call,)


def collect(share: Any, module: cst.Module) -> List[ShareTarget]:
    star_libraries = star_imports(share.nodes_of(module, cst.ImportFrom))
    found: List[ShareTarget] = []

    for call in share.nodes_of(module, cst.Call):  # source order
        info = share.resolver.classify(call)
        if info is None:
            if star_libraries and isinstance(call.func, cst.Name):
                _maybe_star(share, call, star_libraries)
            continue
        if info.kind != Kind.FUNCTION or info.library not in ("requests", "httpx"):
            continue
        if share.suppressed(call):
            continue
        root = _root_name(call.func)
        if root is None:
            continue
        function, deferred, in_loop, statement = _context(share, call)
        found.append(ShareTarget(call, info, root, function, deferred, in_loop, statement))
    refs = references(share, module, lambda node, info, uses, hazard: _reference(share, node, info, uses, hazard))
    return sorted(found + refs, key=lambda t: share.position(t.call)) if refs else found


def _reference(share: Any, node: cst.BaseExpression, info: HttpCall, uses: Tuple[cst.Call, ...], hazard: str):
    root = _root_name(node)
    if root is None:
        return None
    function, deferred, in_loop, statement = _context(share, node)
    return ShareTarget(
        node, info, root, function, deferred, in_loop, statement, uses=uses, reference=True, hazard=hazard
    )


def _maybe_star(share: Any, call: cst.Call, libraries: Sequence[str]) -> None:
    name = call.func
    assert isinstance(name, cst.Name)
    verbs = {"get", "post", "put", "patch", "delete", "head", "options", "request", "stream"}
    if name.value not in verbs or share.suppressed(call):
        return
    try:
        scope = share.get_metadata(ScopeProvider, name, None)
    except KeyError:
        return
    if scope is None or scope[name.value]:
        return
    share.report(call, f"cannot resolve {name.value}(): star import from {' or '.join(libraries)}")


def _context(share: Any, call: cst.CSTNode):
    """(innermost def, deferred, in a loop of that def, that def's body statement).

    ``deferred``: inside a lambda or a generator expression (they may run after the def's
    statements did). Decorators and default values belong to the enclosing scope.
    """
    deferred = False
    in_loop = False
    prev: Optional[cst.CSTNode] = None
    child: cst.CSTNode = call
    node = share.resolver.parent(call)
    while node is not None and not isinstance(node, cst.Module):
        if isinstance(node, cst.FunctionDef) and child is node.body:
            statement = prev if isinstance(prev, cst.BaseStatement) else None
            return node, deferred, in_loop, statement
        if (
            (isinstance(node, cst.For) and child is node.body)
            or (isinstance(node, cst.While) and (child is node.body or child is node.test))
            or (isinstance(node, cst.CompFor) and child is not node.iter)
        ):
            in_loop = True
        elif isinstance(node, _COMPREHENSIONS):
            first_iter = child is node.for_in and prev is node.for_in.iter
            if not first_iter:
                in_loop = True
                if isinstance(node, cst.GeneratorExp):
                    deferred = True
        elif isinstance(node, cst.Lambda) and child is node.body:
            deferred = True
        prev, child = child, node
        node = share.resolver.parent(node)
    return None, deferred, in_loop, None


def _root_name(expr: cst.BaseExpression) -> Optional[cst.Name]:
    while isinstance(expr, cst.Attribute):
        expr = expr.value
    return expr if isinstance(expr, cst.Name) else None


def star_imports(imports: Sequence[cst.CSTNode]) -> List[str]:
    found = []
    for node in imports:
        if isinstance(node, cst.ImportFrom) and isinstance(node.names, cst.ImportStar):
            if node.module is not None and not node.relative:
                lib = dotted(node.module)
                if lib in ("requests", "requests.api", "httpx") and lib.split(".")[0] not in found:
                    found.append(lib.split(".")[0])
    return found
