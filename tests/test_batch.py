"""``http-codemods batch`` over real temporary git repositories, run as the real command."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
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
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def batch(*args: str, env: Optional[Dict[str, str]] = None) -> Result:
    """The same command through click's runner (saves an interpreter start per test; each
    repository is still processed in a process of its own)."""
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
        tmp_path,
        "configured",
        {"pyproject.toml": '[tool.http-codemods]\nselect = ["add-timeout"]\ntimeout = 5\n', "m.py": SOURCE},
    )
    dirty = make_repo(tmp_path, "dirty", {"m.py": SOURCE})
    (dirty / "m.py").write_text(SOURCE + "# work in progress\n")
    failing = make_repo(
        tmp_path,
        "failing",
        {
            "m.py": SOURCE,
            "check.py": "import sys\nprint('checking')\nsys.exit(1 if 'timeout' in open('m.py').read() else 0)\n",
        },
    )
    nothing = make_repo(tmp_path, "nothing", {"m.py": PLAIN})

    # One test command for all: it fails only in the repository that has check.py.
    test_cmd = "if [ -f check.py ]; then python check.py; else echo ok; fi"
    proc = batch_process(
        str(good),
        str(configured),
        str(dirty),
        str(failing),
        str(nothing),
        "--select",
        "add-timeout",
        "--test-cmd",
        test_cmd,
    )
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
    proc = batch(
        "--repos-file",
        str(listing),
        "--select",
        "add-timeout",
        "--timeout",
        "7",
        "--branch",
        "chore/timeouts",
        "--message",
        "Add timeouts\n\nBy the bot.",
        "--pr-body-dir",
        str(bodies),
    )
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
    proc = batch(
        str(taken), str(plain_dir), str(tmp_path / "missing"), str(hooked), str(fine), "--select", "add-timeout"
    )
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
    pushed = subprocess.run(
        ["git", "show", "http-codemods/add-timeout:m.py"], cwd=remote, capture_output=True, text=True
    )
    assert "timeout=60" in pushed.stdout


def test_usage_errors(tmp_path):
    assert batch().returncode == 2
    proc = batch(str(tmp_path), "--select", "no-such-codemod")
    assert proc.returncode == 2 and "unknown codemod" in proc.stderr


# -- issue 12: parallel, resumable, paced ------------------------------------------------------

FIXED_DATES = {"GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"}


def make_fleet(root: Path, count: int = 20) -> list:
    """Repositories of four kinds: nothing to change, one fix, one fix with its own config, one
    fix whose test fails while a flag file FAIL/<name> exists."""
    repos = []
    for i in range(count):
        kind = i % 4
        files = {"m.py": PLAIN if kind == 0 else SOURCE, "lib/util.py": PLAIN}
        if kind == 2:
            files["pyproject.toml"] = "[tool.http-codemods]\ntimeout = 9\n"
        repos.append(make_repo(root, f"r{i:02d}", files))
    return repos


def fleet_test_cmd(control: Path) -> str:
    """Logs the repository, fails where FAIL/<name> exists, leaves a __pycache__ behind, then
    waits (observably: WAIT/<name>) until the file GATE exists."""
    c = str(control)
    return (
        f'n=$(basename "$PWD"); echo "$n" >> {c}/LOG; '
        f'if [ -e {c}/FAIL/"$n" ]; then echo "$n is broken"; exit 1; fi; '
        "mkdir -p __pycache__ && : > __pycache__/m.cpython.pyc; "
        f'while [ ! -e {c}/GATE ]; do : > {c}/WAIT/"$n"; sleep 0.01; done'
    )


def make_control(root: Path, repos: list, gate: bool) -> Path:
    control = root / "control"
    (control / "FAIL").mkdir(parents=True)
    (control / "WAIT").mkdir()
    for repo in repos[3::4]:
        (control / "FAIL" / repo.name).write_text("")
    if gate:
        (control / "GATE").write_text("")
    return control


def snapshot(repos: list) -> dict:
    """Everything a run leaves: branches and their commits (the dates are fixed, so equal
    commits have equal ids), the checked-out branch, the status, the PR bodies."""
    out = {}
    for repo in repos:
        body = repo / ".git" / "http-codemods-pr.md"
        out[repo.name] = (
            git(repo, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads"),
            git(repo, "rev-parse", "--abbrev-ref", "HEAD"),
            git(repo, "status", "--porcelain", "--untracked-files=all"),
            body.read_text().replace(str(repo.parent), "ROOT") if body.exists() else None,
            (repo / ".git" / "http-codemods-batch.json").exists(),
        )
    return out


def rows(output: str, repos: list) -> dict:
    return {repo.name: table_row(output, repo) for repo in repos}


def wait_for(condition, what: str, limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_killed_run_resumed_equals_an_uninterrupted_run_and_failed_reruns_only_the_failed(tmp_path, monkeypatch):
    for name, value in FIXED_DATES.items():  # equal commits get equal ids, the initial ones too
        monkeypatch.setenv(name, value)
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    args = ["-j", "2", "--select", "add-timeout", "--jobs-per-repo", "1"]

    # The reference: one uninterrupted run (in this process: each repository is still a process).
    # Eight repositories, two of each kind: enough for a finished one and a waiting one when
    # killed, and cheap enough to stay far inside the timeout on a busy machine.
    ref_repos = make_fleet(tmp_path / "ref", 8)
    for repo in ref_repos:  # the fleet to kill: copies, so the same commits (48 git runs fewer)
        shutil.copytree(repo, tmp_path / "run" / repo.name, symlinks=True)
    ref_control = make_control(tmp_path / "ref", ref_repos, gate=True)
    monkeypatch.chdir(tmp_path / "ref")
    ref = batch(*args, "--test-cmd", fleet_test_cmd(ref_control), *map(str, ref_repos))
    assert ref.returncode == 1, ref.stdout + ref.stderr  # the two broken ones failed
    expected = snapshot(ref_repos)
    expected_rows = rows(ref.stdout, ref_repos)
    assert [r[0] for r in expected_rows.values()].count("failed") == 2
    assert [r[0] for r in expected_rows.values()].count("changed") == 4
    assert "4 changed, 2 no change, 2 failed, 0 skipped" in ref.stdout
    # Files the test command made (__pycache__) were removed: nothing is dirty.
    assert all(not s[2] for s in expected.values()), expected
    # Output order is the order given, whatever finished first.
    order = [line.split("/")[-1] for line in ref.stdout.splitlines() if line.startswith("== ")]
    assert order == [r.name for r in ref_repos]

    # The same fleet, killed while two repositories are half way through their test command.
    repos = [tmp_path / "run" / repo.name for repo in ref_repos]
    control = make_control(tmp_path / "run", repos, gate=False)
    state_file = tmp_path / "run" / ".http-codemods-batch.json"
    command = [sys.executable, "-m", "codemods", "batch", *args, "--test-cmd", fleet_test_cmd(control)]
    proc = subprocess.Popen(
        [*command, *map(str, repos)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=tmp_path / "run",
        start_new_session=True,
    )

    def outcomes() -> dict:
        try:
            return json.loads(state_file.read_text())["outcomes"]
        except (OSError, ValueError, KeyError):
            return {}

    try:
        wait_for(lambda: outcomes() and any((control / "WAIT").iterdir()), "a finished repository and a waiting one")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    done = outcomes()
    assert 1 <= len(done) < len(repos)
    interrupted = [r for r in repos if (r / ".git" / "http-codemods-batch.json").exists()]
    assert interrupted  # a repository was left half way (rewritten, on its branch or not)

    (control / "GATE").write_text("")
    resumed = subprocess.run(
        [*command, "--resume"], capture_output=True, text=True, env=env, cwd=tmp_path / "run", timeout=300
    )
    assert resumed.returncode == 1, resumed.stdout + resumed.stderr
    assert f"({len(repos) - len(done)} of {len(repos)} repositories to run)" in resumed.stderr
    assert snapshot(repos) == expected
    assert rows(resumed.stdout, repos) == expected_rows

    # --resume with other options is refused; --failed reruns exactly the failed ones.
    monkeypatch.chdir(tmp_path / "run")
    tail = command[command.index("-j") :]
    other = batch(*tail, "--timeout", "3", "--resume")
    assert other.returncode == 2 and "other options" in other.stderr
    for flag in (control / "FAIL").iterdir():
        flag.unlink()
    (control / "LOG").unlink()
    rerun = batch(*tail, "--failed")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "(2 of 8 repositories to run)" in rerun.stderr
    assert sorted((control / "LOG").read_text().split()) == [r.name for r in repos[3::4]]
    after = rows(rerun.stdout, repos)
    assert all(after[r.name][0] == "changed" for r in repos[3::4])
    assert "6 changed, 2 no change, 0 failed, 0 skipped" in rerun.stdout
    now = snapshot(repos)
    assert {k: v for k, v in now.items() if k not in {r.name for r in repos[3::4]}} == {
        k: v for k, v in expected.items() if k not in {r.name for r in repos[3::4]}
    }


def test_branch_and_title_name_only_the_codemods_that_changed_something(tmp_path):
    repo = make_repo(tmp_path, "svc", {"m.py": SOURCE})
    proc = batch(str(repo), "--select", "add-timeout,close-response,close-client")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert table_row(proc.stdout, repo)[-1] == "http-codemods/add-timeout"
    assert git(repo, "log", "-1", "--format=%s", "http-codemods/add-timeout") == "Apply http-codemods: add-timeout"


def test_rerun_skips_an_existing_branch_or_replaces_it_and_test_files_never_make_it_dirty(tmp_path):
    repo = make_repo(tmp_path, "svc", {"m.py": SOURCE, "check.py": "import m\n"})
    test_cmd = "python -c 'import check'"  # leaves __pycache__/ (no .gitignore here)
    first = batch(str(repo), "--select", "add-timeout", "--test-cmd", test_cmd)
    assert first.returncode == 0, first.stdout
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    tip = git(repo, "rev-parse", "http-codemods/add-timeout")

    again = batch(str(repo), "--select", "add-timeout", "--test-cmd", test_cmd)
    assert again.returncode == 0
    assert table_row(again.stdout, repo)[0] == "skipped"
    assert "already exists (--conflict replace rebuilds it from HEAD)" in again.stdout
    assert git(repo, "rev-parse", "http-codemods/add-timeout") == tip

    # Same change again: the branch is kept as it was.
    same = batch(str(repo), "--select", "add-timeout", "--conflict", "replace")
    assert table_row(same.stdout, repo)[0] == "changed"
    assert "already has this change" in same.stdout
    assert git(repo, "rev-parse", "http-codemods/add-timeout") == tip

    # Another change (the base moved on): the branch is rebuilt from HEAD.
    (repo / "n.py").write_text(SOURCE)
    git(repo, "add", "n.py")
    git(repo, "commit", "-qm", "more")
    replaced = batch(str(repo), "--select", "add-timeout", "--conflict", "replace")
    assert replaced.returncode == 0, replaced.stdout
    assert "rebuilt from main" in replaced.stdout
    assert git(repo, "rev-parse", "http-codemods/add-timeout^") == git(repo, "rev-parse", "main")
    assert "timeout=60" in git(repo, "show", "http-codemods/add-timeout:n.py")
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""


def test_pushes_are_paced(tmp_path):
    repos = []
    for i in range(3):
        remote = tmp_path / f"remote{i}.git"
        subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
        hook = remote / "hooks" / "pre-receive"
        hook.write_text(
            f"#!/bin/sh\ncat > /dev/null\n{sys.executable} -c 'import time; print(time.time())' >> {tmp_path}/pushes\n"
        )
        hook.chmod(0o755)
        repo = make_repo(tmp_path, f"svc{i}", {"m.py": SOURCE})
        git(repo, "remote", "add", "origin", str(remote))
        repos.append(repo)
    proc = batch("-j", "2", *map(str, repos), "--select", "add-timeout", "--push", "--sleep", "0.5")
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.count("pushed http-codemods/add-timeout to origin") == 3
    times = [float(t) for t in (tmp_path / "pushes").read_text().split()]
    assert len(times) == 3
    assert all(b - a >= 0.5 for a, b in zip(times, times[1:])), times


def test_nothing_from_the_repository_is_imported(tmp_path):
    """Issue 16: a repository's own codemods/, pathspec.py, libcst.py and click.py never run."""
    markers = tmp_path / "markers"
    markers.mkdir()
    repo = make_repo(tmp_path, "hostile", hostile_files(markers))
    proc = batch(str(repo), "--select", "add-timeout")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert table_row(proc.stdout, repo)[0] == "changed"
    git(repo, "branch", "-D", "http-codemods/add-timeout")
    # The installed command too, started from the directory above the repository.
    proc = batch_process(str(repo), "--select", "add-timeout")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # And the fallback used where forking is not safe: a fresh `python -I`.
    from codemods import bulk

    log = tmp_path / "log.txt"
    status = bulk._interpreter(str(repo), ["--diff", "-q", "--select", "add-timeout", "."], str(log))
    assert status == 1 and "timeout=60" in log.read_text()
    assert list(markers.iterdir()) == []


def hostile_files(markers: Path) -> Dict[str, str]:
    def marker(name: str) -> str:
        return f"open({str(markers / name)!r}, 'w').close()\n"

    return {
        "m.py": SOURCE,
        "codemods/__init__.py": marker("codemods-init"),
        "codemods/__main__.py": marker("codemods-main"),
        "pathspec.py": marker("pathspec"),
        "libcst.py": marker("libcst"),
        "click.py": marker("click"),
        "moreorless.py": marker("moreorless"),
    }


def test_run_from_inside_the_repository_the_state_file_does_not_make_it_dirty(tmp_path, monkeypatch):
    repo = make_repo(tmp_path, "svc", {"m.py": SOURCE})
    monkeypatch.chdir(repo)
    proc = batch(".", "--select", "add-timeout", "--test-cmd", "true")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert table_row(proc.stdout, repo)[0] == "changed"
    assert (repo / ".http-codemods-batch.json").exists()  # kept: the record of the run
    assert ".http-codemods-batch.json" not in git(repo, "show", "--stat", "http-codemods/add-timeout")
    again = batch(".", "--select", "add-timeout", "--conflict", "replace")
    assert table_row(again.stdout, repo)[0] == "changed", again.stdout
