"""The pre-commit hooks, through ``pre-commit try-repo`` on a temporary git repository.

try-repo installs this project into a fresh virtualenv the way a user's pre-commit would
(``language: python``: pip installs the package and its dependencies from PyPI; pip's cache
makes repeated runs fast). The project is copied, with its working-tree files, into a
temporary git repository first, so the hooks tested are the ones in this checkout even when it
has uncommitted changes. PRE_COMMIT_HOME points into the test's temporary directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"
FIXED = SOURCE.replace("requests.get(url)", "requests.get(url, timeout=60)")
FORWARD = "import requests\n\n\ndef fetch(url, **kwargs):\n    return requests.get(url, **kwargs)\n"
#: Modules a hostile repository could plant to run under the tool's name (issue 16).
PLANTED = (
    "codemods/__init__.py",
    "codemods/__main__.py",
    "codemods/cli.py",
    "pathspec.py",
    "libcst.py",
    "click.py",
    "moreorless.py",
    "multiprocessing.py",
    "yaml.py",
)


def plant_markers(repo: Path, markers: Path) -> None:
    """Each planted module writes a file into ``markers`` when imported."""
    markers.mkdir(exist_ok=True)
    for name in PLANTED:
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        label = name.replace("/", ".")
        target.write_text(f"open({str(markers / label)!r}, 'w').write('imported')\n")


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def init(repo: Path) -> None:
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Test Person")
    git(repo, "config", "user.email", "test@example.invalid")
    git(repo, "config", "commit.gpgsign", "false")


def copy_project(dest: Path) -> Path:
    dest.mkdir()
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy(ROOT / name, dest / name)
    shutil.copytree(ROOT / "codemods", dest / "codemods", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    init(dest)
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "snapshot")
    return dest


def try_repo(project: Path, repo: Path, home: Path, *hook: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return subprocess.run(
        # -I: pre-commit itself (the harness) must not import the repository's planted modules.
        [sys.executable, "-I", "-m", "pre_commit", "try-repo", str(project), *hook, "--all-files"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def test_hooks_file_declares_both_hooks():
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"http-codemods", "http-codemods-check"}
    # --force-exclude (issue 15): pre-commit names each file, the config's excludes still apply.
    assert hooks["http-codemods"]["entry"] == "http-codemods --force-exclude"
    assert hooks["http-codemods-check"]["entry"] == "http-codemods --check --force-exclude"
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["types"] == ["python"]


def test_try_repo_rewrite_and_check_hooks(tmp_path):
    project = copy_project(tmp_path / "project")
    repo = tmp_path / "repo"
    repo.mkdir()
    init(repo)
    (repo / "client.py").write_text(SOURCE)
    (repo / "forward.py").write_text(FORWARD)
    (repo / "notes.txt").write_text("requests.get(url)\n")  # not Python: never passed to the hooks
    # The project's own configuration applies to the hooks as to the command.
    (repo / "pyproject.toml").write_text('[tool.http-codemods]\nselect = ["add-timeout"]\nexclude = ["vendor/"]\n')
    # Excluded by the configuration: pre-commit names it, --force-exclude keeps it out.
    (repo / "vendor").mkdir()
    (repo / "vendor" / "lib.py").write_text(FORWARD)
    # Modules of the tool's own names in the repository: the hooks never import them
    # (a console script puts its own directory, not the repository, first on sys.path, and
    # the workers are forked, not spawned in the repository).
    markers = tmp_path / "markers"
    plant_markers(repo, markers)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    home = tmp_path / "pre-commit-home"

    # One try-repo run with every hook (try-repo installs into a fresh store on every call,
    # ignoring PRE_COMMIT_HOME for the hook repository, so the test makes exactly one call).
    # pre-commit runs them in id order: the rewrite fixes client.py (and pre-commit fails it
    # as "files were modified"), then the check fails on the site left for review in
    # forward.py, which no rewrite can fix.
    proc = try_repo(project, repo, home)
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    rewrite_part, check_part = out.split("http-codemods (check)", 1)
    assert "http-codemods (rewrite)" in rewrite_part and "Failed" in rewrite_part
    assert "files were modified by this hook" in rewrite_part
    assert "Failed" in check_part
    assert "forward.py:5:12: add-timeout:" in check_part and "**kwargs" in check_part
    assert "client.py" not in check_part  # already fixed by the rewrite hook
    assert (repo / "client.py").read_text() == FIXED
    assert (repo / "forward.py").read_text() == FORWARD
    assert "vendor/lib.py" not in out and (repo / "vendor" / "lib.py").read_text() == FORWARD
    assert (repo / "notes.txt").read_text() == "requests.get(url)\n"
    assert "codemods/__main__.py" not in out  # scanned as any file: nothing to report
    assert sorted(os.listdir(markers)) == []
