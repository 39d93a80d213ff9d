"""``close-response``: close responses that hold a connection, with ``with`` / ``async with``.

A streamed requests response, an ``urlopen`` response, an httpx streamed response, an aiohttp
response or a urllib3 response with ``preload_content=False`` keeps its connection until it is
closed or fully read. The code that forgets to close it on one path (an early return, an
exception) leaks a connection per call. The wrapping itself lives in ``wrapping.py``.
"""

from __future__ import annotations

import os
from typing import Any, List, Optional

import libcst as cst
from libcst.metadata import QualifiedNameProvider, QualifiedNameSource, ScopeProvider

from . import catalog
from .calls import AIOHTTP_VERBS, CLIENT_LIBRARY, REQUESTS_VERBS, HttpCall, is_literal_false, is_literal_true, keyword
from .closing import raising
from .closing.factory import star_factory
from .closing.held import HeldClients
from .facts import ProjectFacts
from .imports import dotted
from .spec import Kind, TargetSpec
from .wrapping import Mode, Plan, Target, WrappingCodemod
from .docs import CodemodDocs, Example, ExampleKind

AIOHTTP_REQUEST_METHODS = AIOHTTP_VERBS - {"ws_connect"}
#: Methods whose receiver ``closing/held.py`` resolves (the request methods of every client).
_HELD_METHODS = REQUESTS_VERBS | {"send", "stream", "urlopen"}


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
    r.raise_for_status()
    return r
""",
        # In a project, where open_stream is one of its factories, this is no site: its
        # callers are (``with open_stream(u) as r:``). Alone, nobody checks the callers.
        reason="the response is returned to the caller of `open_stream` on every exit, but without the project's facts",
    ),
    Example(
        ExampleKind.REPORTED,
        """\
import requests


def open_lines(url):
    r = requests.get(url, stream=True)
    return r.iter_lines()
""",
        reason="the response (or something reading from it) is returned",
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
    Example(
        ExampleKind.FIXED,
        """\
import requests


def download(url, out):
    r = requests.get(url, stream=True)
    r.raise_for_status()
    for chunk in r.iter_content(8192):
        out.write(chunk)
""",
        after="""\
import requests


def download(url, out):
    r = requests.get(url, stream=True)
    r.raise_for_status()
    with r:
        for chunk in r.iter_content(8192):
            out.write(chunk)
""",
    ),
    Example(
        ExampleKind.FIXED,
        """\
from urllib.error import URLError
from urllib.request import urlopen


def _status(resp):
    return resp.status


def fetch(url):
    try:
        resp = urlopen(url)
    except URLError:
        return None
    if _status(resp) != 200:
        return None
    data = resp.read()
    resp.close()
    return data
""",
        after="""\
from urllib.error import URLError
from urllib.request import urlopen


def _status(resp):
    return resp.status


def fetch(url):
    try:
        resp = urlopen(url)
    except URLError:
        return None
    with resp:
        if _status(resp) != 200:
            return None
        data = resp.read()
    return data
""",
    ),
    Example(
        ExampleKind.FIXED,
        """\
from urllib.request import urlopen


def reachable(url):
    try:
        urlopen(url, timeout=1)
        return True
    except OSError:
        return False
""",
        after="""\
from urllib.request import urlopen


def reachable(url):
    try:
        with urlopen(url, timeout=1):
            pass
        return True
    except OSError:
        return False
""",
    ),
    Example(
        ExampleKind.REPORTED,
        """\
import requests

KEPT = []


def _remember(resp):
    KEPT.append(resp)


def fetch(url):
    r = requests.get(url, stream=True)
    _remember(r)
    return r.json()
""",
        reason="which may keep it",
    ),
)

DOCS = CodemodDocs(
    why="""a streamed or unread response keeps its connection checked out until it is closed.
  Code that forgets to close it on one path (an early `return`, an exception) holds a
  connection per call until the garbage collector finds the response, or forever when a
  traceback or a reference cycle keeps it alive.""",
    what="""`requests.<verb>/request(..., stream=True)` (literal `True`; module
  functions and `requests.Session` methods), `urllib.request.urlopen(...)` (and `opener.open(...)` where every binding of `opener`
  is `urllib.request.build_opener(...)` or `None`: `urlopen` is that call on the default
  opener), httpx
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
  statement evaluates before the call can have a side effect; a call made only for its
  effect (`urlopen(u, timeout=1)` as a reachability check) becomes `with urlopen(...):` with
  no name, and so does one only closed (`urlopen(u).close()`; `stream = urlopen(u)` /
  `stream.close()` when the function reads `stream` nowhere but in such closes): `with
  urlopen(u):` / `pass`. A name reassigned to a second response gets two consecutive blocks (a name rebound
  to a new response earlier in a loop body is that response there, not the first). **A
  `with` after the binding**: when `r = <call>` cannot itself become the header, `with r:`
  (`with contextlib.closing(r):` for httpx, `async with r:` for aiohttp) holds the remaining
  uses and everything before it stays as it was: after a status check whose exception would
  carry the response out (`r.raise_for_status()`, also inside a `try` whose handlers re-raise
  or return, `raise E(r)`, `return r` on one path), after a `try` whose body binds it when
  every handler ends with `return` or `raise` or by binding the name to another such response
  (`except TypeError: r = requests.get(u)`; for urllib also to the caught `HTTPError`, itself a
  urllib response, `except HTTPError as e: r = e`, on every way through the handler, an `if`
  in it whose branches bind or leave; the same after the outer `try` of nested ones whose body
  ends with the inner one), and after an `if` whose every branch, `else`
  included, binds it to one (`if opener: resp = opener.open(q)` / `else: resp = urlopen(q)`:
  one `with resp:` for both), after a `while True:` retry loop whose every `break` comes right
  after a binding of it (`try: r = urlopen(u)` / `break`, or is the whole `else:` of the `try`
  whose body ends with it: `try: r = urlopen(u)` / `except URLError: ...` / `else: break`),
  and after a `with` of an HTTP
  client or response whose body binds it (`async with ClientSession() as s:` /
  `r = await s.post(u)`). On those paths the response is left exactly as
  before; on every other path it is closed. **Made in only some branches of an `if`** and used
  after it (`if stream: r = requests.get(u, stream=True)` / `lines = r.iter_lines()` / `else:
  lines = []`, then `list(lines)`), where no `with` can start at the binding nor after the `if`:
  `with contextlib.ExitStack() as stack:` opens at the `if` and holds it and the later uses (the
  extent and escapes a `with` there would have), and `stack.callback(r.close)` follows the
  binding in its branch; only for a sync close, a binding that is a statement of the branch's
  own block with no `return`/`break`/`continue` after it in the branch, and an `if` of one of
  the function's blocks: its body, or a loop's or `try`'s inside it, the stack then entered and
  left with each run, never outside the loop or `try` the binding is in; the binding may sit in
  a nested `if`/`elif` of the branch (kaggle: `elif r.status_code == 416: r.close()` / `r =
  requests.request(...)`), the stack at the outer `if` after which it is used; in a loop, the name must be bound by a plain statement
  before the `if` in the stack's block (`r = None`), else the fix is unsafe (below)
  (`codemods/closing/stack.py`;
  the same stack goes **around a `while` loop** (a retry loop; not a `for`, which would keep
  one response open for each item until it ends) whose next run reads a response the loop rebinds
  (you-get's retry: `response = urlopen_with_retry(...)` / `continue`, the loop's top reading
  `response.read()`), each response it made closed when the loop ends: always an unsafe fix,
  whose hazard is that each earlier run's response stays open until the loop ends (before, it
  was closed when the name was rebound; right for a retry of a few rounds, not a loop that
  pages through many); reported when a later run of a loop around it may read one of them
  too (unless that loop's run binds the name first: a plain assignment, or an `if` each of
  whose branches makes one); `callback(r.close)`, not
  `enter_context`, keeps `r` the object itself, a mock included). The block ends at an explicit `r.close()`
  that is one of its own statements (not nested in an `if` or loop) when `r` is not read after it (what follows it ran on a
  closed response before too: biopython's `records = list(Medline.parse(handle))` / `handle.close()` /
  asserts on `records`). An explicit `r.close()` that ends the new block is
  removed (the `with` runs it; one with a comment on its line stays; comment lines above it stay at the
  end of the block, unless one of them is about closing: then they go with it). `import contextlib` is added only when used (as
  `import contextlib as _contextlib` when the name `contextlib` is bound to anything else in
  the module; reported when both names are taken).""",
    safety="""the response is closed when the block ends, on every path through the
  block (a `with` opened after the binding leaves the paths before it as they were). A value
  computed from it inside the block (`return r.json()`) is computed before it closes. Nothing
  else changes: the same requests, in the same order, with the same results. **Mocked in the
  project's tests** (the project facts pass): when a test may replace what makes the response
  (the call's own function through any binding, `pkg.mod.requests.get`, `requests.get`,
  `pkg.mod.urlopen`; a library function or client method its result comes from,
  `requests.api.request`, `requests.Session.send`, `requests.adapters.HTTPAdapter.send`,
  `urllib.request.urlopen`, `http.client.HTTPConnection`; the constructor of its client,
  `requests.Session`, `httpx.Client`; a patch whose target the pass cannot read), the fix is
  `with contextlib.closing(<call>) as r:`: `with` would bind the mock's `__enter__()` value, a
  mock the test never set up, while `closing` binds the object itself and only adds `close()`
  (for a real response the same as its `__exit__`). The stand-ins of `responses`,
  `requests_mock`, `pytest-httpx`, `respx` and `httpretty` are real responses: those keep the
  plain `with`.""",
    reported="""**Handed to the caller**: a response the function returns is the caller's to
  close; the caller is checked where it is in the project (below, callers of a response
  factory). When after its binding every normal exit of the function returns the response
  itself (`return r`, also after the end of the block that binds it: a `try` whose handlers
  raise, both branches of an `if`, a retry loop whose every `break` follows the binding; or an
  `io.TextIOWrapper`/`io.BufferedReader` of it, whose `close()` closes it, `gzip.GzipFile` is
  none), the binding is no site when the function is one of the project's response factories
  (below), so that its callers are the sites (a raise whose exception may carry it, `r.raise_for_status()`,
  `raise HTTPError(response=r)` or a bare `raise`, is the caller's too; a `raise` that leaves the
  function with it held and carries nothing of it, `raise ValueError(r.status_code)`, outside any
  `try`/`with` and not right after `r.close()`, is reported at the binding: "the response is not
  closed when the raise at line N leaves `f`"); otherwise
  (decorated, may return something else, overridden by a subclass, or a lone file without the
  project's facts) it is reported: "the response is returned to the caller of `f` on every
  exit, but ..., so its callers are not checked". Returned on one path and dropped on another (`return None`, falling off the end, a loop
  that goes round again), or something made from it returned (`r.iter_lines()`, `r.raw`,
  `(r, 1)`), it is a site as before; a module-level binding or a generator hands nothing out
  (`codemods/closing/factory.py`, the rule `facts/factories.py` uses for factories too).
  **Owned by its object**: `self.X = r` in a method of class `C` (`self` its first parameter),
  where `C`'s own body (not a base class) has a `close`/`aclose`/`__exit__`/`__aexit__`/`__del__`
  that calls `self.X.close()` (`aclose()`, `release()`, `release_conn()`; on any path), lives as
  long as its owner: when that store is the only escape and a plain statement of the binding's
  own block, the binding is no site (close-client too: `self._session = session`, also after
  an `if` at the top of the method that binds it, `if not session: session =
  requests.Session()`, when the branch goes on to the end of the `if`). Without such
  a method the report says where to close it ("stored on self.X at line N; close it in a
  close() method of `C` (none closes it)"); stored on one path only, or with any other escape,
  it is reported as before (`codemods/closing/stores.py`). Calls
  already closed (a `with` item, in `contextlib.closing`, passed to
  `enter_context`, closed/released/`aclose()`d in a `finally` (a requests response also by
  `r.raw.close()` there, which closes its connection), or passed to a function of the
  project whose whole body is a `try` whose `finally` starts by closing that parameter, like
  apprise's `read_bounded_response(r, limit)`, in the statement right after the binding: a
  `with` would close it twice). **Reported**
  (`path:line:col: close-response: reason`): the response or something lazily reading from it
  (an iterator, `r.raw`, `resp.content` in aiohttp, an unknown wrapper) is returned, yielded,
  raised, stored on an attribute, in a subscript or a container (`.append`, `.add`, displays),
  passed to a call that is not a known consumer (`functools.partial`, `executor.submit`,
  `threading.Thread`, a class: `Wrapper(r)`; known consumers are eager
  builtins, `json.load`, `shutil.copyfileobj`, `f.write`, logging, wrappers like
  `io.TextIOWrapper`/`csv.reader` whose result is tracked, the response's own methods, and
  functions of the project that keep nothing of it, see the notes; a response passed to
  any other function or method, `check(r)`, `self.log(r)`, is an unsafe fix, below),
  bound at module level of a module other files may import (importers would get it closed;
  in a **script** a module-level binding is closed like one in a function: a file that no
  other module can import, `ProjectFacts.is_script`: not `conftest.py`, its directory has no
  `__init__.py` and is neither the project's root nor its `src/`, and no file of the project
  imports it by any of its names, `import fetch`, `from scripts import fetch`, `from . import
  fetch`; without the project facts it stays reported), `r.raise_for_status()` with nothing
  after it to hold, or inside a `try` whose handler goes on, or after a use that keeps the
  response (its `HTTPError` would carry the response out, closed), declared `global`/`nonlocal`,
  captured by a nested function, lambda, class or generator
  expression (not a generator expression that mentions it only in its outermost iterable,
  `(b for b in r)`, evaluated at once: a value reading from it that the block follows, nor
  one that is the only argument of a builtin that consumes it before it returns,
  `sum(len(c) for c in r.iter_content())`, `"".join(...)`, `list`/`tuple`/`set`/`dict`/
  `sorted`/`min`/`max`/`any`/`all`), or mentioned after the end of its block where it may still be the response
  (said "returned" when one of those mentions is `return r`; bound in a `try` whose handler falls through, or in one branch of an `if` inside a loop and
  used in the other; a use in the other branch outside a loop is not after it, nor one that
  only a plain rebinding at the top of its block reaches, `h = BytesIO(h.read())` before the
  use, when no `break`/`continue` skips that rebinding and no handler, `finally` or `with`
  around the block can take an exception from before it there); calls in a comprehension, lambda, default argument, decorator, conditional expression,
  the right side of `and`/`or`, a `while` or `elif` condition or an `assert` (hoisting would
  send a request the program did not send), after something with side effects in the same
  statement (a call, or an attribute that does not resolve to an import: `self.m.record(...)`),
  or several in one statement; and an async response (aiohttp, httpx's async `stream`/`send`)
  or httpx's `stream()` used as a response whose call a test may mock: neither `async with` nor
  `closing` is the code as before there (aiohttp's `__aexit__` releases the connection, its
  `close()` closes it).""",
    notes=(
        """**Choices**: a response passed to an unknown function may be kept (`process(r)`): an
  unsafe fix, reported without `--unsafe-fixes`; data read from it is not an escape (`for chunk in r.iter_content(): sink(chunk)`). A name
  bound to a tracked wrapper's result (`reader = csv.reader(io.TextIOWrapper(r.raw))`,
  sseclient-py's `client = sseclient.SSEClient(r)`, which keeps the response on itself only and
  whose events hold strings) or to `dict(resp=r)`/`max(r, other)` is derived and keeps the
  block open until its last use.""",
        """**Callers of a response factory**: a function of the project that returns a fresh
  response on every path (`return urlopen(req)`, `r = requests.get(u, stream=True); ...;
  return r`; a module-level `def`, or a method of a module-level class that no class
  that may derive from it defines again; not async, no `yield`, bound once, named nowhere but to call it (`map(f, urls)`, `g = f`, `{"get": f}` would call it out of sight; a docstring or comment naming it does not count, nor, for a module-level function, a mention in another module that cannot see it: one that imports neither the name nor the function's module or a package above it, nothing relative that names a part of the module's name, and names no `importlib`/`sys.modules`/`globals`, where the name is its own local, attribute or string (biopython's `return search` in `Bio/Pathway`, its KEGG parser's `record.entry = words[0]`); a dotted string, `patch("pkg.mod.f")`, counts anywhere); a `global` declaration (biopython's TogoWS `entry` caching the database names) makes those names no locals, so they never hold the response;
  not decorated, but by a decorator of the project proven transparent (`codemods/facts/decorators.py`:
  a module-level `def` that returns the function itself, also through `typing.cast`, setting
  plain attributes on it, biopython's `function_with_previous`; or one that returns a nested
  wrapper, decorated by nothing but `functools.wraps(f)`, every path of which returns `f(...)`,
  also inside `with` a module-level `threading.Lock()`; `functools.lru_cache`, a decorator of
  another library, `@throttle(1)`, or one that caches, retries into something else, may fall
  off its end or keeps the function is opaque, and the function no factory); its response may
  also come from `opener.open(u)` of a local `opener = urllib.request.build_opener(...)` (nltk's
  `pathsec.urlopen`), or be rewrapped in place (`handle = io.TextIOWrapper(handle)`, biopython's
  Entrez `_open`), or from a request method of a parameter annotated `requests.Session` and
  never rebound; a statement calling a function of its module that never returns normally (a
  plain `def`, bound once, no `return`, every path of which raises: gdown's
  `_raise_retries_exhausted`) ends its path as a `raise` does; a function returning a factory's response is one too; `codemods/facts/factories.py`,
  computed before any file is rewritten) is right to hand it
  out: its own site is none (handed to the caller, above). Its callers are sites: `response =
  _execute_request(url)` (by its qualified name, through imports in other modules too, or
  `self.m(...)` in a method of its class; a bare name bound only by star imports when exactly one
  of them, of a module of the project the file imports, exports it by its `__all__` or as a public
  name and binds it itself; a call that may reach a factory among other possible bindings is
  reported, `closing/factory.py`) becomes `with _execute_request(url) as response:`
  with every analysis of a response; the site names the factory ("the response made by
  `_execute_request` (pytube/request.py:19)"). At the callers of a factory a test may replace
  (a patch of it, of its module or class, of anything in its module such as the `urlopen` it
  calls, of its library, a string or an assignment naming it; a patch of its library made in a
  test module counts when that test reaches the factory's module by imports, as for a call's
  own patches) the fix is
  `with contextlib.closing(_execute_request(url)) as response:`, because under `with` the code
  would get a mock's `__enter__()` value (pytube's tests hand back a `Mock()`, which has no
  `__enter__`). It is safe when every such patch hands back a stand-in known to have `close()`
  (the fix-safety rules below; pytube's `mock_urlopen.return_value = mock.Mock()`), a patch of
  a plain function of the factory's module that is no factory (`patch('pytube.request.head')`)
  aside, since a factory's response never comes from one; it is an **unsafe** fix when one
  hands back an object that may lack `close()`, or a string or an assignment replaces it. A
  **public** method (`self.open_stream(u)`) is an unsafe fix at its callers through `self`
  too: a subclass outside the project may override it and return something that is no
  response.""",
        """**A raise that leaves a factory with its response open**: `if r.status_code != 200:
  raise ApiError(f"failed: {r.status_code}")` in a factory (its caller never gets that response,
  nobody closes it) gets `r.close()` just before the raise (`closing/raising.py`): the exception,
  its message and the order stay as they were. Only when the raise no longer needs the response
  open: its exception and cause read nothing of it but what a closed response still holds
  (status, reason, url, headers, `getcode()`); a message that reads the body (`r.text` of a
  streamed response reads it from the connection) gets `with r:` around the raise instead, so it
  is made with the response open and closed as it leaves (requests, urlopen, a factory's
  response; httpx's is reported). The name must hold a response on every path from the entry
  (bound there on every path; every binding a plain `r = <a request or factory call>`; one
  bound in the body of `with requests.Session() as s:`, close-client's fix of a local session,
  is bound after it: a session's exit swallows no exception), the raise must have a line of its own, in a block no other fix rewraps, and a test's stand-in is
  read as for `with` (one that may lack `close()` makes it unsafe). A raise whose exception
  carries the response (`raise HTTPError(response=r)`, a bare `raise`) hands it on: the function
  is no factory, reported as before. The factories pass reads `r.close()` right before a raise
  (and `with r:` around one) as not handing a closed response to the caller, and a session bound
  by `with requests.Session() as s:` as that session, so the function is the same factory whether
  its file was rewritten (by either codemod) in this run or earlier, and its callers are fixed in
  the same run.""",
        """**Same-module helpers**: `_check(r)`, where `_check` is a plain `def` at module level (not
  decorated, not a generator, never rebound, `async def` only when awaited at once), is not an
  escape when its parameter keeps nothing: analysed like a block whose object is that
  parameter, it is not returned, yielded, raised, stored, captured, passed on to a call that
  may keep it (another helper counts by its own summary: a greatest fixpoint, so recursion is
  fine and one keeping helper taints every caller), and `raise_for_status()` is not called on
  it; a body that names `locals`/`vars`/`eval`/`exec` or reads frames keeps. Only the response
  itself counts as the argument (not a derived iterator), passed to a named parameter (not
  `*args`, never with `*`), or by a keyword that lands in `**kwargs` of a helper that only
  hands the dict on whole (`Reader(**kwargs)`: read as passing it under that keyword; any
  other read of the dict is unknown). A method of the caller's class counts the same way
  (`self._check(r)`, `cls._check(r)`, a `staticmethod`/`classmethod` too) when the class binds
  the name once and no other `def` of the project binds it (the project facts; for a private
  name, nothing assigns it either): a subclass may override a method. A public one read so is
  still an unsafe fix, with the hazard that a subclass outside the project may override it.
  When another `def` (or class attribute) of the project binds the name but nothing replaces
  it from outside (no attribute store, `setattr` or mock naming it) and no subclass of the
  caller's class in its module binds it, the class's own `def` is read too: as a safe fix
  when no class of the project may derive from the caller's class (none names it among its
  bases, binds an alias of it or makes a class on a line naming it with `type(`/`new_class(`),
  so that `self` is an instance of that class or of one outside the project, whose lookup
  reaches the class's own `def` first (langchain's `SambaStudio` and `SambaNovaCloud` each
  have their own `_process_response`; public, the outside subclass is the hazard), else as an
  unsafe fix whose hazard is that the other binding is a subclass's override;
  without the project facts (stdin without `--stdin-filename`), methods are escapes. Called
  through its class (`Room._read(r)`, `records.Record.parse(r)`), a `staticmethod`/`classmethod`
  of a class of this module or another of the project (no base but `object`, no keyword or
  decorator, the name bound once in its body) is read without those conditions and, public,
  without the hazard: the call names the class, so no override is reached. A function
  of another module of the project counts too (`from .utils import read_all`,
  `from pkg import utils; utils.read_all(r)`): the facts' import graph must settle the import on
  one file of the project that this file's imports run, and nothing in the project may replace
  it (an attribute store of its name, a `setattr` or a mock naming it; a method of the same
  name in some class does not count, nor for the class of a method called through it); it is parsed and summarised as that
  module's own helper, without following its imports further (a call it makes into a third
  module is an escape), and a cached result is keyed on the other file's bytes too. A helper
  that keeps the response nowhere but in what it returns (python-gitlab's
  `response_content(r, ..., iterator=False)`, which returns `r.iter_content()` on another path)
  is no escape either: its result is followed like the response (dropped at once, it holds
  nothing; used later, the block covers it; returned or stored, reported). A method that a
  class defined inside a function inherits from the standard library is read from what the
  library does: `self.copyfile(r, self.wfile)` in a `SimpleHTTPRequestHandler` subclass is
  `shutil.copyfileobj` (only that function names the class, so no subclass overrides it; at
  module level it stays an unsafe fix).
  A generator helper whose parameter keeps nothing and which yields only data read from it
  (`for line in r.iter_lines(): yield json.loads(line)`; no `yield` inside a `with`, or a
  `try` with a `finally` or a handler that may catch `GeneratorExit`: closing it after the
  block then runs none of its code) produces data: `for line in self._iter_stream(r): yield
  line` is fixed with the loop inside the `with`. The generator object itself holds the
  response until it ends, so a name bound to it is followed like `r.iter_lines()`.""",
        """**On the public corpus** (86 projects, 16,938 files; every default codemod, `--check`,
  8 Dec 2026, stop 30): close-response and close-client fix 193 of the 266 sites they find
  (72.6%; close-response 178 of 226, close-client 15 of 40), 241 (90.6%) with `--unsafe-fixes`;
  on 3 Dec (stop 26) 171 of 247 (69%), 212 (86%), and before these analyses 49 of 168 (29%).
  An explicit `r.close()` that the new block reaches is dropped (biopython's online tests: 15
  closes that stayed inside a new `with` before stop 30). The sites found grew because leaks that were reported once, at a function that hands its
  response out, are now sites at each caller once the function is proven a factory
  (biopython's Entrez `e*` functions through a transparent decorator, nltk's
  `pathsec.urlopen` through `build_opener`): 45 callers, mostly tests, whose stand-ins are
  read (a `NonCallableMock`, a spy returning `MagicMock()`): 29 of them get
  `contextlib.closing`.
  Every rewritten file compiles, a second run changes nothing, and the real suites run before
  and after (zeep, hvac, shodan, pytube, langchain-community's llamafile tests) pass the same
  tests. Still reported, and why: responses and clients passed to a function or class of
  another module that may keep them (unsafe fixes: zeep's `Transport` has a `__del__`,
  langchain's `load_tools` is outside the project, biopython's `read`s pass on a handle made
  from the response or hand it to `xml.sax`, `**kwargs` into a base class); functions that hand
  their response to the caller but are no factory (python-twitter's `return 0` path;
  nltk's `data._open`, which returns a file on other paths);
  responses returned or yielded as something made from them
  (`r.iter_lines()`, `csv.reader(r)`); clients stored in a subscript or on an
  attribute of a class with no `close()`; names used after an `if` only some of whose branches make the
  object inside a `while`/`try`. The tests' stand-ins are read: pytube's 9 callers of
  `_execute_request` get `contextlib.closing` (its tests hand back a `mock.Mock()`); obspy's
  `RequestsMockResponse` has no `close`, and langchain's `mock_post` returns a
  `requests.Response()` whose `close()` raises (`raw` is `None`): both stay unsafe fixes.""",
    ),
    safe_fixes=(
        "a response whose every use is in the block, read by the response's own methods or by "
        "known consumers: closed when the block ends, on every path.",
        "the same, for a response whose call a test replaces with the `MagicMock` that `patch` "
        "makes (`@mock.patch('pkg.mod.requests.get')`, `mock.patch.object(requests.Session, "
        "'send')`): `with contextlib.closing(<call>) as r:`, which runs the code as before and "
        "then `close()` (a method every mock has).",
        "the same, when every test that replaces the call hands the code a stand-in known to have "
        "`close()` (`codemods/facts/standins.py`, read in the test module): a mock "
        "(`m.return_value = mock.Mock()`, `MagicMock()`, `mocker.NonCallableMock()`; not an `AsyncMock`, whose "
        "`close()` returns a coroutine nobody awaits; "
        "directly or through a local name whose one reaching assignment is one; "
        "`mock.Mock(spec=requests.Response)`, `create_autospec(requests.Response)`, a `spec` list "
        "naming `close`); an instance of `io.BytesIO` and the other `io` classes, "
        "`httpx.Response` or `urllib3.HTTPResponse`, or of a class of the test module that "
        "defines `close` or derives from one of those; a fake function, lambda or class given as the replacement "
        "(`monkeypatch.setattr(requests, 'post', fake)`, `patch(..., fake)`, `side_effect=fake`) "
        "whose every `return` is such an object, for a target that makes the response "
        "(`get`, `post`, ..., `send`, `urlopen`, `open`); a helper function of the test module "
        "that makes the stand-in or returns the patcher (biopython's `patch_urlopen()` returning "
        "`mock.patch('Bio.Entrez.urlopen', return_value=response)`, `response = "
        "mock_httpresponse()` a `mock.NonCallableMock()` with attributes set) is read the same way. "
        "A patch that sets a literal (`monkeypatch.setattr(mod, 'ENFORCE', True)`, "
        "`mock.patch('Bio.Entrez.' + param, value)` with `value` from a loop over literals) hands "
        "no stand-in. `closing` binds that object unchanged and calls its `close()`.",
        "a factory's response left open by a raise that does not carry it: `r.close()` just before "
        "the raise when the raise reads nothing of it but its status, reason, url or headers; `with r:` "
        "around the raise when its message reads the body (requests, urlopen).",
        "a response or client made in only some branches of an `if` and used after it: "
        "`with contextlib.ExitStack() as stack:` from the `if` over those uses, "
        "`stack.callback(r.close)` right after the binding: closed on every path that made it, "
        "when the block ends, as the `with` there would close it.",
    ),
    unsafe_fixes=(
        (
            "a response raised in an exception made in the block (`raise ApiError(r)`, "
            '`raise HTTPError("failed", response=r)`: the response itself a plain argument), when '
            "no `with` opened after the raise can leave it out and nothing else is a hazard; the "
            "report names the raise and its line.",
            "the exception keeps the response, closed once the exception leaves the `with` block: "
            "a handler that reads what of it was not read before (`e.response.text` of a stream) "
            "gets an empty body or an error.",
        ),
        (
            "an `ExitStack` at an `if` (above) whose block lets an exception made there carry the "
            "response out: `r.raise_for_status()`, `raise HTTPError(..., response=r)` in the branch "
            "after the binding, where no `with` can start after them (the callback is registered at "
            "the binding); the report names the call and its line.",
            "the exception keeps the response, closed once it leaves the stack's block: a handler "
            "reads its status and headers as before, but not a body that was not read before.",
        ),
        (
            "an `ExitStack` at an `if` in a loop when nothing in the stack's block rebinds the name "
            "before the `if` (no `r = None`): only when that is the one hazard; the report names "
            "the `if` and the loop.",
            "a later run that passes the `if` without making a new response would use the one of an "
            "earlier run, which its stack closed.",
        ),
        (
            "a response rebound in a `while` loop whose next run reads it before the rebinding "
            "(a retry): `with contextlib.ExitStack() as stack:` around the loop, "
            "`stack.callback(r.close)` after the rebinding; the report names the loop.",
            "every response an earlier run made stays open until the loop ends (before, each was "
            "closed when the name was rebound): right for a retry of a few rounds, not for a loop "
            "that pages through many responses.",
        ),
        (
            "a response whose name its block rebinds (you-get: `response = urlopen(urls[0])`, then "
            "`response = urlopen(urls[len(out)])` in the loop the `with` holds) when nothing that runs "
            "before the rebinding on every path to it reads it to its end (`r.read()`, `r.content`, "
            "`r.json()`), closes it, or finds its end (the rebinding in `if not chunk:` after "
            "`chunk = r.read(n)`), and the rebinding is not the block's last statement (nor "
            "`r = BytesIO(r.read())`; one in the header of the last, `for r in ...:`, `with ... as r:`, "
            "is not: its body runs after it); the report names the rebinding and its line (reported when the fix "
            "has another hazard too).",
            "the first response stays open until the `with` block ends (before, it was closed when the "
            "name was rebound): right for a retry of a few rounds, not for a loop that pages through "
            "many responses.",
        ),
        (
            "a response passed to a class (a constructor) whose instance is bound "
            "(`reader = EventReader(r.iter_content())` of another library): the instance holds it, and is "
            "followed like it to the end of the block (returned or stored, it stays reported).",
            "the class may keep the response somewhere else too (a global, a cache) and read it "
            "after the `with` block has closed it.",
        ),
        (
            "a response (or something reading from it) passed to a function or method the tool "
            "knows nothing about (`check(r)`, `log_status(resp)`, `self._verify(r)`), which in "
            "practice reads it; the report names the call and its line.",
            "the callee may keep the response (store it, hand it to a thread) and read it after "
            "the `with` block has closed it.",
        ),
        (
            "a response passed to a method of the caller's class (`self._process_response(r)`) "
            "whose summary keeps nothing of it (or, a generator, yields only data read from it), "
            "when another `def` of the project binds the same name, nothing replaces it from "
            "outside and some class of the project may derive from the caller's class (names it "
            "among its bases, aliases it): the class's own `def` is read, so what it returns is "
            "data; the report names the call and its line.",
            "the other `def` may be a subclass's override that keeps the response (no subclass of "
            "the class in its own module binds the name: that case is reported).",
        ),
        (
            "a response whose call a test replaces with an object it chose that is not known to "
            "have `close()` (`patch('requests.get', fake_get)`, `new=`, `new_callable=`, "
            "`side_effect=fake_get`, `return_value=FakeResponse()` or `m.return_value = "
            "FakeResponse()` in the test file, `monkeypatch.setattr`, an assignment, where the "
            "class has no `close` or is imported from another file, or is `requests.Response` "
            "(one a test builds has `raw = None`, and its `close()` raises `AttributeError`); "
            "`Mock(spec=X)` or `spec_set` "
            "without `close`; a lambda returning a dict; a fixture's value; an unsettled patch), "
            "or whose stand-in's `close` calls a test counts (`m.return_value.close."
            "assert_not_called()`, `r.close.call_count`): closed with `with "
            "contextlib.closing(<call>)`; the report names the patch and its line.",
            "the test's response may have no `close()`, which the end of the block now calls; a "
            "test counting its calls sees one more.",
        ),
    ),
    examples=EXAMPLES,
)


INFO = catalog.CLOSE_RESPONSE


class CloseResponse(WrappingCodemod):
    DOCS = DOCS
    NAME = INFO.name
    DESCRIPTION = INFO.description
    WHY = INFO.why
    FIX = INFO.fix
    DEFAULT = INFO.default
    FRESH_NAME = "response"

    TARGETS = TargetSpec(
        kinds=frozenset({Kind.FUNCTION, Kind.CONSTRUCTOR, Kind.CLASS, Kind.URLOPEN, Kind.STAR}),
        module_wide=WrappingCodemod.TARGETS.module_wide | {"urllib.request.build_opener"},
        candidate_names=frozenset({"urlopen", "stream"}),
        consulted=frozenset({"contextlib.closing", "contextlib.aclosing", "urllib.request.build_opener"}),
    )
    MODULE_WIDE = TARGETS.module_wide
    CANDIDATE_NAMES = TARGETS.candidate_names

    def might_be_target(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Await):
            return isinstance(node.expression, cst.Call)
        assert isinstance(node, cst.Call)
        if self.candidate_name(node.func):
            return True
        if _last_name(node.func) in self._factory_calls:
            return True
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "open":
            return isinstance(node.func.value, cst.Name)
        return any(arg.keyword is not None and arg.keyword.value in ("stream", "preload_content") for arg in node.args)

    def target_of(self, node: cst.CSTNode) -> Optional[Target]:
        if isinstance(node, cst.Await):
            inner = node.expression
            if not isinstance(inner, cst.Call):
                return None
            found = self.resolver.classify(inner) or self._held_call(inner)
            if found is None or found.kind != Kind.METHOD:
                return None
            if found.client_class == "aiohttp.ClientSession" and found.name in AIOHTTP_REQUEST_METHODS:
                return self._held_hazard(
                    found, Target(node, "async with", "aiohttp", unwrap_await=True, needs_async_def=True)
                )
            if (
                found.client_class == "httpx.AsyncClient"
                and found.name == "send"
                and is_literal_true(_kw(inner, "stream"))
            ):
                return Target(node, "aclose", "httpx", needs_async_def=True)
            return None
        if not isinstance(node, cst.Call):
            return None
        factory = self._factory_of(node)
        if factory is not None:
            self._made_by[node] = factory
            return Target(node, factory.mode, factory.library)
        found = self.resolver.classify(node) or self._held_call(node)
        if found is None:
            if self._held_clients().opener_open(node):
                return Target(node, "with", "urllib")
            return None
        if found.kind == Kind.URLOPEN:
            return Target(node, "with", "urllib")
        if found.library == "requests" and found.name in REQUESTS_VERBS:
            if found.kind == Kind.FUNCTION or (found.kind == Kind.METHOD and found.client_class == "requests.Session"):
                if is_literal_true(_kw(node, "stream")):
                    return self._held_hazard(found, Target(node, "with", "requests"))
            return None
        if found.library == "httpx":
            if found.name == "send" and found.client_class == "httpx.Client":
                if is_literal_true(_kw(node, "stream")):
                    return Target(node, "closing", "httpx")
                return None
            if found.name == "stream" and (found.kind == Kind.FUNCTION or found.client_class == "httpx.Client"):
                return Target(node, "with", "httpx", named_only=True, used_as_response=True)
            if found.name == "stream" and found.client_class == "httpx.AsyncClient":
                return Target(node, "async with", "httpx", named_only=True, used_as_response=True, needs_async_def=True)
            return None
        if (
            found.library == "urllib3"
            and found.kind == Kind.METHOD
            and found.name in ("request", "urlopen")
            and is_literal_false(_kw(node, "preload_content"))
        ):
            return Target(node, "with", "urllib3")
        return None

    def _held_call(self, call: cst.Call) -> Optional[HttpCall]:
        """A method call on a client held on ``self`` or in ``s = s or <constructor>``
        (``closing/held.py``); its ``receiver`` is the ``Held`` found."""
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in _HELD_METHODS:
            return None
        held = self._held_clients().of(func.value)
        if held is None:
            return None
        self._held_found[call] = held
        return HttpCall(
            CLIENT_LIBRARY[held.client_class], Kind.METHOD, func.attr.value, held.client_class, func.value, held.module
        )

    def _held_clients(self) -> HeldClients:
        """This module's ``HeldClients`` (made on first use; ``_held_found``: the calls found)."""
        if getattr(self, "_held_module", None) is not self.module:
            self._held_module, self._held, self._held_found = self.module, HeldClients(self), {}
        return self._held

    def _held_hazard(self, found: HttpCall, target: Target) -> Target:
        call = target.node.expression if isinstance(target.node, cst.Await) else target.node
        held = getattr(self, "_held_found", {}).get(call)
        if held is not None and held.param:
            target.hazard = (
                f"a caller may pass `{held.param}` an object that is not a {held.client_class}, whose "
                "response may not support `with`"
            )
            target.hazard_reason = (
                f"the client comes from the parameter `{held.param}`, which has no annotation; the "
                f"response is closed only if it is a {held.client_class}"
            )
        return target

    def _public_factory_hazard(self, target: Target, factory: Any, needs: str) -> None:
        """A public method called through ``self``: an unsafe fix (a subclass outside the
        project may override it)."""
        if factory.public and target.node in self._through_self:
            target.hazard = (
                f"`{factory.owner}.{factory.name}` is a public method: a subclass outside the project may "
                f"override it and return something that is no response, without {needs}."
            )
            target.hazard_reason = (
                f"the response comes from the public method `{factory.owner}.{factory.name}` "
                f"({factory.where}), which a subclass outside the project may override"
            )

    def project_problem(self, target: Target) -> Optional[str]:
        """A factory a test may replace is reported: under ``with`` the code would get a mock's
        ``__enter__()`` value. A test that mocks the call that makes the response (``patch("pkg.mod.requests.get")``,
        ``requests.Session.send``, the client's constructor, ``urllib.request.urlopen``) hands
        the code the mock's ``return_value``; ``with`` would bind its ``__enter__()`` value
        instead, an object the test never set up. A sync response is then closed with
        ``contextlib.closing``, which binds the object itself and calls its ``close()``; an
        object the test chose may lack ``close()`` (an unsafe fix). Where neither is the code
        as before (an async response, httpx's ``stream()`` used as a response) it is reported."""
        doubt = self._star_doubt.get(target.node)
        if doubt is not None:
            return doubt
        factory = self._made_by.get(target.node)
        if factory is not None:  # a caller of the project's factory (``facts/factories.py``)
            if not factory.mocked:
                self._public_factory_hazard(target, factory, "`__enter__`/`__exit__`")
                return None
            facts = self.file.facts
            known = isinstance(facts, ProjectFacts)
            # The patch shown: one that may replace what the factory returns (not a plain
            # function of its module), the one that makes the fix unsafe when there is one.
            chosen = facts.factory_stand_in(factory) if known else factory.mocked
            shown = chosen or (facts.factory_mock(factory) if known else factory.mocked)
            why = (
                f"a test may replace the factory or the call it makes ({shown}); under `with`, the "
                "code would get the mock's `__enter__()` value, not the object the test set up"
            )
            if target.mode != Mode.WITH or target.used_as_response:
                return why
            # ``contextlib.closing`` binds the object itself and calls its ``close()``: safe when
            # every patch that may replace what the factory returns hands a mock or an object
            # with ``close()`` (pytube's tests give a ``mock.Mock()``), else an unsafe fix.
            target.mode = Mode.CLOSING
            target.mocked = shown
            if chosen is not None:
                target.hazard = (
                    f"a test may replace `{factory.name}` or the call it makes ({chosen}) with an object "
                    "of its own, which may have no `close()`, which `contextlib.closing` calls when the block ends."
                )
                target.hazard_reason = why
            else:
                self._public_factory_hazard(target, factory, "`close()`")
            return None
        facts = self.file.facts
        if not isinstance(facts, ProjectFacts):
            return None
        call = target.node.expression if isinstance(target.node, cst.Await) else target.node
        if not isinstance(call, cst.Call):
            return None
        found = self.resolver.classify(call) or self._held_call(call)
        chain = tuple(part for part in dotted(call.func).split(".") if part) or ("",)
        if isinstance(call.func, cst.Attribute):
            chain = chain if chain[-1] == call.func.attr.value else (*chain, call.func.attr.value)
        method = found is not None and found.kind == Kind.METHOD
        site = self.call_site(call, target.library, "method" if method else "response", chain)
        constructors = self._constructors(found.client_class) if method and found is not None else ()
        patch = facts.response_patch(site, constructors)
        if patch is None:
            return None
        why = (
            f"a test may mock the call that makes the response ({patch.text} at {patch.where}); under "
            "`with`, the code would get the mock's `__enter__()` value, not the response the test set up"
        )
        if target.mode not in (Mode.WITH, Mode.CLOSING) or target.used_as_response:
            return why + "; close the response by hand (`try`/`finally`)"
        replaced = f"`{patch.target}`" if patch.target else "the call"
        hazard = (
            f"a test may replace {replaced} with an object of its own ({patch.text} at {patch.where}), whose "
            "result may have no `close()`, which `contextlib.closing` calls when the block ends."
        )
        self.close_mocked(target, patch, hazard, why)
        return None

    def _constructors(self, client_class: Optional[str]) -> tuple:
        """The constructor calls of ``client_class`` in the module, as ``CallSite`` s: a test
        that mocks one may hand a call on the client a mock response (requests and httpx, the
        clients whose constructors ``ProjectFacts.constructor_patch`` reads)."""
        if client_class not in ("requests.Session", "httpx.Client"):
            return ()
        memo = getattr(self, "_constructor_memo", None)
        if memo is None or memo[0] is not self.module:
            memo = self._constructor_memo = (self.module, {})
        if client_class not in memo[1]:
            sites = set()
            for node in self.nodes_of(self.module, cst.Call):
                assert isinstance(node, cst.Call)
                if self.resolver.constructed_client(node) != client_class or not self.resolver.classify(node):
                    continue
                sites.add(self.call_site(node, client_class.split(".")[0], "client"))
            memo[1][client_class] = tuple(sorted(sites, key=lambda c: (c.chain, c.qualified)))
        return memo[1][client_class]

    # -- callers of the project's response factories (facts/factories.py) --------------------

    #: The names a call of one of the project's factories may end in (``transform_module``).
    _factory_calls: frozenset = frozenset()
    _made_by: dict = {}
    _through_self: set = set()
    dropped_by_raise: dict = {}
    raise_leaks: dict = {}
    _leaking: set = set()
    _star_doubt: dict = {}  # call -> why the star-imported factory it may call is not certain

    def transform_module(self, tree: cst.Module) -> cst.Module:
        names = self._factory_names()
        aliases = set()
        if names:
            for node in self.nodes_of(tree, cst.ImportFrom):
                if isinstance(node.names, cst.ImportStar):
                    continue
                for alias in node.names:
                    name, asname = alias.name, alias.asname
                    if isinstance(name, cst.Name) and name.value in names and asname is not None:
                        if isinstance(asname.name, cst.Name):
                            aliases.add(asname.name.value)  # from pkg.request import _execute_request as run
        self._factory_calls = names | frozenset(aliases)
        self._made_by, self._factory_context, self._through_self = {}, None, set()
        self._star_doubt = {}
        self.dropped_by_raise = {}  # target -> the line of a raise that leaves with it (closing/factory.py)
        self.raise_leaks = {}  # target -> ``closing.factory.RaiseLeak``
        self._leaking = set()  # targets of a factory that such a raise leaves with
        return super().transform_module(tree)

    def unchecked_callers(self, target: Target) -> Optional[str]:
        """A response handed to the caller is no site only where its callers are: the function
        is one of the project's factories (``facts/factories.py``). A decorated function, one
        that may also return something else or fall off its end, one a subclass overrides, or
        a run without project facts keeps the site, reported: nothing goes unsaid."""
        parent = self.resolver.parent
        func = parent(target.node)
        while func is not None and not isinstance(func, (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.Module)):
            func = parent(func)
        name = func.name.value if isinstance(func, cst.FunctionDef) else "the function"
        line = self.dropped_by_raise.get(target.node)
        # Its callers close what they get; a raise after the binding leaves with it (P2 of review 25).
        leak = (
            None
            if line is None
            else (
                f"the response is not closed when the raise at line {line} leaves `{name}` (its caller never "
                "gets it); close it before raising"
            )
        )
        unchecked = (
            f"the response is returned to the caller of `{name}` on every exit, but {{}}, so its "
            "callers are not checked: close it where it is used"
        )
        facts = self.file.facts
        if not isinstance(facts, ProjectFacts):
            return unchecked.format("without the project's facts (a lone file) its callers are unknown")
        if not isinstance(func, cst.FunctionDef):
            return unchecked.format(f"`{name}` is nested in a block")
        owner = _class_path(parent, func) if isinstance(parent(func), cst.IndentedBlock) else ""
        if owner is None:
            return unchecked.format(f"`{name}` is nested in a block")
        inner = f"{owner}.{name}" if owner else name
        real = os.path.realpath(os.path.abspath(self.context.filename or ""))
        project = facts.project_of_real(real)
        if any(facts.factory(f"{m}.{inner}", project) is not None for m in facts.names_of(real, project)):
            if leak is not None:
                self._leaking.add(target.node)  # a factory: closing before the raise fixes it
            return leak
        return unchecked.format(
            f"`{inner}` is no factory of the project (decorated, async, a generator, rebound, overridden, passed on by name, "
            "or an exit that returns something else)"
        )

    def close_before_raise(self, target: Target, why: str) -> Optional[Any]:
        """Close the response of a factory just before the raises that would leave with it
        open (``closing/raising.py``); a test's stand-in is read as for ``with``."""
        leak = self.raise_leaks.get(target.node)
        if leak is None or target.node not in self._leaking:
            return None
        if self.project_problem(target) is not None:
            return None
        fix = raising.plan(self, target, leak, why)
        if fix is None:
            return None
        if target.hazard and not self.unsafe_fix(target.node, target.hazard_reason or why, target.hazard):
            return None
        lines = sorted(self.position(line)[0] for line, _, _ in fix.edits)
        at = ", ".join(f"line {n}" for n in lines)
        hows = {how for _, _, how in fix.edits}
        name = fix.edits[0][1]
        if hows == {"close"}:
            fix.message = (
                f"closed the response (`{name}.close()`) before the raise at {at}, which its caller never gets"
            )
        else:
            fix.message = (
                f"closed the response before the raise at {at}, which its caller never gets (`with {name}:` "
                "around a raise that reads its body)"
                if hows == {"with"}
                else f"closed the response before the raises at {at}, which its caller never gets"
            )
        return fix

    def _factory_names(self) -> frozenset:
        facts = self.file.facts
        if not isinstance(facts, ProjectFacts) or not facts.factories:
            return frozenset()
        return frozenset(f.name for f in facts.factories)

    def _factory_of(self, call: cst.Call) -> Optional[Any]:
        """The response factory of this project that ``call`` calls: a function reached by its
        qualified name (through imports, relative ones too, or defined in this module), or a
        method called as ``self.m(...)`` in a method of its own class."""
        last = _last_name(call.func)
        if last is None or last not in self._factory_calls:
            return None
        facts = self.file.facts
        if self._factory_context is None:
            real = os.path.realpath(os.path.abspath(self.context.filename or ""))
            project = facts.project_of_real(real)
            modules = tuple(facts.names_of(real, project))
            init = os.path.basename(real) == "__init__.py"
            packages = tuple(m if init else m.rpartition(".")[0] for m in modules)
            self._factory_context = (project, modules, packages)
        project, modules, packages = self._factory_context
        func = call.func
        # One list of dotted names per binding the call may reach: every binding must be the
        # same factory (``try: from .req import _open as get`` / ``except ImportError: from
        # .other import get`` may call either).
        bindings: List[List[str]] = []
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            owner = self._method_owner(call, func.value)
            if owner is not None:
                bindings.append([f"{m}.{owner}.{last}" for m in modules])
                self._through_self.add(call)  # a subclass's override is called instead, if any
        for qualified in self.get_metadata(QualifiedNameProvider, func, set()):
            name = qualified.name
            if qualified.source == QualifiedNameSource.IMPORT:
                if name.startswith("."):
                    dots = len(name) - len(name.lstrip("."))
                    expanded = []
                    for package in packages:
                        parts = package.split(".") if package else []
                        if dots - 1 <= len(parts):
                            base = ".".join(parts[: len(parts) - (dots - 1)])
                            expanded.append(f"{base}.{name[dots:]}" if base else name[dots:])
                    bindings.append(expanded)
                else:
                    bindings.append([name])
            elif qualified.source == QualifiedNameSource.LOCAL and name == last and isinstance(func, cst.Name):
                bindings.append([f"{m}.{last}" for m in modules])  # this module's own binding
        if not bindings and isinstance(func, cst.Name):
            # Bound only by the module's star imports (``closing/factory.py``): the factory when
            # one star import binds it, a report when more may.
            hit, doubt = star_factory(self, call, facts, project)
            if hit is not None and doubt:
                self._star_doubt[call] = doubt
            return hit
        found = None
        for names in bindings:
            hit = next((f for f in (facts.factory(n, project) for n in names) if f is not None), None)
            if hit is None or (found is not None and hit != found):
                return None
            found = hit
        return found

    def _method_owner(self, call: cst.Call, receiver: cst.Name) -> Optional[str]:
        """The class whose method holds ``call`` when ``receiver`` is that method's first
        parameter, never rebound, and the class is at module level (not a static method)."""
        parent = self.resolver.parent
        node: Optional[cst.CSTNode] = parent(call)
        while node is not None and not isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            node = parent(node)
        if not isinstance(node, cst.FunctionDef) or not node.params.params:
            return None
        if node.params.params[0].name.value != receiver.value:
            return None
        for decorator in node.decorators:
            if _last_name(decorator.decorator) in ("staticmethod", "classmethod"):
                return None
        owner = _class_path(parent, node)
        if owner is None:
            return None
        scope = self.get_metadata(ScopeProvider, receiver, None)
        if scope is None or len(scope.assignments[receiver.value]) != 1:
            return None
        return owner

    def _made_by_text(self, node: cst.CSTNode) -> Optional[str]:
        factory = self._made_by.get(node)
        if factory is None:
            return None
        name = f"{factory.owner}.{factory.name}" if factory.owner else factory.name
        return f"the response made by `{name}` ({factory.where})"

    def _named(self, node: cst.CSTNode, text: str) -> str:
        made = self._made_by_text(node)
        if made is None:
            return text
        if "the response" in text:
            return text.replace("the response", made, 1)
        return f"{text} ({made})"

    def report(self, node: cst.CSTNode, reason: str, suggestion: str = "") -> None:
        super().report(node, self._named(node, reason), suggestion)

    def unsafe_fix(self, node: cst.CSTNode, reason: str, hazard: str) -> bool:
        return super().unsafe_fix(node, self._named(node, reason), hazard)

    def fixed_message(self, target: Target, plan: Plan) -> str:
        if target.mocked:
            return (
                f"closed the response with `with contextlib.closing(...)`: a test may mock the call that makes "
                f"it ({target.mocked}), and `closing` binds the mock itself where `with` would bind its `__enter__()`"
            )
        made = self._made_by_text(target.node)
        if made is not None:
            return f"closed {made} with `{target.mode}`"
        how = {
            "with": "with",
            "async with": "async with",
            "closing": "with contextlib.closing(...)",
            "aclose": "try/finally: await .aclose()",
        }[target.mode]
        return f"closed the response with `{how}`"


def _class_path(parent, func: cst.FunctionDef) -> Optional[str]:
    """The dotted name of the class whose body holds ``func``: a class at module level
    (``Api``) or one in the body of such a class (``Threatnet.Stream``, as the factories pass
    names it); None for anything else (a function in a block or a function)."""
    names: List[str] = []
    node: Optional[cst.CSTNode] = func
    while True:
        block = parent(node)
        cls = parent(block) if isinstance(block, cst.IndentedBlock) else None
        if not isinstance(cls, cst.ClassDef) or len(names) == 2:
            return None
        names.insert(0, cls.name.value)
        if isinstance(parent(cls), cst.Module):
            return ".".join(names)
        node = cls


def _last_name(func: cst.BaseExpression) -> Optional[str]:
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return None


def _kw(call: cst.Call, name: str) -> Optional[cst.BaseExpression]:
    arg = keyword(call, name)
    return arg.value if arg is not None else None
