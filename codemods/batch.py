"""``http-codemods batch``: the same codemods over many git checkouts, one branch and commit each.

For every repository, independently (one failure never stops the others):

1. refuse a dirty working tree or a detached HEAD unless ``allow_dirty`` (then the files with
   uncommitted changes are left out of the run, so the commit holds only the codemods' work and
   the user's edits stay where they were);
2. create the branch from HEAD;
3. run ``http-codemods`` as a subprocess in the repository (its own ``[tool.http-codemods]``
   applies, and nothing from the directories above it), asking for a JSON report;
4. run the test command; on failure undo the rewrite, delete the branch, go back to the
   original branch and report the command's last lines;
5. commit, write the Markdown PR body, go back to the original branch;
6. optionally push and open a pull request with ``gh``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from . import __version__, config, registry, report

CHANGED = "changed"
NO_CHANGE = "no change"
FAILED = "failed"
SKIPPED = "skipped"

TAIL_LINES = 15


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
    test_timeout: float = 3600
    extra_args: Tuple[str, ...] = ()  # codemod options and --jobs, passed through to the run


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
        env=dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C"),
    )
    if check and proc.returncode != 0:
        raise Failed(f"git {' '.join(args)} failed", _last(proc.stderr + proc.stdout, 5))
    return proc


def _last(text: str, n: int = TAIL_LINES) -> List[str]:
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    return lines[-n:] if lines else [""]


def selection(select: Optional[str], ignore: Optional[str], cfg: Dict) -> List[str]:
    """The codemods a run in this repository will apply (for the branch name and message)."""
    chosen = config.as_list(select) if select is not None else (
        config.as_list(cfg["select"]) if "select" in cfg else registry.default_names()
    )
    ignored = config.as_list(ignore) if ignore is not None else config.as_list(cfg.get("ignore"))
    if "ALL" in chosen:
        chosen = list(registry.BY_NAME)
    return [c.NAME for c in registry.ordered(chosen) if c.NAME not in ignored]


def _status_paths(repo: str) -> List[str]:
    """Paths with uncommitted changes (staged, unstaged or untracked), relative to the root."""
    out = _git(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all").stdout
    paths = []
    entries = out.split("\0")
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if not entry:
            continue
        code, path = entry[:2], entry[3:]
        paths.append(path)
        if "R" in code or "C" in code:
            i += 1  # the rename's source follows
    return paths


def _glob_escape(path: str) -> str:
    return "/" + re.sub(r"([*?\[\]\\!#])", r"\\\1", path)


def process(repo: str, opts: Options, body_names: Dict[str, int]) -> Outcome:
    outcome = Outcome(repo=repo)
    try:
        _process(repo, opts, outcome, body_names)
    except Refused as exc:
        outcome.status = SKIPPED
        outcome.detail = [str(exc)]
    except Failed as exc:
        outcome.status = FAILED
        outcome.detail = [str(exc)] + [f"    {line}" for line in exc.lines if line]
    except OSError as exc:
        outcome.status = FAILED
        outcome.detail = [f"{type(exc).__name__}: {exc}"]
    return outcome


def _process(repo: str, opts: Options, outcome: Outcome, body_names: Dict[str, int]) -> None:
    if not os.path.isdir(repo):
        raise Failed("no such directory")
    top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=repo, capture_output=True, text=True)
    if top.returncode != 0:
        raise Failed("not a git repository")
    root = top.stdout.strip()
    if os.path.realpath(root) != os.path.realpath(repo):
        raise Failed(f"not the top of a git checkout (that is {root})")

    head = _git(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    original = head.stdout.strip() if head.returncode == 0 else None
    original_sha = _git(root, "rev-parse", "--verify", "--quiet", "HEAD", check=False).stdout.strip()
    if not original_sha:
        raise Refused("no commit yet (empty repository)")
    dirty = _status_paths(root)
    if not opts.allow_dirty:
        if original is None:
            raise Refused("detached HEAD (check out a branch, or pass --allow-dirty)")
        if dirty:
            raise Refused(f"uncommitted changes in {len(dirty)} file{'s' if len(dirty) != 1 else ''} (commit them, or pass --allow-dirty)")

    pyproject = os.path.join(root, "pyproject.toml")
    try:
        cfg = config.load(pyproject if os.path.isfile(pyproject) else None)
        names = selection(opts.select, opts.ignore, cfg)
    except config.ConfigError as exc:
        raise Failed(str(exc))
    if not names:
        raise Failed("no codemod selected")
    branch = opts.branch or "http-codemods/" + "+".join(names)
    outcome.branch = branch
    if _git(root, "check-ref-format", "--branch", branch, check=False).returncode != 0:
        raise Failed(f"invalid branch name {branch!r}")
    if _git(root, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False).returncode == 0:
        raise Failed(f"branch {branch} already exists (delete it or choose another with --branch)")

    _git(root, "switch", "--quiet", "-c", branch)
    created = True
    try:
        data = _run_codemods(root, opts, pyproject, dirty)
        changed = [p for p in _status_paths(root) if p not in set(dirty)]
        files = [f for f in data["files"] if f["status"] == "changed"]
        outcome.files = len(files)
        outcome.fixed = sum(1 for f in files for s in f["sites"] if s["action"] == "fixed")
        outcome.reported = sum(1 for f in data["files"] for s in f["sites"] if s["action"] == "reported")
        errors = [f for f in data["files"] if f["status"] == "error"]
        for f in errors:
            outcome.detail.append(f"{f['path']}: error: {(f.get('error') or {}).get('message')}")
        if not changed:
            outcome.status = NO_CHANGE
            _back(root, original, original_sha)
            _git(root, "branch", "--quiet", "-D", branch)
            created = False
            outcome.branch = ""
            return
        if opts.test_cmd:
            test = _run_test(root, opts)
            if test is not None:
                _undo(root, changed, original, original_sha, branch)
                created = False
                outcome.branch = ""
                raise Failed(f"test command failed ({test[0]}); branch removed, {original or original_sha[:12]} checked out", test[1])
        _git(root, "add", "--", *changed)
        message = opts.message or _message(names, outcome, data)
        commit = _git(root, "commit", "--quiet", "--no-edit", "-m", message, check=False)
        if commit.returncode != 0:
            _undo(root, changed, original, original_sha, branch)
            created = False
            outcome.branch = ""
            raise Failed("git commit failed; branch removed", _last(commit.stderr + commit.stdout))
        outcome.pr_body = _write_pr_body(root, opts, data, body_names)
        _back(root, original, original_sha)
        outcome.status = CHANGED
        outcome.detail.insert(0, f"PR body: {outcome.pr_body}")
    except BaseException:
        if created:  # an unexpected failure half way: leave the user where they were
            current = [p for p in _status_paths(root) if p not in set(dirty)]
            if current:  # only what this run touched: the user's own changes stay as they were
                _git(root, "reset", "--quiet", "--", *current, check=False)
                _git(root, "checkout", "--quiet", "HEAD", "--", *current, check=False)
            _back(root, original, original_sha, check=False)
            _git(root, "branch", "--quiet", "-D", branch, check=False)
            outcome.branch = ""
        raise

    if opts.push or opts.open_pr:
        push = _git(root, "push", "--quiet", "--set-upstream", opts.remote, f"{branch}:{branch}", check=False)
        if push.returncode != 0:
            outcome.status = FAILED
            outcome.detail.append(f"push to {opts.remote} failed (the branch and its commit are kept)")
            outcome.detail += [f"    {line}" for line in _last(push.stderr + push.stdout, 5)]
            return
        outcome.detail.append(f"pushed {branch} to {opts.remote}")
    if opts.open_pr:
        gh = shutil.which("gh")
        if gh is None:
            outcome.detail.append(f"gh is not installed: open the pull request by hand with the body in {outcome.pr_body}")
            return
        title = (opts.message or _message(names, outcome, data)).splitlines()[0]
        pr = subprocess.run(
            [gh, "pr", "create", "--head", branch, "--title", title, "--body-file", outcome.pr_body or ""],
            cwd=root, capture_output=True, text=True,
        )
        if pr.returncode != 0:
            outcome.status = FAILED
            outcome.detail.append("gh pr create failed")
            outcome.detail += [f"    {line}" for line in _last(pr.stderr + pr.stdout, 5)]
        else:
            outcome.detail.append(f"pull request: {pr.stdout.strip()}")


def _back(root: str, original: Optional[str], sha: str, check: bool = True) -> None:
    if original is not None:
        _git(root, "switch", "--quiet", original, check=check)
    else:
        _git(root, "switch", "--quiet", "--detach", sha, check=check)


def _undo(root: str, changed: Sequence[str], original: Optional[str], sha: str, branch: str) -> None:
    """Put back the files the run rewrote, return to where we were, delete the branch."""
    _git(root, "reset", "--quiet", "--", *changed, check=False)
    _git(root, "checkout", "--quiet", "HEAD", "--", *changed)
    _back(root, original, sha)
    _git(root, "branch", "--quiet", "-D", branch)


def _run_codemods(root: str, opts: Options, pyproject: str, dirty: Sequence[str]) -> Dict:
    with tempfile.TemporaryDirectory(prefix="http-codemods-batch-") as tmp:
        out = os.path.join(tmp, "report.json")
        args = [sys.executable, "-m", "codemods", "--format", "json", "--output", out, "-q"]
        # The repository's own configuration and nothing above it.
        args += ["--config", pyproject if os.path.isfile(pyproject) else os.devnull]
        if opts.select is not None:
            args += ["--select", opts.select]
        if opts.ignore is not None:
            args += ["--ignore", opts.ignore]
        for path in dirty:
            args += ["--exclude", _glob_escape(path)]
        args += list(opts.extra_args)
        args.append(".")
        proc = subprocess.run(args, cwd=root, capture_output=True, text=True, errors="replace")
        if proc.returncode not in (0, 2) or not os.path.exists(out):
            raise Failed(f"http-codemods exited with status {proc.returncode}", _last(proc.stderr + proc.stdout))
        with open(out, encoding="utf-8") as handle:
            return json.load(handle)


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


def _message(names: Sequence[str], outcome: Outcome, data: Dict) -> str:
    plural = lambda n, word: f"{n} {word}{'s' if n != 1 else ''}"  # noqa: E731
    lines = [
        f"Apply http-codemods: {', '.join(names)}",
        "",
        f"{plural(outcome.fixed, 'site')} fixed in {plural(outcome.files, 'file')}"
        + (f"; {plural(outcome.reported, 'site')} left for review." if outcome.reported else "."),
        "",
    ]
    for cls in registry.ordered(names):
        if any(cls.NAME in f.get("codemods", []) for f in data["files"]):
            lines.append(f"- {cls.NAME}: {cls.DESCRIPTION}")
    lines += ["", f"Made by http-codemods {__version__}: {data.get('command') or 'http-codemods'}"]
    return "\n".join(lines).rstrip() + "\n"


def _write_pr_body(root: str, opts: Options, data: Dict, body_names: Dict[str, int]) -> str:
    results, totals = report.from_json(data)
    classes = [registry.BY_NAME[c["name"]] for c in data.get("codemods", []) if c["name"] in registry.BY_NAME]
    body = report.render_markdown(results, totals, classes, data.get("command", ""), data.get("mode", "write"))
    if opts.pr_body_dir:
        os.makedirs(opts.pr_body_dir, exist_ok=True)
        name = os.path.basename(os.path.abspath(root)) or "repo"
        count = body_names.get(name, 0)
        body_names[name] = count + 1
        path = os.path.join(opts.pr_body_dir, f"{name}.md" if not count else f"{name}-{count + 1}.md")
    else:
        git_dir = _git(root, "rev-parse", "--absolute-git-dir").stdout.strip()
        path = os.path.join(git_dir, "http-codemods-pr.md")
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(body)
    return path


def run(repos: Sequence[str], opts: Options, echo: Callable[[str], None]) -> List[Outcome]:
    outcomes = []
    body_names: Dict[str, int] = {}
    for repo in repos:
        echo(f"== {repo}")
        outcome = process(repo, opts, body_names)
        echo(f"   {outcome.status}" + (f": {outcome.detail[0]}" if outcome.detail else ""))
        for line in outcome.detail[1:]:
            echo(f"   {line}")
        outcomes.append(outcome)
    return outcomes


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


def passthrough(values: Dict[str, object]) -> List[str]:
    """Codemod options given to ``batch`` (click keyword names) back as command-line flags."""
    args: List[str] = []
    for cls in registry.CODEMODS:
        for option in cls.OPTIONS:
            value = values.get(option.name.replace("-", "_"))
            flag = f"--{option.name}"
            if value is None or flag in args:
                continue
            if isinstance(option.default, bool):
                if value:
                    args.append(flag)
            else:
                args += [flag, str(value)]
    return args
