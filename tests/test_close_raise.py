"""close-response closes a factory's response before a raise that would leave with it open
(``closing/raising.py``): fixed, reported, unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from codemods import facts
from codemods.discover import discover
from tests.helpers import cli_sites, make_project

FACTORY = """\
import requests


def _open(url):
    r = requests.get(url, stream=True, timeout=5)
    if r.status_code != 200:
        # the server said no
        raise RuntimeError(f"{url}: {r.status_code} {r.reason}")
    return r


def size(url):
    r = _open(url)
    return len(r.content)
"""

CALLER = """\
from pkg.request import _open


def first_line(url):
    r = _open(url)
    return next(r.iter_lines())
"""


def run(root: Path, *args: str) -> Dict[str, List[Tuple[int, str, str]]]:
    return cli_sites(root, "--select", "close-response", "--no-cache", *args)


def factories(root: Path) -> List[str]:
    found = discover([str(root)], [])
    return sorted(q for f in facts.collect(found.files, found.roots).factories for q in f.qualified)


def test_the_response_is_closed_before_the_raise_and_the_callers_are_closed_in_the_same_run(tmp_path):
    root = make_project(tmp_path, {"pkg/request.py": FACTORY, "pkg/caller.py": CALLER})
    assert factories(root) == ["pkg.request._open"]
    sites = run(root)
    assert sites["pkg/request.py"] == [
        (5, "fixed", "closed the response (`r.close()`) before the raise at line 8, which its caller never gets"),
        (13, "fixed", "closed the response made by `_open` (pkg/request.py:4) with `with`"),
    ]
    assert [a for _, a, _ in sites["pkg/caller.py"]] == ["fixed"]
    text = (root / "pkg" / "request.py").read_text()
    # the comment stays above the new line; the exception, its message and the order are kept
    assert (
        "    if r.status_code != 200:\n        # the server said no\n        r.close()\n"
        '        raise RuntimeError(f"{url}: {r.status_code} {r.reason}")\n    return r\n'
    ) in text
    compile(text, "request.py", "exec")
    # once rewritten, still the same factory: a second run changes nothing, and a caller
    # written later is closed from the rewritten file's facts
    assert factories(root) == ["pkg.request._open"]
    assert run(root) == {}
    (root / "pkg" / "later.py").write_text(CALLER)
    assert [a for _, a, _ in run(root)["pkg/later.py"]] == ["fixed"]


def test_a_raise_that_reads_the_body_of_a_streamed_response_gets_with_around_it(tmp_path):
    # sambanova ``_handle_request``: ``r.text`` of a streamed response reads the body from the
    # connection; after ``close()`` it would read nothing. ``with r:`` closes it as the
    # exception leaves, the message made with it open.
    source = FACTORY.replace("{r.reason}", "{r.text}")
    root = make_project(tmp_path, {"pkg/request.py": source})
    sites = run(root)["pkg/request.py"]
    assert sites[0] == (
        5,
        "fixed",
        "closed the response before the raise at line 8, which its caller never gets (`with r:` around a raise "
        "that reads its body)",
    )
    text = (root / "pkg" / "request.py").read_text()
    assert (
        "        # the server said no\n        with r:\n"
        '            raise RuntimeError(f"{url}: {r.status_code} {r.text}")\n    return r\n'
    ) in text
    assert factories(root) == ["pkg.request._open"]
    assert run(root) == {}


WRAPPED = """\
import io
from urllib.request import urlopen


def _open(url):
    handle = urlopen(url)
    text_handle = io.TextIOWrapper(handle, encoding="UTF-8")
    text_handle.url = handle.url
    return text_handle


def get_raw(id):
    handle = _open(f"https://example.org/{id}.txt")
    if handle.url == "https://example.org/":
        raise ValueError(f"Failed to find entry '{id}'") from None
    return handle
"""


def test_a_factory_of_a_factory_closes_the_wrapper_before_raising(tmp_path):
    # biopython Bio/ExPASy ``get_prosite_raw``: the text wrapper's close() closes the response
    root = make_project(tmp_path, {"pkg/expasy.py": WRAPPED})
    assert factories(root) == ["pkg.expasy._open", "pkg.expasy.get_raw"]
    [(line, action, _)] = run(root)["pkg/expasy.py"]
    assert (line, action) == (13, "fixed")
    text = (root / "pkg" / "expasy.py").read_text()
    assert "        handle.close()\n        raise ValueError(f\"Failed to find entry '{id}'\") from None\n" in text
    assert factories(root) == ["pkg.expasy._open", "pkg.expasy.get_raw"]
    assert run(root) == {}


def test_a_close_written_by_hand_before_the_raise_keeps_the_function_a_factory(tmp_path):
    by_hand = FACTORY.replace("        # the server said no\n", "        r.close()\n")
    root = make_project(tmp_path, {"pkg/request.py": by_hand})
    assert factories(root) == ["pkg.request._open"]
    assert [(line, a) for line, a, _ in run(root, "--check")["pkg/request.py"]] == [(13, "fixed")]
    # a close anywhere else still hands the caller a closed response: no factory
    closed = FACTORY.replace("    return r\n\n\ndef size", "    r.close()\n    return r\n\n\ndef size")
    root = make_project(tmp_path / "b", {"pkg/request.py": closed})
    assert factories(root) == []


LEAK = "the response is not closed when the raise at line {} leaves `_open` (its caller never gets it)"


@pytest.mark.parametrize(
    "change, line, count",
    [
        # the raise on its ``if``'s line: no line to put the close on
        (
            (
                "    if r.status_code != 200:\n        # the server said no\n        raise",
                "    if r.status_code != 200: raise",
            ),
            6,
            1,
        ),
        # two responses open at the raise, one needing ``with`` around it: both reported (one
        # ``with`` and a ``close()`` there would not read as the same factory again)
        (
            (
                "        # the server said no\n",
                "        other = requests.get(url + '/why', stream=True)\n        why = other.json()\n",
            ),
            9,
            2,
        ),
    ],
)
def test_a_raise_that_cannot_be_closed_before_stays_reported(tmp_path, change, line, count):
    source = FACTORY.replace("{r.reason}", "{r.text}").replace(*change)
    root = make_project(tmp_path, {"pkg/request.py": source})
    sites = run(root).get("pkg/request.py", [])
    leaks = [s for s in sites if s[1] == "reported" and s[2].startswith(LEAK.format(line))]
    assert len(leaks) == count, sites
    assert run(root, "--check") == {"pkg/request.py": [s for s in sites if s[1] != "fixed"]}  # the same again


def test_two_responses_open_at_a_raise_are_both_closed_before_it(tmp_path):
    two = FACTORY.replace(
        "        # the server said no\n",
        "        other = requests.get(url + '/why', stream=True)\n        why = other.json()\n",
    )
    root = make_project(tmp_path, {"pkg/request.py": two})
    sites = run(root)["pkg/request.py"]
    assert [(line, a) for line, a, _ in sites] == [(5, "fixed"), (7, "fixed"), (14, "fixed")]
    text = (root / "pkg" / "request.py").read_text()
    assert "        why = other.json()\n        r.close()\n        other.close()\n        raise RuntimeError(" in text
    assert factories(root) == ["pkg.request._open"]
    assert run(root) == {}


UNBOUND = """\
import requests


def _open(url, d=True):
    if d:
        r = requests.get(url, stream=True, timeout=5)
    if r.status_code != 200:
        raise RuntimeError(url)
    return r
"""


def test_a_name_that_may_be_unbound_at_the_raise_stays_reported(tmp_path):
    # where ``d`` is false, ``r.close()`` would raise UnboundLocalError instead of the RuntimeError
    root = make_project(tmp_path, {"pkg/request.py": UNBOUND})
    assert factories(root) == ["pkg.request._open"]
    [(line, action, reason)] = run(root, "--check")["pkg/request.py"]
    assert (line, action) == (6, "reported") and reason.startswith(LEAK.format(8)), reason


def test_a_raise_that_carries_the_response_is_unchanged(tmp_path):
    # the exception hands the response on (its handler may read it): no factory, reported as
    # before, nothing closed
    source = FACTORY.replace('RuntimeError(f"{url}: {r.status_code} {r.reason}")', "requests.HTTPError(response=r)")
    root = make_project(tmp_path, {"pkg/request.py": source})
    assert factories(root) == []
    [(line, action, reason)] = run(root)["pkg/request.py"]
    assert (line, action) == (5, "reported") and "is no factory of the project" in reason
    assert (root / "pkg" / "request.py").read_text() == source


FAKE_TEST = """\
from unittest import mock

from pkg import request


class FakeResponse:
    status_code = 500
    reason = "no"


@mock.patch("pkg.request.requests.get", return_value=FakeResponse())
def test_open(get):
    request._open("u")
"""


def test_a_stand_in_that_may_lack_close_makes_it_an_unsafe_fix(tmp_path):
    # ``r.close()`` on the test's FakeResponse (no ``close``) would raise AttributeError
    # instead of the RuntimeError the test sees: reported, fixable with --unsafe-fixes
    root = make_project(tmp_path, {"pkg/request.py": FACTORY, "tests/test_request.py": FAKE_TEST})
    [(line, action, reason), *_] = run(root, "--check")["pkg/request.py"]
    assert (line, action) == (5, "reported") and reason.endswith("fixable with --unsafe-fixes"), reason
    [(line, action, reason), *_] = run(root, "--check", "--unsafe-fixes")["pkg/request.py"]
    assert (line, action) == (5, "fixed") and "unsafe fix" in reason, reason


@pytest.mark.parametrize(
    "message, extra, line",
    [
        ("lambda: r.text", "", 7),  # read when the handler calls it: after the close
        ("r.json", "", 7),  # an uncalled method keeps the response
        ("r.raw", "", 7),  # the raw stream is the connection itself
        ("list(c for c in r.iter_content(4))", "", 7),  # a generator's body reads it
        ("why", "        def why():\n            return r.text\n", 9),  # a nested function captures it
    ],
)
def test_a_raise_that_may_read_the_response_later_stays_reported(tmp_path, message, extra, line):
    # review: ``with r:`` around ``raise ValueError(lambda: r.text)`` (or ``r.close()`` before
    # ``raise ValueError(why)``) made the handler's ``e.args[0]()`` read an empty body
    source = FACTORY.replace("        # the server said no\n", extra).replace(
        'RuntimeError(f"{url}: {r.status_code} {r.reason}")', f"RuntimeError({message})"
    )
    root = make_project(tmp_path, {"pkg/request.py": source})
    sites = run(root)["pkg/request.py"]
    text = (root / "pkg" / "request.py").read_text()
    assert text.split("\n\n\ndef size")[0] == source.split("\n\n\ndef size")[0]  # ``_open`` as it was
    [(_, action, reason)] = [s for s in sites if s[0] == 5]
    # reported: as a raise that leaks it, or (a lambda, a nested function) as no factory
    assert action == "reported" and (reason.startswith(LEAK.format(line)) or "no factory" in reason), sites


SESSION_FACTORY = """\
import requests


class Studio:
    def _handle_request(self, url, streaming=False):
        http_session = requests.Session()
        if streaming:
            response = http_session.post(url, stream=True, timeout=5)
        else:
            response = http_session.post(url, stream=False, timeout=5)
        if response.status_code != 200:
            raise RuntimeError(f"failed: {response.status_code} {response.text}")
        return response

    def _call(self, url):
        response = self._handle_request(url, streaming=True)
        return response.raw.read(2)
"""


def test_the_raise_is_closed_when_close_client_wraps_the_session_in_the_same_run(tmp_path):
    # langchain sambanova ``_handle_request``: close-client's unsafe fix puts the session in a
    # ``with`` that ends before the raise; close-response, reading the rewritten function, still
    # sees the response bound on every path at the raise (a session's exit swallows nothing),
    # so both fixes land in one run, and the rewritten function is the same factory.
    root = make_project(tmp_path, {"pkg/studio.py": SESSION_FACTORY})
    assert factories(root) == ["pkg.studio.Studio._handle_request"]
    sites = cli_sites(root, "--select", "close-response,close-client", "--no-cache", "--unsafe-fixes")
    assert [(line, a) for line, a, _ in sites["pkg/studio.py"]] == [(6, "fixed"), (8, "fixed"), (16, "fixed")]
    assert sites["pkg/studio.py"][1][2].startswith("closed the response before the raise at line 12")
    text = (root / "pkg" / "studio.py").read_text()
    assert (
        "        with requests.Session() as http_session:\n            if streaming:\n"
        "                response = http_session.post(url, stream=True, timeout=5)\n"
    ) in text
    assert (
        "        if response.status_code != 200:\n            with response:\n"
        '                raise RuntimeError(f"failed: {response.status_code} {response.text}")\n'
        "        return response\n"
    ) in text
    compile(text, "studio.py", "exec")
    assert factories(root) == ["pkg.studio.Studio._handle_request"]
    for args in ((), ("--unsafe-fixes",)):  # a second run changes nothing
        assert cli_sites(root, "--select", "close-response,close-client", "--no-cache", *args) == {}
    assert (root / "pkg" / "studio.py").read_text() == text


def test_a_session_bound_by_with_makes_a_factory_whose_raise_is_closed(tmp_path):
    # written so by hand: ``with requests.Session() as s:`` binds the session; the response
    # bound in its body is bound after it (the default run, a safe fix)
    source = SESSION_FACTORY.replace(
        "        http_session = requests.Session()\n        if streaming:\n"
        "            response = http_session.post(url, stream=True, timeout=5)\n"
        "        else:\n            response = http_session.post(url, stream=False, timeout=5)\n",
        "        with requests.Session() as http_session:\n"
        "            response = http_session.post(url, stream=True, timeout=5)\n",
    )
    root = make_project(tmp_path, {"pkg/studio.py": source})
    assert factories(root) == ["pkg.studio.Studio._handle_request"]
    sites = run(root)["pkg/studio.py"]
    assert [(line, a) for line, a, _ in sites] == [(7, "fixed"), (13, "fixed")]
    assert sites[0][2].startswith("closed the response before the raise at line 9"), sites
    assert run(root) == {}


@pytest.mark.parametrize(
    "context, head, is_factory",
    [
        # its exit may swallow the body's exception: what the body binds is not read as bound
        # after it
        ("contextlib.suppress(OSError)", "import contextlib\n", True),
        # a factory, but the codemod knows nothing of the lock's exit: the raise stays reported
        ("LOCK", "import threading\n\nLOCK = threading.Lock()\n", True),
    ],
)
def test_a_with_whose_exit_may_swallow_leaves_the_raise_reported(tmp_path, context, head, is_factory):
    source = head + SESSION_FACTORY.replace(
        "        if streaming:\n            response = http_session.post(url, stream=True, timeout=5)\n"
        "        else:\n            response = http_session.post(url, stream=False, timeout=5)\n",
        f"        with {context}:\n            response = http_session.post(url, stream=True, timeout=5)\n",
    )
    root = make_project(tmp_path, {"pkg/studio.py": source})
    assert factories(root) == (["pkg.studio.Studio._handle_request"] if is_factory else [])
    sites = run(root).get("pkg/studio.py", [])
    line = 5 + head.count("\n") + 3  # the response's binding
    [(_, action, reason)] = [s for s in sites if s[0] == line]
    assert action == "reported", sites
    if is_factory:
        assert reason.startswith("the response is not closed when the raise at line"), reason
    text = (root / "pkg" / "studio.py").read_text()
    assert text.split("    def _call")[0] == source.split("    def _call")[0]  # ``_handle_request`` as it was


def test_a_response_bound_by_with_and_returned_makes_no_factory(tmp_path):
    # ``with requests.get(u) as r: ...; return r`` returns it closed: no factory, unchanged
    source = (
        "import requests\n\n\ndef _open(url):\n    with requests.Session() as s:\n"
        "        with s.get(url, stream=True, timeout=5) as r:\n            pass\n    return r\n"
    )
    root = make_project(tmp_path, {"pkg/request.py": source})
    assert factories(root) == []
    run(root)
    assert (root / "pkg" / "request.py").read_text() == source
