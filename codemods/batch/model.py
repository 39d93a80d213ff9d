"""What one repository's run is given (``Options``) and what it gives back (``Outcome``), and
the two ways it stops early (``Refused``: left as it was; ``Failed``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..enums import StrEnum


class Status(StrEnum):
    CHANGED = "changed"
    NO_CHANGE = "no change"
    FAILED = "failed"
    SKIPPED = "skipped"


CHANGED, NO_CHANGE, FAILED, SKIPPED = Status.CHANGED, Status.NO_CHANGE, Status.FAILED, Status.SKIPPED

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
