"""-i/--interactive: hunk by hunk review through the CLI runner's input and a real terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import libcst as cst
import pytest
from click.testing import CliRunner

from codemods import registry
from codemods.base import HttpCodemod
from codemods.cli import command

# Three fixes, each in its own hunk (more than 6 unchanged lines apart).
PROGRAM = """\
import requests


def one(url):
    return requests.get(url)


def spacer_a():
    pass


def two(url):
    return requests.post(url, data=b"x")


def spacer_b():
    pass


def three(url):
    return requests.head(url)
"""
ONE = ("requests.get(url)", "requests.get(url, timeout=60)")
TWO = ('requests.post(url, data=b"x")', 'requests.post(url, data=b"x", timeout=60)')
THREE = ("requests.head(url)", "requests.head(url, timeout=60)")


def expected(*fixes):
    text = PROGRAM
    for old, new in fixes:
        text = text.replace(old, new)
    return text


def review(tmp_path, answers, *files, extra=()):
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        return runner.invoke(
            command, ["-j", "1", "--select", "add-timeout", "-i", *extra, *files], input=answers, catch_exceptions=False
        )
    finally:
        os.chdir(old)


@pytest.fixture
def prog(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    return path


def test_yes_no_yes_applies_exactly_the_accepted_hunks(prog, tmp_path):
    result = review(tmp_path, "y\nn\ny\n", "prog.py")
    assert result.exit_code == 0, result.output
    assert prog.read_text() == expected(ONE, THREE)
    out = result.stdout
    assert out.count("Apply this hunk [y,n,a,d,q,?]") == 3
    assert "prog.py  hunk 1/3  [add-timeout]" in out and "hunk 3/3" in out
    assert "-    return requests.get(url)\n+    return requests.get(url, timeout=60)\n" in out
    assert "applied 2 of 3 hunks" in result.stderr
    # The declined fix is reported as left for review, and the summary counts what was done.
    assert "prog.py:13:12: add-timeout: fix declined in review: added timeout=60" in out
    assert "1 rewritten, 2 sites fixed, 1 left for review" in result.stderr
    # A later run offers only what is left.
    again = review(tmp_path, "y\n", "prog.py")
    assert again.stdout.count("Apply this hunk") == 1
    assert prog.read_text() == expected(ONE, TWO, THREE)


def test_a_applies_the_rest_of_the_file_and_d_declines_it(tmp_path):
    (tmp_path / "a.py").write_text(PROGRAM)
    (tmp_path / "b.py").write_text(PROGRAM)
    result = review(tmp_path, "n\na\ny\nd\n", ".")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("Apply this hunk") == 4
    assert (tmp_path / "a.py").read_text() == expected(TWO, THREE)
    assert (tmp_path / "b.py").read_text() == expected(ONE)


def test_q_quits_keeping_what_was_accepted(tmp_path):
    (tmp_path / "a.py").write_text(PROGRAM)
    (tmp_path / "b.py").write_text(PROGRAM)
    result = review(tmp_path, "y\nq\n", ".")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("Apply this hunk") == 2
    assert (tmp_path / "a.py").read_text() == expected(ONE)
    assert (tmp_path / "b.py").read_text() == PROGRAM


def test_end_of_input_is_quit(prog, tmp_path):
    result = review(tmp_path, "y\n", "prog.py")
    assert result.exit_code == 0
    assert prog.read_text() == expected(ONE)


def test_question_mark_prints_help_and_asks_again(prog, tmp_path):
    result = review(tmp_path, "?\nwhat\nn\nn\nn\n", "prog.py")
    assert "a - apply this hunk and all later hunks in the file" in result.stdout
    assert result.stdout.count("Apply this hunk") == 5
    assert prog.read_text() == PROGRAM
    assert "no hunk applied; left unchanged" in result.stderr


def test_encoding_and_line_endings_are_kept(tmp_path):
    source = "# -*- coding: latin-1 -*-\r\n" + PROGRAM.replace("\n", "\r\n").replace("def one", "# caf\xe9\r\ndef one")
    path = tmp_path / "legacy.py"
    path.write_bytes(source.encode("latin-1"))
    result = review(tmp_path, "n\ny\nn\n", "legacy.py")
    assert result.exit_code == 0, result.output
    want = source.replace(TWO[0], TWO[1]).encode("latin-1")
    assert path.read_bytes() == want


def test_combining_with_diff_or_stdin_is_a_usage_error(prog, tmp_path):
    assert review(tmp_path, "", "prog.py", extra=("--diff",)).exit_code == 2
    assert review(tmp_path, "", "-").exit_code == 2


class SwapQuotes(HttpCodemod):
    """A test codemod whose two hunks only parse together: it rewrites the opening and the
    closing delimiters of a long triple-quoted string, far apart."""

    NAME = "swap-quotes"
    DESCRIPTION = "Use ''' for triple-quoted strings (test only)."
    WHY = "test"
    FIX = "test"
    DEFAULT = False

    def leave_SimpleString(self, original_node, updated_node):
        if updated_node.value.startswith('"""'):
            self.fixed(original_node, "swapped quotes")
            return updated_node.with_changes(value="'''" + updated_node.value[3:-3] + "'''")
        return updated_node


@pytest.fixture
def swap_quotes(monkeypatch):
    monkeypatch.setattr(registry, "CODEMODS", registry.CODEMODS + [SwapQuotes])
    monkeypatch.setattr(registry, "BY_NAME", dict(registry.BY_NAME, **{SwapQuotes.NAME: SwapQuotes}))


def test_hunks_that_do_not_parse_alone_leave_the_file_alone(tmp_path, swap_quotes):
    # requests.get named so the prefilter lets the file through.
    source = (
        'import requests\n\nFETCH = requests.get\nDOC = """\n' + "".join(f"line {i}\n" for i in range(12)) + '"""\n'
    )
    path = tmp_path / "doc.py"
    path.write_text(source)
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = runner.invoke(command, ["-j", "1", "--select", "swap-quotes", "-i", "doc.py"], input="y\nn\n")
    finally:
        os.chdir(old)
    assert result.stdout.count("Apply this hunk") == 2
    assert "the accepted hunks do not parse without the rejected ones" in result.stderr
    assert result.exit_code == 2
    assert path.read_text() == source
    # Accepting both is fine.
    os.chdir(tmp_path)
    try:
        both = runner.invoke(command, ["-j", "1", "--select", "swap-quotes", "-i", "doc.py"], input="y\ny\n")
    finally:
        os.chdir(old)
    assert both.exit_code == 0, both.output
    cst.parse_module(path.read_text())
    assert path.read_text() == source.replace('"""', "'''")


class Terminal:
    """Reads what a program writes to a pseudo-terminal, up to a marker at a time."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""

    def until(self, needle: bytes, timeout: float = 120) -> bytes:
        # Only a limit for a program that hangs: each step waits for its marker, however long
        # a busy machine takes to start the interpreter.
        deadline = time.monotonic() + timeout
        while needle not in self.buffer:
            remaining = deadline - time.monotonic()
            assert remaining > 0, self.buffer.decode(errors="replace")
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # the program closed the terminal
                    break
                if not chunk:
                    break
                self.buffer += chunk
        head, _, tail = self.buffer.partition(needle)
        self.buffer = tail
        return head + needle


def test_real_terminal_shows_a_coloured_diff_and_takes_answers(prog, tmp_path):
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "codemods", "-j", "1", "--select", "add-timeout", "-i", "prog.py"],
        cwd=tmp_path,
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=dict(os.environ, TERM="xterm"),
    )
    os.close(secondary)
    try:
        term = Terminal(primary)
        screen = term.until(b"Apply this hunk [y,n,a,d,q,?]")
        assert b"\x1b[31m-    return requests.get(url)" in screen  # red removal
        assert b"\x1b[32m+    return requests.get(url, timeout=60)" in screen  # green addition
        os.write(primary, b"n\n")
        term.until(b"hunk 2/3")
        term.until(b"Apply this hunk")
        os.write(primary, b"y\n")
        term.until(b"hunk 3/3")
        term.until(b"Apply this hunk")
        os.write(primary, b"n\n")
        rest = term.until(b"errors in ")  # the summary line ends "0 errors in 0.12s"
        assert proc.wait(timeout=120) == 0, rest
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(primary)
    assert prog.read_text() == expected(TWO)


SHARED = """\
import requests


def spacer_a():
    pass


def spacer_b():
    pass


def one(url):
    return requests.get(url).text
"""


def test_accepting_a_use_without_its_definition_is_refused(tmp_path):
    """share-session makes two hunks: the shared client after the imports, and the call that
    uses it. The call alone would parse but fail with NameError: the file is left alone."""
    path = tmp_path / "shared.py"
    path.write_text(SHARED)
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        refused = runner.invoke(command, ["-j", "1", "--select", "share-session", "-i", "shared.py"], input="n\ny\n")
        assert refused.stdout.count("Apply this hunk") == 2
        assert refused.exit_code == 2
        assert "the accepted hunks use _session" in refused.stderr and "defined in a rejected one" in refused.stderr
        assert path.read_text() == SHARED
        full = runner.invoke(command, ["-j", "1", "--select", "share-session", "--diff", "shared.py"]).stdout
        both = runner.invoke(command, ["-j", "1", "--select", "share-session", "-i", "shared.py"], input="y\ny\n")
        assert both.exit_code == 0, both.output
    finally:
        os.chdir(old)
    # Accepting every hunk is exactly what --diff showed.
    assert "[share-session]" in both.stdout
    assert path.read_text() != SHARED
    check = tmp_path / "check.patch"
    check.write_text(full)
    assert subprocess.run(["git", "apply", "--check", "-R", str(check)], cwd=tmp_path).returncode == 0


def test_each_hunk_names_the_codemods_that_made_it(tmp_path):
    source = SHARED.replace(
        "    return requests.get(url).text", "    r = requests.get(url, stream=True)\n    return r.raw.read(2)"
    )
    (tmp_path / "both.py").write_text(source)
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = runner.invoke(command, ["-j", "1", "-i", "both.py"], input="n\nn\n")
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    # The shared client at the top is share-session's alone (no site points there: found by
    # running each codemod on its own); the call is rewritten by both.
    assert "both.py  hunk 1/2  [share-session]" in result.stdout
    assert "both.py  hunk 2/2  [close-response, share-session]" in result.stdout
    assert (tmp_path / "both.py").read_text() == source
