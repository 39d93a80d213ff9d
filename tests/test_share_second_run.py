"""A second run after share-session's ``package`` strategy: the names a module imports from its
package's generated client module (``from ._http_client import session as _session``) are
known clients, as a module-level ``_session = requests.Session()`` is
(``share/shared_import.py``), so what the first run reported or left for ``--unsafe-fixes`` is
still seen."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Tuple

from click.testing import CliRunner

from codemods import engine, prefilter, registry
from codemods.cli import command
from codemods.share.package_client import EXPORTS, MODULE_BASE, render
from codemods.share.shared_import import shared_imports, trusted_exports
from codemods.spec import Kind
from tests.helpers import write

BODY = """\


def stream(url):
    response = _session.post(url, stream=True)
    response.raise_for_status()
    return (line for line in response.iter_lines())


def lines(url):
    response = _session.get(url, stream=True)
    for line in response.iter_lines():
        print(line)


def save(url, bar):
    response = _session.get(url, stream=True)
    with bar(response.iter_content()) as chunks:
        for chunk in chunks:
            print(chunk)
    return 1


def fetch(url):
    return _session.get(url).json()
"""

Row = Tuple[int, int, str, str, str, object]


def cli(root: Path, *args: str) -> List[Row]:
    """The sites of pkg/a.py of a JSON ``-j 1`` run over ``root``."""
    result = CliRunner().invoke(command, [str(root), "-j", "1", "--no-cache", *args])
    assert result.exit_code in (0, 1), result.output
    if "--format" not in args:
        return []
    data = json.loads(result.stdout)
    return sorted(
        (s["line"], s["column"], s["codemod"], s["action"], s["reason"], s["safety"])
        for f in data["files"]
        if f["path"].endswith("a.py")
        for s in f["sites"]
    )


def project(root: Path) -> Path:
    return write(
        root,
        {
            "pyproject.toml": "",
            "pkg/__init__.py": "",
            "pkg/a.py": "import requests\n" + BODY.replace("_session.", "requests."),
        },
    )


def reported(rows: List[Row]) -> List[Row]:
    return [r for r in rows if r[3] == "reported"]


def test_what_the_first_run_leaves_the_second_run_still_reports(tmp_path):
    root = project(tmp_path)
    first = cli(root, "--check", "--format", "json")
    first_unsafe = cli(root, "--check", "--unsafe-fixes", "--format", "json")
    first_timeouts = cli(root, "--check", "--select", "add-timeout", "--format", "json")
    assert reported(first) and any(r[5] == "unsafe" for r in reported(first))
    cli(root)  # the rewrite: share-session routes the calls through the package's client
    a = (root / "pkg/a.py").read_text()
    assert a.startswith("from ._http_client import session as _session\n") and "requests" not in a
    assert (root / f"pkg/{MODULE_BASE}.py").exists()
    # The rewrite keeps every line where it was: the remaining sites are the same ones.
    second = cli(root, "--check", "--format", "json")
    assert second == reported(first)
    remaining = {r[0] for r in reported(first)}
    second_unsafe = cli(root, "--check", "--unsafe-fixes", "--format", "json")
    assert second_unsafe == [r for r in first_unsafe if r[2] == "close-response" and r[0] in remaining]
    assert any(r[3] == "fixed" for r in second_unsafe)  # the unsafe fix is still offered
    # add-timeout on the calls through the shared session, as on the bare calls before.
    second_timeouts = cli(root, "--check", "--select", "add-timeout", "--format", "json")
    # (the same lines; a column moved where close-response wrote a `with`)
    assert [r[0] for r in second_timeouts] == [r[0] for r in first_timeouts] and len(second_timeouts) == 4


def _pair(tmp_path: Path, client: str = "") -> Tuple[Path, Path]:
    """pkg/shared.py imports the generated session; pkg/own.py makes its own at module level
    (the same line count before the bodies)."""
    root = write(
        tmp_path,
        {
            "pyproject.toml": "",
            "pkg/__init__.py": "",
            f"pkg/{MODULE_BASE}.py": client or render(["requests"], False, "pkg"),
            "pkg/shared.py": "from ._http_client import session as _session\n# shared\n" + BODY,
            "pkg/own.py": "import requests\n_session = requests.Session()\n" + BODY,
        },
    )
    return root / "pkg/shared.py", root / "pkg/own.py"


def _run(path: Path, unsafe: bool = False) -> Tuple[List[Tuple[int, int, str, str, str]], str]:
    settings = engine.Settings(
        codemods=tuple(c.NAME for c in registry.CODEMODS), mode=engine.CHECK, unsafe_fixes=unsafe
    )
    result = engine.process_source(path.read_bytes(), str(path), settings)
    assert result.status != engine.ERROR, result.error
    text = result.new_text if result.status == engine.CHANGED else path.read_text()
    body = "\n".join(text.split("\n")[2:])
    return [(s.line, s.column, s.codemod, s.action, s.reason) for s in result.sites], body


def test_an_imported_shared_session_is_treated_as_a_module_level_one(tmp_path):
    shared, own = _pair(tmp_path)
    for unsafe in (False, True):
        sites, body = _run(shared, unsafe)
        assert (sites, body) == _run(own, unsafe)
        assert {s[2] for s in sites} == {"add-timeout", "close-response"}  # close-client: nothing
        assert "with _session.get(url, stream=True, timeout=" in body  # closed, with a timeout
        assert "_session.get(url, timeout=" in body  # fetch's call gets one too
    assert "_session.get(url, timeout=" in _run(shared)[1]


def test_an_edited_client_module_without_the_marker_is_not_trusted(tmp_path):
    edited = render(["requests"], False, "pkg").replace("HTTP clients this package shares", "Our clients")
    shared, _ = _pair(tmp_path, edited)
    assert shared_imports(shared.read_bytes(), str(shared)) == ()
    sites, body = _run(shared)
    assert sites == [] and body == BODY


def test_a_client_module_that_rebinds_the_session_is_not_trusted(tmp_path):
    generated = render(["requests", "httpx"], False, "pkg")
    assert set(trusted_exports(generated.encode())) == {"session", "client"}
    for edit in (
        "session = make_session()\n",
        "def session():\n    pass\n",
        "from elsewhere import session\n",
        "def reset():\n    global session\n    session = None\n",
        "from elsewhere import *\n",
        "requests = None\n",
    ):
        found = trusted_exports((generated + edit).encode())
        assert "session" not in found, edit
    assert "client" in trusted_exports((generated + "session = make_session()\n").encode())
    # Every client the module may export is recognised as generated.
    everything = render(list(EXPORTS), False, "pkg").encode()
    assert trusted_exports(everything) == {
        "session": ("requests.Session", "requests"),
        "niquests_session": ("requests.Session", "niquests"),
        "client": ("httpx.Client", "httpx"),
        "httpx2_client": ("httpx.Client", "httpx2"),
    }
    shared, _ = _pair(tmp_path, generated + "session = None\n")
    assert _run(shared)[0] == []


def test_only_an_import_of_the_package_s_own_module_counts(tmp_path):
    root = write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            f"pkg/{MODULE_BASE}.py": render(["requests"], False, "pkg"),
            "pkg/sub/__init__.py": "",
            "pkg/sub/deep.py": "from .._http_client import session as s\nfrom pkg._http_client import session as t\n",
            "pkg/sub/wrong.py": "from ._http_client import session as s\nfrom other._http_client import session as t\n",
            "script.py": "from pkg._http_client import session as s\n",
        },
    )
    deep = root / "pkg/sub/deep.py"
    assert sorted((f.module, f.local) for f in shared_imports(deep.read_bytes(), str(deep))) == [
        (".._http_client", "s"),
        ("pkg._http_client", "t"),
    ]
    for name in ("pkg/sub/wrong.py", "script.py"):
        path = root / name
        assert shared_imports(path.read_bytes(), str(path)) == ()
    assert shared_imports(deep.read_bytes(), "-") == ()


def test_the_cached_result_follows_the_client_module(tmp_path):
    shared, _ = _pair(tmp_path)
    client = shared.parent / f"{MODULE_BASE}.py"
    cache = tmp_path / "cache"

    def timeouts() -> int:
        args = [str(shared), "-j", "1", "--check", "--select", "add-timeout", "--cache-dir", str(cache)]
        result = CliRunner().invoke(command, [*args, "--format", "json"])
        return sum(len(f["sites"]) for f in json.loads(result.stdout)["files"])

    assert timeouts() == 4 and timeouts() == 4
    original = client.read_text()
    client.write_text(original.replace("HTTP clients this package shares", "Ours"))
    assert timeouts() == 0
    client.write_text(original)
    assert timeouts() == 4


def test_the_prefilter_still_skips_files_with_no_http_mention():
    for data in (
        b"import os\nprint(os.getcwd())\n",
        b"# from ._http_client import session as _session\nx = 1\n",
        b"from foo_http_client import session\nsession.get(u)\n",
        b"from ._http_client_x import session\n",
        b"from . import helpers\nhelpers.get(u)\n",
    ):
        assert not prefilter.screen(data).candidate, data
    for data in (
        b"from ._http_client import session as _session\n",
        b"from pkg.sub._http_client_2 import client\n",
        b"from .._http_client import (\n    session as s,\n)\n",
    ):
        verdict = prefilter.screen(data)
        assert verdict.candidate and verdict.kinds == frozenset({Kind.CONSTRUCTOR}), data
        assert not prefilter.relevant("share-session", verdict.kinds)  # nothing to share again
    assert prefilter.GENERATED_WORD == MODULE_BASE.encode()


def test_a_new_bare_call_reuses_the_import_an_earlier_run_wrote(tmp_path):
    head = "import requests\n\nfrom ._http_client import session as _session\n\n\ndef old(url):\n"
    head += "    return _session.get(url).json()\n\n\n"
    root = write(
        tmp_path,
        {
            "pyproject.toml": "",
            "pkg/__init__.py": "",
            f"pkg/{MODULE_BASE}.py": render(["requests"], False, "pkg"),
            "pkg/a.py": head + "def new(url):\n    return requests.get(url).json()\n",
            # A target where the name means something else: a fresh import, as before.
            "pkg/b.py": head + "def shadowed(_session):\n    return requests.get(_session).json()\n",
        },
    )
    cli(root)
    a, b = (root / "pkg/a.py").read_text(), (root / "pkg/b.py").read_text()
    assert a.count("from ._http_client import") == 1, a
    assert "def new(url):\n    return _session.get(url).json()" in a and "requests" not in a
    assert b.count("from ._http_client import") == 2, b
    assert "return _session_1.get(_session).json()" in b
    snapshot = {p: p.read_bytes() for p in root.rglob("*.py")}
    cli(root)
    assert {p: p.read_bytes() for p in root.rglob("*.py")} == snapshot


def test_a_test_that_patches_the_shared_client_where_its_module_says(tmp_path):
    """The generated module's docstring tells tests to patch the client there: a response made
    through it may be a mock, closed with ``contextlib.closing`` as for a module's own session."""
    body = (
        "\n\ndef lines(url):\n    response = _session.get(url, stream=True)\n    for line in response.iter_lines():\n"
    )
    body += "        print(line)\n"
    patches = {
        "pkg._http_client.session.get": 'mock.patch("pkg._http_client.session.get")',
        "object": 'mock.patch.object(pkg._http_client.session, "get")',
        "none": 'mock.patch("pkg.other.thing")',
    }
    for name, patch in patches.items():
        root = write(
            tmp_path / name.replace(".", "_"),
            {
                "pyproject.toml": "",
                "pkg/__init__.py": "",
                f"pkg/{MODULE_BASE}.py": render(["requests"], False, "pkg"),
                "pkg/a.py": "from ._http_client import session as _session\n" + body,
                "tests/test_a.py": (
                    "from unittest import mock\n\nimport pkg._http_client\nfrom pkg import a\n\n\n"
                    f"def test_lines():\n    with {patch}:\n        a.lines('u')\n"
                ),
            },
        )
        sites = cli(root, "--check", "--format", "json")
        assert [r[3] for r in sites] == ["fixed"], sites
        assert ("contextlib.closing" in sites[0][4]) == (name != "none"), sites
