"""close-response at the callers of a project's response factories (``facts/factories.py``)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from click.testing import CliRunner

from codemods import facts
from codemods.cli import command
from codemods.discover import discover
from tests.helpers import cli_sites, make_project

FACTORY = """\
from urllib.request import Request, urlopen


def _execute_request(url, data=None):
    if not url.startswith("http"):
        raise ValueError(url)
    return urlopen(Request(url, data=data))


def get(url):
    response = _execute_request(url)
    return response.read().decode()


def open_it(url):
    response = _execute_request(url)
    return response
"""

CALLER = """\
import json

from pkg import request
from pkg.request import _execute_request as run


def fetch(url):
    response = request._execute_request(url)
    return json.loads(response.read())


def fetch_again(url):
    resp = run(url)
    return resp.read()
"""

RELATIVE = """\
from . import request


def fetch(url):
    response = request._execute_request(url)
    return response.read()
"""

METHOD = """\
import requests


class Stream:
    def _create_stream(self, url):
        req = requests.get(url, stream=True, timeout=5)
        if req.status_code != 200:
            raise ValueError(req.text)
        return req

    def size(self, url):
        stream = self._create_stream(url)
        return len(stream.content)
"""


make = make_project


def run(root: Path, *args: str) -> Dict[str, List[Tuple[int, str, str]]]:
    """{path relative to root: [(line, action, reason)]} of a close-response run."""
    return cli_sites(root, "--select", "close-response", "--no-cache", *args)


def factories(root: Path) -> List[str]:
    found = discover([str(root)], [])
    return sorted(q for f in facts.collect(found.files, found.roots).factories for q in f.qualified)


def test_a_factorys_callers_are_closed_in_its_module_and_in_others(tmp_path):
    root = make(tmp_path, {"pkg/request.py": FACTORY, "pkg/caller.py": CALLER, "pkg/rel.py": RELATIVE})
    # ``open_it`` hands its response on: a factory of the factory.
    assert factories(root) == ["pkg.request._execute_request", "pkg.request.open_it"]
    sites = run(root)
    request = sites["pkg/request.py"]
    assert (
        7,
        "reported",
        "the response (or something reading from it) is returned at line 7; the caller may still use it",
    ) in request
    assert (11, "fixed", "closed the response made by `_execute_request` (pkg/request.py:4) with `with`") in request
    # A caller that hands it on is reported, naming the factory.
    assert any(line == 16 and action == "reported" and "made by `_execute_request`" in r for line, action, r in request)
    assert [(line, a) for line, a, _ in sites["pkg/caller.py"]] == [(8, "fixed"), (13, "fixed")]  # an alias too
    assert [a for _, a, _ in sites["pkg/rel.py"]] == ["fixed"]
    cwd = os.getcwd()
    os.chdir(root)
    try:
        CliRunner().invoke(command, ["--select", "close-response", "-j", "1", "--no-cache", "."])
    finally:
        os.chdir(cwd)
    text = (root / "pkg" / "caller.py").read_text()
    assert "    with request._execute_request(url) as response:\n        return json.loads(response.read())\n" in text
    assert "    with run(url) as resp:\n        return resp.read()\n" in text
    for name in ("request.py", "caller.py", "rel.py"):
        compile((root / "pkg" / name).read_text(), name, "exec")
    assert not any(a == "fixed" for s in run(root).values() for _, a, _ in s)  # a second run changes nothing


def test_a_private_method_called_through_self_is_closed(tmp_path):
    root = make(tmp_path, {"pkg/stream.py": METHOD})
    sites = run(root)["pkg/stream.py"]
    assert (12, "fixed", "closed the response made by `Stream._create_stream` (pkg/stream.py:5) with `with`") in sites


def test_a_method_a_subclass_may_override_is_no_factory(tmp_path):
    sub = "from pkg.stream import Stream\n\n\nclass Fake(Stream):\n    def _create_stream(self, url):\n        return None\n"
    root = make(tmp_path, {"pkg/stream.py": METHOD, "pkg/fake.py": sub})
    assert factories(root) == []
    assert [line for line, _, _ in run(root)["pkg/stream.py"]] == [6]  # the factory's own site only
    public = METHOD.replace("_create_stream", "create_stream")
    root = make(tmp_path / "b", {"pkg/stream.py": public})
    assert factories(root) == []


@pytest.mark.parametrize(
    "patched",
    [
        "pkg.request._execute_request",  # the factory itself
        "pkg.request.urlopen",  # pytube's tests: the call inside the factory, returning a Mock()
        "urllib.request.urlopen",  # the library
    ],
)
def test_a_factory_a_test_may_replace_is_an_unsafe_closing_fix_at_its_callers(tmp_path, patched):
    # ``with`` on the Mock the test hands back raises TypeError (no __enter__); closing() binds
    # it and calls its close(), which a Mock has (a safe fix), but an object of the test's own
    # may lack it.
    test = (
        "from unittest import mock\n\nfrom pkg import caller\n\n\nclass Fake:\n    pass\n\n\n"
        f"def test():\n    with mock.patch('{patched}') as m:\n        m.return_value = mock.Mock()\n"
        "        caller.fetch('u')\n"
    )
    root = make(tmp_path, {"pkg/request.py": FACTORY, "pkg/caller.py": CALLER, "tests/test_caller.py": test})
    assert [a for _, a, _ in run(root)["pkg/caller.py"]] == ["fixed", "fixed"]
    assert (
        "    with contextlib.closing(request._execute_request(url)) as response:\n"
        in (root / "pkg" / "caller.py").read_text()
    )
    chosen = test.replace("mock.Mock()", "Fake()")
    root = make(
        tmp_path / "chosen", {"pkg/request.py": FACTORY, "pkg/caller.py": CALLER, "tests/test_caller.py": chosen}
    )
    sites = run(root)["pkg/caller.py"]
    assert [a for _, a, _ in sites] == ["reported", "reported"]
    assert "a test may replace the factory or the call it makes (`" in sites[0][2]
    assert f"mock.patch('{patched}')" in sites[0][2] and "tests/test_caller.py:11" in sites[0][2]
    assert "the response made by `_execute_request` (pkg/request.py:4)" in sites[0][2]
    assert sites[0][2].endswith("fixable with --unsafe-fixes")
    assert [a for _, a, _ in run(root, "--unsafe-fixes")["pkg/caller.py"]] == ["fixed", "fixed"]
    text = (root / "pkg" / "caller.py").read_text()
    assert "    with contextlib.closing(request._execute_request(url)) as response:\n" in text, text
    compile(text, "caller.py", "exec")


def test_functions_that_return_something_else_are_no_factories(tmp_path):
    reads = FACTORY.replace("return urlopen(Request(url, data=data))", "return urlopen(Request(url, data=data)).read()")
    maybe = FACTORY.replace("        raise ValueError(url)", "        return None")
    decorated = FACTORY.replace("def _execute_request", "@functools.lru_cache\ndef _execute_request").replace(
        "from urllib", "import functools\nfrom urllib"
    )
    kept = FACTORY.replace(
        "    return urlopen(Request(url, data=data))",
        "    r = urlopen(Request(url, data=data))\n    KEPT.append(r)\n    return r",
    )
    for i, source in enumerate((reads, maybe, decorated, kept)):
        root = make(tmp_path / str(i), {"pkg/request.py": source, "pkg/caller.py": CALLER})
        assert factories(root) == [], source
        assert "pkg/caller.py" not in run(root)


def test_the_callers_cached_result_follows_the_factory_file(tmp_path):
    root = make(tmp_path, {"pkg/request.py": FACTORY, "pkg/caller.py": CALLER})
    cache = tmp_path / "cache"

    def cached() -> Dict[str, List[Tuple[int, str, str]]]:
        cwd = os.getcwd()
        os.chdir(root)
        try:
            result = CliRunner().invoke(
                command,
                [
                    "--select",
                    "close-response",
                    "--check",
                    "--format",
                    "json",
                    "-j",
                    "1",
                    "--cache-dir",
                    str(cache),
                    ".",
                ],
            )
        finally:
            os.chdir(cwd)
        data = json.loads(result.stdout)
        return {f["path"]: [(s["line"], s["action"]) for s in f["sites"]] for f in data["files"] if f["sites"]}

    assert cached()["pkg/caller.py"] == [(8, "fixed"), (13, "fixed")]
    (root / "pkg" / "request.py").write_text(
        FACTORY.replace("return urlopen(Request(url, data=data))", "return urlopen(Request(url, data=data)).read()")
    )
    assert "pkg/caller.py" not in cached()  # no longer a factory: nothing to close there


def test_a_function_returning_a_factorys_response_is_a_factory_too(tmp_path):
    api = "from pkg import request\n\n\ndef fetch_raw(url):\n    handle = request._execute_request(url)\n    return handle\n"
    use = "from pkg.api import fetch_raw\n\n\ndef size(url):\n    handle = fetch_raw(url)\n    return len(handle.read())\n"
    root = make(tmp_path, {"pkg/request.py": FACTORY, "pkg/api.py": api, "pkg/use.py": use})
    assert factories(root) == ["pkg.api.fetch_raw", "pkg.request._execute_request", "pkg.request.open_it"]
    sites = run(root)
    assert sites["pkg/use.py"] == [(5, "fixed", "closed the response made by `fetch_raw` (pkg/api.py:4) with `with`")]
    assert [a for _, a, _ in sites["pkg/api.py"]] == ["reported"]  # it returns it: its callers close it
    # A test that replaces the inner factory reaches the outer one's callers too.
    # The MagicMock that patch makes has close(): closing() is safe; an object of the test's own
    # (``return_value=object()``) may lack it: reported.
    test = "from unittest import mock\n\n\ndef test():\n    with mock.patch('pkg.request._execute_request'):\n        pass\n"
    root = make(
        tmp_path / "b", {"pkg/request.py": FACTORY, "pkg/api.py": api, "pkg/use.py": use, "tests/test_a.py": test}
    )
    assert [a for _, a, _ in run(root)["pkg/use.py"]] == ["fixed"]
    assert "with contextlib.closing(fetch_raw(url)) as handle:" in (root / "pkg/use.py").read_text()
    chosen = test.replace("_execute_request')", "_execute_request', return_value=object())")
    root = make(
        tmp_path / "c", {"pkg/request.py": FACTORY, "pkg/api.py": api, "pkg/use.py": use, "tests/test_a.py": chosen}
    )
    assert [a for _, a, _ in run(root)["pkg/use.py"]] == ["reported"]


def test_a_swap_of_the_factory_or_an_instance_attribute_of_its_name(tmp_path):
    test = "from pkg import request\n\n\ndef test():\n    request._execute_request = lambda url: None\n"
    root = make(tmp_path, {"pkg/request.py": FACTORY, "pkg/caller.py": CALLER, "tests/test_swap.py": test})
    sites = run(root)["pkg/caller.py"]
    assert [a for _, a, _ in sites] == ["reported", "reported"]
    assert "request._execute_request = lambda url: None` at tests/test_swap.py:5" in sites[0][2]
    shadow = METHOD + "\n    def reset(self):\n        self._create_stream = None\n"
    root = make(tmp_path / "b", {"pkg/stream.py": shadow})
    assert factories(root) == []


def test_the_factory_names_are_prefilter_words_only_in_its_own_project(tmp_path):
    # A factory called `_execute_request` makes every file of *its* project that names it a
    # candidate (it may import no HTTP library), not a file of another project of the run:
    # the corpus's `scan` and `_open` factories had made 250 more files reach LibCST.
    root = make(tmp_path / "a", {"pkg/request.py": FACTORY, "pkg/caller.py": CALLER})
    other = make(tmp_path / "b", {"lib/mod.py": "def f(x):\n    return x._execute_request()\n"})
    found = discover([str(root), str(other)], [])
    known = facts.collect(found.files, found.roots)
    words = {os.path.relpath(p, tmp_path): known.factory_words(p) for p in found.files}
    assert words[os.path.join("a", "proj", "pkg", "caller.py")] == ("_execute_request",)
    assert words[os.path.join("b", "proj", "lib", "mod.py")] == ()


def test_a_with_that_may_swallow_the_exception_is_no_end_of_a_factory(tmp_path):
    # ``with suppress(OSError): return urlopen(u)`` returns None on an error: a caller's
    # ``with _open(u) as r: if r is None: ...`` would crash where the code took the None branch.
    swallowing = (
        "from contextlib import suppress\nfrom urllib.request import urlopen\n\n\n"
        "def _open(u):\n    with suppress(OSError):\n        return urlopen(u)\n"
    )
    assert factories(make(tmp_path, {"pkg/request.py": swallowing})) == []


def test_a_name_that_may_be_bound_to_something_else_is_not_a_factory_call(tmp_path):
    # The fallback import may bind ``get`` to a function that is no factory: the call stays.
    caller = (
        "try:\n    from .request import _execute_request as get\n"
        "except ImportError:\n    from .other import get\n\n\n"
        "def fetch(url):\n    r = get(url)\n    if r is None:\n        return b''\n    return r.read()\n"
    )
    other = "def get(url):\n    return None\n"
    root = make(tmp_path, {"pkg/request.py": FACTORY, "pkg/other.py": other, "pkg/caller.py": caller})
    assert "pkg/caller.py" not in run(root)
    plain = caller.replace(
        "try:\n    from .request import _execute_request as get\nexcept ImportError:\n    from .other import get\n",
        "from .request import _execute_request as get\n",
    )
    root = make(tmp_path / "b", {"pkg/request.py": FACTORY, "pkg/other.py": other, "pkg/caller.py": plain})
    assert [a for _, a, _ in run(root)["pkg/caller.py"]] == ["fixed"]
