"""share-session's ``package`` strategy (the default): one shared client module per package,
created by the run, imported by every rewritten module of the package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from codemods import engine, generated
from codemods.cli import command
from codemods.share.package_client import MARKER, plan_layout, read_existing, render
from tests.helpers import write

FETCH = """\
    import requests


    def fetch(url):
        return requests.get(url).json()
    """


def cli(root: Path, *args: str):
    return CliRunner().invoke(command, [str(root), "-j", "1", "--no-cache", *args])


def package(root: Path, **extra: str) -> Path:
    files = {
        "pyproject.toml": "",
        "pkg/__init__.py": "",
        "pkg/a.py": FETCH,
        "pkg/b.py": """\
            import requests

            from .a import fetch


            def send(url, body):
                return requests.post(url, data=body).status_code
            """,
        "pkg/sub/__init__.py": "",
        "pkg/sub/c.py": """\
            import httpx
            import requests


            def both(url):
                return requests.head(url).status_code, httpx.get(url).status_code
            """,
    }
    files.update(extra)
    return write(root, files)


def test_a_package_gets_one_client_module_its_modules_import(tmp_path):
    root = package(tmp_path)
    result = cli(root)
    assert result.exit_code == 0, result.output
    client = (root / "pkg/_http_client.py").read_text()
    assert client == render(["requests", "httpx"], False, "pkg")
    assert client.startswith(f'"""{MARKER}')
    assert "# Stores no cookies" in client
    assert (root / "pkg/a.py").read_text() == textwrap.dedent("""\
        from ._http_client import session as _session


        def fetch(url):
            return _session.get(url).json()
        """)
    b = (root / "pkg/b.py").read_text()
    assert b.startswith("from ._http_client import session as _session\nfrom .a import fetch\n"), b
    c = (root / "pkg/sub/c.py").read_text()
    assert "from .._http_client import client as _client, session as _session\n" in c
    assert "_session.head(url)" in c and "_client.get(url)" in c
    assert not (root / "pkg/sub/_http_client.py").exists()  # the top-level package's, not the innermost
    for name in ("a", "b", "sub/c", "_http_client"):
        compile((root / f"pkg/{name}.py").read_text(), name, "exec")


def test_the_modules_share_one_object(tmp_path):
    root = package(tmp_path)
    cli(root)
    code = (
        "import pkg.a, pkg.b, pkg.sub.c, pkg._http_client as h;"
        "print(pkg.a._session is pkg.b._session is pkg.sub.c._session is h.session, pkg.sub.c._client is h.client)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert out.stdout.split() == ["True", "True"], out.stderr


def test_absolute_imports_when_the_package_uses_them(tmp_path):
    root = package(
        tmp_path,
        **{
            "pkg/b.py": """\
                import requests

                from pkg.a import fetch


                def send(url, body):
                    return requests.post(url, data=body).status_code
                """,
            "pkg/d.py": """\
                import requests

                import pkg.a


                def get(url):
                    return requests.get(url)
                """,
            "pkg/e.py": "from pkg.a import fetch\n",
        },
    )
    cli(root)
    b = (root / "pkg/b.py").read_text()
    assert "from pkg._http_client import session as _session\nfrom pkg.a import fetch\n" in b, b
    # a module with no import of its package follows the package's majority (absolute here)
    assert (root / "pkg/a.py").read_text().startswith("from pkg._http_client import session as _session\n")
    # c.py has none either: absolute too
    assert "from pkg._http_client import client as _client, session as _session" in (root / "pkg/sub/c.py").read_text()


def test_scripts_outside_a_package_keep_a_module_client(tmp_path):
    root = package(tmp_path, **{"scripts/tool.py": FETCH, "top.py": FETCH})
    cli(root)
    for name in ("scripts/tool.py", "top.py"):
        text = (root / name).read_text()
        assert "_session = requests.Session()" in text and "_http_client" not in text, text
    assert not (root / "scripts/_http_client.py").exists()


def test_a_module_with_a_main_block_keeps_its_own_client(tmp_path):
    root = package(tmp_path, **{"pkg/cli.py": FETCH + "\n\n    if __name__ == '__main__':\n        fetch('x')\n"})
    cli(root)
    text = (root / "pkg/cli.py").read_text()
    assert "_session = requests.Session()" in text and "_http_client" not in text


def test_a_clashing_module_that_is_not_ours_is_left_alone(tmp_path):
    root = package(tmp_path, **{"pkg/_http_client.py": "TIMEOUT = 5\n"})
    cli(root)
    assert (root / "pkg/_http_client.py").read_text() == "TIMEOUT = 5\n"
    assert (root / "pkg/_http_client_1.py").exists()
    assert "from ._http_client_1 import session as _session" in (root / "pkg/a.py").read_text()


def test_a_second_run_is_a_no_op(tmp_path):
    root = package(tmp_path)
    cli(root)
    snapshot = {p: p.read_bytes() for p in root.rglob("*.py")}
    result = cli(root, "--check")
    assert result.exit_code == 0, result.output
    assert "0 would be rewritten" in result.output
    cli(root)
    assert {p: p.read_bytes() for p in root.rglob("*.py")} == snapshot


def test_an_existing_client_module_of_ours_is_reused_and_extended(tmp_path):
    root = package(tmp_path)
    (root / "pkg/sub/c.py").unlink()
    cli(root)
    assert "client = httpx.Client" not in (root / "pkg/_http_client.py").read_text()
    write(root, {"pkg/d.py": "import httpx\n\n\ndef get(url):\n    return httpx.get(url)\n"})
    result = cli(root, "--diff")
    assert "--- a/" in result.output and "+client = httpx.Client(" in result.output
    cli(root)
    assert (root / "pkg/_http_client.py").read_text() == render(["requests", "httpx"], False, "pkg")
    assert (root / "pkg/d.py").read_text().startswith("from ._http_client import client as _client\n")


def test_an_edited_client_module_is_used_as_it_is(tmp_path):
    edited = render(["requests"], False, "pkg") + "session.headers['User-Agent'] = 'x'\n"
    assert read_existing(edited, "pkg", "_http_client") == (("session",), False, False)
    root = package(tmp_path, **{"pkg/_http_client.py": edited})
    result = cli(root, "--format", "json", "--check")
    files = {f["path"]: f for f in json.loads(result.stdout)["files"]}
    assert str(root / "pkg/_http_client.py") not in files  # never rewritten
    c = files[str(root / "pkg/sub/c.py")]
    reasons = [s["reason"] for s in c["sites"] if s["action"] == "reported"]
    assert any("was edited since it was generated and defines no `client`" in r for r in reasons), reasons
    assert any(s["action"] == "fixed" for s in c["sites"])  # its requests call still is


def test_diff_creates_the_module_and_git_applies_it(tmp_path, monkeypatch):
    root = package(tmp_path / "repo")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    monkeypatch.chdir(root)
    result = CliRunner().invoke(command, [".", "-j", "1", "--no-cache", "--diff"])
    assert result.exit_code == 1, result.stderr
    assert "--- /dev/null\n+++ b/pkg/_http_client.py\n@@ -0,0 +1," in result.stdout
    applied = subprocess.run(["git", "apply", "-"], cwd=root, input=result.stdout, text=True, capture_output=True)
    assert applied.returncode == 0, applied.stderr
    assert (root / "pkg/_http_client.py").read_text() == render(["requests", "httpx"], False, "pkg")


def test_check_and_reports_count_the_new_module(tmp_path):
    root = package(tmp_path)
    result = cli(root, "--check", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    entry = next(f for f in data["files"] if f["path"].endswith("_http_client.py"))
    assert entry["created"] is True and entry["status"] == "changed"
    assert "imported by 3 module(s)" in entry["sites"][0]["reason"]
    assert data["totals"]["changed"] == 4 and data["totals"]["scanned"] == 5
    assert not (root / "pkg/_http_client.py").exists()
    sarif = cli(root, "--check", "--format", "sarif").stdout
    assert "_http_client.py" in sarif
    markdown = cli(root, "--check", "--format", "markdown").stdout
    assert "`pkg/_http_client.py`" in markdown or "_http_client.py" in markdown


def test_module_scope_keeps_a_client_per_module(tmp_path):
    root = package(tmp_path)
    cli(root, "--session-scope", "module")
    assert not (root / "pkg/_http_client.py").exists()
    assert "_session = requests.Session()" in (root / "pkg/a.py").read_text()


def test_cached_results_still_require_the_module(tmp_path):
    root = package(tmp_path / "p")
    cache = str(tmp_path / "cache")
    files = sorted(str(p) for p in root.rglob("*.py"))
    settings = engine.Settings(codemods=("share-session",), mode=engine.CHECK, cache_dir=cache)
    settings = generated.plan_run(settings, files)
    first = engine.run(files, settings)
    second = engine.run(files, settings)
    assert [r.path for r in first if r.created] == [r.path for r in second if r.created]
    assert [r.path for r in second if r.created] == [str(root / "pkg/_http_client.py")]


def test_the_plan_names_the_top_level_package_also_above_the_roots(tmp_path, monkeypatch):
    root = package(tmp_path)
    files = sorted(str(p) for p in root.rglob("*.py"))
    layout = plan_layout(files)
    assert [c.path for c in layout.clients] == [str(root / "pkg/_http_client.py")]
    # a run over the subpackage alone (pre-commit's single files) finds the same module
    inner = plan_layout([str(root / "pkg/sub/c.py")])
    assert [c.path for c in inner.clients] == [str(root / "pkg/_http_client.py")]
    monkeypatch.chdir(root / "pkg/sub")
    assert [c.path for c in plan_layout(["c.py"]).clients] == [os.path.join(os.pardir, "_http_client.py")]
    result = cli(root / "pkg/sub")
    assert result.exit_code == 0, result.output
    assert (root / "pkg/_http_client.py").exists() and not (root / "pkg/sub/_http_client.py").exists()
    assert "from .._http_client import" in (root / "pkg/sub/c.py").read_text()


LAZY = """\
    def fetch(url):
        import requests

        return requests.get(url).text


    def poll(url):
        import requests

        try:
            r = requests.get(url, timeout=3)
        except requests.RequestException:
            return None

        def again():
            return requests.post(url)

        return r.status_code, again
    """


def test_a_library_imported_in_its_functions_gets_the_client_imported_there(tmp_path):
    # An optional dependency imported where it is used: the client module (which imports the
    # library) is imported there too, so the module still loads without it.
    root = write(tmp_path, {"pyproject.toml": "", "pkg/__init__.py": "", "pkg/lazy.py": LAZY})
    result = cli(root)
    assert result.exit_code == 0, result.output
    assert (root / "pkg/lazy.py").read_text() == textwrap.dedent("""\
        def fetch(url):
            from ._http_client import session as _session

            return _session.get(url).text


        def poll(url):
            import requests
            from ._http_client import session as _session

            try:
                r = _session.get(url, timeout=3)
            except requests.RequestException:
                return None

            def again():
                return _session.post(url)

            return r.status_code, again
        """)
    assert (root / "pkg/_http_client.py").exists()
    second = cli(root, "--check")
    assert second.exit_code == 0, second.output
    assert "would rewrite" not in second.output
    # the module imports without requests: nothing at module level names it
    code = "import sys; sys.modules['requests'] = None; import pkg.lazy; print('ok')"
    ran = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert ran.stdout.strip() == "ok", ran.stderr


def test_a_function_import_with_another_binding_of_the_name_is_reported(tmp_path):
    source = """\
        def fetch(url, requests=None):
            if requests is None:
                import requests
            return requests.get(url).text
        """
    root = write(tmp_path, {"pyproject.toml": "", "pkg/__init__.py": "", "pkg/lazy.py": source})
    result = cli(root)
    assert "share-session: requests is also bound" in result.output
    assert not (root / "pkg/_http_client.py").exists()
    assert (root / "pkg/lazy.py").read_text() == textwrap.dedent(source)


def test_a_function_import_sharing_its_line_is_reported(tmp_path):
    source = """\
        def fetch(url):
            import json, requests
            return json.loads(requests.get(url).text)
        """
    root = write(tmp_path, {"pyproject.toml": "", "pkg/__init__.py": "", "pkg/lazy.py": source})
    result = cli(root, "--check")
    assert "requests is not imported at module level before its first use" in result.output


@pytest.mark.parametrize(
    "text",
    [
        b"from . import a\n",
        b"  \tfrom  .x import a\n",
        b"x = 1; from . import a\n",
        b"xfrom . import a\n",
        b"# from . import a\nimport pkg.sub\n",
        b"s = 'from . import'\n\tfrom\t.. import b",
        b"\r\nfrom . import a",
        b"import pkg\n",
        b"import pkgx\nfrom pkg import a\n",
        b"y = 'import pkg.a'  # import pkg.b\n",
        b"",
    ],
)
def test_the_style_screen_finds_imports_that_begin_a_line_as_the_anchored_patterns_did(text):
    """``_starts_a_line`` is ``^[ \\t]*`` under ``re.M`` (issue 14: the anchored patterns were
    4 times slower)."""
    import re

    from codemods.share import package_client

    relative = re.compile(rb"^[ \t]*from[ \t]+\.", re.M)
    absolute = re.compile(rb"^[ \t]*(?:from|import)[ \t]+pkg[. \t]", re.M)
    tail = re.compile(rb"(?:from|import)[ \t]+pkg[. \t]")
    assert package_client._starts_a_line(text, package_client._RELATIVE) == bool(relative.search(text))
    assert package_client._starts_a_line(text, tail) == bool(absolute.search(text))
