"""Wrapping what holds a connection in ``with`` / ``async with``, scoped to its last use.

Shared by ``close-response`` and ``close-client``. A codemod built on ``WrappingCodemod`` only
says which expressions open something that must be closed (``target_of``); this module decides
where the ``with`` goes, or why it cannot go anywhere safely (then the site is reported).

The model, in short:

* A *target* is bound to a name (``r = <target>``, the binding statement is replaced by
  ``with <target> as r:``) or used directly inside one statement (it is hoisted:
  ``with <target> as response:`` and the statement uses ``response``).
* From the binding, the *tainted* names are the name and every name assigned from an
  expression that may keep a reference to a tainted object (``raw = r.raw``,
  ``lines = r.iter_lines()``, ``reader = csv.reader(f)``). An expression is *eager* when its
  value cannot refer to a tainted object (``r.json()``, ``r.status_code``, ``list(lines)``):
  names assigned from eager expressions are not tainted.
* The ``with`` body runs to the last statement of the same block that mentions a tainted name.
* Every way a tainted object could outlive that block is an *escape* and is reported instead:
  returned or yielded, stored on an attribute / in a subscript / in a container, declared
  ``global``/``nonlocal``, captured by a nested function, lambda, class or generator
  expression, or mentioned anywhere outside the block where it could still be the same object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

import libcst as cst
from libcst.metadata import (
    ExpressionContext,
    ExpressionContextProvider,
    ScopeProvider,
)
from libcst.metadata.scope_provider import ClassScope

from .base import HttpCodemod
from .tree import children, walk

# -- what is eager ---------------------------------------------------------------------------

#: Attributes of a response (or client) whose value holds no reference to it.
EAGER_ATTRS = frozenset(
    {
        "status_code", "status", "code", "reason", "reason_phrase", "ok", "url", "headers",
        "cookies", "encoding", "apparent_encoding", "text", "content", "elapsed", "history",
        "links", "is_redirect", "is_permanent_redirect", "request", "http_version",
        "is_success", "is_error", "is_client_error", "is_server_error", "is_informational",
        "data", "msg", "version", "length", "closed", "content_type", "charset",
        "content_length", "real_url", "host", "method", "raw_headers", "num_bytes_downloaded",
        "auth", "params", "verify", "cert", "proxies", "trust_env", "max_redirects",
        "base_url", "timeout",
    }
)
#: ... except in aiohttp, where ``resp.content`` is the body's stream reader.
LAZY_ATTRS_BY_LIBRARY = {"aiohttp": frozenset({"content", "text", "json", "read"})}

#: Methods that return a coroutine reading from the object: eager only when awaited at once
#: (every aiohttp response method, and httpx's async ones).
COROUTINE_METHODS = frozenset({"aread", "aclose", "wait_for_close"})
ALL_METHODS_ARE_COROUTINES = frozenset({"aiohttp"})

#: Methods of a response whose result holds no reference to it.
EAGER_METHODS = frozenset(
    {
        "json", "read", "read1", "readline", "readlines", "readinto", "getcode", "geturl",
        "info", "getheader", "getheaders", "getstatus", "text", "release", "close",
        "aclose", "aread", "drain_conn", "release_conn", "tell", "fileno", "decode",
        "wait_for_close", "isclosed", "readable", "seekable", "writable",
    }
)

#: Iterating these (or a response itself) yields plain data: bytes, str or lines.
ELEMENT_EAGER_METHODS = frozenset(
    {
        "iter_content", "iter_lines", "iter_bytes", "iter_text", "iter_raw", "aiter_bytes",
        "aiter_text", "aiter_lines", "aiter_raw", "iter_chunked", "iter_any", "iter_chunks",
        "readlines", "stream",
    }
)

#: Functions that consume their arguments and return plain data (normalised qualified names).
EAGER_FUNCTIONS = frozenset(
    {
        "builtins." + n
        for n in (
            "list", "tuple", "bytes", "bytearray", "str", "int", "float", "bool", "len",
            "sorted", "sum", "min", "max", "any", "all", "set", "frozenset", "dict", "repr",
            "print", "isinstance", "hash", "id", "next", "type", "format", "ord", "hex",
            "abs", "round", "callable", "issubclass", "hasattr", "ascii",
        )
    }
    | {
        "json.load", "json.loads", "json.dump", "json.dumps", "shutil.copyfileobj",
        "base64.b64encode", "base64.b64decode", "zlib.decompress", "gzip.decompress",
        "hashlib.md5", "hashlib.sha1", "hashlib.sha256", "hashlib.sha512", "os.path.join",
        "logging.info", "logging.debug", "logging.warning", "logging.error",
    }
)

#: Eager functions whose result may be one of their arguments (or an element of one).
PASS_THROUGH_FUNCTIONS = frozenset(
    "builtins." + n
    for n in ("dict", "max", "min", "next", "sorted", "list", "tuple", "set", "frozenset", "sum")
)

#: Functions whose result wraps their argument but which keep it nowhere else: the taint
#: follows the result (``reader = csv.reader(io.TextIOWrapper(r.raw))``).
WRAPPING_FUNCTIONS = frozenset(
    {
        "io.TextIOWrapper", "io.BufferedReader", "io.BytesIO", "io.StringIO", "csv.reader",
        "csv.DictReader", "codecs.getreader", "codecs.iterdecode", "gzip.GzipFile", "gzip.open",
        "zipfile.ZipFile", "tarfile.open", "builtins.iter", "builtins.enumerate", "builtins.zip",
        "builtins.map", "builtins.filter", "builtins.reversed", "itertools.islice",
        "itertools.chain", "contextlib.closing", "contextlib.aclosing",
    }
)

#: Methods of another object that consume their (tainted) argument and keep nothing.
CONSUMER_METHODS = frozenset({"join", "write", "writelines", "info", "debug", "warning",
                              "error", "exception", "critical", "log"})

#: Methods and functions that keep what they are given: passing a tainted object is an escape.
RETAINING_METHODS = frozenset(
    {
        "append", "appendleft", "add", "extend", "extendleft", "insert", "put", "put_nowait",
        "setdefault", "update", "push", "enter_context", "enter_async_context", "callback",
        "push_async_exit", "push_async_callback", "submit", "create_task", "ensure_future",
        "run_in_executor", "call_soon", "call_soon_threadsafe", "call_later", "start_soon",
        "apply_async", "map_async", "register", "set_result",
    }
)
RETAINING_FUNCTIONS = frozenset(
    {
        "builtins.setattr", "functools.partial", "weakref.finalize", "atexit.register",
        "asyncio.create_task", "asyncio.ensure_future", "threading.Thread",
        "multiprocessing.Process", "contextlib.ExitStack", "contextlib.AsyncExitStack",
    }
)

#: Methods of a response that raise an exception carrying it (``e.response``).
RAISING_METHODS = frozenset({"raise_for_status"})

#: Methods that close the object they are called on (``finally: r.close()``).
CLOSING_METHODS = frozenset({"close", "aclose", "release", "release_conn"})

#: Node types whose evaluation has no side effect worth keeping in order (hoisting check).
_SAFE_TYPES = (
    cst.Name, cst.Attribute, cst.Dot, cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary,
    cst.ConcatenatedString, cst.Ellipsis, cst.LeftParen, cst.RightParen, cst.Comma, cst.Arg,
    cst.AssignEqual, cst.SimpleWhitespace, cst.ParenthesizedWhitespace, cst.TrailingWhitespace,
    cst.EmptyLine, cst.Comment, cst.Newline, cst.Element, cst.List, cst.Tuple,
    cst.LeftSquareBracket, cst.RightSquareBracket, cst.AssignTarget,
)

_NESTED_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.GeneratorExp)
_EAGER_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp)
_LOOPS = (cst.For, cst.While)


class Skip(Exception):
    """Raised inside the analysis: not a site for this codemod (nothing to report)."""


class Unsafe(Exception):
    """Raised inside the analysis: the site must be reported with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Target:
    """An expression that opens something that must be closed.

    ``mode``: ``with``, ``async with``, ``closing`` (sync ``contextlib.closing``) or
    ``aclose`` (``try``/``finally: await name.aclose()``, for a name binding only).
    ``unwrap_await``: the ``with`` item is the awaited expression (aiohttp's
    ``await session.get()`` becomes ``async with session.get()``).
    """

    node: cst.BaseExpression
    mode: str
    library: str
    noun: str = "response"
    unwrap_await: bool = False
    named_only: bool = False
    needs_async_def: bool = False
    #: Only when the name is used as a response (``r.status_code``): httpx's ``stream()``.
    used_as_response: bool = False


@dataclass
class Plan:
    target: Target
    block: cst.CSTNode
    start: int
    end: int
    name: str
    named: bool  # the binding statement ``name = <target>`` becomes the with header


@dataclass
class _Scope:
    root: cst.CSTNode  # FunctionDef or Module
    scope: object  # libcst Scope of the root
    names: Dict[str, List[cst.Name]] = field(default_factory=dict)
    fresh: Set[str] = field(default_factory=set)


_walk = walk


def _walk_scope(node: cst.CSTNode) -> Iterable[cst.CSTNode]:
    """Like ``_walk``, but yields nested scopes (functions, lambdas, classes, generator
    expressions) without descending into them."""
    return walk(node, prune=lambda n: isinstance(n, _NESTED_SCOPES))


def _unindent_blank_lines(stmt: cst.BaseStatement) -> cst.BaseStatement:
    lines = stmt.leading_lines
    if not any(line.comment is None and line.indent for line in lines):
        return stmt
    return stmt.with_changes(
        leading_lines=[
            line.with_changes(indent=False) if line.comment is None else line for line in lines
        ]
    )


def _is_safe(node: cst.CSTNode) -> bool:
    for sub in _walk(node):
        if not isinstance(sub, _SAFE_TYPES):
            return False
        if isinstance(sub, cst.Arg) and sub.star:
            return False
    return True


def _statements_of(block: cst.CSTNode) -> Sequence[cst.BaseStatement]:
    return block.body  # Module and IndentedBlock


class WrappingCodemod(HttpCodemod):
    """Base for codemods that wrap targets in ``with``; subclasses define ``target_of``."""

    #: ``_contextlib_name`` checks every binding of these names in the module.
    MODULE_WIDE = HttpCodemod.MODULE_WIDE | {"contextlib", "_contextlib"}

    #: Fresh names for hoisted targets: ``response``, ``response_1``, ...
    FRESH_NAME = "response"
    #: Whether targets at module level are handled (never for clients).
    MODULE_LEVEL = True

    # -- subclass API ----------------------------------------------------------------------

    def target_of(self, node: cst.CSTNode) -> Optional[Target]:
        raise NotImplementedError

    def might_be_target(self, node: cst.CSTNode) -> bool:
        """A cheap syntactic pre-check (no metadata) that ``node`` could be a target; a file
        where no node passes it is returned untouched before any metadata is computed."""
        return True

    #: Names (last part) of the functions and classes that can be targets, for the pre-check.
    CANDIDATE_NAMES: frozenset = frozenset()

    def candidate_name(self, func: cst.BaseExpression) -> bool:
        if isinstance(func, cst.Attribute):
            func = func.attr
        return isinstance(func, cst.Name) and func.value in self._candidates

    def transform_module(self, tree: cst.Module) -> cst.Module:
        self._candidates = set(self.CANDIDATE_NAMES)
        for node in self.nodes_of(tree, cst.ImportFrom):
            if not isinstance(node.names, cst.ImportStar):
                for alias in node.names:
                    if (
                        alias.asname is not None
                        and isinstance(alias.name, cst.Name)
                        and alias.name.value in self.CANDIDATE_NAMES
                        and isinstance(alias.asname.name, cst.Name)
                    ):
                        self._candidates.add(alias.asname.name.value)
        if not any(
            isinstance(node, (cst.Call, cst.Await)) and self.might_be_target(node)
            for node in self.nodes_of(tree, cst.Call, cst.Await)
        ):
            return tree
        return super().transform_module(tree)

    def changed_nodes(self) -> Optional[Iterable[cst.CSTNode]]:
        return list(getattr(self, "_plans", {})) + list(getattr(self, "_hoisted", {}))

    def fixed_message(self, target: Target, plan: Plan) -> str:
        return f"closed the {target.noun} with `{self._header_word(target)}`"

    # -- planning --------------------------------------------------------------------------

    def visit_Module(self, node: cst.Module) -> None:
        self._plans: Dict[cst.CSTNode, List[Plan]] = {}
        self._hoisted: Dict[cst.CSTNode, Plan] = {}
        self._hoisted_updated: Dict[cst.CSTNode, cst.BaseExpression] = {}
        self._scopes: Dict[cst.CSTNode, _Scope] = {}
        self._all_names: Optional[Set[str]] = None
        self._needs_contextlib = False
        self._contextlib: Optional[Tuple[Optional[str]]] = None
        targets: List[Target] = []
        for sub in self.nodes_of(node, cst.Call, cst.Await):
            found = self.target_of(sub)
            if found is not None:
                targets.append(found)
        if not targets:
            return
        positions = {t.node: self.position(t.node) for t in targets}
        targets.sort(key=lambda t: positions[t.node])
        per_statement: Dict[cst.CSTNode, List[Target]] = {}
        located = []
        for target in targets:
            if self.suppressed(target.node):
                continue
            if self._already_closed_item(target.node):
                continue
            try:
                stmt, block = self._statement_of(target)
            except Skip:
                continue
            except Unsafe as exc:
                self.report(target.node, exc.reason)
                continue
            per_statement.setdefault(stmt, []).append(target)
            located.append((target, stmt, block))
        for target, stmt, block in located:
            if len(per_statement[stmt]) > 1:
                self.report(target.node, f"several connections are opened in one statement; "
                                         f"close the {target.noun} by hand")
                continue
            try:
                plan = self._plan(target, stmt, block)
            except Unsafe as exc:
                self.report(target.node, exc.reason)
                continue
            if plan is None:
                continue
            if target.mode == "closing" and self._contextlib_name() is None:
                self.report(target.node, "the names `contextlib` and `_contextlib` are both taken "
                                         "in this module; close the response by hand")
                continue
            self._plans.setdefault(block, []).append(plan)
        for block, plans in self._plans.items():
            self._nest(plans)
            for plan in plans:
                self.fixed(plan.target.node, self.fixed_message(plan.target, plan))
                if not plan.named:
                    self._hoisted[plan.target.node] = plan
                if plan.target.mode == "closing":
                    self._needs_contextlib = True

    def _contextlib_name(self) -> Optional[str]:
        """The name under which ``contextlib.closing`` is reached: ``contextlib`` when that
        name is free or only ever bound by ``import contextlib``; else a private alias
        (``import contextlib as _contextlib``) under the same rule; None when both are taken."""
        if self._contextlib is None:
            star = any(
                isinstance(n, cst.ImportFrom) and isinstance(n.names, cst.ImportStar)
                for n in self.nodes_of(self.module, cst.ImportFrom)
            )
            chosen = None
            for candidate in ("contextlib", "_contextlib"):
                if candidate == "contextlib" and star:
                    continue  # a star import may bind it to anything
                if self._only_stdlib_contextlib(candidate):
                    chosen = candidate
                    break
            self._contextlib = (chosen,)
        return self._contextlib[0]

    def _only_stdlib_contextlib(self, name: str) -> bool:
        for node in self.nodes_of(self.module, cst.Name):
            if node.value != name:
                continue
            parent = self._parent(node)
            if isinstance(parent, cst.ImportAlias) and isinstance(self._parent(parent), cst.Import):
                bound = parent.asname.name if parent.asname is not None else parent.name
                if bound is node and isinstance(parent.name, cst.Name) and parent.name.value == "contextlib":
                    continue  # ``import contextlib`` / ``import contextlib as _contextlib``
                return False
            if isinstance(parent, cst.Attribute) and (
                parent.attr is node
                or (parent.value is node
                    and self.get_metadata(ExpressionContextProvider, parent, None) is ExpressionContext.LOAD)
            ):
                continue  # ``contextlib.closing`` read, ``x.contextlib``
            if isinstance(parent, cst.Arg) and parent.keyword is node:
                continue
            return False
        return True

    # where the target sits ---------------------------------------------------------------

    def _parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        return self.resolver.parent(node)

    def _already_closed_item(self, node: cst.CSTNode) -> bool:
        """``with <target>``, ``with closing(<target>)``, ``stack.enter_context(<target>)``."""
        parent = self._parent(node)
        if isinstance(parent, cst.WithItem) and parent.item is node:
            return True
        if isinstance(parent, cst.Arg):
            call = self._parent(parent)
            if isinstance(call, cst.Call):
                if isinstance(call.func, cst.Attribute) and call.func.attr.value in (
                    "enter_context", "enter_async_context", "push", "callback",
                ):
                    return True
                if self.resolver.resolves_to(call.func, ["contextlib.closing", "contextlib.aclosing"]):
                    return True
        return False

    def _statement_of(self, target: Target) -> Tuple[cst.BaseStatement, cst.CSTNode]:
        """The statement of a block holding the target; raises Unsafe for places that are
        evaluated conditionally, lazily or more than once."""
        child: cst.CSTNode = target.node
        node = self._parent(child)
        noun = target.noun
        while node is not None:
            if isinstance(node, cst.Lambda):
                raise Unsafe(f"the {noun} is opened inside a lambda")
            if isinstance(node, cst.Assert):
                raise Unsafe(f"the {noun} is opened inside an assert (skipped under python -O); "
                             f"moving it out would open it there too")
            if isinstance(node, (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp, cst.CompFor)):
                raise Unsafe(f"the {noun} is opened inside a comprehension")
            if isinstance(node, cst.Param):
                raise Unsafe(f"the {noun} is opened in a default argument")
            if isinstance(node, cst.Decorator):
                raise Unsafe(f"the {noun} is opened in a decorator")
            if isinstance(node, cst.IfExp):
                raise Unsafe(f"the {noun} is opened in a conditional expression")
            if isinstance(node, cst.BooleanOperation) and child is node.right:
                raise Unsafe(f"the {noun} is opened on the right side of and/or")
            if isinstance(node, cst.While):
                raise Unsafe(f"the {noun} is opened in a while condition")
            if isinstance(node, cst.If) and child is node.orelse:
                raise Unsafe(f"the {noun} is opened in an elif condition")
            if isinstance(node, (cst.MatchCase, cst.Annotation, cst.FunctionDef, cst.ClassDef)):
                raise Unsafe(f"the {noun} is opened in a place a with statement cannot wrap")
            if isinstance(node, cst.SimpleStatementSuite):
                raise Unsafe(f"the {noun} is opened in a one-line compound statement")
            parent = self._parent(node)
            if isinstance(node, cst.BaseStatement) and isinstance(parent, (cst.IndentedBlock, cst.Module)):
                if isinstance(node, cst.SimpleStatementLine) and len(node.body) != 1:
                    raise Unsafe(f"the {noun} is opened on a line with several statements")
                owner = self._parent(parent) if isinstance(parent, cst.IndentedBlock) else None
                if isinstance(owner, cst.ClassDef):
                    if not self.MODULE_LEVEL:
                        raise Skip()  # a class attribute: long-lived, like a module-level one
                    raise Unsafe(f"the {noun} is opened in a class body")
                if isinstance(node, cst.BaseCompoundStatement):
                    allowed = (
                        (isinstance(node, cst.For) and child is node.iter)
                        or (isinstance(node, cst.If) and child is node.test)
                        or (isinstance(node, cst.With) and child in node.items)
                        or (isinstance(node, cst.Match) and child is node.subject)
                    )
                    if not allowed:
                        raise Unsafe(f"the {noun} is opened in a place a with statement cannot wrap")
                return node, parent
            child, node = node, parent
        raise Unsafe(f"the {noun} is opened in a place a with statement cannot wrap")

    def _scope_of(self, stmt: cst.CSTNode) -> _Scope:
        node = self._parent(stmt)
        while node is not None and not isinstance(node, (cst.FunctionDef, cst.Module)):
            node = self._parent(node)
        assert node is not None
        found = self._scopes.get(node)
        if found is None:
            body = node.body if isinstance(node, cst.FunctionDef) else node
            first = None
            for sub in _walk(body):
                if isinstance(sub, cst.BaseStatement):
                    first = sub
                    break
            scope = self.get_metadata(ScopeProvider, first, None) if first is not None else None
            found = _Scope(node, scope)
            self._collect_names(found)
            self._scopes[node] = found
        return found

    def _collect_names(self, scope: _Scope) -> None:
        root = scope.root.body if isinstance(scope.root, cst.FunctionDef) else scope.root
        stack: List[cst.CSTNode] = [root]
        while stack:
            current = stack.pop()
            if isinstance(current, cst.Name):
                scope.names.setdefault(current.value, []).append(current)
                continue
            if isinstance(current, cst.Attribute):
                stack.append(current.value)
                continue
            if isinstance(current, cst.Arg):
                stack.append(current.value)
                continue
            if isinstance(current, (cst.Import, cst.ImportFrom)):
                for alias in current.names if not isinstance(current.names, cst.ImportStar) else ():
                    bound = alias.asname.name if alias.asname else alias.name
                    if isinstance(bound, cst.Name):
                        scope.names.setdefault(bound.value, []).append(bound)
                continue
            stack.extend(children(current))

    def _fresh_name(self, scope: _Scope) -> str:
        if self._all_names is None:
            self._all_names = {n.value for n in self.nodes_of(self.module, cst.Name)}
            self._all_names |= self.context.scratch.get("hidden_names", frozenset())
        base = self.FRESH_NAME
        candidate, counter = base, 0
        while candidate in self._all_names or candidate in scope.fresh:
            counter += 1
            candidate = f"{base}_{counter}"
        scope.fresh.add(candidate)
        return candidate

    # the plan ------------------------------------------------------------------------------

    def _plan(self, target: Target, stmt: cst.BaseStatement, block: cst.CSTNode) -> Optional[Plan]:
        scope = self._scope_of(stmt)
        noun = target.noun
        if isinstance(scope.root, cst.Module) and not self.MODULE_LEVEL:
            return None
        if target.needs_async_def and not (
            isinstance(scope.root, cst.FunctionDef) and scope.root.asynchronous is not None
        ):
            raise Unsafe(f"the {noun} needs `async with`, but this is not inside an async def")
        stmts = list(_statements_of(block))
        index = next(i for i, s in enumerate(stmts) if s is stmt)
        binding = self._binding_name(target, stmt)
        if binding is None:
            if target.named_only:
                return None
            if target.mode == "aclose":
                raise Unsafe(f"the {noun} is not bound to a name; close it with `await .aclose()` "
                             f"in a finally")
            self._check_evaluation_order(target, stmt)
            name = None
        else:
            name = binding
            if self._closed_elsewhere(name, scope):
                return None
            if target.used_as_response and not self._used_as_response(name, scope):
                return None
        if name is None:
            name = self._fresh_name(scope)
            tainted = {name}
            first = index
            # The statement itself, with the target replaced by the fresh name.
            stmt_tainted_node = target.node
        else:
            tainted = {name}
            first = index + 1
            stmt_tainted_node = None
        end = self._extent(target, scope, stmts, index, first, tainted, stmt_tainted_node, block)
        if target.mode == "aclose":
            self._check_not_rebound(name, stmts[index + 1 : end + 1], noun)
        return Plan(target, block, index, end, name, named=binding is not None)

    def _binding_name(self, target: Target, stmt: cst.BaseStatement) -> Optional[str]:
        if not isinstance(stmt, cst.SimpleStatementLine):
            return None
        small = stmt.body[0]
        if (
            isinstance(small, cst.Assign)
            and len(small.targets) == 1
            and isinstance(small.targets[0].target, cst.Name)
            and small.value is target.node
        ):
            return small.targets[0].target.value
        return None

    def _closed_elsewhere(self, name: str, scope: _Scope) -> bool:
        """The name is closed some other way: a ``finally`` that closes it, a ``with`` item,
        ``closing(name)``, ``enter_context(name)``, or its ``close`` passed along."""
        for occurrence in scope.names.get(name, ()):
            if self._already_closed_item(occurrence):
                return True
            parent = self._parent(occurrence)
            if (
                isinstance(parent, cst.Attribute)
                and parent.value is occurrence
                and parent.attr.value in CLOSING_METHODS
            ):
                grand = self._parent(parent)
                if not (isinstance(grand, cst.Call) and grand.func is parent):
                    return True  # ``stack.callback(r.close)``, ``atexit.register(s.close)``
                if self._in_finally(grand, scope):
                    return True
        return False

    def _in_finally(self, node: cst.CSTNode, scope: _Scope) -> bool:
        current = self._parent(node)
        while current is not None and current is not scope.root:
            if isinstance(current, cst.Finally):
                return True
            current = self._parent(current)
        return False

    def _used_as_response(self, name: str, scope: _Scope) -> bool:
        for occurrence in scope.names.get(name, ()):
            parent = self._parent(occurrence)
            if (
                isinstance(parent, cst.Attribute)
                and parent.value is occurrence
                and not parent.attr.value.startswith("__")
                and parent.attr.value not in ("gen", "args", "kwds", "func")
            ):
                return True
        return False

    def _check_not_rebound(self, name: str, stmts: Sequence[cst.CSTNode], noun: str) -> None:
        for stmt in stmts:
            for sub in _walk(stmt):
                if isinstance(sub, cst.Name) and sub.value == name:
                    ctx = self.get_metadata(ExpressionContextProvider, sub, None)
                    if ctx in (ExpressionContext.STORE, ExpressionContext.DEL):
                        raise Unsafe(f"`{name}` is rebound before the {noun} could be closed in a "
                                     f"finally")

    def _check_evaluation_order(self, target: Target, stmt: cst.BaseStatement) -> None:
        """Hoisting moves the target before the rest of its statement: only when nothing the
        statement evaluates before it can have a side effect or raise."""
        child: cst.CSTNode = target.node
        node = self._parent(child)
        while node is not None:
            if isinstance(node, (cst.Assign, cst.AnnAssign)) and child is node.value:
                before: List[cst.CSTNode] = []
            elif isinstance(node, cst.Assign):
                before = [node.value] + [t for t in node.targets[: node.targets.index(child)]]
            elif isinstance(node, cst.AugAssign) and child is node.value:
                if not isinstance(node.target, cst.Name):
                    raise Unsafe(f"the augmented assignment's target runs before the "
                                 f"{target.noun} is opened; hoisting it would change the order")
                before = [node.target]
            elif isinstance(node, (cst.For, cst.If, cst.Match)):
                before = []
            else:
                before = []
                for sub in node.children:
                    if sub is child:
                        break
                    before.append(sub)
            for sub in before:
                if not _is_safe(sub) or not self._attributes_are_imports(sub):
                    raise Unsafe(f"something in this statement runs before the {target.noun} is "
                                 f"opened; hoisting it would change the order")
            if node is stmt:
                return
            child, node = node, self._parent(node)

    def _attributes_are_imports(self, node: cst.CSTNode) -> bool:
        """Every attribute chain in ``node`` resolves to an import (``json.loads``): reading it
        cannot raise or run code; ``self.metrics.record`` can (``metrics`` may be None)."""
        stack = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, cst.Attribute):
                if not self.resolver.imported_names(current):
                    return False
                continue
            stack.extend(children(current))
        return True

    # the extent and the escapes ------------------------------------------------------------

    def _extent(
        self,
        target: Target,
        scope: _Scope,
        stmts: List[cst.BaseStatement],
        index: int,
        first: int,
        tainted: Set[str],
        hoisted_node: Optional[cst.CSTNode],
        block: cst.CSTNode,
    ) -> int:
        noun = target.noun
        self._library = target.library
        self._hoisted_node = hoisted_node
        self._scope = scope
        live = set(tainted)
        ever = set(tainted)
        kills: Dict[str, int] = {}
        last = index
        for j in range(first, len(stmts)):
            stmt = stmts[j]
            if not live:
                break
            if self._mentions(stmt, live):
                last = j
            # Names derived inside the statement (to a fixpoint: loops can feed back).
            while True:
                derived = self._derived_in(stmt, live)
                if derived <= live:
                    break
                live |= derived
                ever |= derived
            if self._mentions(stmt, live):
                last = j
                self._check_escapes(stmt, live, noun)
            # A plain top-level rebinding kills a name.
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    for bound, value in self._plain_bindings(small):
                        if bound in live and not (self._mentions(value, live) and not self._eager(value, live)):
                            live.discard(bound)
                            kills.setdefault(bound, j)
        if isinstance(scope.root, cst.Module):
            # A module global can be imported (``from m import resp``) and used after the block.
            exported = sorted(ever - (tainted if hoisted_node is not None else set()))
            if exported:
                raise Unsafe(f"`{exported[0]}` is bound at module level; other modules may import "
                             f"the {noun} and use it after the with block")
        self._check_declarations(scope, ever, noun)
        self._check_occurrences(scope, stmts, index, last, ever, kills, block, noun)
        return last

    def _plain_bindings(self, small: cst.CSTNode) -> List[Tuple[str, cst.BaseExpression]]:
        if isinstance(small, cst.Assign):
            return [
                (t.target.value, small.value) for t in small.targets if isinstance(t.target, cst.Name)
            ]
        if isinstance(small, cst.AnnAssign) and small.value is not None and isinstance(small.target, cst.Name):
            return [(small.target.value, small.value)]
        return []

    def _is_tainted_name(self, node: cst.CSTNode, live: Set[str]) -> bool:
        if node is self._hoisted_node:
            return True
        return isinstance(node, cst.Name) and node.value in live

    def _mentions(self, node: cst.CSTNode, live: Set[str]) -> bool:
        """Whether ``node`` reads a tainted name (anywhere inside, nested scopes included)."""
        stack = [node]
        while stack:
            current = stack.pop()
            if current is self._hoisted_node:
                return True
            if isinstance(current, cst.Name):
                if current.value in live:
                    ctx = self.get_metadata(ExpressionContextProvider, current, None)
                    if ctx is not ExpressionContext.STORE or isinstance(self._parent(current), cst.AugAssign):
                        return True
                continue
            if isinstance(current, cst.Attribute):
                stack.append(current.value)
                continue
            if isinstance(current, cst.Arg):
                stack.append(current.value)
                continue
            stack.extend(children(current))
        return False

    def _derived_in(self, stmt: cst.CSTNode, live: Set[str]) -> Set[str]:
        """Names a statement binds to values that may refer to a tainted object."""
        found: Set[str] = set()

        def bind(target: cst.CSTNode) -> None:
            for sub in _walk(target):
                if isinstance(sub, cst.Name):
                    ctx = self.get_metadata(ExpressionContextProvider, sub, None)
                    if ctx is ExpressionContext.STORE:
                        found.add(sub.value)

        for sub in _walk_scope(stmt):
            if isinstance(sub, _NESTED_SCOPES) and sub is not stmt:
                continue
            if isinstance(sub, cst.Assign):
                if self._mentions(sub.value, live) and not self._eager(sub.value, live):
                    for t in sub.targets:
                        bind(t.target)
            elif isinstance(sub, (cst.AnnAssign, cst.AugAssign)) and sub.value is not None:
                if self._mentions(sub.value, live) and not self._eager(sub.value, live):
                    bind(sub.target)
            elif isinstance(sub, cst.NamedExpr):
                if self._mentions(sub.value, live) and not self._eager(sub.value, live):
                    bind(sub.target)
            elif isinstance(sub, cst.For):
                if self._mentions(sub.iter, live) and not self._elements_eager(sub.iter, live):
                    bind(sub.target)
            elif isinstance(sub, cst.WithItem):
                if sub.asname is not None and self._mentions(sub.item, live) and not self._eager(sub.item, live):
                    bind(sub.asname.name)
            elif isinstance(sub, cst.Match):
                if self._mentions(sub.subject, live):
                    for case in sub.cases:
                        bind(case.pattern)
                        # Capture names are bindings too (no STORE context in libcst).
                        for part in _walk(case.pattern):
                            if isinstance(part, (cst.MatchAs, cst.MatchStar)) and part.name is not None:
                                found.add(part.name.value)
                            elif isinstance(part, cst.MatchMapping) and part.rest is not None:
                                found.add(part.rest.value)
            elif isinstance(sub, cst.ExceptHandler):
                pass
        return found

    def _elements_eager(self, iterable: cst.BaseExpression, live: Set[str]) -> bool:
        """Iterating ``iterable`` yields plain data (bytes, str, lines)."""
        if self._is_tainted_name(iterable, live):
            return True
        if isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Attribute):
            if iterable.func.attr.value in ELEMENT_EAGER_METHODS and self._is_tainted_name(iterable.func.value, live):
                return True
        if isinstance(iterable, cst.Attribute) and iterable.attr.value == "content" and self._is_tainted_name(iterable.value, live):
            return True  # aiohttp ``async for line in resp.content``
        return self._eager(iterable, live)

    def _qualified(self, func: cst.CSTNode) -> Set[str]:
        return self.resolver.imported_names(func, builtins=True)

    def _eager(self, expr: cst.CSTNode, live: Set[str], awaited: bool = False) -> bool:
        """``expr``'s value cannot hold a reference to a tainted object (``awaited``: ``expr``
        is the operand of ``await``, so a coroutine it returns is run at once)."""
        if not self._mentions(expr, live):
            return True
        if self._is_tainted_name(expr, live):
            return False
        if isinstance(expr, cst.Attribute):
            attr = expr.attr.value
            if attr in LAZY_ATTRS_BY_LIBRARY.get(self._library, ()):
                return False
            if attr in EAGER_ATTRS:
                return True
            return self._eager(expr.value, live)
        if isinstance(expr, cst.Call):
            func = expr.func
            args_eager = all(self._eager(a.value, live) for a in expr.args)
            if isinstance(func, cst.Attribute):
                if not self._eager(func.value, live):
                    if not awaited and (
                        self._library in ALL_METHODS_ARE_COROUTINES
                        or func.attr.value in COROUTINE_METHODS
                    ):
                        return False  # a coroutine that will read from the response later
                    return func.attr.value in EAGER_METHODS and args_eager
                if args_eager or func.attr.value in CONSUMER_METHODS:
                    return True
                return bool(self._qualified(func) & EAGER_FUNCTIONS)
            qualified = self._qualified(func)
            if qualified & PASS_THROUGH_FUNCTIONS:
                return self._pass_through_eager(expr, live)
            if qualified & EAGER_FUNCTIONS:
                return True
            return False if self._mentions(func, live) else args_eager
        if isinstance(expr, cst.Await):
            return self._eager(expr.expression, live, awaited=True)
        if isinstance(expr, cst.Subscript):
            return self._eager(expr.value, live) and all(
                self._eager(el.slice.value, live)
                for el in expr.slice
                if isinstance(el.slice, cst.Index)
            )
        if isinstance(expr, (cst.Comparison, cst.FormattedString, cst.ConcatenatedString, cst.SimpleString)):
            return True
        if isinstance(expr, cst.UnaryOperation):
            return isinstance(expr.operator, cst.Not) or self._eager(expr.expression, live)
        if isinstance(expr, (cst.BinaryOperation, cst.BooleanOperation)):
            return self._eager(expr.left, live) and self._eager(expr.right, live)
        if isinstance(expr, cst.IfExp):
            return self._eager(expr.body, live) and self._eager(expr.orelse, live)
        if isinstance(expr, cst.NamedExpr):
            return self._eager(expr.value, live)
        if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
            return all(
                not isinstance(e, cst.StarredElement) and self._eager(e.value, live)
                for e in expr.elements
            )
        if isinstance(expr, cst.Dict):
            return all(
                isinstance(e, cst.DictElement) and self._eager(e.key, live) and self._eager(e.value, live)
                for e in expr.elements
            )
        if isinstance(expr, _EAGER_COMPREHENSIONS):
            inner = set(live)
            for_in = expr.for_in
            while for_in is not None:
                if self._mentions(for_in.iter, inner) and not self._elements_eager(for_in.iter, inner):
                    inner |= {n.value for n in _walk(for_in.target) if isinstance(n, cst.Name)}
                for_in = for_in.inner_for_in
            if isinstance(expr, cst.DictComp):
                return self._eager(expr.key, inner) and self._eager(expr.value, inner)
            return self._eager(expr.elt, inner)
        return False

    def _pass_through_eager(self, call: cst.Call, live: Set[str]) -> bool:
        """``dict``/``max``/``next``/``list``...: the result holds their arguments (or the
        elements of a single iterable): eager only when those are."""
        positional = [a for a in call.args if a.keyword is None]
        for a in call.args:
            if a.star:
                if self._mentions(a.value, live):
                    return False
            elif a.keyword is not None:
                if a.keyword.value != "key" and not self._eager(a.value, live):
                    return False
        if not positional:
            return True
        first, rest = positional[0], positional[1:]
        iterable_form = len(positional) == 1 or self._qualified(call.func) & {"builtins.next"}
        if iterable_form and not self._elements_eager(first.value, live):
            return False
        if not iterable_form and not self._eager(first.value, live):
            return False
        return all(self._eager(a.value, live) for a in rest)

    def _check_escapes(self, stmt: cst.CSTNode, live: Set[str], noun: str) -> None:
        for sub in _walk_scope(stmt):
            if isinstance(sub, _NESTED_SCOPES):
                if self._captured_in(sub, live):
                    kind = {
                        cst.FunctionDef: "a nested function",
                        cst.Lambda: "a lambda",
                        cst.ClassDef: "a class body",
                        cst.GeneratorExp: "a generator expression",
                    }[type(sub)]
                    raise Unsafe(f"the {noun} is captured by {kind}; it may be used after the "
                                 f"with block")
                continue
            if isinstance(sub, (cst.Return, cst.Yield)) and sub.value is not None:
                value = sub.value
                if isinstance(value, cst.From):
                    value = value.item
                if self._mentions(value, live) and not self._eager(value, live):
                    what = "returned" if isinstance(sub, cst.Return) else "yielded"
                    raise Unsafe(f"the {noun} (or something reading from it) is {what}; the "
                                 f"caller may still use it")
            elif isinstance(sub, cst.Raise) and sub.exc is not None:
                if self._mentions(sub.exc, live) and not self._eager(sub.exc, live):
                    raise Unsafe(f"the {noun} is carried out by an exception")
            elif isinstance(sub, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                value = sub.value
                if value is None or not self._mentions(value, live) or self._eager(value, live):
                    continue
                targets = [t.target for t in sub.targets] if isinstance(sub, cst.Assign) else [sub.target]
                for t in targets:
                    for part in _walk(t):
                        if isinstance(part, cst.Attribute) and self._store_position(part, t):
                            raise Unsafe(f"the {noun} is stored on an attribute")
                        if isinstance(part, cst.Subscript) and self._store_position(part, t):
                            raise Unsafe(f"the {noun} is stored in a subscript")
            elif isinstance(sub, cst.For):
                if self._mentions(sub.iter, live) and not self._elements_eager(sub.iter, live):
                    if not all(isinstance(p, (cst.Name, cst.Tuple, cst.List, cst.Element, cst.StarredElement,
                                               cst.Comma, cst.LeftParen, cst.RightParen, cst.SimpleWhitespace,
                                               cst.LeftSquareBracket, cst.RightSquareBracket))
                               for p in _walk(sub.target)):
                        raise Unsafe(f"the {noun} is stored by a for loop target")
            elif isinstance(sub, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
                if self._mentions(sub, live) and not self._eager(sub, live):
                    if isinstance(self._parent(sub), (cst.AssignTarget, cst.For)) or self._is_target(sub):
                        continue
                    raise Unsafe(f"the {noun} is stored in a container")
            elif isinstance(sub, cst.Call):
                if (
                    noun == "response"
                    and isinstance(sub.func, cst.Attribute)
                    and sub.func.attr.value in RAISING_METHODS
                    and not self._eager(sub.func.value, live)
                ):
                    raise Unsafe(f"`.{sub.func.attr.value}()` raises an exception that carries the "
                                 f"{noun} out of the with block, closed; close it by hand")
                tainted_args = [
                    a for a in sub.args
                    if self._mentions(a.value, live) and not self._eager(a.value, live)
                ]
                if not tainted_args:
                    continue
                func = sub.func
                if isinstance(func, cst.Attribute) and func.attr.value in RETAINING_METHODS:
                    raise Unsafe(f"the {noun} is stored by `.{func.attr.value}()`")
                if self._qualified(func) & RETAINING_FUNCTIONS:
                    raise Unsafe(f"the {noun} is passed to code that may keep it")
                if not self._known_consumer(func, live):
                    raise Unsafe(f"the {noun} (or something reading from it) is passed to a call "
                                 f"that may keep it; it may be used after the with block")

    def _known_consumer(self, func: cst.BaseExpression, live: Set[str]) -> bool:
        """A call known to keep nothing it is given beyond its result (which the taint follows):
        eager builtins and functions, wrappers like ``io.TextIOWrapper``, consumer methods
        (``f.write``, ``logger.info``) and methods of the tainted object itself."""
        if self._qualified(func) & (EAGER_FUNCTIONS | WRAPPING_FUNCTIONS):
            return True
        if isinstance(func, cst.Attribute):
            if func.attr.value in CONSUMER_METHODS:
                return True
            receiver = func.value
            while isinstance(receiver, cst.Attribute):
                receiver = receiver.value
            if self._is_tainted_name(receiver, live):
                return True
            if isinstance(func.value, cst.Call) and self._mentions(func.value, live):
                return self._known_consumer(func.value.func, live)
        return False

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

    def _check_declarations(self, scope: _Scope, names: Set[str], noun: str) -> None:
        root = scope.root.body if isinstance(scope.root, cst.FunctionDef) else scope.root
        for sub in _walk(root):
            if isinstance(sub, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                continue
            if isinstance(sub, (cst.Global, cst.Nonlocal)):
                for item in sub.names:
                    if item.name.value in names:
                        kind = "global" if isinstance(sub, cst.Global) else "nonlocal"
                        raise Unsafe(f"`{item.name.value}` is declared {kind}; the {noun} may be "
                                     f"used elsewhere")

    def _check_occurrences(
        self,
        scope: _Scope,
        stmts: List[cst.BaseStatement],
        index: int,
        last: int,
        names: Set[str],
        kills: Dict[str, int],
        block: cst.CSTNode,
        noun: str,
    ) -> None:
        inside = stmts[index : last + 1]
        stmt = stmts[index]
        stmt_start = self.position(stmt)
        in_loop = self._in_loop(stmt, scope)
        for name in sorted(names):  # the same reason on every run
            kill = kills.get(name)
            after_kill = set(stmts[kill:]) if kill is not None else set()
            for occurrence in scope.names.get(name, ()):
                owner, nested = self._owner(occurrence, scope, block)
                if nested is not None:
                    if self._local_to_nested(occurrence, scope):
                        continue
                    kind = {
                        cst.FunctionDef: "a nested function",
                        cst.Lambda: "a lambda",
                        cst.ClassDef: "a class body",
                        cst.GeneratorExp: "a generator expression",
                    }[type(nested)]
                    raise Unsafe(f"the {noun} is captured by {kind}; it may be used after the "
                                 f"with block")
                if owner is not None and any(owner is s for s in inside):
                    continue
                ctx = self.get_metadata(ExpressionContextProvider, occurrence, None)
                if ctx is ExpressionContext.STORE and not isinstance(self._parent(occurrence), cst.AugAssign):
                    continue
                if ctx is ExpressionContext.DEL:
                    continue
                if owner is not None and owner in after_kill:
                    continue
                if not in_loop and self.position(occurrence) < stmt_start:
                    continue
                raise Unsafe(f"`{name}` is used after the end of its block; the {noun} cannot "
                             f"be closed there")

    def _owner(
        self, occurrence: cst.CSTNode, scope: _Scope, block: cst.CSTNode
    ) -> Tuple[Optional[cst.CSTNode], Optional[cst.CSTNode]]:
        """(the statement of ``block`` holding ``occurrence`` or None, the innermost nested
        scope node between them or None)."""
        nested = None
        child, node = occurrence, self._parent(occurrence)
        while node is not None:
            if isinstance(node, _NESTED_SCOPES) and node is not scope.root and nested is None:
                nested = node
            if node is block:
                return child, nested
            if node is scope.root:
                return None, nested
            child, node = node, self._parent(node)
        return None, nested

    def _local_to_nested(self, occurrence: cst.Name, scope: _Scope) -> bool:
        """The name at ``occurrence`` is bound in a nested scope, not the one we analyse."""
        inner = self.get_metadata(ScopeProvider, occurrence, None)
        first = True
        while inner is not None and inner is not scope.scope:
            if occurrence.value in inner.assignments and (first or not isinstance(inner, ClassScope)):
                return True
            parent = getattr(inner, "parent", None)
            if parent is inner:
                break
            inner, first = parent, False
        return False

    def _captured_in(self, nested: cst.CSTNode, live: Set[str]) -> bool:
        for sub in _walk(nested):
            if isinstance(sub, cst.Name) and sub.value in live:
                parent = self._parent(sub)
                if isinstance(parent, cst.Attribute) and parent.attr is sub:
                    continue
                if isinstance(parent, cst.Arg) and parent.keyword is sub:
                    continue
                if not self._local_to_nested(sub, self._scope):
                    return True
        return False

    def _in_loop(self, stmt: cst.CSTNode, scope: _Scope) -> bool:
        node = self._parent(stmt)
        while node is not None and node is not scope.root:
            if isinstance(node, _LOOPS):
                return True
            node = self._parent(node)
        return False

    def _nest(self, plans: List[Plan]) -> None:
        """Make ranges in one block nest: a range that starts inside another and ends after
        it extends the outer one (closing later than needed is always safe)."""
        plans.sort(key=lambda p: p.start)
        changed = True
        while changed:
            changed = False
            for p in plans:
                for q in plans:
                    if p.start < q.start <= p.end < q.end:
                        p.end = q.end
                        changed = True

    # -- applying ---------------------------------------------------------------------------

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        return self._substitute(original_node, updated_node)

    def leave_Await(self, original_node: cst.Await, updated_node: cst.Await) -> cst.BaseExpression:
        return self._substitute(original_node, updated_node)

    def _substitute(self, original: cst.CSTNode, updated: cst.BaseExpression) -> cst.BaseExpression:
        plan = getattr(self, "_hoisted", {}).get(original)
        if plan is None:
            return updated
        self._hoisted_updated[original] = updated
        return cst.Name(plan.name)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        plans = getattr(self, "_plans", {}).get(original_node)
        if not plans:
            return updated_node
        body = self._build(list(updated_node.body), plans, 0, updated_node.indent)
        return updated_node.with_changes(body=body)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        plans = getattr(self, "_plans", {}).get(original_node)
        if plans:
            updated_node = updated_node.with_changes(body=self._build(list(updated_node.body), plans, 0, None))
        if getattr(self, "_needs_contextlib", False):
            alias = self._contextlib_name()
            self.add_needed_import("contextlib", asname=None if alias == "contextlib" else alias)
        return updated_node

    def _build(self, stmts: List[cst.BaseStatement], plans: List[Plan], offset: int, indent: Optional[str]) -> List[cst.BaseStatement]:
        """Rebuild ``stmts`` (which start at index ``offset`` of the original block)."""
        out: List[cst.BaseStatement] = []
        position = offset
        ordered = sorted(plans, key=lambda p: p.start)
        k = 0
        while position < offset + len(stmts):
            plan = ordered[k] if k < len(ordered) else None
            if plan is None or plan.start != position:
                out.append(stmts[position - offset])
                position += 1
                continue
            inner = [q for q in ordered[k + 1 :] if q.start <= plan.end]
            k += 1 + len(inner)
            first_stmt = stmts[plan.start - offset]
            if plan.named:
                body_start = plan.start + 1
            else:
                body_start = plan.start
            body = self._build(stmts[body_start - offset : plan.end + 1 - offset], inner, body_start, indent)
            out.extend(self._wrap(plan, first_stmt, body, indent))
            position = plan.end + 1
        return out

    def _header_word(self, target: Target) -> str:
        return {
            "with": "with",
            "async with": "async with",
            "closing": "with contextlib.closing",
            "aclose": "try/finally: await .aclose()",
        }[target.mode]

    def _wrap(self, plan: Plan, first: cst.BaseStatement, body: List[cst.BaseStatement], indent: Optional[str]) -> List[cst.BaseStatement]:
        target = plan.target
        if plan.named:
            assert isinstance(first, cst.SimpleStatementLine)
            value = first.body[0].value  # type: ignore[attr-defined]
            header = first.trailing_whitespace
            leading = first.leading_lines
        else:
            value = self._hoisted_updated[target.node]
            header = cst.TrailingWhitespace()
            leading = first.leading_lines
            body = [body[0].with_changes(leading_lines=())] + body[1:]
        if not body:
            body = [cst.SimpleStatementLine([cst.Pass()])]
        # Blank lines moved one level in would otherwise gain the new indentation as
        # trailing whitespace (at module level a blank line "matches" the empty indent).
        body = [_unindent_blank_lines(stmt) for stmt in body]
        block = cst.IndentedBlock(body=body, header=header, indent=indent)
        if target.mode == "aclose":
            close = cst.SimpleStatementLine(
                [cst.Expr(cst.Await(cst.Call(cst.Attribute(cst.Name(plan.name), cst.Name("aclose")))))]
            )
            return [
                first,
                cst.Try(
                    body=cst.IndentedBlock(body=body, indent=indent),
                    finalbody=cst.Finally(body=cst.IndentedBlock(body=[close], indent=indent)),
                ),
            ]
        item_expr = value
        if target.unwrap_await and isinstance(item_expr, cst.Await):
            item_expr = item_expr.expression
        if target.mode == "closing":
            item_expr = cst.Call(
                cst.Attribute(cst.Name(self._contextlib_name() or "contextlib"), cst.Name("closing")),
                [cst.Arg(item_expr)],
            )
        return [
            cst.With(
                items=[cst.WithItem(item=item_expr, asname=cst.AsName(name=cst.Name(plan.name)))],
                body=block,
                asynchronous=cst.Asynchronous() if target.mode == "async with" else None,
                leading_lines=leading,
            )
        ]
