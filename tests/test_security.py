"""Running on a repository you do not trust (issue 16): nothing outside the named tree is read
as source or written, links are kept, hard links are never split, and one file cannot stall
the run (per-file time, memory and size budgets; ``codemods/workers.py``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from codemods import engine
from codemods.discover import discover

pytestmark = pytest.mark.skipif(os.name != "posix", reason="symlinks, hard links, FIFOs")

SEL = ("--select", "add-timeout")
GOOD = "import requests\n\n\ndef f(u):\n    return requests.get(u)\n"
GOOD_FIXED = GOOD.replace("requests.get(u)", "requests.get(u, timeout=60)")


def cli(*args, cwd, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "codemods", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def snapshot(directory: Path):
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture
def hostile(tmp_path):
    """tree/ with links to a file and a directory outside it (and a good file)."""
    outside = tmp_path / "outside"
    (outside / "pkg").mkdir(parents=True)
    (outside / "victim.py").write_text(GOOD)
    (outside / "pkg" / "mod.py").write_text(GOOD)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "good.py").write_text(GOOD)
    os.symlink("../outside/victim.py", tree / "evil.py")
    os.symlink(str(outside / "pkg"), tree / "evildir")  # absolute, for the other spelling
    return tree, outside


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_links_leaving_the_tree_are_skipped_with_a_message(hostile, jobs):
    tree, outside = hostile
    before = snapshot(outside)
    proc = cli(*SEL, "-j", jobs, ".", cwd=tree)
    assert proc.returncode == 0, proc.stderr
    assert snapshot(outside) == before  # byte-identical
    lines = [line for line in proc.stderr.splitlines() if "skipped:" in line]
    assert lines == [
        f"evil.py: skipped: symlink to a file outside the tree ({outside / 'victim.py'}): not followed",
        f"evildir: skipped: symlink to a directory outside the tree ({outside / 'pkg'}): not followed",
    ], proc.stderr
    assert (tree / "good.py").read_text() == GOOD_FIXED
    assert "1 file scanned" in proc.stderr
    assert os.path.islink(tree / "evil.py") and os.path.islink(tree / "evildir")


def test_a_link_leaving_the_tree_is_skipped_when_named_too(hostile):
    # As ``git ls-files | xargs http-codemods`` would name it: the root of a named file is
    # the directory it is in.
    tree, outside = hostile
    before = snapshot(outside)
    proc = cli(*SEL, "evil.py", "good.py", cwd=tree)
    assert snapshot(outside) == before
    assert (
        f"evil.py: skipped: symlink to a file outside the tree ({outside / 'victim.py'}): not followed" in proc.stderr
    )
    assert (tree / "good.py").read_text() == GOOD_FIXED
    # A file named through a linked directory is in the directory the user named (git never
    # lists such a path): that directory is its root.
    proc = cli(*SEL, "evildir/mod.py", cwd=tree)
    assert proc.returncode == 0 and "skipped:" not in proc.stderr, proc.stderr
    assert (outside / "pkg" / "mod.py").read_text() == GOOD_FIXED


def test_a_link_inside_the_tree_is_kept_and_its_target_rewritten_once(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "real.py").write_text(GOOD)
    os.symlink("pkg/real.py", tmp_path / "alias.py")
    os.symlink("pkg", tmp_path / "alias_dir")
    (tmp_path / "script").write_text(GOOD)  # not a .py name: reached only through its link
    os.symlink("script", tmp_path / "script_link.py")
    proc = cli(*SEL, "-v", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rewrote = sorted(line for line in proc.stderr.splitlines() if line.startswith("rewrote"))
    # Processed under the targets' names, once each.
    assert rewrote == ["rewrote pkg/real.py (add-timeout)", "rewrote script (add-timeout)"], proc.stderr
    assert "2 files scanned" in proc.stderr
    assert "skipped:" not in proc.stderr
    for link in ("alias.py", "alias_dir", "script_link.py"):
        assert os.path.islink(tmp_path / link), link
    assert (tmp_path / "pkg" / "real.py").read_text() == GOOD_FIXED
    assert (tmp_path / "script").read_text() == GOOD_FIXED


def test_hard_links_are_reported_never_split(tmp_path):
    (tmp_path / "a.py").write_text(GOOD)
    os.link(tmp_path / "a.py", tmp_path / "b.py")
    (tmp_path / "c.py").write_text(GOOD)
    proc = cli(*SEL, ".", cwd=tmp_path)
    assert proc.returncode == 2
    for name in ("a.py", "b.py"):
        assert f"{name}: error: file has 2 hard links: not rewritten (replacing it would split them)" in proc.stderr
    assert os.stat(tmp_path / "a.py").st_nlink == 2
    assert os.path.samefile(tmp_path / "a.py", tmp_path / "b.py")
    assert (tmp_path / "a.py").read_text() == GOOD
    assert (tmp_path / "c.py").read_text() == GOOD_FIXED
    # --diff writes nothing, so a hard-linked file is fine there.
    diff = cli(*SEL, "--diff", "a.py", cwd=tmp_path)
    assert diff.returncode == 1 and "timeout=60" in diff.stdout


def test_a_file_swapped_for_an_outside_link_after_discovery_is_not_written(tmp_path):
    outside = tmp_path / "outside.py"
    outside.write_text(GOOD)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.py").write_text(GOOD)
    found = discover([str(tree)])
    assert found.roots == [str(tree.resolve())]
    os.unlink(tree / "a.py")
    os.symlink(outside, tree / "a.py")  # between discovery and the write
    settings = engine.Settings(codemods=("add-timeout",), roots=tuple(found.roots))
    (result,) = engine.run(found.files, settings)
    assert result.status == engine.ERROR and "resolves outside the tree" in result.error
    assert outside.read_text() == GOOD


def test_fifos_and_devices_are_errors_not_hangs(tmp_path):
    os.mkfifo(tmp_path / "pipe.py")
    os.symlink("/dev/zero", tmp_path / "zero.py")  # outside the tree anyway
    (tmp_path / "a.py").write_text(GOOD)
    os.mkfifo(tmp_path / ".gitignore")  # never opened either
    proc = cli(*SEL, ".", cwd=tmp_path, timeout=60)
    assert "pipe.py: error: not a regular file" in proc.stderr
    assert "zero.py: skipped: symlink to a file outside the tree (/dev/zero)" in proc.stderr
    assert (tmp_path / "a.py").read_text() == GOOD_FIXED
    # Named explicitly, and through the engine directly: still an error, never a blocking open.
    assert "pipe.py: error: not a regular file" in cli(*SEL, "pipe.py", cwd=tmp_path, timeout=60).stderr
    result = engine.process_path(str(tmp_path / "pipe.py"), engine.Settings(codemods=("add-timeout",)))
    assert result.status == engine.ERROR and result.error == "not a regular file"


# -- budgets -------------------------------------------------------------------------------


def generated_module(path: Path, megabytes: float) -> None:
    """Dense generated data with a target: libcst takes minutes and gigabytes on 10 MB."""
    rows = []
    size = 0
    i = 0
    while size < megabytes * 2**20:
        row = f"    ({i}, 'item{i}', {{'k': [{i}, {i + 1}]}}),\n"
        rows.append(row)
        size += len(row)
        i += 1
    path.write_text("import requests\n\nr = requests.get('http://x')\nTABLE = [\n" + "".join(rows) + "]\n")


@pytest.fixture(scope="module")
def big_tree(tmp_path_factory):
    tree = tmp_path_factory.mktemp("budget")
    generated_module(tree / "big.py", 10)
    return tree


def fresh(tree: Path) -> None:
    for name in ("a.py", "m.py", "z.py"):
        (tree / name).write_text(GOOD)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_10mb_file_over_the_time_budget_is_reported_and_the_run_goes_on(big_tree, jobs):
    fresh(big_tree)
    # 3 s against the minutes libcst needs for 10 MB of dense data: the file cannot finish in
    # time on any machine, and the subprocess timeout fails the test if the budget is ignored.
    proc = cli(
        *SEL,
        "-j",
        jobs,
        "-v",
        "--file-time-limit",
        "3",
        "--file-size-limit",
        "20",
        "--file-memory-limit",
        "0",
        ".",
        cwd=big_tree,
        timeout=150,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert "big.py: error: took longer than 3 s (--file-time-limit)" in lines, proc.stderr
    for name in ("a.py", "m.py", "z.py"):
        assert (big_tree / name).read_text() == GOOD_FIXED
    # The report stays in path order however the files finished.
    order = [line.split()[1] for line in lines if line.startswith("rewrote")]
    assert order == ["a.py", "m.py", "z.py"], proc.stderr
    assert "4 files scanned" in proc.stderr and "1 error" in proc.stderr


def test_a_10mb_file_over_the_memory_budget_is_reported(big_tree):
    fresh(big_tree)
    proc = cli(
        *SEL,
        "-j",
        "1",
        "--file-memory-limit",
        "300",
        "--file-size-limit",
        "20",
        "--file-time-limit",
        "0",
        ".",
        cwd=big_tree,
        timeout=150,
    )
    assert proc.returncode == 2, proc.stderr
    assert "big.py: error: exceeded the memory budget of 300 MB (--file-memory-limit)" in proc.stderr
    for name in ("a.py", "m.py", "z.py"):
        assert (big_tree / name).read_text() == GOOD_FIXED
    assert "4 files scanned" in proc.stderr and "1 error" in proc.stderr


def test_the_size_limit_skips_a_file_with_a_message_unless_raised(tmp_path):
    (tmp_path / "a.py").write_text(GOOD + "#" * 300_000 + "\n")
    (tmp_path / "b.py").write_text(GOOD)
    proc = cli(*SEL, "--file-size-limit", "0.25", ".", cwd=tmp_path)
    assert proc.returncode == 2
    assert "a.py: error: 0.3 MB is over the size limit of 0.2 MB (--file-size-limit): not processed" in proc.stderr
    assert (tmp_path / "a.py").read_text().startswith(GOOD)
    assert (tmp_path / "b.py").read_text() == GOOD_FIXED
    # The same from the configuration; raising it processes the file.
    (tmp_path / "pyproject.toml").write_text("[tool.http-codemods]\nfile-size-limit = 0.25\n")
    assert "over the size limit" in cli(*SEL, ".", cwd=tmp_path).stderr
    proc = cli(*SEL, "--file-size-limit", "1", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "a.py").read_text().startswith(GOOD_FIXED)


@pytest.mark.parametrize(
    "key,value", [("file-time-limit", '"soon"'), ("file-memory-limit", "-1"), ("file_size_limit", "true")]
)
def test_budget_keys_are_validated(tmp_path, key, value):
    (tmp_path / "a.py").write_text(GOOD)
    (tmp_path / "pyproject.toml").write_text(f"[tool.http-codemods]\n{key} = {value}\n")
    proc = cli(*SEL, ".", cwd=tmp_path)
    assert proc.returncode == 2
    assert f"{key.replace('_', '-')} must be a number >= 0" in proc.stderr
    assert (tmp_path / "a.py").read_text() == GOOD


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_a_worker_that_dies_is_replaced_and_its_file_reported(tmp_path, monkeypatch):
    for name in ("a.py", "crash.py", "z.py"):
        (tmp_path / name).write_text(GOOD)
    real = engine.process_path

    def crashing(path, settings, on_write=None):
        if path.endswith("crash.py"):
            import faulthandler

            faulthandler.disable()  # pytest's handler would print the (expected) crash
            os.kill(os.getpid(), signal.SIGSEGV)
        return real(path, settings, on_write)

    monkeypatch.setattr(engine, "process_path", crashing)  # the forked workers inherit it
    settings = engine.Settings(codemods=("add-timeout",), file_time_limit=60)
    paths = [str(tmp_path / n) for n in ("a.py", "crash.py", "z.py")]
    for jobs in (1, 2):
        results = engine.run(paths, settings, jobs=jobs)
        assert [Path(r.path).name for r in results] == ["a.py", "crash.py", "z.py"]
        assert results[1].status == engine.ERROR
        assert results[1].error == "the worker process died (signal SIGSEGV)"
        assert (tmp_path / "z.py").read_text() == GOOD_FIXED
        (tmp_path / "a.py").write_text(GOOD)
        (tmp_path / "z.py").write_text(GOOD)


def _slowed(monkeypatch, how, seconds):
    """Make the forked workers spend ``seconds`` on ``slow.py`` before processing it, waiting
    (``how="sleep"``, as on a machine whose cores are busy elsewhere) or computing."""
    import time

    real = engine.process_path

    def slow(path, settings, on_write=None):
        if path.endswith("slow.py"):
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                if how == "sleep":
                    time.sleep(end - time.monotonic())
        return real(path, settings, on_write)

    monkeypatch.setattr(engine, "process_path", slow)  # the forked workers inherit it


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="CPU time is read from /proc")
def test_the_time_budget_is_cpu_time_so_waiting_is_not_an_error(tmp_path, monkeypatch):
    """2 s of waiting against a 1 s budget: not an error (a loaded machine must not turn a
    file that fits into one); the wall-clock backstop is 10 times the budget."""
    (tmp_path / "slow.py").write_text(GOOD)
    _slowed(monkeypatch, "sleep", 2.0)
    settings = engine.Settings(codemods=("add-timeout",), mode=engine.CHECK, file_time_limit=1)
    [result] = engine.run([str(tmp_path / "slow.py")], settings, jobs=1)
    assert result.status == engine.CHANGED, result.error


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="CPU time is read from /proc")
@pytest.mark.parametrize(
    "how,message",
    [
        ("spin", "took longer than 0.5 s (--file-time-limit)"),
        ("sleep", "took longer than 5 s of wall-clock time (10 x --file-time-limit)"),
    ],
)
def test_computing_past_the_budget_or_waiting_past_the_backstop_is_an_error(tmp_path, monkeypatch, how, message):
    (tmp_path / "slow.py").write_text(GOOD)
    (tmp_path / "z.py").write_text(GOOD)
    _slowed(monkeypatch, how, 60.0)
    settings = engine.Settings(codemods=("add-timeout",), mode=engine.CHECK, file_time_limit=0.5)
    results = engine.run([str(tmp_path / "slow.py"), str(tmp_path / "z.py")], settings, jobs=1)
    assert [(r.status, r.error) for r in results] == [(engine.ERROR, message), (engine.CHANGED, None)]


def test_the_supervisor_counts_the_workers_parses(tmp_path):
    (tmp_path / "a.py").write_text(GOOD)
    (tmp_path / "plain.py").write_text("x = 1\n")
    before = engine.PARSE_COUNT
    settings = engine.Settings(codemods=("add-timeout",), mode=engine.CHECK, file_time_limit=60)
    results = engine.run([str(tmp_path / "a.py"), str(tmp_path / "plain.py")], settings, jobs=1)
    assert [r.status for r in results] == [engine.CHANGED, engine.SKIPPED]
    assert engine.PARSE_COUNT - before == 1


# -- isolation -----------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [(), ("--file-time-limit", "0", "--file-memory-limit", "0")])
def test_the_console_script_never_imports_the_scanned_tree(tmp_path, extra):
    """The installed ``http-codemods`` script, run inside a tree holding modules with the
    tool's and its dependencies' names: none is imported (the script's directory, not the
    current one, is first on sys.path; workers are forked, not spawned here), with the
    supervised workers and with the plain pool."""
    from tests.test_precommit import PLANTED, plant_markers

    script = Path(sys.executable).parent / "http-codemods"
    if not script.exists():
        pytest.skip("the console script is not installed")
    tree = tmp_path / "repo"
    tree.mkdir()
    markers = tmp_path / "markers"
    plant_markers(tree, markers)
    (tree / "a.py").write_text(GOOD)
    (tree / "b.py").write_text(GOOD)
    for jobs in ("1", "2"):
        proc = subprocess.run(
            [str(script), *SEL, "-j", jobs, *extra, "."], cwd=tree, capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0, proc.stderr
        assert f"{len(PLANTED) + 2} files scanned" in proc.stderr
        assert os.listdir(markers) == []
        assert (tree / "a.py").read_text() == GOOD_FIXED
        (tree / "a.py").write_text(GOOD)
