"""Hide the functions no codemod can act on, so libcst is paid only for the rest.

A libcst parse and its scope analysis cost time in proportion to the whole file, but the
codemods act on a few functions of it: the ones that call an HTTP library or use what such a
call returned. Before libcst sees a file, the body of every other function is replaced by a
one-line stub (``__http_codemods_hidden_N__``, at the body's indentation); after the codemods,
the original lines are put back and site lines are mapped to the original file. The decision
uses the ``ast`` tree the prefilter already built, so it costs one walk; a file ``ast`` cannot
parse is not pruned at all.

Which functions are hidden (``plan``): an *outermost* function (at module level, or a method
of a class that is not inside a function) whose definition, header and body, never mentions an
*interesting* name and holds no ``global`` or ``nonlocal`` statement. Interesting names:

- the last part of each watched qualified name (the HTTP libraries, plus what a codemod
  inspects anywhere in the module: ``HttpCodemod.MODULE_WIDE``; ``os.environ`` is reached by
  writing ``environ``), and every name an import binds to a watched name or to something inside
  one (``from os import environ as env``: ``env``; ``from requests import get``: ``get``);
- then, to a fixed point, every name bound outside all functions (or in a function that declares
  ``global``) by a statement that mentions an interesting name (``r = urlopen(u)`` at module
  level makes ``r`` interesting, ``s = requests.Session()`` makes ``s`` interesting).

Why that is safe: a hidden function's own names never reach another scope (no
``global``/``nonlocal``), and the codemods resolve names through imports and assignments, so a
call they could classify, a client they could follow, a patch of a library or an environment
change they must notice, or a use of a module-level response they must see always mentions an
interesting name, which keeps its function. A function whose name a kept function mentions is
kept too (to a fixed point): the closing codemods read the body of a helper a response is
passed to (``closing/summaries.py``), and a stub would look like it keeps nothing; every method of
a class a kept function calls with arguments is kept too when the class has the shape
close-client reads as what holds a client (module level, no decorator, no base but ``object``). Nested functions are never hidden on their own (a
closure may capture a response), only with their outermost function. The names used in hidden
functions are given to the codemods (``Hidden.names``) so fresh names avoid them too. If the
codemods' output does not hold every stub exactly as it was made, the engine runs the file again
without hiding. ``tests/test_prune.py`` compares every case with and without hiding.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Set, Tuple

from .prefilter import import_bindings, walk

MARKER = "__http_codemods_hidden_"

_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


@dataclass
class Stub:
    marker: str
    indent: bytes
    line: int  # where the stub stands in the pruned file (1-based)
    body: bytes  # the original lines it stands for
    hidden_lines: int


@dataclass
class Hidden:
    data: bytes  # the file with the hidden bodies replaced by stubs
    stubs: List[Stub] = field(default_factory=list)
    names: frozenset = frozenset()  # every identifier the hidden functions use

    def original_line(self, line: int) -> int:
        """The line of the original file that ``line`` of the pruned file is."""
        shift = 0
        for stub in self.stubs:
            if stub.line >= line:
                break
            shift += stub.hidden_lines - 1
        return line + shift

    def restore(self, text: str, encoding: str) -> Optional[str]:
        """``text`` (the codemods' output) with the original bodies back, or ``None`` when a
        stub is not there exactly as it was made."""
        for stub in self.stubs:
            at = text.find(stub.marker)
            if at < 0 or text.find(stub.marker, at + 1) >= 0:
                return None
            start = max(text.rfind("\n", 0, at), text.rfind("\r", 0, at)) + 1
            if text[start:at].encode(encoding) != stub.indent:
                return None
            end = at + len(stub.marker)
            if text.startswith("\r\n", end):
                end += 2
            elif text.startswith(("\n", "\r"), end):
                end += 1
            elif end != len(text):
                return None
            text = text[:start] + stub.body.decode(encoding) + text[end:]
        return text


def _identifiers(root: ast.AST, into: Set[str]) -> bool:
    """Add every identifier under ``root`` to ``into`` (what libcst would see as a ``Name``);
    whether a ``global``/``nonlocal`` statement is among them."""
    declares = False
    add = into.add
    for node in walk(root):
        kind = type(node)
        if kind is ast.Name:
            add(node.id)  # type: ignore[attr-defined]
            continue
        if kind is ast.Attribute:
            add(node.attr)  # type: ignore[attr-defined]
            continue
        if kind is ast.Constant:
            continue
        if kind is ast.Global or kind is ast.Nonlocal:
            declares = True
        for name in node._fields:
            value = getattr(node, name, None)
            if type(value) is str and name != "type_comment":
                into.update(value.split("."))
            elif type(value) is list and value and type(value[0]) is str:
                into.update(value)
    return declares


def _outermost(tree: ast.Module, owners: Optional[dict] = None) -> List[ast.AST]:
    """The outermost functions; ``owners``: filled with the name of the class each one that
    is a method stands in (by ``id``), for a class at module level that may hold what it is
    given (``_holder_shaped``)."""
    found: List[ast.AST] = []
    stack: List[Tuple[ast.AST, str]] = [(node, "") for node in tree.body]
    while stack:
        node, owner = stack.pop()
        if isinstance(node, _FUNCTIONS):
            found.append(node)
            if owners is not None and owner:
                owners[id(node)] = owner
            continue
        inner = node.name if isinstance(node, ast.ClassDef) and _holder_shaped(node, tree) else ""
        for name in _BLOCK_FIELDS:
            block = getattr(node, name, None)
            if block:
                stack.extend((child, inner) for child in block)
    return found


def _holder_shaped(node: ast.ClassDef, tree: ast.Module) -> bool:
    """A class at module level whose instance close-client may read as what holds a client
    (``closing/summaries.holder_init``): no decorator, no keyword, no base but ``object``."""
    if node not in tree.body or node.decorator_list or node.keywords:
        return False
    return all(isinstance(b, ast.Name) and b.id == "object" for b in node.bases)


def _called_with_arguments(function: ast.AST) -> Set[str]:
    """Names ``function`` calls with at least one argument (``Api(s)``)."""
    return {
        node.func.id
        for node in walk(function)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (node.args or node.keywords)
    }


def _bound(target: ast.AST) -> Set[str]:
    """Names an assignment target binds (``x.y`` and ``x[k]`` bind none)."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(set(), *(_bound(e) for e in target.elts))
    if isinstance(target, ast.Starred):
        return _bound(target.value)
    return set()


def _mentions(*nodes: Optional[ast.AST]) -> Set[str]:
    names: Set[str] = set()
    for node in nodes:
        if node is not None:
            _identifiers(node, names)
    return names


def _stored_attributes(target: ast.AST) -> Set[str]:
    if isinstance(target, ast.Attribute):
        return {target.attr}
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(set(), *(_stored_attributes(e) for e in target.elts))
    if isinstance(target, ast.Starred):
        return _stored_attributes(target.value)
    return set()


def _attribute_stores(function: ast.AST) -> List[Tuple[Set[str], Set[str]]]:
    """(attribute names, names the value mentions) of each ``obj.attr = value`` in
    ``function``: ``self._session = requests.Session()`` makes ``_session`` interesting, so
    every function that uses or stores that attribute is kept (``closing/held.py`` follows a
    client held on ``self`` and must see every store to it). A value's names include what
    the function's own bindings of them mention (``session = requests.Session()`` then
    ``self.session = session``): the ``close()`` that closes ``self.session`` is read by
    ``closing/stores.py`` and must not be a stub."""
    local: Dict[str, Set[str]] = {}
    for node in walk(function):
        binding = _binding(node) if isinstance(node, _BINDERS) else None
        if binding is not None:
            for name in binding[0]:
                local.setdefault(name, set()).update(binding[1])

    def reach(names: Set[str]) -> Set[str]:
        todo = list(names)
        while todo:
            for more in local.get(todo.pop(), ()):
                if more not in names:
                    names.add(more)
                    todo.append(more)
        return names

    found = []
    for node in walk(function):
        if isinstance(node, ast.Assign):
            bound = set().union(set(), *(_stored_attributes(t) for t in node.targets))
            if bound:
                found.append((bound, reach(_mentions(node.value))))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Attribute):
            found.append(({node.target.attr}, reach(_mentions(node.annotation, node.value))))
    return found


def _binding(node: ast.AST) -> Optional[Tuple[Set[str], Set[str]]]:
    """(names a binding construct binds, names it mentions), or ``None``."""
    if isinstance(node, ast.Assign):
        return set().union(set(), *(_bound(t) for t in node.targets)), _mentions(node.value)
    if isinstance(node, ast.AugAssign):
        return _bound(node.target), _mentions(node.target, node.value)
    if isinstance(node, ast.AnnAssign):
        return _bound(node.target), _mentions(node.annotation, node.value)
    if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        return _bound(node.target), _mentions(node.iter)
    if isinstance(node, (ast.With, ast.AsyncWith)):
        bound = set().union(set(), *(_bound(i.optional_vars) for i in node.items if i.optional_vars))
        return bound, _mentions(*(i.context_expr for i in node.items))
    if isinstance(node, ast.NamedExpr):
        return _bound(node.target), _mentions(node.value)
    if isinstance(node, ast.ExceptHandler):
        if node.name is None or node.type is None:
            return None
        return {node.name}, _mentions(node.type)
    if isinstance(node, ast.Match):
        return _mentions(*(c.pattern for c in node.cases)), _mentions(node.subject)
    if isinstance(node, ast.ClassDef):
        return {node.name}, _mentions(*node.bases, *node.keywords)
    return None


def _import_bindings(node: ast.AST, watched: frozenset) -> Set[str]:
    """Names an import binds to a watched qualified name or to something inside one."""
    return {local for local, qualified, _ in import_bindings(node) if _inside(qualified, watched)}


def _inside(qualified: str, watched: frozenset) -> bool:
    while True:
        if qualified in watched:
            return True
        if "." not in qualified:
            return False
        qualified = qualified.rsplit(".", 1)[0]


_BINDERS = (
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
    ast.For,
    ast.AsyncFor,
    ast.comprehension,
    ast.With,
    ast.AsyncWith,
    ast.NamedExpr,
    ast.ExceptHandler,
    ast.Match,
    ast.ClassDef,
)


def plan(tree: ast.Module, watched: Iterable[str]) -> Tuple[List[ast.AST], Set[str]]:
    """(the outermost functions to hide, the identifiers they use)."""
    watched_set = frozenset(watched)
    interesting: Set[str] = {name.rsplit(".", 1)[-1] for name in watched_set}
    owners: dict = {}
    functions = _outermost(tree, owners)
    skip = {id(f) for f in functions}
    shared: List[Tuple[Set[str], Set[str]]] = []

    def scan(nodes: Iterable[ast.AST], bindings: List[Tuple[Set[str], Set[str]]]) -> None:
        stack = list(nodes)
        while stack:
            node = stack.pop()
            if id(node) in skip:
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                interesting.update(_import_bindings(node, watched_set))
            elif isinstance(node, _BINDERS):
                found = _binding(node)
                if found is not None and found[0]:
                    bindings.append(found)
            stack.extend(ast.iter_child_nodes(node))

    # Outside every function: what other functions can see.
    scan(tree.body, shared)
    per_function = []
    for function in functions:
        names: Set[str] = set()
        declares = _identifiers(function, names)
        if declares:
            # Kept; and its imports and assignments may bind module-level names.
            skip.discard(id(function))
            scan([function], shared)
            skip.add(id(function))
        per_function.append((function, names, declares))
        shared.extend(_attribute_stores(function))
    changed = True
    while changed:
        changed = False
        for bound, mentioned in shared:
            if not bound <= interesting and not mentioned.isdisjoint(interesting):
                interesting |= bound
                changed = True
    candidates = [(f, names) for f, names, declares in per_function if not declares and names.isdisjoint(interesting)]
    # A function a kept one names is kept too: the closing codemods read the body of a helper
    # they pass a response to (``closing/summaries.py``); a stub would look like it keeps nothing.
    # So is every method of a class a kept one calls with arguments, when it has the shape of
    # a holder: a client passed to ``Api(s)`` is read through all of them
    # (``summaries.holder_init``).
    used: Set[str] = set()
    called: Set[str] = set()
    for function, names, declares in per_function:
        if declares or not names.isdisjoint(interesting):
            used |= names
            if owners:
                called |= _called_with_arguments(function)
    changed = True
    while changed:
        changed = False
        for entry in list(candidates):
            if entry[0].name in used or owners.get(id(entry[0])) in called:  # type: ignore[attr-defined]
                candidates.remove(entry)
                used |= entry[1]
                if owners:
                    called |= _called_with_arguments(entry[0])
                changed = True
    hidden: List[ast.AST] = []
    hidden_names: Set[str] = set()
    for function, names in candidates:
        hidden.append(function)
        hidden_names |= names
    return hidden, hidden_names


def hide(data: bytes, tree: ast.Module, watched: Iterable[str]) -> Optional[Hidden]:
    """The file with the bodies of the functions ``plan`` picks replaced by stubs, or
    ``None`` when nothing is worth hiding."""
    try:
        functions, names = plan(tree, watched)
    except RecursionError:
        return None
    if not functions:
        return None
    lines = _LINE.findall(data)
    spans = []
    for function in functions:
        body = function.body  # type: ignore[attr-defined]
        # A decorated first statement (``@wraps(f)`` over a nested ``def``) starts at its first
        # decorator: its ``lineno`` is the ``def`` line, and a stub there left the decorator
        # over a stub, which libcst refuses (the whole file then ran again without hiding).
        decorators = getattr(body[0], "decorator_list", None) or ()
        start = min([body[0].lineno] + [d.lineno for d in decorators])
        end = function.end_lineno  # type: ignore[attr-defined]
        if end is None or end <= start or end > len(lines):
            continue  # a one-line body saves nothing
        first = lines[start - 1]
        indent = first[: body[0].col_offset]
        if indent.strip(b" \t\f") or not indent:
            continue  # the body starts on the ``def`` line
        spans.append((start, end, indent))
    if not spans:
        return None
    spans.sort()
    out: List[bytes] = []
    stubs: List[Stub] = []
    position = 1  # next original line to copy
    removed = 0
    for index, (start, end, indent) in enumerate(spans):
        out += lines[position - 1 : start - 1]
        last = lines[end - 1]
        eol = last[len(last.rstrip(b"\r\n")) :]
        marker = f"{MARKER}{index}__"
        out.append(indent + marker.encode("ascii") + eol)
        stubs.append(Stub(marker, indent, start - removed, b"".join(lines[start - 1 : end]), end - start + 1))
        removed += end - start
        position = end + 1
    out += lines[position - 1 :]
    return Hidden(b"".join(out), stubs, frozenset(names))
