"""The factories are collected project by project (``factories.collect``), in processes with
``jobs`` > 1: the same factories whatever the number of processes, and the same as each
project's alone."""

from __future__ import annotations

import os
from pathlib import Path
from typing import List

import pytest

from codemods import facts
from codemods.discover import discover
from codemods.facts import factories as factories_module
from tests.helpers import make_project
from tests.test_close_factories import CALLER, FACTORY

# Another project's module that names the factory (``_execute_request``): not its factory.
OTHER = """\
from urllib.request import urlopen


def _execute_request(url):
    return urlopen(url).read()


def fetch(url):
    response = _execute_request(url)
    return response
"""


def factories(*roots: Path, jobs: int = 1) -> List[str]:
    found = discover([str(root) for root in roots], [])
    collected = facts.collect(found.files, found.roots, jobs=jobs).factories
    return sorted(f"{os.path.basename(os.path.dirname(f.project))}:{'.'.join(f.qualified)}" for f in collected)


@pytest.fixture
def two_projects(tmp_path):
    first = make_project(tmp_path / "a", {"pkg/request.py": FACTORY, "pkg/caller.py": CALLER})
    second = make_project(tmp_path / "b", {"pkg/other.py": OTHER})
    return first, second


def test_each_projects_factories_are_those_it_has_alone(two_projects):
    first, second = two_projects
    both = factories(first, second)
    assert both == sorted(factories(first) + factories(second))
    assert "a:pkg.request._execute_request" in both
    assert not any(name.startswith("b:") for name in both)  # its function reads the body


def test_the_factories_are_the_same_in_processes(two_projects, monkeypatch):
    monkeypatch.setattr(factories_module, "PARALLEL_FILES", 0)
    assert factories(*two_projects, jobs=2) == factories(*two_projects)


def _killed(project: str) -> None:
    os._exit(1)  # as a process the kernel killed


def test_a_broken_pool_leaves_its_projects_to_the_run(two_projects, monkeypatch):
    monkeypatch.setattr(factories_module, "PARALLEL_FILES", 0)
    monkeypatch.setattr(factories_module, "_one_forked", _killed)
    assert factories(*two_projects, jobs=2) == factories(*two_projects)


def test_without_fork_the_projects_are_collected_in_the_run(two_projects, monkeypatch):
    """``spawn`` (Windows; macOS's default) starts children that do not inherit ``_ONE``: the
    run collects every project itself instead of sending them to processes that would fail."""
    import multiprocessing

    from codemods import workers

    monkeypatch.setattr(factories_module, "PARALLEL_FILES", 0)
    monkeypatch.setattr(workers, "start_context", lambda: multiprocessing.get_context("spawn"))
    monkeypatch.setattr(factories_module, "_one_forked", _killed)  # a pool would be broken, then retried
    pools = []
    real = __import__("concurrent.futures").futures.ProcessPoolExecutor
    monkeypatch.setattr("concurrent.futures.ProcessPoolExecutor", lambda *a, **k: pools.append(1) or real(*a, **k))
    assert factories(*two_projects, jobs=2) == factories(*two_projects)
    assert pools == []
