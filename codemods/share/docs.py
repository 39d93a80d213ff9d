"""``share-session``'s documentation (README section, ``--list``, SARIF help) and its
examples, which run as tests (``docs.py``)."""

from __future__ import annotations

from ..docs import CodemodDocs, Example, ExampleKind

# -- documentation (README section, --list, SARIF help) and examples (run as tests) -----------

EXAMPLES = (
    Example(
        ExampleKind.FIXED,
        """\
import requests


def fetch(url):
    return requests.get(url).json()
""",
        after="""\
import http.cookiejar as _cookiejar

import requests

_session = requests.Session()
_session.cookies.set_policy(_cookiejar.DefaultCookiePolicy(allowed_domains=[]))


def fetch(url):
    return _session.get(url).json()
""",
    ),
    Example(
        ExampleKind.FIXED,
        """\
import requests


def fetch_all(urls):
    for url in urls:
        print(requests.get(url).status_code)
""",
        after="""\
import http.cookiejar as _cookiejar

import requests


def fetch_all(urls):
    with requests.Session() as session:
        session.cookies.set_policy(_cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        for url in urls:
            print(session.get(url).status_code)
""",
        options={"session-scope": "function"},
    ),
    Example(
        ExampleKind.REPORTED,
        """\
import requests


def fetch(url):
    return requests.get(url, verify=False).json()
""",
        reason="passes verify=",
    ),
    Example(
        ExampleKind.REPORTED,
        """\
import multiprocessing

import requests


def fetch(url):
    return requests.get(url).json()


def fetch_all(urls):
    with multiprocessing.Pool(4) as pool:
        return pool.map(fetch, urls)
""",
        reason="the module uses multiprocessing: a process forked after the shared client's first use "
        "would share its connections (or use --session-scope function); fixable with --unsafe-fixes",
    ),
    Example(
        ExampleKind.FIXED,
        """\
import multiprocessing

import requests


def fetch(url):
    return requests.get(url).json()


def fetch_all(urls):
    with multiprocessing.Pool(4) as pool:
        return pool.map(fetch, urls)
""",
        after="""\
import http.cookiejar as _cookiejar
import multiprocessing

import requests

_session = requests.Session()
_session.cookies.set_policy(_cookiejar.DefaultCookiePolicy(allowed_domains=[]))


def fetch(url):
    return _session.get(url).json()


def fetch_all(urls):
    with multiprocessing.Pool(4) as pool:
        return pool.map(fetch, urls)
""",
        unsafe_fixes=True,
    ),
    Example(
        ExampleKind.UNCHANGED,
        """\
import requests


def fetch(url):
    with requests.Session() as s:
        return s.get(url).json()
""",
    ),
)

DOCS = CodemodDocs(
    why="""`requests.get(url)` is `with requests.Session() as s: return s.request(...)`: it
  builds a session and a connection pool, sends one request and throws both away, so every
  call opens a new TCP connection (and with TLS, a new handshake). `httpx.get(url)` does the
  same with an `httpx.Client`. Against the local keep-alive server, N such calls in a loop open
  N connections; routed through one client they open 1 (the behaviour tests allow at most 2).""",
    what="""`requests.get/post/put/patch/delete/head/options/request` and
  `httpx.get/post/put/patch/delete/head/options/request/stream`, and the same calls of the
  drop-in libraries `niquests` (requests' API; each module gets its own `niquests.Session()`)
  and `httpx2` (the httpx fork), in any import form
  (`import requests as rq`, `from requests import get, post as http_post`,
  `from requests import api`), at module level, in functions, methods and nested functions.
  Not `requests.Session().get(...)` (already a session) nor a name that only looks like one
  (a parameter called `requests`).""",
    fix="""
  - `module` (default): one client per module, created right after the imports (after the
    docstring, `__future__` imports, other imports and `try: import ... except ImportError:`
    blocks; before the first statement that could use it), and every target rewritten to
    `_session.<verb>(...)` / `_client.<verb>(...)` with the same arguments:

    ```python
    import http.cookiejar as _cookiejar

    _session = requests.Session()
    _session.cookies.set_policy(_cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    _client = httpx.Client(
        cookies=_cookiejar.CookieJar(_cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    )
    ```

    The names are fresh (`_session_1` if `_session` is used anywhere in the module);
    `--session-name NAME` chooses another (with both libraries in one module the httpx client
    is `NAME_httpx`). `import http.cookiejar` (and `import requests`/`httpx` when the module
    only has `from requests import get`) are added under fresh private names
    (`import http.cookiejar as _cookiejar`, `import requests as _requests`), so no name of the
    module, star-imported ones included, is rebound. Added imports go where the project's import
    sorting puts them (isort's sections and order); an import the rewrite left unused
    (`from requests import get`) is removed unless it may be public: in `__all__`, imported
    from this module by another file of the project, in an `__init__.py`, or with a comment on
    its line (see "Imports and formatting").
    `requests.get(url, p)` becomes
    `_session.get(url, params=p)`: `Session.get` takes `params` by position only since 2.32.
  - `function`: in each function with at least two targets, or one inside a loop (`for`,
    `while`, a comprehension), the body's statements from the first to the last target are
    wrapped in `with requests.Session() as session:` (`with httpx.Client(...) as client:`),
    cookie-isolated the same way; functions with a single call are left alone. A function where
    a target's result is returned or yielded as such, or where `httpx.stream(...)` is not itself
    a `with` item (it sends its request when entered, which may be after the block closed the
    client: `return httpx.stream(...)`), is reported.
  - `--client MODULE:NAME` (`--client-library requests|httpx|niquests|httpx2`, default `requests`: the tool
    cannot know what `NAME` is, so you say it): use your codebase's own shared client. Adds
    `from MODULE import NAME` (or reuses an existing import of it, alias included), rewrites the
    targets of that library to `NAME.<verb>(...)` and creates no client of its own.""",
    safety=""" What stays the same, read in requests 2.34 and httpx 0.28:
  a bare call is exactly one request through a fresh default session/client, so every
  per-request setting (`headers`, `auth`, `timeout`, `params`, `proxies`, `allow_redirects`,
  `hooks`, `stream`) passes through unchanged, `HEAD` still does not follow redirects, and
  requests still reads `.netrc`, proxy variables and `REQUESTS_CA_BUNDLE` per request. What
  changes:
  - connections are reused (the point): fewer connects, fewer handshakes. A server that closes
    an idle keep-alive connection just as a request is sent can make that request fail where a
    fresh connection would not have (urllib3 and httpcore detect most closed connections first).
  - cookies: a shared session would carry cookies from one call to the next, which a bare call
    never did, so the generated client stores none (checked against `/set-cookie` then
    `/cookies`: nothing is sent, before and after). Per-call `cookies=` still work. requests
    keeps the cookies of a redirect chain in the request's own jar, so a cookie set by a
    redirect still reaches the next hop (tested); httpx takes them from the client's jar, so
    httpx calls that may follow redirects are reported instead (see below).
    `--keep-cookies` drops the isolation for code that wants a cookie-carrying session.
  - `module`: the client lives as long as the process and is shared by every thread: urllib3's
    and httpcore's pools are thread-safe, and a `requests.Session` is widely shared between
    threads though not documented as thread-safe (its only shared mutable state here, the
    cookie jar, stores nothing). A pool keeps 10 connections per host (requests; more are
    opened and discarded with a warning) or 100 in all (httpx: more concurrent requests wait
    up to the pool timeout). A process forked after the client's first use shares its open
    sockets with the parent: in modules that use `multiprocessing`, `os.fork` or
    `ProcessPoolExecutor` the rewrite is an unsafe fix (below), and a fork elsewhere (pre-forking servers that import
    the app first) is not visible here: create such workers before the first request or use
    `function`. httpx reads proxy variables and `SSL_CERT_FILE`/`SSL_CERT_DIR` when the client
    is created, i.e. at import, not per call (requests reads them per request: checked), so
    httpx calls are reported in modules that change `os.environ` or call `load_dotenv`; a change
    made elsewhere before the calls (another module, the caller) is not visible here. Creating
    the client costs a few milliseconds at import (an SSL context). The client is not closed at
    exit: an `atexit` handler would run before handlers registered earlier (last in, first out),
    such as `logging`'s, which may still send requests through it; its sockets close with the
    process (`python -X dev` prints a `ResourceWarning` for the httpx one at shutdown).
  - run-time patches: a bare call looks `requests.get`/`requests.Session` up when it runs, a
    shared client was made once. Modules that patch the library (`requests.get = audited`,
    `requests.Session = ...`, `setattr(requests, ...)`, `mock.patch.object(requests, ...)`) or
    use `requests_cache` (its `install_cache()` replaces `requests.Session`) are reported. So
    are, through the project facts pass (see "Project facts" below), calls that another file
    of the project patches: a test's `mock.patch("pkg.mod.requests.get")`, `mocker.patch`,
    `monkeypatch.setattr`, a conftest that assigns `requests.get`, `requests_cache
    .install_cache()` in another module, an `os.environ` write of a proxy or SSL variable
    (httpx). Such mocks are not rewritten to target the shared client: the call is left alone
    and the report names the test's `path:line`. A patch made outside the files the run
    covers (an installed plugin, the caller's process) is not visible.
  - `function`: the client lives from the first to the last call of one function run; nothing
    is shared between threads or runs. Generators that `yield` between their calls are
    reported, not wrapped (a suspended generator would hold the session open); calls in
    lambdas and generator expressions are left alone (they may run after the block).
  - `--client`: whatever your client configures (base URL, default headers, auth, cookies,
    retries, `follow_redirects`) now applies to these calls: that is what you asked for, and
    the reason it is opt-in. The import may create a cycle if `MODULE` imports this module.
  - Which to prefer: `module` for scripts, services and clients that call the same hosts from
    many places (the most reuse); `function` for libraries that should hold no connection
    between calls, and for code that forks after import (pre-fork servers, `multiprocessing`
    with `fork`) or worries about sharing one session between threads; `--client` when the
    codebase already has a configured shared client (retries, auth, base URL) all calls should
    go through.""",
    reported="""module-level targets and single-call functions under `function`; a suppressed
  call; the module that defines the `--client` object.""",
    notes=(
        """**Reported**: star imports (`from requests import *`: cannot resolve); a call whose name is
  also bound to something other than the import, or imported conditionally (`try: import
  requests except ImportError: requests = None`: a module-level client would make the module
  need requests at import), or imported only inside a function (an optional dependency);
  requests calls with `verify=` (other than `True`), `cert=` or `**kwargs` (before requests
  2.32, CVE-2024-35195, a pooled connection made with `verify=False` was reused by later
  verifying requests to the same host), unless every declaration of requests in the project
  (pyproject, setup.cfg, setup.py, requirements*.txt) excludes releases before 2.32; httpx calls with `verify=`, `cert=`, `proxy=`,
  `trust_env=` (an `httpx.Client` takes those only when created), `cookies=` (deprecated per
  request), `follow_redirects=` other than `False` (unless `--keep-cookies`), `**kwargs`; `*args`
  or more positional arguments than the function takes; an httpx call when `--client` is a
  requests client (and the reverse); a module that patches the library at run time or uses
  `requests_cache`; a call another file of the project mocks, swaps or caches (project facts:
  the report names that file's `path:line`); requests `verify=`/`cert=`/`**kwargs` are not
  reported for that reason when the project declares `requests>=2.32`; httpx calls in a module that changes `os.environ` or calls `load_dotenv`;
  under `module`, without `--unsafe-fixes`, a module that uses `multiprocessing`, `os.fork` or
  `ProcessPoolExecutor` (an unsafe fix); under `function`, a returned/yielded target or an `httpx.stream(...)` not used as a `with`
  item.""",
    ),
    tail=r"""| option | default | meaning |
| --- | --- | --- |
| `--session-scope module\|function` | `module` | one client per module, or a `with` client per function |
| `--session-name NAME` | `_session` / `_client` (`session` / `client` in functions) | the client's name; a fresh variant if taken |
| `--client MODULE:NAME` | none | use an existing shared client instead of creating one |
| `--client-library requests\|httpx\|niquests\|httpx2` | `requests` | the library of the `--client` object |
| `--keep-cookies` | off | let the client carry cookies between calls |""",
    labels={
        "fix": "**The fix**, by strategy (`--session-scope`, config `session-scope`):",
        "safety": "**Behaviour change per strategy**.",
    },
    safe_fixes=(
        "every rewrite of `module`, `function` and `--client` not listed below: same requests, "
        "same per-request settings, connections reused and no cookies kept (see the behaviour "
        "change above).",
    ),
    unsafe_fixes=(
        (
            "`module` in a module that uses `multiprocessing`, `os.fork` or `ProcessPoolExecutor`: "
            "most such modules start their processes before the first request, or not by fork "
            "(spawn and forkserver, the default on macOS and Windows and, from Python 3.14, on "
            "Linux, share no sockets).",
            "a process forked after the client's first use shares its pooled connections with the "
            "parent (two processes reading one socket); `--session-scope function` avoids it.",
        ),
    ),
    examples=EXAMPLES,
)
