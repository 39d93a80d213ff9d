"""Hide the functions no codemod can act on, so libcst's metadata is paid only for the rest.

Scope analysis costs time in proportion to the whole module, but the codemods act on a few
functions of it: the ones that call an HTTP library or use what such a call returned. This
module replaces the body of every other function with a one-line stub before the codemods
run, and puts the original bodies back afterwards.

Which functions are hidden (``plan``): an *outermost* function (at module level, or a method
of a class that is not inside a function) whose definition, header and body, never mentions
an *interesting* name and holds no ``global`` or ``nonlocal`` statement. Interesting names are
computed from the whole file, before anything is hidden:

- the top-level names of the watched modules (the HTTP libraries, plus the modules a codemod
  inspects anywhere in the module: ``codemods.base.HttpCodemod.MODULE_WIDE``), and every name
  an import of one of those modules binds (``from os import environ as env``: ``env``);
- then, to a fixed point, every name bound by a statement or expression that mentions an
  interesting name (``r = urlopen(u)`` makes ``r`` interesting, ``data = r.read()`` makes
  ``data`` interesting, ``s = requests.Session()`` makes ``s`` interesting). Bindings count
  wherever they are, whatever their scope: that only keeps more functions.

Why that is safe: a hidden function's own local names never reach another scope (no
``global``/``nonlocal``), and the codemods resolve names through imports and assignments,
so a call they could classify, a client they could follow, a patch of a library or an
environment change they must notice, or a use of a response they must see always mentions
an interesting name, which keeps its function. Nested functions are never hidden on their
own (a closure may capture a response), only with their outermost function. What the
codemods read about the module as a whole (its names, for fresh ones) is given to them from
the full file (``Pruned.hidden_names``). ``tests/test_prune.py`` runs every codemod on real
and generated files with and without hiding and requires identical results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

import libcst as cst

from .tree import children, walk

#: Every stub's name starts with this (never a name users write).
MARKER = "__http_codemods_hidden_"

_BINDERS = (
    cst.Assign, cst.AugAssign, cst.AnnAssign, cst.For, cst.With, cst.NamedExpr, cst.CompFor,
    cst.ExceptHandler, cst.Match, cst.Param, cst.ClassDef,
)


@dataclass
class Pruned:
    module: cst.Module
    #: stub name -> the original body it stands for
    bodies: Dict[str, cst.BaseSuite] = field(default_factory=dict)
    #: names that occur only in hidden bodies (the codemods avoid them for fresh names)
    hidden_names: FrozenSet[str] = frozenset()

    def line_map(self, pruned_code: str) -> "LineMap":
        """Map lines of ``pruned_code`` (this module's code) to lines of the original."""
        stubs: List[Tuple[int, int]] = []
        empty = cst.Module(body=[])
        for name, body in self.bodies.items():
            at = pruned_code.find(name)
            line = pruned_code.count("\n", 0, at) + 1
            stubs.append((line, empty.code_for_node(body).count("\n") - 1))
        stubs.sort()
        return LineMap(stubs)


@dataclass
class LineMap:
    stubs: List[Tuple[int, int]]  # (line of the stub in the pruned code, lines it hides)

    def __call__(self, line: int) -> int:
        shift = 0
        for at, hidden in self.stubs:
            if at >= line:
                break
            shift += hidden
        return line + shift


def _names_in(node: cst.CSTNode) -> Set[str]:
    return {n.value for n in walk(node) if isinstance(n, cst.Name)}


def _import_bindings(node: cst.CSTNode, watched: FrozenSet[str]) -> Set[str]:
    """Names an ``import`` of a watched module binds."""
    out: Set[str] = set()
    if isinstance(node, cst.Import):
        for alias in node.names:
            top = _first_name(alias.name)
            if top in watched:
                out.add(alias.evaluated_alias or top)
    elif isinstance(node, cst.ImportFrom) and not node.relative and node.module is not None:
        if _first_name(node.module) in watched and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                out.add(alias.evaluated_alias or alias.evaluated_name)
    return out


def _first_name(expr: cst.BaseExpression) -> str:
    while isinstance(expr, cst.Attribute):
        expr = expr.value
    return expr.value if isinstance(expr, cst.Name) else ""


def _binding(node: cst.CSTNode) -> Optional[Tuple[Set[str], Set[str]]]:
    """(names a binding construct may bind, names it mentions), or ``None``."""
    if isinstance(node, cst.Assign):
        bound = set().union(*(_names_in(t.target) for t in node.targets))
        return bound, _names_in(node.value)
    if isinstance(node, (cst.AugAssign, cst.AnnAssign)):
        return _names_in(node.target), _names_in(node)
    if isinstance(node, (cst.For, cst.CompFor)):
        return _names_in(node.target), _names_in(node.iter)
    if isinstance(node, cst.With):
        bound = set().union(*(_names_in(i.asname) for i in node.items if i.asname is not None))
        return bound, set().union(*(_names_in(i.item) for i in node.items))
    if isinstance(node, cst.NamedExpr):
        return _names_in(node.target), _names_in(node.value)
    if isinstance(node, cst.ExceptHandler):
        if node.name is None or node.type is None:
            return None
        return _names_in(node.name), _names_in(node.type)
    if isinstance(node, cst.Match):
        bound = set().union(*(_names_in(c.pattern) for c in node.cases))
        return bound, _names_in(node.subject)
    if isinstance(node, cst.Param):
        mentioned: Set[str] = set()
        if node.annotation is not None:
            mentioned |= _names_in(node.annotation)
        if node.default is not None:
            mentioned |= _names_in(node.default)
        return {node.name.value}, mentioned
    if isinstance(node, cst.ClassDef):
        return {node.name.value}, set().union(set(), *(_names_in(a) for a in (*node.bases, *node.keywords)))
    return None


def _outermost_functions(module: cst.Module) -> List[cst.FunctionDef]:
    """Functions not inside another function, in source order."""
    found: List[cst.FunctionDef] = []
    stack: List[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.FunctionDef):
            found.append(node)
            continue
        if isinstance(node, (cst.BaseExpression, cst.BaseSmallStatement)):
            continue  # lambdas hold no def; statements hold no def below an expression
        kids = children(node)
        kids.reverse()
        stack.extend(kids)
    return found


def plan(module: cst.Module, watched: Iterable[str]) -> Tuple[List[cst.FunctionDef], Set[str]]:
    """(the functions to hide, every name in the module). One pass over the module."""
    watched_set = frozenset(watched)
    interesting: Set[str] = set(watched_set)
    bindings: List[Tuple[Set[str], Set[str]]] = []
    all_names: Set[str] = set()
    functions = _outermost_functions(module)
    outermost = set(functions)
    per_function: List[Tuple[Set[str], bool]] = []

    def scan(root: cst.CSTNode, names: Set[str]) -> bool:
        declares = False
        for node in walk(root, prune=lambda n: n in outermost and n is not root):
            if isinstance(node, cst.Name):
                names.add(node.value)
            elif isinstance(node, (cst.Import, cst.ImportFrom)):
                interesting.update(_import_bindings(node, watched_set))
            elif isinstance(node, (cst.Global, cst.Nonlocal)):
                declares = True
            elif isinstance(node, _BINDERS):
                found = _binding(node)
                if found is not None and found[0]:
                    bindings.append(found)
        return declares

    scan(module, all_names)
    for function in functions:
        names: Set[str] = set()
        per_function.append((names, scan(function, names)))
        all_names |= names
    changed = True
    while changed:
        changed = False
        for bound, mentioned in bindings:
            if not bound <= interesting and not mentioned.isdisjoint(interesting):
                interesting |= bound
                changed = True
    hidden = [
        function
        for function, (names, declares) in zip(functions, per_function)
        if not declares and names.isdisjoint(interesting)
    ]
    return hidden, all_names


def prune(module: cst.Module, watched: Iterable[str]) -> Optional[Pruned]:
    """The module with hidden function bodies, or ``None`` when nothing can be hidden."""
    hidden, all_names = plan(module, watched)
    if not hidden:
        return None
    bodies: Dict[str, cst.BaseSuite] = {}
    replacements: Dict[cst.CSTNode, cst.CSTNode] = {}
    for index, function in enumerate(hidden):
        name = f"{MARKER}{index}__"
        bodies[name] = function.body
        stub = cst.SimpleStatementSuite(body=[cst.Expr(cst.Name(name))])
        replacements[function] = function.with_changes(body=stub)
    pruned_module = replace_nodes(module, replacements)
    visible = {n.value for n in walk(pruned_module) if isinstance(n, cst.Name)}
    return Pruned(pruned_module, bodies, frozenset(all_names - visible))


def restore(module: cst.Module, bodies: Dict[str, cst.BaseSuite]) -> cst.Module:
    """Put the hidden bodies back into ``module`` (the codemods' result, re-parsed)."""
    replacements: Dict[cst.CSTNode, cst.CSTNode] = {}
    for node in walk(module, prune=_statements_only):
        if isinstance(node, cst.FunctionDef) and isinstance(node.body, cst.SimpleStatementSuite):
            body = node.body.body
            if len(body) == 1 and isinstance(body[0], cst.Expr) and isinstance(body[0].value, cst.Name):
                original = bodies.get(body[0].value.value)
                if original is not None:
                    replacements[node] = node.with_changes(body=original)
    if len(replacements) != len(bodies):
        raise ValueError(f"{len(bodies) - len(replacements)} hidden function bodies went missing")
    return replace_nodes(module, replacements)


def _statements_only(node: cst.CSTNode) -> bool:
    return isinstance(node, (cst.BaseExpression, cst.BaseSmallStatement))


def replace_nodes(module: cst.Module, replacements: Dict[cst.CSTNode, cst.CSTNode]) -> cst.Module:
    """``module`` with each key (a statement) replaced by its value; only their ancestors
    are rebuilt."""
    parents: Dict[cst.CSTNode, cst.CSTNode] = {}
    stack: List[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if node in replacements or _statements_only(node):
            continue
        for child in children(node):
            parents[child] = node
            stack.append(child)
    path: Set[cst.CSTNode] = set()
    for node in replacements:
        current: Optional[cst.CSTNode] = node
        while current is not None and current not in path:
            path.add(current)
            current = parents.get(current)
    result = module.visit(_Replacer(path, replacements))
    assert isinstance(result, cst.Module)
    return result


class _Replacer(cst.CSTTransformer):
    def __init__(self, path: Set[cst.CSTNode], replacements: Dict[cst.CSTNode, cst.CSTNode]) -> None:
        super().__init__()
        self.path = path
        self.replacements = replacements

    def on_visit(self, node: cst.CSTNode) -> bool:
        return node in self.path and node not in self.replacements

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> cst.CSTNode:
        return self.replacements.get(original_node, updated_node)

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        pass

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        pass


