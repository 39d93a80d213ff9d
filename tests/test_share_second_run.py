"""A second run after share-session's ``package`` strategy: the names a module imports from its
package's generated client module (``from ._http_client import session as _session``) are
known clients, as a module-level ``_session = requests.Session()`` is
(``share/shared_import.py``), so what the first run reported or left for ``--unsafe-fixes`` is
still seen."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Tuple

import pytest
from click.testing import CliRunner

from codemods import engine, facts, prefilter, registry
from codemods.cli import command
from codemods.discover import discover
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


FACTORY = """\
import requests


def _open(url):
    response = requests.get(url, stream=True, timeout=5)
    if response.status_code != 200:
        response.close()
        raise ValueError(url)
    return response


def lines(url):
    r = _open(url)
    for line in r.iter_lines():
        print(line)
"""

CALLER = """\
from .stream import _open


def first_line(url):
    r = _open(url)
    return next(r.iter_lines())
"""


def _sites(root: Path, *args: str) -> List[Tuple[str, str, str, str]]:
    """(file, codemod, action, reason) of every site of a JSON ``-j 1`` run over ``root``."""
    result = CliRunner().invoke(command, [str(root), "-j", "1", "--no-cache", "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return sorted(
        (Path(f["path"]).name, s["codemod"], s["action"], s["reason"])
        for f in json.loads(result.stdout)["files"]
        for s in f["sites"]
    )


def test_a_factory_through_the_shared_client_is_still_a_factory_on_the_second_run(tmp_path):
    """The factory's ``requests.get(url, stream=True)`` becomes ``_session.get(...)`` of the
    package's generated client: the facts pass must still see a factory, or the second run
    reports it as "no factory" though the first run's result says nothing is left there."""
    root = write(
        tmp_path,
        {"pyproject.toml": "", "pkg/__init__.py": "", "pkg/stream.py": FACTORY, "pkg/use.py": CALLER},
    )
    first = _sites(root)  # the rewrite
    assert ("stream.py", "share-session", "fixed", "routed through the shared client _session") in first
    assert [s[:3] for s in first if s[1] == "close-response"] == [
        ("stream.py", "close-response", "fixed"),
        ("use.py", "close-response", "fixed"),
    ]
    stream = (root / "pkg/stream.py").read_text()
    assert "_session.get(url, stream=True" in stream and "with _open(url) as r:" in stream
    assert "with _open(url) as r:" in (root / "pkg/use.py").read_text()
    # What the first run left: nothing reported; the second run finds nothing new.
    assert [s for s in first if s[2] != "fixed"] == []
    assert _sites(root, "--check") == []


SHARED_FACTORIES = {
    # the shared client of the package: a factory, as with ``requests.get``
    "plain": "from ._http_client import session as _session\n\n\ndef _open(url):\n"
    "    return _session.get(url, stream=True)\n",
    # a local name shadows the import: not the shared client
    "shadowed": "from ._http_client import session as _session\n\n\ndef _open(url, _session):\n"
    "    return _session.get(url, stream=True)\n",
    # rebound in the module: the name may be anything
    "rebound": "from ._http_client import session as _session\n_session = object()\n\n\ndef _open(url):\n"
    "    return _session.get(url, stream=True)\n",
    # declared global in a function: it may be rebound
    "declared": "from ._http_client import session as _session\n\n\ndef _open(url):\n"
    "    return _session.get(url, stream=True)\n\n\ndef _reset():\n    global _session\n    _session = None\n",
}


def _shared_factories(root: Path) -> List[str]:
    found = discover([str(root)], [])
    return sorted(q for f in facts.collect(found.files, found.roots).factories for q in f.qualified)


@pytest.mark.parametrize("client", ["generated", "edited"])
def test_the_facts_pass_resolves_the_imported_shared_session(tmp_path, client):
    """Only a trusted client module's ``requests.Session``, bound once in the importing module and
    not shadowed in the function, makes ``_session.get(url, stream=True)`` a fresh response."""
    generated = render(["requests"], False, "pkg")
    files = {f"pkg/{name}.py": body for name, body in SHARED_FACTORIES.items()}
    files[f"pkg/{MODULE_BASE}.py"] = generated if client == "generated" else generated.replace("http-codemods", "us")
    root = write(tmp_path, {"pyproject.toml": "", "pkg/__init__.py": "", **files})
    expected = ["pkg.plain._open"] if client == "generated" else []
    assert _shared_factories(root) == expected


def test_a_test_that_patches_the_shared_session_makes_the_factory_mocked(tmp_path):
    """After the rewrite a test patches the shared client where its module says
    (``mock.patch("pkg._http_client.session.get")``) and hands back an object of its own,
    without ``__enter__`` or ``close()``: a new caller of the factory is reported, as it is when
    a test patches ``requests.get`` before the rewrite."""
    stream = FACTORY.replace("import requests\n", "from ._http_client import session as _session\n")
    files = {
        "pyproject.toml": "",
        "pkg/__init__.py": "",
        f"pkg/{MODULE_BASE}.py": render(["requests"], False, "pkg"),
        "pkg/stream.py": stream.replace("requests.get(", "_session.get("),
        "pkg/use.py": CALLER,
    }
    test = (
        "from unittest import mock\n\nfrom pkg import use\n\n\nclass Fake:\n    pass\n\n\n"
        "def test():\n    with mock.patch('PATCHED') as m:\n        m.return_value = Fake()\n"
        "        use.first_line('u')\n"
    )
    root = write(tmp_path / "plain", files)
    assert _shared_factories(root) == ["pkg.stream._open"]
    assert ("use.py", "close-response", "fixed") in [s[:3] for s in _sites(root, "--check")]
    for patched in ("pkg._http_client.session.get", "pkg._http_client.session"):
        root = write(tmp_path / patched, {**files, "tests/test_use.py": test.replace("PATCHED", patched)})
        assert _shared_factories(root) == ["pkg.stream._open"]
        use = [s for s in _sites(root, "--check") if s[0] == "use.py"]
        assert [s[:3] for s in use] == [("use.py", "close-response", "reported")]
        assert f"mock.patch('{patched}')" in use[0][3]
    # Before the rewrite: the same test of ``requests.get`` (share-session leaves that call).
    before = {**files, "pkg/stream.py": FACTORY, "tests/test_use.py": test.replace("PATCHED", "requests.get")}
    del before[f"pkg/{MODULE_BASE}.py"]
    use = [s for s in _sites(write(tmp_path / "before", before), "--check") if s[0] == "use.py"]
    assert [s[:3] for s in use] == [("use.py", "close-response", "reported")]


def test_a_script_s_factory_through_its_module_session_is_still_a_factory(tmp_path):
    """A script gets a module-level ``_session = requests.Session()`` (share-session's ``module``
    strategy): its factory is still one on the second run."""
    root = write(tmp_path, {"pyproject.toml": "", "tool.py": FACTORY})
    first = _sites(root)
    assert ("tool.py", "share-session", "fixed") in [s[:3] for s in first]
    assert "_session = requests.Session()" in (root / "tool.py").read_text()
    assert [s for s in first if s[2] != "fixed"] == []
    assert _sites(root, "--check") == []


MODULE_SESSIONS = {
    "once": "import requests\n_session = requests.Session()\n\n\ndef _open(url):\n"
    "    return _session.get(url, stream=True)\n",
    "twice": "import requests\n_session = requests.Session()\n_session = object()\n\n\ndef _open(url):\n"
    "    return _session.get(url, stream=True)\n",
    "other": "import requests\n_session = requests.Response()\n\n\ndef _open(url):\n"
    "    return _session.get(url, stream=True)\n",
    "local": "import requests\n_session = requests.Session()\n\n\ndef _open(url):\n    _session = object()\n"
    "    return _session.get(url, stream=True)\n",
}


def test_a_module_level_session_bound_once_makes_fresh_responses(tmp_path):
    files = {f"pkg/{name}.py": body for name, body in MODULE_SESSIONS.items()}
    root = write(tmp_path, {"pyproject.toml": "", "pkg/__init__.py": "", **files})
    assert _shared_factories(root) == ["pkg.once._open"]
