"""Factories: a function that makes a client and returns it, on every path that returns, is
handing it to its caller. That is not a site of ``close-client``.

``s = requests.Session(); s.mount(...); return s`` (a session factory, the usual way to
configure adapters, retries and headers) leaks nothing of its own: the client is alive on
purpose when the function returns, closing it here would hand the caller a closed client, and
closing it is the caller's business. So it is not reported (a report would ask for a change
that must not be made). Responses returned this way (``handle = urlopen(url); return handle``)
are still reported by ``close-response``: a function that hands out an open stream is worth a
reviewer's look, and the reports name the caller's duty.

Only the plain shape counts, so that "returned" means "returned itself":

- the target is bound by ``name = <target>`` (``name = await <target>``), a statement of the
  function's own body (not inside an ``if``, loop, ``try`` or ``with``);
- the function's last statement is ``return name`` (or ``return name, other, ...``: a literal
  tuple or list holding the name itself), and every other ``return`` of the function (nested
  functions, lambdas and classes aside) returns it the same way; no ``yield``;
- the name is bound nowhere else in the function, and not declared ``global``/``nonlocal``.

Anything else that returns the object, or something made from it (``return r.iter_lines()``,
``return session.get(u, stream=True)``, ``return Api(session=s)``), is still reported.
"""

from __future__ import annotations

from typing import Any, Optional

import libcst as cst

from ..tree import walk
from .model import Target

_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


def handed_to_caller(codemod: Any, target: Target) -> bool:
    """Whether ``target`` is made by a factory that returns it itself (see the module)."""
    parent = codemod.resolver.parent
    value: cst.CSTNode = target.node
    assign = parent(value)
    if isinstance(assign, cst.Await):
        value, assign = assign, parent(assign)
    if not isinstance(assign, cst.Assign) or assign.value is not value or len(assign.targets) != 1:
        return False
    bound = assign.targets[0].target
    if not isinstance(bound, cst.Name):
        return False
    line = parent(assign)
    block = parent(line) if isinstance(line, cst.SimpleStatementLine) else None
    func = parent(block) if isinstance(block, cst.IndentedBlock) else None
    if not isinstance(func, cst.FunctionDef) or not isinstance(block, cst.IndentedBlock):
        return False
    name = bound.value
    last = block.body[-1]
    if not (isinstance(last, cst.SimpleStatementLine) and len(last.body) == 1 and _returns(last.body[0], name)):
        return False
    return _only_binding_and_returns(block, assign, name)


def _returns(node: cst.CSTNode, name: str) -> bool:
    """``return name`` or ``return name, x`` / ``return [name, x]``."""
    if not isinstance(node, cst.Return) or node.value is None:
        return False
    value = node.value
    if isinstance(value, cst.Name):
        return value.value == name
    if isinstance(value, (cst.Tuple, cst.List)):
        return any(isinstance(e, cst.Element) and _is(e.value, name) for e in value.elements)
    return False


def _is(node: cst.CSTNode, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


def _mentions(node: Optional[cst.CSTNode], name: str) -> bool:
    return node is not None and any(_is(n, name) for n in walk(node))


def _binds(target: Optional[cst.CSTNode], name: str) -> bool:
    """Whether assigning to ``target`` rebinds ``name`` (``s.x = ...`` and ``s[k] = ...`` do
    not)."""
    if isinstance(target, cst.Name):
        return target.value == name
    if isinstance(target, (cst.Tuple, cst.List)):
        return any(_binds(e.value, name) for e in target.elements)
    if isinstance(target, (cst.StarredElement, cst.Element)):
        return _binds(target.value, name)
    return False


def _only_binding_and_returns(body: cst.IndentedBlock, assign: cst.Assign, name: str) -> bool:
    """Every ``return`` of the function returns ``name`` itself, nothing yields, and
    ``assign`` is the only statement that binds ``name``."""
    for node in walk(body, prune=lambda n: isinstance(n, _SCOPES)):
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            if _is(node.name, name):  # a nested def or class binds its own name here
                return False
        elif isinstance(node, cst.Return):
            if not _returns(node, name):
                return False
        elif isinstance(node, cst.Yield):
            return False
        elif isinstance(node, (cst.Global, cst.Nonlocal, cst.Del, cst.Match, cst.ImportAlias)):
            if _mentions(node, name):  # conservative: any mention
                return False
        elif isinstance(node, cst.Assign):
            if node is not assign and any(_binds(t.target, name) for t in node.targets):
                return False
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign, cst.NamedExpr, cst.For, cst.CompFor)):
            if _binds(node.target, name):
                return False
        elif isinstance(node, cst.AsName):  # with ... as, except ... as, import ... as
            if _binds(node.name, name):
                return False
    return True
