"""Stores: a tainted value kept where it outlives the ``with`` block (an attribute, a
subscript, a for-loop target that is not a plain name, a container).

An object that owns its client and closes it itself is correct code: ``self.X = <object>`` in
a method of class ``C`` (``self`` its first parameter), where ``C``'s own body has a method
``close``/``aclose``/``__exit__``/``__aexit__``/``__del__`` that calls ``self.X.close()`` (or
``aclose()``, ``release()``, ``release_conn()``) is an *owned* store (``owner_of``): when it is
the only escape, the binding is no site (``EscapeAnalysis.extent``). Any other store on
``self`` in a method is reported with what to do (close it in a ``close()`` of the class).
"""

from __future__ import annotations

from typing import Any, List, Optional, Set, Tuple

import libcst as cst
from libcst.metadata import ExpressionContext, ExpressionContextProvider

from ..tree import walk
from .eager import CLOSING_METHODS
from .model import MetadataView, Unsafe

#: The methods of a class that end its instances' lifetime: one of them closing ``self.X``
#: makes ``self.X = <object>`` the object's own (``owner_of``).
OWNER_CLOSERS = ("close", "aclose", "__exit__", "__aexit__", "__del__")


class StoreCheck(MetadataView):
    """Store escapes for one target, over its ``taint`` (``taint.Taint``)."""

    def __init__(self, codemod: Any, taint: Any) -> None:
        super().__init__(codemod)
        self.taint = taint
        #: ``EscapeAnalysis.holds_in_result``: the ``self`` whose attributes may hold the
        #: object, and its class (whose body must not bind the attribute).
        self.holder = ""
        self.klass: Any = None
        self.plain: Any = frozenset()
        #: ``EscapeAnalysis.extent``: owned stores are no escape here but are collected in
        #: ``owned`` (the store, and the report for when the binding must still be reported).
        self.owning = False
        self.owned: List[Tuple[cst.CSTNode, Unsafe]] = []
        #: The object is closed by ``await ....aclose()`` (an async client or response).
        self.async_close = False

    def check(self, sub: cst.CSTNode, live: Set[str], noun: str) -> None:
        """A tainted value stored where it outlives the block: an attribute, a subscript, a
        for-loop target that is not a plain name, a container."""
        if isinstance(sub, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            value = sub.value
            if value is None or not self.taint.mentions(value, live) or self.taint.eager(value, live):
                return
            targets = [t.target for t in sub.targets] if isinstance(sub, cst.Assign) else [sub.target]
            for t in targets:
                for part in walk(t):
                    if isinstance(part, cst.Attribute) and self._store_position(part, t):
                        if self._on_holder(part):
                            continue
                        if self._owned_store(sub, part, noun):
                            continue
                        raise Unsafe(
                            f"the {noun} is stored on an attribute at {self.codemod.line_ref(sub)}"
                            f"{self._where(part, 'the object that holds it may use it after a with block here; close it where that object is closed')}"
                        )
                    if isinstance(part, cst.Subscript) and self._store_position(part, t):
                        raise Unsafe(
                            f"the {noun} is stored in a subscript at {self.codemod.line_ref(sub)}"
                            f"{self._where(part, 'whoever holds that container may use it after a with block here; close it where the container is done with it')}"
                        )
        elif isinstance(sub, cst.For):
            if self.taint.mentions(sub.iter, live) and not self.taint.elements_eager(sub.iter, live):
                if not all(
                    isinstance(
                        p,
                        (
                            cst.Name,
                            cst.Tuple,
                            cst.List,
                            cst.Element,
                            cst.StarredElement,
                            cst.Comma,
                            cst.LeftParen,
                            cst.RightParen,
                            cst.SimpleWhitespace,
                            cst.LeftSquareBracket,
                            cst.RightSquareBracket,
                        ),
                    )
                    for p in walk(sub.target)
                ):
                    raise Unsafe(f"the {noun} is stored by a for loop target at {self.codemod.line_ref(sub)}")
        elif isinstance(sub, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
            if self.taint.mentions(sub, live) and not self.taint.eager(sub, live):
                if isinstance(self._parent(sub), (cst.AssignTarget, cst.For)) or self._is_target(sub):
                    return
                formatting = self._parent(sub)
                if (
                    isinstance(formatting, cst.BinaryOperation)
                    and formatting.right is sub
                    and self.taint.eager(formatting, live)
                ):
                    return  # the arguments of ``"%s: %s" % (a, r)``, formatted into a new string
                raise Unsafe(f"the {noun} is stored in a container at {self.codemod.line_ref(sub)}")

    def _where(self, part: cst.CSTNode, then: str) -> str:
        """`` (`values["session"]`): <then>`` for a report naming the store's target."""
        text = self.codemod.module.code_for_node(part)
        if len(text) > 60 or "\n" in text:
            return f": {then}"
        return f" (`{text}`): {then}"

    def _owned_store(self, sub: cst.CSTNode, part: cst.Attribute, noun: str) -> bool:
        """``self.X = <object>`` in a method: an owned store (recorded when ``owning``, and
        then no escape: True) or an Unsafe saying which ``close()`` should close it; False
        for any other attribute."""
        found = self_store(self, part)
        if found is None:
            return False
        klass, attr = found
        where = self.codemod.line_ref(sub)
        closers = closing_methods(klass)
        if any(closes_attribute(method, attr) for method in closers):
            again = self._stored_again(attr, sub)
            if again:
                # Each store drops the one before it unclosed; close() ends only the last.
                raise Unsafe(
                    f"the {noun} is stored on self.{attr} at {where}, {again}: the one it replaces is not closed"
                )
            exc = Unsafe(f"the {noun} is stored on self.{attr} at {where}")
            if self.owning:
                self.owned.append((sub, exc))
                return True
            raise exc
        name = klass.name.value
        if closers:
            how = f"close it in `{name}.{closers[0].name.value}()` (it does not close it)"
        else:
            how = f"close it in {'an aclose' if self.async_close else 'a close'}() method of `{name}` (none closes it)"
        raise Unsafe(f"the {noun} is stored on self.{attr} at {where}; {how}")

    def _stored_again(self, attr: str, sub: cst.CSTNode) -> str:
        """Why the store of ``self.<attr>`` at ``sub`` may replace an earlier object: it is in
        a loop of its method, or that method stores ``self.<attr>`` again; "" when not. (A
        store in another method, ``login`` replacing what ``__init__`` made, is not read.)"""
        node = self._parent(sub)
        while node is not None and not isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            if isinstance(node, (cst.For, cst.While)):
                return "in a loop"
            node = self._parent(node)
        if not isinstance(node, cst.FunctionDef):
            return ""
        stores = 0
        for node in walk(node):
            targets = []
            if isinstance(node, cst.Assign):
                targets = [t.target for t in node.targets]
            elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
                targets = [node.target]
            for target in targets:
                if (
                    isinstance(target, cst.Attribute)
                    and target.attr.value == attr
                    and isinstance(target.value, cst.Name)
                ):
                    stores += 1
        return "and stored there again" if stores > 1 else ""

    def _on_holder(self, part: cst.Attribute) -> bool:
        """``self.x = ...`` on the holder instance, ``x`` not bound in its class body."""
        from .summaries import class_binds

        return (
            bool(self.holder)
            and isinstance(part.value, cst.Name)
            and part.value.value == self.holder
            and self.klass is not None
            and part.attr.value not in self.plain
            and not class_binds(self.klass, part.attr.value)
        )

    def _is_target(self, node: cst.CSTNode) -> bool:
        ctx = self.get_metadata(ExpressionContextProvider, node, None)
        return ctx in (ExpressionContext.STORE, ExpressionContext.DEL)

    def _store_position(self, part: cst.CSTNode, target: cst.CSTNode) -> bool:
        """``part`` (inside an assignment target) is itself what is assigned to."""
        node = part
        while node is not target:
            parent = self._parent(node)
            if not isinstance(parent, (cst.Tuple, cst.List, cst.Element, cst.StarredElement)):
                return False
            node = parent
        return True


def self_store(view: MetadataView, part: cst.Attribute) -> Optional[Tuple[cst.ClassDef, str]]:
    """(the class, ``X``) when ``part`` is ``self.X`` in a method directly in a class body,
    ``self`` its first parameter (not a ``staticmethod``/``classmethod``, and never rebound)."""
    if not isinstance(part.value, cst.Name):
        return None
    function = view._parent(part)
    while function is not None and not isinstance(function, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
        function = view._parent(function)
    if not isinstance(function, cst.FunctionDef):
        return None
    klass = _class_of(view, function)
    first = _first_parameter(function)
    if klass is None or first is None or first.name.value != part.value.value:
        return None
    if view.binds(function.body, first.name.value):
        return None
    return klass, part.attr.value


def _class_of(view: MetadataView, function: cst.FunctionDef) -> Optional[cst.ClassDef]:
    """The class whose body holds ``function`` directly, when it is a plain method."""
    block = view._parent(function)
    klass = view._parent(block) if isinstance(block, cst.IndentedBlock) else None
    if not isinstance(klass, cst.ClassDef):
        return None
    for decorator in function.decorators:
        if isinstance(decorator.decorator, cst.Name) and decorator.decorator.value in ("staticmethod", "classmethod"):
            return None
    return klass


def _first_parameter(function: cst.FunctionDef) -> Optional[cst.Param]:
    positional = list(function.params.posonly_params) + list(function.params.params)
    return positional[0] if positional else None


def closing_methods(klass: cst.ClassDef) -> List[cst.FunctionDef]:
    """The methods of ``klass``'s own body that end an instance's lifetime (``OWNER_CLOSERS``)."""
    body = klass.body.body if isinstance(klass.body, cst.IndentedBlock) else ()
    return [s for s in body if isinstance(s, cst.FunctionDef) and s.name.value in OWNER_CLOSERS]


def closes_attribute(method: cst.FunctionDef, attr: str) -> bool:
    """``method`` calls ``self.<attr>.close()`` (or another closing method), ``self`` its first
    parameter, anywhere in its body (on some path: ending the object is its job)."""
    first = _first_parameter(method)
    if first is None:
        return False
    me = first.name.value
    for sub in walk(method.body):
        if (
            isinstance(sub, cst.Call)
            and isinstance(sub.func, cst.Attribute)
            and sub.func.attr.value in CLOSING_METHODS
            and isinstance(sub.func.value, cst.Attribute)
            and sub.func.value.attr.value == attr
            and isinstance(sub.func.value.value, cst.Name)
            and sub.func.value.value.value == me
        ):
            return True
    return False
