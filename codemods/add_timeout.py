"""``add-timeout``: give every ``requests`` and ``urlopen`` call an explicit timeout.

requests has no default timeout and ``urllib.request.urlopen`` waits for the socket default
(none, unless the program set one): a server that accepts the connection and never answers
hangs the caller forever. httpx has a 5 second default and is left alone.
"""

from __future__ import annotations

import ast
import keyword as _keyword
import math
from typing import Any, List, Optional, Union

import libcst as cst
from libcst.metadata import ScopeProvider

from . import catalog
from .base import HttpCodemod
from .calls import REQUESTS_VERBS, HttpCall, keyword
from .docs import CodemodDocs, Example, ExampleKind
from .imports import global_scope
from .share.layout import _import_like, _is_docstring, insertion_point
from .spec import HTTP_LIBRARIES, Kind, TargetSpec
from .tree import name_assignment

#: ``Session.request(method, url, params, data, headers, cookies, files, auth, timeout, ...)``
SESSION_REQUEST_TIMEOUT_INDEX = 8
#: ``urlopen(url, data=None, timeout=...)``
URLOPEN_TIMEOUT_INDEX = 2


#: Larger timeouts overflow the socket layer ("timestamp out of range for platform time_t").
MAX_TIMEOUT = 1_000_000_000


def parse_timeout(value: Union[str, int, float, list, tuple]) -> str:
    """Validate a timeout from the CLI or config; return its source text.

    Accepts a positive, finite number (at most ``MAX_TIMEOUT`` seconds) or a (connect, read)
    pair such as ``(3.05, 27)``. A one-element pair (``(5,)``, ``[5]``) is the number itself:
    requests refuses a one-element tuple.
    """
    if isinstance(value, (list, tuple)):
        parsed: Any = tuple(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        parsed = value
    else:
        try:
            parsed = ast.literal_eval(str(value).strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise ValueError(f"invalid timeout {value!r}: expected a number or (connect, read)")
    if isinstance(parsed, list):
        parsed = tuple(parsed)
    numbers = parsed if isinstance(parsed, tuple) else (parsed,)
    if not 1 <= len(numbers) <= 2 or not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in numbers):
        raise ValueError(f"invalid timeout {value!r}: expected a positive number or (connect, read)")
    if not all(math.isfinite(n) and 0 < n <= MAX_TIMEOUT for n in numbers):
        raise ValueError(
            f"invalid timeout {value!r}: each number must be finite, above 0 and at most {MAX_TIMEOUT:,} seconds"
        )
    if len(numbers) == 2:
        return "(" + ", ".join(repr(n) for n in numbers) + ")"
    return repr(numbers[0])


def single_timeout(code: str) -> str:
    """What ``urllib.request.urlopen`` gets for the timeout ``code``: one number. For a
    (connect, read) pair, the larger of the two (usually the read timeout): urlopen applies its
    one timeout to the connect and to every read, so no step is cut shorter than the pair
    allows."""
    parsed = ast.literal_eval(code)
    return repr(max(parsed)) if isinstance(parsed, tuple) else code


# -- documentation (README section, --list, SARIF help) and examples (run as tests) -----------

EXAMPLES = (
    Example(
        ExampleKind.FIXED,
        """\
import requests


def fetch(url):
    return requests.get(url)
""",
        after="""\
import requests


def fetch(url):
    return requests.get(url, timeout=60)
""",
    ),
    Example(
        ExampleKind.REPORTED,
        """\
import requests


def fetch(url, **kwargs):
    return requests.get(url, **kwargs)
""",
        reason="passes **kwargs, which may already hold a timeout",
    ),
    Example(
        ExampleKind.UNCHANGED,
        """\
import requests


def fetch(url):
    return requests.get(url, timeout=None)
""",
    ),
)

DOCS = CodemodDocs(
    heading="off by default: it changes behaviour",
    why="""`requests` has no default timeout and `urllib.request.urlopen` uses the socket
  default, which is none: a server that accepts the connection and never answers hangs the
  caller forever.""",
    what="""`requests.<verb>(...)`/`requests.request(...)` in any import form, the same
  methods on a `requests.Session()` object made in scope, and `urllib.request.urlopen(...)`.
  httpx and httpx2 have a default timeout (5 s), niquests one of 30 s for reads and 120 s for
  writes (niquests 3.21): they are left alone.""",
    fix="""appends `timeout=60` (`--timeout 10`, or `--timeout "(3.05, 27)"` for separate
  connect and read timeouts), following the call's layout: arguments one per line get
  `timeout=60` on a line of its own at their indentation; arguments that share a line (black's
  `f(\\n    a, b\\n)`, or a single argument without a trailing comma) get it on that line, before
  any comment that ends it; trailing commas stay trailing, comments stay where they were.
  (If that line then exceeds the formatter's line length, the formatter would split it; the
  output is black-stable when the line still fits.)""",
    safety="""a call that used to wait forever now raises a timeout error after the
  given time. Nothing else changes: where a shorter bound may already apply (a Session with a
  mounted adapter, a module that calls `socket.setdefaulttimeout`), adding `timeout=60` could
  lengthen it, so those calls are reported instead.""",
    reported="""calls that pass `timeout` already (`timeout=None` is explicit and kept), and
  `urlopen` with a positional timeout. **Reported**: calls with `**kwargs` or `*args`, which may
  already carry a timeout (adding one could raise `TypeError: got multiple values`).""",
    notes=(
        """**Timeout values**: a number, or a (connect, read) pair, each finite, above 0 and at most
  1,000,000,000 seconds (larger ones overflow the socket layer); a one-element pair (`(5,)`,
  `[5]`) is the number itself (requests refuses a one-element tuple). Anything else (`abc`,
  `1e999`, `(1, 2, 3)`, `0`) is a usage error (exit 2). **urlopen takes one number**: given a
  pair, `urllib.request.urlopen` gets the larger of the two (usually the read timeout), since
  its one timeout bounds the connect and every read, and no step may be cut shorter than the
  pair allows (`--timeout "(3.05, 27)"` writes `requests.get(u, timeout=(3.05, 27))` and
  `urlopen(u, timeout=27)`).""",
        """**A named constant**: `--timeout-constant HTTP_TIMEOUT` writes `HTTP_TIMEOUT = 60` once at
  module level, after the imports (before any call that runs at import time), and
  `timeout=HTTP_TIMEOUT` in every call (urlopen, given a pair, still gets its one number). A
  module-level `HTTP_TIMEOUT = 60` already there (the same value, defined once) is reused;
  defined with another value, bound another way, or shadowed where the call is, the call is
  reported instead.""",
    ),
    safe_fixes=(
        "`timeout=<value>` added to a call that passes none (the codemod itself is off by "
        "default: a call that waited forever now raises after the timeout).",
    ),
    examples=EXAMPLES,
)


INFO = catalog.ADD_TIMEOUT


class AddTimeout(HttpCodemod):
    DOCS = DOCS
    NAME = INFO.name
    TARGETS = TargetSpec(
        module_wide=HTTP_LIBRARIES | {"socket.setdefaulttimeout"},
        consulted=frozenset({"socket.setdefaulttimeout"}),
    )
    MODULE_WIDE = TARGETS.module_wide
    DESCRIPTION = INFO.description
    WHY = INFO.why
    FIX = INFO.fix
    DEFAULT = INFO.default
    OPTIONS = INFO.options

    def __init__(self, context: Any, **options: Any) -> None:
        super().__init__(context, **options)
        self.timeout_code = parse_timeout(self.options["timeout"])
        self.constant = parse_constant_name(self.options["timeout-constant"])

    def visit_Module(self, node: cst.Module) -> None:
        self.sets_socket_default = any(
            self.resolver.resolves_to(call.func, ["socket.setdefaulttimeout"]) for call in self.nodes_of(node, cst.Call)
        )
        self.constant_plan = ConstantPlan(self, node) if self.constant else None
        self.constant_used = False

    def _targets(self, call: HttpCall) -> bool:
        if call.library == "requests" and (call.module == "niquests" or (call.kind == Kind.METHOD and not call.module)):
            # niquests has default timeouts (30 s for reads, 120 s for writes, in the bare
            # functions and in a Session): a timeout=60 could lengthen them. A client whose
            # bindings come from both requests and niquests is left alone too.
            return False
        if call.library == "requests":
            if call.kind == Kind.FUNCTION:
                return call.name in REQUESTS_VERBS
            if call.kind == Kind.METHOD:
                return call.name in REQUESTS_VERBS
            return False
        return call.kind == Kind.URLOPEN

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        found = self.resolver.classify(original_node)
        if found is None or not self._targets(found):
            return updated_node
        if keyword(original_node, "timeout") is not None:
            return updated_node
        positional = [a for a in original_node.args if a.keyword is None and a.star == ""]
        if found.kind == Kind.URLOPEN and len(positional) > URLOPEN_TIMEOUT_INDEX:
            return updated_node
        if found.kind == Kind.METHOD and found.name == "request" and len(positional) > SESSION_REQUEST_TIMEOUT_INDEX:
            return updated_node
        if self.suppressed(original_node):
            return updated_node
        starred = [a for a in original_node.args if a.star == "**"]
        if starred:
            mapping = self.module.code_for_node(starred[-1].value)
            code = single_timeout(self.timeout_code) if found.kind == Kind.URLOPEN else self.timeout_code
            self.report(
                original_node,
                "passes **kwargs, which may already hold a timeout",
                f'`**{mapping}` -> `**{{"timeout": {code}, **{mapping}}}` (the default only when it holds none)',
            )
            return updated_node
        if any(a.star == "*" for a in original_node.args):
            self.report(original_node, "passes *args, which may already hold a timeout")
            return updated_node
        if self.sets_socket_default:
            self.report(
                original_node,
                "the module calls socket.setdefaulttimeout; an explicit timeout would replace it",
            )
            return updated_node
        if found.kind == Kind.METHOD and "mount" in self.resolver.accessed_attributes(found.receiver):
            self.report(
                original_node,
                "the session has a mounted adapter, which may set its own timeout",
            )
            return updated_node
        code = single_timeout(self.timeout_code) if found.kind == Kind.URLOPEN else self.timeout_code
        plan = self.constant_plan
        if plan is not None and code == self.timeout_code:
            problem = plan.problem or plan.problem_at(original_node)
            if problem is not None:
                self.report(original_node, problem)
                return updated_node
            self.constant_used = True
            self.fixed(original_node, f"added timeout={self.constant} (= {code})")
            code = self.constant
        else:
            self.fixed(original_node, f"added timeout={code}")
        return updated_node.with_changes(args=append_keyword(updated_node, "timeout", cst.parse_expression(code)))

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        plan = self.constant_plan
        if plan is None or not self.constant_used or plan.existing is not None:
            return updated_node
        return plan.define(updated_node, f"{self.constant} = {self.timeout_code}")


def parse_constant_name(value: Any) -> str:
    """``--timeout-constant``: empty (a literal in every call) or an identifier."""
    name = "" if value is None else str(value).strip()
    if name and (not name.isidentifier() or _keyword.iskeyword(name) or name.startswith("__")):
        raise ValueError(f"invalid timeout-constant {value!r}: expected an identifier not starting with __")
    return name


class ConstantPlan:
    """Where ``NAME = <timeout>`` is (an existing module-level constant of the right value) or
    goes (after the imports, before the first call that runs at import time), and why a call
    cannot use it."""

    def __init__(self, codemod: "AddTimeout", module: cst.Module) -> None:
        self.codemod = codemod
        self.name = codemod.constant
        self.problem: Optional[str] = None
        self.existing: Optional[int] = None  # index of the module statement that defines it
        body = list(module.body)
        self._index = {id(stmt): i for i, stmt in enumerate(body)}
        scope = global_scope(codemod, module)
        bindings = list(scope.assignments[self.name]) if scope is not None and self.name in scope.assignments else []
        if bindings:
            self._check_existing(body, bindings)
        self.point = self._point(body)

    def _check_existing(self, body: List[cst.BaseStatement], bindings: List[Any]) -> None:
        name, wanted = self.name, ast.literal_eval(self.codemod.timeout_code)
        for index, stmt in enumerate(body):
            found = name_assignment(stmt)
            if found is not None and found[0] == name:
                small = found[1]
                if len(bindings) != 1 or getattr(bindings[0], "node", None) is not small.targets[0].target:
                    break
                try:
                    value = ast.literal_eval(self.codemod.module.code_for_node(small.value))
                except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                    value = None
                if value == wanted and type(value) in (type(wanted), int, float) and not isinstance(value, bool):
                    self.existing = index
                    return
                shown = self.codemod.module.code_for_node(small.value)
                self.problem = (
                    f"{name} is already defined as {shown}, not {self.codemod.timeout_code}: "
                    "pass --timeout to match it, or another --timeout-constant"
                )
                return
        self.problem = (
            f"{name} is already bound in this module, and not as one constant: choose another --timeout-constant"
        )

    def _point(self, body: List[cst.BaseStatement]) -> int:
        """After the leading imports (and a docstring, ``__all__`` and such), before the first
        target call that runs when the module is imported."""
        point = 0
        for index, stmt in enumerate(body):
            if index == 0 and _is_docstring(stmt):
                point = 1
            elif _import_like(stmt):
                point = index + 1
            elif not _dunder_assignment(stmt):
                break
        first_use = min((self._top_index(call) for call in self._import_time_calls()), default=len(body))
        if first_use < point:
            point = insertion_point(body, first_use)
        return point

    def _top_index(self, node: cst.CSTNode) -> int:
        while node is not None and id(node) not in self._index:
            node = self.codemod.resolver.parent(node)
        return self._index[id(node)] if node is not None else 0

    def _import_time_calls(self) -> List[cst.Call]:
        out = []
        for call in self.codemod.nodes_of(self.codemod.module, cst.Call):
            found = self.codemod.resolver.classify(call)
            if found is not None and self.codemod._targets(found) and not self._in_function(call):
                out.append(call)
        return out

    def _in_function(self, node: cst.CSTNode) -> bool:
        parent = self.codemod.resolver.parent(node)
        while parent is not None:
            if isinstance(parent, (cst.FunctionDef, cst.Lambda)):
                return True
            parent = self.codemod.resolver.parent(parent)
        return False

    def problem_at(self, call: cst.Call) -> Optional[str]:
        scope = self.codemod.get_metadata(ScopeProvider, call, None)
        if scope is not None and any(a.scope is not scope.globals for a in scope[self.name]):
            return f"{self.name} means something else here (bound in this scope): cannot pass the module constant"
        if self.existing is not None and not self._in_function(call):
            if self._top_index(call) <= self.existing:
                return f"runs before {self.name} is defined (further down the module)"
        return None

    def define(self, module: cst.Module, code: str) -> cst.Module:
        body = list(module.body)
        point = min(self.point, len(body))
        stmt = cst.parse_statement(code + "\n")
        if point > 0:
            stmt = stmt.with_changes(leading_lines=[cst.EmptyLine()])
        if point < len(body):
            following = body[point]
            blanks = 0
            for line in following.leading_lines:
                if line.comment is not None:
                    break
                blanks += 1
            wanted = 2 if isinstance(following, (cst.FunctionDef, cst.ClassDef)) else 1
            if blanks < wanted and (point > 0 or wanted == 2):
                extra = [cst.EmptyLine()] * (wanted - blanks)
                body[point] = following.with_changes(leading_lines=extra + list(following.leading_lines))
        body.insert(point, stmt)
        return module.with_changes(body=body)


def _dunder_assignment(stmt: cst.BaseStatement) -> bool:
    """``__all__ = [...]``, ``__version__ = "1"``: allowed among imports (pycodestyle's E402)."""
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    return all(
        isinstance(small, (cst.Assign, cst.AnnAssign, cst.AugAssign))
        and all(
            isinstance(t, cst.Name) and t.value.startswith("__") and t.value.endswith("__")
            for t in ([x.target for x in small.targets] if isinstance(small, cst.Assign) else [small.target])
        )
        for small in stmt.body
    )


def _line_break(ws: cst.BaseParenthesizableWhitespace) -> cst.BaseParenthesizableWhitespace:
    """A copy of ``ws`` without its comment and blank lines (same indentation)."""
    if isinstance(ws, cst.ParenthesizedWhitespace):
        return ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=())
    return cst.SimpleWhitespace(" ")


def append_keyword(call: cst.Call, name: str, value: cst.BaseExpression) -> list:
    """``call``'s args plus ``name=value`` at the end, following the call's own layout.

    Arguments one per line: the new one gets a line of its own, at their indentation.
    Arguments sharing a line (``f(a, b)``, or black's ``f(\n    a, b\n)``; also a single
    argument without a trailing comma): the new one joins that line, before any comment that
    ends it. Comments stay on the argument they followed; a trailing comma stays trailing.
    """
    args = list(call.args)
    new = cst.Arg(
        keyword=cst.Name(name),
        value=value,
        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
    )
    if not args:
        return [new]
    last = args[-1]
    if len(args) >= 2 and isinstance(args[-2].comma, cst.Comma):
        between = _line_break(args[-2].comma.whitespace_after)
    elif isinstance(last.comma, cst.Comma):
        between = _line_break(call.whitespace_before_args)
    else:
        # One argument, no trailing comma: black puts what fits on that argument's line.
        between = cst.SimpleWhitespace(" ")
    one_per_line = isinstance(between, cst.ParenthesizedWhitespace)
    if isinstance(last.comma, cst.Comma):
        closing = last.comma.whitespace_after  # what stands before ")"
        if isinstance(closing, cst.ParenthesizedWhitespace) and one_per_line:
            kept = closing.with_changes(indent=between.indent, last_line=between.last_line)
            args[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=kept))
            args.append(new.with_changes(comma=cst.Comma(whitespace_after=_line_break(closing))))
        else:
            # ``a, b,)`` or ``a, b,  # note\n)``: the new argument joins the line; the comment
            # and the line break move after its comma.
            args[-1] = last.with_changes(comma=last.comma.with_changes(whitespace_after=between))
            args.append(new.with_changes(comma=cst.Comma(whitespace_after=closing)))
    elif isinstance(last.whitespace_after_arg, cst.ParenthesizedWhitespace):
        closing = last.whitespace_after_arg  # ``x  # note\n)``
        if one_per_line:
            # The comma goes right after the value, the comment stays with it, and the new
            # argument takes the line break before ")".
            after_comma = closing.with_changes(indent=between.indent, last_line=between.last_line)
            args[-1] = last.with_changes(
                whitespace_after_arg=cst.SimpleWhitespace(""),
                comma=cst.Comma(whitespace_after=after_comma),
            )
            args.append(new.with_changes(whitespace_after_arg=_line_break(closing)))
        else:
            # ``\n    a, b  # note\n)``: ``a, b, timeout=60  # note``.
            args[-1] = last.with_changes(
                whitespace_after_arg=cst.SimpleWhitespace(""),
                comma=cst.Comma(whitespace_after=between),
            )
            args.append(new.with_changes(whitespace_after_arg=closing))
    else:
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=between))
        args.append(new)
    return args
