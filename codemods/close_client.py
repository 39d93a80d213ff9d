"""``close-client``: close HTTP clients made inside a function, with ``with`` / ``async with``.

A ``requests.Session``, ``httpx.Client``/``AsyncClient``, ``aiohttp.ClientSession`` or
``urllib3.PoolManager`` made in a function and never closed keeps its pooled connections open
until the garbage collector finalises it (aiohttp warns "Unclosed client session"). Clients at
module level are the recommended long-lived pattern and are never touched.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from . import catalog
from .calls import CLIENT_CONSTRUCTORS
from .facts import ProjectFacts
from .spec import Kind, TargetSpec
from .wrapping import Mode, Plan, Target, WrappingCodemod
from .docs import CodemodDocs, Example, ExampleKind

ASYNC_CLIENTS = ("httpx.AsyncClient", "aiohttp.ClientSession")


# -- documentation (README section, --list, SARIF help) and examples (run as tests) -----------

EXAMPLES = (
    Example(
        ExampleKind.FIXED,
        """\
import requests


def names(url):
    s = requests.Session()
    data = s.get(url).json()
    return [d["name"] for d in data]
""",
        after="""\
import requests


def names(url):
    with requests.Session() as s:
        data = s.get(url).json()
    return [d["name"] for d in data]
""",
    ),
    Example(
        ExampleKind.UNCHANGED,
        """\
import requests


def make_session():
    s = requests.Session()
    s.headers["User-Agent"] = "me"
    return s
""",
    ),
    Example(
        ExampleKind.REPORTED,
        """\
import requests


def make_api():
    s = requests.Session()
    s.headers["User-Agent"] = "me"
    return {"session": s}
""",
        reason="the client (or something reading from it) is returned",
    ),
    Example(
        ExampleKind.UNCHANGED,
        """\
import requests

session = requests.Session()


def fetch(url):
    return session.get(url).json()
""",
    ),
    Example(
        ExampleKind.FIXED,
        """\
import requests


def fetch(url):
    session = requests.Session()
    response = session.get(url)
    session.close()
    response.raise_for_status()
    return response
""",
        after="""\
import requests


def fetch(url):
    with requests.Session() as session:
        response = session.get(url)
    response.raise_for_status()
    return response
""",
    ),
    Example(
        ExampleKind.REPORTED,
        """\
import requests


def open_stream(url):
    session = requests.Session()
    return session.get(url, stream=True)
""",
        reason="outlives the session; requests reads it on after `Session.close()`; fixable with --unsafe-fixes",
    ),
    Example(
        ExampleKind.FIXED,
        """\
import requests


class Api:
    def __init__(self, session, base):
        self.session = session
        self.base = base

    def names(self):
        return [d["name"] for d in self.session.get(self.base + "/names").json()]


def names(base):
    s = requests.Session()
    api = Api(s, base)
    found = api.names()
    return sorted(found)
""",
        after="""\
import requests


class Api:
    def __init__(self, session, base):
        self.session = session
        self.base = base

    def names(self):
        return [d["name"] for d in self.session.get(self.base + "/names").json()]


def names(base):
    with requests.Session() as s:
        api = Api(s, base)
        found = api.names()
    return sorted(found)
""",
    ),
    Example(
        ExampleKind.REPORTED,
        """\
import requests
from zeep.transports import Transport


def dump(wsdl):
    session = requests.Session()
    transport = Transport(session=session)
    transport.load(wsdl)
""",
        reason="is passed to `Transport` at line 7, which may keep it and use it after the with block; "
        "fixable with --unsafe-fixes",
    ),
    Example(
        ExampleKind.REPORTED,
        """\
import requests

from .pages import fetch_all


def titles(urls):
    s = requests.Session()
    pages = fetch_all(s, urls)
    return [p["title"] for p in pages]
""",
        reason="is passed to `fetch_all` at line 8, which may keep it and use it after the with block; "
        "fixable with --unsafe-fixes",
    ),
    Example(
        ExampleKind.FIXED,
        """\
import requests

from .pages import fetch_all


def titles(urls):
    s = requests.Session()
    pages = fetch_all(s, urls)
    return [p["title"] for p in pages]
""",
        after="""\
import requests

from .pages import fetch_all


def titles(urls):
    with requests.Session() as s:
        pages = fetch_all(s, urls)
        return [p["title"] for p in pages]
""",
        unsafe_fixes=True,
    ),
)

DOCS = CodemodDocs(
    why="""a `requests.Session`, `httpx.Client`/`AsyncClient`, `aiohttp.ClientSession` or
  `urllib3.PoolManager` made inside a function and never closed keeps its pooled connections
  open until the garbage collector finalises it; aiohttp prints `Unclosed client session`.""",
    what="""such a constructor bound to a local name (`s = requests.Session()`) in a
  function; `niquests.Session()` and `httpx2.Client()`/`AsyncClient()` too.""",
    fix="""`with requests.Session() as s:` (`async with` for httpx.AsyncClient and
  aiohttp.ClientSession, inside `async def`), scoped like `close-response`: to the last
  statement of the block that uses the client or anything derived from it (a streamed
  response, `s.get(u, stream=True)`, is derived, so the client stays open while it is used).
  A response whose body the call has read holds no connection and nothing the client's
  `close()` affects, so it is plain data: requests `s.<verb>/request/send(...)` without
  `stream=True` (literal `False` or absent, no `**kwargs`), httpx `c.<verb>/request(...)` and
  `send(...)` without `stream=True` (awaited at once for `AsyncClient`), urllib3
  `pool.request/urlopen(...)` without `preload_content=False`/`release_conn`, and
  `prepare_request`/`build_request`; returning or passing such a response on is no escape of
  the client (aiohttp reads bodies later: its responses stay derived). A helper of the same
  module (or a method of the class, `self._fetch_all(s, urls)`) that keeps nothing of the
  client is no escape either (see `close-response`), and an explicit `s.close()` (`await s.close()`, `await c.aclose()`,
  `pool.clear()`) that ends the new block is removed. A sync client made in only some branches of an `if`
  and used after it (hvac's tests: `if use_session: s = requests.Session()` / `c =
  Client(session=s)` / `else: c = Client()`, then `c` read after the `if`) gets `with
  contextlib.ExitStack() as stack:` from the `if` and `stack.callback(s.close)` right after
  its binding, as for `close-response`.
  **Holders**: a client passed to a call whose result keeps it (`api = Api(s, base)`,
  `api = make_api(s)`) makes that result derived too: the block covers its uses, and the
  result must not outlive the block any more than the client (returned, yielded, stored on an
  attribute, in a subscript or a global, captured by a closure, used after the block). The
  call is no escape when it is a function of the project (this module, or another one it
  imports, read as `close-response` reads helpers) that keeps the client nowhere but in what
  it returns (`return Api(s)`, `return {"session": s}`), or a class of this module (or of
  another module of the project it imports, read by that module's summaries) whose
  instance is all that holds it: no decorator, no base but `object`, no `metaclass`, no
  `__new__`/`__setattr__`/`__getattr__`/`__getattribute__`/`__del__`, an undecorated
  `__init__` that stores the client only on `self` (on attributes the class body does not bind),
  and methods (plain or `property`) that keep it nowhere else either, never pass it or `self`
  on to a call the tool does not know, and store it only on `self`. A method of such an
  instance whose `self` keeps nothing (`api.names()` returning parsed JSON) gives plain data.""",
    safety="""the client and its connections are closed when the block ends.""",
    reported="""module-level clients and class attributes (the recommended long-lived
  pattern), `self.session = ...`, a client stored on `self` in a method of a class whose own
  `close()`/`aclose()`/`__exit__`/`__aexit__`/`__del__` closes that attribute (`self._session =
  session`, the object's to close: see `close-response`'s reported sites), clients used inline, clients already closed (as for
  `close-response`, plus `stack.callback(s.close)`), and factories: a client the function returns is the caller's to close; the
  caller is checked where it is in the project. When after its binding every normal exit of
  the function returns the client itself (`return s`, `return s, path`; also after the end of
  the block that binds it: `if session is None: session = requests.Session()` / `return
  session`, a `try` whose handlers raise), in a function that does not yield, the client is
  alive on purpose: closing it here would hand the caller a closed client, so it is not a site
  (`codemods/closing/factory.py`, the rule close-response follows for returned responses). A
  path that drops it (`return None`, falling off the end) keeps it a site, and a response of it
  returned (`return s.get(u, stream=True)`) is no client returned: the client is a site (for a
  `requests.Session`, an unsafe fix: below). **Reported**: the same escapes as
  `close-response` (a client returned inside something else, `return {"session": s}`, or
  passed to a function or class of the project that may keep it elsewhere: `Api(session=s)`
  whose `__init__` appends `self` to a registry, `fetch_all(s, urls)` that stores it), a holder
  of it that outlives the block (above), an async
  client made outside `async def`, and an async client whose constructor a test of the project
  mocks. A sync requests/httpx client whose constructor a test mocks (`@patch("requests.Session")`,
  found by the project facts pass) is closed with `with contextlib.closing(requests.Session()) as
  session:`: the test sets up the mock's `return_value`, which `with` would replace by its
  `__enter__()` value, while `closing` binds the object itself and calls its `close()` at the
  end (the report names the test's `path:line`).""",
    notes=(
        """Run together (the default), `close-client` runs first and `close-response` then wraps the
  responses inside its block; the result is stable on a second run.""",
    ),
    safe_fixes=(
        "a client made in a function whose every use is in the block: closed, with its "
        "connections, when the block ends, on every path.",
        "a client held by the result of a call of the project that keeps it only in what it "
        "returns (a class of the project storing it on `self` only, a function returning it inside "
        "something): closed when the block ends, which covers every use of the result too.",
        "the same, for a requests/httpx client whose constructor a test replaces with the "
        "`MagicMock` that `patch` makes: `with contextlib.closing(...)`, which runs the code as "
        "before and then `close()` (a method every `MagicMock` has).",
    ),
    unsafe_fixes=(
        (
            "a client (or a streamed response of it) passed to a function or method the tool "
            "knows nothing about, not a class and not a function of the same module "
            "(`fetch_all(s, urls)` imported from elsewhere, `self._download(s, url)`), which in "
            "practice makes its requests there; the report names the call and its line.",
            "the callee may keep the client (store it, start a thread or task with it) and use it "
            "after the `with` block has closed it.",
        ),
        (
            "a client passed to a method of the caller's class (`self._fetch(s, url)`) whose summary "
            "keeps nothing of it, when another `def` of the project binds the same name, nothing "
            "replaces it from outside and some class of the project may derive from the caller's "
            "class (names it among its bases, aliases it): the class's own `def` is read.",
            "the other `def` may be a subclass's override that keeps the client (no subclass of the "
            "class in its own module binds the name: that case is reported).",
        ),
        (
            "a client passed to a constructor the tool cannot read (`Transport(session=s)` imported "
            "from elsewhere, a class with a base) or to an unknown function whose result is bound "
            "(`api = make_api(s)`): the result is taken to hold the client and followed like it, so "
            "the block covers its uses and it must not escape; the report names the call and its line.",
            "the callee may keep the client somewhere else too (a global, a cache, a thread) and use "
            "it after the block; safe if it keeps it only on the object it returns.",
        ),
        (
            "a requests/httpx client whose constructor a test replaces with an object it chose "
            "(`patch('requests.Session', FakeSession)`, `new=`, `spec=`, `return_value=`/`side_effect=` "
            "or an assignment of either to an object of its own, `monkeypatch.setattr`, an "
            "assignment): closed with `with contextlib.closing(...)`.",
            "the test's object may have no `close()`, which the end of the block now calls.",
        ),
        (
            "a `requests.Session` whose only escape is a streamed response it made "
            "(`r = s.get(u, stream=True)` returned, stored or read after the session's last use): "
            "`Session.close()` closes only the idle connections of its pools, so the block ends where "
            "the session's own uses end and the response reads on after it, open as before.",
            "the streamed response is read after the session is closed; safe unless a transport "
            "adapter mounted on the session closes connections still in use.",
        ),
    ),
    examples=EXAMPLES,
)


#: Sync clients whose ``close()`` is their ``__exit__``: ``contextlib.closing`` closes them the same way.
_CLOSING_CLIENTS = frozenset({"requests.Session", "httpx.Client"})


INFO = catalog.CLOSE_CLIENT


class CloseClient(WrappingCodemod):
    DOCS = DOCS
    NAME = INFO.name
    DESCRIPTION = INFO.description
    WHY = INFO.why
    FIX = INFO.fix
    DEFAULT = INFO.default
    MODULE_LEVEL = False
    FRESH_NAME = "client"

    TARGETS = TargetSpec(
        kinds=frozenset({Kind.CONSTRUCTOR}),
        module_wide=WrappingCodemod.TARGETS.module_wide,
        candidate_names=frozenset(name.rsplit(".", 1)[1] for name in CLIENT_CONSTRUCTORS),
        consulted=frozenset({"contextlib.closing", "contextlib.aclosing"}),
    )
    MODULE_WIDE = TARGETS.module_wide
    CANDIDATE_NAMES = TARGETS.candidate_names

    def might_be_target(self, node: cst.CSTNode) -> bool:
        return isinstance(node, cst.Call) and self.candidate_name(node.func)

    def target_of(self, node: cst.CSTNode) -> Optional[Target]:
        if not isinstance(node, cst.Call):
            return None
        found = self.resolver.classify(node)
        if found is None or found.kind != Kind.CONSTRUCTOR:
            return None
        # Only a client bound to a local name: ``self.session = Session()`` and clients used
        # inline are left alone (they are not the pattern this codemod fixes).
        parent = self.resolver.parent(node)
        if not isinstance(parent, cst.Assign) or parent.value is not node:
            return None
        if len(parent.targets) != 1 or not isinstance(parent.targets[0].target, cst.Name):
            return None
        if found.client_class in ASYNC_CLIENTS:
            return Target(
                node,
                "async with",
                found.library,
                noun="client",
                named_only=True,
                needs_async_def=True,
                client_class=found.client_class,
            )
        return Target(node, "with", found.library, noun="client", named_only=True, client_class=found.client_class)

    def project_problem(self, target: Target) -> Optional[str]:
        """A test that mocks the constructor (``patch("requests.Session")``, a swap of
        ``httpx.Client``) hands the code its ``return_value``; ``with`` would bind
        ``return_value.__enter__()`` instead, a mock the test never set up. A sync client is
        then closed with ``contextlib.closing``, which binds the object itself and calls
        ``close()``: the code as before, plus the close. A stand-in the test chose may lack
        ``close()``: that fix is unsafe. An async client is reported."""
        facts = self.file.facts
        if not isinstance(facts, ProjectFacts) or target.library not in ("requests", "httpx"):
            return None
        call = target.node
        assert isinstance(call, cst.Call)
        site = self.call_site(call, target.library, "client")
        patch = facts.constructor_patch(site)
        if patch is None:
            return None  # a patch of a method (``requests.Session.get``): ``with`` binds the same client
        why = (
            f"the client's constructor may be mocked ({patch.text} at {patch.where}); under `with`, "
            "the code would get the mock's `__enter__()` value, not the client the test set up"
        )
        if target.client_class not in _CLOSING_CLIENTS:
            return why
        hazard = (
            f"a test may replace the constructor with an object of its own ({patch.text} at {patch.where}); "
            "`contextlib.closing` calls its `close()` when the block ends, which that object may lack."
        )
        self.close_mocked(target, patch, hazard, why)
        return None

    def fixed_message(self, target: Target, plan: Plan) -> str:
        if target.mode == Mode.CLOSING:
            return (
                f"closed the client with `with contextlib.closing(...)`: a test mocks its constructor "
                f"({target.mocked}), and `closing` binds the mock itself where `with` would bind its `__enter__()`"
            )
        return f"closed the client with `{target.mode}`"
