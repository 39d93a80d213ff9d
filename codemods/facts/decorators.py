"""Transparent decorators: a decorator of the project after which the decorated name still
returns what the function returns, unchanged, on every call.

A factory (``facts/factories.py``) may be decorated only by such decorators; any other one
(``functools.lru_cache`` keeps the response and hands it out again, a decorator that returns
something else, one of another library, one the codemod cannot read) leaves the function no
factory, and its own site reported. Proven, never guessed from a name, a decorator is
transparent when it is a ``def`` at module level of a module of the project (bound once there,
never declared ``global``; not decorated, not ``async``, no ``yield``/``await``), with one plain
positional parameter ``f`` and one of two bodies:

- **identity**: it returns ``f`` itself (or a local name bound once to ``f`` or to
  ``typing.cast(T, f)``) on every path, and uses it otherwise only to set a plain attribute on
  it (``f.previous = None``; not a dunder such as ``__code__``, which would change what a call
  runs). Biopython's ``function_with_previous``;
- **wrapper**: it defines one nested ``def w`` (no other decorator than ``functools.wraps(f)``)
  and returns ``w`` on every path (its other statements: a docstring, plain attribute stores on
  ``w``), where every ``return`` of ``w`` returns ``f(...)`` (any arguments) and no path of it
  ends otherwise (falls off its end, a ``with`` whose exit may swallow the exception: the flow
  of ``hands_out``); ``f`` is named in ``w`` only as that call, and nowhere else in the
  decorator but in ``wraps(f)``; ``w`` is named only by the final ``return`` and those stores.
  What else ``w`` does (sleep, throttle, log) cannot reach the response: it only ever sees
  ``f``'s result as the returned value. A wrapper that calls ``f`` more than once on a path
  (``f(); return f()``), catches and returns something else, or caches, is none.
"""

from __future__ import annotations

import ast
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from .standins import statements
from .visitor import _Names

_WRAPS = frozenset({"functools.wraps"})
_CAST = frozenset({"typing.cast"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)

#: dotted module name -> its tree, or None (not a module of the project, unreadable).
Lookup = Callable[[str], Optional[ast.Module]]


def transparent(
    decorator: ast.AST, names: _Names, tree: ast.Module, modules: Sequence[str], lookup: Optional[Lookup]
) -> bool:
    """Whether ``decorator`` (an expression of a decorator list of ``tree``, a module imported
    as ``modules``; ``names`` its import names) is a transparent decorator (see the module).
    Remembered per decorator node (with the ``names`` and ``lookup`` it was asked with): the
    factories pass asks again for each round."""
    memo = _memo(tree).decorators
    cached = memo.get(id(decorator))
    if cached is not None and cached[0] is decorator and cached[1] is names and cached[2] is lookup:
        return cached[3]
    found = _transparent(decorator, names, tree, lookup)
    memo[id(decorator)] = (decorator, names, lookup, found)
    return found


def _transparent(decorator: ast.AST, names: _Names, tree: ast.Module, lookup: Optional[Lookup]) -> bool:
    if not isinstance(decorator, (ast.Name, ast.Attribute)):
        return False  # ``@throttle(0.3)``: what the call returns is not read
    head = decorator
    while isinstance(head, ast.Attribute):
        head = head.value
    if not isinstance(head, ast.Name) or _module_bindings(tree).get(head.id) != 1:
        return False
    dotted = names.dotted(decorator) or ""
    if isinstance(decorator, ast.Name) and dotted == decorator.id:
        return _defines(tree, decorator.id)  # a ``def`` of this module
    if lookup is None:
        return False
    parts = dotted.split(".")
    if len(parts) < 2:
        return False
    module = lookup(".".join(parts[:-1]))
    return module is not None and _defines(module, parts[-1])


class _Memo:
    """What this module computes of one tree, once: its module-level binding counts, its
    import names, the answers of ``_defines`` and of ``transparent``."""

    __slots__ = ("tree", "bindings", "names", "defines", "decorators")

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.bindings: Optional[Dict[str, int]] = None
        self.names: Optional[_Names] = None
        self.defines: Dict[str, bool] = {}
        self.decorators: Dict[int, Tuple[ast.AST, _Names, Optional[Lookup], bool]] = {}


_MEMOS: Dict[int, _Memo] = {}


def clear_decorator_memo() -> None:
    """Drop the trees kept for the memos (at the end of the factories pass)."""
    _MEMOS.clear()


def _memo(tree: ast.Module) -> _Memo:
    found = _MEMOS.get(id(tree))
    if found is None or found.tree is not tree:
        if len(_MEMOS) > 256:
            _MEMOS.clear()
        found = _MEMOS[id(tree)] = _Memo(tree)
    return found


def _module_bindings(tree: ast.Module) -> Dict[str, int]:
    """How often each name is bound at module level (``global`` in a function counts twice:
    any function may rebind it)."""
    memo = _memo(tree)
    if memo.bindings is None:
        from .factories import _binding_counts

        counts = dict(_binding_counts(tree.body))
        for node in statements(tree):  # a ``global`` is a statement
            if isinstance(node, ast.Global):
                for name in node.names:
                    counts[name] = 2
        memo.bindings = counts
    return memo.bindings


def _defines(tree: ast.Module, name: str) -> bool:
    """``tree`` binds ``name`` once, by a transparent decorator's ``def``."""
    memo = _memo(tree)
    found = memo.defines.get(name)
    if found is None:
        found = memo.defines[name] = _computed_defines(tree, name, memo)
    return found


def _computed_defines(tree: ast.Module, name: str, memo: _Memo) -> bool:
    if _module_bindings(tree).get(name) != 1:
        return False
    func = next((s for s in tree.body if isinstance(s, ast.FunctionDef) and s.name == name), None)
    if func is None:
        return False
    if memo.names is None:
        names = _Names(tree, "")
        # ``statements`` gives the imports in ``ast.walk``'s order, for a fraction of its cost.
        names._imports([n for n in statements(tree) if isinstance(n, (ast.Import, ast.ImportFrom))])
        memo.names = names
    names = memo.names
    return _transparent_def(func, names.dotted, _locks(tree, names.dotted))


def _plain_param(func: ast.FunctionDef) -> Optional[str]:
    args = func.args
    if func.decorator_list or args.posonlyargs or args.kwonlyargs or args.vararg or args.kwarg or args.defaults:
        return None
    if len(args.args) != 1:
        return None
    return args.args[0].arg


def _parents(nodes: Sequence[ast.AST]) -> Dict[ast.AST, ast.AST]:
    out: Dict[ast.AST, ast.AST] = {}
    for node in nodes:
        for child in ast.iter_child_nodes(node):
            out[child] = node
    return out


def _own(body: Sequence[ast.stmt]) -> List[ast.AST]:
    """The nodes of ``body``, nested scopes' bodies aside (the scope nodes themselves kept)."""
    out: List[ast.AST] = []
    stack: List[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, _SCOPES):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return out


def _plain_store(parent: Optional[ast.AST], node: ast.AST) -> bool:
    """``node.attr = ...`` with a plain (non-dunder) attribute."""
    return (
        isinstance(parent, ast.Attribute)
        and parent.value is node
        and isinstance(parent.ctx, ast.Store)
        and not parent.attr.startswith("__")
    )


def _ends_returning(func: ast.FunctionDef, dotted, returned) -> bool:
    """Every ``return`` of ``func`` (nested scopes aside) meets ``returned(value)`` and no
    path ends otherwise (``hands_out``'s flow from the entry)."""
    from .factories import _HandsOut

    for node in _own(func.body):
        if isinstance(node, ast.Return) and not returned(node.value):
            return False
    flow = _HandsOut(dotted, False, False, lambda value, _: returned(value), func).run(func.body, frozenset({"*"}))
    return not flow.bad and flow.fall is None


def _transparent_def(func: ast.FunctionDef, dotted, locks: frozenset = frozenset()) -> bool:
    param = _plain_param(func)
    if param is None or not func.body:
        return False
    nodes = _own(func.body)
    if any(isinstance(n, (ast.Yield, ast.YieldFrom, ast.Await, ast.Global, ast.Nonlocal)) for n in nodes):
        return False
    wrappers = [n for n in nodes if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef))]
    if not wrappers:
        return _identity(func, param, nodes, dotted)
    if len(wrappers) == 1 and isinstance(wrappers[0], ast.FunctionDef):
        return _wrapper(func, param, wrappers[0], nodes, dotted, locks)
    return False


def _identity(func: ast.FunctionDef, param: str, nodes: List[ast.AST], dotted) -> bool:
    """``return f`` on every path (through a name bound once to ``f`` or ``cast(T, f)``),
    ``f`` used otherwise only for plain attribute stores."""
    parents = _parents(nodes)
    stores: Dict[str, List[ast.AST]] = {}
    for node in nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            stores.setdefault(node.id, []).append(node)
        elif isinstance(node, (ast.alias, ast.ExceptHandler)):
            return False  # a local import or handler name: keep it simple
    if param in stores:
        return False
    aliases = {param}
    changed = True
    while changed:
        changed = False
        for name, its in stores.items():
            if name in aliases or len(its) != 1:
                continue
            assign = parents.get(its[0])
            if (
                isinstance(assign, ast.Assign)
                and len(assign.targets) == 1
                and assign.targets[0] is its[0]
                and _is_alias(assign.value, aliases, dotted)
            ):
                aliases.add(name)
                changed = True
    for node in nodes:
        if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in aliases):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.Return) or _plain_store(parent, node):
            continue
        if (
            isinstance(parent, ast.Call)
            and parent.args
            and parent.args[-1] is node
            and _is_alias(parent, aliases, dotted)
        ):
            assign = parents.get(parent)
            if isinstance(assign, ast.Assign) and assign.value is parent:
                continue  # ``g = cast(F, f)``: an alias (its target is checked above)
        return False
    return _ends_returning(func, dotted, lambda value: isinstance(value, ast.Name) and value.id in aliases)


def _is_alias(value: ast.AST, aliases, dotted) -> bool:
    if isinstance(value, ast.Name):
        return value.id in aliases
    return (
        isinstance(value, ast.Call)
        and dotted(value.func) in _CAST
        and len(value.args) == 2
        and not value.keywords
        and isinstance(value.args[1], ast.Name)
        and value.args[1].id in aliases
    )


def _wrapper(
    func: ast.FunctionDef, param: str, inner: ast.FunctionDef, nodes: List[ast.AST], dotted, locks: frozenset
) -> bool:
    """``@functools.wraps(f) def w(...): ...; return f(...)``, ``return w``."""
    if inner not in func.body:
        return False
    # The decorator's own statements: a docstring, the def, plain stores on it, ``return w``.
    for stmt in func.body:
        if stmt is inner or isinstance(stmt, ast.Return):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
            continue
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Attribute)
            and isinstance(stmt.targets[0].value, ast.Name)
            and stmt.targets[0].value.id == inner.name
            and not stmt.targets[0].attr.startswith("__")
            and not any(isinstance(n, ast.Name) and n.id in (param, inner.name) for n in ast.walk(stmt.value))
        ):
            continue
        return False
    for dec in inner.decorator_list:
        if not (
            isinstance(dec, ast.Call)
            and dotted(dec.func) in _WRAPS
            and len(dec.args) == 1
            and not dec.keywords
            and isinstance(dec.args[0], ast.Name)
            and dec.args[0].id == param
        ):
            return False
    parents = _parents(nodes)
    for node in nodes:
        if isinstance(node, ast.Name) and node.id in (param, inner.name):
            parent = parents.get(node)
            if node.id == param and isinstance(node.ctx, ast.Load) and parent in inner.decorator_list:
                continue  # ``wraps(f)``
            if node.id == inner.name and isinstance(node.ctx, ast.Load) and isinstance(parent, ast.Return):
                continue
            if node.id == inner.name and isinstance(parent, ast.Attribute) and parent.value is node:
                continue  # a plain store on it (the statement is checked above)
            return False
    if not _ends_returning(func, dotted, lambda value: isinstance(value, ast.Name) and value.id == inner.name):
        return False
    # The wrapper: every return is ``f(...)``; ``f`` named only there, never rebound.
    args = inner.args
    own_params = {a.arg for a in args.args + args.posonlyargs + args.kwonlyargs}
    own_params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    if param in own_params:
        return False
    inside = _own(inner.body)
    if any(isinstance(n, (ast.Yield, ast.YieldFrom, ast.Await, ast.Global, ast.Nonlocal)) for n in inside):
        return False
    wparents = _parents(list(ast.walk(inner)))
    own_ids = {id(n) for n in inside}
    in_decorators = {id(n) for dec in inner.decorator_list for n in ast.walk(dec)}
    for node in ast.walk(inner):
        if id(node) in in_decorators:
            continue  # ``wraps(f)``, checked above
        if isinstance(node, ast.Name) and node.id == param:
            call = wparents.get(node)
            if not (
                isinstance(node.ctx, ast.Load)
                and isinstance(call, ast.Call)
                and call.func is node
                and isinstance(wparents.get(call), ast.Return)
                and id(node) in own_ids
            ):
                return False
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == param:
            return False
        elif isinstance(node, ast.alias) and (node.asname or node.name).split(".")[0] == param:
            return False
    return _ends_returning(
        _unlocked(inner, dotted, locks),
        dotted,
        lambda value: isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == param,
    )


#: Context managers whose exit never swallows an exception (it returns None).
_LOCKS = frozenset({f"threading.{n}" for n in ("Lock", "RLock", "Semaphore", "BoundedSemaphore")})


def _locks(tree: ast.Module, dotted) -> frozenset:
    """The module-level names bound once, at module level, to ``threading.Lock()`` (``RLock``,
    a semaphore) and never declared ``global``."""
    counts = _module_bindings(tree)
    out = set()
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and counts.get(stmt.targets[0].id) == 1
            and _is_lock_call(stmt.value, dotted)
        ):
            out.add(stmt.targets[0].id)
    return frozenset(out)


def _is_lock_call(value: ast.AST, dotted) -> bool:
    return isinstance(value, ast.Call) and dotted(value.func) in _LOCKS


def _unlocked(inner: ast.FunctionDef, dotted, locks: frozenset) -> ast.FunctionDef:
    """A copy of ``inner`` where each ``with <lock>:`` (no ``as``; a lock of ``locks`` not
    bound in ``inner``, or ``threading.Lock()`` itself) is its body: its exit releases the lock
    and lets every exception through, so the flow is its body's."""
    import copy

    bound = {n.id for n in ast.walk(inner) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    args = inner.args
    bound |= {a.arg for a in args.args + args.posonlyargs + args.kwonlyargs}
    bound |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}

    def lock(item: ast.withitem) -> bool:
        if item.optional_vars is not None:
            return False
        expr = item.context_expr
        if isinstance(expr, ast.Name):
            return expr.id in locks and expr.id not in bound
        return _is_lock_call(expr, dotted)

    class Unlock(ast.NodeTransformer):
        def visit_With(self, node: ast.With):
            self.generic_visit(node)
            if all(lock(item) for item in node.items):
                return node.body
            return node

        def visit_FunctionDef(self, node):
            return node if node is not copied else self.generic_visit(node)

        visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = visit_FunctionDef

    copied = copy.deepcopy(inner)
    Unlock().visit(copied)
    return copied
