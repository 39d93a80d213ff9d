"""The git commands batch runs, and what counts as a change in a checkout."""

from __future__ import annotations

import os
import re
import subprocess
from typing import List, Optional, Tuple

from .model import TAIL_LINES, Failed


def _git(repo: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        ["git", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        errors="replace",
        env=dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C"),
        stdin=subprocess.DEVNULL,
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
        if full == own or (
            os.path.dirname(full) == os.path.dirname(own) and os.path.basename(full).startswith(".state-")
        ):
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
