"""Push a committed branch and open its pull request: the parent process alone, one at a time."""

from __future__ import annotations

import shutil
import subprocess

from .git import _git, _last
from .model import CHANGED, FAILED, Options, Outcome


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
    existing = subprocess.run(
        [gh, "pr", "view", branch, "--json", "url", "--jq", ".url"],
        cwd=root,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
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
