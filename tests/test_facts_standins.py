"""What a test hands the code instead of a response (``facts/standins.py``): a stand-in known to
have ``close()`` keeps close-response's ``contextlib.closing`` fix safe (``Patch.stand_in``
false), anything else, or a test that counts the calls of its ``close()``, makes it unsafe."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from codemods import facts
from codemods.discover import discover
from codemods.facts.standins import CLOSE, MOCK, StandIns
from codemods.facts.visitor import _Names
from tests.helpers import cli_sites, make_project

MOD = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"

#: Classes and fakes of the test module the shapes below use.
FAKES = """\
import io
from unittest import mock

import requests


class Plain:
    status_code = 200


class Closing:
    def close(self):
        pass


class Sub(requests.Response):
    pass


class SubOfClosing(Closing):
    pass


def fake_closing(*args, **kwargs):
    return Closing()


def fake_plain(*args, **kwargs):
    return Plain()


def made():
    response = io.BytesIO(b"x")
    response.status = 200
    return response


def made_requests():
    response = requests.Response()
    response.status_code = 200
    return response
"""


def stand_in(tmp_path: Path, body: str, patch: str = "@mock.patch('pkg.mod.requests.get')") -> bool:
    """``Patch.stand_in`` of the one patch of ``pkg.mod.requests.get`` a test module makes."""
    lines = textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")
    test = f"{FAKES}\n\n{patch}\ndef test_it(m, monkeypatch, x):\n{lines}\n"
    root = make_project(tmp_path, {"pkg/mod.py": MOD, "tests/test_mod.py": test})
    found = discover([str(root)], [])
    patches = [p for p in facts.collect(found.files, found.roots).patches if p.target.endswith("requests.get")]
    assert len(patches) == 1, patches
    return patches[0].stand_in


@pytest.mark.parametrize(
    "body",
    [
        "m.return_value = mock.Mock()",
        "m.return_value = mock.MagicMock(status_code=200)",
        "m.return_value = mock.NonCallableMagicMock()",
        "r = mock.Mock()\nr.read.return_value = b'x'\nm.return_value = r",
        "r = mock.Mock()\nm.return_value = r\nr = Plain()",  # rebound after: the Mock is what m hands back
        "with mock.patch('os.getcwd'):\n    r = mock.Mock()\n    m.return_value = r",
        "m.return_value = mock.create_autospec(requests.Response)",
        "m.return_value = mock.Mock(spec=requests.Response)",
        "m.return_value = mock.Mock(spec=['close', 'read'])",
        "m.return_value = mock.Mock(spec=Closing)",
        "m.return_value = Closing()",
        "m.return_value = SubOfClosing()",
        "m.return_value = io.BytesIO(b'x')",
        "m.return_value = made()",
        "m.side_effect = fake_closing",
        "m.side_effect = [Closing(), requests.ConnectionError()]",
        "m.side_effect = lambda *a, **k: Closing()",
        "m.return_value.close.return_value = None",  # not a count of its calls
    ],
)
def test_a_stand_in_known_to_have_close_keeps_closing_safe(tmp_path, body):
    assert stand_in(tmp_path, body) is False


@pytest.mark.parametrize(
    "body",
    [
        "m.return_value = Plain()",
        # requests.Response().close() raises AttributeError: its raw is None (langchain's shape).
        "m.return_value = requests.Response()",
        "m.return_value = Sub()",
        "m.return_value = made_requests()",
        "m.return_value = mock.Mock(spec=Plain)",
        "m.return_value = mock.Mock(spec_set=['json'])",
        "m.return_value = mock.create_autospec(Plain)",
        "m.return_value = x",  # a fixture's value: unknown
        "m.return_value = mock.AsyncMock()",  # its close() is a coroutine nobody awaits
        "m.return_value = mock.Mock(wraps=Plain())",  # its close is Plain's: none
        "r = mock.Mock()\nif x:\n    r = Plain()\nm.return_value = r",
        "for i in range(2):\n    r = mock.Mock()\n    m.return_value = r\n    r = Plain()",
        "m.side_effect = fake_plain",
        "m.side_effect = lambda *a, **k: {'a': 1}",
        "m.side_effect = [Closing(), Plain()]",
        "m.return_value = mock.Mock()\nm.return_value.close.assert_not_called()",
        "r = mock.Mock()\nm.return_value = r\nassert r.close.call_count == 1",
        "m.return_value.close.assert_called_once()",
    ],
)
def test_anything_else_or_a_count_of_close_calls_is_a_stand_in(tmp_path, body):
    assert stand_in(tmp_path, body) is True


@pytest.mark.parametrize(
    "call, expected",
    [
        ("monkeypatch.setattr(requests, 'get', fake_closing)", False),
        ("monkeypatch.setattr(requests, 'get', lambda *a, **k: Closing())", False),
        ("monkeypatch.setattr(requests, 'get', mock.MagicMock())", False),
        ("monkeypatch.setattr('requests.get', fake_closing)", False),
        ("monkeypatch.setattr(requests, 'get', Closing)", False),
        ("setattr(requests, 'get', fake_closing)", False),
        ("requests.get = fake_closing", False),
        ("monkeypatch.setattr(requests, 'get', fake_plain)", True),
        ("monkeypatch.setattr(requests, 'get', Plain)", True),
        ("monkeypatch.setattr(requests, 'get', mock.MagicMock(return_value=Plain()))", True),
        ("monkeypatch.setattr(requests, 'get', lambda *a, **k: {'a': 1})", True),
        ("monkeypatch.setattr(requests, 'get', lambda *a, **k: made())", False),
        ("monkeypatch.setattr(requests, 'get', lambda *a, **k: made_requests())", True),
    ],
)
def test_a_replacement_that_hands_back_a_closeable_object(tmp_path, call, expected):
    """langchain's shape: ``monkeypatch.setattr(requests, 'post', mock_post)`` whose every
    return is an object made by a helper (a ``requests.Response()`` there, whose ``close()``
    raises: unsafe)."""
    lines = textwrap.indent(call, "    ")
    test = f"{FAKES}\n\ndef test_it(monkeypatch):\n{lines}\n"
    root = make_project(tmp_path, {"pkg/mod.py": MOD, "tests/test_mod.py": test})
    found = discover([str(root)], [])
    patches = [p for p in facts.collect(found.files, found.roots).patches if p.target == "requests.get"]
    assert [p.stand_in for p in patches] == [expected], patches


@pytest.mark.parametrize(
    "patch, expected",
    [
        ("@mock.patch('pkg.mod.requests.get', fake_closing)", False),
        ("@mock.patch('pkg.mod.requests.get', new=mock.MagicMock())", False),
        ("@mock.patch('pkg.mod.requests.get', new_callable=mock.MagicMock)", False),
        ("@mock.patch('pkg.mod.requests.get', return_value=Closing())", False),
        ("@mock.patch('pkg.mod.requests.get', fake_plain)", True),
        ("@mock.patch('pkg.mod.requests.get', return_value=Plain())", True),
        ("@mock.patch('pkg.mod.requests.get', new_callable=Plain)", True),
        # Not the call that makes the response: the code gets Closing().get(...), unknown.
        ("@mock.patch('pkg.mod.requests', return_value=Closing())", True),
    ],
)
def test_a_patch_given_its_replacement(tmp_path, patch, expected):
    target = "pkg.mod.requests" if "'pkg.mod.requests'" in patch else "pkg.mod.requests.get"
    test = f"{FAKES}\n\n{patch}\ndef test_it(*args):\n    pass\n"
    root = make_project(tmp_path, {"pkg/mod.py": MOD, "tests/test_mod.py": test})
    found = discover([str(root)], [])
    patches = [p for p in facts.collect(found.files, found.roots).patches if p.target == target]
    assert [p.stand_in for p in patches] == [expected], patches


def test_one_patchs_chosen_result_does_not_concern_another_patch_of_the_function(tmp_path):
    """pytube's ``with patch('pytube.request.head') as mock_head: with patch(...urlopen) as
    mock_url_open:``: ``mock_head.side_effect = [HTTPError(...), *headers]`` is head's."""
    body = (
        "with mock.patch('pkg.mod.head') as h:\n"
        "    with mock.patch('pkg.mod.requests.get') as m:\n"
        "        r = mock.Mock()\n"
        "        m.return_value = r\n"
        "        h.side_effect = [Plain(), *x]\n"
    )
    assert stand_in(tmp_path, body, patch="") is False
    body = body.replace("h.side_effect", "m.side_effect")
    assert stand_in(tmp_path / "b", body, patch="") is True


def grades(source: str, expression: str) -> object:
    """``StandIns.value`` of ``expression`` read at the last line of ``source``."""
    tree = ast.parse(source + f"\n_ = {expression}\n")
    names = _Names(tree, "")
    names._imports(list(ast.walk(tree)))
    last = tree.body[-1]
    assert isinstance(last, ast.Assign)
    return StandIns(tree, names.dotted).value(last.value, last.lineno)


def test_grades_of_the_stand_ins():
    source = "import requests\nfrom unittest import mock\nfrom unittest.mock import MagicMock\n"
    assert grades(source, "MagicMock()") == MOCK
    assert grades(source, "mock.Mock(return_value=1)") == CLOSE  # it has close; its results are the test's
    assert grades(source, "mock.Mock(spec=requests.Response)") == CLOSE
    assert grades(source, "mock.Mock(**kw)") is None
    assert grades(source, "MagicMock().return_value") == MOCK
    assert grades(source, "requests.Response()") is None  # its close() raises on raw None
    assert grades(source, "mock.create_autospec(requests.Response)") == CLOSE
    assert grades(source, "dict()") is None


def test_a_two_file_project_fix_is_safe_under_a_mock_and_unsafe_under_a_fake_without_close(tmp_path):
    code = (
        "import requests\n\n\ndef download(url):\n    r = requests.get(url, stream=True, timeout=5)\n"
        "    if r.status_code != 200:\n        return None\n    return b''.join(r.iter_content(10))\n"
    )
    test = (
        "from unittest import mock\n\nfrom pkg.dl import download\n\n\nclass FakeResponse:\n"
        "    status_code = 200\n\n    def iter_content(self, n):\n        return [b'a']\n\n\n"
        "def test_download():\n    with mock.patch('pkg.dl.requests.get') as m:\n"
        "        m.return_value = mock.Mock()\n        download('u')\n"
    )
    closing = "with contextlib.closing(requests.get(url, stream=True, timeout=5)) as r:"
    root = make_project(tmp_path, {"pkg/dl.py": code, "tests/test_dl.py": test})
    [(line, action, reason)] = cli_sites(root, "--select", "close-response", "--no-cache")["pkg/dl.py"]
    assert action == "fixed" and "contextlib.closing" in reason, reason
    assert closing in (root / "pkg/dl.py").read_text()
    fake = test.replace("mock.Mock()", "FakeResponse()")
    root = make_project(tmp_path / "fake", {"pkg/dl.py": code, "tests/test_dl.py": fake})
    [(line, action, reason)] = cli_sites(root, "--select", "close-response", "--no-cache")["pkg/dl.py"]
    assert action == "reported" and reason.endswith("fixable with --unsafe-fixes"), reason
    assert "mock.patch('pkg.dl.requests.get')" in reason and "tests/test_dl.py:14" in reason, reason
    assert (root / "pkg/dl.py").read_text() == code
    [(line, action, reason)] = cli_sites(root, "--select", "close-response", "--no-cache", "--unsafe-fixes")[
        "pkg/dl.py"
    ]
    assert action == "fixed" and closing in (root / "pkg/dl.py").read_text()


@pytest.mark.parametrize(
    "test, safe",
    [
        # pytube's shapes: a Mock handed back by the call inside the factory.
        ("with mock.patch('pkg.request.urlopen') as m:\n        m.return_value = mock.Mock()", True),
        # A function of the factory's module that is no factory: its patch cannot change what
        # the factory returns (pytube's ``patch('pytube.request.head')`` with chosen results).
        ("with mock.patch('pkg.request.get') as m:\n        m.return_value = Plain()", True),
        ("with mock.patch('pkg.request.urlopen') as m:\n        m.return_value = Plain()", False),
        ("with mock.patch('pkg.request._execute_request', return_value=Plain()):\n        pass", False),
        ("with mock.patch('pkg.request.open_it', fake_plain):\n        pass", False),
        ("with mock.patch('urllib.request.urlopen') as m:\n        m.return_value = Plain()", False),
    ],
)
def test_a_factorys_callers_are_judged_on_every_patch_that_may_replace_its_response(tmp_path, test, safe):
    from tests.test_close_factories import CALLER, FACTORY

    module = f"{FAKES}\nfrom pkg import caller\n\n\ndef test_it():\n    {test}\n"  # it reaches the factory
    root = make_project(tmp_path, {"pkg/request.py": FACTORY, "pkg/caller.py": CALLER, "tests/test_caller.py": module})
    found = discover([str(root)], [])
    project = facts.collect(found.files, found.roots)
    [factory] = [f for f in project.factories if f.name == "_execute_request"]
    assert factory.mocked
    assert (project.factory_stand_in(factory) is None) is safe, project.factory_stand_in(factory)
    actions = [a for _, a, _ in cli_sites(root, "--select", "close-response", "--no-cache")["pkg/caller.py"]]
    assert actions == (["fixed", "fixed"] if safe else ["reported", "reported"])


def test_recursion_and_long_chains_end_unknown():
    """A fake that calls itself, or a chain of fakes deeper than the reads allowed, is unknown
    (memoised per function: a module of many branching fakes is read in linear time)."""
    source = "from unittest import mock\n\n\ndef again():\n    return again()\n"
    assert grades(source, "again()") is None
    chain = "from unittest import mock\n"
    for i in range(40):
        last = f"f{i + 1}()" if i < 39 else "mock.Mock()"
        chain += f"\n\ndef f{i}(x=0):\n    if x:\n        return {last}\n    return {last}\n"
    assert grades(chain, "f0()") is None
    assert grades(chain, "f38()") == MOCK


def test_walk_and_children_are_ast_walk_and_iter_child_nodes_in_order():
    from codemods.facts.standins import children, walk, walk_module

    source = (
        "import mock\n"
        "@mock.patch('a.b', new=1)\n"
        "def test(m, *a, k=2, **kw):\n"
        "    try:\n        x = [i for i in m() if i]\n    except (E, F) as e:\n        del x\n"
        "    match m:\n        case {'k': [1, *r]}:\n            pass\n"
        "    with m() as (p, q), n:\n        m.return_value.close.assert_called_once()\n"
        "class C(B, metaclass=M):\n    y: int = lambda: (yield)\n"
    )
    tree = ast.parse(source)
    expected = list(ast.walk(tree))
    assert [id(n) for n in walk(tree)] == [id(n) for n in expected]
    assert walk_module(tree) is walk_module(tree)
    assert [id(n) for n in walk_module(tree)] == [id(n) for n in expected]
    for node in expected:
        assert [id(c) for c in children(node)] == [id(c) for c in ast.iter_child_nodes(node)]
    other = ast.parse("x = 1\n")
    assert [id(n) for n in walk_module(other)] == [id(n) for n in ast.walk(other)]


#: biopython's Tests/test_Entrez.py: a test-module helper makes the stand-in, another returns
#: the patcher with ``return_value=`` a name bound to the first's result.
HELPERS = """\
from unittest import mock


class Plain:
    status_code = 200


def mock_response(code=200):
    resp = {made}
    resp.code = code
    return resp


def patch_urlopen(**kwargs):
    response = mock_response(**kwargs)
    return mock.patch("pkg.request.urlopen", return_value=response)


def test_it():
    with patch_urlopen() as patched:
        pass
"""


@pytest.mark.parametrize(
    "made, safe",
    [
        # No spec: it has every attribute, close() too, and no __enter__ (``with`` fails on it).
        ("mock.NonCallableMock()", True),
        ("mock.Mock()", True),
        # A spec without close: ``closing`` would raise AttributeError.
        ("mock.NonCallableMock(spec=Plain)", False),
        ("mock.NonCallableMock(spec_set=Plain)", False),
        ("mock.create_autospec(Plain)", False),
        ("Plain()", False),  # a class of the test without close
        ("make_it()", False),  # a helper imported from elsewhere: unknown
    ],
)
def test_a_stand_in_made_by_a_test_modules_helpers_is_read(tmp_path, made, safe):
    from tests.test_close_factories import CALLER, FACTORY

    module = HELPERS.format(made=made)
    if made == "make_it()":
        module = "from tests.helpers_elsewhere import make_it\n" + module
    root = make_project(tmp_path, {"pkg/request.py": FACTORY, "pkg/caller.py": CALLER, "tests/test_caller.py": module})
    found = discover([str(root)], [])
    project = facts.collect(found.files, found.roots)
    [factory] = [f for f in project.factories if f.name == "_execute_request"]
    assert (project.factory_stand_in(factory) is None) is safe, project.factory_stand_in(factory)
    sites = cli_sites(root, "--select", "close-response", "--no-cache")["pkg/caller.py"]
    if safe:
        assert [a for _, a, _ in sites] == ["fixed", "fixed"], sites
        assert "contextlib.closing(request._execute_request(url))" in (root / "pkg/caller.py").read_text()
    else:
        assert [a for _, a, _ in sites] == ["reported", "reported"], sites
        for _, _, reason in sites:
            assert reason.endswith("fixable with --unsafe-fixes"), reason
            # The patch that may replace it, where it stands: not a statement of the factory.
            line = 16 + (made == "make_it()")
            assert f"(`mock.patch('pkg.request.urlopen')` at tests/test_caller.py:{line})" in reason, reason


def test_a_patch_that_sets_a_literal_hands_no_stand_in(tmp_path):
    """biopython's ``mock.patch("Bio.Entrez." + param, alt_value)``, ``alt_value`` from a loop
    over literals and a dict of them; nltk's ``monkeypatch.setattr(pathsec, "ENFORCE", True)``."""
    from tests.test_close_factories import CALLER, FACTORY

    # A module that names requests: a patch of a target it cannot read is recorded.
    module = (
        "import requests\n"
        + HELPERS.format(made="mock.NonCallableMock()")
        + (
            "\n\ndef test_globals(monkeypatch):\n"
            "    alt = {'tool': 'mytool', 'email': 'e@example.com'}\n"
            "    monkeypatch.setattr('pkg.request.ENFORCE', True)\n"
            "    for param in alt.keys():\n"
            "        for value in [alt[param], None]:\n"
            "            with patch_urlopen(), mock.patch('pkg.request.' + param, value):\n"
            "                pass\n"
        )
    )
    root = make_project(tmp_path, {"pkg/request.py": FACTORY, "pkg/caller.py": CALLER, "tests/test_caller.py": module})
    found = discover([str(root)], [])
    project = facts.collect(found.files, found.roots)
    [factory] = [f for f in project.factories if f.name == "_execute_request"]
    assert project.factory_stand_in(factory) is None
    # The same loop over something else than literals: the value is unknown.
    unknown = module.replace("[alt[param], None]", "[alt[param], object()]")
    root = make_project(
        tmp_path / "unknown", {"pkg/request.py": FACTORY, "pkg/caller.py": CALLER, "tests/test_caller.py": unknown}
    )
    found = discover([str(root)], [])
    project = facts.collect(found.files, found.roots)
    [factory] = [f for f in project.factories if f.name == "_execute_request"]
    assert "mock.patch('pkg.request.' + param)` at " in (project.factory_stand_in(factory) or "")


def test_keywords_parameters_and_all_are_no_replacement_of_a_factory(tmp_path):
    """``name=`` as a keyword or a parameter's default, and ``"name"`` in ``__all__`` or given
    to a keyword that names no patch target, rebind nothing: the reason names the test's patch
    (biopython's ``ecitmatch=True``, nltk's ``context="pathsec.urlopen"`` were cited before)."""
    from tests.test_close_factories import CALLER, FACTORY

    factory_module = (
        '__all__ = ["_execute_request", "get"]\n' + FACTORY + "\n\ndef build(url, _execute_request=False):\n"
        "    return check(url, _execute_request=True, context='pkg.request._execute_request')\n"
        "\n\ndef check(url, **kwargs):\n    return url\n"
    )
    module = HELPERS.format(made="Plain()")
    root = make_project(
        tmp_path, {"pkg/request.py": factory_module, "pkg/caller.py": CALLER, "tests/test_caller.py": module}
    )
    sites = cli_sites(root, "--select", "close-response", "--no-cache")["pkg/caller.py"]
    assert [a for _, a, _ in sites] == ["reported", "reported"], sites
    for _, _, reason in sites:
        assert reason.startswith(
            "a test may replace the factory or the call it makes (`mock.patch('pkg.request.urlopen')` at "
            "tests/test_caller.py:16); under `with`"
        ), reason
    # A real rebinding still counts, and is what the reason names.
    rebound = module + "\n\ndef test_rebound():\n    import pkg.request as m\n    m._execute_request = lambda u: u\n"
    root = make_project(
        tmp_path / "rebound",
        {"pkg/request.py": factory_module, "pkg/caller.py": CALLER, "tests/test_caller.py": rebound},
    )
    sites = cli_sites(root, "--select", "close-response", "--no-cache")["pkg/caller.py"]
    assert all("m._execute_request = lambda u: u" in reason for _, _, reason in sites), sites


#: nltk's ``pathsec.urlopen`` shape: the response is ``opener.open(...)`` of a ``build_opener``.
OPENER = """\
import os
import urllib.request

from pkg.checks import check

LIMIT = 3


def _execute_request(url):
    # urlopen through an opener of our handlers
    check(url)
    if os.getcwd() == "/" or LIMIT < 0:
        raise ValueError(url)
    handlers = [urllib.request.HTTPHandler()]
    if not urllib.request.getproxies():
        handlers.append(urllib.request.ProxyHandler({}))
    opener = urllib.request.build_opener(*handlers)
    return opener.open(url)
"""

SPY = "def spy(*handlers):\n    return mock.MagicMock()\n\n\n"


@pytest.mark.parametrize(
    "test, safe",
    [
        # Names the response cannot come from: whether the factory raises, not what it returns.
        ("with mock.patch('pkg.request.check', fake_plain):\n        pass", True),
        ("with mock.patch('pkg.request.os.getcwd', fake_plain):\n        pass", True),
        ("monkeypatch.setattr(urllib.request, 'getproxies', lambda: {})", True),
        # The name the response call is made through, replaced by a spy giving a mock.
        ("monkeypatch.setattr(urllib.request, 'build_opener', spy)", True),
        # ... or by one giving an object of a class without ``close``.
        ("monkeypatch.setattr(urllib.request, 'build_opener', fake_plain)", False),
        ("with mock.patch('pkg.request.urllib.request.build_opener', fake_plain):\n        pass", False),
        ("with mock.patch('pkg.request.urllib', Plain()):\n        pass", False),
        # A handler it is built with makes the response.
        ("with mock.patch('pkg.request.urllib.request.HTTPHandler', fake_plain):\n        pass", False),
        # The factory itself.
        ("with mock.patch('pkg.request._execute_request', fake_plain):\n        pass", False),
    ],
)
def test_a_replaced_name_counts_only_if_the_factorys_response_can_come_from_it(tmp_path, test, safe):
    from tests.test_close_factories import CALLER

    # (the test imports the caller: a library patch counts where the test reaches)
    module = (
        f"{FAKES}\nimport urllib.request\n\nfrom pkg import caller\n\n\n{SPY}def test_it(monkeypatch):\n    {test}\n"
    )
    files = {"pkg/request.py": OPENER, "pkg/checks.py": "def check(url):\n    pass\n"}
    root = make_project(tmp_path, {**files, "pkg/caller.py": CALLER, "tests/test_caller.py": module})
    found = discover([str(root)], [])
    project = facts.collect(found.files, found.roots)
    [factory] = [f for f in project.factories if f.name == "_execute_request"]
    assert factory.mocked
    assert (project.factory_stand_in(factory) is None) is safe, project.factory_stand_in(factory)
    sites = cli_sites(root, "--select", "close-response", "--no-cache")["pkg/caller.py"]
    assert [a for _, a, _ in sites] == (["fixed", "fixed"] if safe else ["reported", "reported"]), sites


@pytest.mark.parametrize(
    "body",
    [
        "    def inner():\n        return urllib.request.urlopen(url)\n    return inner()\n",
        "    handlers = []\n    fill(handlers)\n    return urllib.request.build_opener(*handlers).open(url)\n",
        "    global LIMIT\n    return urllib.request.urlopen(url)\n",
    ],
)
def test_a_factory_body_the_reading_cannot_settle_has_no_known_sources(body):
    from codemods.facts.sources import response_sources

    tree = ast.parse(f"import urllib.request\n\n\ndef get(url):\n{body}")
    assert response_sources(tree, tree.body[1]) is None
    known = ast.parse("import urllib.request\n\n\ndef get(url):\n    return urllib.request.urlopen(url)\n")
    assert response_sources(known, known.body[1]) == {"urllib.request.urlopen", "url"}
