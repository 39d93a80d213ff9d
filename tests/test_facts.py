"""The project facts pass (codemods/facts/): what tests and other modules know about a
module, and how share-session consults it. Behaviour (the package's own tests, a server):
test_facts_behaviour.py."""

from __future__ import annotations

import os
import pickle
import random
import textwrap
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from click.testing import CliRunner

from codemods import facts
from codemods.cli import command
from codemods.discover import discover
from tests.helpers import cli_sites, make_project

MOD = """\
import requests


def fetch(url):
    return requests.get(url)


def send(url):
    return requests.post(url, data="x")
"""


make = make_project


def collect(root: Path) -> facts.ProjectFacts:
    found = discover([str(root)], [])
    return facts.collect(found.files, found.roots)


def sites(root: Path, *args: str) -> Dict[str, List[Tuple[int, str, str]]]:
    """{path relative to root: [(line, action, reason)]} of a share-session --check run
    (``module`` scope: the facts decide as under ``package``, and no test's patch moves to a
    package's session, ``share/mockpatch.py``, tested in test_share_mockpatch.py)."""
    return cli_sites(root, "--select", "share-session", "--check", "--session-scope", "module", *args)


def reasons(root: Path, path: str = "pkg/mod.py", *args: str) -> List[str]:
    return [r for _, action, r in sites(root, *args).get(path, []) if action == "reported"]


# -- every mock form -----------------------------------------------------------------------

MOCK_FORMS = [
    # (test source, line of the mock, text in the reason, the verbs it covers)
    (
        'from unittest import mock\n\ndef test():\n    with mock.patch("pkg.mod.requests.get"):\n        pass\n',
        4,
        "mock.patch('pkg.mod.requests.get')",
        {"get"},
    ),
    (
        'from unittest.mock import patch\n\n@patch("pkg.mod.requests")\ndef test(m):\n    pass\n',
        3,
        "mock.patch('pkg.mod.requests')",
        {"get", "post"},
    ),
    (
        'import mock\n\ndef test():\n    with mock.patch("requests.post"):\n        pass\n',
        4,
        "mock.patch('requests.post')",
        {"post"},
    ),
    (
        'from unittest.mock import patch\n\ndef test():\n    with patch("requests.api.request"):\n        pass\n',
        4,
        "mock.patch('requests.api.request')",
        {"get", "post"},
    ),
    (
        'import requests\nfrom unittest import mock\n\n@mock.patch.object(requests, "get")\ndef test(m):\n    pass\n',
        4,
        "mock.patch.object(requests, 'get')",
        {"get"},
    ),
    (
        'def test(mocker):\n    mocker.patch("pkg.mod.requests.post")\n',
        2,
        "mocker.patch('pkg.mod.requests.post')",
        {"post"},
    ),
    (
        'import requests\n\ndef test(mocker):\n    mocker.patch.object(requests, "post")\n',
        4,
        "mocker.patch.object(requests, 'post')",
        {"post"},
    ),
    (
        'from pkg import mod\n\ndef test(monkeypatch):\n    monkeypatch.setattr(mod.requests, "get", lambda u: 1)\n',
        4,
        "monkeypatch.setattr(mod.requests, 'get')",
        {"get"},
    ),
    (
        'def test(monkeypatch):\n    monkeypatch.setattr("pkg.mod.requests.get", lambda u: 1)\n',
        2,
        "monkeypatch.setattr('pkg.mod.requests.get')",
        {"get"},
    ),
    (
        'from unittest import mock\n\ndef test():\n    with mock.patch.multiple("requests", get=1, post=2):\n        pass\n',
        4,
        "mock.patch.multiple('requests')",
        {"get", "post"},
    ),
    (
        'import pkg.mod\nfrom unittest import mock\n\n@mock.patch.object(pkg.mod, "requests")\ndef test(m):\n    pass\n',
        4,
        "mock.patch.object(pkg.mod, 'requests')",
        {"get", "post"},
    ),
]


@pytest.mark.parametrize("test_source,line,text,verbs", MOCK_FORMS, ids=[t for _, _, t, _ in MOCK_FORMS])
def test_each_mock_form_makes_the_calls_it_covers_reports(tmp_path, test_source, line, text, verbs):
    # (the test imports the module it tests: a global mock covers what the test can reach)
    test_source = "import pkg.mod  # noqa\n" + test_source
    line += 1
    root = make(tmp_path, {"pkg/mod.py": MOD, "tests/test_mod.py": test_source})
    found = {s[0]: s for s in sites(root)["pkg/mod.py"]}
    for verb, call_line in (("get", 5), ("post", 9)):
        line_, action, reason = found[call_line]
        if verb in verbs:
            assert action == "reported"
            assert reason == f"mocked by tests/test_mod.py:{line} ({text}); a shared session would bypass it"
        else:
            assert action == "fixed", reason


def test_a_mock_of_another_modules_binding_does_not_cover(tmp_path):
    test = 'from unittest import mock\n\n@mock.patch("pkg.other.requests")\ndef test(m):\n    pass\n'
    root = make(tmp_path, {"pkg/mod.py": MOD, "pkg/other.py": MOD, "tests/test_other.py": test})
    assert reasons(root, "pkg/mod.py") == []
    assert len(reasons(root, "pkg/other.py")) == 2


def test_a_mock_through_a_modules_requests_patches_it_for_what_the_test_reaches(tmp_path):
    """pkg.other.requests is the requests module: patching its get patches requests.get for
    every module while the test runs, so pkg.mod's calls too, which pkg.other imports; not
    those of pkg.third, which the test cannot reach by imports."""
    test = 'from unittest import mock\nfrom pkg import other\n\n@mock.patch("pkg.other.requests.get")\ndef test(m):\n    pass\n'
    other = "import requests\nfrom .mod import fetch\n"
    root = make(tmp_path, {"pkg/mod.py": MOD, "pkg/other.py": other, "pkg/third.py": MOD, "tests/test_other.py": test})
    assert reasons(root, "pkg/mod.py") == [
        "mocked by tests/test_other.py:4 (mock.patch('pkg.other.requests.get')); a shared session would bypass it"
    ]
    assert reasons(root, "pkg/third.py") == []


def test_a_global_mock_in_conftest_or_a_helper_covers_the_whole_project(tmp_path):
    conftest = 'import pytest\nfrom unittest import mock\n\n@pytest.fixture\ndef get():\n    with mock.patch("requests.get"):\n        yield\n'
    root = make(tmp_path, {"pkg/mod.py": MOD, "tests/conftest.py": conftest})
    assert len(reasons(root)) == 1
    root = make(tmp_path / "b", {"pkg/mod.py": MOD, "tests/helpers.py": conftest})
    assert len(reasons(root)) == 1
    root = make(tmp_path / "c", {"pkg/mod.py": MOD, "tests/test_unrelated.py": conftest})
    assert reasons(root) == []


def test_type_checking_imports_do_not_count():
    data = (
        b"from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import A\n\n    import pkg.b\n"
        b"else:\n    import pkg.c\nimport pkg.d\n"
    )
    assert facts.imported_modules(data, "") == ("pkg.c", "pkg.d", "typing.TYPE_CHECKING")


def test_imported_modules():
    data = (
        b"import a.b as c, d\nfrom . import sibling\nfrom ..up import (\n    x,\n    y as z,\n)\n"
        b"    from e.f import g  # comment\nfrom h import *\n"
    )
    assert facts.imported_modules(data, "pkg.sub") == (
        "a.b",
        "d",
        "e.f.g",
        "h",
        "pkg.sub.sibling",
        "pkg.up.x",
        "pkg.up.y",
    )


def test_from_import_binding_and_alias(tmp_path):
    mod = "from requests import get\nimport requests as rq\n\n\ndef f(u):\n    return get(u), rq.post(u)\n"
    test = (
        "from unittest import mock\n\n"
        "@mock.patch('pkg.mod.get')\n@mock.patch('pkg.mod.rq')\ndef test(a, b):\n    pass\n"
    )
    root = make(tmp_path, {"pkg/mod.py": mod, "tests/test_mod.py": test})
    assert [r.split(";")[0] for r in reasons(root)] == [
        "mocked by tests/test_mod.py:3 (mock.patch('pkg.mod.get'))",
        "mocked by tests/test_mod.py:4 (mock.patch('pkg.mod.rq'))",
    ]


def test_src_layout_and_relative_imports(tmp_path):
    test = "from unittest import mock\nfrom . import helpers\n\n@mock.patch('pkg.mod.requests.get')\ndef test(m):\n    pass\n"
    root = make(
        tmp_path,
        {
            "src/pkg/__init__.py": "",
            "src/pkg/mod.py": MOD,
            "tests/__init__.py": "",
            "tests/helpers.py": "",
            "tests/test_mod.py": test,
        },
    )
    assert len(reasons(root, "src/pkg/mod.py")) == 1


@pytest.mark.parametrize(
    "test_source",
    [
        # intercept a shared Session as well as a bare call: not a reason to leave a call alone
        "from unittest import mock\n\n@mock.patch('requests.Session.request')\ndef test(m):\n    pass\n",
        "from unittest import mock\n\n@mock.patch('requests.adapters.HTTPAdapter.send')\ndef test(m):\n    pass\n",
        "import responses\n\n@responses.activate\ndef test():\n    responses.add(responses.GET, 'http://x/')\n",
        "import requests_mock\n\ndef test():\n    with requests_mock.Mocker() as m:\n        m.get('http://x/')\n",
        # a temporary mock of requests.Session: bare calls build requests.sessions.Session
        "from unittest import mock\n\n@mock.patch('requests.Session')\ndef test(m):\n    pass\n",
        "from unittest import mock\nimport os\n\ndef test():\n    with mock.patch.dict(os.environ, {'TOKEN': 'x'}):\n        pass\n",
        "from unittest import mock\n\nclass T:\n    get = mock.patch('pkg.other.thing.get')\n",
    ],
    ids=["Session.request", "HTTPAdapter.send", "responses", "requests_mock", "Session-mock", "env-token", "other"],
)
def test_forms_that_still_intercept_or_do_not_matter(tmp_path, test_source):
    root = make(tmp_path, {"pkg/mod.py": MOD, "tests/test_mod.py": test_source})
    assert reasons(root) == []


def test_plain_assignments_anywhere_are_swaps(tmp_path):
    conftest = textwrap.dedent(
        """\
        import pytest
        import requests


        class FakeHttp:
            requests.get = staticmethod(lambda *a, **k: None)


        @pytest.fixture(autouse=True)
        def swap():
            requests.post = lambda *a, **k: None
        """
    )
    root = make(tmp_path, {"pkg/mod.py": MOD, "tests/conftest.py": conftest})
    assert reasons(root) == [
        "requests.get = ... at tests/conftest.py:6 replaces requests.get at run time; a shared client "
        "would bypass the replacement",
        "requests.post = ... at tests/conftest.py:11 replaces requests.post at run time; a shared client "
        "would bypass the replacement",
    ]


def test_an_attribute_of_a_local_object_is_not_a_swap(tmp_path):
    other = "def run(task, self):\n    task.requests.headers = {}\n    self.requests.get = None\n"
    root = make(tmp_path, {"pkg/mod.py": MOD, "pkg/other.py": other})
    assert reasons(root) == []


def test_a_session_swap_or_setattr_covers_every_call(tmp_path):
    app = "import requests\n\n\nclass Audited(requests.Session):\n    pass\n\n\nrequests.Session = Audited\n"
    root = make(tmp_path, {"pkg/mod.py": MOD, "pkg/audit.py": app})
    assert [r.split(" at ")[0] for r in reasons(root)] == ["requests.Session = ...", "requests.Session = ..."]
    setter = (
        "import requests\n\ndef install():\n    for verb in ('get', 'post'):\n        setattr(requests, verb, None)\n"
    )
    root = make(tmp_path / "b", {"pkg/mod.py": MOD, "pkg/audit.py": setter})
    assert all("cannot read" in r and "pkg/audit.py:5" in r for r in reasons(root)) and len(reasons(root)) == 2


def test_an_unsettled_patch_is_reported_with_that_reason(tmp_path):
    test = "import requests\nfrom unittest import mock\nimport pkg.mod\n\ndef test(target):\n    with mock.patch(target):\n        pass\n"
    root = make(tmp_path, {"pkg/mod.py": MOD, "tests/test_mod.py": test})
    assert (
        reasons(root)
        == [
            "mock.patch(target) at tests/test_mod.py:6 patches a target the facts pass cannot read; it may be "
            "this call, which a shared client would bypass"
        ]
        * 2
    )


@pytest.mark.parametrize(
    "target, settled",
    [
        ('f"os.{name}"', True),  # pyicloud's conftest: only ever an attribute of os
        ('"shutil." + name', True),
        ('f"urllib.request.{name}"', False),  # urlopen lives there
        ('f"http.client.{name}"', False),
        ('f"{base}.get"', False),
        ('f"pkg.mod.{name}"', False),  # the project's module: may be its binding of requests
        ('f"os{name}"', False),  # no dot yet: any top-level module
    ],
)
def test_a_patch_readable_only_up_to_a_stdlib_module_cannot_replace_a_library(tmp_path, target, settled):
    test = (
        "import requests\nfrom unittest import mock\nimport pkg.mod\n\n"
        f"def test(name, base):\n    with mock.patch({target}):\n        pass\n"
    )
    root = make(tmp_path, {"pkg/mod.py": MOD, "tests/test_mod.py": test})
    assert (reasons(root) == []) is settled, reasons(root)


def test_an_unsettled_patch_uses_the_files_strings(tmp_path):
    test = textwrap.dedent(
        """\
        import pytest
        from unittest import mock

        @pytest.mark.parametrize("target", ["pkg.mod.requests.post", "os.getcwd"])
        def test(target):
            with mock.patch(target):
                pass
        """
    )
    root = make(tmp_path, {"pkg/mod.py": MOD, "tests/test_mod.py": test})
    found = {line: (action, reason) for line, action, reason in sites(root)["pkg/mod.py"]}
    assert found[5][0] == "fixed"
    assert found[9] == (
        "reported",
        "mocked by tests/test_mod.py:4 ('pkg.mod.requests.post', a string of a file "
        "that patches names it cannot read); a shared session would bypass it",
    )


def test_a_patch_with_constant_targets_is_settled(tmp_path):
    test = 'from unittest import mock\nMOD = "pkg.mod"\n\n@mock.patch(f"{MOD}.requests.get")\ndef test(m):\n    pass\n'
    root = make(tmp_path, {"pkg/mod.py": MOD, "tests/test_mod.py": test})
    assert reasons(root) == [
        "mocked by tests/test_mod.py:4 (mock.patch(f'{MOD}.requests.get')); a shared session would bypass it"
    ]


def test_an_annotated_constant_target_is_settled_and_a_rebound_one_is_not(tmp_path):
    # pyicloud's conftest: ``BUILTINS_OPEN: str = "builtins.open"``; patching it covers nothing.
    test = 'from unittest import mock\nOPEN: str = "builtins.open"\n\n@mock.patch(OPEN)\ndef test(m):\n    pass\n'
    root = make(tmp_path, {"pkg/mod.py": MOD, "tests/test_mod.py": test})
    assert reasons(root) == []
    rebound = test.replace("\n\n@mock", '\nOPEN = "pkg.mod.requests.get" if m else OPEN\n\n@mock')
    rebound = "import requests\n" + rebound
    root = make(tmp_path / "b", {"pkg/mod.py": MOD, "tests/test_mod.py": rebound})
    assert reasons(root) and all("cannot read" in r for r in reasons(root)), reasons(root)


def test_requests_cache_elsewhere_keeps_bare_calls_under_module_scope_only(tmp_path):
    cache = "import requests_cache\n\n\ndef caching(on):\n    if on:\n        requests_cache.install_cache('c')\n"
    root = make(tmp_path, {"pkg/mod.py": MOD, "pkg/cache.py": cache})
    assert (
        reasons(root)
        == ["requests_cache.install_cache at pkg/cache.py:6 patches bare calls; a shared Session would not be cached"]
        * 2
    )
    # A function-scope session is made when the function runs, after install_cache replaced
    # requests.Session: it is cached as the bare call was.
    loop = "import requests\n\n\ndef f(urls):\n    for u in urls:\n        requests.get(u)\n"
    root = make(tmp_path / "b", {"pkg/mod.py": loop, "pkg/cache.py": cache})
    assert reasons(root, "pkg/mod.py", "--session-scope", "function") == []


def test_environment_writes_elsewhere_report_httpx_module_clients(tmp_path):
    mod = "import httpx\n\n\ndef f(u):\n    return httpx.get(u)\n"
    env = "import os\n\n\ndef setup():\n    os.environ['HTTPS_PROXY'] = 'http://proxy'\n    os.environ['TOKEN'] = 'x'\n"
    root = make(tmp_path, {"pkg/mod.py": mod, "pkg/env.py": env})
    assert reasons(root) == [
        "os.environ['HTTPS_PROXY'] = ... at pkg/env.py:5 may change proxy or SSL variables; an httpx client "
        "made at import reads them once, a bare call when it runs"
    ]
    env = "import os\n\n\ndef setup():\n    os.environ['TOKEN'] = 'x'\n"
    root = make(tmp_path / "b", {"pkg/mod.py": mod, "pkg/env.py": env})
    assert reasons(root) == []


def test_projects_do_not_share_facts(tmp_path):
    test = 'from unittest import mock\nimport pkg.mod\n\n@mock.patch("requests.get")\ndef test(m):\n    pass\n'
    make(tmp_path / "a", {"pkg/mod.py": MOD, "tests/test_mod.py": test})
    make(tmp_path / "b", {"pkg/mod.py": MOD})
    found = sites(tmp_path)
    assert [a for _, a, _ in found["a/proj/pkg/mod.py"]] == ["reported", "fixed"]
    assert [a for _, a, _ in found["b/proj/pkg/mod.py"]] == ["fixed", "fixed"]


# -- declared bounds -----------------------------------------------------------------------

VERIFY = "import requests\n\n\ndef f(u, **kw):\n    return requests.get(u, verify=False), requests.get(u, **kw)\n"


@pytest.mark.parametrize(
    "files,fixed",
    [
        ({"pyproject.toml": '[project]\nname = "p"\ndependencies = ["requests>=2.32.3"]\n'}, True),
        ({"pyproject.toml": '[project]\nname = "p"\ndependencies = ["requests>=2.28"]\n'}, False),
        ({"pyproject.toml": '[project]\nname = "p"\ndependencies = ["requests"]\n'}, False),
        (
            {
                "pyproject.toml": '[project]\nname = "p"\n[project.optional-dependencies]\nhttp = ["Requests[socks]~=2.32.0"]\n'
            },
            True,
        ),
        ({"pyproject.toml": '[tool.poetry]\nname = "p"\n[tool.poetry.dependencies]\nrequests = "^2.32"\n'}, True),
        (
            {
                "pyproject.toml": '[tool.poetry]\nname = "p"\n[tool.poetry.dependencies]\nrequests = {version = "^2.31"}\n'
            },
            False,
        ),
        (
            {"setup.cfg": "[options]\ninstall_requires =\n    click\n    requests >= 2.32 ; python_version >= '3.8'\n"},
            True,
        ),
        (
            {"setup.py": "from setuptools import setup\nDEPS = ['requests==2.32.*']\nsetup(install_requires=DEPS)\n"},
            True,
        ),
        ({"setup.py": "from setuptools import setup\nsetup(install_requires=['requests<3'])\n"}, False),
        ({"requirements.txt": "# pinned\nrequests==2.32.3 --hash=sha256:abc\n-r other.txt\n"}, True),
        ({"requirements.txt": "requests>=2.32\n", "requirements/dev.txt": "requests==2.31.0\n"}, False),
        ({}, False),
    ],
    ids=[
        "pyproject",
        "pyproject-old",
        "unbounded",
        "optional",
        "poetry",
        "poetry-old",
        "setup.cfg",
        "setup.py",
        "setup.py-upper",
        "requirements",
        "requirements-dir-weaker",
        "none",
    ],
)
def test_declared_requests_bounds_lift_the_cve_reports(tmp_path, files, fixed):
    root = make(tmp_path, {"pkg/mod.py": VERIFY, **files})
    found = [a for _, a, _ in sites(root)["pkg/mod.py"]]
    assert found == (["fixed", "fixed"] if fixed else ["reported", "reported"])


def test_lower_bound():
    assert facts.lower_bound_at_least(">=2.32", "2.32")
    assert facts.lower_bound_at_least(">=2.0,>=2.32.1", "2.32")
    assert facts.lower_bound_at_least("==2.32.*", "2.32")
    assert not facts.lower_bound_at_least("", "2.32")
    assert not facts.lower_bound_at_least("<2.40", "2.32")
    assert not facts.lower_bound_at_least("!=2.31", "2.32")
    assert not facts.lower_bound_at_least("~=2.31", "2.32")
    assert not facts.lower_bound_at_least("garbage", "2.32")


def test_version_specifier_of_the_requests_version_option():
    assert facts.version_specifier(">=2.32") == ">=2.32"
    assert facts.version_specifier(" 2.31.0 ") == "==2.31.0"
    assert facts.version_specifier("~=2.32.3,<3") == "~=2.32.3,<3"
    for bad in ("", "new", ">=2.32; rm -rf /", "2.32 or later"):
        with pytest.raises(ValueError, match="invalid requests-version"):
            facts.version_specifier(bad)


def test_poetry_specifier():
    assert facts.poetry_specifier("^2.32") == ">=2.32"
    assert facts.poetry_specifier("~2.32.1") == ">=2.32.1"
    assert facts.poetry_specifier("2.32.0") == "==2.32.0"
    assert facts.poetry_specifier("*") == ""
    assert facts.poetry_specifier(">=2.31,<3") == ">=2.31,<3"


def test_module_names():
    assert facts.module_names("/p/src/pkg/mod.py", "/p") == ["mod", "pkg.mod", "src.pkg.mod"]
    assert facts.module_names("/p/pkg/__init__.py", "/p") == ["pkg"]
    assert facts.module_names("/p/my-scripts/run.py", "/p") == ["run"]


# -- the data: deterministic, picklable, a stable cache key ----------------------------------


def _busy(tmp_path: Path) -> Path:
    return make(
        tmp_path,
        {
            "pkg/mod.py": MOD,
            "pkg/cache.py": "import requests_cache\nrequests_cache.install_cache()\n",
            "tests/test_a.py": MOCK_FORMS[0][0],
            "tests/test_b.py": MOCK_FORMS[4][0],
            "tests/conftest.py": "import requests\nrequests.post = None\n",
            "requirements.txt": "requests>=2.20\n",
        },
    )


def test_facts_are_deterministic_and_picklable(tmp_path):
    root = _busy(tmp_path)
    found = discover([str(root)], [])
    one = facts.collect(found.files, found.roots)
    shuffled = list(found.files)
    random.Random(1).shuffle(shuffled)
    two = facts.collect(shuffled, found.roots)
    assert one == two and one.patches and one.changes and one.bounds
    assert list(one.patches) == sorted(one.patches)
    again = pickle.loads(pickle.dumps(one))
    assert again == one and again.__cache_key__() == one.__cache_key__()
    assert one.__cache_key__() == two.__cache_key__()


def test_the_cache_key_changes_with_the_facts(tmp_path):
    root = _busy(tmp_path)
    before = collect(root).__cache_key__()
    assert before == collect(root).__cache_key__()
    (root / "tests" / "test_c.py").write_text("from unittest import mock\nmock.patch('requests.put')\n")
    assert collect(root).__cache_key__() != before
    assert facts.EMPTY.__cache_key__() == facts.ProjectFacts().__cache_key__()


def test_jobs_give_identical_output(tmp_path):
    root = _busy(tmp_path)
    for i in range(6):
        (root / "pkg" / f"m{i}.py").write_text(MOD)
    assert sites(root, "-j", "1") == sites(root, "-j", "3")


# -- the pass runs only when needed; stdin -------------------------------------------------


def test_the_pass_runs_only_for_codemods_that_consult_it(tmp_path, monkeypatch):
    root = _busy(tmp_path)
    calls = []
    real = facts.collect
    monkeypatch.setattr(facts, "collect", lambda *a, **k: calls.append(1) or real(*a, **k))
    runner = CliRunner()
    result = runner.invoke(command, ["--select", "add-timeout", "--check", "-j", "1", str(root)])
    assert result.exit_code in (0, 1) and calls == []
    result = runner.invoke(command, ["--select", "share-session", "--check", "-j", "1", str(root)])
    assert result.exit_code in (0, 1) and calls == [1]


def test_stdin_uses_the_facts_of_the_project_around_the_filename(tmp_path):
    root = _busy(tmp_path)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(
            command, ["--select", "share-session", "--check", "--stdin-filename", "pkg/mod.py", "-"], input=MOD
        )
        assert result.exit_code == 1
        assert "mocked by tests/test_a.py:4" in result.stderr
        outside = CliRunner().invoke(command, ["--select", "share-session", "--check", "-"], input=MOD)
        assert "mocked" not in outside.stderr
    finally:
        os.chdir(cwd)


def test_a_run_on_part_of_a_project_reads_the_whole_project(tmp_path):
    """pre-commit names single files; ``http-codemods src/``: the tests elsewhere in the
    project still patch what the run rewrites."""
    root = make(tmp_path, {"pkg/mod.py": MOD, "tests/test_mod.py": MOCK_FORMS[0][0]})
    for named in ("pkg", "pkg/mod.py"):
        cwd = os.getcwd()
        os.chdir(root)
        try:
            result = CliRunner().invoke(command, ["--select", "share-session", "--check", "-j", "1", named])
        finally:
            os.chdir(cwd)
        assert "pkg/mod.py:5:12: share-session: mocked by tests/test_mod.py:4" in result.stdout, result.stdout


TRICKY = """\
import pytest
try:
    from unittest import mock
except ImportError:
    import mock
from pkg import mod as m


class TestX:
    @pytest.fixture
    def thing(self):
        return 1

    @mock.patch(
        "pkg.mod.requests.get",
    )
    def test_a(self, get):
        def inner():
            with mock.patch.object(
                m.requests,
                "post",
            ):
                pass
        inner()


def helper(value):
    match value:
        case 1:
            m.requests.put = None
        case _:
            pass
    try:
        pass
    except ValueError:
        import requests
        requests.delete = None
"""


def test_walking_only_candidate_statements_finds_what_a_full_walk_finds(tmp_path, monkeypatch):
    root = make(tmp_path, {"pkg/mod.py": MOD, "tests/test_tricky.py": TRICKY})
    pruned = collect(root)
    monkeypatch.setattr(facts, "candidate_lines", lambda data: None)
    full = collect(root)
    assert pruned == full
    assert sorted((p.target, p.kind) for p in pruned.patches) == [
        ("pkg.mod.requests.get", "mock"),
        ("pkg.mod.requests.post", "mock"),
        ("pkg.mod.requests.put", "assign"),
        ("requests.delete", "assign"),
    ]


def test_files_without_patching_words_are_not_parsed(tmp_path):
    root = make(tmp_path, {"pkg/mod.py": MOD, "pkg/plain.py": "import os\nprint(os.environ['HOME'])\n"})
    assert collect(root).parsed == 0
    assert facts.worth_parsing(b"os.environ['HTTPS_PROXY'] = 'x'\n")
    assert facts.worth_parsing(b"requests.get = fake\n")
    assert not facts.worth_parsing(b"if requests.get(url) == 1: pass\n")


LAZY_INIT = (
    "import importlib\nfrom typing import TYPE_CHECKING, Any\n\nif TYPE_CHECKING:\n    from pkg.remote import Remote\n\n"
    "_module_lookup = {'Remote': 'pkg.remote'}\n\n\n"
    "def __getattr__(name: str) -> Any:\n    return getattr(importlib.import_module(_module_lookup[name]), name)\n"
)
LAZY_REMOTE = "import requests\n\n\nclass Remote:\n    def get(self, u):\n        return requests.post(u)\n"
LAZY_TEST = "from unittest import mock\n\nfrom pkg import Remote\n\n\n@mock.patch('requests.post')\ndef test(m):\n    Remote().get('u')\n"


@pytest.mark.parametrize(
    "init",
    [
        LAZY_INIT,
        # no table, no TYPE_CHECKING import: any module of the package may be loaded
        "import importlib\n\n\ndef __getattr__(name):\n    return importlib.import_module(f'.{name.lower()}', __name__)\n",
    ],
)
def test_a_package_that_imports_its_modules_by_name_reaches_them_all(tmp_path, init):
    """langchain-community's packages import their modules only under ``if TYPE_CHECKING:``
    and load them at run time through a module-level ``__getattr__`` and
    ``importlib.import_module``: a test importing the package reaches every module it can load,
    so a global mock made there covers their calls (7 of its tests failed when it did not)."""
    root = make(tmp_path, {"pkg/__init__.py": init, "pkg/remote.py": LAZY_REMOTE, "tests/test_remote.py": LAZY_TEST})
    assert [r.split(";")[0] for r in reasons(root, "pkg/remote.py")] == [
        "mocked by tests/test_remote.py:6 (mock.patch('requests.post'))"
    ]


def test_type_checking_imports_count_in_a_module_that_imports_by_name():
    data = (
        b"import importlib\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import A\n\n"
        b"def __getattr__(name):\n    return importlib.import_module('pkg.b')\n"
    )
    found = facts.imported_modules(data, "pkg")
    # lazy names: followed only from an import of the module by its own name
    assert "~pkg.a.A" in found and "~pkg.b" in found and "pkg.a.A" not in found
    assert "@A=pkg.a" in found  # ``from pkg import A`` loads pkg.a


def test_importing_a_submodule_of_a_lazy_package_does_not_reach_its_siblings(tmp_path):
    """``import pkg.other`` runs ``pkg/__init__.py`` but never its ``__getattr__``: the modules
    it would load by name are not reached (langchain-community kept 170 fixes this way)."""
    other = "import requests\n\n\ndef g(u):\n    return requests.post(u)\n"
    test = "from unittest import mock\n\nimport pkg.other\n\n\n@mock.patch('requests.post')\ndef test(m):\n    pkg.other.g('u')\n"
    root = make(
        tmp_path,
        {
            "pkg/__init__.py": LAZY_INIT,
            "pkg/remote.py": LAZY_REMOTE,
            "pkg/other.py": other,
            "tests/test_other.py": test,
        },
    )
    assert reasons(root, "pkg/remote.py") == []
    assert [r.split(";")[0] for r in reasons(root, "pkg/other.py")] == [
        "mocked by tests/test_other.py:6 (mock.patch('requests.post'))"
    ]


# -- reach: statements only, real module names, one lazy name per from-import (issue 11) -----


def test_imports_in_docstrings_and_strings_do_not_count():
    data = (
        b'"""Use it:\n\n    from pkg.doc import A\n    import pkg.doc2\n"""\nimport pkg.real\n'
        b"X = '''\nfrom pkg.s import B\n'''\n# import pkg.comment\ns = \"it's \\\"\"\"\"\nimport pkg.after\n"
        b"def f():\n    r'''raw\n    import pkg.raw\n    '''\n    from pkg.inner import C\n"
        b"from pkg.list import (  # noqa: E501\n    D,  # noqa: F401\n    E as F,\n)\n"
        b"from pkg.cont import \\\n    G\nimport pkg.one, \\\n    pkg.two\n"
    )
    assert facts.imported_modules(data, "") == (
        "pkg.after",
        "pkg.cont.G",
        "pkg.inner.C",
        "pkg.list.D",
        "pkg.list.E",
        "pkg.one",
        "pkg.real",
        "pkg.two",
    )


def test_docstring_imports_match_the_ast_on_this_projects_own_files():
    """The byte screen finds the import statements ``ast`` finds (no more: strings are left out;
    no fewer: a string that the screen misreads would hide a real import)."""
    import ast

    root = Path(facts.__file__).resolve().parents[2]
    for path in sorted((root / "codemods").rglob("*.py")) + sorted((root / "tests").glob("test_*.py")):
        data = path.read_bytes()
        package = ".".join(path.parent.relative_to(root).parts)
        expected = set()
        for node in ast.walk(ast.parse(data)):
            if isinstance(node, ast.Import):
                expected.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                module = ".".join(base + ([node.module] if node.module else []))
                expected.update(f"{module}.{a.name}" if a.name != "*" else module for a in node.names)
        found = {n for n in facts.imported_modules(data, package) if not n.startswith(("~", "@"))}
        assert found == expected, path


def test_a_test_importing_a_third_party_package_does_not_reach_a_module_of_that_name(tmp_path):
    """``import openai`` in a test is the library, not the project's ``pkg/openai.py``: only a
    module's real dotted name from the project's import roots names it (langchain-community's
    ``langchain_community/embeddings/openai.py`` was reached from every ``import openai``)."""
    test = "from unittest import mock\nimport openai\n\n\n@mock.patch('requests.get')\ndef test(m):\n    pass\n"
    root = make(tmp_path, {"pkg/openai.py": MOD, "tests/test_o.py": test})
    assert reasons(root, "pkg/openai.py") == []
    # by its real name it is reached
    (root / "tests/test_o.py").write_text(test.replace("import openai", "import pkg.openai"))
    assert len(reasons(root, "pkg/openai.py")) == 1


@pytest.mark.parametrize(
    "files, imported",
    [
        ({"src/pkg/__init__.py": "", "src/pkg/mod.py": MOD}, "pkg.mod"),  # src layout
        ({"lib/pkg/__init__.py": "", "lib/pkg/mod.py": MOD, "pytest.ini": "[pytest]\npythonpath = lib\n"}, "pkg.mod"),
        ({"tests/helper.py": MOD}, "helper"),  # a test's sibling: pytest puts its basedir on sys.path
        ({"tests/__init__.py": "", "tests/helper.py": MOD}, "tests.helper"),  # a package of tests
        ({"pkg/mod.py": MOD}, "pkg.mod"),
    ],
    ids=["src", "pytest-pythonpath", "test-basedir", "tests-package", "top-level"],
)
def test_a_modules_names_come_from_the_projects_import_roots(tmp_path, files, imported):
    test = f"from unittest import mock\nimport {imported}\n\n\n@mock.patch('requests.get')\ndef test(m):\n    pass\n"
    root = make(tmp_path, {**files, "tests/test_it.py": test})
    path = next(p for p in files if p.endswith(("mod.py", "helper.py")))
    real = os.path.realpath(root / path)
    found = collect(root)
    assert imported in found.names_of(real, str(root))
    assert real in found.reachable(os.path.realpath(root / "tests/test_it.py"))
    assert "mod" not in found.names_of(real, str(root)) or imported == "mod"


def test_a_project_that_changes_sys_path_keeps_every_suffix(tmp_path):
    """``sys.path.insert`` somewhere (a conftest, a helper) may make any directory a root: the
    pass cannot settle the names, so every suffix counts (a Sphinx ``conf.py`` never runs in a
    test session and does not count)."""
    conftest = "import os, sys\nsys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'pkg'))\n"
    test = "from unittest import mock\nimport mod\n\n\n@mock.patch('requests.get')\ndef test(m):\n    pass\n"
    root = make(tmp_path, {"pkg/mod.py": MOD, "tests/test_it.py": test, "docs/conf.py": conftest})
    assert reasons(root) == []
    (root / "tests/conftest.py").write_text(conftest)
    assert len(reasons(root)) == 1


LAZY_INIT_FUNCS = (
    "from typing import Any\n\n\ndef _import_remote():\n    from pkg.remote import Remote\n\n    return Remote\n\n\n"
    "def _import_other():\n    from pkg.other import Other\n\n    return Other\n\n\n"
    "def __getattr__(name: str) -> Any:\n    if name == 'Remote':\n        return _import_remote()\n"
    "    elif name == 'Other':\n        return _import_other()\n    raise AttributeError(name)\n"
)
OTHER = "import requests\n\n\nclass Other:\n    def get(self, u):\n        return requests.post(u)\n"


@pytest.mark.parametrize("init", [LAZY_INIT, LAZY_INIT_FUNCS], ids=["table", "import-functions"])
def test_from_a_lazy_package_import_x_reaches_only_the_module_of_x(tmp_path, init):
    """``from pkg import Remote`` calls the package's ``__getattr__('Remote')``, which loads
    ``pkg.remote`` only: a global mock in that test does not cover ``pkg.other``'s calls."""
    other_init = init.replace("'pkg.remote'}", "'pkg.remote', 'Other': 'pkg.other'}")
    files = {"pkg/__init__.py": other_init, "pkg/remote.py": LAZY_REMOTE, "pkg/other.py": OTHER}
    root = make(tmp_path, {**files, "tests/test_remote.py": LAZY_TEST})
    assert len(reasons(root, "pkg/remote.py")) == 1
    assert reasons(root, "pkg/other.py") == []
    # a name the table does not give, or the package by its own name: anything it may load
    for line in ("from pkg import Unknown", "import pkg"):
        (root / "tests/test_remote.py").write_text(LAZY_TEST.replace("from pkg import Remote", line))
        assert len(reasons(root, "pkg/other.py")) == 1, line


def test_the_reason_names_the_mock_that_targets_the_site(tmp_path):
    """Of several mocks that cover a call, the reason names the one aimed at its module: a patch
    of its own binding, then one made by a test that imports it, not the first in the tree."""
    other = "import pkg.mod\n"
    far = "from unittest import mock\nimport pkg.other\n\n\n@mock.patch('requests.get')\ndef test(m):\n    pass\n"
    near = "from unittest import mock\nimport pkg.mod\n\n\n@mock.patch('requests.get')\ndef test(m):\n    pass\n"
    own = "from unittest import mock\n\n\n@mock.patch('pkg.mod.requests.post')\ndef test(m):\n    pass\n"
    root = make(
        tmp_path,
        {
            "pkg/mod.py": MOD,
            "pkg/other.py": other,
            "tests/test_a.py": far,
            "tests/test_b.py": near,
            "tests/test_c.py": own,
        },
    )
    got = [r.split(";")[0] for r in reasons(root)]
    assert got == [
        "mocked by tests/test_b.py:5 (mock.patch('requests.get'))",
        "mocked by tests/test_c.py:4 (mock.patch('pkg.mod.requests.post'))",
    ]


@pytest.mark.parametrize(
    "form, stand_in",
    [
        ("@mock.patch('requests.Session')", False),
        ("@mock.patch('requests.Session', autospec=True)", False),
        ("@mock.patch.object(requests, 'Session')", False),
        ("@mock.patch('requests.Session', FakeSession)", True),
        ("@mock.patch('requests.Session', new=FakeSession)", True),
        ("@mock.patch('requests.Session', new_callable=FakeSession)", True),
        ("@mock.patch('requests.Session', spec=FakeSession)", True),
        ("@mock.patch.object(requests, 'Session', FakeSession)", True),
        ("@mock.patch('requests.Session', **options)", True),
        ("@mock.patch('requests.Session', return_value=FakeSession())", True),
        ("@mock.patch('requests.Session', side_effect=[FakeSession()])", True),
        ("@mock.patch('requests.Session', return_value=mock.MagicMock())", False),
        ("@mock.patch('requests.Session', side_effect=requests.ConnectionError)", False),
    ],
)
def test_a_patch_knows_whether_the_test_chose_the_replacement(tmp_path, form, stand_in):
    """close-client's ``contextlib.closing`` fix calls ``close()`` on the replacement: safe on
    the MagicMock ``patch`` makes, unsafe on an object the test chose."""
    test = f"import requests\nfrom unittest import mock\n\n\n{form}\ndef test_it(session):\n    pass\n"
    root = make(tmp_path, {"pkg/mod.py": MOD, "tests/test_mod.py": test})
    found = [p for p in collect(root).patches if p.target == "requests.Session"]
    assert [p.stand_in for p in found] == [stand_in], found


@pytest.mark.parametrize(
    "body, stand_in",
    [
        ("session.return_value = FakeSession()", True),
        ("session.return_value.get.side_effect = fake_get", True),
        ("session.return_value.get.return_value = mock.Mock(status_code=200)", False),
        ("session.return_value.status_code = 200", False),
        ("session.return_value.json.return_value = {'a': 1}", False),
        ("session.return_value.iter_content.return_value = chunks()", False),
        ("other = mock.MagicMock()\n    session.return_value = other", False),
    ],
)
def test_a_mock_whose_result_the_test_sets_is_a_stand_in(tmp_path, body, stand_in):
    """The code gets what the test put in ``return_value``/``side_effect``: an object of its
    own may lack ``close()``, which ``contextlib.closing`` calls."""
    test = (
        "import requests\nfrom unittest import mock\n\n\n@mock.patch('requests.Session')\n"
        f"def test_it(session):\n    {body}\n"
    )
    root = make(tmp_path, {"pkg/mod.py": MOD, "tests/test_mod.py": test})
    found = [p for p in collect(root).patches if p.target == "requests.Session"]
    assert [p.stand_in for p in found] == [stand_in], found


def test_the_per_facts_memos_keep_one_facts_object_alive_at_most():
    # review of the change: two id()-keyed memos were never cleared and kept every run's facts
    from codemods.facts import model

    for n in range(3):
        facts = model.ProjectFacts(projects=(f"/p{n}",))
        facts.project_of_real(f"/p{n}/a.py")
        facts.factory_words(f"/p{n}/a.py")
    assert len(model._PROJECT_OF) == 1 and len(model._FACTORY_WORDS) == 1


ENV_MOD = "import httpx\n\n\ndef f(u):\n    return httpx.get(u)\n"
CLEARS = "from unittest import mock\nimport os\n{imports}\n\n@mock.patch.dict(os.environ, {keys}, clear=True)\ndef test():\n    pass\n"


def test_a_test_clearing_the_environment_is_an_unsafe_fix(tmp_path):
    # clear=True removes the proxy variables the process had: right in the usual case (none).
    test = CLEARS.format(imports="import pkg.mod", keys="{'KAGGLE': 'x'}")
    root = make(tmp_path, {"pkg/__init__.py": "", "pkg/mod.py": ENV_MOD, "tests/test_mod.py": test})
    assert reasons(root) == [
        "mock.patch.dict(os.environ) at tests/test_mod.py:5 clears os.environ; fixable with --unsafe-fixes"
    ]
    ((_, action, reason),) = sites(root, "--unsafe-fixes")["pkg/mod.py"]
    assert action == "fixed"
    assert (
        "unsafe fix: mock.patch.dict(os.environ) at tests/test_mod.py:5 clears os.environ; an httpx client "
        "made at import keeps the proxy and SSL variables it read before" in reason
    )


def test_a_cleared_environment_naming_a_proxy_variable_stays_reported(tmp_path):
    for keys in ("{'HTTPS_PROXY': 'x'}", "KEYS"):  # a proxy key, keys unknown
        test = CLEARS.format(imports="import pkg.mod", keys=keys)
        root = make(tmp_path / keys[:4], {"pkg/__init__.py": "", "pkg/mod.py": ENV_MOD, "tests/test_mod.py": test})
        (reason,) = reasons(root, "pkg/mod.py", "--unsafe-fixes")
        assert "may change proxy or SSL variables" in reason


def test_a_scoped_environment_patch_covers_only_the_calls_its_test_reaches(tmp_path):
    # mock.patch.dict and monkeypatch.setenv are undone when the test ends: a test that does
    # not import the module cannot have its calls run under them.
    setenv = "def test(monkeypatch):\n    monkeypatch.setenv('HTTPS_PROXY', 'x')\n"
    for name, test in [("clear", CLEARS.format(imports="", keys="{'K': 'x'}")), ("setenv", setenv)]:
        root = make(tmp_path / name, {"pkg/__init__.py": "", "pkg/mod.py": ENV_MOD, "tests/test_other.py": test})
        assert [a for _, a, _ in sites(root, "--unsafe-fixes")["pkg/mod.py"]] == ["fixed"], name
        assert "unsafe" not in sites(root, "--unsafe-fixes")["pkg/mod.py"][0][2]
        reaching = "import pkg.mod\n" + test
        root = make(
            tmp_path / (name + "2"), {"pkg/__init__.py": "", "pkg/mod.py": ENV_MOD, "tests/test_mod.py": reaching}
        )
        assert reasons(root) != [], name
    # A write that lasts (os.environ[...] = ...) covers the whole project, reached or not.
    lasting = "import os\n\n\ndef test():\n    os.environ['HTTPS_PROXY'] = 'x'\n"
    root = make(tmp_path / "lasting", {"pkg/__init__.py": "", "pkg/mod.py": ENV_MOD, "tests/test_other.py": lasting})
    assert reasons(root, "pkg/mod.py", "--unsafe-fixes") != []


def test_a_scoped_environment_patch_covers_the_calls_a_conftest_fixture_hands_the_test(tmp_path):
    # The test does not import pkg.mod, but calls it through what conftest's fixture returns,
    # with the variable set: the fixture's module reaches the call.
    conftest = "import pytest\n\n\n@pytest.fixture\ndef fetch():\n    from pkg.mod import f\n\n    return f\n"
    setenv = "def test(monkeypatch, fetch):\n    monkeypatch.setenv('HTTPS_PROXY', 'x')\n    fetch('http://example.invalid')\n"
    clears = CLEARS.format(imports="", keys="{'K': 'x'}").replace("def test():", "def test(fetch):")
    for name, test, found in [("setenv", setenv, "may change proxy"), ("clear", clears, "clears os.environ")]:
        files = {
            "pkg/__init__.py": "",
            "pkg/mod.py": ENV_MOD,
            "tests/conftest.py": conftest,
            "tests/test_other.py": test,
        }
        root = make(tmp_path / name, files)
        ((_, action, reason),) = sites(root, "--unsafe-fixes")["pkg/mod.py"]
        assert found in reason, (name, action, reason)


def test_a_scoped_environment_patch_that_outlives_its_test_module_covers_every_call(tmp_path):
    # A session fixture's patch.dict is undone at the session's end, one made at the module's
    # top level when the test module is collected: other modules' tests run under them.
    fixture = (
        "import os\nfrom unittest import mock\n\nimport pytest\n\n\n@pytest.fixture(scope='session', autouse=True)\n"
        "def proxy():\n    with mock.patch.dict(os.environ, {'HTTPS_PROXY': 'x'}):\n        yield\n"
    )
    top = "import os\nfrom unittest import mock\n\nmock.patch.dict(os.environ, {'HTTPS_PROXY': 'x'}).start()\n"
    for name, test in [("session", fixture), ("top", top)]:
        root = make(tmp_path / name, {"pkg/__init__.py": "", "pkg/mod.py": ENV_MOD, "tests/test_other.py": test})
        (reason,) = reasons(root, "pkg/mod.py", "--unsafe-fixes")
        assert "may change proxy or SSL variables" in reason, name


def test_a_parametrized_environment_key_is_read_from_its_literal_values(tmp_path):
    test = (
        "import pytest\nimport pkg.mod\n\n\n@pytest.mark.parametrize('env', {values})\n"
        "def test(env, monkeypatch):\n    monkeypatch.setenv(env, '1')\n"
    )
    files = {"pkg/__init__.py": "", "pkg/mod.py": ENV_MOD}
    root = make(tmp_path / "a", {**files, "tests/test_mod.py": test.format(values="['CI', 'SSH_CONNECTION']")})
    assert reasons(root) == []
    root = make(tmp_path / "b", {**files, "tests/test_mod.py": test.format(values="['CI', 'HTTPS_PROXY']")})
    assert [r.split(" at ")[0] for r in reasons(root)] == ["monkeypatch.setenv(env, '1')"]
    root = make(tmp_path / "c", {**files, "tests/test_mod.py": test.format(values="NAMES")})
    assert reasons(root) != []
    indirect = test.format(values="['CI'], indirect=True")  # the test gets the fixture's value
    root = make(tmp_path / "d", {**files, "tests/test_mod.py": indirect})
    assert reasons(root) != []
    rebound = test.format(values="['CI']").replace("    monkeypatch", "    env = 'HTTP_' + env\n    monkeypatch")
    root = make(tmp_path / "e", {**files, "tests/test_mod.py": rebound})
    assert reasons(root) != []


def test_a_parametrized_environment_key_of_a_short_or_odd_row_is_unknown(tmp_path):
    # @parametrize("env,value", [("CI",), pytest.param(...)]): a row without the key's column
    # (pytest rejects it when it collects) or not a literal tuple: the key is unknown, and the
    # facts pass goes on (an IndexError there failed the whole run).
    test = (
        "import pytest\nimport pkg.mod\n\n\n@pytest.mark.parametrize('value,env', {rows})\n"
        "def test(env, value, monkeypatch):\n    monkeypatch.setenv(env, value)\n"
    )
    files = {"pkg/__init__.py": "", "pkg/mod.py": ENV_MOD}
    root = make(tmp_path / "a", {**files, "tests/test_mod.py": test.format(rows="[('1', 'CI'), ('2',)]")})
    assert [r.split(" at ")[0] for r in reasons(root)] == ["monkeypatch.setenv(env)"]
    root = make(tmp_path / "b", {**files, "tests/test_mod.py": test.format(rows="[pytest.param('1', 'CI')]")})
    assert [r.split(" at ")[0] for r in reasons(root)] == ["monkeypatch.setenv(env)"]
    root = make(tmp_path / "c", {**files, "tests/test_mod.py": test.format(rows="[('1', 'CI')]")})
    assert reasons(root) == []
