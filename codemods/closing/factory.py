"""Handed to the caller: a function that makes a response or a client and returns that object
itself on every normal exit after making it is handing it to its caller. That is not a site of
``close-response`` or ``close-client`` (neither fixed nor reported).

``s = requests.Session(); s.mount(...); return s`` (a session factory, the usual way to
configure adapters, retries and headers) and ``r = requests.get(u, stream=True);
r.raise_for_status(); return r`` leak nothing of their own: the object is alive on purpose when
the function returns, closing it here would hand the caller a closed object, and closing it is
the caller's business (Go's ``bodyclose`` and pylint's ``consider-using-with`` see it so too).
Where the caller is in the project and the function is a factory (``facts/factories.py``), the
caller is the site (``with _open(url) as handle:``).

The rule is ``facts.factories.hands_out``, the one the factories pass applies to the responses
a factory binds: after the binding (``name = <target>``, ``name = await <target>``, or
``return <target>`` at once), every normal exit returns the object itself (``return name``;
``return io.TextIOWrapper(name, ...)`` or a name bound to one for a response, whose ``close()``
closes it; ``return name, other`` for a client), wherever that exit is: inside the block that
binds it or after its end (a ``try``, ``if`` or retry loop that binds it, ``return`` after it).
Raising paths are the caller's too. A path that returns anything else, falls off the function,
rebinds the name, or goes round a loop again to bind it anew drops the object: then the site is
analysed as before (and reported). Anything made from the object (``return r.iter_lines()``,
``return r.raw``, ``return session.get(u)`` of a session that stays open) is no hand-out.
Module-level bindings, generators and class bodies hand nothing out.
"""

from __future__ import annotations

import ast
from typing import Any, List

import libcst as cst

from ..facts.factories import hands_out_marked
from ..tree import walk
from .model import Target

_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
#: What the target becomes in the copy of its function that ``hands_out_marked`` reads.
_MARKER = "__http_codemods_handed_out__"


def handed_to_caller(codemod: Any, target: Target) -> bool:
    """Whether ``target`` is made in a function that hands it to its caller (see the module)."""
    parent = codemod.resolver.parent
    func = parent(target.node)
    while func is not None and not isinstance(func, (*_SCOPES, cst.Module)):
        func = parent(func)
    if not isinstance(func, cst.FunctionDef):
        return False
    if not any(
        isinstance(n, cst.Return) and n.value is not None
        for n in walk(func.body, prune=lambda n: isinstance(n, _SCOPES))
    ):
        return False
    module = codemod.module
    imports: List[cst.CSTNode] = [
        stmt
        for stmt in module.body
        if isinstance(stmt, cst.SimpleStatementLine)
        and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)
    ]
    marked = func.deep_replace(target.node, cst.Call(cst.Name(_MARKER)))
    code = "".join(module.code_for_node(s) for s in imports) + module.code_for_node(marked)
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return hands_out_marked(tree, _MARKER, containers=target.noun == "client", wrappers=target.noun == "response")
