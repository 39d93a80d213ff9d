"""What click hands the two commands, as typed values: the rest of ``cli/`` takes one of these
instead of two dozen parameters. Field order is the options' order in ``commands.py``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple, Type, TypeVar

T = TypeVar("T", bound="_Params")


class _Params:
    @classmethod
    def of(cls: Type[T], params: Mapping[str, Any]) -> T:
        """The declared fields from click's parameters; the others are codemod options
        (``--timeout``, ``--client``...), in click's order."""
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        known = {k: v for k, v in params.items() if k in names}
        codemod_values = {k: v for k, v in params.items() if k not in names}
        return cls(**known, codemod_values=codemod_values)  # type: ignore[call-arg]


@dataclass(frozen=True)
class CommandArgs(_Params):
    """``http-codemods [OPTIONS] [PATHS]``."""

    paths: Tuple[str, ...]
    show_diff: bool
    check: bool
    interactive: bool
    fmt: str
    output: Optional[str]
    select: Tuple[str, ...]
    extend_select: Tuple[str, ...]
    ignore: Tuple[str, ...]
    list_codemods: bool
    jobs: Optional[int]
    exclude: Tuple[str, ...]
    extend_exclude: Tuple[str, ...]
    force_exclude: Optional[bool]
    file_time_limit: Optional[float]
    file_memory_limit: Optional[float]
    file_size_limit: Optional[float]
    cache_dir: Optional[str]
    no_cache: bool
    stdin_filename: Optional[str]
    config_path: Optional[str]
    color: str
    unsafe_fixes: Optional[bool]
    exit_zero: bool
    statistics: bool
    quiet: bool
    verbose: bool
    codemod_values: Dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchArgs(_Params):
    """``http-codemods batch [OPTIONS] [REPOS]``."""

    repos: Tuple[str, ...]
    repos_file: Optional[str]
    select: Optional[str]
    ignore: Optional[str]
    branch: Optional[str]
    conflict: str
    message: Optional[str]
    test_cmd: Optional[str]
    test_timeout: float
    allow_dirty: bool
    pr_body_dir: Optional[str]
    push: bool
    remote: str
    open_pr: bool
    draft: bool
    sleep: float
    jobs: int
    jobs_per_repo: Optional[int]
    state_path: str
    resume: bool
    rerun_failed: bool
    unsafe_fixes: bool
    codemod_values: Dict[str, Any] = field(default_factory=dict)
