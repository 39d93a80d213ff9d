"""Hiding functions (prune.py) and the fast tree walks (tree.py) change no result.

Every case runs through the engine twice, hiding on and off, and must give the same status,
sites (lines and columns in the original file) and output. Each case also checks that
something was hidden, or deliberately kept, so the comparison is not vacuous.
"""

from __future__ import annotations

import glob
import os
import textwrap

import libcst as cst
import pytest

from codemods import engine, prefilter, prune, registry, tree

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALL = tuple(c.NAME for c in registry.CODEMODS)
DEFAULT = tuple(registry.default_names())


def _both(source: str, codemods=DEFAULT, **options):
    results = []
    for hide in (True, False):
        settings = engine.Settings(codemods=tuple(codemods), mode=engine.CHECK, hide_functions=hide, options=options)
        results.append(engine.process_source(source.encode(), "case.py", settings))
    hidden, shown = results
    assert hidden.status == shown.status, (hidden.error, shown.error)
    assert hidden.sites == shown.sites
    assert hidden.new_text == shown.new_text
    return hidden


def _hidden_names(source: str, codemods=DEFAULT):
    tree = prefilter.parse_ast(source.encode())
    functions, _ = prune.plan(tree, registry.watched_names(codemods))
    return sorted(f.name for f in functions)


# -- tree.py -------------------------------------------------------------------------------

SOURCES = sorted(
    glob.glob(os.path.join(ROOT, "codemods", "*.py"))
    + glob.glob(os.path.join(ROOT, "tests", "*.py"))
    + glob.glob(os.path.join(ROOT, "samples", "*.py"))
)

RICH = """\
import a
@deco(1)
async def f[T](x: int = 1, *args, y, **kw) -> T:
    async with a() as (b, c), d:
        pass
    async for i in b:
        pass
    try:
        pass
    except* E as e:
        pass
    match x:
        case [1, *rest] if rest:
            pass
        case {"k": v, **others}:
            pass
    return [i async for i in y if i] or {k: v for k, v in z} or (p if q else r)
type A[T] = list[T]
class C(B, metaclass=M):
    x: int = f(a=1, *b, **c)[1:2:3]
print(f"{x!r:>{width}}", lambda q, /, w: (yield))
"""


@pytest.mark.parametrize("path", SOURCES, ids=os.path.basename)
def test_children_are_libcsts_minus_layout_tokens_in_source_order(path):
    module = cst.parse_module(open(path, "rb").read())
    assert _compare_children(module) >= 1


def test_children_on_every_kind_of_syntax():
    assert _compare_children(cst.parse_module(RICH)) > 100


def _compare_children(module):
    count = 0
    stack = [module]
    while stack:
        node = stack.pop()
        expected = [c for c in node.children if not isinstance(c, tree.TOKENS)]
        assert [id(c) for c in tree.children(node)] == [id(c) for c in expected], type(node).__name__
        stack.extend(expected)
        count += 1
    return count


def test_walk_is_source_order_and_prunes():
    module = cst.parse_module("def f(a):\n    return g(a)\nx = h(1)\n")
    names = [n.value for n in tree.walk(module) if isinstance(n, cst.Name)]
    assert names == ["f", "a", "g", "a", "x", "h"]
    pruned = [
        n.value for n in tree.walk(module, prune=lambda n: isinstance(n, cst.FunctionDef)) if isinstance(n, cst.Name)
    ]
    assert pruned == ["x", "h"]


# -- what is hidden ------------------------------------------------------------------------


def test_functions_that_never_mention_an_http_name_are_hidden():
    source = textwrap.dedent(
        """\
        import json
        import requests

        def parse(text):
            return json.loads(text)

        def fetch(u):
            return requests.get(u).json()

        class K:
            def helper(self):
                return 1

            def uses(self, u):
                return requests.post(u).status_code
        """
    )
    assert _hidden_names(source) == ["helper", "parse"]
    result = _both(source)
    assert result.status == engine.CHANGED
    assert "def parse(text):\n    return json.loads(text)" in result.new_text


def test_names_derived_from_an_http_call_keep_their_readers():
    source = textwrap.dedent(
        """\
        import urllib.request
        import requests

        r = urllib.request.urlopen("http://x")
        body = r.read
        s = requests.Session()

        def reads():
            return body()

        def closes():
            s.close()

        def unrelated():
            return 2
        """
    )
    assert _hidden_names(source) == ["unrelated"]
    _both(source, ALL)


def test_global_and_nonlocal_declarations_keep_a_function():
    source = textwrap.dedent(
        """\
        import requests

        def rebinds():
            global requests
            requests = None

        def f(u):
            r = requests.get(u, stream=True)
            print(r.status_code)
        """
    )
    assert _hidden_names(source) == []
    _both(source)


def test_environment_change_in_another_function_still_blocks_httpx_sharing():
    source = textwrap.dedent(
        """\
        import os as system
        import httpx

        def configure():
            system.environ["HTTPS_PROXY"] = "http://proxy"

        def other():
            return 1

        def f(u):
            return httpx.get(u).text
        """
    )
    assert _hidden_names(source) == ["other"]
    result = _both(source)
    assert any("environment" in s.reason for s in result.reported)


def test_fresh_names_avoid_names_only_hidden_functions_use():
    source = textwrap.dedent(
        """\
        import requests

        def elsewhere():
            _session = 1
            response = 2
            return _session + response

        def f(u):
            return requests.get(u).status_code + requests.get(u).status_code
        """
    )
    assert _hidden_names(source) == ["elsewhere"]
    result = _both(source)
    assert "_session_1" in result.new_text


def _hide(source: bytes):
    return prune.hide(source, prefilter.parse_ast(source), registry.watched_names(DEFAULT))


def test_stubs_round_trip_and_a_moved_stub_is_refused():
    source = b"import requests\n\ndef helper():  # header\n    x = 1\n\n    return x  # trailing\n\nhelper()\n"
    hidden = _hide(source)
    assert hidden is not None
    assert hidden.data == b"import requests\n\ndef helper():  # header\n    __http_codemods_hidden_0__\n\nhelper()\n"
    text = hidden.data.decode()
    assert hidden.restore(text, "utf-8") == source.decode()
    assert [hidden.original_line(n) for n in (1, 3, 4, 5, 6)] == [1, 3, 4, 7, 8]
    # No codemod moves a hidden function; if one ever did, restore refuses (the engine then
    # runs the file without hiding) instead of guessing.
    assert hidden.restore(text.replace("    __http", "        __http"), "utf-8") is None
    assert hidden.restore(text.replace("    __http_codemods_hidden_0__\n", ""), "utf-8") is None
    assert hidden.restore(text + text, "utf-8") is None


def test_one_line_bodies_and_bodies_on_the_def_line_are_left():
    source = b"import requests\ndef a(): return 1\ndef b():\n    return 2\ndef c(x,\n      y): return 3\n"
    hidden = _hide(source)
    assert hidden is None  # nothing worth hiding: each body is one line


def test_encodings_and_line_endings_survive_hiding():
    source = (
        "# -*- coding: latin-1 -*-\r\nimport requests\r\n\r\ndef plain(a):\r\n    s = 'caf\u00e9'\r\n"
        "    return a + s\r\n\r\ndef f(u):\r\n    return requests.get(u).status_code\r\n"
    ).encode("latin-1")
    assert _hide(source) is not None
    for hide in (True, False):
        settings = engine.Settings(codemods=DEFAULT, mode=engine.CHECK, hide_functions=hide)
        result = engine.process_source(source, "x.py", settings)
        assert result.status == engine.CHANGED
        assert result.new_bytes.startswith(
            b"# -*- coding: latin-1 -*-\r\nimport http.cookiejar as _cookiejar\r\n\r\nimport requests\r\n"
        )
        assert b"    s = 'caf\xe9'\r\n" in result.new_bytes
    bom = b"\xef\xbb\xbf" + source.replace(b"# -*- coding: latin-1 -*-\r\n", b"").replace(b"\xe9", b"e")
    result = engine.process_source(bom, "y.py", engine.Settings(codemods=DEFAULT, mode=engine.CHECK))
    assert result.status == engine.CHANGED and result.new_bytes.startswith(
        b"\xef\xbb\xbfimport http.cookiejar as _cookiejar\r\n\r\nimport requests\r\n"
    )


def test_sites_after_hidden_functions_keep_their_lines():
    source = (
        "import requests\n\n"
        + "".join(f"def f{i}(a):\n    '''doc'''\n    return a + {i}\n\n" for i in range(20))
        + "def g(u, keep):\n    r = requests.get(u, stream=True)\n    keep.append(r)\n"
    )
    assert len(_hidden_names(source)) == 20
    result = _both(source)
    [site] = result.reported
    assert site.line == source.splitlines().index("    r = requests.get(u, stream=True)") + 1


def test_crlf_and_decorators_survive():
    source = (
        "import requests\r\n\r\n@decorate\r\ndef plain(a):\r\n    return a\r\n\r\n"
        "def f(u):\r\n    return requests.get(u).status_code\r\n"
    )
    assert _hidden_names(source) == ["plain"]
    result = _both(source)
    assert result.status == engine.CHANGED
    assert "@decorate\r\ndef plain(a):\r\n    return a\r\n" in result.new_text
    assert "\n" not in result.new_text.replace("\r\n", "")


@pytest.mark.parametrize(
    "path",
    sorted(glob.glob(os.path.join(ROOT, "samples", "*.py")) + glob.glob(os.path.join(ROOT, "samples", "*", "*.py"))),
    ids=os.path.basename,
)
def test_samples_give_the_same_results_with_and_without_hiding(path):
    source = open(path, encoding="utf-8").read()
    for codemods in (DEFAULT, ALL):
        _both(source, codemods)


MORE_SYNTAX = """\
def g(a, b=1, /, c=2, *, d, e=3, **f): ...
match p:
    case Point(x=0, y=yy) | [1, 2, *_] as whole:
        pass
    case {"a": 1, **rest}:
        pass
    case str() | None:
        pass
def h[T: int, *Ts, **P](): ...
class D[T](Base[T]): ...
x = a[1:2, ::3, ...]
y = {**a, 'b': 1}
z = [*a, *b]
del a[0], b.c
assert x, "m"
raise E from F
with (open(a) as b, open(c) as d):
    pass
while x:
    break
else:
    pass
for i in x:
    continue
else:
    pass
try:
    pass
except (A, B) as e:
    pass
else:
    pass
finally:
    pass
import a.b as c, d
from . import (e as f, g)
global q
nonlocal_ = 1
w = not a and b or c < d <= e is not f in g
v = -a ** ~b // c @ d
u += 1
t: int
s = await q if False else (yield from r)
"""


def test_children_on_more_syntax():
    assert _compare_children(cst.parse_module(MORE_SYNTAX)) > 100


@pytest.mark.parametrize("path", SOURCES[:12] + [None], ids=lambda p: os.path.basename(p) if p else "crlf-cr")
def test_start_positions_are_position_providers(path):
    from libcst.metadata import MetadataWrapper, PositionProvider

    if path is None:
        data = b"x = 1\r\ny = (\r  a)\rz = f'''\r\n{q}'''\n@d\ndef g(): pass\n"
    else:
        data = open(path, "rb").read()
    module = cst.parse_module(data)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    starts = tree.StartPositions(module)
    assert len(expected) > 10
    for node, code_range in expected.items():
        assert starts[node].start == code_range.start, type(node).__name__


@pytest.mark.parametrize("path", SOURCES[2:12] + [None], ids=lambda p: os.path.basename(p) if p else "rich")
def test_read_only_scope_visits_give_libcsts_scopes(path):
    """tree.py's read-only visit (no node rebuilt, no layout token visited) yields the same
    scopes, assignments, accesses and qualified names as libcst's own traversal."""
    from libcst.metadata import MetadataWrapper, ScopeProvider
    from libcst.metadata.expression_context_provider import ExpressionContextVisitor
    from libcst.metadata.scope_provider import ScopeVisitor

    source = RICH.replace("type A[T] = list[T]\n", "") if path is None else open(path, encoding="utf-8").read()

    def summary():
        module = cst.parse_module(source)
        scopes = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
        out = []
        for node in tree.walk(module):
            scope = scopes.get(node)
            if scope is None or not isinstance(node, (cst.Name, cst.Attribute, cst.Call)):
                continue
            names = sorted((q.name, q.source.name) for q in scope.get_qualified_names_for(node))
            assignments = (
                sorted((type(a).__name__, a.name) for a in scope.assignments) if isinstance(node, cst.Name) else []
            )
            # What ``calls.HttpResolver.accessed_attributes`` and ``client_class_of`` read:
            # each binding's references and each access's referents.
            references = (
                sorted((a.name, len(a.references)) for a in scope.assignments) if isinstance(node, cst.Name) else []
            )
            accesses = (
                sorted((len(a.referents), a.is_annotation, a.is_type_hint) for a in scope.accesses[node.value])
                if isinstance(node, cst.Name)
                else []
            )
            out.append((type(node).__name__, type(scope).__name__, names, len(assignments), references, accesses))
        return out

    with tree.read_only_visits():
        assert cst.CSTNode.visit is tree._read_only_visit
        fast = summary()
    assert cst.CSTNode.visit is tree._libcst_visit  # the patch is contained
    try:
        for visitor in (ScopeVisitor, ExpressionContextVisitor):
            visitor._http_codemods_read_only = False
        slow = summary()
    finally:
        for visitor in (ScopeVisitor, ExpressionContextVisitor):
            visitor._http_codemods_read_only = True
    assert fast == slow
    if path is None:
        assert len(fast) > 30


def test_the_engine_falls_back_to_no_hiding_when_a_stub_cannot_be_restored(monkeypatch):
    source = "import requests\n\ndef plain(a):\n    b = a\n    return b\n\ndef f(u):\n    return requests.get(u).status_code\n"
    expected = _both(source)
    assert expected.status == engine.CHANGED
    calls = []
    monkeypatch.setattr(prune.Hidden, "restore", lambda self, text, encoding: calls.append(text) or None)
    result = engine.process_source(source.encode(), "case.py", engine.Settings(codemods=DEFAULT, mode=engine.CHECK))
    assert calls, "hiding was not used"
    assert (result.status, result.sites, result.new_text) == (expected.status, expected.sites, expected.new_text)


def test_the_prefilter_and_pruning_read_imports_through_one_rule():
    """``prefilter.import_bindings``: what each import binds, as libcst qualifies it; pruning
    keeps the names bound to watched names, the prefilter those bound from a library."""
    import ast

    from codemods.prefilter import _bindings, import_bindings

    source = (
        "import requests.adapters\nimport httpx as hx\nfrom urllib.request import urlopen as u\n"
        "from os import environ\nfrom . import requests\nfrom aiohttp import *\n"
    )
    tree = ast.parse(source)
    bound = [b for node in tree.body for b in import_bindings(node)]
    assert bound == [
        ("requests", "requests", "requests.adapters"),
        ("hx", "httpx", "httpx"),
        ("u", "urllib.request.urlopen", "urllib.request"),
        ("environ", "os.environ", "os"),
    ]
    assert _bindings(tree) == (
        {"requests": {"requests"}, "hx": {"httpx"}, "u": {"urllib.request.urlopen"}},
        True,
        False,
    )
    watched = frozenset({"os.environ", "httpx"})
    assert set().union(*(prune._import_bindings(node, watched) for node in tree.body)) == {"hx", "environ"}


def test_a_helper_a_kept_function_calls_is_kept_for_its_summary():
    # ``_keep``'s body names nothing of HTTP, but close-response reads it to decide whether
    # ``f``'s response may be closed; a stub in its place would look like it keeps nothing.
    source = textwrap.dedent(
        """\
        import requests

        KEEP = []

        def _keep(resp):
            x = 1
            KEEP.append(resp)

        def _unused(resp):
            x = 1
            return x

        def f(u):
            r = requests.get(u, stream=True)
            _keep(r)
            return r.status_code
        """
    )
    assert _hidden_names(source) == ["_unused"]
    result = _both(source, ("close-response",))
    assert result.status == engine.UNCHANGED
    assert any("`_keep`" in s.reason for s in result.sites), result.sites


def test_every_method_of_a_class_a_kept_function_names_is_kept_for_its_summary():
    # close-client reads all of ``Api``'s methods to decide whether only the instance holds
    # the session (closing/summaries.py, ``holds_in_result``); ``_register`` names nothing of
    # HTTP and no kept function names it, but a stub would hide that it keeps the session.
    source = textwrap.dedent(
        """\
        import requests

        KEEP = []

        class Api:
            def __init__(self, session):
                self.session = session
                self.n = 0

            def _register(self):
                self.n += 1
                KEEP.append(self.session)

        class Other:
            def unused(self):
                x = 1
                return x

        def f(u):
            s = requests.Session()
            api = Api(s)
            print(api.n)
        """
    )
    assert _hidden_names(source) == ["unused"]
    result = _both(source, ("close-client",))
    assert result.status == engine.UNCHANGED
    assert any("`Api`" in s.reason for s in result.sites), result.sites


def test_the_close_of_an_attribute_a_local_client_is_stored_on_is_kept():
    # hvac/adapters.py: ``session = requests.Session()`` then ``self.session = session``;
    # ``close()`` names nothing of HTTP, but close-client reads it to see that the class
    # closes ``self.session`` (closing/stores.py). As a stub it said "it does not close it".
    source = textwrap.dedent(
        """\
        import requests

        class Adapter:
            def __init__(self, session=None):
                if not session:
                    session = requests.Session()
                self.session = session

            def close(self):
                self.session.close()

            def unused(self):
                x = 1
                return x
        """
    )
    assert _hidden_names(source) == ["unused"]
    result = _both(source, ("close-client",))
    assert result.status == engine.UNCHANGED
    assert not result.sites, result.sites


def test_a_hidden_body_that_starts_with_a_decorated_function_is_hidden_from_its_decorator(monkeypatch):
    # The stub stood on the nested ``def`` line, under its ``@wraps(func)``: libcst refused the
    # pruned file and the engine ran it again without hiding (mlflow's server/handlers.py).
    source = textwrap.dedent(
        """\
        import requests
        from functools import wraps


        def decorate(func):
            @wraps(func)
            def wrapper(*args):
                return func(*args)

            return wrapper


        def fetch(url):
            return requests.get(url, stream=True)
        """
    )
    assert _hidden_names(source) == ["decorate"]
    hidden = prune.hide(source.encode(), prefilter.parse_ast(source.encode()), registry.watched_names(DEFAULT))
    assert hidden is not None and b"@wraps" not in hidden.data
    cst.parse_module(hidden.data)
    calls = []
    monkeypatch.setattr(engine, "_without_hiding", lambda *args: calls.append(args))
    result = _both(source)
    assert result.status == engine.CHANGED and not calls
