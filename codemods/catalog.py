"""Every codemod's name, description, default and options, without importing the codemod
(each class takes these from here, ``INFO = catalog.<NAME>``): the command line's options,
``--list``, the selection and the reports' codemod tables need them in a run that never
imports libcst (every file a cache hit). The registry (``registry.py``) loads a codemod's
class only when something asks for more (its transform, its targets, its docs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

from .sites import Option


@dataclass(frozen=True)
class Info:
    """What the command line and the reports know of a codemod before its class is loaded."""

    module: str  # the module that defines the class (under ``codemods``)
    cls: str  # the class's name
    name: str
    description: str
    why: str
    fix: str
    default: bool = True
    options: Tuple[Option, ...] = ()


ADD_TIMEOUT = Info(
    module="add_timeout",
    cls="AddTimeout",
    name="add-timeout",
    description="Add an explicit timeout= to requests and urllib.request.urlopen calls.",
    why="requests has no default timeout and urlopen uses the socket default (none): a server "
    "that accepts a connection and never answers makes the call hang forever.",
    fix="Adds `timeout=<value>` (default 60 seconds) to calls that pass none. Changes behaviour: "
    "a call that used to wait forever now raises a timeout error, so it runs only when "
    "selected. Calls passing `timeout` (even `timeout=None`) are left alone; calls with "
    "`**kwargs` or `*args` are reported, since the timeout may already be inside them.",
    default=False,
    options=(
        Option("timeout", "60", "timeout to add: seconds, or a (connect, read) pair"),
        Option(
            "timeout-constant",
            "",
            "pass timeout=NAME, NAME a module-level constant (defined after the imports if new)",
        ),
    ),
)

CLOSE_CLIENT = Info(
    module="close_client",
    cls="CloseClient",
    name="close-client",
    description="Close HTTP clients created inside a function with `with` / `async with`.",
    why="A Session/Client/ClientSession/PoolManager made in a function and never closed keeps "
    "its pooled connections open until the garbage collector finds it.",
    fix="Turns `client = <constructor>` inside a function into `with <constructor> as client:` "
    "(`async with` for httpx.AsyncClient and aiohttp.ClientSession) around the statements "
    "up to its last use: the client and its connections are closed when that block ends. "
    "Module-level clients are left alone; clients that may be used after the block "
    "(returned, stored, captured) are reported.",
    default=True,
)

CLOSE_RESPONSE = Info(
    module="close_response",
    cls="CloseResponse",
    name="close-response",
    description="Close streamed responses (requests, urlopen, httpx, aiohttp, urllib3) with `with`.",
    why="A streamed or unread response keeps its connection checked out until it is closed; "
    "a path that forgets (an early return, an exception) leaks one connection per call.",
    fix="Wraps the statements that use the response, up to the last one, in `with <call> as r:` "
    "(`async with` for aiohttp and httpx's async streams, `contextlib.closing` for httpx's "
    "`send(stream=True)`, `try/finally: await r.aclose()` for its async form). The response "
    "is closed when that block ends, on every path, instead of when the garbage collector "
    "finds it. Sites where the response may be used after the block are reported instead.",
    default=True,
)

SHARE_SESSION = Info(
    module="share_session",
    cls="ShareSession",
    name="share-session",
    description="Route bare requests.get()/httpx.get() calls through one shared, cookie-isolated "
    "client so connections are reused.",
    why="requests.get(url) creates and closes a whole Session per call (httpx.get a Client): "
    "every call opens a new TCP connection, and with TLS a new handshake.",
    fix="Creates one client per package (a private module its modules import; scripts: one per "
    "module, after the imports) or per function (a `with` block) and "
    "rewrites the calls to `<client>.<verb>(...)` with the same arguments. The client stores "
    "no cookies, as bare calls never carried cookies from one call to the next. Connections "
    "are reused; a module-level client is shared by threads and lives until the process "
    "exits (it is not closed by an atexit handler). Calls that a test of the project mocks "
    '(`mock.patch("mod.requests.get")`, `monkeypatch.setattr`, a conftest\'s '
    "`requests.get = fake`) or that `requests_cache` caches are left alone and reported "
    "with the test's path:line, unless the test's `mock.patch(\"requests.get\")` can move "
    "to the package's session with every call it intercepts (an unsafe fix).",
    default=True,
    options=(
        Option(
            "session-scope",
            "package",
            "one shared client per package (a module's own outside packages), per module, or a `with` client per function",
            ("package", "module", "function"),
        ),
        Option("session-name", "", "name of the generated client (default _session/_client)"),
        Option("client", "", "MODULE:NAME of an existing shared client to use instead"),
        Option(
            "client-library",
            "requests",
            "library of the --client object",
            ("requests", "httpx", "niquests", "httpx2"),
        ),
        Option("keep-cookies", False, "let the shared client carry cookies between calls"),
        Option(
            "requests-version",
            "",
            "the requests the project runs (`>=2.32`, `2.31.0`); default: its declared dependencies",
        ),
    ),
)

#: In the order the engine runs them (``registry.py`` says why).
ALL = (ADD_TIMEOUT, CLOSE_CLIENT, CLOSE_RESPONSE, SHARE_SESSION)
