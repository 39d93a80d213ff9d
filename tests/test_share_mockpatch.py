"""share-session moves a test's patch of a bare call (``mock.patch("requests.post")``) onto
the package's shared session when it routes every call the patch intercepts there
(``share/mockpatch.py``); otherwise nothing changes and the calls stay reported."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from click.testing import CliRunner

from codemods.cli import command
from codemods.share import mockpatch
from codemods.share.package_client import render
from codemods.sites import MOVE_HINT
from tests.helpers import write

SEND = """\
    import requests


    def send(url, body):
        return requests.post(url, data=body).status_code
    """

TEST = textwrap.dedent("""\
    from unittest import mock

    from pkg.a import send


    @mock.patch("requests.post")
    def test_send(post):
        post.return_value.status_code = 204
        assert send("http://example.invalid/x", "b") == 204
        post.assert_called_once_with("http://example.invalid/x", data="b")
    """)

MOVED = '@mock.patch("pkg._http_client.session.post")'


def project(root: Path, **extra: str) -> Path:
    files = {
        "pyproject.toml": "",
        "pkg/__init__.py": "",
        "pkg/a.py": SEND,
        "tests/test_a.py": TEST,
    }
    files.update(extra)
    return write(root, {name: text for name, text in files.items() if text is not None})


def run(root: Path, *args: str, unsafe: bool = True):
    """The run (with ``--unsafe-fixes``, which the move needs, unless ``unsafe`` is False)."""
    flags = ["--unsafe-fixes"] if unsafe else []
    result = CliRunner().invoke(
        command, [str(root), "-j", "1", "--no-cache", "--select", "share-session", "--format", "json", *flags, *args]
    )
    assert result.exit_code in (0, 1), result.output
    return json.JSONDecoder().raw_decode(result.output[result.output.index("{") :])[0]


def sites(report, name):
    return [s for f in report["files"] if f["path"].endswith(name) for s in f["sites"]]


def pytest_passes(root: Path) -> bool:
    """The project's test, with every connection refused (a missed mock fails it)."""
    env = dict(os.environ, PYTHONPATH=str(root), HTTP_PROXY="http://127.0.0.1:9", NO_PROXY="")
    env.pop("PYTEST_ADDOPTS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return proc.returncode == 0


def test_the_patch_moves_with_the_calls_and_the_test_still_passes(tmp_path):
    root = project(tmp_path)
    assert pytest_passes(root)
    report = run(root)
    assert "_session.post(url, data=body)" in (root / "pkg/a.py").read_text()
    test = (root / "tests/test_a.py").read_text()
    assert MOVED in test and '"requests.post"' not in test
    assert len([f for f in report["files"] if f["path"].endswith("tests/test_a.py")]) == 1  # one result
    [moved] = sites(report, "tests/test_a.py")
    assert moved["action"] == "fixed" and "pkg._http_client.session.post" in moved["reason"]
    assert moved["safety"] == "unsafe" and "another library" in moved["hazard"]
    [call] = sites(report, "pkg/a.py")
    assert (call["action"], call["safety"]) == ("fixed", "unsafe") and "another library" in call["hazard"]
    assert pytest_passes(root)  # the mock still intercepts the call: no connection is made


def test_without_unsafe_fixes_nothing_moves_and_no_plan_is_made(tmp_path, monkeypatch):
    # The move is an unsafe fix: another library's requests.post made while the test runs was
    # intercepted by the old patch and is not by the moved one. A run that cannot apply it
    # makes no planning run (a second pass over the project) and reports the call as mocked.
    from codemods import engine

    planned = []
    real = engine._run_iter_cached
    monkeypatch.setattr(engine, "_run_iter_cached", lambda paths, s, j: planned.append(s) or real(paths, s, j))
    root = project(tmp_path)
    report = run(root, unsafe=False)
    assert all(s.facts is None or s.facts.transfers is None or not s.facts.transfers.planning for s in planned)
    assert (root / "tests/test_a.py").read_text() == TEST
    assert "requests.post(url, data=body)" in (root / "pkg/a.py").read_text()
    assert not (root / "pkg/_http_client.py").exists()
    assert sites(report, "tests/test_a.py") == []
    [call] = sites(report, "pkg/a.py")
    assert (call["action"], call["safety"]) == ("reported", None)
    assert call["reason"].startswith("mocked by") and "a shared session would bypass it" in call["reason"]
    assert report["totals"]["unsafe_fixable"] == 0, report["totals"]
    # Only the planning run knows whether the patch moves: the call says it may, apart.
    assert call["reason"].endswith("; " + MOVE_HINT), call["reason"]
    assert report["totals"]["unsafe_may_fix"] == 1, report["totals"]
    report = run(root, unsafe=True)  # the same project with --unsafe-fixes: planned and moved
    assert any(s.facts is not None and s.facts.transfers is not None and s.facts.transfers.planning for s in planned)
    [call] = sites(report, "pkg/a.py")
    assert (call["action"], call["safety"]) == ("fixed", "unsafe")


def test_without_unsafe_fixes_the_form_check_parses_no_test_module_again(tmp_path, monkeypatch):
    # The facts pass, which parsed the test module to record its patches, judged their form
    # (``Patch.movable``): the plan made before the hint reads the verdict, not the file again.
    import ast

    parsed = []

    class NoParse:
        def __getattr__(self, name):
            return getattr(ast, name)

        def parse(self, *args, **kwargs):
            parsed.append(args)
            raise AssertionError("mockpatch parsed a module")

    monkeypatch.setattr(mockpatch, "ast", NoParse())
    report = run(project(tmp_path), unsafe=False)
    [call] = sites(report, "pkg/a.py")
    assert call["reason"].endswith("; " + MOVE_HINT), call["reason"]
    assert report["totals"]["unsafe_may_fix"] == 1
    # A form the move cannot rewrite (a comment inside setattr's arguments), judged there too.
    test = SETATTR_TEST.replace("TARGET", 'a.requests,  # the module\n        "post"')
    report = run(project(tmp_path / "comment", **{"tests/test_a.py": test}), unsafe=False)
    [call] = sites(report, "pkg/a.py")
    assert call["reason"].startswith("mocked by") and MOVE_HINT not in call["reason"], call["reason"]
    assert report["totals"]["unsafe_may_fix"] == 0
    assert parsed == []


def test_without_unsafe_fixes_the_summary_line_counts_the_calls_the_move_may_fix(tmp_path):
    root = project(tmp_path)
    args = [str(root), "-j", "1", "--no-cache", "--select", "share-session", "--check"]
    result = CliRunner().invoke(command, args)
    assert result.exit_code in (0, 1), result.output
    last = result.output.strip().splitlines()[-1]
    assert last == "1 site mocked by tests may be fixed with --unsafe-fixes (it plans a move of their patches)", last
    assert MOVE_HINT in result.output
    markdown = CliRunner().invoke(command, [*args, "--format", "markdown"]).output
    assert "maybe, with `--unsafe-fixes`" in markdown and "1 of them is a call mocked by tests" in markdown


def test_without_unsafe_fixes_a_patch_of_another_form_says_nothing_of_a_move(tmp_path):
    # patch.object: the plan refuses it before the planning run (its form), so the run knows.
    test = TEST.replace("from unittest import mock\n", "from unittest import mock\n\nimport requests\n")
    test = test.replace('@mock.patch("requests.post")', '@mock.patch.object(requests, "post")')
    report = run(project(tmp_path, **{"tests/test_a.py": test}), unsafe=False)
    [call] = sites(report, "pkg/a.py")
    assert call["reason"].startswith("mocked by") and MOVE_HINT not in call["reason"]
    assert report["totals"]["unsafe_may_fix"] == 0


def test_without_unsafe_fixes_a_run_over_part_of_the_project_says_nothing_of_a_move(tmp_path):
    # The plan needs every file of the project (another may call requests.post).
    root = project(tmp_path)
    report = run(root / "pkg", unsafe=False)
    [call] = sites(report, "pkg/a.py")
    assert call["action"] == "reported" and MOVE_HINT not in call["reason"], call


def test_without_unsafe_fixes_a_call_the_move_cannot_cover_is_reported_as_before(tmp_path):
    other = "import requests\n\n\ndef insecure(url):\n    return requests.post(url, verify=False)\n"
    report = run(project(tmp_path, **{"pkg/b.py": other}), unsafe=False)
    [call] = sites(report, "pkg/a.py")
    assert call["action"] == "reported" and call["safety"] is None
    assert "fixable" not in call["reason"]


def test_a_mocked_call_in_a_module_that_forks_carries_both_hazards(tmp_path):
    send = "import multiprocessing\n\n" + textwrap.dedent(SEND)
    root = project(tmp_path, **{"pkg/a.py": send})
    report = run(root, unsafe=False)
    [call] = sites(report, "pkg/a.py")
    assert call["action"] == "reported" and "fixable" not in (call["reason"] or "")  # the plan routes nothing
    report = run(root)
    [call] = sites(report, "pkg/a.py")
    assert call["action"] == "fixed" and "another library" in call["hazard"] and "forked" in call["hazard"]
    assert MOVED in (root / "tests/test_a.py").read_text()


def test_without_the_move_the_rewritten_call_would_escape_the_mock(tmp_path):
    # What the move is for: the test as it was, against the rewritten module, fails.
    root = project(tmp_path)
    run(root)
    (root / "tests/test_a.py").write_text(TEST)
    assert not pytest_passes(root)


def test_a_patch_through_a_modules_binding_moves_too(tmp_path):
    root = project(tmp_path, **{"tests/test_a.py": TEST.replace('"requests.post"', '"pkg.a.requests.post"')})
    run(root)
    assert MOVED in (root / "tests/test_a.py").read_text()
    assert pytest_passes(root)


def test_check_and_diff_write_nothing(tmp_path):
    root = project(tmp_path)
    report = run(root, "--check")
    assert [s["action"] for s in sites(report, "tests/test_a.py")] == ["fixed"]
    assert (root / "tests/test_a.py").read_text().count('"requests.post"') == 1
    assert "requests.post(" in (root / "pkg/a.py").read_text()


def assert_refused(root: Path, why: str = "mocked by", call: str = "requests.post(url, data=body)") -> None:
    before = (root / "tests/test_a.py").read_text()
    report = run(root)
    assert (root / "tests/test_a.py").read_text() == before
    assert call in (root / "pkg/a.py").read_text()
    [site] = sites(report, "pkg/a.py")
    assert site["action"] == "reported" and why in site["reason"], site


def test_refused_when_another_call_the_patch_intercepts_stays(tmp_path):
    # verify= is reported for another reason: the patch would no longer intercept the rest.
    other = "import requests\n\n\ndef insecure(url):\n    return requests.post(url, verify=False)\n"
    root = project(tmp_path, **{"pkg/b.py": other})
    assert_refused(root)
    assert "verify" in sites(run(root, "--check"), "pkg/b.py")[0]["reason"]


def test_refused_when_a_test_helper_calls_the_function(tmp_path):
    helper = "import requests\n\n\ndef ping(url):\n    return requests.post(url)\n"
    assert_refused(project(tmp_path, **{"tests/helpers.py": helper}))


def test_refused_when_another_package_calls_it(tmp_path):
    assert_refused(project(tmp_path, **{"other/__init__.py": "", "other/b.py": SEND}))


def test_refused_when_the_test_reads_the_patched_attribute(tmp_path):
    test = TEST + "\n\ndef test_count():\n    import requests\n\n    assert requests.post.call_count == 0\n"
    assert_refused(project(tmp_path, **{"tests/test_a.py": test}))


def test_refused_when_the_test_assigns_the_attribute(tmp_path):
    test = (
        TEST
        + "\n\ndef fake(*a, **k):\n    pass\n\n\ndef test_swap():\n    import requests\n\n    requests.post = fake\n"
    )
    assert_refused(project(tmp_path, **{"tests/test_a.py": test}), "")


def test_refused_when_the_patch_replaces_the_whole_module(tmp_path):
    test = TEST.replace('"requests.post"', '"pkg.a.requests"')
    assert_refused(project(tmp_path, **{"tests/test_a.py": test}))


def test_refused_when_the_target_is_not_a_literal(tmp_path):
    test = TEST.replace('@mock.patch("requests.post")', 'TARGET = "requests.post"\n\n\n@mock.patch(TARGET)')
    assert_refused(project(tmp_path, **{"tests/test_a.py": test}), "")


def test_refused_for_patch_object(tmp_path):
    test = TEST.replace("from unittest import mock\n", "from unittest import mock\n\nimport requests\n")
    test = test.replace('@mock.patch("requests.post")', '@mock.patch.object(requests, "post")')
    assert_refused(project(tmp_path, **{"tests/test_a.py": test}))


def test_refused_when_a_module_imports_the_function_by_name(tmp_path):
    other = "from requests import post\n\n\ndef ping(url):\n    return post(url)\n"
    assert_refused(project(tmp_path, **{"pkg/b.py": other}))


def test_refused_when_the_client_module_exists(tmp_path):
    # Calls an earlier run routed through its session would be intercepted too.
    assert_refused(project(tmp_path, **{"pkg/_http_client.py": render(["requests"], False, "pkg")}))


def test_refused_when_a_call_goes_through_another_binding_of_requests(tmp_path):
    # share-session does not know compat.requests is the library: the call would stay.
    other = "from .compat import requests\n\n\ndef ping(url):\n    return requests.post(url)\n"
    compat = "import importlib\n\nrequests = importlib.import_module('requests')\n"
    assert_refused(project(tmp_path, **{"pkg/b.py": other, "pkg/compat.py": compat}))


def test_refused_for_a_function_reference_share_session_leaves(tmp_path):
    other = "import requests\n\n\ndef ping(url, p):\n    fn = requests.post if p else requests.put\n    return run(fn, url)\n"
    assert_refused(project(tmp_path, **{"pkg/b.py": other}))


REFERENCE_TEST = textwrap.dedent("""\
    from unittest import mock

    from pkg.b import ping


    @mock.patch("requests.post")
    def test_ping(post):
        post.return_value.status_code = 201
        assert ping("http://example.invalid/y", True) == 201
        post.assert_called_once_with("http://example.invalid/y", timeout=5)
    """)


def test_the_patch_moves_with_a_reference_share_session_routes(tmp_path):
    # ``fn = requests.post if p else requests.put; fn(url)``: the references are routed
    # (``share/references.py``) and count as the verb's calls, so the patch moves with them.
    other = (
        "import requests\n\n\ndef ping(url, p):\n    fn = requests.post if p else requests.put\n"
        "    return fn(url, timeout=5).status_code\n"
    )
    root = project(tmp_path, **{"pkg/b.py": other, "tests/test_b.py": REFERENCE_TEST})
    assert pytest_passes(root)
    report = run(root)
    assert "fn = _session.post if p else _session.put" in (root / "pkg/b.py").read_text()
    assert MOVED in (root / "tests/test_b.py").read_text()
    assert [s["action"] for s in sites(report, "pkg/b.py")] == ["fixed", "fixed"]
    assert pytest_passes(root)  # the moved mock intercepts the reference's call


def test_a_warm_run_plans_from_the_cache_and_moves_the_same(tmp_path):
    root = project(tmp_path / "p")
    args = ["--check", "--unsafe-fixes", "--cache-dir", str(tmp_path / "cache")]
    runner = CliRunner()
    outputs = []
    for _ in range(2):
        result = runner.invoke(command, [str(root), "-j", "1", "--select", "share-session", "--format", "json", *args])
        outputs.append(json.JSONDecoder().raw_decode(result.output[result.output.index("{") :])[0])
    cold, warm = ([(f["path"], f["status"], f["sites"]) for f in out["files"]] for out in outputs)
    assert cold == warm
    assert [s["action"] for s in sites(outputs[1], "tests/test_a.py")] == ["fixed"]


def test_a_run_without_unsafe_fixes_then_with_them_on_one_cache(tmp_path):
    root = project(tmp_path / "p")
    runner = CliRunner()
    outputs = []
    for flags in ([], ["--unsafe-fixes"], []):
        result = runner.invoke(
            command,
            [str(root), "-j", "1", "--select", "share-session", "--format", "json", "--check", *flags]
            + ["--cache-dir", str(tmp_path / "cache")],
        )
        outputs.append(json.JSONDecoder().raw_decode(result.output[result.output.index("{") :])[0])
    assert [[s["action"] for s in sites(out, "pkg/a.py")] for out in outputs] == [["reported"], ["fixed"], ["reported"]]
    assert [len(sites(out, "tests/test_a.py")) for out in outputs] == [0, 1, 0]


SETATTR_TEST = textwrap.dedent("""\
    import requests

    from pkg import a


    class Response:
        status_code = 201


    def test_send(monkeypatch):
        seen = []

        def fake_post(url, **kwargs):  # set on the session instance: called unbound, as before
            seen.append((url, kwargs))
            return Response()

        monkeypatch.setattr(TARGET, fake_post)
        assert a.send("http://example.invalid/x", "b") == 201
        assert seen == [("http://example.invalid/x", {"data": "b"})]
    """)


def test_monkeypatch_setattr_forms_move_to_the_session_and_the_fake_sees_the_same_arguments(tmp_path):
    forms = {
        "requests, 'post'": "'pkg._http_client.session.post'",
        'a.requests, "post"': '"pkg._http_client.session.post"',
        '\n        a.requests,\n        "post"': '\n        "pkg._http_client.session.post"',
        '"pkg.a.requests.post"': '"pkg._http_client.session.post"',
        '"requests.post"': '"pkg._http_client.session.post"',
    }
    for number, (form, moved) in enumerate(forms.items()):
        test = SETATTR_TEST.replace("TARGET", form)
        root = project(tmp_path / str(number), **{"tests/test_a.py": test})
        assert pytest_passes(root), form
        report = run(root, unsafe=False)
        [call] = sites(report, "pkg/a.py")
        assert call["action"] == "reported" and call["reason"].startswith("mocked by"), (form, call)
        assert (root / "tests/test_a.py").read_text() == test
        report = run(root)
        assert (root / "tests/test_a.py").read_text() == test.replace(form, moved), form
        [site] = sites(report, "tests/test_a.py")
        assert site["action"] == "fixed" and site["safety"] == "unsafe"
        assert pytest_passes(root), form


def test_refused_for_a_setattr_whose_arguments_hold_a_comment(tmp_path):
    test = SETATTR_TEST.replace("TARGET", 'a.requests,  # the module\n        "post"')
    root = project(tmp_path, **{"tests/test_a.py": test})
    run(root)
    assert (root / "tests/test_a.py").read_text() == test
    assert "requests.post(url, data=body)" in (root / "pkg/a.py").read_text()


def test_one_verb_moves_when_its_line_holds_another_that_stays(tmp_path):
    # put's references are all routed, delete's are not (a call with *args stays): put's patch
    # moves, delete's stays, and the line that holds both is not taken for a call left behind.
    both = (
        "import requests\n\n\ndef drop(args):\n    return requests.delete(*args)\n\n\n"
        "def send(url, p):\n    return (requests.put if p else requests.delete)(url).status_code\n"
    )
    test = TEST.replace("requests.post", "requests.put").replace("from pkg.a import send", "from pkg.b import send")
    test = test.replace('send("http://example.invalid/x", "b")', 'send("http://example.invalid/x", True)')
    test = test.replace('"http://example.invalid/x", data="b"', '"http://example.invalid/x"')
    drop = (
        "from unittest import mock\n\nfrom pkg.b import drop\n\n\n"
        '@mock.patch("requests.delete")\ndef test_drop(delete):\n'
        '    drop(("http://example.invalid/z",))\n    delete.assert_called_once_with("http://example.invalid/z")\n'
    )
    root = project(tmp_path, **{"pkg/b.py": both, "tests/test_b.py": test, "tests/test_c.py": drop})
    assert pytest_passes(root)
    report = run(root)
    assert not [f for f in report["files"] if f["status"] == "error"], report["files"]
    assert "(_session.put if p else requests.delete)(url)" in (root / "pkg/b.py").read_text()
    assert '@mock.patch("pkg._http_client.session.put")' in (root / "tests/test_b.py").read_text()
    assert pytest_passes(root)


def ruff(root: Path, *argv: str) -> subprocess.CompletedProcess:
    found = shutil.which("ruff", path=str(Path(sys.executable).parent))
    exe = [found] if found else [sys.executable, "-m", "ruff"]
    return subprocess.run([*exe, *argv, "--no-cache", "."], cwd=root, capture_output=True, text=True, timeout=300)


def test_a_moved_target_is_formatted_as_the_project_formats_the_lines_the_run_changes(tmp_path):
    # apprise (line-length 79, ruff format): the longer target, written into the test after
    # the run, went unwrapped: 62 new E501 and 11 files ruff format would change.
    test = (
        TEST.replace(
            '@mock.patch("requests.post")\ndef test_send(post):\n',
            'def test_send():\n    with mock.patch("requests.post", return_value=mock.Mock()) as post:\n',
        )
        .replace("\n    post.", "\n        post.")
        .replace("\n    assert", "\n        assert")
    )
    config = "[tool.ruff]\nline-length = 79\n\n[tool.ruff.format]\n"
    root = project(tmp_path, **{"pyproject.toml": config, "tests/test_a.py": test})
    for argv in (["check", "--select", "E501"], ["format", "--check"]):
        assert ruff(root, *argv).returncode == 0, ruff(root, *argv).stdout
    run(root)
    moved = (root / "tests/test_a.py").read_text()
    assert (
        '    with mock.patch(\n        "pkg._http_client.session.post", return_value=mock.Mock()\n    ) as post:\n'
        in moved
    )
    for argv in (["check", "--select", "E501"], ["format", "--check"]):
        proc = ruff(root, *argv)
        assert proc.returncode == 0, proc.stdout + moved + (root / "pkg/_http_client.py").read_text()
    assert [f["status"] for f in run(root, "--check")["files"] if f["status"] != "unchanged"] == []


def test_refused_when_an_earlier_run_routed_calls_of_the_verb_through_another_session(tmp_path):
    # httpie: the patch intercepts the calls of two packages (a helper of tests/ is one: a test
    # module no patching test imports would not count); the first run
    # routes each through its own package's session and refuses the move. The second run's
    # census no longer sees tests/' calls: it would move the patch. It refuses too.
    other = "import requests\n\n\ndef fetch(url):\n    return requests.post(url, data='x').status_code\n"
    root = project(tmp_path, **{"tests/__init__.py": "", "tests/helpers.py": other})
    report = run(root)
    assert "_session.post(url, data='x')" in (root / "tests/helpers.py").read_text()
    assert (root / "tests/_http_client.py").exists()
    assert (root / "tests/test_a.py").read_text() == TEST
    [site] = sites(report, "pkg/a.py")
    assert site["action"] == "reported" and site["reason"].startswith("mocked by"), site
    second = run(root, "--check")
    assert [f["path"] for f in second["files"] if f["status"] != "unchanged"] == []
    assert sites(second, "tests/test_a.py") == []
    assert [s["action"] for s in sites(second, "pkg/a.py")] == ["reported"]
    why = [why for (_, verb), why in mockpatch.REFUSED.items() if verb == "requests.post"]
    assert why == [f"an earlier run routed calls through {os.path.realpath(root / 'tests/_http_client.py')}"]


HTTPX_SEND = """\
import httpx


def fetch(url):
    return httpx.get(url, headers={"a": "b"}).status_code
"""

HTTPX_TEST = textwrap.dedent("""\
    from unittest import mock

    from pkg.a import fetch


    @mock.patch("httpx.get", autospec=True)
    def test_fetch(get):
        get.return_value.status_code = 204
        assert fetch("http://example.invalid/x") == 204
        get.assert_called_once_with("http://example.invalid/x", headers={"a": "b"})
    """)


def test_a_patch_of_an_httpx_function_moves_to_the_shared_client(tmp_path):
    # httpx.Client.get takes the arguments httpx.get takes in the calls share-session routes;
    # autospec=True on the client's bound method checks them as on the function.
    root = project(tmp_path, **{"pkg/a.py": HTTPX_SEND, "tests/test_a.py": HTTPX_TEST})
    assert pytest_passes(root)
    report = run(root)
    assert "_client.get(url, headers=" in (root / "pkg/a.py").read_text()
    test = (root / "tests/test_a.py").read_text()
    assert '@mock.patch("pkg._http_client.client.get", autospec=True)' in test and '"httpx.get"' not in test
    [moved] = sites(report, "tests/test_a.py")
    assert moved["safety"] == "unsafe" and "an httpx.get call that another library makes" in moved["hazard"]
    [call] = sites(report, "pkg/a.py")
    assert (call["action"], call["safety"]) == ("fixed", "unsafe")
    assert pytest_passes(root)
    (root / "tests/test_a.py").write_text(HTTPX_TEST)  # the old patch misses the rewritten call
    assert not pytest_passes(root)


def test_an_httpx_patch_stays_when_a_call_it_intercepts_is_not_routed(tmp_path):
    other = "import httpx\n\n\ndef insecure(url):\n    return httpx.get(url, verify=False)\n"
    root = project(tmp_path, **{"pkg/a.py": HTTPX_SEND, "pkg/b.py": other, "tests/test_a.py": HTTPX_TEST})
    report = run(root)
    assert (root / "tests/test_a.py").read_text() == HTTPX_TEST
    assert "httpx.get(url, headers=" in (root / "pkg/a.py").read_text()
    [site] = sites(report, "pkg/a.py")
    assert site["action"] == "reported" and "mocked by" in site["reason"]


def test_an_httpx_patch_without_unsafe_fixes_changes_nothing(tmp_path):
    root = project(tmp_path, **{"pkg/a.py": HTTPX_SEND, "tests/test_a.py": HTTPX_TEST})
    report = run(root, unsafe=False)
    assert (root / "tests/test_a.py").read_text() == HTTPX_TEST
    assert not (root / "pkg/_http_client.py").exists()
    [site] = sites(report, "pkg/a.py")
    assert site["action"] == "reported" and site["reason"].startswith("mocked by")


# -- patch.multiple, a wrapper's ``self.requests``, test modules out of reach, request ------

GET_AND_POST = """\
    import requests


    def send(url, body):
        return requests.post(url, data=body).status_code


    def fetch(url):
        return requests.get(url).status_code
    """

MULTIPLE_TEST = textwrap.dedent("""\
    from unittest import mock

    from pkg.a import fetch, send


    def test_both():
        with mock.patch.multiple("requests", get=mock.DEFAULT, post=mock.DEFAULT) as fakes:
            fakes["get"].return_value.status_code = 200
            fakes["post"].return_value.status_code = 204
            assert (fetch("http://example.invalid/g"), send("http://example.invalid/p", "b")) == (200, 204)
            fakes["post"].assert_called_once_with("http://example.invalid/p", data="b")
    """)


def test_patch_multiple_of_the_module_moves_as_one_target_for_its_verbs(tmp_path):
    root = project(tmp_path, **{"pkg/a.py": GET_AND_POST, "tests/test_a.py": MULTIPLE_TEST})
    assert pytest_passes(root)
    report = run(root)
    test = (root / "tests/test_a.py").read_text()
    assert test == MULTIPLE_TEST.replace('multiple("requests"', 'multiple("pkg._http_client.session"')
    assert [s["action"] for s in sites(report, "tests/test_a.py")] == ["fixed", "fixed"]  # get and post
    assert [s["action"] for s in sites(report, "pkg/a.py")] == ["fixed", "fixed"]
    assert pytest_passes(root)
    assert run(root, "--check")["totals"]["changed"] == 0  # idempotent


def test_patch_multiple_stays_whole_when_one_of_its_verbs_cannot_move(tmp_path):
    # get's other call is reported (verify=False): get cannot move, so post, sharing the one
    # literal, does not either, and the calls stay reported as mocked.
    insecure = "import requests\n\n\ndef insecure(url):\n    return requests.get(url, verify=False)\n"
    root = project(tmp_path, **{"pkg/a.py": GET_AND_POST, "pkg/b.py": insecure, "tests/test_a.py": MULTIPLE_TEST})
    report = run(root)
    assert (root / "tests/test_a.py").read_text() == MULTIPLE_TEST
    assert "requests.post(url, data=body)" in (root / "pkg/a.py").read_text()
    assert all(s["action"] == "reported" and "mocked by" in s["reason"] for s in sites(report, "pkg/a.py"))
    from codemods.share import mockpatch

    assert any("patches requests.get too, which cannot move" in why for why in mockpatch.REFUSED.values())


def test_patch_multiple_of_other_attributes_too_is_left_alone(tmp_path):
    test = MULTIPLE_TEST.replace("post=mock.DEFAULT)", "post=mock.DEFAULT, Session=mock.DEFAULT)")
    root = project(tmp_path, **{"pkg/a.py": GET_AND_POST, "tests/test_a.py": test})
    report = run(root)
    assert (root / "tests/test_a.py").read_text() == test
    assert all(s["action"] == "reported" for s in sites(report, "pkg/a.py"))


def test_a_call_under_a_function_level_import_moves_its_patch_too(tmp_path):
    lazy = "def send(url, body):\n    import requests\n\n    return requests.post(url, data=body).status_code\n"
    root = project(tmp_path, **{"pkg/a.py": lazy})
    run(root)
    assert "_session.post(url, data=body)" in (root / "pkg/a.py").read_text()
    assert MOVED in (root / "tests/test_a.py").read_text()
    assert pytest_passes(root)


WRAPPER = """\
    import requests


    class Requests:
        def post(self, url, data):
            return requests.post(url, data=data)


    class Wrapper:
        @property
        def requests(self):
            return Requests()

        def send(self, url, body):
            return self.requests.post(url, body).status_code


    def send(url, body):
        return Wrapper().send(url, body)
    """


def test_a_wrappers_property_named_requests_is_not_the_library(tmp_path):
    # self.requests is a Requests instance (a property without a setter), not the module.
    root = project(tmp_path, **{"pkg/a.py": WRAPPER})
    assert pytest_passes(root)
    run(root)
    assert "self.requests.post(url, body)" in (root / "pkg/a.py").read_text()
    assert MOVED in (root / "tests/test_a.py").read_text()
    assert pytest_passes(root)


def test_refused_when_a_subclass_binds_requests_otherwise(tmp_path):
    sub = "import requests\n\nfrom pkg.a import Wrapper\n\n\nclass Raw(Wrapper):\n    requests = requests\n"
    assert_refused(project(tmp_path, **{"pkg/a.py": WRAPPER, "pkg/b.py": sub}), call="requests.post(url, data=data)")


def test_refused_when_the_class_attribute_is_assigned(tmp_path):
    swap = "import requests\n\nfrom pkg.a import Wrapper\n\nWrapper.requests = requests\n"
    assert_refused(project(tmp_path, **{"pkg/a.py": WRAPPER, "pkg/b.py": swap}), call="requests.post(url, data=data)")


def test_a_test_module_the_patches_tests_do_not_import_does_not_keep_them(tmp_path):
    # tests/test_live.py's call runs in its own tests only: the patch of test_a moves all the same.
    live = "import requests\n\n\ndef test_live():\n    requests.post('http://example.invalid/z', verify=False)\n"
    root = project(tmp_path, **{"tests/test_live.py": live})
    run(root)
    assert MOVED in (root / "tests/test_a.py").read_text()
    assert "requests.post('http://example.invalid/z', verify=False)" in (root / "tests/test_live.py").read_text()


def test_refused_when_the_test_imports_the_test_module_that_calls_it(tmp_path):
    live = "import requests\n\n\ndef ping():\n    requests.post('http://example.invalid/z', verify=False)\n"
    test = TEST.replace("from pkg.a import send\n", "from pkg.a import send\nfrom tests.test_live import ping\n")
    assert_refused(project(tmp_path, **{"tests/__init__.py": "", "tests/test_live.py": live, "tests/test_a.py": test}))


def test_a_patch_of_request_is_refused_when_other_verbs_share_the_session(tmp_path):
    # Session.post calls session.request: a patch moved there would intercept send()'s post.
    both = textwrap.dedent(GET_AND_POST) + "\n\ndef raw(url):\n    return requests.request('GET', url).status_code\n"
    test = TEST.replace("requests.post", "requests.request").replace("from pkg.a import send", "from pkg.a import raw")
    test = test.replace('send("http://example.invalid/x", "b")', 'raw("http://example.invalid/x")')
    test = test.replace('"http://example.invalid/x", data="b"', '"GET", "http://example.invalid/x"')
    root = project(tmp_path, **{"pkg/a.py": both, "tests/test_a.py": test})
    assert pytest_passes(root)
    report = run(root)
    assert (root / "tests/test_a.py").read_text() == test
    line = both.splitlines().index("    return requests.request('GET', url).status_code") + 1
    [call] = [s for s in sites(report, "pkg/a.py") if s["line"] == line]
    assert call["action"] == "reported" and call["reason"].startswith("mocked by")
    from codemods.share import mockpatch

    assert any("calls its request()" in why for why in mockpatch.REFUSED.values())
    assert pytest_passes(root)


LIVE = "import requests\n\n\ndef ping():\n    requests.post('http://example.invalid/z', verify=False)\n"


def test_refused_when_a_test_module_inherits_the_patching_tests_class(tmp_path):
    # The patch decorates test_a's class; test_b's subclass runs its inherited test with the
    # patch active, and that test calls test_b's own method: test_b's call was intercepted.
    test = textwrap.dedent("""\
        from unittest import mock

        from pkg.a import send


        @mock.patch("requests.post")
        class TestSend:
            def test_send(self, post):
                post.return_value.status_code = 204
                assert send("http://example.invalid/x", "b") == 204
                self.more()

            def more(self):
                pass
        """)
    sub = textwrap.dedent("""\
        import requests

        from tests.test_a import TestSend


        class TestMore(TestSend):
            def more(self):
                requests.post("http://example.invalid/z", verify=False)
        """)
    root = project(tmp_path, **{"tests/__init__.py": "", "tests/test_a.py": test, "tests/test_b.py": sub})
    assert_refused(root)


def test_refused_when_a_conftest_imports_the_test_module_that_calls_it(tmp_path):
    # conftest's fixture runs test_live's ping() in every test, test_a's too.
    conftest = "import pytest\n\nfrom tests.test_live import ping\n\n\n@pytest.fixture(autouse=True)\ndef warm():\n    ping()\n"
    files = {"tests/__init__.py": "", "tests/test_live.py": LIVE, "tests/conftest.py": conftest}
    assert_refused(project(tmp_path, **files))


def test_refused_when_pytest_plugins_loads_the_test_module_that_calls_it(tmp_path):
    # A plugin's fixtures run for any test: pytest imports the module by its dotted name.
    plugin = LIVE + "\n\nimport pytest\n\n\n@pytest.fixture(autouse=True)\ndef warm():\n    ping()\n"
    for n, conftest in enumerate(
        ['pytest_plugins = ["tests.test_live"]\n', 'pytest_plugins = []\npytest_plugins.append("tests.test_live")\n']
    ):
        files = {"tests/__init__.py": "", "tests/test_live.py": plugin, "conftest.py": conftest}
        assert_refused(project(tmp_path / str(n), **files))


def test_refused_when_a_helper_imports_the_patching_test_module(tmp_path):
    # tests/base.py hands test_a's patching fixture to test_b, whose call it then intercepts.
    test = TEST + textwrap.dedent("""\


        import pytest


        @pytest.fixture
        def fake_post():
            with mock.patch("requests.post") as post:
                yield post
        """)
    base = "from tests.test_a import fake_post  # noqa: F401\n"
    user = "import requests\n\nfrom tests.base import fake_post  # noqa: F401\n\n\ndef test_b(fake_post):\n    requests.post('http://example.invalid/z', verify=False)\n"
    files = {"tests/__init__.py": "", "tests/test_a.py": test, "tests/base.py": base, "tests/test_b.py": user}
    assert_refused(project(tmp_path, **files))


def test_refused_when_a_session_fixture_of_the_test_module_keeps_the_patch(tmp_path):
    # A session-scoped fixture is torn down at the session's end: test_live's tests, run after
    # test_a's, run with the patch active though test_a does not import test_live.
    test = TEST.replace(
        '@mock.patch("requests.post")\ndef test_send(post):',
        '@pytest.fixture(scope="session")\ndef post():\n    with mock.patch("requests.post") as post:\n'
        "        yield post\n\n\ndef test_send(post):",
    ).replace("from unittest import mock\n", "from unittest import mock\n\nimport pytest\n")
    live = LIVE + "\n\ndef test_live(post):\n    ping()\n"
    live = live.replace("def test_live(post)", "def test_live()")
    root = project(tmp_path, **{"tests/test_a.py": test, "tests/test_live.py": live})
    assert_refused(root)


def test_refused_when_the_test_module_starts_the_patch_at_import(tmp_path):
    # Started when pytest collects test_a and never stopped: every later test runs under it.
    test = TEST.replace(
        '@mock.patch("requests.post")\ndef test_send(post):',
        'post = mock.patch("requests.post").start()\n\n\ndef test_send():',
    )
    live = LIVE + "\n\ndef test_live():\n    ping()\n"
    root = project(tmp_path, **{"tests/test_a.py": test, "tests/test_live.py": live})
    assert_refused(root)


def test_refused_when_a_class_attribute_patch_is_started_and_never_stopped(tmp_path):
    test = TEST.replace(
        '@mock.patch("requests.post")\ndef test_send(post):',
        'class TestSend:\n    patcher = mock.patch("requests.post")\n\n    @classmethod\n'
        "    def setup_class(cls):\n        cls.patcher.start()\n\n    def test_send(self):\n"
        "        post = self.patcher.target.post",
    )
    test = test.replace("\n    post.", "\n        post.").replace("\n    assert", "\n        assert")
    live = LIVE + "\n\ndef test_live():\n    ping()\n"
    root = project(tmp_path, **{"tests/test_a.py": test, "tests/test_live.py": live})
    assert_refused(root)
