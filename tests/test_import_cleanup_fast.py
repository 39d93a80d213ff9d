"""Issue 14: ``remove_unused_imports`` skips its scope analysis for the names a cheap exact
check decides (``import_cleanup._decided``): still read, or spelled nowhere. The check may only
ever decide as the scope analysis would: each case below is run through both, and the near
misses must reach (and be decided by) the analysis."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from codemods import import_cleanup
from tests.helpers import transform


def _decide(source: str, name: str):
    """(kept by the check, dropped by the check, dropped by the scope analysis)"""
    module = cst.parse_module(textwrap.dedent(source))
    kept, unused = import_cleanup._decided(module, {name})
    analysed = import_cleanup._unused_aliases(module, {name})
    if unused:
        assert unused == analysed  # the same alias objects
    return name in kept, bool(unused), bool(analysed)


def _both(source: str, name: str):
    proven, fast_dropped, dropped = _decide(source, name)
    assert not fast_dropped
    return proven, dropped


@pytest.mark.parametrize(
    "source,name",
    [
        ("import requests\n\n_s = requests.Session()\n", "requests"),
        ("import requests\n\ndef f(u):\n    return requests.get(u)\n", "requests"),
        ("from requests import get\n\nclass A:\n    x = get(1)\n", "get"),
        ("import requests\n\ndef f(s: requests.Session):\n    pass\n", "requests"),
        ("import requests\n\n@requests.hook\ndef f():\n    pass\n", "requests"),
        ("import requests\nrequests = requests.wrap(1)\nrequests.get(1)\n", "requests"),
        # nothing that could go: noqa comment, first party, a star import
        ("import requests  # noqa: F401\n", "requests"),
        ("from . import requests\n", "requests"),
        ("from requests import *\n", "requests"),
    ],
)
def test_proven_only_where_the_scope_analysis_keeps_it(source, name):
    proven, dropped = _both(source, name)
    assert proven and not dropped


@pytest.mark.parametrize(
    "source,name,dropped_expected",
    [
        # only a string annotation reads it: the scope analysis decides (and keeps it)
        ("import requests\n\ndef f(u) -> 'requests.Response':\n    return u\n", "requests", False),
        ("import requests\n\nx: 'requests.Session'\n", "requests", False),
        # named in __all__ only (``remove_unused_imports`` keeps it before this check)
        ("import requests\n\n__all__ = ['requests']\n", "requests", True),
        # a read that a nested binding shadows
        ("import requests\n\ndef f(requests):\n    return requests.get(1)\n", "requests", True),
        ("import requests\n\ndef f():\n    requests = g()\n    return requests.get(1)\n", "requests", True),
        ("import requests\n\ndef f():\n    import requests\n    return requests.get(1)\n", "requests", True),
        ("import requests\n\nx = [requests.a for requests in y]\n", "requests", True),
        ("import requests\n\nf = lambda requests: requests.get(1)\n", "requests", True),
        ("import requests\n\ntry:\n    pass\nexcept E as requests:\n    requests.x\n", "requests", False),
        # a read before the import
        ("x = requests.get(1)\nimport requests\n", "requests", True),
        # a keyword of the same name is no read
        ("import requests\n\nf(requests=1)\n", "requests", True),
        # ``import requests.adapters`` binds the dotted name the read resolves to
        ("import requests\nimport requests.adapters\n\nx = requests.adapters.HTTPAdapter\n", "requests", None),
        # a function's own import: its scope decides
        ("def f():\n    import requests\n    return requests.get(1)\n", "requests", False),
        # global: still a read of the module's name, but the check does not try
        ("import requests\n\ndef f():\n    global requests\n    requests.get(1)\n", "requests", False),
    ],
)
def test_near_misses_go_to_the_scope_analysis(source, name, dropped_expected):
    proven, dropped = _both(source, name)
    assert not proven
    if dropped_expected is not None:
        assert dropped is dropped_expected


def _count_analyses(monkeypatch):
    calls = []
    real = import_cleanup._unused_aliases

    def counting(new, fewer):
        calls.append(set(fewer))
        return real(new, fewer)

    monkeypatch.setattr(import_cleanup, "_unused_aliases", counting)
    return calls


SOURCES = [
    "import requests\n\ndef f(u):\n    return requests.get(u).text\n",
    "from requests import get\n\ndef f(u):\n    return get(u).text\n",
    "from requests import get, post\n\ndef f(u):\n    return get(u).text, post(u).text\n",
    "import requests\nfrom requests import get\n\ndef f(u):\n    return get(u).text + requests.get(u).text\n",
    "import requests\n\ndef f(u) -> 'requests.Response':\n    return requests.get(u)\n",
    "__all__ = ['get']\nfrom requests import get\n\ndef f(u):\n    return get(u).text\n",
    "import requests\n\ndef f(u):\n    import requests\n    return requests.get(u).text\n",
    "from requests import get\n\ndef f(u):\n    return get(u).text\n\ndef g(get):\n    return get(1)\n",
]


@pytest.mark.parametrize("source", SOURCES)
def test_the_output_is_the_scope_analysis_output(monkeypatch, source):
    fast, _ = transform(source, ["share-session"])
    monkeypatch.setattr(import_cleanup, "_decided", lambda new, names: (set(), set()))
    slow, _ = transform(source, ["share-session"])
    assert fast == slow


def test_share_session_on_requests_get_needs_no_scope_analysis(monkeypatch):
    calls = _count_analyses(monkeypatch)
    new, _ = transform(SOURCES[0], ["share-session"])
    assert "import requests\n" in new and "_session.get(u)" in new
    assert calls == []


def test_an_import_whose_last_use_went_is_removed_without_scope_analysis(monkeypatch):
    calls = _count_analyses(monkeypatch)
    new, _ = transform(SOURCES[1], ["share-session"])
    assert "from requests import get" not in new and "_session.get(u)" in new, new
    assert calls == []


def test_a_string_annotation_sends_the_name_to_the_scope_analysis(monkeypatch):
    calls = _count_analyses(monkeypatch)
    new, _ = transform(
        "from requests import get, Response\n\ndef f(u) -> 'Response':\n    return get(u)\n\nR = Response\n",
        ["share-session"],
    )
    assert "from requests import Response" in new and "get" not in new.split("def f")[0], new
    assert calls == []  # Response is still read (R = Response): only get went, decided without it


@pytest.mark.parametrize(
    "source,name",
    [
        # the only read went with the removed statement
        ("import requests\n\ndef f(u):\n    return _session.get(u)\n", "requests"),
        ("from requests import get\n\ndef f(u):\n    return _session.get(u)\n", "get"),
        ("import requests.adapters\n\nx = 1\n", "requests"),
        ("def f():\n    import requests\n    return _session.get(1)\n", "requests"),
        ("import requests as r, json\n\nx = json.r\n", "r"),
    ],
)
def test_dropped_by_the_check_exactly_as_by_the_scope_analysis(source, name):
    proven, fast_dropped, dropped = _decide(source, name)
    assert fast_dropped and dropped and not proven


@pytest.mark.parametrize(
    "source,name,dropped_expected",
    [
        # string annotations: libcst reads names in them
        ("import requests\n\ndef f(u) -> 'requests.Response':\n    return u\n", "requests", False),
        ("import requests\n\nx: 'List[requests.Session]'\n", "requests", False),
        # any string that holds the name, and any name spelled so (a keyword, a del, a global)
        ("import requests\n\nx = 'requests'\n", "requests", True),
        ("import requests\n\nf(requests=1)\n", "requests", True),
        ("import requests\n\ndel requests\n", "requests", False),
        ("import requests\n\ndef f():\n    global requests\n    requests = 1\n", "requests", None),
        ("import requests\n\nx = f'{requests}'\n", "requests", False),
    ],
)
def test_not_dropped_by_the_check_where_the_name_is_spelled(source, name, dropped_expected):
    proven, fast_dropped, dropped = _decide(source, name)
    assert not fast_dropped
    if dropped_expected is not None:
        assert dropped is dropped_expected


class _FullDrop(import_cleanup._DropImports):
    """``_DropImports`` walking every node (as before it skipped subtrees without a function)."""

    def on_visit(self, node: cst.CSTNode) -> bool:
        return cst.CSTTransformer.on_visit(self, node)


@pytest.mark.parametrize(
    "source",
    [
        "import os, json\nx = json\n",
        "def f():\n    import os, json\n    return json\n",
        "if True:\n    class A:\n        def m(self):\n            import os\n            return 1\n",
        "x = [lambda: 1 for _ in ()]\ndef g():\n    def h():\n        import os; import json\n        return json\n",
        "async def f():\n    import os\n    # a comment\n    return (1,\n        2)\n",
        "with open(p) as f:\n    def g():\n        import os\ntry:\n    def k():\n        import os\nexcept E:\n    pass\n",
    ],
)
def test_drop_imports_skips_only_subtrees_without_a_function(source):
    """Skipping simple statement lines, expressions and layout gives the code a full walk gives
    (every ``import os`` alias dropped, at any depth: nested functions, classes, blocks)."""
    module = cst.parse_module(source)
    aliases = {
        alias
        for node in import_cleanup.walk(module)
        if isinstance(node, cst.Import)
        for alias in node.names
        if alias.name.value == "os"
    }
    assert aliases
    fast = module.visit(import_cleanup._DropImports(aliases)).code
    assert fast == module.visit(_FullDrop(aliases)).code
    assert "import os" not in fast
