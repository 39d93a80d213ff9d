"""The facts pass and the drop-ins (``niquests``, ``httpx2``: ``call_names.DROP_INS``): every
codemod resolves their calls as requests' and httpx's, so a test's patch of a drop-in's name
is a patch of that library's (``mock.patch("niquests.get")`` covers ``niquests.get(url)``):
share-session reports the call rather than route it past the mock, close-client closes a
mocked ``niquests.Session()`` with ``contextlib.closing``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import List

import pytest
from click.testing import CliRunner

from codemods import facts
from codemods.cli import command
from codemods.discover import discover
from codemods.facts import model, screen
from tests.helpers import cli_sites, make_project

NIQUESTS = "import niquests\n\n\ndef fetch(url):\n    return niquests.get(url)\n"
ALIASED = "import niquests as requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"
HTTPX2 = "import httpx2\n\n\ndef fetch(url):\n    return httpx2.get(url)\n"


def share_sites(root: Path) -> List[tuple]:
    return cli_sites(root, "--select", "share-session", "--check", "--session-scope", "module").get("pkg/mod.py", [])


def reported(root: Path) -> List[str]:
    return [reason for _, action, reason in share_sites(root) if action == "reported"]


PATCHES = [
    # (module, test source, the patch text the reason names)
    (NIQUESTS, 'from unittest import mock\n\n\n@mock.patch("niquests.get")\ndef test(m):\n    pass\n', "niquests.get"),
    (ALIASED, 'from unittest import mock\n\n\n@mock.patch("niquests.get")\ndef test(m):\n    pass\n', "niquests.get"),
    (HTTPX2, 'from unittest import mock\n\n\n@mock.patch("httpx2.get")\ndef test(m):\n    pass\n', "httpx2.get"),
    (NIQUESTS, 'from unittest import mock\n\n\n@mock.patch("pkg.mod.niquests.get")\ndef test(m):\n    pass\n', "pkg"),
    (
        NIQUESTS,
        "import niquests\n\n\ndef test(monkeypatch):\n    monkeypatch.setattr(niquests, 'get', lambda u: None)\n",
        "monkeypatch.setattr",
    ),
    (NIQUESTS, "def test(mocker):\n    mocker.patch('niquests.get')\n", "mocker.patch"),
    (
        NIQUESTS,
        "from unittest import mock\n\n\n@mock.patch.multiple('niquests', get=mock.DEFAULT)\ndef test(**m):\n    pass\n",
        "multiple",
    ),
    (NIQUESTS, "import niquests\n\nniquests.get = lambda u: None\n", "niquests.get = ..."),
    (
        HTTPX2,
        "from unittest import mock\n\n\n@mock.patch('httpx2._api.Client')\ndef test(m):\n    pass\n",
        "httpx2._api.Client",
    ),
]


@pytest.mark.parametrize("module, test, text", PATCHES)
def test_a_drop_in_s_patch_reports_its_call(tmp_path, module, test, text):
    root = make_project(tmp_path, {"pkg/mod.py": module, "tests/test_mod.py": "import pkg.mod\n" + test})
    found = reported(root)
    assert len(found) == 1 and text in found[0], share_sites(root)


def test_an_unreadable_patch_in_a_file_naming_a_drop_in_counts_for_its_library(tmp_path):
    test = "import niquests\nfrom unittest import mock\n\n\ndef test(target):\n    with mock.patch(target):\n        pass\n"
    root = make_project(tmp_path, {"pkg/mod.py": NIQUESTS, "tests/conftest.py": test})
    patches = [p for p in collect(root).patches if p.kind == "unsettled"]
    assert [p.library for p in patches] == ["requests"]
    assert len(reported(root)) == 1


@pytest.mark.parametrize("module", [NIQUESTS, ALIASED, HTTPX2])
def test_without_such_a_patch_the_drop_in_call_is_still_routed(tmp_path, module):
    test = 'from unittest import mock\n\n\n@mock.patch("os.getcwd")\ndef test(m):\n    pass\n'
    root = make_project(tmp_path, {"pkg/mod.py": module, "tests/test_mod.py": "import pkg.mod\n" + test})
    assert [action for _, action, _ in share_sites(root)] == ["fixed"]


def collect(root: Path) -> facts.ProjectFacts:
    found = discover([str(root)], [])
    return facts.collect(found.files, found.roots)


def rewrite(root: Path, *args: str) -> str:
    cwd = os.getcwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(command, [*args, "-j", "1", "--no-cache", "."])
    finally:
        os.chdir(cwd)
    assert result.exit_code in (0, 1), result.output
    return result.output


SESSION = (
    "import niquests\n\n\ndef fetch(url):\n    session = niquests.Session()\n    return session.get(url).status_code\n"
)


@pytest.mark.parametrize(
    "test, expected",
    [
        (
            "from unittest import mock\n\n\n@mock.patch('niquests.Session')\ndef test(m):\n    pass\n",
            "with contextlib.closing(niquests.Session()) as session:",
        ),
        ("def test():\n    pass\n", "with niquests.Session() as session:"),
    ],
)
def test_close_client_honours_a_patch_of_the_drop_in_s_constructor(tmp_path, test, expected):
    root = make_project(tmp_path, {"pkg/mod.py": SESSION, "tests/test_mod.py": "import pkg.mod\n" + test})
    rewrite(root, "--select", "close-client")
    assert expected in (root / "pkg/mod.py").read_text()


def test_a_drop_in_s_target_is_matched_as_its_library_s():
    assert model._global_target("niquests.get") == "requests.get"
    assert model._global_target("pkg.mod.httpx2._api.Client") == "httpx._api.Client"
    assert model._global_target("pkg.mod.get") is None
    assert model._library_target("httpx2.Client.send") == "httpx.Client.send"


def test_the_screen_reads_a_drop_in_s_swap_and_still_skips_a_file_naming_no_library():
    assert screen.worth_parsing(b"import niquests\nniquests.get = fake\n")
    assert screen.worth_parsing(b"import httpx2\nhttpx2.get = fake\n")
    assert not screen.worth_parsing(b"import niquests\n\nniquests.get(url)\nx.get = fake\n")
    assert not screen.worth_parsing(b"import os\nx.get = fake\n")
    assert screen._LIBRARY_WORD.findall(b"import niquests, httpx2\nmyniquests = httpx2x\n") == [b"niquests", b"httpx2"]


def test_an_environment_write_covers_an_httpx2_call_as_an_httpx_one(tmp_path):
    """Proxy and SSL variables: an httpx2 client made at import reads them once, as httpx's."""
    conftest = "import os\n\nos.environ['HTTPS_PROXY'] = 'http://proxy:3128'\n"
    root = make_project(tmp_path, {"pkg/mod.py": HTTPX2, "tests/conftest.py": conftest})
    found = reported(root)
    assert len(found) == 1 and "may change proxy or SSL variables" in found[0], share_sites(root)
