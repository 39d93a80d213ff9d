"""The mock move and the drop-ins: the package module's client of a niquests call is
``niquests_session``, and a test's ``mock.patch("requests.get")`` never intercepted that call.
Under ``--client-library niquests`` (the library of a ``--client`` object only: the package's
clients follow the calls' modules) a requests call's patch moves onto ``session``, which the
generated module defines and the rewritten test still runs through; a niquests call's patch is
not moved (the call stays reported as mocked)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from codemods.cli import command

from .helpers import write

TEST = """\
from unittest import mock

from pkg import mod


def test_fetch():
    with mock.patch("requests.get") as get:
        get.return_value.json.return_value = 1
        assert mod.fetch("u") == 1
    assert get.call_count == 1
"""

MODULE = """\
import {binding}


def fetch(url):
    return {name}.get(url).json()
"""

ARGS = ("--select", "share-session", "--client-library", "niquests", "--requests-version", ">=2.32", "--unsafe-fixes")


def project(root: Path, binding: str, name: str) -> Path:
    return write(
        root,
        {
            "pyproject.toml": '[project]\nname = "pkg"\n',
            "pkg/__init__.py": "",
            "pkg/mod.py": MODULE.format(binding=binding, name=name),
            "tests/test_mod.py": TEST,
        },
    )


def run(root: Path, *args: str):
    cwd = os.getcwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(command, [*ARGS, *args, "-j", "1", "--no-cache", "."])
    finally:
        os.chdir(cwd)


def defined(module: Path) -> set:
    return {t.id for node in ast.parse(module.read_text()).body if isinstance(node, ast.Assign) for t in node.targets}


def test_a_requests_call_s_patch_moves_onto_a_client_the_module_defines_and_still_intercepts(tmp_path):
    root = project(tmp_path / "proj", "requests", "requests")
    result = run(root)
    assert result.exit_code == 0, result.output
    moved = (root / "tests/test_mod.py").read_text()
    targets = re.findall(r'mock\.patch\("pkg\._http_client\.(\w+)\.get"\)', moved)
    assert targets == ["session"], moved
    assert set(targets) <= defined(root / "pkg/_http_client.py")
    # The rewritten test runs (requests is installed; the mock means no request is sent).
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr


def test_a_niquests_call_s_requests_patch_is_not_moved_onto_a_name_the_module_lacks(tmp_path):
    """``import niquests as requests``: the call goes to ``niquests_session``; the test's patch
    of ``requests.get`` never intercepted it and ``session`` does not exist there."""
    root = project(tmp_path / "proj", "niquests as requests", "requests")
    result = run(root)
    assert result.exit_code == 0, result.output  # written: a call left for review is no error
    assert (root / "tests/test_mod.py").read_text() == TEST
    assert (root / "pkg/mod.py").read_text() == MODULE.format(binding="niquests as requests", name="requests")
    assert not (root / "pkg/_http_client.py").exists()
    assert "mocked by tests/test_mod.py:7 (mock.patch('requests.get'))" in result.output


def test_a_niquests_call_patched_as_niquests_get_is_not_rewritten_unguarded(tmp_path):
    root = project(tmp_path / "proj", "niquests", "niquests")
    (root / "tests/test_mod.py").write_text(TEST.replace('"requests.get"', '"niquests.get"'))
    result = run(root)
    assert (root / "pkg/mod.py").read_text() == MODULE.format(binding="niquests", name="niquests"), result.output
    assert (root / "tests/test_mod.py").read_text() == TEST.replace('"requests.get"', '"niquests.get"')
    assert "mocked by tests/test_mod.py:7 (mock.patch('niquests.get'))" in result.output


def test_without_unsafe_fixes_a_niquests_call_s_requests_patch_is_not_said_to_move(tmp_path):
    """review s31: the planning run never moves a patch for a niquests call (its marker names
    niquests): the hint that ``--unsafe-fixes`` may fix it by a move, and its count, are not
    true of it; the requests call's are."""
    from codemods.sites import MOVE_HINT

    niquests = project(tmp_path / "niquests", "niquests as requests", "requests")
    plain = project(tmp_path / "plain", "requests", "requests")
    safe_args = [a for a in ARGS if a != "--unsafe-fixes"]
    for root, hinted in ((niquests, False), (plain, True)):
        cwd = os.getcwd()
        os.chdir(root)
        try:
            result = CliRunner().invoke(command, [*safe_args, "--check", "-j", "1", "--no-cache", "."])
        finally:
            os.chdir(cwd)
        assert "mocked by tests/test_mod.py:7 (mock.patch('requests.get'))" in result.output, result.output
        assert (MOVE_HINT in result.output) is hinted, result.output
        assert ("mocked by tests may be fixed with --unsafe-fixes" in result.output) is hinted, result.output
