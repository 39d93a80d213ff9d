"""An all-repos autofixer: ``all-repos-http-codemods`` / ``python -m codemods.all_repos``.

all-repos (https://github.com/asottile/all-repos) does the bulk work: its config file and
sources list and clone the repositories, ``--dry-run``, ``--jobs``, ``--limit``, ``--repos``,
``-i`` and the push modules (``merge_to_master``, ``github_pull_request``, ``gitlab_pull_request``,
...) behave as in every other all-repos fixer. This module supplies the three pieces it asks for:

- ``apply_fix``: the codemods in the fresh clone, with that repository's own
  ``[tool.http-codemods]`` (``bulk.run_codemods``: nothing imported from the repository);
- ``check_fix``: the user's ``--test-cmd``; when it fails the repository is left untouched
  (nothing committed or pushed) and listed at the end;
- the commit message: all-repos commits with one message for every repository, and its pull
  request modules take the commit's subject as the PR title and its body as the PR body. So the
  push module is wrapped: before it runs, the commit gets this repository's message (the
  codemods that changed something, counts, the sites left for review), keeping all-repos'
  trailer. A repository with nothing to change makes no commit (all-repos' own rule).

Each repository's outcome is written to a directory the run owns (the fix may run in worker
processes) and printed as a table at the end; the exit status is 1 if any failed.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import bulk, registry

BRANCH = "http-codemods"
PLACEHOLDER = "Apply http-codemods"
MESSAGE_FILE = "http-codemods-commit-message"


class TestFailed(Exception):
    """The test command failed: all-repos reports the repository as errored and commits nothing."""


def _require_all_repos() -> None:
    try:
        import all_repos  # noqa: F401
    except ImportError:
        raise SystemExit("all-repos-http-codemods needs all-repos: pip install 'http-codemods[all-repos]'")


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout.strip()


def _key(remote: str) -> str:
    return hashlib.sha256(remote.encode()).hexdigest()[:20]


def _record(outcomes: str, **values: Any) -> None:
    """Merge ``values`` into this clone's outcome file (keyed by its origin URL)."""
    remote = _git("remote", "get-url", "origin")
    path = os.path.join(outcomes, _key(remote) + ".json")
    data: Dict[str, Any] = {"remote": remote}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    data.update(values)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)


def apply_fix(args: Sequence[str], outcomes: str) -> None:
    """Run the codemods in the clone (the working directory)."""
    root = os.getcwd()
    pyproject = os.path.join(root, "pyproject.toml")
    run = bulk.run_codemods(root, ["--config", pyproject if os.path.isfile(pyproject) else os.devnull, *args])
    if run.status not in (0, 2) or run.data is None:
        _record(
            outcomes,
            status="failed",
            detail=[f"http-codemods exited with status {run.status}"] + bulk.last_lines(run.output),
        )
        raise RuntimeError(f"http-codemods exited with status {run.status}:\n{run.output}")
    data = run.data
    c = bulk.counts(data)
    changed = bool(bulk.changed_codemods(data))
    if changed:
        git_dir = _git("rev-parse", "--absolute-git-dir")
        with open(os.path.join(git_dir, MESSAGE_FILE), "w", encoding="utf-8") as handle:
            handle.write(bulk.commit_message(data))
    _record(
        outcomes,
        status="changed" if changed else "no change",
        detail=bulk.errors(data),
        title=bulk.commit_title(data) if changed else "",
        **c,
    )


def check_fix(test_cmd: Optional[str], test_timeout: float, outcomes: str) -> None:
    if not test_cmd:
        return
    try:
        proc = subprocess.run(
            test_cmd,
            shell=True,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=test_timeout,
            stdin=subprocess.DEVNULL,
        )
        why, output = f"exit status {proc.returncode}", proc.stdout + proc.stderr
        ok = proc.returncode == 0
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"") + (exc.stderr or b"")
        why, ok = f"timed out after {test_timeout:g}s", False
        output = out.decode("utf-8", "replace") if isinstance(out, bytes) else out
    if not ok:
        lines = bulk.last_lines(output)
        _record(outcomes, status="failed", detail=[f"test command failed ({why}); nothing committed"] + lines)
        raise TestFailed(f"test command failed ({why}):\n" + "\n".join(lines))


def push(settings: Tuple[Any, Any, str], branch_name: str) -> None:
    """all-repos' push module, after giving the commit this repository's message."""
    inner_push, inner_settings, outcomes = settings
    git_dir = _git("rev-parse", "--absolute-git-dir")
    path = os.path.join(git_dir, MESSAGE_FILE)
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            ours = handle.read().rstrip("\n")
        current = _git("log", "-1", "--format=%B")
        # all-repos wrote "<our placeholder>\n\nCommitted via ...": keep its trailer.
        trailer = current[len(PLACEHOLDER) :] if current.startswith(PLACEHOLDER) else ""
        subprocess.run(["git", "commit", "--amend", "--quiet", "--no-verify", "-m", ours + trailer], check=True)
    inner_push(inner_settings, branch_name)
    _record(outcomes, pushed=True)


def _codemod_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("http-codemods")
    group.add_argument("--select", help="comma list of codemods to run (default: each repository's configuration)")
    group.add_argument("--ignore", help="comma list of codemods not to run")
    group.add_argument(
        "--test-cmd", help="shell command run in each clone after the rewrite; on failure nothing is committed"
    )
    group.add_argument(
        "--test-timeout", type=float, default=3600, help="seconds the test command may take (default 3600)"
    )
    group.add_argument(
        "--branch-name", default=BRANCH, help=f"all-repos names the branch all-repos_autofix_NAME (default {BRANCH})"
    )
    group.add_argument(
        "--jobs-per-repo",
        type=int,
        default=None,
        help="worker processes inside each repository (default: cores / --jobs)",
    )
    seen = set()
    for cls in registry.CODEMODS:
        for option in cls.OPTIONS:
            if option.name in seen:
                continue
            seen.add(option.name)
            text = f"[{cls.NAME}] {option.help} (default: {option.default})"
            dest = option.name.replace("-", "_")
            if isinstance(option.default, bool):
                group.add_argument(f"--{option.name}", dest=dest, action="store_true", default=None, help=text)
            else:
                group.add_argument(f"--{option.name}", dest=dest, default=None, choices=option.choices, help=text)


def _find_repos(config: Any) -> List[str]:
    """The cloned repositories with a Python file (git grep, as all-repos' own fixers do)."""
    from all_repos.grep import repos_matching

    return sorted(repos_matching(config, ("", "--", "*.py")))


def _remote(repo: str) -> str:
    from all_repos import git

    return git.remote(repo)


def main(argv: Optional[Sequence[str]] = None) -> int:
    _require_all_repos()
    from all_repos import autofix_lib

    parser = argparse.ArgumentParser(
        prog="all-repos-http-codemods",
        description="Apply http-codemods across the repositories of an all-repos configuration.",
    )
    autofix_lib.add_fixer_args(parser)
    _codemod_args(parser)
    args = parser.parse_args(argv)
    names = registry.BY_NAME
    for value in (args.select, args.ignore):
        unknown = [n for n in (value or "").split(",") if n.strip() and n.strip() not in names and n.strip() != "ALL"]
        if unknown:
            parser.error(f"unknown codemod {', '.join(unknown)} (choose from {', '.join(names)})")

    repos, config, commit, settings = autofix_lib.from_cli(
        args,
        find_repos=_find_repos,
        msg=PLACEHOLDER,
        branch_name=args.branch_name,
    )
    repos = list(repos)
    from . import engine

    inner_jobs = args.jobs_per_repo or max(1, engine.default_jobs() // max(1, settings.jobs))
    run_args: List[str] = []
    if args.select is not None:
        run_args += ["--select", args.select]
    if args.ignore is not None:
        run_args += ["--ignore", args.ignore]
    run_args += bulk.passthrough(vars(args)) + ["-j", str(inner_jobs)]

    with tempfile.TemporaryDirectory(prefix="http-codemods-all-repos-") as outcomes:
        config = config._replace(push=push, push_settings=(config.push, config.push_settings, outcomes))
        autofix_lib.fix(
            repos,
            apply_fix=functools.partial(apply_fix, tuple(run_args), outcomes),
            check_fix=functools.partial(check_fix, args.test_cmd, args.test_timeout, outcomes),
            config=config,
            commit=commit,
            autofix_settings=settings,
        )
        return _summary(repos[: settings.limit], outcomes, settings.dry_run, settings.interactive)


def _summary(repos: Sequence[str], outcomes: str, dry_run: bool, interactive: bool) -> int:
    rows = [("repository", "status", "files", "fixed", "review")]
    failed = 0
    details = []
    for repo in repos:
        try:
            path = os.path.join(outcomes, _key(_remote(repo)) + ".json")
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError, subprocess.CalledProcessError):
            data = {"status": "failed", "detail": ["no result (see the error above)"]}
        status = data.get("status", "failed")
        if status == "changed" and dry_run:
            status = "would change"
        elif status == "changed" and not data.get("pushed"):
            status = "not pushed" if interactive else "failed"  # declined, or the push failed
            data.setdefault("detail", []).insert(0, "not pushed (declined, or see the error above)")
        if status == "failed":
            failed += 1
        rows.append((repo, status, str(data.get("files", 0)), str(data.get("fixed", 0)), str(data.get("reported", 0))))
        for line in data.get("detail") or []:
            details.append(f"{repo}: {line}")
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print()
    for n, row in enumerate(rows):
        print("  ".join(c.rjust(widths[i]) if i >= 2 and n else c.ljust(widths[i]) for i, c in enumerate(row)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    for line in details:
        print(line)
    counts: Dict[str, int] = {}
    for row in rows[1:]:
        counts[row[1]] = counts.get(row[1], 0) + 1
    print()
    print(", ".join(f"{v} {k}" for k, v in counts.items()) or "no repositories")
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
