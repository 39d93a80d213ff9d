"""Many repositories, ``-j`` at a time: fork one process per repository, print in the given
order, push in the order they finish, and the summary table."""

from __future__ import annotations

import dataclasses
import json
import os
import selectors
import sys
import tempfile
import threading
import time
import uuid
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple

from .git import _OWN_FILES
from .model import CHANGED, FAILED, NO_CHANGE, SKIPPED, Options, Outcome
from .push import push, wants_push
from .repository import pr_body_paths, process
from .state import State


@dataclasses.dataclass
class _Progress:
    """One batch run's shared state: the outcomes so far, the pushes waiting, the lines printed."""

    repos: Sequence[str]
    opts: Options
    echo: Callable[[str], None]
    state: Optional[State]
    results: Dict[str, Outcome]
    pushes: List[Outcome] = dataclasses.field(default_factory=list)
    printed: int = 0
    next_push: float = 0.0


def run(
    repos: Sequence[str],
    opts: Options,
    echo: Callable[[str], None],
    state: Optional[State] = None,
    todo: Optional[Sequence[str]] = None,
) -> List[Outcome]:
    """Process ``todo`` (default: all of ``repos``), ``opts.jobs`` at a time; print each
    repository's lines in the order of ``repos``; push in the order the repositories finish;
    return an outcome for every repository (those not in ``todo`` from the state file)."""
    todo_set = set(todo if todo is not None else repos)
    _OWN_FILES[:] = [os.path.abspath(state.path)] if state else []
    bodies = dict(zip(repos, pr_body_paths(repos, opts.pr_body_dir)))
    run_id = state.run_id if state else ""
    progress = _Progress(repos, opts, echo, state, _earlier_outcomes(repos, todo_set, state))
    queue = _queue(progress, todo_set)
    _process_all(progress, queue, bodies, run_id)
    return [progress.results[r] for r in repos if r in progress.results]


def _earlier_outcomes(repos: Sequence[str], todo_set: Set[str], state: Optional[State]) -> Dict[str, Outcome]:
    """The state file's outcomes of the repositories not to run again."""
    results: Dict[str, Outcome] = {}
    for repo in repos:
        if repo not in todo_set and state and repo in state.outcomes:
            results[repo] = Outcome.from_dict(state.outcomes[repo])
            results[repo].earlier = True
    return results


def _queue(progress: _Progress, todo_set: Set[str]) -> List[str]:
    """The repositories to process; one committed but not yet pushed before an interruption
    only waits for its push."""
    state = progress.state
    queue = []
    for repo in progress.repos:
        if repo in todo_set:
            previous = Outcome.from_dict(state.outcomes[repo]) if state and repo in state.outcomes else None
            if previous is not None and wants_push(previous, progress.opts):  # committed, not yet pushed
                previous.detail.append("committed before the interruption")
                progress.pushes.append(previous)
            else:
                queue.append(repo)
    return queue


def _process_all(progress: _Progress, queue: List[str], bodies: Dict[str, Optional[str]], run_id: str) -> None:
    """Fork up to ``opts.jobs`` repositories at a time (one after the other where forking is
    unsafe), push between them as ``--sleep`` allows, print as the order permits."""
    opts = progress.opts
    parallel = hasattr(os, "fork") and threading.active_count() == 1
    running: Dict[int, Tuple[str, int, str]] = {}  # read end -> (repo, pid, result file)
    selector = selectors.DefaultSelector() if parallel else None
    with tempfile.TemporaryDirectory(prefix="http-codemods-batch-") as tmp:
        while queue or running or progress.pushes:
            while queue and len(running) < max(1, opts.jobs):
                repo = queue.pop(0)
                if not parallel:
                    _finished(progress, process(repo, opts, bodies.get(repo), run_id))
                    continue
                result = os.path.join(tmp, f"{len(running)}-{uuid.uuid4().hex}.json")
                fd, pid = _spawn(repo, opts, bodies.get(repo), run_id, result)
                running[fd] = (repo, pid, result)
                selector.register(fd, selectors.EVENT_READ)
            _show(progress)
            if progress.pushes and time.monotonic() >= progress.next_push:
                _push_one(progress)
                _show(progress)
                continue
            if not running:
                if progress.pushes:
                    time.sleep(max(0.0, progress.next_push - time.monotonic()))
                continue
            timeout = max(0.0, progress.next_push - time.monotonic()) if progress.pushes else None
            for key, _ in selector.select(timeout):
                repo, pid, result = running.pop(key.fd)
                selector.unregister(key.fd)
                os.close(key.fd)
                _finished(progress, _collect(repo, pid, result))
        _show(progress)


def _finished(progress: _Progress, outcome: Outcome) -> None:
    """Record a processed repository; one to push waits its turn."""
    if progress.state:
        progress.state.record(outcome)
    if outcome.journal and os.path.exists(outcome.journal):
        os.unlink(outcome.journal)
    outcome.journal = ""
    if wants_push(outcome, progress.opts):
        progress.pushes.append(outcome)
    else:
        progress.results[outcome.repo] = outcome


def _show(progress: _Progress) -> None:
    """Print the outcomes that are next in the given order."""
    repos = progress.repos
    while progress.printed < len(repos) and repos[progress.printed] in progress.results:
        _echo(progress.results[repos[progress.printed]], progress.echo)
        progress.printed += 1


def _push_one(progress: _Progress) -> None:
    outcome = progress.pushes.pop(0)
    if outcome.status == CHANGED and outcome.pushed is False:
        push(outcome, progress.opts)
    progress.next_push = time.monotonic() + progress.opts.sleep
    if progress.state:
        progress.state.record(outcome)
    progress.results[outcome.repo] = outcome


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
        return Outcome(
            repo=repo, status=FAILED, detail=[f"the process for this repository ended ({why}) without a result"]
        )


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
        cells = [cell.rjust(widths[i]) if i in numeric and n else cell.ljust(widths[i]) for i, cell in enumerate(row)]
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
