"""Supervised workers send their results in batches (``workers.py``), and a cached run screens
a file before it computes the file's key (``engine._process_cached``): the per-file budgets
still blame the one file that went over them, and results keep the order of the paths."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from codemods import cache, engine, workers

GOOD = "import requests\n\n\ndef f(u):\n    return requests.get(u)\n"
PLAIN = "x = 1\n"


def _tree(tmp_path: Path, count: int, odd: str) -> list:
    """``count`` files (every third one a fix, the others skipped) and ``odd`` among them."""
    paths = []
    for i in range(count):
        path = tmp_path / f"f{i:03d}.py"
        path.write_text(GOOD if i % 3 == 0 else PLAIN)
        paths.append(str(path))
    (tmp_path / odd).write_text(PLAIN)
    return sorted(paths + [str(tmp_path / odd)])


def _expected(paths):
    return [engine.CHANGED if Path(p).read_text() == GOOD else engine.SKIPPED for p in paths]


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_batched_results_come_in_the_order_of_the_paths(tmp_path, monkeypatch):
    paths = _tree(tmp_path, 150, "f050x.py")
    plain = engine.run(paths, engine.Settings(codemods=("add-timeout",), mode=engine.CHECK), jobs=1)
    monkeypatch.setattr(workers, "FLUSH_AFTER", 1e9)  # one message per chunk (workers fork later)
    for jobs in (1, 2):
        settings = engine.Settings(codemods=("add-timeout",), mode=engine.CHECK, file_time_limit=60)
        results = engine.run(paths, settings, jobs=jobs)
        assert [r.path for r in results] == sorted(paths)
        assert [r.status for r in results] == [r.status for r in plain] == _expected(paths)
        assert [r.diff for r in results] == [r.diff for r in plain]


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="CPU time is read from /proc")
@pytest.mark.parametrize("how", ["spin", "crash"])
def test_a_file_over_its_budget_inside_a_batch_is_an_error_for_that_file_only(tmp_path, monkeypatch, how):
    """The worker holds the results of the files before the slow one (no flush before the
    chunk ends): the slow file is the error, the others get their own results, in order."""
    paths = _tree(tmp_path, 150, "f005slow.py")
    monkeypatch.setattr(workers, "FLUSH_AFTER", 1e9)
    real = engine.process_path

    def slow(path, settings, on_write=None):
        if path.endswith("slow.py"):
            if how == "crash":
                import faulthandler

                faulthandler.disable()  # pytest's handler would print the (expected) crash
                os.kill(os.getpid(), signal.SIGSEGV)
            end = time.monotonic() + 60
            while time.monotonic() < end:  # computing: CPU time
                pass
        return real(path, settings, on_write)

    monkeypatch.setattr(engine, "process_path", slow)  # the forked workers inherit it
    settings = engine.Settings(codemods=("add-timeout",), mode=engine.CHECK, file_time_limit=0.5)
    results = engine.run(paths, settings, jobs=1)
    assert [r.path for r in results] == sorted(paths)
    message = (
        "took longer than 0.5 s (--file-time-limit)" if how == "spin" else "the worker process died (signal SIGSEGV)"
    )
    slow_at = [Path(p).name for p in paths].index("f005slow.py")
    assert slow_at < 16  # in the first chunk, after files whose results were held back
    assert [(r.status, r.error) for r in results] == [
        (engine.ERROR, message) if i == slow_at else (status, None) for i, status in enumerate(_expected(paths))
    ]


def test_a_file_the_screen_skips_computes_no_key(tmp_path, monkeypatch):
    """Skipped files store no entry, so their lookup must miss: the key (which reads the
    project facts for the file) is not computed for them; a candidate's is."""
    keyed = []
    real = cache.run_key
    monkeypatch.setattr(cache, "run_key", lambda s, path, data: keyed.append(path) or real(s, path, data))
    settings = engine.Settings(codemods=("add-timeout",), mode=engine.CHECK, cache_dir=str(tmp_path / "cache"))
    # Passes the bytes stage (it imports requests) but not the ast stage (no call to change).
    skipped = engine._process_cached(b"import requests\n\nx = 1\n", "skip.py", settings)
    assert skipped.status == engine.SKIPPED and keyed == []
    first = engine._process_cached(GOOD.encode(), "good.py", settings)
    assert first.status == engine.CHANGED and keyed == ["good.py"]
    again = engine._process_cached(GOOD.encode(), "good.py", settings)  # from the cache now
    assert again.status == engine.CHANGED and again.diff == first.diff
    assert cache.stats(str(tmp_path / "cache"))["entries"] == 1


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_the_supervisor_reads_proc_only_when_a_budget_may_have_run_out(tmp_path, monkeypatch):
    """Files well within the time budget: the worker's CPU time is never read (the clock
    bounds it); its memory is read at most once per ``MEMORY_POLL`` per worker (issue 14: the
    polling read ``/proc`` on every wake-up, about 16,000 times over the corpus)."""
    paths = _tree(tmp_path, 60, "f000x.py")
    cpu_reads, memory_reads = [], []
    real_cpu, real_resident = workers.cpu_seconds, workers._Slot.resident
    monkeypatch.setattr(workers, "cpu_seconds", lambda pid: cpu_reads.append(pid) or real_cpu(pid))
    monkeypatch.setattr(
        workers._Slot, "resident", lambda self: memory_reads.append(time.monotonic()) or real_resident(self)
    )
    monkeypatch.setattr(workers, "FLUSH_AFTER", 0.0)  # a message (a wake-up) per file
    settings = engine.Settings(
        codemods=("add-timeout",), mode=engine.CHECK, file_time_limit=60, file_memory_limit=2**31
    )
    started = time.monotonic()
    results = engine.run(paths, settings, jobs=2)
    elapsed = time.monotonic() - started
    assert [r.status for r in results] == _expected(paths)
    assert cpu_reads == []
    assert 1 <= len(memory_reads) <= 2 * (elapsed / workers.MEMORY_POLL + 2)
