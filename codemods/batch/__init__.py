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

from .. import bulk
from .model import (
    CHANGED,
    DEFAULT_STATE,
    FAILED,
    JOURNAL,
    NO_CHANGE,
    SKIPPED,
    Failed,
    Options,
    Outcome,
    Refused,
    Status,
)
from .push import push, wants_push
from .repository import pr_body_paths, process, read_repos_file
from .runner import exit_status, run, table
from .state import State, StateError, prepare

passthrough = bulk.passthrough

__all__ = [
    "CHANGED",
    "DEFAULT_STATE",
    "FAILED",
    "JOURNAL",
    "NO_CHANGE",
    "SKIPPED",
    "Failed",
    "Options",
    "Outcome",
    "Refused",
    "State",
    "StateError",
    "Status",
    "exit_status",
    "passthrough",
    "pr_body_paths",
    "prepare",
    "process",
    "push",
    "read_repos_file",
    "run",
    "table",
    "wants_push",
]
