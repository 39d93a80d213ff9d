"""Bad inputs through the real command: each gives one clear message, the rest of the run
completes, and no file is ever half-written (even when the process is killed mid-write)."""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codemods import engine
from codemods.discover import discover

SEL = ("--select", "add-timeout")
GOOD = "import requests\n\n\ndef f(u):\n    return requests.get(u)\n"
GOOD_FIXED = "import requests\n\n\ndef f(u):\n    return requests.get(u, timeout=60)\n"


def cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "codemods", "-j", "1", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
    )


def error_lines(stderr: str, name: str):
    return [line for line in stderr.splitlines() if name in line and "error" in line]


def build_bad_tree(root: Path) -> dict:
    """A directory of bad inputs next to good files; returns name -> expected message part
    (None: no message at all, the file is fine)."""
    expected = {}

    def put(name, data, message):
        path = root / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
        expected[name] = message

    put("a_good.py", GOOD, None)
    put("empty.py", b"", None)
    put("only_comments.py", "# requests are welcome\n# nothing else\n", None)
    put("syntax_error.py", "import requests\n\ndef f(:\n    pass\n", "syntax error")
    put("nul_byte.py", b"import requests\x00\nrequests.get(u)\n", "NUL byte")
    put("undecodable.py", b"import requests\n# caf\xe9\nrequests.get(u)\n", "cannot decode as utf-8")
    put("bad_cookie.py", b"# -*- coding: no-such-codec -*-\nimport requests\n", "encoding")
    put(
        "latin1_cookie.py",
        "# -*- coding: latin-1 -*-\nimport requests\n\n# caf\xe9\nrequests.get('http://x/\xe9')\n".encode("latin-1"),
        None,
    )
    # Mixed tabs and spaces: Python itself rejects it (TabError); either we process it or we
    # say why, in one line.
    put("tabs_spaces.py", "import requests\nif True:\n\tx = 1\n        requests.get(x)\n", "")
    put("deep_parens.py", "import requests\nx = " + "(" * 3000 + "1" + ")" * 3000 + "\nrequests.get(x)\n", "")
    put("deep_lists.py", "import requests\nx = " + "[" * 600 + "]" * 600 + "\nrequests.get(x)\n", "")
    blocks = (
        "import requests\n" + "".join("    " * i + "if x:\n" for i in range(120)) + "    " * 120 + "requests.get(x)\n"
    )
    put("deep_blocks.py", blocks, "")
    put("z_good.py", GOOD.replace("f(u)", "g(u)"), None)
    return expected


def test_bad_inputs_each_get_one_clear_message_and_the_run_completes(tmp_path):
    expected = build_bad_tree(tmp_path)
    originals = {name: (tmp_path / name).read_bytes() for name in expected}
    proc = cli(*SEL, ".", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr  # some files could not be processed
    assert "Traceback" not in proc.stderr
    for name, message in expected.items():
        lines = error_lines(proc.stderr, name)
        if message is None:
            assert lines == [], (name, lines)
        elif message == "":
            assert len(lines) <= 1, (name, lines)  # processed, or one line saying why
        else:
            assert len(lines) == 1 and message in lines[0], (name, proc.stderr)
            assert (tmp_path / name).read_bytes() == originals[name]  # untouched
    # The good files around them were rewritten.
    assert (tmp_path / "a_good.py").read_text() == GOOD_FIXED
    assert (tmp_path / "z_good.py").read_text() == GOOD_FIXED.replace("f(u)", "g(u)")
    # The coding cookie was honoured: rewritten, still latin-1, the é byte kept.
    latin = (tmp_path / "latin1_cookie.py").read_bytes()
    assert b"timeout=60" in latin and b"caf\xe9" in latin and b"/\xe9'" in latin
    assert (tmp_path / "empty.py").read_bytes() == b""
    # Deep nesting that libcst reads is processed (Python's ast gives up at 200 brackets and
    # must hand the file on, not skip it).
    deep = (tmp_path / "deep_lists.py").read_text()
    assert "timeout=60" in deep or error_lines(proc.stderr, "deep_lists.py")
    summary = proc.stderr.strip().splitlines()[-1]
    assert "files scanned" in summary and "errors" in summary


def test_a_5mb_generated_file(tmp_path):
    # Generated code is mostly data and comments; 5 MB of them, a target at the end, all read
    # by libcst (comments are trivia to it, so this stays quick).
    rows = "".join(f"# generated row {i:07}: {'x' * 40}\n" for i in range(80_000))
    source = "import requests\n\n" + rows + "\n\ndef f(u):\n    return requests.get(u)\n"
    assert len(source) > 5_000_000
    (tmp_path / "big.py").write_text(source)
    started = time.monotonic()
    proc = cli(*SEL, "big.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "big.py").read_text() == source.replace("requests.get(u)", "requests.get(u, timeout=60)")
    assert time.monotonic() - started < 120


def test_a_5mb_file_without_targets_is_skipped_cheaply(tmp_path):
    rows = "\n".join(f"x{i} = requests_like_{i} = {i}  # requests" for i in range(120_000))
    (tmp_path / "big.py").write_text("import requests\n" + rows + "\n")
    before = engine.PARSE_COUNT
    settings = engine.Settings(codemods=("close-response", "close-client", "share-session"), mode=engine.CHECK)
    result = engine.process_path(str(tmp_path / "big.py"), settings)
    assert result.status == engine.SKIPPED  # the ast stage proved there is no target
    assert engine.PARSE_COUNT == before


@pytest.mark.skipif(sys.platform != "linux", reason="uses /proc")
def test_unreadable_file(tmp_path):
    (tmp_path / "a.py").write_text(GOOD)
    if os.geteuid() == 0:
        # chmod 000 does not stop root from reading (CI runs as root): a file the kernel
        # refuses to read is the honest equivalent. It lives outside the tree (the command
        # skips a link to it since issue 16), so the directory holding it is the tree.
        os.symlink("/proc/self/mem", tmp_path / "unreadable.py")
        proc = cli(*SEL, ".", "/proc/self/mem", cwd=tmp_path)
        assert proc.returncode == 2
        lines = error_lines(proc.stderr, "/proc/self/mem")
        assert len(lines) == 1 and "cannot read" in lines[0], proc.stderr
        assert (tmp_path / "a.py").read_text() == GOOD_FIXED
        return
    (tmp_path / "unreadable.py").write_text(GOOD)
    os.chmod(tmp_path / "unreadable.py", 0)
    proc = cli(*SEL, ".", cwd=tmp_path)
    assert proc.returncode == 2
    lines = error_lines(proc.stderr, "unreadable.py")
    assert len(lines) == 1 and "cannot read" in lines[0], proc.stderr
    assert (tmp_path / "a.py").read_text() == GOOD_FIXED


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_symlink_loops(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(GOOD)
    os.symlink("..", tmp_path / "pkg" / "up")  # a directory that contains itself
    os.symlink("b.py", tmp_path / "pkg" / "c.py")
    os.symlink("c.py", tmp_path / "pkg" / "b.py")  # two files pointing at each other
    proc = cli(*SEL, ".", cwd=tmp_path)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2
    assert (tmp_path / "pkg" / "a.py").read_text() == GOOD_FIXED
    loops = [line for line in proc.stderr.splitlines() if "symlink loop" in line]
    assert len(loops) >= 2, proc.stderr  # the directory, and the two files
    assert not any("dangling" in line for line in proc.stderr.splitlines()), proc.stderr


def test_file_that_disappears_mid_run(tmp_path):
    (tmp_path / "a.py").write_text(GOOD)
    (tmp_path / "gone.py").write_text(GOOD)
    (tmp_path / "z.py").write_text(GOOD)
    found = discover([str(tmp_path)])
    os.unlink(tmp_path / "gone.py")  # after discovery, before processing
    settings = engine.Settings(codemods=("add-timeout",), mode=engine.WRITE)
    results = engine.run(found.files, settings, jobs=1)
    by_name = {Path(r.path).name: r for r in results}
    assert by_name["gone.py"].status == engine.ERROR
    assert "disappeared" in by_name["gone.py"].error
    assert by_name["a.py"].written and by_name["z.py"].written
    assert not (tmp_path / "gone.py").exists()


def test_read_only_file_is_reported_not_crashed_on(tmp_path):
    (tmp_path / "ro.py").write_text(GOOD)
    (tmp_path / "rw.py").write_text(GOOD)
    os.chmod(tmp_path / "ro.py", 0o444)
    proc = cli(*SEL, ".", cwd=tmp_path)
    assert proc.returncode == 2
    lines = error_lines(proc.stderr, "ro.py")
    assert len(lines) == 1 and "read-only" in lines[0], proc.stderr
    assert (tmp_path / "ro.py").read_text() == GOOD
    assert stat.S_IMODE((tmp_path / "ro.py").stat().st_mode) == 0o444
    assert (tmp_path / "rw.py").read_text() == GOOD_FIXED
    # --check and --diff never write, so a read-only file is fine for them.
    assert cli(*SEL, "--check", "ro.py", cwd=tmp_path).returncode == 1


def test_two_paths_naming_one_file_are_processed_once(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(GOOD)
    os.symlink("pkg/a.py", tmp_path / "alias.py")
    proc = cli(*SEL, "-v", "pkg/a.py", "./pkg/a.py", "pkg", "alias.py", str(tmp_path / "pkg" / "a.py"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("rewrote") == 1, proc.stderr
    assert "1 file scanned" in proc.stderr
    assert (tmp_path / "pkg" / "a.py").read_text() == GOOD_FIXED
    assert os.path.islink(tmp_path / "alias.py")  # the link itself was not replaced


def _inodes(tree: Path, names) -> list:
    return [os.stat(tree / name).st_ino for name in names]


def test_killing_the_process_mid_write_never_truncates_a_file(tmp_path):
    """SIGKILL in the middle of a run that rewrites many files: every file is, byte for
    byte, either its original or its complete rewrite.

    No fixed delay (on a loaded machine every kill used to land before the first write): the
    test watches the files (a rewrite replaces the file, so its inode changes) and kills the
    process once a random number of them have been rewritten, then checks that the kill did
    land mid-run: some files rewritten, some not."""
    padding = "".join(f"# line {i} of padding to make the write take a moment\n" for i in range(400))
    original = GOOD + padding
    fixed = GOOD_FIXED + padding
    tree = tmp_path / "tree"
    tree.mkdir()
    names = [f"m{i:03}.py" for i in range(80)]
    rng = random.Random(6)
    killed_mid_run = []
    for attempt in range(4):
        for name in names:
            (tree / name).write_text(original)
        before = _inodes(tree, names)
        wanted = rng.randint(1, 15)  # rewritten files to wait for before the kill
        proc = subprocess.Popen(
            [sys.executable, "-m", "codemods", "-q", "-j", "2", *SEL, "."],
            cwd=tree,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            while proc.poll() is None:
                done = sum(a != b for a, b in zip(before, _inodes(tree, names)))
                if done >= wanted:
                    break
                time.sleep(0.005)  # leave the cores to the workers; not a timing assumption
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        contents = [(tree / name).read_text() for name in names]
        assert all(text in (original, fixed) for text in contents)
        killed_mid_run.append(original in contents and fixed in contents)
        # What was left behind is our own temporary file at worst, never a user file.
        stray = [p.name for p in tree.iterdir() if p.name not in names]
        assert all(n.startswith(".http-codemods-") and n.endswith(".tmp") for n in stray), stray
        for path in tree.iterdir():
            if path.name not in names:
                path.unlink()
    # The kills did land while files were being rewritten, not before or after: every one.
    assert all(killed_mid_run), killed_mid_run
    # And a run to completion afterwards finishes the job.
    assert cli(*SEL, "-q", ".", cwd=tree).returncode == 0
    assert all((tree / name).read_text() == fixed for name in names)
