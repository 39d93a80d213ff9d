"""``close-response``: close responses that hold a connection, with ``with`` / ``async with``.

A streamed requests response, an ``urlopen`` response, an httpx streamed response, an aiohttp
response or a urllib3 response with ``preload_content=False`` keeps its connection until it is
closed or fully read. The code that forgets to close it on one path (an early return, an
exception) leaks a connection per call. The wrapping itself lives in ``wrapping.py``.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from .calls import AIOHTTP_VERBS, REQUESTS_VERBS, is_literal_false, is_literal_true, keyword
from .spec import TargetSpec
from .wrapping import Plan, Target, WrappingCodemod
from .docs import CodemodDocs, Example, ExampleKind

AIOHTTP_REQUEST_METHODS = AIOHTTP_VERBS - {"ws_connect"}


# -- documentation (README section, --list, SARIF help) and examples (run as tests) -----------

EXAMPLES = (
    Example(
        ExampleKind.FIXED,
        """\
import requests


def size(url):
    r = requests.get(url, stream=True)
    n = len(r.content)
    return n
""",
        after="""\
import requests


def size(url):
    with requests.get(url, stream=True) as r:
        n = len(r.content)
    return n
""",
    ),
    Example(
        ExampleKind.REPORTED,
        """\
import requests


def open_stream(url):
    r = requests.get(url, stream=True)
    return r
""",
        reason='the response (or something reading from it) is returned',
    ),
    Example(
        ExampleKind.REPORTED,
        """\
import requests


def download(url, path):
    r = requests.get(url, stream=True)
    check(r)
    with open(path, "wb") as f:
        for chunk in r.iter_content(1 << 16):
            f.write(chunk)
""",
        reason="is passed to `check` at line 6, which may keep it and use it after the with block; "
        "fixable with --unsafe-fixes",
    ),
    Example(
        ExampleKind.FIXED,
        """\
import requests


def download(url, path):
    r = requests.get(url, stream=True)
    check(r)
    with open(path, "wb") as f:
        for chunk in r.iter_content(1 << 16):
            f.write(chunk)
""",
        after="""\
import requests


def download(url, path):
    with requests.get(url, stream=True) as r:
        check(r)
        with open(path, "wb") as f:
            for chunk in r.iter_content(1 << 16):
                f.write(chunk)
""",
        unsafe_fixes=True,
    ),
    Example(
        ExampleKind.UNCHANGED,
        """\
import requests


def size(url):
    with requests.get(url, stream=True) as r:
        return len(r.content)
""",
    ),
)

DOCS = CodemodDocs(
    why="""a streamed or unread response keeps its connection checked out until it is closed.
  Code that forgets to close it on one path (an early `return`, an exception) holds a
  connection per call until the garbage collector finds the response, or forever when a
  traceback or a reference cycle keeps it alive.""",
    what="""`requests.<verb>/request(..., stream=True)` (literal `True`; module
  functions and `requests.Session` methods), `urllib.request.urlopen(...)`, httpx
  `client.send(req, stream=True)` and `httpx.stream(...)`/`client.stream(...)` called without
  `with` but used as a response, aiohttp `await session.<verb>(...)`, urllib3
  `.request/.urlopen(..., preload_content=False)` on a pool; the drop-ins `niquests`
  (requests' API) and `httpx2` (the httpx fork) as requests and httpx.""",
    fix="""`r = <call>` becomes `with <call> as r:` (`async with session.get(...)` for
  aiohttp and httpx's async `stream`; `with contextlib.closing(client.send(...))` for httpx,
  whose responses are no context managers; `try: ... finally: await r.aclose()` for its async
  `send`). The block runs to the last statement of the same block that uses `r` or a name
  derived from it (`lines = r.iter_lines()`, `raw = r.raw`, `reader = csv.reader(...)`,
  transitively); statements after it stay outside. A call used inside one statement
  (`data = urlopen(u).read()`, `return json.load(urlopen(u))`,
  `for chunk in requests.get(u, stream=True).iter_content(): ...`) is hoisted into
  `with <call> as response:` (a fresh name: `response_1`, ... when taken) when nothing the
  statement evaluates before the call can have a side effect. A name reassigned to a second
  response gets two consecutive blocks. `import contextlib` is added only when used (as
  `import contextlib as _contextlib` when the name `contextlib` is bound to anything else in
  the module; reported when both names are taken).""",
    safety="""the response is closed when the block ends, on every path. A value
  computed from it inside the block (`return r.json()`) is computed before it closes. Nothing
  else changes: the same requests, in the same order, with the same results.""",
    reported="""calls already closed (a `with` item, in `contextlib.closing`, passed to
  `enter_context`, or closed/released/`aclose()`d in a `finally`). **Reported**
  (`path:line:col: close-response: reason`): the response or something lazily reading from it
  (an iterator, `r.raw`, `resp.content` in aiohttp, an unknown wrapper) is returned, yielded,
  raised, stored on an attribute, in a subscript or a container (`.append`, `.add`, displays),
  passed to a call that is not a known consumer (`functools.partial`, `executor.submit`,
  `threading.Thread`, a class: `Wrapper(r)`; known consumers are eager
  builtins, `json.load`, `shutil.copyfileobj`, `f.write`, logging, wrappers like
  `io.TextIOWrapper`/`csv.reader` whose result is tracked, and the response's own methods;
  a response passed to any other function or method, `check(r)`, `self.log(r)`, is an unsafe
  fix, below),
  bound at module level (importers would get it closed), `r.raise_for_status()` inside the
  block (its `HTTPError` would carry the response out, closed), declared `global`/`nonlocal`,
  captured by a nested function, lambda, class or generator
  expression, or mentioned after the end of its block (e.g. bound in a `try` and used after
  it); calls in a comprehension, lambda, default argument, decorator, conditional expression,
  the right side of `and`/`or`, a `while` or `elif` condition or an `assert` (hoisting would
  send a request the program did not send), after something with side effects in the same
  statement (a call, or an attribute that does not resolve to an import: `self.m.record(...)`),
  or several in one statement.""",
    notes=(
        """**Choices**: a response passed to an unknown function may be kept (`process(r)`): an
  unsafe fix, reported without `--unsafe-fixes`; data read from it is not an escape (`for chunk in r.iter_content(): sink(chunk)`). A name
  bound to a tracked wrapper's result (`reader = csv.reader(io.TextIOWrapper(r.raw))`) or to
  `dict(resp=r)`/`max(r, other)` is derived and keeps the block open until its last use.""",
    ),
    safe_fixes=(
        "a response whose every use is in the block, read by the response's own methods or by "
        "known consumers: closed when the block ends, on every path.",
    ),
    unsafe_fixes=(
        (
            "a response (or something reading from it) passed to a function or method the tool "
            "knows nothing about (`check(r)`, `log_status(resp)`, `self._verify(r)`), which in "
            "practice reads it; the report names the call and its line.",
            "the callee may keep the response (store it, hand it to a thread) and read it after "
            "the `with` block has closed it.",
        ),
    ),
    examples=EXAMPLES,
)


class CloseResponse(WrappingCodemod):
    DOCS = DOCS
    NAME = "close-response"
    DESCRIPTION = "Close streamed responses (requests, urlopen, httpx, aiohttp, urllib3) with `with`."
    WHY = (
        "A streamed or unread response keeps its connection checked out until it is closed; "
        "a path that forgets (an early return, an exception) leaks one connection per call."
    )
    FIX = (
        "Wraps the statements that use the response, up to the last one, in `with <call> as r:` "
        "(`async with` for aiohttp and httpx's async streams, `contextlib.closing` for httpx's "
        "`send(stream=True)`, `try/finally: await r.aclose()` for its async form). The response "
        "is closed when that block ends, on every path, instead of when the garbage collector "
        "finds it. Sites where the response may be used after the block are reported instead."
    )
    DEFAULT = True
    FRESH_NAME = "response"

    TARGETS = TargetSpec(
        kinds=frozenset({"function", "constructor", "class", "urlopen", "star"}),
        module_wide=WrappingCodemod.TARGETS.module_wide,
        candidate_names=frozenset({"urlopen", "stream"}),
        consulted=frozenset({"contextlib.closing", "contextlib.aclosing"}),
    )
    MODULE_WIDE = TARGETS.module_wide
    CANDIDATE_NAMES = TARGETS.candidate_names

    def might_be_target(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Await):
            return isinstance(node.expression, cst.Call)
        assert isinstance(node, cst.Call)
        if self.candidate_name(node.func):
            return True
        return any(
            arg.keyword is not None and arg.keyword.value in ("stream", "preload_content")
            for arg in node.args
        )

    def target_of(self, node: cst.CSTNode) -> Optional[Target]:
        if isinstance(node, cst.Await):
            inner = node.expression
            if not isinstance(inner, cst.Call):
                return None
            found = self.resolver.classify(inner)
            if found is None or found.kind != "method":
                return None
            if found.client_class == "aiohttp.ClientSession" and found.name in AIOHTTP_REQUEST_METHODS:
                return Target(node, "async with", "aiohttp", unwrap_await=True, needs_async_def=True)
            if (
                found.client_class == "httpx.AsyncClient"
                and found.name == "send"
                and is_literal_true(_kw(inner, "stream"))
            ):
                return Target(node, "aclose", "httpx", needs_async_def=True)
            return None
        if not isinstance(node, cst.Call):
            return None
        found = self.resolver.classify(node)
        if found is None:
            return None
        if found.kind == "urlopen":
            return Target(node, "with", "urllib")
        if found.library == "requests" and found.name in REQUESTS_VERBS:
            if found.kind == "function" or (
                found.kind == "method" and found.client_class == "requests.Session"
            ):
                if is_literal_true(_kw(node, "stream")):
                    return Target(node, "with", "requests")
            return None
        if found.library == "httpx":
            if found.name == "send" and found.client_class == "httpx.Client":
                if is_literal_true(_kw(node, "stream")):
                    return Target(node, "closing", "httpx")
                return None
            if found.name == "stream" and (
                found.kind == "function" or found.client_class == "httpx.Client"
            ):
                return Target(node, "with", "httpx", named_only=True, used_as_response=True)
            if found.name == "stream" and found.client_class == "httpx.AsyncClient":
                return Target(node, "async with", "httpx", named_only=True, used_as_response=True, needs_async_def=True)
            return None
        if (
            found.library == "urllib3"
            and found.kind == "method"
            and found.name in ("request", "urlopen")
            and is_literal_false(_kw(node, "preload_content"))
        ):
            return Target(node, "with", "urllib3")
        return None

    def fixed_message(self, target: Target, plan: Plan) -> str:
        how = {
            "with": "with",
            "async with": "async with",
            "closing": "with contextlib.closing(...)",
            "aclose": "try/finally: await .aclose()",
        }[target.mode]
        return f"closed the response with `{how}`"


def _kw(call: cst.Call, name: str) -> Optional[cst.BaseExpression]:
    arg = keyword(call, name)
    return arg.value if arg is not None else None
