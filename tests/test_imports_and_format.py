"""Issue 15: the rewrite's imports where the project's import sorting wants them and none left
unused, fresh names per scope, formatter-clean output, and (acceptance) real ruff and black on
every sample rewritten by every codemod, with and without a project configuration."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from codemods import engine, registry
from codemods.cli import command
from tests.helpers import reasons, transform

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p for p in (ROOT / "samples").glob("*.py") if "SERVER_URL" in p.read_text())


def tool(name):
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", name]


def run(argv, cwd, check=True, input=None):
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300, input=input)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def rewrite_in(project: Path, source: str, *args: str, name: str = "mod.py") -> str:
    path = project / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    result = CliRunner().invoke(command, [str(path), "-j", "1", "-q", *args])
    assert result.exit_code in (0, 1), result.output
    return path.read_text()


# -- where added imports go --------------------------------------------------------------------


def test_contextlib_joins_the_stdlib_section_in_order():
    new, _ = transform(
        '''
        """Doc."""

        from __future__ import annotations

        import json
        import os

        import httpx

        from . import local

        c = httpx.Client()

        def f(req):
            r = c.send(req, stream=True)
            return [line for line in r.iter_lines()], json, os, local
        ''',
        ["close-response"],
    )
    assert new.startswith(
        '\n"""Doc."""\n\nfrom __future__ import annotations\n\nimport contextlib\nimport json\nimport os\n\n'
        "import httpx\n\nfrom . import local\n"
    )


def test_a_section_comment_stays_above_the_import_added_first_in_its_section(tmp_path):
    # pytube's innertube.py: the comment above a section's first import heads the section; an
    # import put between the docstring and that comment is a new I001.
    source = (
        '"""Doc."""\n# Native python imports\nimport json\n\n# Third party\nimport httpx\n\n'
        "client = httpx.Client()\n\n\ndef f(req):\n    r = client.send(req, stream=True)\n"
        "    return json.loads(r.read())\n"
    )
    new = rewrite_in(tmp_path, source, "--select", "close-response")
    assert new.startswith(
        '"""Doc."""\n# Native python imports\nimport contextlib\nimport json\n\n# Third party\nimport httpx\n\n'
    )
    run(tool("ruff") + ["check", "--isolated", "--select", "I", "mod.py"], cwd=tmp_path)


def test_a_missing_stdlib_section_is_opened_before_the_third_party_one():
    new, _ = transform(
        """
        # the imports
        import httpx

        c = httpx.Client()

        def f(req):
            r = c.send(req, stream=True)
            return [line for line in r.iter_lines()]
        """,
        ["close-response"],
    )
    # The module's leading comment stays first; the new section is set off.
    assert new.startswith("\n# the imports\nimport contextlib\n\nimport httpx\n\n")
    new, _ = transform(
        "import os\n\n# third party\nimport httpx\n\nc = httpx.Client()\n\ndef f(q):\n"
        "    return c.send(q, stream=True).read(), os\n",
        ["close-response"],
    )
    assert new.startswith("import contextlib\nimport os\n\n# third party\nimport httpx\n")


def test_after_a_future_import_and_in_a_module_without_imports():
    new, _ = transform(
        "from __future__ import annotations\nimport httpx\n\nc = httpx.Client()\n\ndef f(q):\n"
        "    return c.send(q, stream=True).read()\n",
        ["close-response"],
    )
    assert new.startswith("from __future__ import annotations\n\nimport contextlib\n\nimport httpx\n\n")


def test_the_project_isort_configuration_decides_the_section(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.isort]\nknown_first_party = ["requests"]\n')
    source = """
        import os

        import requests

        def f(u):
            return requests.get(u).text, os
        """
    new = rewrite_in(tmp_path, source, "--select", "share-session")
    # requests is first party here: the stdlib import joins ``os``, not a section after it.
    assert new.startswith("\nimport http.cookiejar as _cookiejar\nimport os\n\nimport requests\n\n_session")
    ruff = tmp_path / "ruff"
    ruff.mkdir()
    (ruff / "pyproject.toml").write_text("[tool.ruff.lint.isort]\nforce-sort-within-sections = true\n")
    new = rewrite_in(
        ruff,
        "from os import path\n\nimport requests\n\ndef f(u):\n    return requests.get(u), path\n",
        "--select",
        "share-session",
    )
    assert new.startswith("import http.cookiejar as _cookiejar\nfrom os import path\n\nimport requests\n")


@pytest.mark.parametrize(
    "config,expected",
    [
        # isort's and ruff's default: furthest first
        ("", "from .. import util\nfrom .._http_client import session as _session\nfrom . import sib\n"),
        (
            '[lint.isort]\nrelative-imports-order = "closest-to-furthest"\n',
            "from . import sib\nfrom .. import util\nfrom .._http_client import session as _session\n",
        ),
    ],
)
def test_relative_imports_sort_furthest_first_unless_configured(tmp_path, config, expected):
    (tmp_path / "ruff.toml").write_text('[lint]\nselect = ["I"]\n' + config)
    for name in ("top/__init__.py", "top/util.py", "top/pkg/__init__.py", "top/pkg/sib.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    block = "".join(line for line in expected.splitlines(True) if "_http" not in line)
    new = rewrite_in(
        tmp_path,
        "import requests\n\n" + block + "\n\ndef f(u):\n    return requests.get(u).text, util, sib\n",
        "--select",
        "share-session",
        name="top/pkg/mod.py",
    )
    assert new.startswith(expected), new
    proc = run([*tool("ruff"), "check", "--no-cache", "top/pkg/mod.py"], tmp_path, check=False)
    assert proc.returncode == 0, proc.stdout + new


@pytest.mark.parametrize(
    "name,text,reverse",
    [
        ("setup.cfg", "[isort]\nreverse_relative = true\n", True),
        ("pyproject.toml", "[tool.isort]\nreverse_relative = false\n", False),
        ("pyproject.toml", '[tool.ruff.lint.isort]\nrelative-imports-order = "closest-to-furthest"\n', True),
        ("pyproject.toml", '[tool.ruff.lint.isort]\nrelative-imports-order = "furthest-to-closest"\n', False),
    ],
)
def test_the_relative_imports_order_is_read(tmp_path, name, text, reverse):
    from codemods.style import style_for

    (tmp_path / name).write_text(text)
    assert style_for(str(tmp_path / "m.py")).imports.reverse_relative is reverse


def test_the_package_import_joins_the_run_of_imports_that_holds_requests(tmp_path):
    # calibreweb's helper.py: import-like blocks after module-level code; the shared client's
    # import placed after the last of them was an E402.
    (tmp_path / "ruff.toml").write_text('[lint]\nselect = ["E4", "F", "I"]\n')
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    head = "import os\nimport sys\n\ntry:\n    import simplejson as json\nexcept ImportError:\n    import json\n\n"
    tail = (
        '\nlog = os.getenv("X")\n\nif sys.version_info >= (3, 8):\n    from typing import TYPE_CHECKING\n'
        "else:\n    TYPE_CHECKING = False\n\nif TYPE_CHECKING:\n    from typing import Any\n\n\n"
        'def f(u) -> "Any":\n    return requests.get(u).text, json\n'
    )
    new = rewrite_in(tmp_path, head + "import requests\n" + tail, "--select", "share-session", name="pkg/a.py")
    assert new == head + "from ._http_client import session as _session\n" + tail.replace("requests.", "_session."), new
    proc = run([*tool("ruff"), "check", "--no-cache", "pkg/a.py"], tmp_path, check=False)
    assert proc.returncode == 0, proc.stdout + new


@pytest.mark.parametrize("config,blanks", [("", 1), ("[lint.isort]\nlines-after-imports = 2\n", 2)])
def test_an_import_block_of_its_own_after_try_and_type_checking_blocks(tmp_path, config, blanks):
    # sopel's url.py, jira's client.py: two blank lines after an ``if TYPE_CHECKING:`` block
    # are one too many after the import that now follows it (I001).
    (tmp_path / "ruff.toml").write_text('[lint]\nselect = ["E4", "I"]\n' + config)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    source = (
        "import logging\nfrom typing import TYPE_CHECKING\n" + "\n" * blanks + "try:\n    import requests\n"
        "except ImportError:\n"
        "    raise\n\nif TYPE_CHECKING:\n    from typing import Any\n\n\n"
        'LOG = logging.getLogger("x")\n\n\ndef f(u) -> "Any":\n    return requests.get(u).text\n'
    )
    assert (
        run(
            [*tool("ruff"), "check", "--no-cache", "--stdin-filename", "pkg/a.py", "-"],
            tmp_path,
            check=False,
            input=source,
        ).returncode
        == 0
    )
    new = rewrite_in(tmp_path, source, "--select", "share-session", name="pkg/a.py")
    expected = "from typing import Any\n\nfrom ._http_client import session as _session\n" + "\n" * blanks + "LOG ="
    assert expected in new, new
    proc = run([*tool("ruff"), "check", "--no-cache", "pkg/a.py"], tmp_path, check=False)
    assert proc.returncode == 0, proc.stdout + new


def test_an_import_is_never_moved_across_another_statement():
    new, _ = transform(
        """
        import sys
        sys.path.insert(0, "vendor")
        from requests import get

        def f(u):
            return get(u).text
        """,
        ["share-session"],
    )
    # ``import requests as _requests`` stays in the block after sys.path.insert (requests
    # must load from where the module loaded it); the standard library's http.cookiejar joins
    # the first block, where isort and E402 want it.
    assert new.startswith(
        '\nimport http.cookiejar as _cookiejar\nimport sys\nsys.path.insert(0, "vendor")\n\nimport requests as _requests\n'
    )


@pytest.mark.parametrize(
    "config",
    [
        '[lint.isort]\nrequired-imports = ["from __future__ import annotations"]\nlines-after-imports = 2\n',
        "",
    ],
)
def test_a_created_client_module_follows_the_required_imports(tmp_path, config):
    (tmp_path / "ruff.toml").write_text('[format]\n[lint]\nselect = ["E", "F", "I"]\n' + config)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    source = "import requests\n\n\ndef f(u):\n    return requests.get(u).text\n"
    if config:
        source = "from __future__ import annotations\n\n" + source
    rewrite_in(tmp_path, source, "--select", "share-session", name="pkg/a.py")
    created = (tmp_path / "pkg" / "_http_client.py").read_text()
    assert ("from __future__ import annotations\n\nfrom http import cookiejar\n" in created) is bool(config)
    assert ("\nimport requests\n\n\n# Stores" in created) is bool(config), created
    for argv in (["check"], ["format", "--check"]):
        proc = run([*tool("ruff"), *argv, "--no-cache", "pkg"], tmp_path, check=False)
        assert proc.returncode == 0, proc.stdout + created
    # Still ours, as generated: a later run adds httpx's client to it.
    rewrite_in(tmp_path, source.replace("requests", "httpx"), "--select", "share-session", name="pkg/b.py")
    assert "client = httpx.Client(" in (tmp_path / "pkg" / "_http_client.py").read_text()
    assert not (tmp_path / "pkg" / "_http_client_1.py").exists()


# -- imports the rewrite left unused -----------------------------------------------------------


def test_unused_after_the_rewrite_goes_unless_public(tmp_path):
    source = """
        from requests import get, post

        def f(u):
            return get(u).text, post(u).text
        """
    new = rewrite_in(tmp_path, source, "--select", "share-session")
    assert "from requests import" not in new and "import requests as _requests" in new
    # Imported from this module by another file of the project: kept.
    (tmp_path / "other.py").write_text("from mod import get\n")
    new = rewrite_in(tmp_path, source, "--select", "share-session")
    assert "from requests import get\n" in new
    # In __all__: kept.
    new = rewrite_in(
        tmp_path, '__all__ = ["post"]\n' + textwrap.dedent(source), "--select", "share-session", name="exports.py"
    )
    assert "from requests import post\n" in new and " get" not in new.split("\n\n")[0]


def test_a_packages_init_keeps_only_what_its_importers_import(tmp_path):
    # No exemption for __init__.py: an import there is a re-export only when some file imports
    # it from the package, found by the package's name (``from pkg import``, ``from . import``).
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "pkg").mkdir()
    source = """
        from requests import get, post

        def f(u):
            return get(u).text, post(u).text
        """
    new = rewrite_in(tmp_path, source, "--select", "share-session", name="pkg/__init__.py")
    assert "from requests import" not in new, new
    (tmp_path / "user.py").write_text("from pkg import get\n")
    new = rewrite_in(tmp_path, source, "--select", "share-session", name="pkg/__init__.py")
    assert "from requests import get\n" in new, new
    (tmp_path / "user.py").write_text("from mod import post\n")  # another module's name
    (tmp_path / "pkg" / "sub.py").write_text("from . import post\n")
    new = rewrite_in(tmp_path, source, "--select", "share-session", name="pkg/__init__.py")
    assert "from requests import post\n" in new and "get," not in new, new


@pytest.mark.parametrize(
    "before,after",
    [
        # langchain-community's yuque.py: the section's first import goes, its separator stays
        ("import re\n\nimport requests\nfrom lib import Document\n", "import re\n\nfrom lib import Document\n"),
        # the comment above it moves to the next statement, below the same blank line
        ("import re\n\n# http\nimport requests\nimport lib\n", "import re\n\n# http\nimport lib\n"),
        # the section's last import goes: the next section keeps its own blank line
        ("import re\nimport requests\n\nimport lib\n", "import re\n\nimport lib\n"),
    ],
)
def test_a_dropped_import_keeps_the_blank_line_between_sections(tmp_path, before, after):
    source = before + "\n\ndef f(u):\n    return requests.get(u).text\n"
    (tmp_path / "ruff.toml").write_text('[lint]\nselect = ["I"]\n[lint.isort]\nknown-third-party = ["lib"]\n')
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    new = rewrite_in(tmp_path, source, "--select", "share-session", name="pkg/mod.py")
    # the package's client module now holds requests: the module's own import goes
    assert "import requests" not in new and "_session.get(u)" in new, new
    assert new.startswith(after), new
    # ruff's import sorting (the section rule the project asks for) finds nothing to change
    proc = run([*tool("ruff"), "check", "--no-cache", "pkg/mod.py"], tmp_path, check=False)
    assert proc.returncode == 0, proc.stdout + new


def test_a_methods_own_import_the_rewrite_made_unused_goes():
    # pyvo's test_tap.py: a test method imports requests locally; its one call now goes
    # through the module's client, so ruff would flag the local import (F401).
    new, _ = transform(
        """
        import requests

        def top(u):
            return requests.get(u).text

        class TestTap:
            import json

            def test_post(self, u):
                import requests
                return requests.post(u, data={}).text
        """,
        ["share-session"],
    )
    assert new.count("import requests") == 1 and "    import json\n" in new
    assert "\n        return _session.post(u, data={}).text\n" in new


def test_dynamic_namespace_reads_keep_every_import():
    new, _ = transform("from requests import get\n\ndef f(u):\n    return get(u).text, globals()\n", ["share-session"])
    assert "from requests import get\n" in new
    # A module-level ``__getattr__`` (PEP 562) may serve any name: kept.
    source = "from requests import get\n\ndef f(u):\n    return get(u).text\n\n"
    new, _ = transform(source + "def __getattr__(name):\n    return name\n", ["share-session"])
    assert "from requests import get\n" in new
    # A class's ``__getattr__`` is about its instances: the unused import goes.
    new, _ = transform(source + "class A:\n    def __getattr__(self, name):\n        return name\n", ["share-session"])
    assert "from requests import get" not in new and "_session.get(u)" in new, new


def test_never_used_imports_are_not_the_rewrites_business():
    new, _ = transform(
        "import json\nimport requests\n\ndef f(u):\n    return requests.get(u).text\n", ["share-session"]
    )
    assert "import json\n" in new


# -- fresh names per scope --------------------------------------------------------------------


def test_response_is_free_when_only_another_function_uses_it():
    new, _ = transform(
        """
        import requests

        def other():
            response = 1
            return response

        def f(u):
            return requests.get(u, stream=True).raw.read(2)

        def g(u):
            response = 5
            return requests.get(u, stream=True).raw.read(2), response

        def h(u):
            def inner():
                return response  # a global, read by a closure: h must not bind it
            return requests.get(u, stream=True).raw.read(2), inner
        """,
        ["close-response"],
    )
    assert "def f(u):\n    with requests.get(u, stream=True) as response:\n" in new
    assert "def g(u):\n    response = 5\n    with requests.get(u, stream=True) as response_1:\n" in new
    assert "    with requests.get(u, stream=True) as response_1:\n        return response_1.raw.read(2), inner" in new


def test_function_scope_sessions_are_named_per_function():
    new, _ = transform(
        """
        import requests

        session = object()

        def a(urls):
            return [requests.get(u).text for u in urls]

        def b(urls, session):
            return [requests.get(u).text for u in urls], session
        """,
        ["share-session"],
        {"share-session": {"session-scope": "function", "keep-cookies": True}},
    )
    # ``a`` does not read the global ``session``, ``b`` has a parameter of that name.
    assert "with requests.Session() as session:\n        return [session.get(u).text" in new
    assert "with requests.Session() as session_1:" in new


# -- add-timeout --timeout-constant ----------------------------------------------------------------


def fix_timeout(source, **options):
    values = {"timeout-constant": "HTTP_TIMEOUT", **{k.replace("_", "-"): v for k, v in options.items()}}
    return transform(source, ["add-timeout"], {"add-timeout": values})


def test_timeout_constant_is_defined_once_after_the_imports():
    new, sites = fix_timeout(
        '''
        """Doc."""
        import requests
        from urllib.request import urlopen


        def f(u):
            return requests.get(u), urlopen(u)


        def g(u):
            return requests.post(u)
        '''
    )
    assert new == textwrap.dedent(
        '''
        """Doc."""
        import requests
        from urllib.request import urlopen

        HTTP_TIMEOUT = 60


        def f(u):
            return requests.get(u, timeout=HTTP_TIMEOUT), urlopen(u, timeout=HTTP_TIMEOUT)


        def g(u):
            return requests.post(u, timeout=HTTP_TIMEOUT)
        '''
    )
    assert [r for _, r in reasons(sites, "fixed")] == ["added timeout=HTTP_TIMEOUT (= 60)"] * 3


def test_timeout_constant_reused_or_reported():
    source = "import requests\nHTTP_TIMEOUT = {}\n\n\ndef f(u):\n    return requests.get(u)\n"
    new, _ = fix_timeout(source.format("60"))
    assert new == source.format("60").replace("get(u)", "get(u, timeout=HTTP_TIMEOUT)")
    new, sites = fix_timeout(source.format("30"))
    assert new == source.format("30")
    assert reasons(sites) == [
        (6, "HTTP_TIMEOUT is already defined as 30, not 60: pass --timeout to match it, or another --timeout-constant")
    ]
    new, sites = fix_timeout("import requests\nrequests.get('u')\nHTTP_TIMEOUT = 60\n")
    assert reasons(sites) == [(2, "runs before HTTP_TIMEOUT is defined (further down the module)")]
    new, sites = fix_timeout("import requests\n\n\ndef f(u, HTTP_TIMEOUT):\n    return requests.get(u)\n")
    assert "bound in this scope" in reasons(sites)[0][1]


def test_timeout_constant_before_a_module_level_call_and_with_a_pair():
    new, _ = fix_timeout("import requests\nrequests.get('u')\n")
    assert new == "import requests\n\nHTTP_TIMEOUT = 60\n\nrequests.get('u', timeout=HTTP_TIMEOUT)\n"
    new, _ = fix_timeout(
        "import requests\nfrom urllib.request import urlopen\n\n\ndef f(u):\n    return requests.get(u), urlopen(u)\n",
        timeout="(3.05, 27)",
    )
    assert "HTTP_TIMEOUT = (3.05, 27)\n" in new
    assert "requests.get(u, timeout=HTTP_TIMEOUT), urlopen(u, timeout=27)" in new


@pytest.mark.parametrize("bad", ["1x", "class", "a-b", "__dunder"])
def test_timeout_constant_must_be_a_name(tmp_path, bad):
    path = tmp_path / "m.py"
    path.write_text("import requests\nrequests.get('u')\n")
    result = CliRunner().invoke(command, [str(path), "--select", "add-timeout", "--timeout-constant", bad])
    assert result.exit_code == 2 and "invalid timeout-constant" in result.output


def test_timeout_constant_in_the_config_is_checked_when_read(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.http-codemods]\ntimeout-constant = "not a name"\n')
    path = tmp_path / "m.py"
    path.write_text("import requests\nrequests.get('u')\n")
    result = CliRunner().invoke(command, [str(path)])
    assert result.exit_code == 2
    assert "timeout-constant" in result.output and "pyproject.toml" in result.output


def test_timeout_constant_program_runs(tmp_path, server):
    source = """
        import sys

        import requests

        print(requests.get(sys.argv[1] + "/json?i=1").status_code)


        def again(u):
            return requests.get(u + "/json?i=2").status_code


        print(again(sys.argv[1]))
        """
    new = rewrite_in(tmp_path, source, "--select", "add-timeout", "--timeout-constant", "HTTP_TIMEOUT")
    assert new.count("timeout=HTTP_TIMEOUT") == 2 and new.count("HTTP_TIMEOUT = 60") == 1
    proc = run([sys.executable, str(tmp_path / "mod.py"), server.url], cwd=tmp_path)
    assert proc.stdout.split() == ["200", "200"]
    assert server.counters.snapshot()["requests"] == 2


# -- formatter ---------------------------------------------------------------------------------


def test_only_changed_statements_are_formatted(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 60\n[tool.ruff.format]\n")
    source = (
        "import requests\n\nUGLY = {'a':1,   'b':2}\n\n\n"
        "def f(url):\n    return requests.get(url, params={'user': 'someone', 'x': 1})\n"
    )
    new = rewrite_in(tmp_path, source, "--select", "add-timeout")
    # The unformatted line the tool did not touch stays byte-identical; the call it changed
    # is split the way ruff splits it.
    assert "UGLY = {'a':1,   'b':2}\n" in new
    assert '    return requests.get(\n        url, params={"user": "someone", "x": 1}, timeout=60\n    )\n' in new
    probe = tmp_path / "probe.py"
    probe.write_text(new.replace("UGLY = {'a':1,   'b':2}", "UGLY = {}"))
    run(tool("ruff") + ["format", "--check", str(probe)], cwd=tmp_path)


# pytube (black in its pre-commit configuration): a rewritten statement between statements
# black would reformat; only the statements the rewrite replaced may change.
UNFORMATTED = (
    "import urllib.request\n\n\ndef get(url):\n    headers = {\n        'a': 1\n    }\n"
    "    response = urllib.request.urlopen(url)\n\n    return response.read({'n':  1})\n\n\n"
    "def post(\n    url,\n    data\n):\n    return 1\n"
)
UNFORMATTED_FIXED = (
    "import urllib.request\n\n\ndef get(url):\n    headers = {\n        'a': 1\n    }\n"
    '    with urllib.request.urlopen(url) as response:\n        return response.read({"n": 1})\n\n\n'
    "def post(\n    url,\n    data\n):\n    return 1\n"
)
FORMATTERS = {
    "black": ("[tool.black]\nline-length = 88\n", lambda a, b: ["-q", "--line-ranges", f"{a}-{b}", "-"]),
    "ruff": ("[tool.ruff.format]\n", lambda a, b: ["format", "--quiet", "--range", f"{a}-{b}", "-"]),
}


def changed_input_lines(before: str, after: str):
    import difflib

    opcodes = difflib.SequenceMatcher(None, before.splitlines(True), after.splitlines(True)).get_opcodes()
    return [(i1 + 1, i2, j1 + 1, j2) for tag, i1, i2, j1, j2 in opcodes if tag != "equal"]


@pytest.mark.parametrize("formatter", sorted(FORMATTERS))
def test_the_formatter_reaches_no_untouched_neighbour(tmp_path, formatter, monkeypatch):
    from codemods import formatting

    config, argv = FORMATTERS[formatter]
    (tmp_path / "pyproject.toml").write_text(config)
    new = rewrite_in(tmp_path, UNFORMATTED, "--select", "close-response", "--no-cache")
    assert new == UNFORMATTED_FIXED
    # The untouched lines are byte-identical: only the two statements (and the blank line
    # that opened the new block) changed, into two lines the formatter leaves as they are.
    assert changed_input_lines(UNFORMATTED, new) == [(8, 10, 8, 9)]
    proc = run(tool(formatter) + argv(8, 9), cwd=tmp_path, input=new)
    assert proc.stdout == new
    # When the formatter reaches past the changed statements, each is formatted alone.
    monkeypatch.setattr(formatting, "_within", lambda *args: False)
    assert rewrite_in(tmp_path, UNFORMATTED, "--select", "close-response", "--no-cache") == UNFORMATTED_FIXED


def test_formatted_ranges_are_whole_changed_statements_and_checked():
    from codemods.formatting import _within, changed_ranges

    old = "x = 1\nif a:\n    y = f(\n        1)\n    z = 2\nw = 3\n"
    # A changed argument: its whole statement; a changed ``if`` header: the header alone.
    assert changed_ranges(old, old.replace("1)", "2)")) == [(3, 4)]
    assert changed_ranges(old, old.replace("if a:", "if b:")) == [(2, 2)]
    assert changed_ranges(old, old.replace("x = 1\n", "x = 1\n\n")) == []  # a blank line
    # A line deleted within a statement: that statement; between statements: nothing.
    assert changed_ranges("y = f(\n    1,\n    2,\n)\nz = 1\n", "y = f(\n    1,\n)\nz = 1\n") == [(1, 3)]
    assert changed_ranges("y = 1\nx = 2\nz = 3\n", "y = 1\nz = 3\n") == []
    new = "x = 1\ny = f(\n    1)\nz = 2\n"
    assert _within(new, "x = 1\ny = f(1)\nz = 2\n", [(2, 3)])
    assert _within(new, "x = 1\n\n\ny = f(1)\nz = 2\n", [(2, 3)])  # blank lines next to it
    assert not _within(new, "x = 1\ny = f(1)\nz = 3\n", [(2, 3)])
    assert not _within(new, "x  = 1\ny = f(\n    1)\nz = 2\n", [(2, 3)])


def test_a_statement_formatted_alone_keeps_its_depth_and_its_neighbours(tmp_path):
    from codemods import formatting
    from codemods.style import style_for

    (tmp_path / "pyproject.toml").write_text("[tool.black]\nline-length = 40\n")
    path = str(tmp_path / "m.py")
    source = (
        "class A:\n    def f(self):\n        x = {'a':1}\n        @dec\n        def g(): return {'b':2}\n"
        "        if {'c':3}:\n            pass\n"
    )
    command = formatting._command("black")
    # The decorated def (lines 4-5) alone; the header-only range (6) is no whole statement.
    assert formatting._format_alone(command, source, path, style_for(path), [(4, 5), (6, 6)]) == (
        "class A:\n    def f(self):\n        x = {'a':1}\n        @dec\n        def g():\n"
        '            return {"b": 2}\n'
        "        if {'c':3}:\n            pass\n"
    )


def test_crlf_files_are_formatted_and_keep_their_line_ends(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 40\n[tool.ruff.format]\n")
    source = b"import requests\r\n\r\n\r\ndef f(url):\r\n    return requests.get(url, params={'a': 1})\r\n"
    (tmp_path / "m.py").write_bytes(source)
    result = engine.process_source(
        source, str(tmp_path / "m.py"), engine.Settings(codemods=("add-timeout",), mode=engine.CHECK)
    )
    assert result.new_bytes == (
        b"import requests\r\n\r\n\r\ndef f(url):\r\n    return requests.get(\r\n"
        b'        url, params={"a": 1}, timeout=60\r\n    )\r\n'
    )


def test_no_formatter_configured_keeps_minimal_edits(tmp_path):
    source = (
        "import requests\n\n\ndef f(url):\n    return requests.get(url, params={'user': 'someone', 'x': [1, 2, 3]})\n"
    )
    new = rewrite_in(tmp_path, source, "--select", "add-timeout")
    assert new == source.replace("3]})", "3]}, timeout=60)")


LONG_AFTER_THE_WITH = (
    "import requests\n\n\ndef fetch(space_id):\n"
    '    response = requests.get(f"https://hf.co/spaces/{space_id}/README.md", stream=True)\n'
    "    return response.raw.read(10)\n"
)


def test_ruff_without_a_format_table_formats_a_file_that_was_formatted(tmp_path):
    # gradio: ``[tool.ruff]`` but no ``[tool.ruff.format]`` (its scripts run ruff format): in a
    # file ruff format leaves as it is, the new statement is formatted like the rest (88
    # columns); in one it would change, the minimal edits stay.
    (tmp_path / "pyproject.toml").write_text('[tool.ruff]\nexclude = ["build"]\n')
    run(tool("ruff") + ["format", "--check", "-"], cwd=tmp_path, input=LONG_AFTER_THE_WITH)
    new = rewrite_in(tmp_path, LONG_AFTER_THE_WITH, "--select", "close-response", "--no-cache")
    assert new == (
        "import requests\n\n\ndef fetch(space_id):\n    with requests.get(\n"
        '        f"https://hf.co/spaces/{space_id}/README.md", stream=True\n'
        "    ) as response:\n        return response.raw.read(10)\n"
    )
    run(tool("ruff") + ["format", "--check", "-"], cwd=tmp_path, input=new)
    unformatted = LONG_AFTER_THE_WITH.replace("def fetch", "def  fetch")
    new = rewrite_in(tmp_path, unformatted, "--select", "close-response", "--no-cache", name="other.py")
    assert new == (
        "import requests\n\n\ndef  fetch(space_id):\n"
        '    with requests.get(f"https://hf.co/spaces/{space_id}/README.md", stream=True) as response:\n'
        "        return response.raw.read(10)\n"
    )


def test_a_formatter_the_project_runs_wins_over_ruff_configured_nearer(tmp_path):
    from codemods.style import style_for

    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.black]\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    style = style_for(str(tmp_path / "sub" / "m.py"))
    assert (style.formatter, style.formatter_if_clean) == ("black", False)
    other = tmp_path / "other"
    (other / ".git").mkdir(parents=True)
    (other / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (other / "sub").mkdir()
    (other / "sub" / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    style = style_for(str(other / "sub" / "m.py"))
    assert (style.formatter, style.formatter_if_clean) == ("ruff", True)
    assert style.formatter_config == str(other / "sub" / "pyproject.toml")


# -- acceptance: real ruff and black on every sample, every codemod ---------------------------

VARIANTS = {
    # name: (pyproject.toml, how ruff must be told the same isort settings, formatter)
    "none": ("", ["--isolated"], None),
    "ruff": (
        "[tool.ruff]\nline-length = 88\n[tool.ruff.format]\n[tool.ruff.lint.isort]\n"
        'known-first-party = ["httpx"]\nforce-sort-within-sections = true\n',
        [],
        "ruff",
    ),
    "black": (
        '[tool.black]\nline-length = 100\n[tool.isort]\nprofile = "black"\nknown_first_party = ["aiohttp"]\n',
        ["--isolated", "--line-length", "100", "--config", "lint.isort.known-first-party = ['aiohttp']"],
        "black",
    ),
}


def findings(cwd, ruff_args):
    proc = run(
        tool("ruff") + ["check", *ruff_args, "--select", "I,F", "--output-format", "json", "."], cwd=cwd, check=False
    )
    assert proc.returncode in (0, 1), proc.stderr
    return Counter((Path(f["filename"]).relative_to(cwd).as_posix(), f["code"]) for f in json.loads(proc.stdout))


@pytest.mark.timeout(600)
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_rewritten_samples_stay_lint_and_formatter_clean(tmp_path, variant):
    config, ruff_args, formatter = VARIANTS[variant]
    if config:
        (tmp_path / "pyproject.toml").write_text(config)
    selections = [c.NAME for c in registry.CODEMODS] + ["ALL"]
    for name in selections:
        for sample in SAMPLES:
            (tmp_path / name).mkdir(exist_ok=True)
            shutil.copy(sample, tmp_path / name / sample.name)
    # The project is clean before: formatted, imports sorted (one run each over every file).
    if formatter == "ruff":
        run(tool("ruff") + ["format", "-q", "."], cwd=tmp_path)
    elif formatter == "black":
        run(tool("black") + ["-q", "."], cwd=tmp_path)
    run(tool("ruff") + ["check", *ruff_args, "--select", "I", "--fix", "-q", "."], cwd=tmp_path, check=False)
    before = findings(tmp_path, ruff_args)
    assert not any(code.startswith("I") for _, code in before)
    originals = {p: p.read_text() for p in tmp_path.rglob("*.py")}
    for name in selections:
        result = CliRunner().invoke(command, [str(tmp_path / name), "-j", "1", "-q", "--select", name])
        assert result.exit_code in (0, 1), result.output
    changed = [p for p in originals if p.read_text() != originals[p]]
    assert len(changed) >= 15  # every codemod rewrites some of the samples
    after = findings(tmp_path, ruff_args)
    new = {key: count - before.get(key, 0) for key, count in after.items() if count > before.get(key, 0)}
    assert new == {}
    if formatter == "ruff":
        run(tool("ruff") + ["format", "--check", "."], cwd=tmp_path)
    elif formatter == "black":
        run(tool("black") + ["--check", "-q", "."], cwd=tmp_path)
    # And a second run changes nothing.
    for name in selections:
        result = CliRunner().invoke(command, [str(tmp_path / name), "-j", "1", "-q", "--select", name, "--check"])
        assert result.exit_code == 0, result.output


def test_style_is_read_from_the_nearest_configuration(tmp_path):
    from codemods.style import FIRSTPARTY, STDLIB, THIRDPARTY, style_for

    (tmp_path / ".git").mkdir()
    (tmp_path / "setup.cfg").write_text("[isort]\nknown_first_party = mylib,other\n")
    (tmp_path / ".pre-commit-config.yaml").write_text("repos:\n- repo: x\n  hooks:\n  - id: ruff-format\n")
    (tmp_path / "mylib").mkdir()
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    style = style_for(str(tmp_path / "pkg" / "m.py"))
    assert style.formatter == "ruff"
    sections = [style.imports.section(m) for m in ("mylib.x", "os.path", "requests", "pkg.sub", "other")]
    assert sections == [FIRSTPARTY, STDLIB, THIRDPARTY, FIRSTPARTY, FIRSTPARTY]
    # A Makefile (tox.ini, noxfile, CI workflow) that runs the formatter says so too.
    for text, expected in (
        ("format:\n\tuv run --group lint ruff format $(FILES)\n", "ruff"),
        ("fmt:\n\tpoetry run black src\n", "black"),
        ("# black magic\ncolor: black\n", ""),
    ):
        project = tmp_path / f"make_{expected or 'none'}"
        (project / ".git").mkdir(parents=True)
        (project / "Makefile").write_text(text)
        assert style_for(str(project / "m.py")).formatter == expected
    assert engine  # the engine runs the formatter (formatting.format_changed)


def test_black_keeps_two_blank_lines_before_a_decorated_def_after_an_added_import(tmp_path):
    # python-gitlab's tests (ruff_corpus): the package client's import added after the import
    # block, formatted alone with ``black --line-ranges``, left one blank line before the
    # ``@pytest.mark.parametrize`` below it (a new I001 and a black complaint).
    root = tmp_path / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.black]\nline-length = 88\n')
    (root / "tests" / "__init__.py").write_text("")
    source = (
        "import json\n\nimport pytest\nimport requests\n\nfrom gitlab import utils\n\n\n"
        '@pytest.mark.parametrize("a", [1])\ndef test_a(a):\n    assert json.dumps(a)\n\n\n'
        'def test_b():\n    resp = requests.get("https://example.com", stream=True)\n'
        "    utils.response_content(resp)\n"
    )
    (root / "tests" / "test_u.py").write_text(source)
    out = CliRunner().invoke(command, [str(root), "--select", "share-session", "--no-cache", "-j", "1"])
    assert out.exit_code == 0, out.output
    text = (root / "tests" / "test_u.py").read_text()
    assert '_session\n\n\n@pytest.mark.parametrize("a", [1])\n' in text, text
    black = shutil.which("black") or str(Path(sys.executable).with_name("black"))
    check = subprocess.run([black, "--check", "-q", str(root / "tests" / "test_u.py")], cwd=root)
    assert check.returncode == 0


def test_no_blank_line_is_put_back_at_the_top_of_a_file():
    from codemods.formatting import _two_before_top_level

    # black drops the blank lines a removed first import leaves at the top of the file
    assert _two_before_top_level("\n\ndef f():\n    pass\n", "def f():\n    pass\n") == "def f():\n    pass\n"
    assert _two_before_top_level("import a\n\n\ndef f():\n    pass\n", "import a\n\ndef f():\n    pass\n") == (
        "import a\n\n\ndef f():\n    pass\n"
    )


def test_a_parenthesised_from_import_with_a_paren_in_a_comment_lists_every_name():
    # ``# noqa: F401 (re-exported)`` after the ``(`` does not end the list: the names after it
    # are imported too (the byte screens of the facts pass and of the import cleanup).
    from codemods import style
    from codemods.facts import screen

    data = b"from .sites import (  # noqa: F401  (re-exported: x)\n    A,\n    B,  # c (d)\n)\nfrom os import path\n"
    assert style._from_imports(data) == [["sites", ["A", "B"]], ["os", ["path"]]]
    assert set(screen.imported_modules(data, "pkg")) == {"pkg.sites.A", "pkg.sites.B", "os.path"}


def test_ruff_runs_as_the_binary_python_m_ruff_would_exec(tmp_path) -> None:
    """The installed ruff is run directly, not through ``python -I -m ruff`` (a Python start per
    formatter run): the binary must be the one ``ruff/__main__.py`` would ``execvp``."""
    import importlib.util

    from codemods import formatting

    spec = importlib.util.find_spec("ruff")
    if spec is None or sys.platform == "win32":
        pytest.skip("ruff is not installed as a package here")
    found = subprocess.run(
        [sys.executable, "-I", "-c", "from ruff import find_ruff_bin; print(find_ruff_bin())"],
        capture_output=True,
        text=True,
        check=True,
        cwd=str(tmp_path),
    ).stdout.strip()
    command = formatting._command("ruff")
    if formatting.shutil.which("ruff"):
        assert command == [formatting.shutil.which("ruff")]
    else:
        assert command == [found]
    # A ruff module from anywhere but this interpreter's site-packages (the scanned tree's own
    # ruff.py on sys.path): not trusted, python -I -m ruff as before.
    fake = tmp_path / "ruff.py"
    fake.write_text("")
    other = importlib.util.spec_from_file_location("ruff", str(fake))
    assert formatting._installed_ruff(other) is None
