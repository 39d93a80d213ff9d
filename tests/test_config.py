"""``[tool.http-codemods]``: every key and value validated with the key's name (exit 2, nothing
changed), which pyproject.toml applies, and ruff's selection and exclusion semantics."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from codemods import config
from tests.test_cli import GOOD, GOOD_FIXED, SEL, invoke

TOML_HEAD = "[tool.http-codemods]\n"


def project(tmp_path, body, files=None):
    (tmp_path / "pyproject.toml").write_text(TOML_HEAD + textwrap.dedent(body))
    for name, text in (files or {"a.py": GOOD}).items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    "body, message",
    [
        ('selet = ["add-timeout"]', "unknown key 'selet' (did you mean 'select'?)"),
        ("timout = 5", "unknown key 'timout' (did you mean 'timeout'?)"),
        ("[tool.http-codemods.add-timeout]\ntimout = 5", "[tool.http-codemods.add-timeout]: unknown key 'timout'"),
        (
            "[tool.http-codemods.add-timeout]\nsession-scope = 'module'",
            "[tool.http-codemods.add-timeout]: unknown key 'session-scope'",
        ),
        ('jobs = "abc"', "jobs: expected an integer from 0 to 512, got 'abc'"),
        ("jobs = 1000000000", "jobs: expected an integer from 0 to 512, got 1000000000"),
        ("jobs = -1", "jobs: expected an integer"),
        ("jobs = true", "jobs: expected an integer"),
        ("jobs = 2.5", "jobs: expected an integer"),
        ("select = 5", "select: expected a list of names, got 5"),
        ("select = [1, 2]", "select: expected a list of strings"),
        ('select = ["add-timout"]', "select: unknown codemod add-timout (did you mean add-timeout?)"),
        ('ignore = ["nope"]', "ignore: unknown codemod nope"),
        ('extend-select = ["nope"]', "extend-select: unknown codemod nope"),
        ("exclude = 3", "exclude: expected a list of names"),
        ("force-exclude = 'yes'", "force-exclude: expected true or false"),
        ("per-file-ignores = ['tests/*']", "per-file-ignores: expected a table"),
        (
            '[tool.http-codemods.per-file-ignores]\n"tests/*" = ["add-timout"]',
            "per-file-ignores 'tests/*': unknown codemod add-timout",
        ),
        ('timeout = "abc"', "timeout: invalid timeout 'abc'"),
        ('timeout = "1e999"', "timeout: invalid timeout '1e999': each number must be finite"),
        ("timeout = 0", "timeout: invalid timeout 0"),
        ("timeout = [1, 2, 3]", "timeout: invalid timeout [1, 2, 3]"),
        ("timeout = true", "timeout: invalid timeout True"),
        ("timeout = {a = 1}", "timeout: invalid timeout"),
        ("client = \"os:system('x')\"", "client: invalid client \"os:system('x')\""),
        ('client = "pkg.http:session\\n"', "client: invalid client"),
        ('client = "pkg.http"', "client: invalid client"),
        ('client = "pkg..http:s"', "client: invalid client"),
        ('client = "import:s"', "client: invalid client"),
        ('client = "pkg.http:None"', "client: invalid client"),
        ("client = 3", "client: expected MODULE:NAME as a string"),
        ('session-name = "x; import os"', "session-name: invalid session-name"),
        ('session-name = "__s"', "session-name: invalid session-name"),
        ('session-scope = "global"', "session-scope: must be one of package, module, function"),
        ('client-library = "urllib3"', "client-library: must be one of requests, httpx"),
        ('keep-cookies = "yes"', "keep-cookies: expected true or false"),
        ("requests-version = 2.32", "requests-version: expected a version or a specifier as a string"),
        ('requests-version = "new"', "requests-version: invalid requests-version 'new'"),
        (
            '[tool.http-codemods.share-session]\nrequests-version = ">=2.32; rm -rf"',
            "[tool.http-codemods.share-session] requests-version: invalid requests-version",
        ),
        ("add-timeout = 5", "add-timeout: expected a table of add-timeout's options"),
    ],
)
def test_each_config_error_names_the_key_and_exits_2(tmp_path, body, message):
    project(tmp_path, body)
    result = invoke("--diff", ".", cwd=tmp_path)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "pyproject.toml: [tool.http-codemods" in result.output
    assert "Traceback" not in result.output


def test_a_hostile_pyproject_is_refused_whole_and_nothing_changes(tmp_path):
    """The acceptance case of issue 16: values that would reach generated code, fork bombs and
    wrong types give a clear error, exit status 2 and no change, even for codemods that would
    not run. Through the real command in a subprocess."""
    files = {"a.py": GOOD, "pkg/b.py": GOOD}
    marker = tmp_path / "marker"
    hostile = [
        f"client = \"os:system('touch {marker}')\"",
        "jobs = 1000000000",
        'jobs = "all of them"',
        'select = {"add-timeout" = true}',
        f'session-name = "s = __import__(\\"os\\").system(\\"touch {marker}\\")"',
        "timeout = \"__import__('os').system('x')\"",
        '[tool.http-codemods.share-session]\nclient = "os:system\\n"',
    ]
    for i, body in enumerate(hostile):
        project(tmp_path, body, files)
        before = {name: (tmp_path / name).read_bytes() for name in files}
        for mode in ((), ("--diff",), ("--check",), ("--select", "ALL")):
            if i == 0 and mode in ((), ("--diff",)):  # the real command, in place and --diff
                proc = subprocess.run(
                    [sys.executable, "-m", "codemods", *mode, "."],
                    cwd=tmp_path,
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                status, out, err = proc.returncode, proc.stdout, proc.stderr
            else:
                result = invoke(*mode, ".", cwd=tmp_path)
                status, out, err = result.exit_code, result.stdout, result.stderr
            assert status == 2, (body, err)
            assert "Error: " in err and "pyproject.toml: [tool.http-codemods" in err, err
            assert "Traceback" not in err
            assert out == ""
        assert {name: (tmp_path / name).read_bytes() for name in files} == before, body
        assert not marker.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (("--client", "os:system('x')"), "--client: invalid client"),
        (("--client", "pkg.http:session; x"), "--client: invalid client"),
        (("--session-name", "a b"), "--session-name: invalid session-name"),
        (("--timeout", "abc"), "--timeout: invalid timeout 'abc'"),
        (("--requests-version", "2.32 or later"), "--requests-version: invalid requests-version"),
        (("--timeout", "1e999"), "--timeout: invalid timeout '1e999'"),
        (("-j", "1000000000"), "1000000000 is not in the range"),
    ],
)
def test_command_line_values_are_checked_even_for_codemods_not_selected(tmp_path, args, message):
    (tmp_path / "a.py").write_text(GOOD)
    result = invoke("--select", "close-response", *args, ".", cwd=tmp_path)
    assert result.exit_code == 2 and message in result.output, result.output
    assert (tmp_path / "a.py").read_text() == GOOD


def test_good_values_of_every_kind(tmp_path):
    project(
        tmp_path,
        """
        select = "close-response, add-timeout"
        extend_select = []
        ignore = []
        exclude = ["gen/"]
        extend-exclude = ["vendor/"]
        force-exclude = true
        jobs = 0
        timeout = [3.05, 27]
        client = "myapp.http_utils:session"
        session-scope = "function"
        keep-cookies = false
        requests-version = ">=2.32"

        [tool.http-codemods.per-file-ignores]
        "tests/test_*.py" = ["add-timeout"]

        [tool.http-codemods.add-timeout]
        timeout = "(5,)"
        """,
    )
    cfg = config.load(str(tmp_path / "pyproject.toml"))
    assert cfg["per-file-ignores"] == {"tests/test_*.py": ["add-timeout"]}  # the glob as written
    assert cfg["extend-select"] == [] and cfg["add-timeout"] == {"timeout": "(5,)"}
    result = invoke("--diff", ".", cwd=tmp_path)
    assert result.exit_code == 1 and "timeout=5)" in result.stdout


# -- which pyproject.toml ------------------------------------------------------------------


def test_a_nested_pyproject_without_our_table_does_not_shadow_the_parent(tmp_path):
    project(tmp_path, "select = ['add-timeout']\ntimeout = 7\n", {})
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "pyproject.toml").write_text("[project]\nname = 'sub'\n\n[tool.black]\nline-length = 100\n")
    (sub / "a.py").write_text(GOOD)
    assert config.find_pyproject([str(sub)]) == str(tmp_path / "pyproject.toml")
    assert "timeout=7" in invoke("--diff", ".", cwd=sub).stdout
    # One with the table (even empty) is the nearest and applies alone.
    (sub / "pyproject.toml").write_text("[tool.http-codemods]\n")
    assert config.find_pyproject([str(sub)]) == str(sub / "pyproject.toml")
    assert "timeout=" not in invoke("--diff", ".", cwd=sub).stdout


# -- selection -----------------------------------------------------------------------------


def _selected(tmp_path, *args):
    result = invoke("--format", "json", "--check", *args, ".", cwd=tmp_path)
    import json

    return sorted(c["name"] for c in json.loads(result.stdout)["codemods"])


def test_select_accumulates_extends_and_ignores_like_ruff(tmp_path):
    (tmp_path / "a.py").write_text(GOOD)
    assert _selected(tmp_path, "--select", "add-timeout", "--select", "close-client") == ["add-timeout", "close-client"]
    assert _selected(tmp_path, "--select", "add-timeout,close-client", "--ignore", "close-client") == ["add-timeout"]
    assert _selected(tmp_path, "--select", "all") == ["add-timeout", "close-client", "close-response", "share-session"]
    assert _selected(tmp_path, "--select", "All", "--ignore", "share-session", "--ignore", "add-timeout") == [
        "close-client",
        "close-response",
    ]
    defaults = ["close-client", "close-response", "share-session"]
    assert _selected(tmp_path) == defaults
    assert _selected(tmp_path, "--extend-select", "add-timeout") == sorted(defaults + ["add-timeout"])
    # With a configuration: --select replaces its select (and its ignore), --extend-select adds.
    project(tmp_path, "select = ['close-response']\nignore = ['add-timeout']\nextend-select = ['close-client']\n")
    assert _selected(tmp_path) == ["close-client", "close-response"]
    assert _selected(tmp_path, "--extend-select", "share-session") == [
        "close-client",
        "close-response",
        "share-session",
    ]
    assert _selected(tmp_path, "--select", "add-timeout") == ["add-timeout"]
    assert _selected(tmp_path, "--ignore", "close-client") == ["close-response"]
    project(tmp_path, "select = ['ALL']\nignore = ['share-session']\n")
    assert _selected(tmp_path) == ["add-timeout", "close-client", "close-response"]
    bad = invoke("--extend-select", "nope", ".", cwd=tmp_path)
    assert bad.exit_code == 2 and "--extend-select: unknown codemod nope" in bad.output


# -- exclusion -----------------------------------------------------------------------------


def test_force_exclude_applies_excludes_to_named_paths(tmp_path):
    project(
        tmp_path,
        "select = ['add-timeout']\nexclude = ['gen/']\nextend-exclude = ['*_pb2.py']\n",
        {"gen/g.py": GOOD, "m_pb2.py": GOOD, "a.py": GOOD, ".venv/v.py": GOOD},
    )
    named = ("gen/g.py", "m_pb2.py", "a.py", ".venv/v.py")
    assert invoke("--check", *named, cwd=tmp_path).stdout.splitlines() == [
        "would rewrite .venv/v.py",
        "would rewrite a.py",
        "would rewrite gen/g.py",
        "would rewrite m_pb2.py",
    ]
    assert invoke("--check", "--force-exclude", *named, cwd=tmp_path).stdout.splitlines() == ["would rewrite a.py"]
    # A directory named under an excluded one; absolute paths; from a subdirectory.
    assert invoke("--check", "--force-exclude", "gen", str(tmp_path / "m_pb2.py"), cwd=tmp_path).stdout == ""
    assert invoke("--check", "--force-exclude", "g.py", cwd=tmp_path / "gen").stdout == ""
    # The configuration can ask for it; --no-force-exclude overrides.
    project(tmp_path, "select = ['add-timeout']\nexclude = ['gen/']\nforce-exclude = true\n", {})
    assert invoke("--check", "gen/g.py", "a.py", cwd=tmp_path).stdout.splitlines() == ["would rewrite a.py"]
    assert "gen/g.py" in invoke("--check", "--no-force-exclude", "gen/g.py", cwd=tmp_path).stdout
    # stdin with an excluded --stdin-filename passes the input through untouched.
    result = invoke("-", "--stdin-filename", "gen/g.py", cwd=tmp_path, input=GOOD)
    assert result.exit_code == 0 and result.stdout == GOOD


def test_exclude_on_the_command_line_replaces_the_configured_one_extend_exclude_adds(tmp_path):
    project(
        tmp_path, "select = ['add-timeout']\nexclude = ['gen/']\n", {"gen/g.py": GOOD, "other/o.py": GOOD, "a.py": GOOD}
    )
    assert invoke("--check", ".", cwd=tmp_path).stdout.splitlines() == [
        "would rewrite a.py",
        "would rewrite other/o.py",
    ]
    assert invoke("--check", "--exclude", "other/", ".", cwd=tmp_path).stdout.splitlines() == [
        "would rewrite a.py",
        "would rewrite gen/g.py",
    ]
    assert invoke("--check", "--extend-exclude", "other/", ".", cwd=tmp_path).stdout.splitlines() == [
        "would rewrite a.py"
    ]


def test_per_file_ignores(tmp_path):
    fwd = "import requests\n\ndef f(u, **kw):\n    return requests.get(u, **kw)\n"
    project(
        tmp_path,
        """
        select = ["add-timeout"]

        [tool.http-codemods.per-file-ignores]
        "tests/*" = ["add-timeout"]
        "legacy.py" = ["ALL"]
        """,
        {"tests/t.py": GOOD, "pkg/legacy.py": GOOD, "pkg/a.py": GOOD, "tests/fwd.py": fwd},
    )
    result = invoke(".", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "pkg" / "a.py").read_text() == GOOD_FIXED
    assert (tmp_path / "tests" / "t.py").read_text() == GOOD
    assert (tmp_path / "pkg" / "legacy.py").read_text() == GOOD  # a bare name matches at any depth
    assert "fwd.py" not in invoke("--check", ".", cwd=tmp_path).stdout  # no finding either


# -- suppression comments ------------------------------------------------------------------


def test_a_suppression_naming_an_unknown_codemod_is_reported_and_the_site_left_alone(tmp_path):
    source = (
        "import requests\n"
        "requests.get('a')  # http-codemods: ignore[add-timout]\n"
        "requests.get('b')  # http-codemods: ignore[add-timeout]\n"
        "requests.get('c')\n"
    )
    (tmp_path / "s.py").write_text(source)
    result = invoke("--check", *SEL, "s.py", cwd=tmp_path)
    assert result.exit_code == 1
    assert (
        "s.py:2:1: add-timeout: suppression comment names unknown codemod add-timout "
        "(did you mean add-timeout?)" in result.stdout
    )
    assert "s.py:3" not in result.stdout
    invoke(*SEL, "s.py", cwd=tmp_path)
    assert (tmp_path / "s.py").read_text() == source.replace("get('c')", "get('c', timeout=60)")


def test_force_exclude_never_excludes_the_project_itself(tmp_path):
    # A project that lives in a directory named like a default exclude ("build").
    root = tmp_path / "build"
    root.mkdir()
    project(root, "select = ['add-timeout']\nforce-exclude = true\n", {"a.py": GOOD})
    assert invoke("--check", ".", cwd=root).stdout.splitlines() == ["would rewrite a.py"]
    assert invoke("--check", str(root), cwd=tmp_path).stdout.splitlines() == ["would rewrite build/a.py"]
