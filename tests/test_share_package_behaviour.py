"""The package strategy against the real counting server: a package of several modules whose
bare calls opened one connection per call opens one per host in total after the rewrite (one
client module shared by every module), and tests that mock the shared client the way the
README says pass (run with pytest in a subprocess, offline: a call that bypassed its mock
would hit the discard port and fail)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

from click.testing import CliRunner

from codemods.cli import command
from tests.helpers import write

DEAD = "http://127.0.0.1:9"
CALLS = 3  # per module

PACKAGE: Dict[str, str] = {
    "pyproject.toml": '[project]\nname = "pkg"\nversion = "0"\ndependencies = ["requests", "httpx"]\n',
    "pkg/__init__.py": "",
    "pkg/users.py": """\
        import requests


        def user(base, i):
            return requests.get(base + "/json", params={"user": i}).json()["query"]["user"]
        """,
    "pkg/orders.py": """\
        import requests


        def order(base, i):
            return requests.post(base + "/json", data=str(i)).json()["body"]
        """,
    "pkg/backends/__init__.py": "",
    "pkg/backends/search.py": """\
        from requests import get


        def search(base, i):
            return get(base + "/json", params={"q": i}).json()["query"]["q"]
        """,
    "pkg/backends/stats.py": """\
        import httpx


        def stat(base, i):
            return httpx.get(base + "/json", params={"s": i}).json()["query"]["s"]
        """,
    "run.py": f"""\
        import json
        import os

        from pkg import orders, users
        from pkg.backends import search, stats

        base = os.environ["SERVER_URL"]
        out = []
        for i in range({CALLS}):
            out += [users.user(base, str(i)), orders.order(base, str(i)), search.search(base, str(i)), stats.stat(base, str(i))]
        print(json.dumps(out))
        """,
}

#: The package's own tests, as its authors would write them after the rewrite (README).
TESTS: Dict[str, str] = {
    "tests/__init__.py": "",
    "tests/test_mocked.py": f"""\
        from unittest import mock

        import pkg._http_client
        from pkg import orders, users
        from pkg.backends import search, stats

        DEAD = {DEAD!r}


        @mock.patch("pkg._http_client.session.get")
        def test_users(get):
            get.return_value.json.return_value = {{"query": {{"user": "7"}}}}
            assert users.user(DEAD, "7") == "7"
            get.assert_called_once_with(DEAD + "/json", params={{"user": "7"}})


        def test_orders():
            with mock.patch.object(pkg._http_client.session, "post") as post:
                post.return_value.json.return_value = {{"body": "1"}}
                assert orders.order(DEAD, "1") == "1"
            post.assert_called_once_with(DEAD + "/json", data="1")


        def test_search_with_mocker(mocker):
            get = mocker.patch("pkg._http_client.session.get")
            get.return_value.json.return_value = {{"query": {{"q": "x"}}}}
            assert search.search(DEAD, "x") == "x"


        def test_stats(monkeypatch):
            fake = mock.Mock()
            fake.return_value.json.return_value = {{"query": {{"s": "2"}}}}
            monkeypatch.setattr(pkg._http_client.client, "get", fake)
            assert stats.stat(DEAD, "2") == "2"
        """,
}


def run(root: Path, server_url: str) -> object:
    env = dict(os.environ, PYTHONPATH=str(root), SERVER_URL=server_url)
    proc = subprocess.run(
        [sys.executable, "run.py"], cwd=str(root), env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_a_package_opens_one_connection_per_host_in_total(tmp_path, server):
    before = write(tmp_path / "before", PACKAGE)
    expected = [str(i) for i in range(CALLS) for _ in range(4)]
    assert run(before, server.url) == expected
    server.wait_idle()
    assert server.counters.snapshot()["connections"] == 4 * CALLS  # one per call

    after = tmp_path / "after"
    shutil.copytree(before, after)
    result = CliRunner().invoke(command, [str(after), "-j", "2", "-q"])
    assert result.exit_code == 0, result.output
    client = (after / "pkg/_http_client.py").read_text()
    assert "session = requests.Session()" in client and "client = httpx.Client(" in client
    assert not (after / "pkg/backends/_http_client.py").exists()
    for name in ("users", "orders", "backends/search", "backends/stats"):
        text = (after / f"pkg/{name}.py").read_text()
        assert "_http_client import" in text and "Session()" not in text, text
    server.counters.reset()
    assert run(after, server.url) == expected
    server.wait_idle()
    # one requests session and one httpx client for the whole package (the same host)
    assert server.counters.snapshot()["connections"] <= 2


def test_tests_that_mock_the_shared_client_pass(tmp_path):
    root = write(tmp_path / "pkg", PACKAGE)
    result = CliRunner().invoke(command, [str(root), "-j", "1", "-q"])
    assert result.exit_code == 0, result.output
    write(root, TESTS)
    # Only the plugin these tests use (pytest-mock): loading every installed one costs ~2 s.
    env = dict(os.environ, PYTHONPATH=str(root), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    env.pop("PYTEST_ADDOPTS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "pytest_mock", "tests"],
        cwd=str(root),
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 passed" in proc.stdout, proc.stdout


LAZY: Dict[str, str] = {
    "pyproject.toml": '[project]\nname = "pkg"\nversion = "0"\ndependencies = ["requests"]\n',
    "pkg/__init__.py": "",
    "pkg/optional.py": """\
        def user(base, i):
            import requests

            try:
                response = requests.get(base + "/json", params={"user": i})
            except requests.ConnectionError:
                return None
            return response.json()["query"]["user"]
        """,
    "run.py": f"""\
        import json
        import os

        from pkg import optional

        base = os.environ["SERVER_URL"]
        print(json.dumps([optional.user(base, str(i)) for i in range({CALLS})] + [optional.user({DEAD!r}, "x")]))
        """,
}


def test_a_library_imported_in_a_function_shares_one_connection(tmp_path, server):
    before = write(tmp_path / "before", LAZY)
    expected = [str(i) for i in range(CALLS)] + [None]
    assert run(before, server.url) == expected
    server.wait_idle()
    assert server.counters.snapshot()["connections"] == CALLS

    after = tmp_path / "after"
    shutil.copytree(before, after)
    result = CliRunner().invoke(command, [str(after), "-j", "1", "-q"])
    assert result.exit_code == 0, result.output
    text = (after / "pkg/optional.py").read_text()
    assert "    import requests\n    from ._http_client import session as _session\n" in text, text
    server.counters.reset()
    assert run(after, server.url) == expected  # the same results, the error path as before
    server.wait_idle()
    assert server.counters.snapshot()["connections"] == 1
