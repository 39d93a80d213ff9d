"""The one place that knows which libcst node is which HTTP library call.

Every codemod asks this module, never the source text: names are resolved with libcst's
``QualifiedNameProvider`` (so ``import requests as rq``, ``from requests import get as g`` and
``from requests import api`` all resolve, while a parameter or local named ``requests``,
``dict.get`` or a user class with a ``get`` method never do) and client objects are followed
through ``ScopeProvider`` assignments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional, Set, Tuple

import libcst as cst
from libcst import MetadataDependent
from libcst.metadata import (
    ParentNodeProvider,
    QualifiedNameProvider,
    QualifiedNameSource,
    ScopeProvider,
)
from libcst.helpers import get_full_name_for_node
from libcst.metadata.scope_provider import Assignment
from .call_names import (  # noqa: F401  (re-exported: the names, without libcst)
    DROP_INS,
    LIBRARIES,
    REQUESTS_VERBS,
    HTTPX_VERBS,
    AIOHTTP_VERBS,
    MODULE_FUNCTIONS,
    CLIENT_CONSTRUCTORS,
    CLIENT_CLASSES,
    CLIENT_LIBRARY,
    _ALIASES,
    drop_in_module,
    normalise,
)
from .spec import Kind
from .share.guarded import is_none_fallback


@dataclass(frozen=True)
class HttpCall:
    """What a call node is.

    ``kind`` is a ``spec.Kind``: ``FUNCTION``, ``CONSTRUCTOR``, ``METHOD`` or ``URLOPEN``.

    ``library`` is the API (``requests`` for niquests too, ``httpx`` for httpx2); ``module``
    the top-level module the name came from (``niquests``), for code that must name it.
    """

    library: str
    kind: Kind
    name: str
    client_class: Optional[str] = None
    receiver: Optional[cst.BaseExpression] = None
    module: str = ""

    @property
    def top_module(self) -> str:
        return self.module or self.library


def keyword(call: cst.Call, name: str) -> Optional[cst.Arg]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def is_literal_true(expr: Optional[cst.BaseExpression]) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "True"


def is_literal_false(expr: Optional[cst.BaseExpression]) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "False"


class HttpResolver:
    """Answers questions about nodes of the module a codemod is visiting.

    ``dependent`` is the codemod (a ``MetadataDependent`` that declared
    ``QualifiedNameProvider``, ``ScopeProvider`` and ``ParentNodeProvider``).
    """

    def __init__(self, dependent: MetadataDependent) -> None:
        self.dependent = dependent
        self._resolving: Set[int] = set()

    # -- names ---------------------------------------------------------------------------

    def imported_names(self, expr: cst.CSTNode, builtins: bool = False) -> Set[str]:
        """Normalised qualified names of ``expr`` that come from an import (never locals);
        with ``builtins``, builtin names (``len``, ``dict``) too."""
        try:
            names = self.dependent.get_metadata(QualifiedNameProvider, expr, set())
        except KeyError:
            return set()
        sources = (
            (QualifiedNameSource.IMPORT, QualifiedNameSource.BUILTIN) if builtins else (QualifiedNameSource.IMPORT,)
        )
        return {normalise(q.name) for q in names if q.source in sources}

    def resolves_to(self, expr: cst.CSTNode, candidates: Iterable[str]) -> Optional[str]:
        found = self.imported_names(expr)
        for name in candidates:
            if name in found:
                return name
        return None

    # -- calls ---------------------------------------------------------------------------

    def drop_in_of(self, expr: cst.CSTNode) -> str:
        """The drop-in module (``niquests``, ``httpx2``) an imported name comes from, or ''."""
        try:
            names = self.dependent.get_metadata(QualifiedNameProvider, expr, set())
        except KeyError:
            return ""
        for q in names:
            if q.source is QualifiedNameSource.IMPORT:
                top = drop_in_module(q.name)
                if top is not None:
                    return top
        return ""

    def classify(self, call: cst.Call) -> Optional[HttpCall]:
        func = call.func
        names = self.imported_names(func)
        for name in names:
            if name in MODULE_FUNCTIONS:
                library, verb = MODULE_FUNCTIONS[name]
                return HttpCall(library, Kind.FUNCTION, verb, module=self.drop_in_of(func) or library)
            if name in CLIENT_CONSTRUCTORS:
                cls = CLIENT_CONSTRUCTORS[name]
                library = CLIENT_LIBRARY[cls]
                return HttpCall(
                    library, Kind.CONSTRUCTOR, name.split(".")[-1], cls, module=self.drop_in_of(func) or library
                )
            if name == "urllib.request.urlopen":
                return HttpCall("urllib", Kind.URLOPEN, "urlopen")
        if isinstance(func, cst.Attribute):
            client = self._client_of(func.value)
            if client is not None:
                cls, module = client
                return HttpCall(CLIENT_LIBRARY[cls], Kind.METHOD, func.attr.value, cls, func.value, module)
        return None

    def constructed_client(self, expr: Optional[cst.BaseExpression]) -> Optional[str]:
        """The client class if ``expr`` is a client constructor call (or ``closing(...)`` of one)."""
        client = self._constructed(expr)
        return client[0] if client is not None else None

    def _constructed(self, expr: Optional[cst.BaseExpression]) -> Optional[Tuple[str, str]]:
        """(client class, module it came from: ``niquests`` for a drop-in) of a constructor call."""
        if not isinstance(expr, cst.Call):
            return None
        found = self.classify(expr)
        if found is not None and found.kind == Kind.CONSTRUCTOR:
            assert found.client_class is not None
            return found.client_class, found.top_module
        if self.resolves_to(expr.func, ["contextlib.closing"]) and expr.args:
            return self._constructed(expr.args[0].value)
        return None

    def client_class_of(self, expr: cst.BaseExpression) -> Optional[str]:
        """The client class a name is bound to, when every binding in scope agrees."""
        client = self._client_of(expr)
        return client[0] if client is not None else None

    def _client_of(self, expr: cst.BaseExpression) -> Optional[Tuple[str, str]]:
        """(client class, module: '' when bindings disagree) a name is bound to, when every
        binding in scope agrees on the class."""
        if isinstance(expr, cst.Call):
            return self._constructed(expr)
        if not isinstance(expr, cst.Name):
            return None
        # ``x = x.method()`` binds x from a call on x: following it would never end.
        active = self._resolving
        if id(expr) in active:
            return None
        active.add(id(expr))
        try:
            return self._client_class_of_name(expr)
        finally:
            active.discard(id(expr))

    def _scope_of(self, expr: cst.CSTNode) -> Any:
        """The scope ``expr`` is in (None: not a node of the tree the metadata is for)."""
        try:
            return self.dependent.get_metadata(ScopeProvider, expr, None)
        except KeyError:
            return None

    def _client_class_of_name(self, expr: cst.Name) -> Optional[Tuple[str, str]]:
        scope = self._scope_of(expr)
        if scope is None:
            return None
        assignments = scope[expr.value]
        if not assignments:
            return None
        classes = set()
        fallbacks = [a for a in assignments if isinstance(a, Assignment) and is_none_fallback(self.parent, a.node)]
        if len(fallbacks) == len(assignments):
            return None
        for assignment in assignments:
            if assignment in fallbacks:
                continue  # ``except ImportError: _session = None`` (share/guarded.py)
            if not isinstance(assignment, Assignment):
                return None
            if isinstance(assignment.node, cst.ImportFrom):
                shared = self.shared_import(assignment.node, expr.value)
                client = (shared.client_class, shared.library) if shared is not None else None
            else:
                client = self._class_of_binding(assignment.node)
            if client is None:
                return None
            classes.add(client)
        if len({cls for cls, _ in classes}) != 1:
            return None
        if len(classes) > 1:  # the same class from two modules (requests and niquests)
            return next(iter(classes))[0], ""
        return classes.pop()

    def accessed_attributes(self, expr: cst.BaseExpression) -> Set[str]:
        """Attribute names used on any binding of the name ``expr`` (``s.mount`` -> "mount")."""
        if not isinstance(expr, cst.Name):
            return set()
        scope = self._scope_of(expr)
        if scope is None:
            return set()
        found: Set[str] = set()
        for assignment in scope[expr.value]:
            for access in assignment.references:
                parent = self.parent(access.node)
                if isinstance(parent, cst.Attribute) and parent.value is access.node:
                    found.add(parent.attr.value)
        return found

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        try:
            return self.dependent.get_metadata(ParentNodeProvider, node, None)
        except KeyError:
            return None

    def shared_qualified(self, expr: cst.BaseExpression) -> Set[str]:
        """``pkg._http_client.session.get`` for ``_session.get`` when ``_session`` is only
        bound by an import of a trusted client of the package's generated module (tests patch
        the client there); else nothing."""
        parts = []
        while isinstance(expr, cst.Attribute):
            parts.append(expr.attr.value)
            expr = expr.value
        if not isinstance(expr, cst.Name) or not getattr(getattr(self.dependent, "file", None), "shared", ()):
            return set()
        scope = self._scope_of(expr)
        if scope is None:
            return set()
        assignments = list(scope[expr.value])
        if len(assignments) != 1 or not isinstance(assignments[0].node, cst.ImportFrom):
            return set()
        shared = self.shared_import(assignments[0].node, expr.value)
        if shared is None or not shared.absolute:
            return set()
        return {".".join([shared.absolute, shared.name, *reversed(parts)])}

    def shared_import(self, node: cst.ImportFrom, local: str) -> Optional[Any]:
        """The ``share.shared_import.SharedImport`` of ``local`` when ``node`` imports it from
        the package's generated client module and the engine found that client trusted
        (``FileContext.shared``)."""
        shared = getattr(getattr(self.dependent, "file", None), "shared", ())
        if not shared or isinstance(node.names, cst.ImportStar):
            return None
        module = "." * len(node.relative) + ((get_full_name_for_node(node.module) or "") if node.module else "")
        for alias in node.names:
            bound = alias.asname.name if alias.asname is not None else alias.name
            if not isinstance(bound, cst.Name) or bound.value != local:
                continue
            name = get_full_name_for_node(alias.name)
            for found in shared:
                if found.module == module and found.name == name and found.local == local:
                    return found
        return None

    def _annotated(self, annotation: cst.BaseExpression) -> Optional[Tuple[str, str]]:
        cls = self.resolves_to(annotation, sorted(CLIENT_CLASSES))
        return (cls, self.drop_in_of(annotation) or CLIENT_LIBRARY[cls]) if cls is not None else None

    def _class_of_binding(self, node: cst.CSTNode) -> Optional[Tuple[str, str]]:
        if isinstance(node, cst.Param):
            if node.annotation is not None:
                return self._annotated(node.annotation.annotation)
            return None
        if not isinstance(node, cst.Name):
            return None
        parent = self.parent(node)
        if isinstance(parent, cst.AssignTarget):
            assign = self.parent(parent)
            if isinstance(assign, cst.Assign) and len(assign.targets) == 1:
                return self._constructed(assign.value)
            return None
        if isinstance(parent, cst.AnnAssign) and parent.target is node:
            client = self._constructed(parent.value)
            if client is None and parent.value is None:
                return self._annotated(parent.annotation.annotation)
            return client
        if isinstance(parent, cst.AsName):
            item = self.parent(parent)
            if isinstance(item, cst.WithItem):
                return self._constructed(item.item)
        return None
