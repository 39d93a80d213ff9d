"""``http-codemods batch`` over real temporary git repositories, run as the real command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional

import pytest
from click.testing import CliRunner

from codemods.cli import batch_command

SOURCE = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"
FIXED = SOURCE.replace("requests.get(url)", "requests.get(url, timeout=60)")
PLAIN = "import os\n\nprint(os.sep)\n"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """batch writes its state file in the current directory."""
    monkeypatch.chdir(tmp_path)


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def make_repo(root: Path, name: str, files: Dict[str, str], branch: str = "main") -> Path:
    repo = root / name
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", branch)
    # CI has no global identity: set one per repository.
    git(repo, "config", "user.name", "Test Person")
    git(repo, "config", "user.email", "test@example.invalid")
    git(repo, "config", "commit.gpgsign", "false")
    for rel, text in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    return repo


def batch_process(*args: str, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    """The installed command, ``python -m codemods batch ...``, in a subprocess."""
    env = dict(env or os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return subprocess.run(
        [sys.executable, "-m", "codemods", "batch", "-j", "1", *args],
        capture_output=True, text=True, timeout=300, env=env,
    )


def batch(*args: str, env: Optional[Dict[str, str]] = None) -> Result:
    """The same command through click's runner (saves an interpreter start per test; each
    repository's run is still a subprocess)."""
    result = CliRunner(env=env).invoke(batch_command, ["-j", "1", *args], catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def table_row(output: str, repo: Path) -> list:
    for line in output.splitlines():
        if line.startswith(str(repo) + " "):
            return line.split()[1:] if "no change" not in line else ["no change"] + line.split()[3:]
    raise AssertionError(f"{repo} not in the table:\n{output}")


def test_batch_many_repositories_one_dirty_one_failing(tmp_path):
    good = make_repo(tmp_path, "good", {"app/client.py": SOURCE, "app/other.py": PLAIN})
    configured = make_repo(
        tmp_path, "configured",
        {"pyproject.toml": '[tool.http-codemods]\nselect = ["add-timeout"]\ntimeout = 5\n', "m.py": SOURCE},
    )
    dirty = make_repo(tmp_path, "dirty", {"m.py": SOURCE})
    (dirty / "m.py").write_text(SOURCE + "# work in progress\n")
    failing = make_repo(tmp_path, "failing", {"m.py": SOURCE, "check.py": "import sys\nprint('checking')\nsys.exit(1 if 'timeout' in open('m.py').read() else 0)\n"})
    nothing = make_repo(tmp_path, "nothing", {"m.py": PLAIN})

    # One test command for all: it fails only in the repository that has check.py.
    test_cmd = "if [ -f check.py ]; then python check.py; else echo ok; fi"
    proc = batch_process(str(good), str(configured), str(dirty), str(failing), str(nothing),
                 "--select", "add-timeout", "--test-cmd", test_cmd)
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr  # one failed

    # The table: repository, status, files, fixed, review, branch.
    assert table_row(out, good) == ["changed", "1", "1", "0", "http-codemods/add-timeout"]
    assert table_row(out, configured) == ["changed", "1", "1", "0", "http-codemods/add-timeout"]
    assert table_row(out, dirty) == ["skipped", "0", "0", "0", "-"]
    assert table_row(out, failing)[0] == "failed"
    assert table_row(out, nothing)[0] == "no change"
    assert "2 changed, 1 no change, 1 failed, 1 skipped" in out

    # good: a commit on the new branch, the original branch checked out and untouched.
    assert git(good, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert (good / "app" / "client.py").read_text() == SOURCE
    assert git(good, "status", "--porcelain") == ""
    assert git(good, "show", "http-codemods/add-timeout:app/client.py") + "\n" == FIXED
    assert git(good, "rev-list", "--count", "main..http-codemods/add-timeout") == "1"
    message = git(good, "log", "-1", "--format=%B", "http-codemods/add-timeout")
    assert message.startswith("Apply http-codemods: add-timeout")
    assert "1 site fixed in 1 file" in message
    body = (good / ".git" / "http-codemods-pr.md").read_text()
    assert body.startswith("## http-codemods: add-timeout")
    assert "| `app/client.py` | add-timeout | 1 | 0 |" in body
    assert "http-codemods --select add-timeout ." in body

    # configured: the repository's own [tool.http-codemods] applied (timeout = 5).
    assert "timeout=5)" in git(configured, "show", "http-codemods/add-timeout:m.py")
    assert "--timeout 5" in (configured / ".git" / "http-codemods-pr.md").read_text()

    # dirty: refused, nothing touched.
    assert "uncommitted changes" in out
    assert git(dirty, "branch", "--list", "http-codemods/*") == ""
    assert (dirty / "m.py").read_text() == SOURCE + "# work in progress\n"

    # failing: branch removed, original branch checked out, files as they were, and the
    # test command's last lines in the report.
    assert "test command failed (exit status 1)" in out
    assert "checking" in out
    assert git(failing, "branch", "--list", "http-codemods/*") == ""
    assert git(failing, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert git(failing, "status", "--porcelain") == ""
    assert (failing / "m.py").read_text() == SOURCE

    # nothing: no branch left behind.
    assert git(nothing, "branch", "--list", "http-codemods/*") == ""
    assert not (nothing / ".git" / "http-codemods-pr.md").exists()


def test_repos_file_pr_body_dir_custom_branch_and_message(tmp_path):
    one = make_repo(tmp_path / "a", "svc", {"m.py": SOURCE})
    two = make_repo(tmp_path / "b", "svc", {"m.py": SOURCE}, branch="trunk")
    listing = tmp_path / "repos.txt"
    listing.write_text(f"# services\n{one}\n\n{os.path.relpath(two, tmp_path)}\n")
    bodies = tmp_path / "bodies"
    proc = batch("--repos-file", str(listing), "--select", "add-timeout", "--timeout", "7",
                 "--branch", "chore/timeouts", "--message", "Add timeouts\n\nBy the bot.", "--pr-body-dir", str(bodies))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in bodies.iterdir()) == ["svc-2.md", "svc.md"]  # same names kept apart
    for repo, original in ((one, "main"), (two, "trunk")):
        assert git(repo, "rev-parse", "--abbrev-ref", "HEAD") == original
        assert git(repo, "log", "-1", "--format=%B", "chore/timeouts") == "Add timeouts\n\nBy the bot."
        assert "timeout=7)" in git(repo, "show", "chore/timeouts:m.py")
    assert "--timeout 7" in (bodies / "svc.md").read_text()


def test_detached_head_refused_and_allow_dirty_leaves_dirty_files_out(tmp_path):
    detached = make_repo(tmp_path, "detached", {"m.py": SOURCE})
    git(detached, "checkout", "-q", "--detach", "HEAD")
    dirty = make_repo(tmp_path, "dirty", {"a.py": SOURCE, "b.py": SOURCE})
    (dirty / "a.py").write_text(SOURCE + "x = 1  # uncommitted\n")
    proc = batch(str(detached), str(dirty), "--select", "add-timeout")
    assert proc.returncode == 0, proc.stdout  # refusals are not failures
    assert "detached HEAD" in proc.stdout
    assert "2 skipped" in proc.stdout

    proc = batch(str(detached), str(dirty), "--select", "add-timeout", "--allow-dirty")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # detached: the branch made from the detached commit, HEAD detached again at the end.
    assert git(detached, "rev-parse", "--abbrev-ref", "HEAD") == "HEAD"
    assert "timeout=60" in git(detached, "show", "http-codemods/add-timeout:m.py")
    # dirty: only the clean file rewritten and committed; the uncommitted edit is still there.
    assert git(dirty, "show", "http-codemods/add-timeout:b.py") + "\n" == FIXED
    assert git(dirty, "show", "http-codemods/add-timeout:a.py") + "\n" == SOURCE
    assert (dirty / "a.py").read_text() == SOURCE + "x = 1  # uncommitted\n"
    assert git(dirty, "status", "--porcelain") == "M a.py"


def test_existing_branch_and_not_a_repository_fail_without_stopping_others(tmp_path):
    taken = make_repo(tmp_path, "taken", {"m.py": SOURCE})
    git(taken, "branch", "http-codemods/add-timeout")
    plain_dir = tmp_path / "notgit"
    plain_dir.mkdir()
    fine = make_repo(tmp_path, "fine", {"m.py": SOURCE})
    hooked = make_repo(tmp_path, "hooked", {"m.py": SOURCE})
    hook = hooked / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'commits are frozen today' >&2\nexit 1\n")
    hook.chmod(0o755)
    proc = batch(str(taken), str(plain_dir), str(tmp_path / "missing"), str(hooked), str(fine), "--select", "add-timeout")
    assert proc.returncode == 1
    assert "already exists" in proc.stdout
    assert "not a git repository" in proc.stdout
    assert "no such directory" in proc.stdout
    assert table_row(proc.stdout, fine)[0] == "changed"
    # An existing branch is skipped with a reason (issue 12: --conflict skip|replace), not a failure.
    assert table_row(proc.stdout, taken)[0] == "skipped"
    assert "1 changed, 0 no change, 3 failed, 1 skipped" in proc.stdout
    # The existing branch was not touched.
    assert git(taken, "rev-parse", "http-codemods/add-timeout") == git(taken, "rev-parse", "main")
    # A commit refused by the repository's own hook: reported, everything put back.
    assert "git commit failed" in proc.stdout and "commits are frozen today" in proc.stdout
    assert git(hooked, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert git(hooked, "status", "--porcelain") == ""
    assert git(hooked, "branch", "--list", "http-codemods/*") == ""


def test_push_to_a_remote_and_open_pr_without_gh(tmp_path):
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo = make_repo(tmp_path, "svc", {"m.py": SOURCE})
    git(repo, "remote", "add", "upstream", str(remote))
    env_path = os.path.dirname(sys.executable) + os.pathsep + "/usr/bin:/bin"  # no gh there
    if shutil.which("gh", path=env_path):
        pytest.skip("gh is installed here")
    proc = batch(str(repo), "--select", "add-timeout", "--remote", "upstream", "--open-pr", env={"PATH": env_path})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "pushed http-codemods/add-timeout to upstream" in proc.stdout
    assert "gh is not installed" in proc.stdout
    pushed = subprocess.run(["git", "show", "http-codemods/add-timeout:m.py"], cwd=remote, capture_output=True, text=True)
    assert "timeout=60" in pushed.stdout


def test_usage_errors(tmp_path):
    assert batch().returncode == 2
    proc = batch(str(tmp_path), "--select", "no-such-codemod")
    assert proc.returncode == 2 and "unknown codemod" in proc.stderr
