"""The names a factory's returned object may come from (``response_sources``), read from the
factory's module: a test that replaces a name of the factory's module outside them (a check
function, ``os.*``, ``socket.getaddrinfo``, a module constant) changes at most whether the
factory raises, never what object it returns, so it hands the factory's callers no stand-in
(``ProjectFacts.factory_stand_in``).

A name is a source when the returned value is read from it: every name of a ``return``
expression (the callee of the call that makes the response, the names it is made through,
its arguments), every name of a value bound to a source (``opener = build_opener(*handlers)``
makes ``build_opener`` and ``handlers`` sources), of a loop's iterable or a ``with`` item bound
to one, and every argument of a method called on a local source (``handlers.append(h)``). A
source that is a function or class the module defines is read too: its ``return`` values and,
for a class, every method with ``self`` a source (its state may shape what the library's
methods built on it return) and its bases. What cannot be read so stays unknown (``None``):
a nested function, class or lambda, ``yield``, ``global``/``nonlocal``, or a local source handed
to a call that is no source (it may put anything in it).

Two library facts are used, each read from the standard library's source:

- ``http.client.HTTPConnection.getresponse`` returns ``self.response_class(self.sock, ...)``:
  what a subclass's ``connect()`` stores in ``self.sock`` (``_TRANSPORT``) is the transport the
  response reads from, never the object returned.
- ``_CONFIGURATION``: functions of the library whose result only configures the library
  (``urllib.request.getproxies`` gives the proxies ``ProxyHandler`` routes through; its
  ``proxy_open`` returns ``self.parent.open(...)``, the opener's response, or ``None``;
  ``proxy_bypass`` a bool choosing whether to route): what a replacement returns decides where
  the request goes or whether the call raises, never what object the opener returns."""

from __future__ import annotations

import ast
import hashlib
import os
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

#: Builtins that only read their arguments: handing them a local source puts nothing in it.
_READERS = frozenset(
    {"isinstance", "issubclass", "hasattr", "getattr", "len", "str", "repr", "bool", "int", "type", "id", "callable"}
)
#: (base class, attribute) of a connection whose stored value is the transport, not the response.
_TRANSPORT = frozenset({("http.client.HTTPConnection", "sock"), ("http.client.HTTPSConnection", "sock")})
#: Library functions whose result only configures the library (module doc).
CONFIGURATION = frozenset(
    {
        "urllib.request.getproxies",
        "urllib.request.proxy_bypass",
        "urllib.request.getproxies_environment",
        "urllib.request.proxy_bypass_environment",
    }
)
_DEPTH = 12
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


class _Unknown(Exception):
    pass


def _dotted(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _names(expr: Optional[ast.AST]) -> Set[str]:
    """Every dotted name read in ``expr``, whole (``a.b.c``, not ``a.b``)."""
    out: Set[str] = set()
    todo = [expr] if expr is not None else []
    while todo:
        node = todo.pop()
        if isinstance(node, _SCOPES):
            raise _Unknown
        name = _dotted(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
        if name:
            out.add(name)
        else:
            todo.extend(ast.iter_child_nodes(node))
    return out


def _roots(targets: List[ast.AST]) -> Set[str]:
    out: Set[str] = set()
    for target in targets:
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                out.add(node.id)
    return out


def _own(func: ast.AST) -> List[ast.AST]:
    nodes: List[ast.AST] = []
    todo = list(ast.iter_child_nodes(func))
    while todo:
        node = todo.pop()
        if isinstance(node, (*_SCOPES, ast.Yield, ast.YieldFrom, ast.Global, ast.Nonlocal)):
            raise _Unknown
        nodes.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return nodes


def _function(func: ast.AST, seeds: Set[str], transport: FrozenSet[str] = frozenset()) -> Set[str]:
    """The sources of ``func``'s returned value (and of ``seeds``, names already sources)."""
    nodes = _own(func)
    local: Set[str] = set()  # names the function binds (its parameters are the caller's objects)
    for node in nodes:
        if isinstance(node, (ast.Name,)) and isinstance(node.ctx, ast.Store):
            local.add(node.id)
    found: Set[str] = set(seeds)
    flowing: Set[int] = set()  # the calls whose result is read into a source

    def read(expr: Optional[ast.AST]) -> Set[str]:
        flowing.update(id(n) for n in ast.walk(expr) if isinstance(n, ast.Call)) if expr is not None else None
        return _names(expr)

    while True:
        before = len(found)
        roots = {name.split(".")[0] for name in found}
        for node in nodes:
            if isinstance(node, ast.Return):
                found |= read(node.value)
            elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.NamedExpr)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                kept = [t for t in targets if not (isinstance(t, ast.Attribute) and t.attr in transport)]
                if kept and _roots(kept) & roots:
                    found |= read(node.value)
            elif isinstance(node, (ast.For, ast.AsyncFor)) and _roots([node.target]) & roots:
                found |= read(node.iter)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None and _roots([item.optional_vars]) & roots:
                        found |= read(item.context_expr)
            elif isinstance(node, ast.Call):
                callee = _dotted(node.func) or ""
                if isinstance(node.func, ast.Attribute) and callee.split(".")[0] in roots & local:
                    for given in [*node.args, *(k.value for k in node.keywords)]:
                        found |= read(given)  # ``handlers.append(h)``: ``h`` is in it now
        if len(found) == before:
            break
    roots = {name.split(".")[0] for name in found}
    for node in nodes:
        if not isinstance(node, ast.Call) or id(node) in flowing:
            continue
        callee = _dotted(node.func) or ""
        if callee in _READERS or (isinstance(node.func, ast.Attribute) and callee.split(".")[0] in roots & local):
            continue
        handed: Set[str] = set()
        for given in [*node.args, *(k.value for k in node.keywords)]:
            handed |= _names(given)
        if {name.split(".")[0] for name in handed} & roots & local:
            raise _Unknown(ast.unparse(node))  # a local source handed to a call that may fill it
    return found


def response_sources(tree: ast.Module, func: ast.AST) -> Optional[FrozenSet[str]]:
    """The dotted names (as the module spells them) ``func``'s returned object may come from,
    with those of the module's functions and classes among them; ``None``: unknown."""
    defs: Dict[str, List[ast.AST]] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs.setdefault(node.name, []).append(node)
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and any(a.name == "*" for a in node.names):
            return None
    try:
        found = _function(func, set())
        seen: Set[str] = set()
        for _ in range(_DEPTH):
            fresh = {name.split(".")[0] for name in found} & set(defs) - seen
            if not fresh:
                return frozenset(found)
            for name in sorted(fresh):
                seen.add(name)
                for node in defs[name]:
                    found |= _definition(node)
        return None
    except (_Unknown, RecursionError):
        return None


def _definition(node: ast.AST) -> Set[str]:
    if not isinstance(node, ast.ClassDef):
        return _function(node, set())
    found: Set[str] = set()
    for base in [*node.bases, *(k.value for k in node.keywords), *node.decorator_list]:
        found |= _names(base)
    bases = {_dotted(b) for b in node.bases}
    transport = frozenset(attr for base, attr in _TRANSPORT if base in bases)
    for item in node.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found |= _names_of_decorators(item)
            first = (item.args.posonlyargs or item.args.args or [None])[0]
            seeds = {first.arg} if first is not None else set()
            found |= _function(item, seeds, transport) - seeds
        elif isinstance(item, _SCOPES):
            raise _Unknown
        else:
            for child in ast.walk(item):
                if isinstance(child, _SCOPES):
                    raise _Unknown
            found |= _names(item)  # a class attribute: ``response_class = Fake``
    return found


def _names_of_decorators(func: ast.AST) -> Set[str]:
    out: Set[str] = set()
    for decorator in func.decorator_list:  # type: ignore[attr-defined]
        out |= _names(decorator)
    return out


def related(name: str, sources: FrozenSet[str]) -> bool:
    """Whether replacing ``name`` (dotted, as the module spells it) may replace a source: it is
    one, holds one (``urllib`` of ``urllib.request.build_opener``) or is under one
    (``_SafeHTTPHandler.http_open``)."""
    return any(s == name or s.startswith(name + ".") or name.startswith(s + ".") for s in sources)


_CACHE: Dict[Tuple[str, int, bytes], Optional[FrozenSet[str]]] = {}


def of_factory(where: str, name: str) -> Optional[FrozenSet[str]]:
    """``response_sources`` of the ``def name`` at ``where`` (``path:line``), read from disk.
    Memoized on the file's real path and bytes (a path shown relative to the working
    directory, or a file edited between two runs of one process, is never a stale hit)."""
    path, _, line = where.rpartition(":")
    number = int(line) if line.isdigit() else 0
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    key = (os.path.realpath(path), number, hashlib.sha1(data).digest())
    if key in _CACHE:
        return _CACHE[key]
    found: Optional[FrozenSet[str]] = None
    try:
        tree: Optional[ast.Module] = ast.parse(data)
    except (SyntaxError, ValueError):
        tree = None
    if tree is not None:
        funcs = [
            n
            for n in tree.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name and n.lineno == number
        ]
        if len(funcs) == 1:
            found = response_sources(tree, funcs[0])
    _CACHE[key] = found
    return found
