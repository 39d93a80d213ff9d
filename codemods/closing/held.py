"""Clients held where ``calls.HttpResolver`` does not look: on an attribute of ``self``, or in
a name bound by ``name = name or <constructor>``.

``HttpResolver`` follows a local name to its constructor or a plain annotation. A response is
a response wherever its client lives, so ``close-response`` also resolves:

* ``self.X`` in a method, when every store to an attribute named ``X`` anywhere in the module
  (``self.X = requests.Session()`` in ``__init__``, ``self.X = None`` in ``close``) and every
  class-level ``X = ...`` of the class is a constructor of one client class or ``None``, the
  class defines no method or property ``X`` and nothing ``setattr``s or deletes it (on
  ``None`` the call raises ``AttributeError`` before and after the rewrite alike);
* a name every binding of which is a constructor of one class, a parameter annotated with
  that class (``Optional[...]`` and ``X | None`` included; string annotations are not
  followed) or defaulting to ``None``, or ``name = name or <constructor>`` / ``name = <constructor> if name is None
  else name``.

A parameter with no annotation that settles its class (``session=None``, then
``session = session or requests.Session()``) may be given anything by a caller: the result is
an unsafe fix, with that hazard.

The same name rule finds urllib's openers: ``opener.open(...)`` where every binding of
``opener`` is ``urllib.request.build_opener(...)`` or ``None`` (``urlopen`` is that call on
the default opener, so its result is the same kind of response).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Set, Tuple

import libcst as cst
from libcst.metadata import ScopeProvider
from libcst.metadata.scope_provider import Assignment

from ..calls import CLIENT_CLASSES, CLIENT_LIBRARY
from ..tree import walk

#: (client class, module it came from)
Client = Tuple[str, str]


@dataclass(frozen=True)
class Held:
    """A client found by this module; ``param``: the name of an unannotated parameter the
    client may come from (an unsafe fix), or ''."""

    client_class: str
    module: str
    param: str = ""


class HeldClients:
    """Per-module answers (the attribute scan is made once per attribute name)."""

    def __init__(self, codemod: Any) -> None:
        self.codemod = codemod
        self.resolver = codemod.resolver
        self._attributes: Dict[Tuple[int, str], Optional[Client]] = {}

    def of(self, expr: cst.BaseExpression) -> Optional[Held]:
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            cls = self._class_of_method_receiver(expr.value)
            if cls is None:
                return None
            key = (id(cls), expr.attr.value)
            if key not in self._attributes:
                self._attributes[key] = self._attribute_client(cls, expr.attr.value)
            found = self._attributes[key]
            return Held(*found) if found is not None else None
        if isinstance(expr, cst.Name):
            return self._name_client(expr)
        return None

    # -- self.X ------------------------------------------------------------------------------

    def _class_of_method_receiver(self, name: cst.Name) -> Optional[cst.ClassDef]:
        """The class whose instance ``name`` is: the only binding of ``name`` is the first
        parameter of a plain method (no ``staticmethod``/``classmethod``) of that class."""
        assignments = self._assignments(name)
        if assignments is None or len(assignments) != 1:
            return None
        param = assignments[0].node
        if not isinstance(param, cst.Param):
            return None
        params = self.resolver.parent(param)
        func = self.resolver.parent(params) if isinstance(params, cst.Parameters) else None
        if not isinstance(func, cst.FunctionDef) or not params.params or params.params[0] is not param:
            return None
        for decorator in func.decorators:
            if isinstance(decorator.decorator, cst.Name) and decorator.decorator.value in (
                "staticmethod",
                "classmethod",
            ):
                return None  # the first parameter is not an instance
        block = self.resolver.parent(func)
        owner = self.resolver.parent(block) if isinstance(block, cst.IndentedBlock) else None
        return owner if isinstance(owner, cst.ClassDef) else None

    def _attribute_client(self, cls: cst.ClassDef, attr: str) -> Optional[Client]:
        found: Set[Client] = set()
        for stmt in cls.body.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == attr:
                return None  # a method or property of that name
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    for target, value in _bindings(small):
                        if isinstance(target, cst.Name) and target.value == attr:
                            if not self._client_or_none(value, found):
                                return None
        for node in walk(self.codemod.module):
            if isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                for target, value in _bindings(node):
                    if any(_is_attr(part, attr) for part in walk(target)):
                        if not (_is_attr(target, attr) and self._client_or_none(value, found)):
                            return None
            elif isinstance(node, (cst.Del, cst.For, cst.WithItem, cst.NamedExpr, cst.CompFor)):
                part_of = {cst.Del: "target", cst.For: "target", cst.CompFor: "target", cst.NamedExpr: "target"}
                target = getattr(node, part_of.get(type(node), "asname"), None)
                if target is not None and any(_is_attr(part, attr) for part in walk(target)):
                    return None
            elif isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in _DYNAMIC:
                return None  # setattr/delattr/vars/__dict__ writes: not followed
            elif isinstance(node, cst.Attribute) and node.attr.value == "__dict__":
                return None
        if len(found) != 1:
            return None
        return found.pop()

    def _client_or_none(self, value: Optional[cst.BaseExpression], found: Set[Client]) -> bool:
        if value is None:
            return False
        if isinstance(value, cst.Name) and value.value == "None":
            return True
        client = self.resolver._constructed(value)
        if client is None:
            return False
        found.add(client)
        return True

    # -- a name ------------------------------------------------------------------------------

    def _name_client(self, name: cst.Name) -> Optional[Held]:
        assignments = self._assignments(name)
        if not assignments:
            return None
        found: Set[Client] = set()
        untyped = ""
        settled = False  # at least one binding names the class (constructor or annotation)
        for assignment in assignments:
            node = assignment.node
            if isinstance(node, cst.Param):
                client = self._annotation(node.annotation)
                if client is not None:
                    found.add(client)
                    settled = True
                elif node.annotation is None and _defaults_to_none(node):
                    untyped = node.name.value
                else:
                    return None
                continue
            value = bound_value(self.resolver, node)
            if value is None:
                return None
            client = self._constructed_or_fallback(value, name.value)
            if client is None:
                return None
            found.add(client)
            settled = True
        if not settled or len({cls for cls, _ in found}) != 1:
            return None
        cls, module = sorted(found)[0]
        return Held(cls, module if len(found) == 1 else "", untyped)

    def _constructed_or_fallback(self, value: cst.BaseExpression, name: str) -> Optional[Client]:
        """A constructor, ``name or <constructor>``, ``<constructor> if name is None else
        name``."""
        if (
            isinstance(value, cst.BooleanOperation)
            and isinstance(value.operator, cst.Or)
            and isinstance(value.left, cst.Name)
            and value.left.value == name
        ):
            return self.resolver._constructed(value.right)
        if isinstance(value, cst.IfExp) and _is_none_test(value.test, name):
            if isinstance(value.orelse, cst.Name) and value.orelse.value == name:
                return self.resolver._constructed(value.body)
            return None
        return self.resolver._constructed(value)

    def _annotation(self, annotation: Optional[cst.Annotation]) -> Optional[Client]:
        if annotation is None:
            return None
        expr = _unwrap_optional(
            annotation.annotation, lambda head: self.resolver.resolves_to(head, ["typing.Optional"])
        )
        if expr is None:
            return None
        cls = self.resolver.resolves_to(expr, sorted(CLIENT_CLASSES))
        if cls is None:
            return None
        return cls, self.resolver.drop_in_of(expr) or CLIENT_LIBRARY[cls]

    # -- an opener ---------------------------------------------------------------------------

    def opener_open(self, call: cst.Call) -> bool:
        """``opener.open(...)`` where every binding of ``opener`` in its scope is
        ``urllib.request.build_opener(...)`` or ``None``, at least one the former."""
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "open" and isinstance(func.value, cst.Name)):
            return False
        assignments = self._assignments(func.value)
        if not assignments:
            return False
        built = False
        for assignment in assignments:
            value = bound_value(self.resolver, assignment.node)
            if value is None:
                return False
            if isinstance(value, cst.Name) and value.value == "None":
                continue
            if not (
                isinstance(value, cst.Call) and self.resolver.resolves_to(value.func, ["urllib.request.build_opener"])
            ):
                return False
            built = True
        return built

    def _assignments(self, name: cst.Name) -> Optional[List[Assignment]]:
        try:
            scope = self.codemod.get_metadata(ScopeProvider, name, None)
        except KeyError:
            return None
        if scope is None:
            return None
        found = list(scope[name.value])
        if not all(isinstance(a, Assignment) for a in found):
            return None
        return found


_DYNAMIC = frozenset({"setattr", "delattr", "vars"})


def bound_value(resolver: Any, node: cst.CSTNode) -> Optional[cst.BaseExpression]:
    """The value a plain ``name = value`` / ``name: T = value`` binding of ``node`` assigns,
    or None (``resolver``: a ``calls.HttpResolver``, for the parents)."""
    parent = resolver.parent(node)
    if isinstance(parent, cst.AssignTarget):
        assign = resolver.parent(parent)
        if isinstance(assign, cst.Assign) and len(assign.targets) == 1 and parent.target is node:
            return assign.value
        return None
    if isinstance(parent, cst.AnnAssign) and parent.target is node:
        return parent.value
    return None


def _bindings(node: cst.CSTNode) -> List[Tuple[cst.BaseExpression, Optional[cst.BaseExpression]]]:
    if isinstance(node, cst.Assign):
        return [(t.target, node.value) for t in node.targets]
    if isinstance(node, cst.AnnAssign):
        return [(node.target, node.value)]
    if isinstance(node, cst.AugAssign):
        return [(node.target, None)]
    return []


def _is_attr(node: cst.CSTNode, attr: str) -> bool:
    return isinstance(node, cst.Attribute) and node.attr.value == attr


def _defaults_to_none(param: cst.Param) -> bool:
    return isinstance(param.default, cst.Name) and param.default.value == "None"


def _is_none_test(test: cst.BaseExpression, name: str) -> bool:
    return (
        isinstance(test, cst.Comparison)
        and isinstance(test.left, cst.Name)
        and test.left.value == name
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, cst.Is)
        and isinstance(test.comparisons[0].comparator, cst.Name)
        and test.comparisons[0].comparator.value == "None"
    )


def _unwrap_optional(expr: cst.BaseExpression, is_optional: Any) -> Optional[cst.BaseExpression]:
    """``X`` of ``X``, ``Optional[X]``, ``X | None``, ``None | X``; None for anything else
    (string annotations are not followed: their names have no metadata)."""
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.BitOr):
        sides = [expr.left, expr.right]
        others = [s for s in sides if not (isinstance(s, cst.Name) and s.value == "None")]
        return others[0] if len(others) == 1 else None
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1:
        element = expr.slice[0].slice
        if is_optional(expr.value) and isinstance(element, cst.Index):
            return element.value
        return None
    if isinstance(expr, (cst.Name, cst.Attribute)):
        return expr
    return None
