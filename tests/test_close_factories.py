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
    # The factory's own response (line 7) and the caller that hands it on (line 16) are no
    # sites: what a function returns is its caller's to close (closing/factory.py).
    assert request == [(11, "fixed", "closed the response made by `_execute_request` (pkg/request.py:4) with `with`")]
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
    # its own response is handed out, but its callers are no sites (no factory): reported
    [(_, action, reason)] = run(root)["pkg/stream.py"]
    assert action == "reported" and "is no factory of the project" in reason, reason
    public = METHOD.replace("_create_stream", "create_stream")
    root = make(
        tmp_path / "b", {"pkg/stream.py": public, "pkg/fake.py": sub.replace("_create_stream", "create_stream")}
    )
    assert factories(root) == []


def test_a_public_methods_callers_through_self_are_an_unsafe_fix(tmp_path):
    # A subclass outside the project may override ``create_stream`` and return no response.
    public = METHOD.replace("_create_stream", "create_stream")
    root = make(tmp_path, {"pkg/stream.py": public})
    assert factories(root) == ["pkg.stream.Stream.create_stream"]
    sites = run(root)["pkg/stream.py"]
    # line 6: the raise at line 8 left ``create_stream`` with the response (review 25, P2): the
    # response is closed around it (closing/raising.py), an override cannot change that
    assert [(line, action) for line, action, _ in sites] == [(6, "fixed"), (12, "reported")]
    assert (
        "        if req.status_code != 200:\n            with req:\n                raise ValueError(req.text)\n"
        in (root / "pkg" / "stream.py").read_text()
    )
    assert "public method `Stream.create_stream`" in sites[1][2] and "--unsafe-fixes" in sites[1][2]
    sites = run(root, "--unsafe-fixes")["pkg/stream.py"]
    assert [(line, action) for line, action, _ in sites] == [(13, "fixed")]  # still a factory once rewritten
    assert "        with self.create_stream(url) as stream:\n" in (root / "pkg" / "stream.py").read_text()
    # A method calling it through ``self`` is no factory of it: the override would be called.
    through = public + "\n    def _again(self, url):\n        return self.create_stream(url)\n"
    root = make(tmp_path / "b", {"pkg/stream.py": through})
    assert factories(root) == ["pkg.stream.Stream.create_stream"]


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


def test_a_library_patch_of_a_test_that_does_not_reach_the_factory_does_not_replace_it(tmp_path):
    # langchain's test_nuclia.py patches ``requests.post`` while it runs the nuclia tool, which
    # never imports sambanova.py's factories: while that patch is on, their code does not run
    # (the rule ``ProjectFacts.covering_patches`` applies to close-response's own sites).
    other = "def ping():\n    return 1\n"
    test = (
        "from unittest import mock\n\nfrom pkg import other\n\n\nclass Fake:\n    pass\n\n\n"
        "def test():\n    with mock.patch('urllib.request.urlopen') as m:\n        m.return_value = Fake()\n"
        "        other.ping()\n"
    )
    files = {"pkg/request.py": FACTORY, "pkg/caller.py": CALLER, "pkg/other.py": other, "tests/test_other.py": test}
    root = make(tmp_path, files)
    assert [a for _, a, _ in run(root)["pkg/caller.py"]] == ["fixed", "fixed"]
    assert "    with request._execute_request(url) as response:\n" in (root / "pkg" / "caller.py").read_text()
    # The same patch where every test may run it (a conftest), or in a test that reaches the
    # factory through another module, still counts.
    for name, source in (
        ("tests/conftest.py", test),
        ("tests/test_other.py", test.replace("from pkg import other", "from pkg import other, caller")),
    ):
        root = make(tmp_path / name.replace("/", "_"), {**files, name: source})
        sites = run(root)["pkg/caller.py"]
        assert [a for _, a, _ in sites] == ["reported", "reported"], (name, sites)
        assert (
            "a test may replace the factory or the call it makes (`mock.patch('urllib.request.urlopen')`"
            in (sites[0][2])
        )


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
    # May fall off its end: a ``with`` whose exit may swallow the exception (``hands_out``'s flow).
    swallowed = FACTORY.replace(
        "    return urlopen(Request(url, data=data))",
        "    with suppress(OSError):\n        return urlopen(Request(url, data=data))",
    ).replace("from urllib", "from contextlib import suppress\nfrom urllib")
    for i, source in enumerate((reads, maybe, decorated, kept, swallowed)):
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
    assert "pkg/api.py" not in sites  # it returns it: no site, its callers close it
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


def test_the_patch_a_report_names_does_not_depend_on_the_hash_seed(tmp_path):
    # Four tests patch what the factory calls with an object of their own; the report names one. The facts pass
    # collects patches in a set: read in set order, the name changed with PYTHONHASHSEED.
    import subprocess
    import sys

    tests = {
        f"tests/test_{n}.py": f'from unittest import mock\n\n\ndef test_{n}():\n    with mock.patch("pkg.dl.urlopen") as m:\n        m.return_value = object()\n'
        for n in "abcd"
    }
    root = make_project(tmp_path, {"pkg/dl.py": FACTORY, **tests})
    named = set()
    for seed in ("1", "2", "3", "4", "5", "6"):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "codemods",
                "--check",
                "--no-cache",
                "-j",
                "1",
                "--select",
                "close-response",
                "pkg/dl.py",
            ],
            cwd=root,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
            timeout=300,
        )
        [line] = [x for x in out.stdout.splitlines() if ":11:" in x]
        named.add(line)
    assert len(named) == 1, named
    assert "tests/test_a.py:5" in named.pop()


def test_a_factory_that_drops_a_response_on_a_retry_keeps_its_callers_as_sites(tmp_path):
    # shodan stream.py ``_create_stream``: every exit returns a fresh response, so its callers are
    # sites; the response a 524 retry drops is reported at its own binding (not handed out).
    retry = METHOD.replace(
        "        req = requests.get(url, stream=True, timeout=5)\n"
        "        if req.status_code != 200:\n            raise ValueError(req.text)\n",
        "        while True:\n            req = requests.get(url, stream=True, timeout=5)\n"
        "            if req.status_code != 524:\n                break\n",
    )
    root = make(tmp_path, {"pkg/stream.py": retry})
    assert factories(root) == ["pkg.stream.Stream._create_stream"]
    sites = run(root, "--check")["pkg/stream.py"]
    assert [(line, action) for line, action, _ in sites] == [(7, "reported"), (13, "fixed")]


@pytest.mark.parametrize(
    "use",
    [
        "def b(urls):\n    return [r.json() for r in map(_execute_request, urls)]\n",
        "def c(u):\n    f = _execute_request\n    return f(u).read()\n",
        'HANDLERS = {"get": _execute_request}\n',
    ],
)
def test_a_function_named_other_than_in_a_call_is_no_factory(tmp_path, use):
    # review: its callers through another name were silent, and so was the function
    root = make(
        tmp_path, {"pkg/request.py": FACTORY, "pkg/use.py": "from .request import _execute_request\n\n\n" + use}
    )
    assert factories(root) == []
    sites = run(root)["pkg/request.py"]
    assert any(a == "reported" and "no factory of the project" in r for _, a, r in sites), sites


RETRY = """\
import socket
from urllib import error, request


def urlopen_with_retry(*args, **kwargs):
    retry_time = 3
    for i in range(retry_time):
        try:
            return request.urlopen(*args, **kwargs)
        except socket.timeout as e:
            if i + 1 == retry_time:
                raise e
        except error.HTTPError as http_error:
            if i + 1 == retry_time:
                raise http_error


def get_location(url):
    res = urlopen_with_retry(url)
    return res.geturl()
"""


def test_a_retry_loop_whose_last_round_raises_cannot_fall_off_the_factorys_end(tmp_path):
    # you-get ``urlopen_with_retry``: on its last round (``i == 2``) every handler raises
    root = make(tmp_path, {"pkg/request.py": RETRY})
    assert factories(root) == ["pkg.request.urlopen_with_retry"]
    assert run(root, "--check")["pkg/request.py"] == [
        (19, "fixed", "closed the response made by `urlopen_with_retry` (pkg/request.py:5) with `with`")
    ]


@pytest.mark.parametrize(
    "change",
    [
        (
            "if i + 1 == retry_time:\n                raise e",
            "if i == 1:\n                raise e",
        ),  # not its last round
        ("retry_time = 3\n", "retry_time = 3\n    retry_time = retries()\n"),  # not a constant
        ("range(retry_time)", "range(0)"),  # no round at all
        ("range(retry_time)", "range(retry_time, 5)"),
        ("retry_time = 3\n", "retry_time = 3\n    global range\n"),
        ("            if i + 1 == retry_time:\n                raise e", "            i = 2"),  # its target rebound
        ("if i + 1 == retry_time:\n                raise e", "if i + 1 == retry_time:\n                pass"),
        ("range(retry_time)", "range(n)"),  # a name of another scope
        (  # a nested function may rebind its target
            "retry_time = 3\n",
            "retry_time = 3\n\n    def skip():\n        nonlocal i\n        i = 0\n\n    i = 0\n",
        ),
    ],
)
def test_a_retry_loop_that_may_end_after_its_last_round_falls_off_the_end(tmp_path, change):
    source = RETRY.replace(*change)
    root = make(tmp_path, {"pkg/request.py": source})
    assert factories(root) == []
    [(line, action, reason)] = run(root, "--check")["pkg/request.py"]
    made = source.split("\n").index("            return request.urlopen(*args, **kwargs)") + 1
    assert (line, action) == (made, "reported") and "no factory of the project" in reason, reason


READ = """\
from urllib import request


def get_response(url, faker=False):
    if faker:
        response = request.urlopen(request.Request(url, headers={}))
    else:
        response = request.urlopen(url)
    data = response.read()
    if response.info().get("Content-Encoding") == "gzip":
        data = ungzip(data)
    response.data = data
    return response


def get_html(url):
    content = get_response(url).data
    return str(content, "utf-8", "ignore")
"""


def test_a_factory_may_read_a_urlopen_responses_body_and_keep_it_on_the_response(tmp_path):
    # you-get ``get_response``: a urlopen response read to its end is still open (its caller's
    # ``with`` works), and ``response.data = data`` keeps the data, not the response
    root = make(tmp_path, {"pkg/request.py": READ})
    assert factories(root) == ["pkg.request.get_response"]
    assert [(line, action) for line, action, _ in run(root, "--check")["pkg/request.py"]] == [(17, "fixed")]
    # the response kept elsewhere, or closed before it is returned: no factory
    for change in (
        ("response.data = data", "response.data = data\n    KEPT.append(response)"),
        ("data = response.read()", "data = response.read()\n    response.close()"),
        ("response.data = data", "data.owner = response"),
    ):
        root = make(tmp_path / change[1][-12:].strip(), {"pkg/request.py": READ.replace(*change)})
        assert factories(root) == [], change


NESTED = """\
import json

import requests


class Threatnet:
    class Stream:
        def _create_stream(self, name):
            req = requests.get("https://stream.example" + name, stream=True, timeout=5)
            if req.status_code != 200:
                raise ValueError(req.text)
            return req

        def events(self):
            stream = self._create_stream("/events")
            for line in stream.iter_lines():
                if line:
                    yield json.loads(line)
"""


def test_a_method_of_a_class_in_a_class_is_a_factory(tmp_path):
    # shodan threatnet.py ``Threatnet.Stream._create_stream``
    root = make(tmp_path, {"pkg/threatnet.py": NESTED})
    assert factories(root) == ["pkg.threatnet.Threatnet.Stream._create_stream"]
    assert run(root, "--check")["pkg/threatnet.py"] == [
        (
            9,
            "fixed",
            "closed the response before the raise at line 11, which its caller never gets (`with req:` around a "
            "raise that reads its body)",
        ),
        (
            15,
            "fixed",
            "closed the response made by `Threatnet.Stream._create_stream` (pkg/threatnet.py:8) with `with`",
        ),
    ]
    # a subclass of the nested class may override it (matched by the class's own name)
    sub = "from pkg.threatnet import Threatnet\n\n\nclass Fake(Threatnet.Stream):\n    def _create_stream(self, name):\n        return None\n"
    root = make(tmp_path / "b", {"pkg/threatnet.py": NESTED, "pkg/fake.py": sub})
    assert factories(root) == []
    # a class three deep is none
    deep = "class Outer:\n" + "".join(f"    {line}\n" if line else "\n" for line in NESTED.split("\n")[5:])
    root = make(tmp_path / "c", {"pkg/threatnet.py": NESTED.split("class Threatnet")[0] + deep})
    assert factories(root) == []


@pytest.mark.parametrize(
    "target, replaces",
    [
        ('"pkg.other." + name', False),  # biopython: mock.patch('Bio.Entrez.' + param), another module
        ('f"pkg.other.{name}"', False),
        ('f"pkg.oth{name}"', True),  # its start is only ``pkg.``: the factory's module may follow
        ('"pkg.request." + name', True),  # anything of the factory's module
        ('"pkg." + name', True),  # the package that holds it
        ('"urllib." + name', True),  # a name of its library
        ('"pk" + name', True),  # no dot: any module
        ("target", True),
    ],
)
def test_a_patch_read_in_part_replaces_a_factory_only_if_its_start_may_name_it(tmp_path, target, replaces):
    # The test names requests (the pass records an unsettled patch only then), and hands its
    # own object (no close()): a patch that may replace the factory makes the callers reported.
    test = (
        "import requests\nfrom unittest import mock\n\nfrom pkg import caller\n\n\nclass Fake:\n    pass\n\n\n"
        f"def test(name, target):\n    with mock.patch({target}, Fake()):\n        caller.fetch('u')\n"
    )
    root = make(tmp_path, {"pkg/request.py": FACTORY, "pkg/caller.py": CALLER, "tests/test_caller.py": test})
    sites = run(root)["pkg/caller.py"]
    if replaces:
        assert [a for _, a, _ in sites] == ["reported", "reported"], sites
        assert "a test may replace the factory or the call it makes (`mock.patch(" in sites[0][2]
    else:
        assert [a for _, a, _ in sites] == ["fixed", "fixed"], sites
        assert "    with request._execute_request(url) as response:\n" in (root / "pkg" / "caller.py").read_text()


CACHING = """\
from urllib.request import urlopen

_NAMES = None


def _names():
    return ["a", "b"]


def entry(db, url):
    global _NAMES
    if _NAMES is None:
        _NAMES = _names()
    if db not in _NAMES:
        raise ValueError(db)
    return urlopen(url)
"""

ENTRY_CALLER = """\
from pkg import togo


def fetch(url):
    handle = togo.entry("a", url)
    data = handle.read()
    handle.close()
    return data
"""


def test_a_factory_that_caches_module_state_under_global_is_a_factory(tmp_path):
    # biopython's TogoWS ``entry``/``search``/``convert`` (``global _entry_db_names``): a name
    # declared ``global`` is no local, so it never holds the response, and the function still
    # returns a fresh one on every exit.
    root = make(tmp_path, {"pkg/togo.py": CACHING, "pkg/caller.py": ENTRY_CALLER})
    assert factories(root) == ["pkg.togo.entry"]
    assert [(line, a) for line, a, _ in run(root)["pkg/caller.py"]] == [(5, "fixed")]
    assert (
        '    with togo.entry("a", url) as handle:\n        data = handle.read()\n'
        in (root / "pkg" / "caller.py").read_text()
    )
    # ``global`` naming the response itself: the module keeps it, no factory.
    kept = CACHING.replace("    return urlopen(url)\n", "    global KEPT\n    KEPT = urlopen(url)\n    return KEPT\n")
    root = make(tmp_path / "kept", {"pkg/togo.py": kept, "pkg/caller.py": ENTRY_CALLER})
    assert factories(root) == []
    assert "pkg/caller.py" not in run(root)


@pytest.mark.parametrize(
    "other",
    [
        # biopython's ``Bio/Pathway/Rep/MultiGraph.py``: its own local ``search``
        "def walk(graph, entry):\n    return entry\n",
        "def walk(entry):\n    return [e for e in (entry,)]\n",
        # an instance's own attribute (biopython's KEGG records, ``self.entry = ""``) ...
        'class Record:\n    def __init__(self):\n        self.entry = ""\n\n    def key(self):\n        return (self.entry,)\n',
        # ... or any object's, in a file that cannot reach the factory's module
        "def parse(record, words):\n    record.entry = words[0]\n    return record\n",
        # a string of the name alone there: no ``setattr`` of its module
        'def tag(element):\n    return element.tag == "entry"\n',
        # a relative import that names no part of the factory's module
        "from .caller import fetch\n\n\ndef walk(entry):\n    return fetch, entry\n",
    ],
)
def test_the_name_of_a_factory_in_a_module_that_cannot_see_it_is_another_binding(tmp_path, other):
    where = "pkg/other.py" if other.startswith("from .") else "other/kegg.py"
    root = make(tmp_path, {"pkg/togo.py": CACHING, "pkg/caller.py": ENTRY_CALLER, where: "import json\n" + other})
    assert factories(root) == ["pkg.togo.entry"]
    assert [(a, "contextlib" in r) for _, a, r in run(root)["pkg/caller.py"]] == [("fixed", False)]


@pytest.mark.parametrize(
    "other, why",
    [
        # imported by name: a reference handed on, its calls out of sight
        ("from pkg.togo import entry\n\n\ndef walk(urls):\n    return list(map(entry, urls))\n", "passed"),
        ("from pkg.togo import *\n\n\ndef walk(urls):\n    return list(map(entry, urls))\n", "passed"),
        (
            "from pkg import togo\n\nentry = togo.entry\n\n\ndef walk(urls):\n    return list(map(entry, urls))\n",
            "passed",
        ),
        # its module reached: an attribute store or a setattr may replace it
        ("from pkg import togo\n\n\ndef swap(fake):\n    togo.entry = fake\n", "mocked"),
        ("import pkg.togo as t\n\n\ndef swap(mod, fake):\n    mod.entry = fake\n", "mocked"),
        ("import pkg\n\n\ndef swap(fake):\n    setattr(pkg.togo, 'entry', fake)\n", "mocked"),
        ("import sys\n\n\ndef swap(fake):\n    sys.modules['pkg.togo'].entry = fake\n", "mocked"),
        ("from . import togo\n\n\ndef swap(m, fake):\n    m.entry = fake\n", "mocked"),
        # a dotted string names it wherever it is: a patch imports its target itself
        # (the MagicMock it makes has ``close()``: a safe ``closing`` fix)
        ("from unittest import mock\n\n\ndef swap():\n    return mock.patch('pkg.togo.entry')\n", "patched"),
    ],
)
def test_the_name_of_a_factory_where_its_module_is_reached_still_counts(tmp_path, other, why):
    where = "pkg/other.py" if other.startswith("from . ") else "other/kegg.py"
    root = make(tmp_path, {"pkg/togo.py": CACHING, "pkg/caller.py": ENTRY_CALLER, where: other})
    if why == "passed":
        assert factories(root) == []
        assert "pkg/caller.py" not in run(root)
    else:
        assert factories(root) == ["pkg.togo.entry"]
        if why == "patched":
            assert [(a, "contextlib.closing" in r) for _, a, r in run(root)["pkg/caller.py"]] == [("fixed", True)]
            return
        assert [a for _, a, _ in run(root)["pkg/caller.py"]] == ["reported"]
        assert [a for _, a, _ in run(root, "--unsafe-fixes")["pkg/caller.py"]] == ["fixed"]
