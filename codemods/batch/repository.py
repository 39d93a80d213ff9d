"""One repository, start to end (steps 1 to 6 of the package's docstring), in the process of
its own that ``runner`` forks for it."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .. import bulk
from .git import _back, _git, _glob_escape, _last, _same_change, _status
from .model import CHANGED, FAILED, JOURNAL, NO_CHANGE, SKIPPED, Failed, Options, Outcome, Refused


def read_repos_file(path: str) -> List[str]:
    """One repository path per line; blank lines and ``#`` comments ignored; relative paths
    are relative to the file."""
    base = os.path.dirname(os.path.abspath(path))
    repos = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            repos.append(line if os.path.isabs(line) else os.path.join(base, line))
    return repos


def process(repo: str, opts: Options, pr_body: Optional[str] = None, run_id: str = "") -> Outcome:
    outcome = Outcome(repo=repo)
    try:
        _process(repo, opts, outcome, pr_body, run_id)
    except Refused as exc:
        outcome.status = SKIPPED
        outcome.detail.insert(0, str(exc))
    except Failed as exc:
        outcome.status = FAILED
        outcome.detail[:0] = [str(exc)] + [f"    {line}" for line in exc.lines if line]
    except OSError as exc:
        outcome.status = FAILED
        outcome.detail.insert(0, f"{type(exc).__name__}: {exc}")
    return outcome


def _journal_write(path: str, data: Dict[str, Any]) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _recover(root: str, git_dir: str, journal: str, run_id: str) -> Optional[Outcome]:
    """Put back what an interrupted run left in ``root``; return its outcome instead when that
    run (the one being resumed) had finished the repository."""
    try:
        with open(journal, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        os.unlink(journal)
        return None
    if data.get("phase") == "committed":
        if run_id and data.get("run") == run_id and data.get("outcome"):
            return Outcome.from_dict(data["outcome"])
        os.unlink(journal)  # complete; an earlier run's outcome we have no use for
        return None
    lock = os.path.join(git_dir, "index.lock")
    if os.path.exists(lock):  # left by a git command killed with the run
        os.unlink(lock)
    dirty = set(data.get("dirty", []))
    tracked, untracked = _status(root)
    touched = [p for p in tracked if p not in dirty]
    if touched:
        _git(root, "reset", "--quiet", "--", *touched, check=False)
        _git(root, "checkout", "--quiet", "HEAD", "--", *touched, check=False)
    _remove_new(root, set(data.get("untracked", [])), untracked)
    branch, before = data.get("branch"), data.get("branch_before")
    original, sha = data.get("original"), data["sha"]
    current = _git(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False).stdout.strip()
    if branch and current == branch and branch != original:
        _back(root, original, sha)
    if branch and data.get("created"):
        if before:
            _git(root, "branch", "--quiet", "-f", branch, before, check=False)
        else:
            _git(root, "branch", "--quiet", "-D", branch, check=False)
    os.unlink(journal)
    return None


def _remove_new(root: str, before: set, now: Sequence[str]) -> None:
    """Remove the untracked files that were not there before (made by the test command)."""
    dirs = set()
    for rel in now:
        if rel in before:
            continue
        path = os.path.join(root, rel)
        if os.path.islink(path) or os.path.isfile(path):
            os.unlink(path)
        parent = os.path.dirname(rel)
        while parent:
            dirs.add(parent)
            parent = os.path.dirname(parent)
    for rel in sorted(dirs, key=len, reverse=True):
        try:
            os.rmdir(os.path.join(root, rel))
        except OSError:
            pass  # not empty: it holds files that were there before


def _process(repo: str, opts: Options, outcome: Outcome, pr_body: Optional[str], run_id: str) -> None:
    if not os.path.isdir(repo):
        raise Failed("no such directory")
    top = _git(repo, "rev-parse", "--show-toplevel", check=False)
    if top.returncode != 0:
        raise Failed("not a git repository")
    root = top.stdout.strip()
    if os.path.realpath(root) != os.path.realpath(repo):
        raise Failed(f"not the top of a git checkout (that is {root})")
    git_dir = _git(root, "rev-parse", "--absolute-git-dir").stdout.strip()
    journal = os.path.join(git_dir, JOURNAL)
    if os.path.exists(journal):
        earlier = _recover(root, git_dir, journal, run_id)
        if earlier is not None:
            earlier.detail.append("finished before the interruption")
            return _copy(earlier, outcome)
        outcome.detail.append("put back what an interrupted run had left")

    head = _git(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    original = head.stdout.strip() if head.returncode == 0 else None
    sha = _git(root, "rev-parse", "--verify", "--quiet", "HEAD", check=False).stdout.strip()
    if not sha:
        raise Refused("no commit yet (empty repository)")
    tracked, untracked = _status(root)
    if not opts.allow_dirty:
        if original is None:
            raise Refused("detached HEAD (check out a branch, or pass --allow-dirty)")
        if tracked or untracked:
            n = len(tracked) + len(untracked)
            raise Refused(f"uncommitted changes in {bulk.plural(n, 'file')} (commit them, or pass --allow-dirty)")
    dirty = tracked + untracked
    if opts.branch:
        _check_branch(root, opts.branch, opts, original)

    state: Dict[str, Any] = {
        "run": run_id,
        "phase": "rewrite",
        "original": original,
        "sha": sha,
        "dirty": dirty,
        "untracked": untracked,
        "branch": None,
        "branch_before": None,
        "created": False,
    }
    _journal_write(journal, state)
    outcome.journal = journal
    try:
        _rewrite_test_commit(root, git_dir, opts, outcome, pr_body, state, journal, dirty)
    except BaseException:
        # Whatever went wrong half way: put the repository back as the journal says.
        if os.path.exists(journal):
            _recover(root, git_dir, journal, "")
        outcome.journal = ""
        outcome.branch = ""
        raise


def _copy(source: Outcome, target: Outcome) -> None:
    for f in dataclasses.fields(Outcome):
        setattr(target, f.name, getattr(source, f.name))


def _check_branch(root: str, branch: str, opts: Options, original: Optional[str]) -> Optional[str]:
    """The sha of an existing branch ``conflict="replace"`` will rebuild, None if it is new;
    Refused when it exists and is to be skipped."""
    if _git(root, "check-ref-format", "--branch", branch, check=False).returncode != 0:
        raise Failed(f"invalid branch name {branch!r}")
    existing = _git(root, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False)
    if existing.returncode != 0:
        return None
    if branch == original:
        raise Failed(f"branch {branch} is checked out: check out the base branch first")
    if opts.conflict != "replace":
        raise Refused(f"branch {branch} already exists (--conflict replace rebuilds it from HEAD)")
    return existing.stdout.strip()


def _rewrite_test_commit(
    root: str,
    git_dir: str,
    opts: Options,
    outcome: Outcome,
    pr_body: Optional[str],
    state: Dict[str, Any],
    journal: str,
    dirty: List[str],
) -> None:
    data = _run_codemods(root, opts, dirty)
    c = bulk.counts(data)
    outcome.files, outcome.fixed, outcome.reported = c["files"], c["fixed"], c["reported"]
    outcome.detail += bulk.errors(data)
    tracked, _ = _status(root)
    changed = [p for p in tracked if p not in set(dirty)]
    if not changed:
        outcome.status = NO_CHANGE
        os.unlink(journal)
        outcome.journal = ""
        return
    branch = opts.branch or bulk.branch_name(data)
    original, sha = state["original"], state["sha"]
    before = _check_branch(root, branch, opts, original)  # Refused: undone by the caller
    state.update(branch=branch, branch_before=before)
    _journal_write(journal, state)

    if opts.test_cmd:
        _, untracked_before = _status(root)
        test = _run_test(root, opts)
        _remove_new(root, set(untracked_before), _status(root)[1])
        if test is not None:
            raise Failed(f"test command failed ({test[0]}); nothing kept, {original or sha[:12]} checked out", test[1])

    state["created"] = True
    _journal_write(journal, state)
    _git(root, "switch", "--quiet", "-C" if before else "-c", branch)
    _git(root, "add", "--", *changed)
    message = opts.message or bulk.commit_message(data)
    commit = _git(root, "commit", "--quiet", "--no-edit", "-m", message, check=False)
    if commit.returncode != 0:
        raise Failed("git commit failed; nothing kept", _last(commit.stderr + commit.stdout))
    new = _git(root, "rev-parse", "HEAD").stdout.strip()
    if before and _same_change(root, before, new):
        _git(root, "reset", "--quiet", "--soft", before)
        new = before
        outcome.detail.append(f"branch {branch} already has this change: kept as it was")
    else:
        outcome.replaced = bool(before)
    outcome.pr_body = _write_pr_body(git_dir, pr_body, data)
    _back(root, original, sha)
    outcome.status = CHANGED
    outcome.branch = branch
    outcome.commit = new
    outcome.title = message.splitlines()[0]
    outcome.detail.insert(0, f"PR body: {outcome.pr_body}")
    if outcome.replaced:
        outcome.detail.append(f"branch {branch} rebuilt from {original or sha[:12]} (was {before[:12]})")
    state.update(phase="committed", outcome=dataclasses.asdict(outcome))
    _journal_write(journal, state)


def _run_codemods(root: str, opts: Options, dirty: Sequence[str]) -> Dict:
    pyproject = os.path.join(root, "pyproject.toml")
    # The repository's own configuration and nothing above it.
    args = ["--config", pyproject if os.path.isfile(pyproject) else os.devnull]
    if opts.select is not None:
        args += ["--select", opts.select]
    if opts.ignore is not None:
        args += ["--ignore", opts.ignore]
    for path in dirty:
        args += ["--exclude", _glob_escape(path)]
    args += list(opts.extra_args)
    run = bulk.run_codemods(root, args)
    if run.status not in (0, 2) or run.data is None:
        raise Failed(f"http-codemods exited with status {run.status}", _last(run.output))
    return run.data


def _run_test(root: str, opts: Options) -> Optional[Tuple[str, List[str]]]:
    """None when the test command passes, else (status, last lines)."""
    try:
        proc = subprocess.run(
            opts.test_cmd or "",
            shell=True,
            cwd=root,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=opts.test_timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or "") + (exc.stderr or "")
        if isinstance(output, bytes):
            output = output.decode("utf-8", "replace")
        return f"timed out after {opts.test_timeout:g}s", _last(output)
    if proc.returncode == 0:
        return None
    return f"exit status {proc.returncode}", _last(proc.stdout + proc.stderr)


def _write_pr_body(git_dir: str, path: Optional[str], data: Dict) -> str:
    path = path or os.path.join(git_dir, "http-codemods-pr.md")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(bulk.markdown(data))
    return path


def pr_body_paths(repos: Sequence[str], directory: Optional[str]) -> List[Optional[str]]:
    """``DIR/<name>.md`` per repository (``<name>-2.md`` for a second of the same name), in the
    order given, so that parallel runs name them as a sequential one would."""
    if not directory:
        return [None] * len(repos)
    seen: Dict[str, int] = {}
    paths = []
    for repo in repos:
        name = os.path.basename(os.path.abspath(repo)) or "repo"
        count = seen.get(name, 0)
        seen[name] = count + 1
        paths.append(os.path.join(os.path.abspath(directory), f"{name}.md" if not count else f"{name}-{count + 1}.md"))
    return paths
