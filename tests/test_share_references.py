"""share-session follows a reference to a library function (``method = requests.post``) into
the calls it reaches: several assignments of references to one local, and the local handed to a
private method of the same class that only calls it (``share/references.py``). Whether another
class may override that method, or something replaces it, is a project fact; each case runs the
engine over a file of a small project, with the facts of that project."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict, List, Tuple

from codemods import engine, facts
from codemods.base import Site
from codemods.share.references import REPLACED_HAZARD
from tests.helpers import write

MAIN = "pkg/main.py"

JIRA = """
    import requests


    class Jira:
        def _fetch(self, method, url, payload, params=None):
            r = method(url, data=payload, params=params, timeout=5)
            return r.status_code

        def send(self, url, delete):
            method = requests.post
            self._fetch(method, url, {})
            if delete:
                method = requests.delete
            return self._fetch(url=url, payload={}, method=method)
    """


def run(tmp_path: Path, files: Dict[str, str], unsafe=False) -> Tuple[str, List[Site]]:
    files = {k: textwrap.dedent(v) for k, v in files.items()}
    root = write(tmp_path / "proj", {"pyproject.toml": "", "pkg/__init__.py": "", **files})
    paths = sorted(str(p) for p in root.rglob("*.py"))
    found = facts.collect(paths, [str(root)])
    settings = engine.Settings(codemods=("share-session",), mode=engine.CHECK, facts=found, unsafe_fixes=unsafe)
    source = (root / MAIN).read_text()
    result = engine.process_source(source.encode(), str(root / MAIN), settings)
    assert result.status != engine.ERROR, result.error
    return (result.new_text if result.status == engine.CHANGED else source), result.sites


def actions(sites: List[Site]) -> List[Tuple[int, str]]:
    return [(s.line, s.action) for s in sites]


def test_references_assigned_twice_and_handed_to_a_private_method_are_routed(tmp_path):
    new, sites = run(tmp_path, {MAIN: JIRA})
    assert actions(sites) == [(11, "fixed"), (14, "fixed")]
    assert "        method = _session.post\n" in new
    assert "            method = _session.delete\n" in new
    assert "r = method(url, data=payload, params=params, timeout=5)" in new  # the method is unchanged


def test_a_method_something_replaces_is_an_unsafe_fix(tmp_path):
    # Another class defines _fetch too, and a test replaces some object's _fetch: the test's
    # replacement could be this class's, handed the session's method.
    other = "class Other:\n    def _fetch(self, url):\n        return url\n"
    test = "from unittest import mock\n\ndef test_it(obj):\n    mock.patch.object(obj, '_fetch')\n"
    files = {MAIN: JIRA, "pkg/other.py": other, "tests/test_other.py": test}
    new, sites = run(tmp_path, files)
    assert new == textwrap.dedent(JIRA)
    assert [s.safety for s in sites] == ["unsafe", "unsafe"]
    assert all(REPLACED_HAZARD.format(name="_fetch") in (s.hazard or s.reason) for s in sites), sites
    new, sites = run(tmp_path, files, unsafe=True)
    assert actions(sites) == [(11, "fixed"), (14, "fixed")]
    assert "method = _session.delete" in new


def test_an_overridable_or_public_method_or_a_parameter_used_otherwise_is_reported(tmp_path):
    subclass = "from pkg.main import Jira\n\nclass Mine(Jira):\n    def _fetch(self, method, url, payload, params=None):\n        return method\n"
    new, sites = run(tmp_path, {MAIN: JIRA, "pkg/sub.py": subclass})
    assert new == textwrap.dedent(JIRA)
    assert [s.action for s in sites] == ["reported", "reported"]
    assert "is passed on at line 12: its calls cannot be followed" in sites[0].reason

    public = JIRA.replace("_fetch", "fetch")
    new, sites = run(tmp_path / "public", {MAIN: public})
    assert new == textwrap.dedent(public)
    assert [s.action for s in sites] == ["reported", "reported"]

    stored = JIRA.replace("r = method(url", "self.last = method\n            r = method(url")
    new, sites = run(tmp_path / "stored", {MAIN: stored})
    assert new == textwrap.dedent(stored)
    assert [s.action for s in sites] == ["reported", "reported"]


def test_a_local_also_assigned_something_else_is_reported(tmp_path):
    mixed = JIRA.replace("method = requests.delete", "method = self.session.delete")
    new, sites = run(tmp_path, {MAIN: mixed})
    assert new == textwrap.dedent(mixed)
    assert [s.reason for s in sites] == [
        "method (a reference to requests.post) is assigned more than once: cannot tell which calls use it"
    ]


def test_the_method_s_calls_get_the_argument_checks(tmp_path):
    # post takes the body by position (data), delete does not: only delete's reference stays.
    positional = JIRA.replace("method(url, data=payload,", "method(url, payload,")
    new, sites = run(tmp_path, {MAIN: positional})
    assert "        method = _session.post\n" in new
    assert "            method = requests.delete\n" in new
    assert actions(sites) == [(11, "fixed"), (14, "reported")]
    assert sites[1].reason == "more positional arguments than the function takes (its call at line 7)"
