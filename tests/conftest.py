"""Shared fixtures: a real counting HTTP server on 127.0.0.1, and running programs against it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict

import pytest

from codemods.localserver import CountingServer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def http_server():
    """One server per test module, stopped (its thread joined) when the module is done: a
    thread left running would make every later ``batch`` or all-repos run in this process take
    its no-fork fallback, a fresh interpreter per repository (``codemods/bulk.py``), several
    times slower than the forked path those tests mean to exercise."""
    server = CountingServer().start()
    yield server
    server.wait_idle()
    server.stop()


@pytest.fixture
def server(http_server):
    """The shared server with counters reset for this test."""
    http_server.wait_idle(1.0)
    http_server.counters.reset()
    return http_server


def run_program(path: Path, server_url: str, timeout: float = 60) -> Dict[str, Any]:
    """Run ``path`` (which reads SERVER_URL and prints one JSON line as its last line) in a
    fresh interpreter with ResourceWarnings shown; return its result and stderr."""
    env = dict(os.environ, SERVER_URL=server_url, PYTHONWARNINGS="always::ResourceWarning")
    proc = subprocess.run(
        [sys.executable, "-X", "dev", str(path)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=str(path.parent),
    )
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return {"result": json.loads(lines[-1]) if lines else None, "stderr": proc.stderr}


def rewrite(tmp_path: Path, source: str, *args: str, name: str = "prog.py") -> Path:
    """Write ``source`` to tmp_path/name and run the CLI on it in place; return the path."""
    from click.testing import CliRunner

    from codemods.cli import command

    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    result = CliRunner().invoke(command, [str(path), "-j", "1", "-q", *args])
    assert result.exit_code in (0, 1), result.output
    return path


@pytest.fixture(autouse=True)
def _own_cache_dir(tmp_path_factory, monkeypatch):
    """Each test its own results cache (``codemods/cache.py``): no test sees another's
    entries, none writes to the user's cache. Subprocesses inherit the variable."""
    monkeypatch.setenv("HTTP_CODEMODS_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
