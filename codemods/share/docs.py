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
  Also a reference to one of those functions whose value flows only into calls, through the
  branches of conditional expressions: `(requests.put if p else requests.delete)(url)`, or a
  function's local (`fn = requests.post if p else requests.get`) whose every use is a call,
  or is handing it to a private method of the same class whose parameter is only called
  there (`self._fetch(method, url)`, read when one undecorated `def` of the class binds it and
  no class of the project may override it). The local may be assigned more than once when
  every assignment is such a reference (`method = requests.post`, later
  `method = requests.delete`). Each reference becomes `_session.<verb>`, the bound method, and
  the argument checks below apply to each call the local reaches (a `get` reference called
  with `params` by position is reported: only a direct call's can become `params=`). A local
  used any other way (passed on to anything else, stored, returned, also assigned something
  else), a module-level or class-level name, or an
  attribute assigned a reference: reported; other references (`pool.submit(requests.get, u)`,
  `getattr(requests, verb)`) are left alone.
  Not `requests.Session().get(...)` (already a session) nor a name that only looks like one
  (a parameter called `requests`).""",
    fix="""
  - `package` (default): one client per package, in a private module of the package that
    every rewritten module of it imports. The run plans it before any file is rewritten: the
    package is the top-level one (the outermost directory with an `__init__.py` above the
    module, also above the paths the run names, so a run over a subpackage or pre-commit's
    single files finds the same module as a run over the whole tree), not the innermost, because one client for
    the whole package is the point (the post-mortem's "one client you created, used
    everywhere"; a package's subpackages call the same hosts) and because the top-level
    package is what isort calls first party; its module `_http_client.py` (`_http_client_1.py`... when that name
    is taken by a file that is not ours); after the modules, the run creates it with the
    clients they use (`--diff` shows it as a new file, `--check` counts it), and a later run
    that needs another client adds it, while the module is as generated:

    ```python
    \"\"\"HTTP clients this package shares (generated by http-codemods share-session).

    Tests patch them here: mock.patch("pkg._http_client.session.get").
    \"\"\"

    from http import cookiejar

    import requests

    # Stores no cookies: the bare calls it replaces kept none between calls.
    session = requests.Session()
    session.cookies.set_policy(cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    ```

    and in each module `from ._http_client import session as _session` (absolute,
    `from pkg._http_client import ...`, when the module, or with no import of its package
    most of the package's modules, imports its package absolutely), placed where the
    project's import sorting puts it, and the calls routed through `_session` as under
    `module`. Modules outside any package (scripts), modules with an
    `if __name__ == "__main__":` block (run as a script, neither import would resolve) and
    standard input keep a client of their own, as under `module`. A module of ours that a
    person edited is used as it is: a call whose client it lacks is reported. The package's
    tests mock the shared client where it lives: `mock.patch("pkg._http_client.session.get")`
    or `mock.patch.object(pkg._http_client.session, "get")` intercepts every module's calls
    (one object); `mock.patch("pkg.mod._session")` only that module's. It is the default
    because it is what a reviewer of a bulk pull request expects (one client, not eight
    copies of four lines); tests that mock the bare calls (`mock.patch("pkg.mod.requests.get")`)
    are found by the project facts pass under every strategy and their calls left bare.
    On later runs a name imported from the module is the client it defines, as a
    module-level `_session = requests.Session()` is: close-response and add-timeout still act
    on `_session.get(...)` (a test's patch of `pkg._http_client.session.get` counts), and a new
    bare call in the module reuses the import. Only while the module is ours: it starts with
    the docstring above and binds the name once, to the library's client; otherwise the
    name is an unknown object.
  - An optional dependency (`try: import requests` / `except ImportError: pass`, or
    `requests = None` in the handler): under `package` and `module` the client (or its
    import) goes into that `try`, right after `import requests`, so the module still imports
    without requests; a handler's `requests = None` gets `_session = None` beside it, so a
    call without the library fails as it did (`AttributeError` on `None`; with `pass`, a
    `NameError` naming `_session` instead of `requests`).
  - A library imported only inside the functions that use it (`def f(): import requests`):
    under `package` the package's client is imported there too, on the line after (or, when
    the rewritten calls were that import's only uses, instead of) `import requests`, so the
    client module loads where and when the library did and the module still imports without
    it. Each call's name must come from one such import alone on its line; otherwise, and
    under `module` (a module-level client would need the library at import), it is reported.
  - `module`: one client per module, created right after the imports (after the
    docstring, `__future__` imports, other imports and `try: import ... except ImportError:`
    blocks; before the first statement that could use it), and every target rewritten to
    `_session.<verb>(...)` / `_client.<verb>(...)` with the same arguments:

    <!-- fmt: off -->
    ```python
    import http.cookiejar as _cookiejar

    _session = requests.Session()
    _session.cookies.set_policy(_cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    _client = httpx.Client(
        cookies=_cookiejar.CookieJar(_cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    )
    ```
    <!-- fmt: on -->

    The names are fresh (`_session_1` if `_session` is used anywhere in the module);
    `--session-name NAME` chooses another (with both libraries in one module the httpx client
    is `NAME_httpx`). `import http.cookiejar` (and `import requests`/`httpx` when the module
    only has `from requests import get`) are added under fresh private names
    (`import http.cookiejar as _cookiejar`, `import requests as _requests`), so no name of the
    module, star-imported ones included, is rebound. Added imports go where the project's import
    sorting puts them (isort's sections and order); an import the rewrite left unused
    (`from requests import get`) is removed unless it may be public: in `__all__`, imported
    from this module by another file of the project (a package's `__init__.py`: from the
    package), or with a comment on its line (see "Imports and formatting").
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
  - `package` and `module`: the client lives as long as the process and is shared by every thread: urllib3's
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
    (httpx; a test's `mock.patch.dict(os.environ, ...)` or `monkeypatch.setenv`, undone when
    the test ends, only for the calls in the modules that test reaches by imports; a
    `@pytest.mark.parametrize`d key is read from its literal values). A drop-in's patch
    (`mock.patch("niquests.get")`, `"httpx2.get"`, `monkeypatch.setattr(niquests, "get", ...)`)
    counts as its library's, for the calls of either (the facts do not tell which module a
    call's name comes from); it never moves. Such calls are left alone and the report names the test's `path:line`, with one
    exception under `package`, an unsafe fix (`--unsafe-fixes`; without it no move is
    planned, since planning is a second pass over the project: the calls are reported as
    mocked and not counted in "N more fixes available with --unsafe-fixes"; a call whose
    patches all have the form a move needs, in a run over the whole project, says that
    `--unsafe-fixes` plans a move of its patch, which may fix it, and the summary line counts
    those apart, "M sites mocked by tests may also be fixed there"): when the run routes *every* call a test's
    `mock.patch("requests.post")` (or `mocker.patch`, or through a module's binding,
    `"pkg.mod.requests.post"`; or `monkeypatch.setattr(requests, "post", fake)`,
    `monkeypatch.setattr(mod.requests, "post", fake)`, `monkeypatch.setattr("pkg.mod.requests.post", fake)`;
    or `mock.patch.multiple("requests", get=..., post=...)`, whose keywords are all verbs: it
    moves when all of its verbs do)
    intercepts through the package's new shared session, and no
    other call of that verb, the test's target moves with them:
    `mock.patch("pkg._http_client.session.post")`, `monkeypatch.setattr("pkg._http_client.session.post", fake)`,
    `mock.patch.multiple("pkg._http_client.session", get=..., post=...)`
    (httpx alike: `mock.patch("httpx.get")` -> `mock.patch("pkg._http_client.client.get")`;
    `Client.get` takes the arguments `httpx.get` takes but `verify=`, `proxy=`, `cert=`,
    `trust_env=` and `cookies=`, and calls passing those are not routed, so they keep the patch
    where it is; `autospec=True` specs the bound method, with the same arguments)
    (pytest imports the module named by the string, so the test needs no new import; the
    fake, an attribute of the instance and not a bound method, is called with the arguments
    `requests.post` was). `patch` resolves the dotted path through
    attributes and sets the attribute on the session instance; `Session.post` on the
    instance takes the arguments `requests.post` takes, so the mock sees the same calls with
    the same arguments. It is all or nothing per verb and project, decided before any file is
    rewritten by a planning run (the selected codemods in check mode, with those patches
    ignored) and an `ast` census of every `requests.<verb>` in the project's files (a test
    module that none of the patches' tests imports is left out: its calls run in its own
    tests; `self.requests.post(...)` in a class whose `requests` is a `@property` returning an
    instance of a class of its module is not the library, unless a subclass binds `requests`
    otherwise or the attribute is assigned): nothing
    moves when a call of the verb stays unrewritten (reported for another reason, in a test
    helper, in another package, a function reference share-session cannot follow
    such as `fn = requests.post` passed on or returned), when a file reads or
    assigns the attribute itself (`requests.post.call_count`, `requests.post = fake`) or
    imports it by name (`from requests import post`: its calls, bound at import, escape the
    old patch and the moved one would intercept them), for `requests.request` when calls of
    other verbs go through the same session (`Session.post` calls `session.request`: the moved
    patch would intercept them too), when one of the patches is not a
    `patch`, `patch.multiple` or `monkeypatch.setattr` of a literal target (`mock.patch.object(requests, "post")`,
    a `patch.multiple` that also patches another attribute or one of whose verbs cannot move,
    a comment between setattr's arguments, a computed name, the whole module: `mock.patch("pkg.mod.requests")`),
    when a `requests.get(url, params)` passes `params` positionally (it becomes `params=`),
    when the package's client module exists already (calls an earlier run routed there would
    be intercepted too), when the run does not read every file of the project or a file
    fails, and when the run changes a file that holds such a patch. The moved targets are
    written after the run, as the client module is, and only when every rewritten module was
    written. The hazard that makes it unsafe: a `requests.post` call that another library
    makes while the test runs (a client library the code under test uses, a plugin) was
    intercepted by the old patch and is not by the moved one, so it would reach the network;
    the census sees only the project's own files. A patch made outside the files the run covers (an
    installed plugin, the caller's process) is not visible.
  - `function`: the client lives from the first to the last call of one function run; nothing
    is shared between threads or runs. Generators that `yield` between their calls are
    reported, not wrapped (a suspended generator would hold the session open); calls in
    lambdas and generator expressions are left alone (they may run after the block).
  - `--client`: whatever your client configures (base URL, default headers, auth, cookies,
    retries, `follow_redirects`) now applies to these calls: that is what you asked for, and
    the reason it is opt-in. The import may create a cycle if `MODULE` imports this module.
  - Which to prefer: `package` (or `module`) for scripts, services and clients that call the
    same hosts from many places (the most reuse, one client per package: what a reviewer
    expects to see); `function` for libraries that should hold no connection
    between calls, and for code that forks after import (pre-fork servers, `multiprocessing`
    with `fork`) or worries about sharing one session between threads; `--client` when the
    codebase already has a configured shared client (retries, auth, base URL) all calls should
    go through.""",
    reported="""module-level targets and single-call functions under `function`; a suppressed
  call; the module that defines the `--client` object.""",
    notes=(
        """**Reported**: star imports (`from requests import *`: cannot resolve); a call whose name is
  also bound to something other than the import, or imported conditionally in any other way
  than the optional-dependency `try` below (`if FLAG: import requests`, a `try` with `else` or
  `finally`, a handler binding the name to something other than `None`: a module-level client
  would make the module need requests at import), or imported only inside a function (except
  under `package`, above);
  requests calls with `verify=` (other than `True`), `cert=` or `**kwargs` (before requests
  2.32, CVE-2024-35195, a pooled connection made with `verify=False` was reused by later
  verifying requests to the same host), unless every declaration of requests in the project
  (pyproject, setup.cfg, setup.py, requirements*.txt) excludes releases before 2.32; httpx calls with `verify=`, `cert=`, `proxy=`,
  `trust_env=` (an `httpx.Client` takes those only when created), `cookies=` (deprecated per
  request), `follow_redirects=` other than `False` (unless `--keep-cookies`), `**kwargs`; `*args`
  or more positional arguments than the function takes; an httpx call when `--client` is a
  requests client (and the reverse); a module that patches the library at run time or uses
  `requests_cache`; a call another file of the project mocks, swaps or caches (project facts:
  the report names that file's `path:line`), unless, with `--unsafe-fixes`, the test's
  `mock.patch` moves to the package's shared session with every call it intercepts; requests `verify=`/`cert=`/`**kwargs` are not
  reported for that reason when the project declares `requests>=2.32` or the
  `requests-version` option says it runs 2.32 or later (the option wins over the declarations); httpx calls in a module that changes `os.environ` or calls `load_dotenv`;
  under `module`, without `--unsafe-fixes`, a module that uses `multiprocessing`, `os.fork` or
  `ProcessPoolExecutor` (an unsafe fix); under `function`, a returned/yielded target or an `httpx.stream(...)` not used as a `with`
  item, and every reference (its calls may run after the `with`).""",
    ),
    tail=r"""| option | default | meaning |
| --- | --- | --- |
| `--session-scope package\|module\|function` | `package` | one client per package (scripts: per module), one per module, or a `with` client per function |
| `--session-name NAME` | `_session` / `_client` (`session` / `client` in functions) | the client's name; a fresh variant if taken |
| `--client MODULE:NAME` | none | use an existing shared client instead of creating one |
| `--client-library requests\|httpx\|niquests\|httpx2` | `requests` | the library of the `--client` object |
| `--keep-cookies` | off | let the client carry cookies between calls |
| `--requests-version SPEC` | the project's declared dependencies | the requests the project runs (`>=2.32`, `2.31.0`; config `requests-version = ">=2.32"`): at 2.32 or later `verify=`/`cert=`/`**kwargs` calls are rewritten (CVE-2024-35195 is fixed there); below, or unknown, reported |""",
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
            "a reference handed to a private method of its class (`self._fetch(method, url)`) "
            "whose name the project also replaces somewhere (a test's `patch.object(obj, "
            '"_fetch")`, an attribute store), while no class of the project derives from this one: '
            "the replaced one is almost always another class's.",
            "a replacement of this class's method would be handed the shared session's method "
            "instead of the library function (a test asserting it was called with "
            "`requests.post` would fail).",
        ),
        (
            "`module` in a module that uses `multiprocessing`, `os.fork` or `ProcessPoolExecutor`: "
            "most such modules start their processes before the first request, or not by fork "
            "(spawn and forkserver, the default on macOS and Windows and, from Python 3.14, on "
            "Linux, share no sockets).",
            "a process forked after the client's first use shares its pooled connections with the "
            "parent (two processes reading one socket); `--session-scope function` avoids it.",
        ),
        (
            '`package`: a call a test mocks (`mock.patch("requests.post")`, through a module\'s '
            "binding, `mocker.patch`) whose patch moves to `pkg._http_client.session.post` with "
            "every call it intercepts (see the behaviour change above): the test's mock sees the "
            "same calls with the same arguments.",
            "a `requests.post` call that another library makes while the test runs was "
            "intercepted by the old patch and is not by the moved one (it would reach the network).",
        ),
        (
            "`package`/`module`: an httpx call in a module a test reaches whose "
            '`mock.patch.dict(os.environ, {"KEY": ...}, clear=True)` names no proxy or SSL '
            "variable: it removes those the process had, and test processes seldom have any.",
            "a client made at import keeps the proxy and SSL variables it read before the test "
            "cleared `os.environ`; the bare call ran without them.",
        ),
    ),
    examples=EXAMPLES,
)
