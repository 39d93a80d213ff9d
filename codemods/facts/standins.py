"""What a test hands the code instead of a response, and whether it is known to have
``close()``: ``contextlib.closing(<call>)`` (close-response's and close-client's fix for a call a
test may mock) binds that object itself and calls its ``close()`` when the block ends.

``StandIns(tree, dotted).value(expr, line)`` grades an expression of a test module (read where
it stands, ``line``), ``result(expr, line)`` what calling it gives:

- ``MOCK``: a mock object of ``unittest.mock`` (``mock.Mock()``, ``MagicMock()``,
  ``mocker.NonCallableMock()`` ...; not ``AsyncMock``, whose ``close()`` is a coroutine) without
  a ``spec``, ``return_value``, ``side_effect`` or ``wraps`` of its own: it has ``close()``, and every attribute of it and
  every result of calling it is such a mock too (``m.get(...)`` on it is one);
- ``CLOSE``: an object whose ``close()`` works: a mock with a ``spec`` that has one
  (``Mock(spec=requests.Response)``, ``create_autospec(requests.Response)``, ``spec=['close',
  ...]``) or with results of its own; an instance of a class whose ``close()`` works on one a
  test builds (``io.BytesIO``, ``httpx.Response``, ``urllib3.HTTPResponse``; not
  ``requests.Response()``, whose ``close()`` raises ``AttributeError`` on its ``raw = None``)
  or of a class of the module that defines ``close`` or derives from one of those; a call of a
  function of the module (or of the enclosing function) whose every ``return`` is one;
- ``None``: anything else (a class without ``close``, a ``spec`` without it, a dict, a name bound
  elsewhere, an unknown call).

``literal(expr, line)``: a constant the test sets (``monkeypatch.setattr(mod, "ENFORCE", True)``,
``patch("Bio.Entrez." + param, value)`` with ``value`` from a loop over literals): a patch of one
hands the code nothing it could take for the response (``replacement``).

A name is read through its one reaching binding: the last plain ``name = value`` before the line
in the body of the function that holds it (not in a branch or a loop; no other kind of binding
of the name between), or the module's only binding of it. Only this module is read: a class or
function imported from another file is unknown.
"""

from __future__ import annotations

import ast
from typing import Callable, Dict, List, Optional, Sequence, Tuple

MOCK = 2
CLOSE = 1

#: Mock classes whose instances have every method (``close`` too).
#: Not ``AsyncMock``: its ``close()`` returns a coroutine nobody awaits (a ``RuntimeWarning``,
#: an error under ``-W error``).
_MOCKS = frozenset({"Mock", "MagicMock", "NonCallableMock", "NonCallableMagicMock", "PropertyMock"})
#: Classes (dotted, as the module's imports resolve them) whose ``close()`` works on an
#: instance a test builds: the ``io`` classes (``close()`` flushes and marks it closed),
#: ``httpx.Response`` and ``urllib3.HTTPResponse``. Not ``requests.Response``: one a test
#: makes has ``raw = None`` and its ``close()`` raises ``AttributeError`` (``self.raw.close()``)
#: unless its content was consumed; nor ``http.client.HTTPResponse``, whose ``close()`` closes
#: what the test gave it.
CLOSING_CLASSES = frozenset(
    {
        "httpx.Response",
        "urllib3.HTTPResponse",
        "urllib3.response.HTTPResponse",
        "io.IOBase",
        "io.RawIOBase",
        "io.BufferedIOBase",
        "io.TextIOBase",
        "io.BytesIO",
        "io.StringIO",
    }
)
#: Classes a mock's ``spec`` may name that have a ``close`` attribute (the mock's ``close`` is a
#: mock too, whatever the class's own does).
RESPONSE_CLASSES = CLOSING_CLASSES | frozenset(
    {
        "requests.Response",
        "requests.models.Response",
        "http.client.HTTPResponse",
        "urllib.response.addinfourl",
        "io.BufferedReader",
        "io.TextIOWrapper",
    }
)
#: Last names of the calls whose result is the response (or client) the code closes: an object
#: with ``close()`` handed back by one of them is what ``closing`` gets.
RESPONSE_CALLS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "request", "stream", "send", "urlopen", "open"}
)
#: Attributes of a mock's ``close`` that a test reads to check how often it was called.
CLOSE_CHECKS = frozenset(
    {
        "assert_called",
        "assert_called_once",
        "assert_called_with",
        "assert_called_once_with",
        "assert_not_called",
        "assert_any_call",
        "assert_has_calls",
        "call_count",
        "called",
        "call_args",
        "call_args_list",
        "mock_calls",
    }
)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def walk(node: ast.AST) -> List[ast.AST]:
    """``list(ast.walk(node))``, the same nodes in the same order (breadth first, children in
    ``iter_child_nodes`` order), without a generator per node: the facts pass walks every
    test module's tree several times, and ``ast.walk`` was most of its time."""
    out = [node]
    append = out.append
    base = ast.AST
    for current in out:  # grows while read: breadth first, as ast.walk's deque
        for name in current._fields:
            value = getattr(current, name, None)
            if isinstance(value, base):
                append(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, base):
                        append(item)
    return out


def children(node: ast.AST) -> List[ast.AST]:
    """``list(ast.iter_child_nodes(node))``, without its generators (the same order)."""
    out = []
    base = ast.AST
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, base):
            out.append(value)
        elif isinstance(value, list):
            out.extend(item for item in value if isinstance(item, base))
    return out


_BLOCK_ITEMS = (ast.stmt, ast.excepthandler, ast.match_case)


def blocks(node: ast.AST) -> List[ast.AST]:
    """The items of ``node``'s blocks, in ``children`` order: its statements (``body``,
    ``orelse``, ``finalbody``), except handlers and match cases. A statement is only ever such
    an item, so every statement of a tree is reached through ``blocks`` alone."""
    out: List[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, list) and value and isinstance(value[0], _BLOCK_ITEMS):
            out.extend(value)
    return out


def statements(node: ast.AST) -> List[ast.AST]:
    """``node`` and every statement, except handler and match case under it (``blocks``,
    breadth first): what ``walk`` gives of those kinds, in its order, for a fraction of its
    cost (the expressions, most of a tree's nodes, are not visited). The same order: every
    ancestor of such a node is one too, so each is as deep here as there, and each level is in
    its parents' order then ``children``'s."""
    out = [node]
    for current in out:  # grows while read
        out.extend(blocks(current))
    return out


#: ``walk_module``'s memo: (the last module walked, its nodes); one at a time.
_WALKED: List[object] = [None, []]


def walk_module(tree: ast.AST) -> List[ast.AST]:
    """``walk(tree)`` of a module, remembered for the last one (the visitor, ``StandIns`` and
    ``close_checks`` each want every node of the same tree). Callers must not change it."""
    if _WALKED[0] is not tree:
        _WALKED[0], _WALKED[1] = tree, walk(tree)
    return _WALKED[1]  # type: ignore[return-value]


_DEPTH = 16  # nested reads (a name, a call, a return: each one); cycles end here


def _last(node: ast.AST) -> str:
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


def is_mock_class(node: ast.AST) -> bool:
    """``Mock``, ``mock.MagicMock``, ``mocker.AsyncMock`` ...: a mock class named directly."""
    return _last(node) in _MOCKS


def _keyword(call: ast.Call, name: str) -> Optional[ast.AST]:
    return next((k.value for k in call.keywords if k.arg == name), None)


class StandIns:
    """The grades of one module's expressions (see the module's doc). ``dotted(node)``: the
    dotted name the module's imports give an expression (``None``: not a name)."""

    def __init__(self, tree: ast.Module, dotted: Callable[[ast.AST], Optional[str]]) -> None:
        self.tree = tree
        self.dotted = dotted
        self.functions = [n for n in statements(tree) if isinstance(n, _FUNCTIONS)]
        self.classes: Dict[str, List[ast.ClassDef]] = {}
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                self.classes.setdefault(node.name, []).append(node)
        self._stores: Dict[int, Dict[str, List[ast.AST]]] = {}
        self._returned: Dict[int, Optional[int]] = {}

    # -- scopes and names -----------------------------------------------------------------

    def scope_at(self, line: int) -> ast.AST:
        """The innermost function holding ``line``, else the module."""
        best: Optional[ast.AST] = None
        for node in self.functions:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            if first <= line <= (node.end_lineno or node.lineno):
                if best is None or node.lineno >= best.lineno:  # type: ignore[attr-defined]
                    best = node
        return best or self.tree

    def _bindings(self, scope: ast.AST) -> Dict[str, List[ast.AST]]:
        """name -> every node that binds it in ``scope``: its own statements (a nested
        ``def``/``class`` binds its name only), and any ``global``/``nonlocal`` of it in a
        nested scope (it may rebind it there: conservative)."""
        found = self._stores.get(id(scope))
        if found is None:
            found = {}
            todo = children(scope)
            while todo:
                node = todo.pop()
                if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                    found.setdefault(node.id, []).append(node)
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                    if not isinstance(node, ast.Lambda):
                        found.setdefault(node.name, []).append(node)
                    todo.extend(node.decorator_list if not isinstance(node, ast.Lambda) else ())
                    for inner in statements(node):
                        if isinstance(inner, (ast.Global, ast.Nonlocal)):
                            for name in inner.names:
                                found.setdefault(name, []).append(inner)
                    continue
                elif isinstance(node, ast.alias):
                    found.setdefault((node.asname or node.name).split(".")[0], []).append(node)
                elif isinstance(node, (ast.Global, ast.Nonlocal)):
                    for name in node.names:
                        found.setdefault(name, []).append(node)
                elif isinstance(node, ast.ExceptHandler) and node.name:
                    found.setdefault(node.name, []).append(node)
                todo.extend(children(node))
            self._stores[id(scope)] = found
        return found

    def binding(self, name: str, line: int) -> Optional[ast.AST]:
        """What ``name`` holds at ``line``: the value of its one reaching plain assignment, a
        ``def`` of it, or ``None`` (unknown)."""
        scope = self.scope_at(line)
        while True:
            stores = self._bindings(scope).get(name)
            if stores:
                return self._reaching(scope, name, line, stores)
            if scope is self.tree:
                return None
            scope = self._enclosing(scope)

    def _enclosing(self, scope: ast.AST) -> ast.AST:
        outer: ast.AST = self.tree
        for node in self.functions:
            if node is not scope and node.lineno < scope.lineno <= (node.end_lineno or 0):  # type: ignore[attr-defined]
                if outer is self.tree or node.lineno > outer.lineno:  # type: ignore[attr-defined]
                    outer = node
        return outer

    def _reaching(self, scope: ast.AST, name: str, line: int, stores: Sequence[ast.AST]) -> Optional[ast.AST]:
        inside = scope is not self.tree and scope.lineno <= line <= (scope.end_lineno or 0)  # type: ignore[attr-defined]
        if not inside:
            # The module, or a function enclosing the one read: the line may run at any time
            # after its bindings, so the name must have one only.
            if len(stores) != 1:
                return None
            last = stores[0]
        else:
            before = [s for s in stores if getattr(s, "lineno", 0) < line]
            if not before:
                return None
            last = max(before, key=lambda s: (getattr(s, "lineno", 0), getattr(s, "col_offset", 0)))
            for loop in statements(scope):
                if isinstance(loop, (ast.For, ast.AsyncFor, ast.While)) and loop.lineno <= line <= (
                    loop.end_lineno or 0
                ):
                    if any(loop.lineno <= getattr(s, "lineno", 0) <= (loop.end_lineno or 0) for s in stores):
                        return None  # a binding in a loop around the line may come after it
        blocks = _blocks_to(scope.body, line) if inside else [scope.body]  # type: ignore[attr-defined]
        for block in blocks:
            for statement in block:
                if statement is last and isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    return statement
                if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and statement.targets[0] is last:
                    return statement.value
        return None  # bound in a branch the line is not in, or by another kind of statement

    # -- grades ---------------------------------------------------------------------------

    def value(self, expr: Optional[ast.AST], line: int, depth: int = 0) -> Optional[int]:
        """The grade of the object ``expr`` evaluates to."""
        if expr is None or depth > _DEPTH:
            return None
        if isinstance(expr, ast.Name):
            bound = self.binding(expr.id, line)
            if isinstance(bound, ast.expr):
                return self.value(bound, getattr(bound, "lineno", line), depth + 1)
            return None
        if isinstance(expr, ast.Attribute) and expr.attr == "return_value":
            return MOCK if self.value(expr.value, line, depth + 1) == MOCK else None
        if not isinstance(expr, ast.Call):
            return None
        func = expr.func
        if is_mock_class(func):
            return self._mock(expr, line, depth)
        if _last(func) == "create_autospec":
            spec = expr.args[0] if expr.args else _keyword(expr, "spec")
            return CLOSE if spec is not None and self.has_close(spec, line) else None
        return self.result(func, line, depth + 1)

    def _mock(self, call: ast.Call, line: int, depth: int) -> Optional[int]:
        if any(k.arg is None or k.arg == "wraps" for k in call.keywords):
            return None  # **options: a spec may be among them; wraps=obj: its close is obj's
        spec = call.args[0] if call.args else _keyword(call, "spec")
        spec_set = _keyword(call, "spec_set")
        for given in (spec, spec_set):
            if given is not None and not (isinstance(given, ast.Constant) and given.value is None):
                return CLOSE if self.has_close(given, line) else None
        if any(k.arg in ("return_value", "side_effect") for k in call.keywords):
            return CLOSE  # the mock has close(); what calling it gives is the test's
        return MOCK

    def result(self, func: Optional[ast.AST], line: int, depth: int = 0) -> Optional[int]:
        """The grade of what calling ``func`` gives."""
        if func is None or depth > _DEPTH:
            return None
        if isinstance(func, ast.Lambda):
            return self.value(func.body, func.lineno, depth + 1)
        if isinstance(func, ast.Call):
            if is_mock_class(func.func):
                grade = self._mock(func, line, depth)
                if grade == MOCK:
                    return MOCK
                if grade is None or any(k.arg in ("spec", "spec_set", "wraps") for k in func.keywords) or func.args:
                    return None
                returned = _keyword(func, "return_value")
                effect = _keyword(func, "side_effect")
                if effect is not None and not (isinstance(effect, ast.Constant) and effect.value is None):
                    return self.effect(effect, line, depth + 1)
                return self.handed(returned, line, depth + 1) if returned is not None else MOCK
            return None
        name = self.dotted(func)
        if name in CLOSING_CLASSES:
            return CLOSE
        if is_mock_class(func):
            return MOCK  # new_callable=MagicMock: an instance of the mock class
        if isinstance(func, ast.Name):
            bound = self.binding(func.id, line)
            if isinstance(bound, _FUNCTIONS):
                return self._returns(bound, depth + 1)
            if isinstance(bound, ast.ClassDef):
                return CLOSE if self._class_closes(bound, 0) else None
            if isinstance(bound, ast.expr):
                return self.result(bound, getattr(bound, "lineno", line), depth + 1)
        return None

    def handed(self, expr: ast.AST, line: int, depth: int = 0, keyword: str = "return_value") -> Optional[int]:
        """The grade of what the code gets from a mock whose ``return_value`` (or
        ``side_effect``) is ``expr``: a literal or an exception to raise count as ``MOCK``
        (the call they replace makes no response: ``head`` returning its headers)."""
        if isinstance(expr, (ast.Constant, ast.Dict, ast.JoinedStr)):
            return MOCK
        if isinstance(expr, (ast.List, ast.Tuple, ast.Set)) and keyword == "return_value":
            grades = [self.handed(element, line, depth + 1) for element in expr.elts]
            return None if None in grades else min(grades, default=MOCK)  # type: ignore[type-var]
        if keyword == "side_effect":
            return self.effect(expr, line, depth + 1)
        if _raises(expr):
            return MOCK
        return self.value(expr, line, depth + 1)

    def effect(self, expr: ast.AST, line: int, depth: int = 0) -> Optional[int]:
        """The grade of what a mock whose ``side_effect`` is ``expr`` returns: an exception is
        raised (nothing is returned: ``MOCK``), a list is returned item by item, a callable's
        result is returned."""
        if _raises(expr):
            return MOCK
        if isinstance(expr, (ast.List, ast.Tuple)):
            grades = [self.handed(e, line, depth + 1) for e in expr.elts]
            return min(grades) if grades and None not in grades else None  # type: ignore[type-var]
        if isinstance(expr, ast.Name):
            bound = self.binding(expr.id, line)
            if isinstance(bound, ast.expr) and _raises(bound):
                return MOCK
        return self.result(expr, line, depth + 1)

    def _returns(self, func: ast.AST, depth: int) -> Optional[int]:
        """The lowest grade of the values ``func`` returns (``None`` when one is unknown, it
        yields, or it can end without a ``return``). Memoised per function; a function read
        while it is being read (recursion) is unknown."""
        key = id(func)
        if key not in self._returned:
            self._returned[key] = None  # a cycle ends here
            self._returned[key] = self._read_returns(func, depth)
        return self._returned[key]

    def _read_returns(self, func: ast.AST, depth: int) -> Optional[int]:
        if depth > _DEPTH or func.decorator_list or not func.body:  # type: ignore[attr-defined]
            return None
        if not isinstance(func.body[-1], (ast.Return, ast.Raise)):  # type: ignore[attr-defined]
            return None
        grades = []
        todo = list(children(func))
        while todo:
            node = todo.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                continue
            if isinstance(node, (ast.Yield, ast.YieldFrom)):
                return None
            if isinstance(node, ast.Return):
                grades.append(self.value(node.value, node.lineno, depth + 1))
            todo.extend(children(node))
        if not grades or None in grades:
            return None
        return min(grades)  # type: ignore[type-var]

    def has_close(self, spec: ast.AST, line: int) -> bool:
        """Whether a ``spec`` (a class, or a list of names) has ``close``: a mock of it has a
        ``close`` mock (``create_autospec(requests.Response)`` too)."""
        if isinstance(spec, (ast.List, ast.Tuple)):
            return any(isinstance(e, ast.Constant) and e.value == "close" for e in spec.elts)
        name = self.dotted(spec)
        if name in RESPONSE_CLASSES:
            return True
        if isinstance(spec, ast.Name):
            bound = self.binding(spec.id, line)
            return isinstance(bound, ast.ClassDef) and self._class_closes(bound, 0)
        return False

    def _class_closes(self, cls: ast.ClassDef, depth: int) -> bool:
        """A class of the module that defines ``close`` (a ``def`` in its body) or derives from
        a response class or such a class of the module (by a base it names)."""
        if depth > _DEPTH:
            return False
        for statement in cls.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name == "close":
                return True
        for base in cls.bases:
            if self.dotted(base) in CLOSING_CLASSES:
                return True
            if isinstance(base, ast.Name):
                found = self.classes.get(base.id, [])
                if len(found) == 1 and found[0] is not cls and self._class_closes(found[0], depth + 1):
                    return True
        return False

    def literal(self, expr: ast.AST, line: int, depth: int = 0) -> bool:
        """Whether ``expr`` is a literal (a constant, an f-string): a patch that sets one
        (``monkeypatch.setattr(pathsec, "ENFORCE", True)``, ``mock.patch("Bio.Entrez." + param,
        alt_value)``) hands the code no object it could take for the response. Read through a
        name's one reaching binding, an item of a dict bound to literals (``alt_values[param]``),
        and a name bound only as the target of ``for`` loops over lists or tuples of them."""
        if depth > _DEPTH:
            return False
        if isinstance(expr, (ast.Constant, ast.JoinedStr)):
            return True
        if isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Name):
            bound = self.binding(expr.value.id, line)
            return isinstance(bound, ast.Dict) and all(
                key is not None and self.literal(value, line, depth + 1) for key, value in zip(bound.keys, bound.values)
            )
        if not isinstance(expr, ast.Name):
            return False
        bound = self.binding(expr.id, line)
        if isinstance(bound, ast.expr):
            return self.literal(bound, getattr(bound, "lineno", line), depth + 1)
        items = self._loop_items(expr.id, line)
        return items is not None and all(self.literal(item, line, depth + 1) for item in items)

    def _loop_items(self, name: str, line: int) -> Optional[List[ast.AST]]:
        """The items ``name`` may hold at ``line`` when every binding of it in the function
        holding the line is the target of a ``for`` over a list or tuple display, one of
        them around the line; ``None`` otherwise."""
        scope = self.scope_at(line)
        stores = self._bindings(scope).get(name)
        if not stores:
            return None
        loops = [
            n
            for n in statements(scope)
            if isinstance(n, (ast.For, ast.AsyncFor)) and isinstance(n.target, ast.Name) and n.target.id == name
        ]
        if not all(any(store is loop.target for loop in loops) for store in stores):
            return None
        if not any(loop.lineno <= line <= (loop.end_lineno or 0) for loop in loops):
            return None
        items: List[ast.AST] = []
        for loop in loops:
            if not isinstance(loop.iter, (ast.List, ast.Tuple)):
                return None
            items.extend(loop.iter.elts)
        return items

    def replacement(self, new: ast.AST, target: str, line: int) -> bool:
        """Whether the code is handed an object with ``close()`` where a test replaces
        ``target`` with ``new`` (``patch(target, new)``, ``monkeypatch.setattr``): a mock of
        ``MOCK`` grade anywhere (every result of it is one), else a call of ``new`` for a
        target that makes the response (``RESPONSE_CALLS``) giving one with ``close()``, or, for
        any target, a call of ``new`` giving a mock of ``MOCK`` grade (nltk's ``spy_build_opener``
        returning ``MagicMock()``): the code that calls it gets what a mock would give it, and
        anything it then calls on that is a mock too."""
        if self.value(new, line) == MOCK or self.literal(new, line):
            return True
        grade = self.result(new, line)
        if target.rsplit(".", 1)[-1] not in RESPONSE_CALLS:
            return grade == MOCK
        return grade is not None


def _blocks_to(body: List[ast.stmt], line: int) -> List[List[ast.stmt]]:
    """The blocks of statements from ``body`` down to ``line``: ``body``, the body of the
    ``with``/``if``/``try``/handler/loop in it that holds the line, and so on. A statement of
    one of them before the line has run when the line runs (a loop aside: ``_reaching``)."""
    out = [body]
    for statement in body:
        if not (statement.lineno <= line <= (statement.end_lineno or statement.lineno)):
            continue
        parts: List[List[ast.stmt]] = []
        for _, value in ast.iter_fields(statement):
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                parts.append(value)
            elif isinstance(value, list):
                parts.extend(h.body for h in value if isinstance(h, (ast.ExceptHandler, ast.match_case)))
        for part in parts:
            if part[0].lineno <= line <= (part[-1].end_lineno or part[-1].lineno):
                out.extend(_blocks_to(part, line))
        break
    return out


def _raises(expr: ast.AST) -> bool:
    """An exception (class or instance) by its name: ``ConnectionError``, ``socket.timeout()``."""
    node = expr.func if isinstance(expr, ast.Call) else expr
    name = _last(node)
    return name.endswith(("Error", "Exception", "Timeout")) or name in ("timeout", "error")


def close_checks(tree: ast.AST) -> List[Tuple[ast.Attribute, int]]:
    """The ``X.close.<check>`` expressions of ``tree`` (``close.assert_called_once()``,
    ``close.call_count``): a test that counts the calls of a stand-in's ``close()``, which
    ``contextlib.closing`` adds one to. (The ``X.close`` node, its line.)"""
    out = []
    for node in walk_module(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in CLOSE_CHECKS
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "close"
        ):
            out.append((node.value, node.lineno))
    return out
