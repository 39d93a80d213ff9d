"""The command end to end: options, exit statuses, output, files on disk."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from codemods import engine
from codemods.cli import command

SEL = ("--select", "add-timeout")

GOOD = "import requests\n\n\ndef f(u):\n    return requests.get(u)\n"
GOOD_FIXED = "import requests\n\n\ndef f(u):\n    return requests.get(u, timeout=60)\n"
PLAIN = "import os\n\nprint(os.getcwd())\n"


def invoke(*args, cwd=None, input=None):
    runner = CliRunner()
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return runner.invoke(command, ["-j", "1", *args], input=input, catch_exceptions=False)
    finally:
        os.chdir(old)


def cli(*args, cwd, input=None):
    """The real installed command in a subprocess (stdout, stderr, status)."""
    return subprocess.run(
        [sys.executable, "-m", "codemods", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(GOOD)
    (tmp_path / "pkg" / "b.py").write_text(PLAIN)
    (tmp_path / "c.py").write_text(GOOD.replace("f(u)", "g(u)"))
    return tmp_path


def test_in_place_rewrite_then_second_run_changes_nothing(tree):
    result = invoke(*SEL, ".", cwd=tree)
    assert result.exit_code == 0, result.output
    assert (tree / "pkg" / "a.py").read_text() == GOOD_FIXED
    assert (tree / "pkg" / "b.py").read_text() == PLAIN
    stamps = {p: p.stat().st_mtime_ns for p in tree.rglob("*.py")}
    inodes = {p: p.stat().st_ino for p in tree.rglob("*.py")}
    again = invoke(*SEL, ".", cwd=tree)
    assert again.exit_code == 0
    assert "0 rewritten" in again.stderr
    # Nothing was written the second time: same inode, same mtime.
    assert {p: p.stat().st_mtime_ns for p in tree.rglob("*.py")} == stamps
    assert {p: p.stat().st_ino for p in tree.rglob("*.py")} == inodes


def test_summary_line(tree):
    result = invoke(*SEL, ".", cwd=tree)
    assert (
        "3 files scanned, 1 skipped by prefilter, 2 rewritten, 2 sites fixed, "
        "0 left for review, 0 errors in " in result.stderr
    )


def test_diff_writes_nothing_and_git_apply_reproduces_the_rewrite(tree, tmp_path_factory):
    copy = tmp_path_factory.mktemp("copy")
    shutil.copytree(tree, copy, dirs_exist_ok=True)
    result = invoke("--diff", *SEL, ".", cwd=tree)
    assert result.exit_code == 1
    assert (tree / "pkg" / "a.py").read_text() == GOOD  # untouched
    assert "--- a/pkg/a.py\n+++ b/pkg/a.py\n" in result.stdout
    assert "--- a/c.py\n+++ b/c.py\n" in result.stdout
    patch = tmp_path_factory.mktemp("patch") / "p.diff"
    patch.write_bytes(result.stdout_bytes)
    subprocess.run(["git", "apply", str(patch)], cwd=copy, check=True)
    invoke(*SEL, ".", cwd=tree)  # in place
    for path in tree.rglob("*.py"):
        assert (copy / path.relative_to(tree)).read_text() == path.read_text()


def test_diff_paths_are_relative_to_the_current_directory(tree):
    result = invoke("--diff", *SEL, "pkg/a.py", cwd=tree)
    assert result.stdout.startswith("--- a/pkg/a.py\n+++ b/pkg/a.py\n")
    result = invoke("--diff", *SEL, "a.py", cwd=tree / "pkg")
    assert result.stdout.startswith("--- a/a.py\n+++ b/a.py\n")


def test_check_lists_and_exits_1_then_0_when_clean(tree):
    result = invoke("--check", *SEL, ".", cwd=tree)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["would rewrite c.py", "would rewrite pkg/a.py"]
    assert (tree / "c.py").read_text() != GOOD_FIXED.replace("f(u)", "g(u)")  # not written
    invoke(*SEL, ".", cwd=tree)
    clean = invoke("--check", *SEL, ".", cwd=tree)
    assert clean.exit_code == 0
    assert clean.stdout == ""


def test_reported_sites_make_check_fail_and_are_printed(tmp_path):
    (tmp_path / "k.py").write_text("import requests\n\ndef f(u, **kw):\n    requests.get(u, **kw)\n")
    result = invoke("--check", *SEL, "k.py", cwd=tmp_path)
    assert result.exit_code == 1
    assert "k.py:4:5: add-timeout: passes **kwargs, which may already hold a timeout" in result.stdout
    assert "1 left for review" in result.stderr
    # In place, a site left for review is not a failure.
    assert invoke(*SEL, "k.py", cwd=tmp_path).exit_code == 0


def test_select_ignore_and_unknown_names(tree):
    assert invoke("--check", *SEL, "--ignore", "add-timeout", ".", cwd=tree).exit_code == 0
    bad = CliRunner().invoke(command, ["--select", "nope", str(tree)])
    assert bad.exit_code == 2
    assert "unknown codemod nope" in bad.output
    everything = invoke("--check", "--select", "ALL", ".", cwd=tree)
    assert "would rewrite pkg/a.py" in everything.stdout


def test_add_timeout_is_not_on_by_default(tree):
    result = invoke("--diff", ".", cwd=tree)
    assert "timeout=" not in result.stdout
    assert "timeout=60" in invoke("--diff", *SEL, ".", cwd=tree).stdout


def test_list():
    result = CliRunner().invoke(command, ["--list"])
    assert result.exit_code == 0
    line = next(text for text in result.stdout.splitlines() if text.startswith("add-timeout"))
    assert "timeout=" in line and "off by default" in line


def test_python_dash_m_and_version(tmp_path):
    out = cli("--list", cwd=tmp_path)
    assert out.returncode == 0 and b"add-timeout" in out.stdout
    assert cli("--version", cwd=tmp_path).stdout.startswith(b"http-codemods, version ")


def test_bad_option_value_is_a_usage_error(tree):
    result = CliRunner().invoke(command, [*SEL, "--timeout", "soon", str(tree)])
    assert result.exit_code == 2
    assert "invalid timeout" in result.output


def test_broken_file_among_good_ones(tree):
    (tree / "pkg" / "broken.py").write_text("import requests\ndef f(:\n    pass\n")
    result = invoke(*SEL, ".", cwd=tree)
    assert result.exit_code == 2
    assert "pkg/broken.py:2:7: error: syntax error" in result.stderr
    assert (tree / "pkg" / "a.py").read_text() == GOOD_FIXED
    assert (tree / "pkg" / "broken.py").read_text() == "import requests\ndef f(:\n    pass\n"
    assert "1 error in" in result.stderr


def test_undecodable_and_binary_files_are_errors(tree):
    (tree / "bad.py").write_bytes(b"import requests\nx = '\xff\xfe'\n")
    (tree / "bin.py").write_bytes(b"import requests\x00\x01")
    result = invoke("--check", *SEL, ".", cwd=tree)
    assert result.exit_code == 2
    assert "bad.py:2:6: error: cannot decode as utf-8: byte 0xff is invalid" in result.stderr
    assert "bin.py:1: error: binary file (contains a NUL byte)" in result.stderr
    assert "would rewrite pkg/a.py" in result.stdout


def test_missing_path_is_an_error_after_the_others(tree):
    result = invoke(*SEL, "nope.py", "pkg", cwd=tree)
    assert result.exit_code == 2
    assert "nope.py: error: no such file or directory" in result.stderr
    assert (tree / "pkg" / "a.py").read_text() == GOOD_FIXED


def test_encodings_bom_crlf_and_mode_survive(tmp_path):
    crlf = tmp_path / "crlf.py"
    crlf.write_bytes(GOOD.replace("\n", "\r\n").encode())
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    latin = tmp_path / "latin.py"
    latin.write_bytes(
        "# -*- coding: latin-1 -*-\nimport requests\nname = 'caf\xe9'\nrequests.get(name)\n".encode("latin-1")
    )
    script = tmp_path / "script.py"
    script.write_text("#!/usr/bin/env python\n" + GOOD)
    os.chmod(script, 0o751)
    result = invoke(*SEL, ".", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert crlf.read_bytes() == GOOD_FIXED.replace("\n", "\r\n").encode()
    assert bom.read_bytes() == b"\xef\xbb\xbf" + GOOD_FIXED.encode()
    assert latin.read_bytes() == (
        "# -*- coding: latin-1 -*-\nimport requests\nname = 'caf\xe9'\nrequests.get(name, timeout=60)\n"
    ).encode("latin-1")
    assert stat.S_IMODE(script.stat().st_mode) == 0o751
    assert script.read_text() == "#!/usr/bin/env python\n" + GOOD_FIXED


def test_diff_of_crlf_and_latin1_files_applies(tmp_path, tmp_path_factory):
    (tmp_path / "crlf.py").write_bytes(GOOD.replace("\n", "\r\n").encode())
    (tmp_path / "latin.py").write_bytes(
        "# -*- coding: latin-1 -*-\nimport requests\nrequests.get('caf\xe9')\n".encode("latin-1")
    )
    copy = tmp_path_factory.mktemp("copy")
    shutil.copytree(tmp_path, copy, dirs_exist_ok=True)
    diff = invoke("--diff", *SEL, ".", cwd=tmp_path).stdout_bytes
    patch = tmp_path_factory.mktemp("patch") / "p.diff"
    patch.write_bytes(diff)
    subprocess.run(["git", "apply", str(patch)], cwd=copy, check=True)
    invoke(*SEL, ".", cwd=tmp_path)
    for name in ("crlf.py", "latin.py"):
        assert (copy / name).read_bytes() == (tmp_path / name).read_bytes()


def test_jobs_1_and_2_give_identical_output(tmp_path):
    for i in range(24):
        body = GOOD if i % 3 else PLAIN
        if i % 5 == 0:
            body = "import requests\ndef f(u, **kw):\n    return requests.get(u, **kw)\n"
        (tmp_path / f"m{i:02d}.py").write_text(body)
    (tmp_path / "zz_broken.py").write_text("import requests\nx = (\n")
    one = cli("--diff", *SEL, "-j", "1", ".", cwd=tmp_path)
    two = cli("--diff", *SEL, "-j", "2", ".", cwd=tmp_path)
    assert one.returncode == two.returncode == 2
    assert one.stdout == two.stdout and one.stdout

    def strip(err):
        return [line for line in err.splitlines() if b"scanned" not in line]

    assert strip(one.stderr) == strip(two.stderr)


def test_default_excludes_exclude_option_and_gitignore(tmp_path):
    for rel in [
        "keep.py",
        "venv/lib.py",
        "node_modules/x.py",
        "build/gen.py",
        "gen/skip_me.py",
        "sub/ignored_here.py",
        "sub/kept.py",
        "sub/deeper/also_ignored.py",
        "generated_pb2.py",
    ]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(GOOD)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("gen/\n")
    (tmp_path / "sub" / ".gitignore").write_text("ignored_here.py\ndeeper/\n")
    result = invoke("--check", *SEL, "--exclude", "*_pb2.py", ".", cwd=tmp_path)
    assert result.stdout.splitlines() == ["would rewrite keep.py", "would rewrite sub/kept.py"]
    # A path named explicitly is processed even if excluded.
    named = invoke("--check", *SEL, "--exclude", "*_pb2.py", "generated_pb2.py", "venv/lib.py", cwd=tmp_path)
    assert named.stdout.splitlines() == ["would rewrite generated_pb2.py", "would rewrite venv/lib.py"]


def test_gitignore_of_the_repository_root_applies_below_it(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("src/vendored/\n")
    for rel in ["src/app.py", "src/vendored/lib.py"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(GOOD)
    result = invoke("--check", *SEL, "src", cwd=tmp_path)
    assert result.stdout.splitlines() == ["would rewrite src/app.py"]


def test_same_file_named_twice_is_processed_once(tree):
    result = invoke("--check", *SEL, "c.py", "./c.py", str(tree / "c.py"), cwd=tree)
    assert result.stdout.splitlines() == ["would rewrite c.py"]


def test_stdin_mode(tmp_path):
    # The real command once: the process's own standard input and output, bytes for bytes.
    out = cli(*SEL, "-", "--stdin-filename", "x.py", cwd=tmp_path, input=GOOD.encode())
    assert out.returncode == 0
    assert out.stdout == GOOD_FIXED.encode()
    # The other cases through click's runner (the same sys.stdin.buffer / sys.stdout.buffer
    # path, bytes in and out): an interpreter start each saved.
    diff = invoke(*SEL, "--diff", "-", "--stdin-filename", "x.py", cwd=tmp_path, input=GOOD.encode())
    assert diff.exit_code == 1
    assert diff.stdout_bytes.startswith(b"--- a/x.py\n+++ b/x.py\n")
    broken = invoke(*SEL, "-", "--stdin-filename", "x.py", cwd=tmp_path, input=b"import requests\n(\n")
    assert broken.exit_code == 2
    assert broken.stdout_bytes == b"import requests\n(\n"  # passed through unchanged
    assert b"x.py:2:1: error: syntax error: '(' was never closed" in broken.stderr_bytes
    untouched = invoke(*SEL, "-", cwd=tmp_path, input=PLAIN.encode())
    assert untouched.exit_code == 0 and untouched.stdout_bytes == PLAIN.encode()


def test_config_file_and_command_line_precedence(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [tool.http-codemods]
            select = ["add-timeout"]
            exclude = ["skip/"]

            [tool.http-codemods.add-timeout]
            timeout = 7
            """
        )
    )
    (tmp_path / "skip").mkdir()
    (tmp_path / "skip" / "s.py").write_text(GOOD)
    (tmp_path / "a.py").write_text(GOOD)
    result = invoke("--diff", ".", cwd=tmp_path)
    assert "timeout=7" in result.stdout
    assert "skip/s.py" not in result.stdout
    result = invoke("--diff", "--timeout", "3", ".", cwd=tmp_path)
    assert "timeout=3" in result.stdout and "timeout=7" not in result.stdout
    result = invoke("--diff", "--ignore", "add-timeout", ".", cwd=tmp_path)
    assert result.stdout == "" and result.exit_code == 0
    # Config found from a subdirectory too (nearest pyproject.toml upwards).
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.py").write_text(GOOD)
    result = invoke("--diff", "b.py", cwd=tmp_path / "sub")
    assert "timeout=7" in result.stdout


def test_flat_config_key_and_bad_config(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.http-codemods]\nselect = "add-timeout"\ntimeout = [3.05, 27]\n')
    (tmp_path / "a.py").write_text(GOOD)
    assert "timeout=(3.05, 27)" in invoke("--diff", ".", cwd=tmp_path).stdout
    (tmp_path / "pyproject.toml").write_text("[tool.http-codemods\n")
    bad = invoke("--diff", ".", cwd=tmp_path)
    assert bad.exit_code == 2 and "cannot read configuration" in bad.output


def test_quiet_and_verbose(tree):
    quiet = invoke("--check", "-q", *SEL, ".", cwd=tree)
    assert quiet.stdout == "" and quiet.stderr == ""
    assert quiet.exit_code == 1
    verbose = invoke("-v", *SEL, ".", cwd=tree)
    assert "rewrote pkg/a.py (add-timeout)" in verbose.stderr
    assert "pkg/a.py:5:12: add-timeout: added timeout=60" in verbose.stderr


def test_prefilter_skips_parsing_files_without_an_http_library(tmp_path):
    for i in range(5):
        (tmp_path / f"plain{i}.py").write_text(PLAIN)
    (tmp_path / "http.py").write_text(GOOD)
    before = engine.PARSE_COUNT
    result = invoke("--check", *SEL, ".", cwd=tmp_path)
    # One libcst parse for http.py (its rewrite is verified with Python's ast, which is
    # cheaper); none for the five plain files.
    assert engine.PARSE_COUNT - before == 1
    assert "6 files scanned, 5 skipped by prefilter" in result.stderr
    before = engine.PARSE_COUNT
    invoke("--check", *SEL, "plain0.py", cwd=tmp_path)
    assert engine.PARSE_COUNT == before


def test_progress_bar_only_on_a_terminal_and_for_big_trees(tmp_path):
    import pty
    import select

    for i in range(320):
        (tmp_path / f"p{i:03d}.py").write_text(PLAIN)

    def stderr_through_pty(*args):
        master, slave = pty.openpty()
        proc = subprocess.Popen(
            [sys.executable, "-m", "codemods", *args], cwd=tmp_path, stdout=subprocess.PIPE, stderr=slave
        )
        os.close(slave)
        chunks = []
        while True:  # to the end of the output (EIO), however slow the machine
            ready, _, _ = select.select([master], [], [], 240)
            assert ready, b"".join(chunks)  # a hang, not a slow start
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO once the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=60)
        os.close(master)
        return b"".join(chunks)

    assert b"scanning" in stderr_through_pty("--check", *SEL, ".")
    assert b"scanning" not in stderr_through_pty("--check", "-q", *SEL, ".")
    piped = cli("--check", *SEL, ".", cwd=tmp_path)
    assert b"scanning" not in piped.stderr and b"320 files scanned" in piped.stderr


# -- ruff's conventions: colour, --exit-zero, --statistics, diffs git can apply (issue 15) --

ESC = "\x1b["


def test_color_always_never_auto_and_no_color(tree, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    always = invoke("--diff", "--color", "always", *SEL, "pkg/a.py", cwd=tree)
    assert ESC in always.stdout and "\x1b[32m+    return requests.get(u, timeout=60)" in always.stdout
    assert ESC not in invoke("--diff", "--color", "never", *SEL, "pkg/a.py", cwd=tree).stdout
    assert ESC not in invoke("--diff", *SEL, "pkg/a.py", cwd=tree).stdout  # auto, not a terminal
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert ESC in invoke("--diff", *SEL, "pkg/a.py", cwd=tree).stdout
    monkeypatch.setenv("NO_COLOR", "1")  # wins over FORCE_COLOR in auto mode
    assert ESC not in invoke("--diff", *SEL, "pkg/a.py", cwd=tree).stdout
    assert ESC in invoke("--diff", "--color", "always", *SEL, "pkg/a.py", cwd=tree).stdout  # the flag wins


def test_no_color_on_a_real_terminal(tree):
    """A pseudo-terminal: colour by default, none with NO_COLOR set."""
    import pty

    def run(env):
        leader, follower = pty.openpty()
        proc = subprocess.Popen(
            [sys.executable, "-m", "codemods", "-j", "1", "-q", "--diff", *SEL, "pkg/a.py"],
            cwd=tree,
            stdout=follower,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        os.close(follower)
        out = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        proc.wait(timeout=120)
        os.close(leader)
        return out.decode()

    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    assert ESC in run(env)
    plain = run(dict(env, NO_COLOR="1"))
    assert ESC not in plain and "+    return requests.get(u, timeout=60)" in plain


def test_exit_zero(tree, tmp_path):
    assert invoke("--check", *SEL, ".", cwd=tree).exit_code == 1
    result = invoke("--check", "--exit-zero", *SEL, ".", cwd=tree)
    assert result.exit_code == 0 and "would rewrite pkg/a.py" in result.stdout
    (tree / "broken.py").write_text("import requests\ndef f(:\n")
    assert invoke("--check", "--exit-zero", *SEL, ".", cwd=tree).exit_code == 2  # errors still count
    assert invoke("-", "--diff", "--exit-zero", *SEL, cwd=tree, input=GOOD).exit_code == 0


def test_statistics(tree):
    (tree / "k.py").write_text("import requests\n\ndef f(u, **kw):\n    requests.get(u, **kw)\n    requests.get(u)\n")
    result = invoke("--check", "--statistics", *SEL, ".", cwd=tree)
    assert result.exit_code == 1
    assert result.stdout == "3\tadd-timeout\tfixed\n1\tadd-timeout\tleft for review\n"


def test_diff_of_a_file_outside_the_current_directory_applies_with_git(tmp_path):
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "a.py").write_text(GOOD)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for name in (str(repo / "src" / "a.py"), "../repo/src/a.py"):
        diff = invoke("--diff", *SEL, name, cwd=elsewhere).stdout
        assert diff.startswith("--- a/src/a.py\n+++ b/src/a.py\n"), diff  # relative to the work tree
        patch = tmp_path / "p.diff"
        patch.write_text(diff)
        applied = subprocess.run(
            ["git", "-C", str(repo), "apply", "--check", str(patch)], capture_output=True, text=True
        )
        assert applied.returncode == 0, applied.stderr
    # Outside any git work tree: relative to the current directory; git applies a path that
    # leaves the directory only when told it may (--unsafe-paths), as it should.
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "b.py").write_text(GOOD)
    diff = invoke("--diff", *SEL, str(plain / "b.py"), cwd=elsewhere).stdout
    assert diff.startswith("--- a/../plain/b.py\n+++ b/../plain/b.py\n"), diff
    (tmp_path / "p.diff").write_text(diff)
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(tmp_path))
    applied = subprocess.run(
        ["git", "apply", "--unsafe-paths", str(tmp_path / "p.diff")],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env=env,
    )
    assert applied.returncode == 0, applied.stderr
    assert (plain / "b.py").read_text() == GOOD_FIXED
