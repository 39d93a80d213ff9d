"""``http-codemods batch``: the same codemods over many local git checkouts, one branch and
commit each, several repositories at a time, resumable.

For every repository, independently (one failure never stops the others), in a process of its
own (``-j`` of them at a time):

1. finish or undo what an interrupted run left (the journal in ``.git/``, below);
2. refuse changes to tracked files or a detached HEAD unless ``allow_dirty`` (then the files with
   uncommitted changes are left out of the run, so the commit holds only the codemods' work and
   the user's edits stay where they were); files ignored by ``.gitignore`` never count;
3. run the codemods in place (``bulk.run_codemods``: the repository's own
   ``[tool.http-codemods]`` and nothing above it; nothing imported from the repository);
4. name the branch after the codemods that changed something; an existing branch is skipped or,
   with ``conflict="replace"``, rebuilt from HEAD;
5. run the test command; files it creates are removed afterwards; on failure the rewrite is
   undone and the command's last lines reported;
6. switch to the branch, commit, write the Markdown PR body, switch back.

The parent process alone pushes (one at a time, ``sleep`` seconds apart) and writes the state
file: each finished repository's outcome, so that ``resume`` skips what is done and ``failed``
reruns only what failed. The journal (``.git/http-codemods-batch.json``) is written before a
repository is touched and removed when its outcome is in the state file: a run killed in the
middle leaves the journal, and the next run puts the repository back as it was (or, when the
commit was complete, takes that outcome) before it starts.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import selectors
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from . import __version__, bulk

CHANGED = "changed"
NO_CHANGE = "no change"
FAILED = "failed"
SKIPPED = "skipped"

TAIL_LINES = 15
JOURNAL = "http-codemods-batch.json"
STATE_VERSION = 1
DEFAULT_STATE = ".http-codemods-batch.json"


@dataclass
class Outcome:
    repo: str
    status: str = FAILED
    files: int = 0
    fixed: int = 0
    reported: int = 0
    branch: str = ""
    detail: List[str] = field(default_factory=list)
    pr_body: Optional[str] = None
    title: str = ""
    commit: str = ""
    replaced: bool = False  # an existing branch was rebuilt: the push must replace it too
    pushed: bool = False
    journal: str = ""  # removed by the parent once the outcome is in the state file
    earlier: bool = False  # taken from the state file, not run now

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Outcome":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class Options:
    select: Optional[str] = None
    ignore: Optional[str] = None
    branch: Optional[str] = None
    message: Optional[str] = None
    test_cmd: Optional[str] = None
    allow_dirty: bool = False
    pr_body_dir: Optional[str] = None
    push: bool = False
    remote: str = "origin"
    open_pr: bool = False
    draft: bool = False
    conflict: str = "skip"  # or "replace"
    test_timeout: float = 3600
    jobs: int = 1  # repositories at a time
    sleep: float = 0.0  # seconds between two pushes
    extra_args: Tuple[str, ...] = ()  # codemod options and the engine's -j, passed through
    state_path: Optional[str] = None  # never counts as a change when it lies in a repository

    def fingerprint(self) -> Dict[str, Any]:
        """What decides a repository's result (a resumed run must use the same)."""
        keep = ("select", "ignore", "branch", "message", "test_cmd", "allow_dirty", "conflict", "extra_args")
        data = {k: getattr(self, k) for k in keep}
        data["extra_args"] = [a for a in _without_jobs(self.extra_args)]
        return data


def _without_jobs(args: Sequence[str]) -> List[str]:
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("-j", "--jobs"):
            skip = True
        else:
            out.append(arg)
    return out


class Refused(Exception):
    """The repository is left as it was (skipped)."""


class Failed(Exception):
    def __init__(self, message: str, lines: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.lines = list(lines)


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


def _git(repo: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, errors="replace",
        env=dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C"), stdin=subprocess.DEVNULL,
    )
    if check and proc.returncode != 0:
        raise Failed(f"git {' '.join(args)} failed", _last(proc.stderr + proc.stdout, 5))
    return proc


def _last(text: str, n: int = TAIL_LINES) -> List[str]:
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    return lines[-n:] if lines else [""]


_OWN_FILES: List[str] = []  # the state file and its temporary copies: set by run()


def _own(repo: str, path: str) -> bool:
    full = os.path.abspath(os.path.join(repo, path))
    for own in _OWN_FILES:
        if full == own or (os.path.dirname(full) == os.path.dirname(own) and os.path.basename(full).startswith(".state-")):
            return True
    return False


def _status(repo: str) -> Tuple[List[str], List[str]]:
    """(tracked paths with uncommitted changes, untracked paths), relative to the root; files
    ignored by .gitignore are in neither, nor is batch's own state file."""
    out = _git(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all").stdout
    tracked, untracked = [], []
    entries = out.split("\0")
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if not entry:
            continue
        code, path = entry[:2], entry[3:]
        if code != "??" or not _own(repo, path):
            (untracked if code == "??" else tracked).append(path)
        if "R" in code or "C" in code:
            i += 1  # the rename's source follows
    return tracked, untracked


def _glob_escape(path: str) -> str:
    return "/" + re.sub(r"([*?\[\]\\!#])", r"\\\1", path)


# -- one repository -------------------------------------------------------------------------

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
        "run": run_id, "phase": "rewrite", "original": original, "sha": sha, "dirty": dirty,
        "untracked": untracked, "branch": None, "branch_before": None, "created": False,
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


def _rewrite_test_commit(root: str, git_dir: str, opts: Options, outcome: Outcome, pr_body: Optional[str],
                         state: Dict[str, Any], journal: str, dirty: List[str]) -> None:
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


def _same_change(root: str, before: str, new: str) -> bool:
    """The rebuilt commit has the tree, parent and message the existing branch already has."""
    def describe(rev: str) -> str:
        return _git(root, "log", "-1", "--format=%T%n%P%n%B", rev).stdout

    return describe(before) == describe(new)


def _back(root: str, original: Optional[str], sha: str, check: bool = True) -> None:
    if original is not None:
        _git(root, "switch", "--quiet", original, check=check)
    else:
        _git(root, "switch", "--quiet", "--detach", sha, check=check)


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
            opts.test_cmd or "", shell=True, cwd=root, capture_output=True, text=True, errors="replace",
            timeout=opts.test_timeout, stdin=subprocess.DEVNULL,
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


# -- push and pull request (the parent, one at a time) -------------------------------------

def push(outcome: Outcome, opts: Options) -> None:
    root = outcome.repo
    branch = outcome.branch
    args = ["push", "--quiet", "--set-upstream"]
    if outcome.replaced:  # replace the remote branch only if it is still what it was
        remote_sha = _git(root, "ls-remote", opts.remote, f"refs/heads/{branch}", check=False).stdout.split()
        args.append(f"--force-with-lease=refs/heads/{branch}:{remote_sha[0] if remote_sha else ''}")
    pushed = _git(root, *args, opts.remote, f"{branch}:{branch}", check=False)
    if pushed.returncode != 0:
        outcome.status = FAILED
        outcome.detail.append(f"push to {opts.remote} failed (the branch and its commit are kept)")
        outcome.detail += [f"    {line}" for line in _last(pushed.stderr + pushed.stdout, 5)]
        return
    outcome.pushed = True
    outcome.detail.append(f"pushed {branch} to {opts.remote}")
    if not (opts.open_pr or opts.draft):
        return
    gh = shutil.which("gh")
    if gh is None:
        outcome.detail.append(f"gh is not installed: open the pull request by hand with the body in {outcome.pr_body}")
        return
    existing = subprocess.run([gh, "pr", "view", branch, "--json", "url", "--jq", ".url"], cwd=root,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if existing.returncode == 0 and existing.stdout.strip():
        outcome.detail.append(f"pull request updated: {existing.stdout.strip()}")
        return
    args = [gh, "pr", "create", "--head", branch, "--title", outcome.title, "--body-file", outcome.pr_body or ""]
    if opts.draft:
        args.append("--draft")
    pr = subprocess.run(args, cwd=root, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if pr.returncode != 0:
        outcome.status = FAILED
        outcome.detail.append("gh pr create failed")
        outcome.detail += [f"    {line}" for line in _last(pr.stderr + pr.stdout, 5)]
    else:
        outcome.detail.append(f"pull request: {pr.stdout.strip()}")


def wants_push(outcome: Outcome, opts: Options) -> bool:
    return outcome.status == CHANGED and not outcome.pushed and (opts.push or opts.open_pr or opts.draft)


# -- the state file -------------------------------------------------------------------------

class StateError(Exception):
    pass


class State:
    """The run's repositories in order, its options, and each finished repository's outcome;
    rewritten atomically after every change."""

    def __init__(self, path: str, repos: Sequence[str], opts: Options, run_id: Optional[str] = None,
                 outcomes: Optional[Dict[str, Dict[str, Any]]] = None) -> None:
        self.path = path
        self.repos = list(repos)
        self.options = opts.fingerprint()
        self.run_id = run_id or uuid.uuid4().hex
        self.outcomes: Dict[str, Dict[str, Any]] = dict(outcomes or {})

    @classmethod
    def load(cls, path: str) -> Dict[str, Any]:
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            raise StateError(f"no state file {path} (run without --resume/--failed first)")
        except (OSError, ValueError) as exc:
            raise StateError(f"cannot read the state file {path}: {exc}")
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise StateError(f"{path} is not a state file of this version of http-codemods batch")
        return data

    def record(self, outcome: Outcome) -> None:
        data = dataclasses.asdict(outcome)
        data.pop("earlier", None)
        self.outcomes[outcome.repo] = data
        self.save()

    def save(self) -> None:
        data = {
            "version": STATE_VERSION, "tool": f"http-codemods {__version__}", "run": self.run_id,
            "options": self.options, "repos": self.repos, "outcomes": self.outcomes,
        }
        directory = os.path.dirname(os.path.abspath(self.path))
        fd, tmp = tempfile.mkstemp(prefix=".state-", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)


def prepare(repos: Sequence[str], opts: Options, state_path: str, mode: str) -> Tuple[State, List[str]]:
    """The state to run with and the repositories still to run: ``mode`` is ``new``, ``resume``
    (everything not finished; same repositories and options) or ``failed`` (only the failed)."""
    repos = [os.path.abspath(r) for r in repos]
    if mode == "new":
        state = State(state_path, repos, opts)
        state.save()
        return state, list(repos)
    data = State.load(state_path)
    old_repos = data.get("repos") or []
    outcomes = data.get("outcomes") or {}
    if mode == "resume":
        if repos and repos != old_repos:
            raise StateError("--resume runs the repositories of the interrupted run: give none, or the same")
        differ = sorted(k for k, v in opts.fingerprint().items() if (data.get("options") or {}).get(k) != v)
        if differ:
            raise StateError(
                f"the interrupted run had other options ({', '.join(differ)}): repeat them, or start afresh without --resume"
            )
        state = State(state_path, old_repos, opts, data.get("run"), outcomes)
        todo = [r for r in old_repos if r not in outcomes or wants_push(Outcome.from_dict(outcomes[r]), opts)]
    else:
        if repos:
            raise StateError("--failed reruns the failed repositories of the state file: give no REPO")
        state = State(state_path, old_repos, opts, data.get("run"), outcomes)
        todo = [r for r in old_repos if (outcomes.get(r) or {}).get("status") == FAILED]
    state.save()
    return state, todo


# -- running many ---------------------------------------------------------------------------

def run(repos: Sequence[str], opts: Options, echo: Callable[[str], None], state: Optional[State] = None,
        todo: Optional[Sequence[str]] = None) -> List[Outcome]:
    """Process ``todo`` (default: all of ``repos``), ``opts.jobs`` at a time; print each
    repository's lines in the order of ``repos``; push in the order the repositories finish;
    return an outcome for every repository (those not in ``todo`` from the state file)."""
    todo_set = set(todo if todo is not None else repos)
    _OWN_FILES[:] = [os.path.abspath(state.path)] if state else []
    bodies = dict(zip(repos, pr_body_paths(repos, opts.pr_body_dir)))
    run_id = state.run_id if state else ""
    results: Dict[str, Outcome] = {}
    for repo in repos:
        if repo not in todo_set and state and repo in state.outcomes:
            results[repo] = Outcome.from_dict(state.outcomes[repo])
            results[repo].earlier = True
    printed = 0
    pushes: List[Outcome] = []
    next_push = 0.0

    def finished(outcome: Outcome) -> None:
        if state:
            state.record(outcome)
        if outcome.journal and os.path.exists(outcome.journal):
            os.unlink(outcome.journal)
        outcome.journal = ""
        if wants_push(outcome, opts):
            pushes.append(outcome)
        else:
            results[outcome.repo] = outcome

    def show() -> None:
        nonlocal printed
        while printed < len(repos) and repos[printed] in results:
            _echo(results[repos[printed]], echo)
            printed += 1

    def push_one() -> None:
        nonlocal next_push
        outcome = pushes.pop(0)
        if outcome.status == CHANGED and outcome.pushed is False:
            push(outcome, opts)
        next_push = time.monotonic() + opts.sleep
        if state:
            state.record(outcome)
        results[outcome.repo] = outcome

    queue = []
    for repo in repos:
        if repo in todo_set:
            previous = Outcome.from_dict(state.outcomes[repo]) if state and repo in state.outcomes else None
            if previous is not None and wants_push(previous, opts):  # committed, not yet pushed
                previous.detail.append("committed before the interruption")
                pushes.append(previous)
            else:
                queue.append(repo)

    parallel = hasattr(os, "fork") and threading.active_count() == 1
    running: Dict[int, Tuple[str, int, str]] = {}  # read end -> (repo, pid, result file)
    selector = selectors.DefaultSelector() if parallel else None
    with tempfile.TemporaryDirectory(prefix="http-codemods-batch-") as tmp:
        while queue or running or pushes:
            while queue and len(running) < max(1, opts.jobs):
                repo = queue.pop(0)
                if not parallel:
                    finished(process(repo, opts, bodies.get(repo), run_id))
                    continue
                result = os.path.join(tmp, f"{len(running)}-{uuid.uuid4().hex}.json")
                fd, pid = _spawn(repo, opts, bodies.get(repo), run_id, result)
                running[fd] = (repo, pid, result)
                selector.register(fd, selectors.EVENT_READ)
            show()
            if pushes and time.monotonic() >= next_push:
                push_one()
                show()
                continue
            if not running:
                if pushes:
                    time.sleep(max(0.0, next_push - time.monotonic()))
                continue
            timeout = max(0.0, next_push - time.monotonic()) if pushes else None
            for key, _ in selector.select(timeout):
                repo, pid, result = running.pop(key.fd)
                selector.unregister(key.fd)
                os.close(key.fd)
                finished(_collect(repo, pid, result))
        show()
    return [results[r] for r in repos if r in results]


def _spawn(repo: str, opts: Options, pr_body: Optional[str], run_id: str, result: str) -> Tuple[int, int]:
    """Fork a process for one repository; the read end of its pipe sees EOF when it ends."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, ValueError, OSError):
            pass
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            os.close(read)
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):  # the parent alone prints
                os.dup2(null, fd)
            outcome = process(repo, opts, pr_body, run_id)
            with open(result, "w", encoding="utf-8") as handle:
                json.dump(dataclasses.asdict(outcome), handle)
        except BaseException:  # noqa: B036
            code = 70
        finally:
            os._exit(code)
    os.close(write)
    return read, pid


def _collect(repo: str, pid: int, result: str) -> Outcome:
    _, status = os.waitpid(pid, 0)
    try:
        with open(result, encoding="utf-8") as handle:
            return Outcome.from_dict(json.load(handle))
    except (OSError, ValueError):
        code = os.waitstatus_to_exitcode(status)
        why = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
        return Outcome(repo=repo, status=FAILED, detail=[f"the process for this repository ended ({why}) without a result"])


def _echo(outcome: Outcome, echo: Callable[[str], None]) -> None:
    echo(f"== {outcome.repo}" + (" (done earlier)" if outcome.earlier else ""))
    echo(f"   {outcome.status}" + (f": {outcome.detail[0]}" if outcome.detail else ""))
    for line in outcome.detail[1:]:
        echo(f"   {line}")


def table(outcomes: Sequence[Outcome]) -> str:
    header = ("repository", "status", "files", "fixed", "review", "branch")
    rows = [header] + [
        (o.repo, o.status, str(o.files), str(o.fixed), str(o.reported), o.branch or "-") for o in outcomes
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    numeric = {2, 3, 4}
    lines = []
    for n, row in enumerate(rows):
        cells = [
            cell.rjust(widths[i]) if i in numeric and n else cell.ljust(widths[i]) for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    counts: Dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    lines.append("")
    lines.append(", ".join(f"{counts.get(s, 0)} {s}" for s in (CHANGED, NO_CHANGE, FAILED, SKIPPED)))
    return "\n".join(lines)


def exit_status(outcomes: Sequence[Outcome]) -> int:
    return 1 if any(o.status == FAILED for o in outcomes) else 0


passthrough = bulk.passthrough
