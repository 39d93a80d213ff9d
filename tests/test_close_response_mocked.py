"""close-response against the project's tests: a response whose call a test mocks is closed
with ``contextlib.closing`` (``with`` would bind the mock's ``__enter__()`` value), an object
the test chose makes that an unsafe fix, and without a covering patch nothing changes."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict, Tuple

import pytest
from click.testing import CliRunner

from codemods.cli import command
from tests.helpers import write

DL = """\
import requests


def download(url):
    r = requests.get(url, stream=True, timeout=5)
    if r.status_code != 200:
        return None
    return b"".join(r.iter_content(10))
"""

CLOSING = "with contextlib.closing(requests.get(url, stream=True, timeout=5)) as r:"
PLAIN = "with requests.get(url, stream=True, timeout=5) as r:"

FAKES = """\
class FakeResponse:
    status_code = 200

    def iter_content(self, n):
        return [b"a"]


def fake_get(*args, **kwargs):
    return FakeResponse()
"""


def run(tmp_path: Path, files: Dict[str, str], *args: str) -> Tuple[str, str]:
    """(pkg/dl.py after ``close-response`` rewrote the project, the run's output)."""
    root = write(tmp_path / "proj", {"pyproject.toml": '[project]\nname = "pkg"\n', "pkg/__init__.py": "", **files})
    result = CliRunner().invoke(command, [str(root), "--select", "close-response", "-j", "1", "--no-cache", *args])
    assert result.exit_code in (0, 1), result.output
    return (root / "pkg/dl.py").read_text(), result.output


def a_test(*lines: str, imports: str = "from unittest import mock\n\nimport requests\n") -> str:
    body = textwrap.indent(textwrap.dedent("\n".join(lines)), "")
    return f"{imports}\nfrom pkg.dl import download\n\n{FAKES}\n\n{body}\n"


@pytest.mark.parametrize(
    "patch",
    [
        "@mock.patch('pkg.dl.requests.get')",
        "@mock.patch('pkg.dl.requests')",
        "@mock.patch('requests.get')",
        "@mock.patch('requests.api.get')",
        "@mock.patch('requests.api.request')",
        "@mock.patch('requests.sessions.Session')",
        "@mock.patch('requests.Session.send')",
        "@mock.patch('requests.adapters.HTTPAdapter.send')",
        "@mock.patch.object(requests, 'get')",
        "@mock.patch('requests.get', autospec=True)",
        "@mock.patch('requests.get', return_value=mock.MagicMock(status_code=200))",
    ],
)
def test_a_mock_that_patch_makes_is_closed_with_contextlib_closing(tmp_path, patch):
    test = a_test(patch, "def test_download(m):", "    m.return_value.status_code = 200", "    download('u')")
    text, output = run(tmp_path, {"pkg/dl.py": DL, "tests/test_dl.py": test})
    assert CLOSING in text, output
    assert "import contextlib" in text
    assert "1 site fixed, 0 left for review" in output, output


@pytest.mark.parametrize(
    "patch, body",
    [
        ("@mock.patch('requests.get', fake_get)", "def test_download():"),
        ("@mock.patch('requests.get', new=fake_get)", "def test_download():"),
        ("@mock.patch('requests.get', side_effect=fake_get)", "def test_download(m):"),
        ("@mock.patch('requests.get', return_value=FakeResponse())", "def test_download(m):"),
        ("@mock.patch('pkg.dl.requests.get')", "def test_download(m):\n    m.return_value = FakeResponse()"),
        ("@mock.patch('requests.get', new_callable=lambda: fake_get)", "def test_download():"),
    ],
)
def test_an_object_the_test_chose_makes_the_closing_fix_unsafe(tmp_path, patch, body):
    test = a_test(patch, body, "    download('u')")
    files = {"pkg/dl.py": DL, "tests/test_dl.py": test}
    text, output = run(tmp_path, files)
    assert text == DL, output
    assert "a test may mock the call that makes the response (mock.patch" in output, output
    assert "1 more fix available with --unsafe-fixes" in output, output
    text, output = run(tmp_path / "unsafe", files, "--unsafe-fixes")
    assert CLOSING in text, output


def test_monkeypatch_setattr_is_a_chosen_object(tmp_path):
    test = a_test("def test_download(monkeypatch):", "    monkeypatch.setattr(requests, 'get', fake_get)")
    text, output = run(tmp_path, {"pkg/dl.py": DL, "tests/test_dl.py": test})
    assert text == DL and "fixable with --unsafe-fixes" in output, output


@pytest.mark.parametrize(
    "test",
    [
        # No patch at all.
        a_test("def test_download():", "    download('u')"),
        # Another module's function (``pkg.other.requests.get`` would be requests.get itself).
        a_test("@mock.patch('pkg.other.fetch')", "def test_other(m):", "    pass"),
        # requests.Session is not what requests.get builds (requests.api uses sessions.Session).
        a_test("@mock.patch('requests.Session')", "def test_download(m):", "    download('u')"),
        # A patch of something else of requests.
        a_test("@mock.patch('requests.utils.get_netrc_auth')", "def test_download(m):", "    download('u')"),
        # Libraries whose stand-ins are real responses.
        a_test(
            "@responses.activate",
            "def test_download():",
            "    responses.get('http://x', body=b'a')",
            "    responses.patch('http://x', body=b'a')",
            "    download('http://x')",
            imports="import responses\n",
        ),
        a_test(
            "def test_download(requests_mock):",
            "    requests_mock.get('http://x', content=b'a')",
            "    requests_mock.patch('http://x', content=b'a')",
            "    download('http://x')",
            imports="import requests_mock\n",
        ),
        a_test(
            "def test_download(httpx_mock, respx_mock):",
            "    httpx_mock.add_response(url='http://x')",
            "    respx_mock.patch('http://x')",
            "    respx.patch('http://x')",
            imports="import respx\n",
        ),
    ],
)
def test_without_a_covering_patch_the_fix_is_the_plain_with(tmp_path, test):
    text, output = run(
        tmp_path, {"pkg/dl.py": DL, "pkg/other.py": "def fetch():\n    pass\n", "tests/test_dl.py": test}
    )
    assert PLAIN in text, output
    assert "contextlib" not in text


def test_a_mock_in_a_test_that_cannot_reach_the_module_does_not_count(tmp_path):
    test = "from unittest import mock\n\n\n@mock.patch('requests.get')\ndef test_other(m):\n    pass\n"
    text, output = run(tmp_path, {"pkg/dl.py": DL, "tests/test_other.py": test})
    assert PLAIN in text, output


SESSION = """\
import requests


def download(url):
    s = requests.Session()
    r = s.get(url, stream=True)
    return r.content
"""


@pytest.mark.parametrize(
    "patch",
    [
        "@mock.patch('pkg.dl.requests.Session')",
        "@mock.patch('requests.Session')",
        "@mock.patch.object(requests.Session, 'get')",
        "@mock.patch('requests.Session.request')",
    ],
)
def test_a_response_of_a_mocked_client_is_closed_with_closing(tmp_path, patch):
    test = a_test(patch, "def test_download(m):", "    download('u')")
    text, output = run(tmp_path, {"pkg/dl.py": SESSION, "tests/test_dl.py": test})
    assert "with contextlib.closing(s.get(url, stream=True)) as r:" in text, output


URLOPEN = """\
from urllib.request import urlopen


def download(url):
    resp = urlopen(url)
    return resp.read()
"""


@pytest.mark.parametrize(
    "patch, closed",
    [
        ("@mock.patch('pkg.dl.urlopen')", True),
        ("@mock.patch('urllib.request.urlopen')", True),
        ("@mock.patch('http.client.HTTPConnection')", True),
        ("@mock.patch('urllib.parse.urlparse')", False),
        ("@mock.patch('pkg.other.urlopen')", False),
    ],
)
def test_urlopen_mocked_through_any_binding(tmp_path, patch, closed):
    test = a_test(patch, "def test_download(m):", "    download('u')")
    text, output = run(tmp_path, {"pkg/dl.py": URLOPEN, "tests/test_dl.py": test})
    expected = "with contextlib.closing(urlopen(url)) as resp:" if closed else "with urlopen(url) as resp:"
    assert expected in text, output


AIOHTTP = """\
import aiohttp


async def download(url):
    async with aiohttp.ClientSession() as session:
        r = await session.get(url)
        return await r.read()
"""


def test_a_mocked_aiohttp_response_is_reported(tmp_path):
    """``closing`` is not ``async with`` for aiohttp (``__aexit__`` releases the connection,
    ``close()`` closes it) and a mock's ``async with`` binds its ``__aenter__()`` value."""
    test = a_test("@mock.patch('aiohttp.ClientSession.get')", "def test_download(m):", "    pass")
    root = write(tmp_path / "proj", {"pyproject.toml": "", "pkg/__init__.py": "", "pkg/dl.py": AIOHTTP})
    (root / "tests").mkdir()
    (root / "tests/test_dl.py").write_text(test)
    result = CliRunner().invoke(command, [str(root), "--select", "close-response", "-j", "1", "--no-cache"])
    assert (root / "pkg/dl.py").read_text() == AIOHTTP
    assert "a test may mock the call that makes the response (mock.patch('aiohttp.ClientSession.get')" in result.output
    assert "close the response by hand" in result.output


def test_contextlib_names_taken_is_reported(tmp_path):
    test = a_test("@mock.patch('pkg.dl.requests.get')", "def test_download(m):", "    download('u')")
    taken = "contextlib = _contextlib = None\n" + DL
    text, output = run(tmp_path, {"pkg/dl.py": taken, "tests/test_dl.py": test})
    assert text == taken
    assert "`contextlib` and `_contextlib` are both taken in this module; close the response by hand" in output


def test_an_edit_of_the_test_file_changes_the_cached_result(tmp_path):
    """The project facts are part of every file's cache key: mocking the call in a test
    turns the cached plain ``with`` into ``contextlib.closing``."""
    root = write(
        tmp_path / "proj",
        {
            "pyproject.toml": "",
            "pkg/__init__.py": "",
            "pkg/dl.py": DL,
            "tests/test_dl.py": a_test("def test_download():", "    pass"),
        },
    )
    cache = tmp_path / "cache"

    def diff() -> str:
        args = [str(root), "--select", "close-response", "--diff", "-j", "1", "--cache-dir", str(cache)]
        result = CliRunner().invoke(command, args)
        assert result.exit_code in (0, 1), result.output
        return result.output

    assert PLAIN in diff() and PLAIN in diff()  # the second from the cache
    (root / "tests/test_dl.py").write_text(
        a_test("@mock.patch('pkg.dl.requests.get')", "def test_download(m):", "    pass")
    )
    assert CLOSING in diff()


def test_a_result_that_is_a_local_mock_keeps_the_fix_safe(tmp_path):
    """cookiecutter's shape: ``return_value=request`` where ``request = mocker.MagicMock()``;
    kaggle's: a chosen ``side_effect`` in another function does not concern this patch."""
    test = a_test(
        "def helper(client):",
        "    other = mock.MagicMock()",
        "    other.start.side_effect = fake_get",
        "",
        "",
        "def test_download(mocker):",
        "    request = mocker.MagicMock()",
        "    request.iter_content.return_value = [b'a']",
        "    mocker.patch('pkg.dl.requests.get', return_value=request, autospec=True)",
        "    download('u')",
    )
    text, output = run(tmp_path, {"pkg/dl.py": DL, "tests/test_dl.py": test})
    assert CLOSING in text and "1 site fixed" in output, output


def test_a_fixture_whose_result_a_test_chooses_makes_the_fix_unsafe(tmp_path):
    conftest = (
        "from unittest import mock\n\nimport pytest\n\n\n"
        "@pytest.fixture\ndef fake_requests_get():\n"
        "    with mock.patch('pkg.dl.requests.get') as m:\n        yield m\n"
    )
    test = a_test("def test_download(fake_requests_get):", "    fake_requests_get.return_value = FakeResponse()")
    files = {"pkg/dl.py": DL, "tests/conftest.py": conftest, "tests/test_dl.py": test}
    text, output = run(tmp_path, files)
    assert text == DL and "fixable with --unsafe-fixes" in output, output
    files["tests/test_dl.py"] = a_test("def test_download(fake_requests_get):", "    download('u')")
    text, output = run(tmp_path / "mock", files)
    assert CLOSING in text, output


def test_the_alias_close_client_added_is_reused(tmp_path):
    """``from mytools import contextlib`` takes the name ``contextlib``: close-client adds
    ``import contextlib as _contextlib``, and close-response's closing then uses that alias.
    (``from contextlib import redirect_stdout`` binds no ``contextlib``: the plain import.)"""
    source = (
        "import requests\nfrom mytools import contextlib\n\n\n"
        "def upload(url):\n"
        "    session = requests.Session()\n"
        "    return session.put(url).status_code\n\n\n"
        "def download(url):\n"
        "    r = requests.get(url, stream=True, timeout=5)\n"
        "    return r.content\n"
    )
    test = a_test(
        "@mock.patch('requests.Session')",
        "@mock.patch('pkg.dl.requests.get')",
        "def test_download(m, s):",
        "    download('u')",
    )
    root = write(tmp_path / "proj", {"pyproject.toml": "", "pkg/__init__.py": "", "pkg/dl.py": source})
    (root / "tests").mkdir()
    (root / "tests/test_dl.py").write_text(test)
    result = CliRunner().invoke(
        command, [str(root), "--select", "close-client,close-response", "-j", "1", "--no-cache"]
    )
    text = (root / "pkg/dl.py").read_text()
    assert "import contextlib as _contextlib\n" in text, result.output
    assert "with _contextlib.closing(requests.Session()) as session:" in text, result.output
    assert "with _contextlib.closing(requests.get(url, stream=True, timeout=5)) as r:" in text, result.output
    assert "2 sites fixed, 0 left for review" in result.output, result.output


HTTPX_SEND = """\
import httpx


def download(url):
    client = httpx.Client()
    r = client.send(client.build_request("GET", url), stream=True)
    return r.read()
"""


@pytest.mark.parametrize(
    "patch, unsafe",
    [("@mock.patch('httpx.Client.send')", False), ("@mock.patch('httpx.Client.send', fake_get)", True)],
)
def test_httpx_send_is_already_closing_and_a_chosen_object_makes_it_unsafe(tmp_path, patch, unsafe):
    test = a_test(patch, "def test_download(*mocks):", "    download('u')", imports="from unittest import mock\n")
    text, output = run(tmp_path, {"pkg/dl.py": HTTPX_SEND, "tests/test_dl.py": test})
    if unsafe:
        assert text == HTTPX_SEND and "fixable with --unsafe-fixes" in output, output
    else:
        assert "with contextlib.closing(client.send(client.build_request(" in text, output


BRANCHES = """\
import json
from urllib.request import urlopen


def download(url, full):
    if full:
        r = urlopen(url, timeout=5)
    else:
        r = urlopen(url + "?short", timeout=5)
    data = json.load(r)
    return data["n"]
"""


def test_a_mocked_response_bound_in_both_branches_is_closed_after_the_if(tmp_path):
    # biopython's query_pubmed: ``handle = Entrez.esearch(...)`` in both branches of an if,
    # the factory mocked by a test: ``with contextlib.closing(handle):`` after the if, one
    # for both (each branch's object gets the same treatment).
    test = a_test("@mock.patch('pkg.dl.urlopen')", "def test_download(m):", "    download('u', True)")
    text, output = run(tmp_path, {"pkg/dl.py": BRANCHES, "tests/test_dl.py": test})
    assert "    with contextlib.closing(r):\n        data = json.load(r)\n    return" in text, output
    assert "2 sites fixed" in output, output


def test_a_mocked_response_bound_in_both_branches_with_a_chosen_object_is_unsafe(tmp_path):
    test = a_test("@mock.patch('pkg.dl.urlopen', fake_get)", "def test_download():", "    download('u', True)")
    text, output = run(tmp_path, {"pkg/dl.py": BRANCHES, "tests/test_dl.py": test})
    assert text == BRANCHES, output
    assert "2 left for review" in output and "fixable with --unsafe-fixes" in output, output
    text, output = run(tmp_path / "u", {"pkg/dl.py": BRANCHES, "tests/test_dl.py": test}, "--unsafe-fixes")
    assert "    with contextlib.closing(r):\n" in text, output
