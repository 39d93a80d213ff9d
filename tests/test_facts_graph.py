"""The import graph of the facts pass (codemods/facts/graph.py): a test reaches only its own
project's modules, and the work of a reach is that of one project, however many other
projects the run holds (a run over the corpus spent more than 60 s of CPU time on one
apprise plugin, walking every repository once for each of apprise's 169 tests)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from codemods import facts
from tests.test_facts import MOD, make, reasons

MOCKED = "from unittest import mock\nimport helpers\n\n\n@mock.patch('requests.get')\ndef test(m):\n    pass\n"


def _collect(*roots: Path) -> facts.ProjectFacts:
    from codemods.discover import discover

    found = discover([str(r) for r in roots], [])
    return facts.collect(found.files, found.roots)


def test_a_name_resolves_inside_the_importing_project(tmp_path):
    """``import helpers`` in project a's test is a's ``tests/helpers.py``; b's helpers, which
    imports ``pkg.mod``, is not reached, and neither is a's ``pkg/mod.py`` through it."""
    a = make(tmp_path / "a", {"pkg/mod.py": MOD, "tests/helpers.py": "X = 1\n", "tests/test_x.py": MOCKED})
    b = make(tmp_path / "b", {"pkg/mod.py": MOD, "tests/helpers.py": "import pkg.mod\n"})
    found = _collect(tmp_path)
    reach = found.reachable(os.path.realpath(a / "tests/test_x.py"))
    assert os.path.realpath(a / "tests/helpers.py") in reach
    assert not any(path.startswith(os.path.realpath(b) + os.sep) for path in reach)
    assert os.path.realpath(a / "pkg/mod.py") not in reach


def test_a_files_answer_does_not_depend_on_the_other_projects_in_the_run(tmp_path):
    a = make(tmp_path / "a", {"pkg/mod.py": MOD, "tests/helpers.py": "X = 1\n", "tests/test_x.py": MOCKED})
    alone = reasons(a)
    make(tmp_path / "b", {"pkg/mod.py": MOD, "tests/helpers.py": "import pkg.mod\n"})
    assert alone == []  # the mock's test does not reach pkg/mod.py
    assert reasons(tmp_path, "a/proj/pkg/mod.py") == alone


def _tests_project(root: Path, tests: int) -> Path:
    """A package importing each of its modules by name, and ``tests`` tests that each import
    it and patch ``requests.get`` (apprise's shape: every test reaches every plugin)."""
    modules = {f"pkg/m{i}.py": MOD for i in range(10)}
    init = "".join(f"from pkg import m{i}\n" for i in range(10))
    test = "from unittest import mock\nimport pkg\nimport helpers\n\n\n@mock.patch('requests.get')\ndef test(m):\n    pass\n"
    files = {**modules, "pkg/__init__.py": init, "tests/helpers.py": "import pkg\n"}
    files.update({f"tests/test_{i}.py": test for i in range(tests)})
    return make(root, files)


def _work(found: facts.ProjectFacts, project: Path, tests: int):
    starts = [os.path.realpath(project / f"tests/test_{i}.py") for i in range(tests)]
    reaches = [found.reachable(start) for start in starts]
    graph = found._graph()[0]
    return reaches, graph.visits, graph.resolved


def test_the_work_of_reaches_does_not_grow_with_the_other_projects(tmp_path):
    first = _tests_project(tmp_path / "p0", 20)
    alone = _work(_collect(tmp_path), first, 20)
    for i in range(1, 6):
        shutil.copytree(tmp_path / "p0", tmp_path / f"p{i}")
    crowded = _work(_collect(tmp_path), first, 20)
    assert crowded == alone
    reaches, visits, resolved = alone
    assert all(len(r) == 13 for r in reaches)  # the test, helpers, pkg and its 10 modules
    assert resolved <= 30  # each name once: pkg, helpers, unittest.mock, pkg.m0..m9, ...
    assert visits <= 20 * 14
