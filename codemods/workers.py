"""Worker processes under a supervisor: every file gets a time and a memory budget.

LibCST's parser is native code: a signal handler does not run while it works, and an
allocation failure inside it aborts the process. So the budget is enforced from outside: the
parent hands each worker a few paths at a time; the worker notes in memory it shares with the
parent when each file starts and its CPU time then (``_Slot.current``: no message and no
``/proc`` read per file, and it sends its results in batches), and the parent kills a worker
whose current file uses more CPU time than the budget or whose resident memory passes the memory budget (both
read from ``/proc``: the CPU time only once the file has taken its budget in wall-clock time,
the memory every ``MEMORY_POLL`` seconds; an address-space limit in the worker, twice the budget, is the backstop
where polling is too slow). The time budget is CPU time, not wall-clock time, so a loaded
machine (a test suite beside the run, other jobs on a CI runner) does not turn a file that
fits into an error; a file that waits rather than computes (a formatter subprocess that hangs)
is stopped by a wall-clock backstop of ``WALL_FACTOR`` times the budget. Where ``/proc`` is
missing the budget is wall-clock time. The file is
reported as an error, the rest of that worker's paths (those it had done but whose results it
still held too) go back to the queue, and a fresh worker takes its place. A worker is never killed while it writes (it says so first), so a
file is never left half-written. Results are yielded in the order of the paths, whatever the
number of workers and whichever were killed.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import multiprocessing
import os
import signal
import time
from multiprocessing.connection import wait
from typing import Deque, Dict, Iterator, List, Optional, Sequence, Tuple

from . import engine
from .engine import ERROR, FileResult, Settings

#: How often the supervisor checks each worker's memory (seconds): at this rate, however often
#: it wakes up (a worker sends a batch every ``FLUSH_AFTER`` seconds).
MEMORY_POLL = 0.05
#: A file may take this many times its (CPU) time budget in wall-clock time.
WALL_FACTOR = 10
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> Optional[float]:
    """CPU time of process ``pid`` and its reaped children (a formatter run), or None."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rpartition(")")[2].split()
        # after the name: state is field 3, utime 14, stime 15, cutime 16, cstime 17
        return sum(int(value) for value in fields[11:15]) / _TICK
    except (OSError, ValueError, IndexError):
        return None


def _limit_address_space(budget: int) -> None:
    try:
        import resource

        with open("/proc/self/statm") as handle:
            virtual = int(handle.read().split()[0]) * _PAGE
        limit = virtual + 2 * budget
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    except (ImportError, OSError, ValueError):
        pass


#: A worker's cyclic garbage collector thresholds (``gc.set_threshold``): the first
#: generation is collected after this many allocations, not Python's 700. LibCST makes
#: millions of short-lived objects per file; with the default, about a fifth of a worker's CPU
#: time on the corpus was the collector's. Measured: 7-10% less CPU per file, a few MB more
#: resident memory (the older generations keep their default multipliers).
GC_THRESHOLD = (50_000, 10, 10)


def tune_gc() -> None:
    """In a worker process (never the parent, whose thresholds are its caller's)."""
    gc.set_threshold(*GC_THRESHOLD)


@contextlib.contextmanager
def frozen_for_fork() -> Iterator[None]:
    """Workers forked inside see the parent's objects (the project facts, the file index: millions
    of them in a cached run over a corpus) as frozen (``gc.freeze``): their collector never
    scans them (each full collection of a worker did, and touching them copied their pages).
    The parent's own objects go back to its collector afterwards, unless something had frozen
    objects before (``fileindex._load_quietly``: a large table, frozen for the run)."""
    first = gc.get_freeze_count() == 0
    gc.freeze()
    try:
        yield
    finally:
        if first:
            gc.unfreeze()


#: A worker sends its results in batches (one message, not one per file): when its chunk is
#: done, before and after a write, and when the oldest result it holds is this old (seconds).
FLUSH_AFTER = 0.05

#: The fields of a slot's shared state (``_Slot.state``), written by the worker as each file
#: starts: how many files it has started, and the clock and its CPU time at the last start.
_STARTED, _WALL, _CPU = 0, 1, 2


def _own_cpu() -> float:
    """This process's CPU time and its reaped children's (``cpu_seconds`` of itself)."""
    times = os.times()
    return times[0] + times[1] + times[2] + times[3]


def _worker(conn, settings: Settings, state) -> None:
    """Process the paths sent; send ("w",) before a write and ("b", [(result, parses), ...])
    with the results of the files done since the last batch, in order. As each file starts,
    ``state`` tells the parent (``_Slot.current``): the per-file budgets need no message per
    file, and the parent knows which file the worker is on when it must stop it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; Ctrl-C reaches it
    tune_gc()
    if settings.file_memory_limit:
        _limit_address_space(settings.file_memory_limit)
    batch: List[Tuple[FileResult, int]] = []
    oldest = [0.0]
    wrote = [False]

    def flush() -> None:
        if batch:
            conn.send(("b", list(batch)))
            batch.clear()

    def on_write() -> None:
        flush()
        conn.send(("w",))
        wrote[0] = True

    started = 0
    while True:
        try:
            chunk = conn.recv()
        except EOFError:
            return
        if chunk is None:
            return
        for path in chunk:
            started += 1
            # A sequence lock: minus the file's number while its times are written (the parent
            # rereads then), the number once they are.
            state[_STARTED] = -started
            state[_WALL] = time.monotonic()
            state[_CPU] = _own_cpu()
            state[_STARTED] = started  # last: the parent reads it before and after the times
            wrote[0] = False
            before = engine.PARSE_COUNT
            try:
                result = engine.process_path(path, settings, on_write)
            except MemoryError:
                result = _failed(path, _memory_message(settings))
            except Exception as exc:  # never lose the worker to one file
                result = _failed(path, f"internal error: {type(exc).__name__}: {exc}")
            if not batch:
                oldest[0] = time.monotonic()
            batch.append((result, engine.PARSE_COUNT - before))
            if wrote[0] or time.monotonic() - oldest[0] >= FLUSH_AFTER:
                flush()
        flush()


def _failed(path: str, reason: str) -> FileResult:
    return FileResult(path=path, status=ERROR, error=reason)


def _memory_message(settings: Settings) -> str:
    return f"exceeded the memory budget of {settings.file_memory_limit // 2**20} MB (--file-memory-limit)"


def _seconds(value: float) -> str:
    return f"{value:g}"


def _time_message(slot: "_Slot", limit: float) -> str:
    if time.monotonic() - slot.current()[1] >= WALL_FACTOR * limit:
        return (
            f"took longer than {_seconds(WALL_FACTOR * limit)} s of wall-clock time ({WALL_FACTOR} x --file-time-limit)"
        )
    return f"took longer than {_seconds(limit)} s (--file-time-limit)"


class _Slot:
    """One worker process and the paths it holds (the first is the oldest whose result has not
    come back; the worker may be past it, ``current``)."""

    def __init__(self, context, settings: Settings) -> None:
        parent, child = context.Pipe()
        self.state = context.RawArray("d", 3)
        self.process = context.Process(target=_worker, args=(child, settings, self.state), daemon=True)
        self.process.start()
        child.close()
        self.conn = parent
        self.held: Deque[Tuple[int, str]] = collections.deque()
        self.received = 0  # results that came back
        self.writing = False
        self.torn_since: Optional[float] = None  # when ``time_left`` first found a file starting

    def give(self, chunk: List[Tuple[int, str]]) -> None:
        self.held.extend(chunk)
        self.conn.send([path for _, path in chunk])

    def current(self) -> Tuple[int, float, float]:
        """(files the worker started, the clock and its CPU time when the last one started)."""
        for _ in range(10000):
            started, wall, cpu, whole = self._read()
            if whole:
                return int(started), wall, cpu
        # A worker stopped while writing a file's start (or stalled there): that file is the one
        # it is on, its times perhaps half written, as an unlocked read would have had them.
        return int(abs(started)), wall, cpu

    def _read(self) -> Tuple[float, float, float, bool]:
        """One read of the shared state: (started, clock, CPU time, whether it is not torn)."""
        state = self.state
        started = state[_STARTED]
        wall, cpu = state[_WALL], state[_CPU]
        # not torn: no file was starting (negative: its times half written) nor started meanwhile
        return started, wall, cpu, started >= 0 and state[_STARTED] == started

    def working_on(self) -> Optional[int]:
        """Where in ``held`` the file the worker is on is; None when it is between files."""
        at = self.current()[0] - self.received - 1
        return at if 0 <= at < len(self.held) else None

    def time_left(self, limit: float, now: float) -> float:
        """Seconds (at the soonest) until the current file passes the time budget; <= 0: past."""
        started, wall, cpu_started, whole = self._read()
        if whole:
            self.torn_since = None
        else:
            # A file is starting: its budget has just begun. No spin until the worker has
            # written its times (on a loaded machine the parent woke on the batch the worker
            # sent just before, and the worker waits for a core): look again soon, unless it
            # has been starting since the last look (stopped there: read as ``current`` does).
            if self.torn_since is None:
                self.torn_since = now
            if now - self.torn_since < MEMORY_POLL:
                return min(limit, MEMORY_POLL)
            started, wall, cpu_started = self.current()
        if started <= self.received:
            return min(limit, MEMORY_POLL)  # between files: look again soon
        wall_left = wall + limit - now
        if wall_left > 0:
            # CPU time grows at most as fast as the clock (one thread): the budget cannot have
            # run out, and will not before ``wall_left`` has passed. No ``/proc`` read: the
            # loop asks on every wake-up (about 16,000 times over the corpus; issue 14).
            return wall_left
        cpu = cpu_seconds(self.process.pid)
        if cpu is None:
            return wall_left
        # The budget cannot run out before the CPU time left has passed (nor, above, before
        # the wall-clock budget); the wall-clock backstop is the latest.
        cpu_left = cpu_started + limit - cpu
        return min(max(wall_left, cpu_left), wall + WALL_FACTOR * limit - now)

    def resident(self) -> int:
        try:
            with open(f"/proc/{self.process.pid}/statm") as handle:
                return int(handle.read().split()[1]) * _PAGE
        except (OSError, ValueError, IndexError):
            return 0

    def kill(self) -> None:
        try:
            self.process.kill()
        except OSError:
            pass
        self.process.join()
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(5)
        if self.process.is_alive():
            self.kill()
        else:
            self.conn.close()


def start_context():
    """``fork`` where there is one: a forked worker imports nothing. ``spawn`` and
    ``forkserver`` start ``python -c ...`` in the current directory, which puts that directory
    (the scanned repository) first on ``sys.path`` before the parent's path is restored: a
    repository's own ``multiprocessing.py`` would run."""
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()  # pragma: no cover - Windows


def run_supervised(paths: Sequence[str], settings: Settings, jobs: int) -> Iterator[FileResult]:
    with frozen_for_fork():
        yield from _run_supervised(paths, settings, jobs)


def _run_supervised(paths: Sequence[str], settings: Settings, jobs: int) -> Iterator[FileResult]:
    context = start_context()
    pending: Deque[Tuple[int, str]] = collections.deque(enumerate(paths))
    chunk_size = max(1, min(16, len(paths) // (max(1, jobs) * 8) or 1))
    slots = [_Slot(context, settings) for _ in range(min(max(1, jobs), len(paths)))]
    done: Dict[int, FileResult] = {}
    next_index = 0
    memory_due = 0.0  # when the workers' memory is next read
    try:
        while next_index < len(paths):
            for slot in slots:
                if len(slot.held) < chunk_size and pending:  # the next chunk before this one ends
                    slot.give([pending.popleft() for _ in range(min(chunk_size, len(pending)))])
            busy = [slot for slot in slots if slot.held]
            now = time.monotonic()
            timeout: Optional[float] = None
            if settings.file_memory_limit:
                timeout = max(0.0, memory_due - now) + 0.001
            if settings.file_time_limit:
                lefts = [s.time_left(settings.file_time_limit, now) for s in busy if not s.writing]
                if lefts:
                    left = max(0.0, min(lefts)) + 0.001
                    timeout = left if timeout is None else min(timeout, left)
            wait([s.conn for s in busy] + [s.process.sentinel for s in busy], timeout)
            check_memory = False
            if settings.file_memory_limit and time.monotonic() >= memory_due:
                check_memory = True  # every worker's, then none until MEMORY_POLL has passed
                memory_due = time.monotonic() + MEMORY_POLL
            for index, slot in enumerate(slots):
                if not slot.held:
                    continue
                failure = _drain(slot, done)
                if failure is None and slot.held and not slot.writing:
                    limit = settings.file_time_limit
                    if limit and slot.time_left(limit, time.monotonic()) <= 0:
                        failure = _time_message(slot, limit)
                    elif check_memory and slot.resident() > settings.file_memory_limit:
                        failure = _memory_message(settings)
                if failure is None:
                    continue
                _stop_failed(slot, failure, done, pending)
                slots[index] = _Slot(context, settings)
            while next_index in done:
                yield done.pop(next_index)
                next_index += 1
    finally:
        for slot in slots:
            if slot.held:
                slot.kill()
            else:
                slot.stop()


def _stop_failed(slot: _Slot, failure: str, done: Dict[int, FileResult], pending: Deque[Tuple[int, str]]) -> None:
    """Kill a worker that failed on its current file: that file's result is ``failure``. The
    results it sent before it died are kept (a pipe keeps what was written to it); files it
    did without sending their results, and those it had not started, go back to the queue."""
    try:
        slot.process.kill()
    except OSError:
        pass
    slot.process.join()
    _drain(slot, done)  # what was on its way when it was killed
    slot.conn.close()
    started = slot.current()[0]  # final: the worker is gone
    held = list(slot.held)
    if held and (started > slot.received or started == 0):
        # The file it was on is the ``started``-th; ``held`` starts after the results received.
        # (None started: it died before its first file, which is blamed so the run goes on.)
        at = min(max(0, started - slot.received - 1), len(held) - 1)
        position, path = held.pop(at)
        done[position] = _failed(path, failure)
    pending.extendleft(reversed(held))


def _drain(slot: _Slot, done: Dict[int, FileResult]) -> Optional[str]:
    """Take every message the worker sent; the reason it failed when it died."""
    alive = slot.process.is_alive()  # before draining: a dead worker's messages are all there
    while slot.held:
        try:
            if not slot.conn.poll():
                break
            message = slot.conn.recv()
        except (EOFError, OSError):
            break
        if message[0] == "w":
            slot.writing = True
            continue
        for result, parses in message[1]:
            engine.PARSE_COUNT += parses
            position, _ = slot.held.popleft()
            done[position] = result
            slot.received += 1
        slot.writing = False
    if slot.held and not alive:
        code = slot.process.exitcode
        how = f"signal {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit status {code}"
        hint = " (probably over the memory budget)" if slot.process.exitcode == -signal.SIGABRT else ""
        return f"the worker process died ({how}){hint}"
    return None
