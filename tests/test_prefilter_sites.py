"""The ast stage's per-codemod rule (``prefilter.possible_sites``): a file that imports an HTTP
library but where no selected codemod can find a target is decided without LibCST, with the
result LibCST would give (no change, no site); near misses still reach LibCST."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from codemods import engine, prefilter, registry
from codemods.discover import discover
from tests.helpers import make_project

DEFAULT = tuple(registry.default_names())
SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def _settings(codemods=DEFAULT) -> engine.Settings:
    return engine.Settings(codemods=tuple(codemods), mode=engine.CHECK)


def _forced(data: bytes, monkeypatch, codemods=DEFAULT) -> engine.FileResult:
    """The file through LibCST as before the rule: every file the ast stage passes goes on."""
    with monkeypatch.context() as patched:
        patched.setattr(prefilter, "possible_sites", lambda *args: True)
        return engine.process_source(data, "m.py", _settings(codemods))


#: Files that import a library and name a target, where no codemod finds one.
NO_SITE = {
    "stored on self, no stream": (
        "import requests\n\n"
        "class Api:\n"
        "    def __init__(self):\n"
        "        self.session = requests.Session()\n\n"
        "    def fetch(self, url):\n"
        "        return self.session.get(url).json()\n"
    ),
    "already in with": (
        "from urllib.request import urlopen\nimport httpx\n\n"
        "def fetch(url):\n"
        "    with urlopen(url) as r:\n"
        "        return r.read()\n\n"
        "def other(url):\n"
        "    with httpx.Client() as c:\n"
        "        return c.get(url).text\n"
    ),
    "annotation only": (
        "import aiohttp\n\n"
        "async def fetch(session: aiohttp.ClientSession, url: str) -> int:\n"
        "    return await helper(session, url)\n"
    ),
    "a client made inline or annotated": (
        "import requests\n\n"
        "def make(s=None):\n"
        "    s = s or requests.Session()\n"
        "    x: requests.Session = requests.Session()\n"
        "    return s, x\n"
    ),
    "a module function referenced, not assigned nor branched": (
        "import requests\n\ndef fetch(pool, url):\n    return pool.submit(requests.get, url), requests.get.__name__\n"
    ),
    "stream=False, an open() of no opener": (
        "import requests\n\n"
        "def fetch(s: requests.Session, url, path):\n"
        "    r = s.get(url, stream=False)\n"
        "    path.open().write(r.text)\n"
    ),
}


@pytest.mark.parametrize("name", sorted(NO_SITE))
def test_no_target_is_decided_without_libcst(name, monkeypatch):
    data = NO_SITE[name].encode()
    assert prefilter.screen(data).candidate  # the import stage alone passes it
    verdict = prefilter.screen(data, (), DEFAULT)
    assert not verdict.candidate
    before = engine.PARSE_COUNT
    result = engine.process_source(data, "m.py", _settings())
    assert result.status == engine.SKIPPED and engine.PARSE_COUNT == before
    forced = _forced(data, monkeypatch)  # what LibCST says: nothing
    assert forced.status == engine.UNCHANGED and forced.sites == [], forced.sites


#: Near misses of those: one node differs, and a codemod fixes or reports it.
NEAR_MISS = {
    "client bound to a name": (
        "import requests\n\ndef fetch(url):\n    s = requests.Session()\n    return s.get(url).json()\n",
        "close-client",
    ),
    "client under an alias": (
        "from requests import Session as S\n\ndef fetch(url):\n    s = S()\n    return s.get(url).json()\n",
        "close-client",
    ),
    "urlopen bound, not in with": (
        "from urllib.request import urlopen\n\ndef fetch(url):\n    r = urlopen(url)\n    return r.read()\n",
        "close-response",
    ),
    "urlopen under an alias": (
        "import urllib.request as u\nfrom urllib.request import urlopen as op\n\n"
        "def fetch(url):\n    r = op(url)\n    return r.read()\n",
        "close-response",
    ),
    "held client, stream=True": (
        "import requests\n\n"
        "class Api:\n"
        "    def __init__(self):\n"
        "        self.session = requests.Session()\n\n"
        "    def fetch(self, url):\n"
        "        r = self.session.get(url, stream=True)\n"
        "        return r.json()\n"
    ),
    "awaited aiohttp request": (
        "import aiohttp\n\n"
        "async def fetch(session: aiohttp.ClientSession, url: str) -> int:\n"
        "    r = await session.get(url)\n"
        "    return r.status\n"
    ),
    "opener of build_opener": (
        "import urllib.request\n\n"
        "OPEN = urllib.request.urlopen\n\n"
        "def fetch(url):\n"
        "    opener = urllib.request.build_opener()\n"
        "    r = opener.open(url)\n"
        "    return r.read()\n"
    ),
    "opener of build_opener, no urlopen named": (
        "from urllib.request import build_opener as bo\n\n"
        "def fetch(url):\n"
        "    opener = bo()\n"
        "    r = opener.open(url)\n"
        "    return r.read()\n"
    ),
    "stream=True on a parameter": (
        "import requests\n\n"
        "def fetch(s: requests.Session, url, path):\n"
        "    r = s.get(url, stream=True)\n"
        "    path.open().write(r.text)\n"
    ),
    "bare module function": (
        "import requests\n\ndef fetch(url):\n    return requests.get(url).json()\n",
        "share-session",
    ),
    "a reference to a module function, called through a local": (
        "import requests\n\ndef fetch(url, p):\n    fn = requests.post if p else requests.get\n    return fn(url)\n",
        "share-session",
    ),
    "a conditional of module functions, called": (
        "from requests import put, delete\n\ndef send(url, p):\n    return (put if p else delete)(url)\n",
        "share-session",
    ),
    "a reference stored on an attribute": (
        "import httpx\n\nclass Api:\n    def __init__(self):\n        self.fn = httpx.get\n",
        "share-session",
    ),
}


@pytest.mark.parametrize("name", sorted(NEAR_MISS))
def test_near_misses_still_reach_libcst(name, monkeypatch):
    case = NEAR_MISS[name]
    source, codemod = case if isinstance(case, tuple) else (case, "close-response")
    data = source.encode()
    verdict = prefilter.screen(data, (), DEFAULT)
    assert verdict.candidate
    result = engine.process_source(data, "m.py", _settings())
    assert [s for s in result.sites if s.codemod == codemod], result.sites
    assert result.sites == _forced(data, monkeypatch).sites


def test_rule_only_for_codemods_it_knows():
    """A codemod without a rule (add-timeout) sees every file the ast stage passes."""
    data = NO_SITE["stored on self, no stream"].encode()
    assert prefilter.screen(data, (), ("add-timeout",)).candidate
    assert not prefilter.screen(data, (), ("close-client",)).candidate


def test_factory_names_are_close_response_targets():
    source = "import requests\n\ndef fetch(s: requests.Session, url):\n    r = _open(url)\n    return r.read()\n"
    data = source.encode()
    assert not prefilter.screen(data, (), DEFAULT).candidate
    assert prefilter.screen(data, (), DEFAULT, ("_open",)).candidate


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_samples_rule_agrees_with_libcst(path, monkeypatch):
    """On the samples, per codemod: a file the rule rejects gets no site from it."""
    data = path.read_bytes()
    for codemod in DEFAULT:
        if not prefilter.screen(data, (), (codemod,)).candidate:
            assert _forced(data, monkeypatch, (codemod,)).sites == []


# -- factory names: import-aware ------------------------------------------------------------

REACH = prefilter.FactoryReach(frozenset({"_open"}), ("pkg.net._open",), frozenset({"pkg.other"}))


@pytest.mark.parametrize(
    "source",
    [
        "def _open(path):\n    return open(path)\n\nx = _open('a')\n",  # its own ``_open``
        "from pkg.files import _open\n\nx = _open('a')\n",  # another module's
        "import pkg.files as net\n\nx = net._open('a')\n",
        "from .files import _open\n\nx = _open('a')\n",
    ],
)
def test_a_factory_name_without_an_import_of_it_does_not_reach_it(source):
    tree = ast.parse(source)
    assert not prefilter.reaches_factory(tree, REACH)
    verdict = prefilter.screen(source.encode(), ("_open",), DEFAULT, ("_open",), REACH)
    assert not verdict.candidate  # no HTTP library either: skipped
    # without the reach, as before: the name disables the ast stage
    assert prefilter.screen(source.encode(), ("_open",), DEFAULT, ("_open",)).candidate


@pytest.mark.parametrize(
    "source",
    [
        "from pkg.net import _open\n\nx = _open('a')\n",
        "from pkg.net import _open as go\n\nx = go('a')\n",
        "from pkg import net\n\nx = net._open('a')\n",
        "import pkg.net\n\nx = pkg.net._open('a')\n",
        "import pkg\n\nx = pkg.net._open('a')\n",
        "from . import net\n\nx = net._open('a')\n",
        "from .net import _open\n\nx = _open('a')\n",
        "from pkg.net import *\n\nx = _open('a')\n",
        "def f():\n    from pkg.net import _open\n    return _open('a')\n",
    ],
)
def test_an_import_of_a_factory_or_its_module_reaches_it(source):
    assert prefilter.reaches_factory(ast.parse(source), REACH)
    assert prefilter.screen(source.encode(), ("_open",), DEFAULT, ("_open",), REACH).candidate


def test_the_factorys_own_module_reaches_it():
    own = prefilter.FactoryReach(frozenset({"_open"}), ("pkg.net._open",), frozenset({"pkg.net"}))
    method = prefilter.FactoryReach(frozenset({"_open"}), ("pkg.net.Api._open",), frozenset({"pkg.net"}))
    nested = prefilter.FactoryReach(frozenset({"_open"}), ("pkg.net.Api.Inner._open",), frozenset({"pkg.net"}))
    tree = ast.parse("x = 1\n")
    assert all(prefilter.reaches_factory(tree, reach) for reach in (own, method, nested))


FACTORY = """\
from urllib.request import urlopen


def _open(url):
    return urlopen(url)
"""
CALLER = "from pkg.net import _open\n\n\ndef read(url):\n    response = _open(url)\n    return response.read()\n"
#: Names ``_open`` too (its own), imports no HTTP library: LibCST never sees it.
UNRELATED = (
    "def _open(path):\n    return open(path)\n\n\ndef read(path):\n    handle = _open(path)\n    return handle.read()\n"
)


def test_factory_callers_in_a_project(tmp_path, monkeypatch):
    from codemods import facts

    root = make_project(tmp_path, {"pkg/net.py": FACTORY, "pkg/caller.py": CALLER, "pkg/files.py": UNRELATED})
    found = discover([str(root)], [])
    project = facts.collect(found.files, found.roots)
    settings = engine.Settings(codemods=DEFAULT, mode=engine.CHECK, facts=project)
    by_name = {Path(p).name: p for p in found.files}
    caller = engine.process_path(by_name["caller.py"], settings)
    assert [s.codemod for s in caller.sites] == ["close-response"] and caller.status == engine.CHANGED
    unrelated = engine.process_path(by_name["files.py"], settings)
    assert unrelated.status == engine.SKIPPED
    with monkeypatch.context() as patched:  # as before: the name alone sends it to LibCST
        patched.setattr(engine, "factory_reach", lambda *args: None)
        forced = engine.process_path(by_name["files.py"], settings)
    assert forced.status == engine.UNCHANGED and forced.sites == []
    assert engine.screen_key(settings, by_name["files.py"]) != engine.screen_key(settings, by_name["net.py"])


@pytest.mark.parametrize(
    "source",
    [
        "from pkg import net\n\n# net._open(url) is not called here\nx = net.other('a')\n",
        "from pkg.net import _open\n\nx = _open\n",
    ],
)
def test_a_file_that_reaches_a_factory_but_calls_no_target_is_skipped(source, monkeypatch):
    assert prefilter.reaches_factory(ast.parse(source), REACH)
    verdict = prefilter.screen(source.encode(), ("_open",), DEFAULT, ("_open",), REACH)
    assert not verdict.candidate
    # through LibCST anyway: no site, no change
    with monkeypatch.context() as patched:
        patched.setattr(prefilter, "possible_sites", lambda *args: True)
        patched.setattr(engine, "words_for", lambda *args: ("_open",))
        patched.setattr(engine, "factory_names", lambda *args: ("_open",))
        patched.setattr(engine, "factory_reach", lambda *args: REACH)
        forced = engine.process_source(source.encode(), "m.py", _settings(DEFAULT))
    assert forced.sites == [] and forced.status == engine.UNCHANGED
