"""The all-repos autofixer over local bare repositories listed by a ``json_file`` source."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

pytest.importorskip("all_repos")

from all_repos import clone  # noqa: E402

from codemods import all_repos as fixer  # noqa: E402

IDENTITY = {
    "GIT_AUTHOR_NAME": "Fixer",
    "GIT_AUTHOR_EMAIL": "fixer@example.invalid",
    "GIT_COMMITTER_NAME": "Fixer",
    "GIT_COMMITTER_EMAIL": "fixer@example.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}

CLIENT = '''"""Talks to the billing service."""
import logging

import requests

log = logging.getLogger(__name__)
BASE = "https://billing.example.invalid"


def invoice(number):
    response = requests.get(f"{BASE}/invoices/{number}")
    response.raise_for_status()
    return response.json()


def ping():
    try:
        return requests.head(BASE).ok
    except requests.RequestException:
        log.warning("billing is down")
        return False
'''
CLIENT_FIXED_CALLS = ('requests.get(f"{BASE}/invoices/{number}", timeout=', "requests.head(BASE, timeout=")
PLAIN = """import os
import sys


def main(argv=None):
    print(os.sep.join(argv or sys.argv[1:]))
"""
KWARGS = """import requests


def post(url, **kwargs):
    return requests.post(url, json={"a": 1}, **kwargs)
"""  # a timeout may be in kwargs: left for review


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def fleet_files(i: int, markers: Path) -> Dict[str, str]:
    """Ten repositories: nothing to change (0, 5), a client (1, 6), a client with its own
    configuration (2, 7), a call left for review next to a fix (3), a repository carrying its
    own codemods/, libcst.py, click.py, pathspec.py (4), a client whose tests fail (8, 9 with
    nothing to change but a failing test)."""
    files = {"README.md": f"service {i}\n", "svc/__init__.py": "", "svc/cli.py": PLAIN}
    kind = i % 5
    if kind in (1, 2, 3) or i == 8:
        files["svc/billing.py"] = CLIENT
    if kind == 2:
        files["pyproject.toml"] = '[tool.http-codemods]\nselect = ["add-timeout"]\ntimeout = 5\n'
    if kind == 3:
        files["svc/hooks.py"] = KWARGS
    if kind == 4:
        files["svc/billing.py"] = CLIENT
        for name in ("codemods/__init__.py", "codemods/__main__.py", "libcst.py", "click.py", "pathspec.py"):
            files[name] = f"open({str(markers / name.replace('/', '-'))!r}, 'w').close()\n"
    if i in (8, 9):
        files["FAILS_HERE"] = ""
    return files


def make_fleet(root: Path, markers: Path, copy_of: Optional[Path] = None) -> Dict[str, Path]:
    """Ten bare repositories and an all-repos configuration listing them (json_file). With
    ``copy_of``, the bare repositories are copies of that fleet's (made before any run
    touched them): the same commits, forty git processes fewer."""
    if copy_of is not None:
        shutil.copytree(copy_of / "remotes", root / "remotes")
        remotes = {f"svc{i}": root / "remotes" / f"svc{i}.git" for i in range(10)}
        return configure_fleet(root, remotes)
    remotes = {}
    for i in range(10):
        name = f"svc{i}"
        work = root / "src" / name
        work.mkdir(parents=True)
        git(work, "init", "-q", "-b", "main")
        for rel, text in fleet_files(i, markers).items():
            path = work / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", "initial")
        bare = root / "remotes" / f"{name}.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True, capture_output=True)
        remotes[name] = bare
    return configure_fleet(root, remotes)


def configure_fleet(root: Path, remotes: Dict[str, Path]) -> Dict[str, Path]:
    """The all-repos configuration listing ``remotes`` and its clones of them."""
    (root / "repos.json").write_text(json.dumps({n: str(p) for n, p in remotes.items()}))
    config = root / "all-repos.json"
    config.write_text(
        json.dumps(
            {
                "output_dir": "output",
                "source": "all_repos.source.json_file",
                "source_settings": {"filename": str(root / "repos.json")},
                "push": "all_repos.push.merge_to_master",
                "push_settings": {},
            }
        )
    )
    config.chmod(0o600)
    assert clone.main(["-C", str(config)]) == 0
    return remotes


def remote_state(remotes: Dict[str, Path]) -> Dict[str, tuple]:
    """Per repository: the commits main gained (merges left out) with their messages and the
    tree main ends with."""
    out = {}
    for name, bare in remotes.items():
        fixes = git(bare, "log", "--no-merges", "--format=%B%x00", "main", "--not", "main~0^{/initial}")
        messages = [m.strip() for m in fixes.split("\0") if m.strip()]
        out[name] = (messages, git(bare, "rev-parse", "main^{tree}"))
    return out


TEST_CMD = "test ! -e FAILS_HERE || { echo 'tests fail here'; exit 1; }"


def run_fixer(root: Path, *args: str) -> subprocess.CompletedProcess:
    """The real command, as a user runs it."""
    env = dict(os.environ, **IDENTITY)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "codemods.all_repos",
            "-C",
            str(root / "all-repos.json"),
            "--select",
            "add-timeout",
            "--test-cmd",
            TEST_CMD,
            "--jobs-per-repo",
            "1",
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=300,
    )


@pytest.fixture
def identity(monkeypatch):
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)


def dry_run_writes_nothing(root: Path, remotes: Dict[str, Path], capsys) -> None:
    before = {n: git(b, "for-each-ref") for n, b in remotes.items()}
    clones = [c for c in sorted((root / "output").iterdir()) if c.is_dir()]
    clone_heads = {c.name: git(c, "rev-parse", "HEAD") for c in clones}
    status = fixer.main(
        [
            "-C",
            str(root / "all-repos.json"),
            "--dry-run",
            "--select",
            "add-timeout",
            "--test-cmd",
            TEST_CMD,
            "--jobs-per-repo",
            "1",
        ]
    )
    out = capsys.readouterr().out
    assert status == 1, out  # svc8's and svc9's test command fails
    assert {n: git(b, "for-each-ref") for n, b in remotes.items()} == before
    for c in clones:
        assert git(c, "rev-parse", "HEAD") == clone_heads[c.name]
        assert git(c, "status", "--porcelain", "--untracked-files=all") == ""
    lines = {
        line.split()[0].rsplit("/", 1)[-1]: line.split()[1:]
        for line in out.splitlines()
        if line.startswith(str(root / "output"))
    }
    assert lines["svc1"][:2] == ["would", "change"]
    assert lines["svc0"][:2] == ["no", "change"]
    assert lines["svc8"][0] == "failed"


def test_dry_run_then_merge_to_master_lands_one_commit_where_needed_and_jobs_2_equals_jobs_1(
    tmp_path, identity, capsys
):
    markers = tmp_path / "markers"
    markers.mkdir()
    results: List[Dict[str, tuple]] = []
    outputs = []
    for jobs in ("1", "2"):
        root = tmp_path / f"j{jobs}"
        root.mkdir()
        remotes = make_fleet(root, markers, copy_of=None if jobs == "1" else tmp_path / "pristine")
        if jobs == "1":  # the same repositories again for the second run, as they are now
            shutil.copytree(root / "remotes", tmp_path / "pristine" / "remotes")
        if jobs == "1":
            dry_run_writes_nothing(root, remotes, capsys)
            status = fixer.main(
                [
                    "-C",
                    str(root / "all-repos.json"),
                    "--select",
                    "add-timeout",
                    "--test-cmd",
                    TEST_CMD,
                    "--jobs-per-repo",
                    "1",
                    "--jobs",
                    "1",
                ]
            )
            out = capsys.readouterr().out
        else:  # the installed command, as a user runs it
            proc = run_fixer(root, "--jobs", jobs)
            status, out = proc.returncode, proc.stdout + proc.stderr
        assert status == 1, out  # svc8's and svc9's tests fail
        results.append(remote_state(remotes))
        outputs.append(out)
    assert results[0] == results[1]
    state = results[0]

    needed = {"svc1", "svc2", "svc3", "svc4", "svc6", "svc7"}
    for name, (messages, _) in state.items():
        assert len(messages) == (1 if name in needed else 0), (name, messages)
    message = state["svc1"][0][0]
    assert message.startswith("Apply http-codemods: add-timeout\n\n2 sites fixed in 1 file.")
    assert message.endswith("Committed via https://github.com/asottile/all-repos")
    assert "Made by http-codemods" in message
    # The sites left for review are in the message (so in a PR body).
    review = state["svc3"][0][0]
    assert "1 site left for review." in review
    assert "- svc/hooks.py:5:12: add-timeout: passes **kwargs, which may already hold a timeout" in review
    # Each repository's own configuration applied: timeout = 5 in svc2.
    for name, timeout in (("svc1", "60"), ("svc2", "5")):
        bare = tmp_path / "j1" / "remotes" / f"{name}.git"
        text = git(bare, "show", "main:svc/billing.py")
        assert all(call + timeout + ")" in text for call in CLIENT_FIXED_CALLS), text
    # The failing test command: listed, nothing landed.
    assert state["svc8"][0] == [] and state["svc9"][0] == []
    for out in outputs:
        row = [line for line in out.splitlines() if line.rstrip().endswith("svc8") or "/svc8 " in line]
        assert any(" failed " in line + " " for line in row), out
        assert "tests fail here" in out
        assert "6 changed" in out
    # Nothing from the repositories was imported.
    assert list(markers.iterdir()) == []
