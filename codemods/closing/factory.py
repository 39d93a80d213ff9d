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
import os
from typing import Any, Dict, List, NamedTuple, Optional, Set, Tuple

import libcst as cst
from libcst.metadata import ScopeProvider

from ..facts.factories import hands_out_marked
from ..tree import walk
from .foreign import _dotted, _resolve
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
    response = target.noun == "response"
    raises: List[ast.Raise] = []
    holding: Dict[ast.AST, frozenset] = {}
    out = hands_out_marked(
        tree,
        _MARKER,
        containers=not response,
        wrappers=response,
        raises=raises if response else None,
        holding=holding,
    )
    if out and raises:
        # The response leaks where such a raise leaves the function: the caller never gets it.
        mine = sorted(
            (n for n in ast.walk(tree.body[-1]) if isinstance(n, ast.Raise)), key=lambda n: (n.lineno, n.col_offset)
        )
        theirs = sorted(((codemod.position(n), n) for n in walk(func) if isinstance(n, cst.Raise)), key=lambda p: p[0])
        first = min(raises, key=lambda n: (n.lineno, n.col_offset))
        if len(mine) == len(theirs) and first in mine:
            dropped = getattr(codemod, "dropped_by_raise", None)
            if isinstance(dropped, dict):
                dropped[target.node] = theirs[mine.index(first)][0][0]
            leaks = getattr(codemod, "raise_leaks", None)
            if isinstance(leaks, dict) and all(r in mine for r in raises):
                # What closing them there needs (``closing/raising.py``).
                leaks[target.node] = RaiseLeak(
                    tree.body[-1],  # type: ignore[arg-type]
                    tuple(
                        (theirs[mine.index(r)][1], r, holding.get(r, frozenset()))
                        for r in sorted(raises, key=lambda n: (n.lineno, n.col_offset))
                    ),
                )
    return out


class RaiseLeak(NamedTuple):
    """The raises that leave the function with the response open: the function (``ast``, the
    target replaced by the marker call) and, per raise, (its ``cst.Raise``, its ``ast.Raise``,
    the names that hold the response there)."""

    func: ast.FunctionDef
    raises: Tuple[Tuple[cst.Raise, ast.Raise, frozenset], ...]


# -- a factory reached through star imports ------------------------------------------------------
#
# ``from .common import *`` then ``response = fetch(url)``: ``fetch`` is bound by no statement of
# the module, only by its star imports. It is the factory ``pkg.common.fetch`` when the name is
# bound nowhere else in the module (no assignment in any scope the call sees, no builtin) and
# exactly one of the module's star imports may bind it: ``pkg.common``, a module of the project
# that this file's imports run (``ImportGraph.imported``: the results cache key holds its bytes),
# that exports the name (in its ``__all__``, a literal list or tuple of strings; without one, a
# public name), binds it itself and has no star import of its own that may bind it too. Its own
# star imports are not read (the cache key holds only the modules this file imports): one that
# may export the name makes the binding uncertain. A star import of a module outside the project
# may bind anything, but no function of the project. When the call may reach a factory among
# other bindings, or through a module not read, it is reported (the factory's own binding is no
# site, so its callers must not go unsaid); a call that can reach no factory is no site.


#: Star-imported modules parsed, by (real path, bytes): a few per process.
_PARSED: Dict[Tuple[str, bytes], Optional[ast.Module]] = {}


class _Star(NamedTuple):
    """What a module's star imports may bind a name to: ``factories`` found (the project's
    factories it may be), ``bound``: how many of them may bind it, ``maybe``: one whose binding
    the codemod cannot read, ``hidden``: one of them a module of the project not read (it may
    bind the name to any of its factories), ``sources``: those star imports, as written."""

    factories: Tuple[Any, ...] = ()
    bound: int = 0
    maybe: bool = False
    hidden: bool = False
    sources: Tuple[str, ...] = ()


def star_factory(codemod: Any, call: cst.Call, facts: Any, project: Optional[str]) -> Tuple[Optional[Any], str]:
    """(the factory a bare-name call reaches through the module's star imports, "") when that
    is certain; (a factory it may reach, why it is not certain) when the call may reach one;
    (None, "") when it reaches none."""
    func = call.func
    if not isinstance(func, cst.Name) or not hasattr(facts, "_graph"):
        return None, ""
    scope = codemod.get_metadata(ScopeProvider, func, None)
    if scope is None or list(scope[func.value]):
        return None, ""  # bound in the module (any binding, a builtin too)
    filename = codemod.context.filename
    if not filename:
        return None, ""
    real = os.path.realpath(os.path.abspath(filename))
    stars = [
        (len(node.relative), _dotted(node.module) if node.module is not None else "")
        for node in walk(codemod.module, prune=lambda n: isinstance(n, _SCOPES))
        if isinstance(node, cst.ImportFrom) and isinstance(node.names, cst.ImportStar)
    ]
    if not stars:
        return None, ""
    found = _through(facts, project, real, stars, func.value, True)
    if found.bound == 1 and not found.maybe and len(found.factories) == 1:
        return found.factories[0], ""
    candidates = list(found.factories)
    if found.hidden:
        candidates += sorted(
            f for f in facts.factories if f.project == project and f.name == func.value and not f.owner
        )
    if not candidates:
        return None, ""
    factory = candidates[0]
    return factory, (
        f"`{func.value}` is bound only by star imports ({', '.join(found.sources)}); it may be the response "
        f"factory `{factory.name}` ({factory.where}), but the codemod cannot tell which star import binds it "
        "(more than one may, or one of a module it does not read): close the response if it is one"
    )


def _through(facts: Any, project: Optional[str], real: str, stars, name: str, read: bool) -> "_Star":
    """``_Star`` for ``name`` over the star imports ``stars`` ((level, module) each) of the file
    at ``real``; ``read``: the modules of the project they name are read (else each may bind
    the name)."""
    graph = facts._graph()[0]
    factories: List[Any] = []
    bound = 0
    maybe = hidden = False
    sources: List[str] = []
    for level, module in stars:
        shown = f"`from {'.' * level}{module or ''} import *`"
        target = _resolve(graph, project or "", real, module or "", level) if module is not None else None
        if target is None or project is None or facts.project_of_real(target) != project:
            one = _Star((), 1, True)  # outside the project: anything but a function of it
        elif not read or target == real or target not in graph.imported(real):
            one = _Star((), 1, True, True)
        else:
            one = _provides(facts, project, target, name)
        if one.bound:
            bound += 1
            maybe, hidden = maybe or one.maybe, hidden or one.hidden
            factories.extend(f for f in one.factories if f not in factories)
            sources.append(shown)
    return _Star(tuple(factories), bound, maybe, hidden, tuple(sources))


def _provides(facts: Any, project: Optional[str], real: str, name: str) -> "_Star":
    """What ``from <the module at real> import *`` binds ``name`` to (``_Star``: ``bound`` 1
    when it may bind it, 0 when it does not)."""
    tree = _parse(real)
    if tree is None:
        return _Star((), 1, True, True)
    exported = _exports(tree)
    if exported is None:
        return _Star((), 1, True, True)  # an ``__all__`` the codemod cannot read
    if (exported is True and name.startswith("_")) or (exported is not True and name not in exported):
        return _Star()
    if any(isinstance(n, ast.Name) and n.id in ("globals", "exec", "__builtins__") for n in ast.walk(tree)):
        return _Star((), 1, True, True)
    stars = [
        (n.level, n.module or "")
        for n in _module_statements(tree)
        if isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names)
    ]
    inner = _through(facts, project, real, stars, name, False) if stars else _Star()
    if name not in _module_bindings(tree):
        return inner  # bound, if at all, by its own star imports (not read)
    hit = next((f for f in (facts.factory(f"{m}.{name}", project) for m in facts.names_of(real, project)) if f), None)
    return _Star((hit,) if hit else (), 1, inner.bound > 0, inner.hidden)


def _parse(real: str) -> Optional[ast.Module]:
    try:
        with open(real, "rb") as handle:
            data = handle.read((1 << 20) + 1)
    except OSError:
        return None
    key = (real, data)
    if key not in _PARSED:
        if len(_PARSED) > 32:
            _PARSED.clear()
        try:
            _PARSED[key] = ast.parse(data) if len(data) <= 1 << 20 else None
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            _PARSED[key] = None
    return _PARSED[key]


def _module_statements(tree: ast.Module) -> List[ast.AST]:
    """The nodes of the module outside functions and classes."""
    out: List[ast.AST] = []
    stack: List[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        out.append(node)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))
    return out


def _module_bindings(tree: ast.Module) -> Set[str]:
    """The names the module binds (its own statements, and ``global`` in its functions)."""
    out: Set[str] = set()
    for node in _module_statements(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            out.add(node.id)
        elif isinstance(node, ast.alias) and node.name != "*":
            out.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            out.add(node.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            out.update(node.names)
    return out


def _exports(tree: ast.Module) -> Any:
    """``True``: the module has no ``__all__`` (a star import binds its public names); the set
    of its ``__all__`` when that is one literal list or tuple of strings, bound once and never
    changed; None: an ``__all__`` the codemod cannot read."""
    mentions = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == "__all__"]
    mentions += [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "__all__"]
    if not mentions:
        return True
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(mentions) == 1
            and len(stmt.targets) == 1
            and stmt.targets[0] is mentions[0]
            and isinstance(stmt.value, (ast.List, ast.Tuple))
            and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in stmt.value.elts)
        ):
            return {e.value for e in stmt.value.elts}  # type: ignore[union-attr]
    return None
