"""An unexpected exception in the project facts pass (or the mock move's planning run) is an
error confined to the project it concerns: that project's files are errors naming it and are
not rewritten, every other project's results are exactly as without the fault, and every
report format and the exit status show the errors."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from codemods.cli import command
from codemods.facts import visitor

from .helpers import write

MODULE = """\
import requests


def fetch(url):
    return requests.get(url).json()
"""

TEST = """\
from unittest import mock

from pkg import mod


def test_fetch():
    with mock.patch("requests.get") as get:
        get.return_value.json.return_value = 1
        assert mod.fetch("u") == 1
"""

PROJECT = {"pyproject.toml": '[project]\nname = "pkg"\n', "pkg/__init__.py": "", "pkg/mod.py": MODULE}


def tree(root: Path) -> Path:
    for name in ("alpha", "beta"):
        write(root / name, {**PROJECT, "tests/test_mod.py": TEST})
    return root


def run(root: Path, *args: str):
    cwd = os.getcwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(command, [*args, "-j", "1", "--no-cache", "."])
    finally:
        os.chdir(cwd)


def files_of(report: dict, project: str) -> dict:
    return {f["path"]: f for f in report["files"] if f["path"].startswith(project + "/")}


@pytest.fixture
def beta_fails(monkeypatch):
    """The visitor of one file's ``ast`` raises for the files of the project ``beta`` only."""
    real_run = visitor._FileFacts.run

    def run(self):
        if self.where.startswith("beta/"):
            raise IndexError("tuple index out of range")
        return real_run(self)

    monkeypatch.setattr(visitor._FileFacts, "run", run)


ARGS = ("--select", "close-response,share-session,add-timeout", "--unsafe-fixes")


def test_a_facts_failure_is_confined_to_its_project(tmp_path, request):
    root = tree(tmp_path)
    healthy = run(root, *ARGS, "--check", "--format", "json")
    assert healthy.exit_code == 1, healthy.output
    before = json.loads(healthy.stdout)
    assert not any(f["status"] == "error" for f in before["files"])
    assert any(f["status"] == "changed" for f in files_of(before, "beta").values())

    request.getfixturevalue("beta_fails")
    faulty = run(root, *ARGS, "--check", "--format", "json")
    assert faulty.exit_code == 2, faulty.output  # errors
    after = json.loads(faulty.stdout)
    assert files_of(after, "alpha") == files_of(before, "alpha")  # exactly as without the fault
    beta = files_of(after, "beta")
    assert beta and all(f["status"] == "error" for f in beta.values()), beta
    for found in beta.values():
        error = found["error"]["message"]
        assert "internal error in the project facts pass" in error
        assert "IndexError: tuple index out of range" in error
        assert "beta/" in error and "no file of this project is rewritten" in error
        assert not found.get("diff") and not found["sites"]


def test_the_faulty_project_is_not_rewritten_in_place_and_the_other_is(tmp_path, beta_fails):
    root = tree(tmp_path)
    result = run(root, *ARGS)
    assert result.exit_code == 2, result.output
    assert (root / "beta/pkg/mod.py").read_text() == MODULE
    assert (root / "beta/tests/test_mod.py").read_text() == TEST
    assert (root / "alpha/pkg/mod.py").read_text() != MODULE
    assert "internal error in the project facts pass" in result.output


@pytest.mark.parametrize("fmt", ["text", "sarif", "markdown"])
def test_every_report_shows_the_failure(tmp_path, beta_fails, fmt):
    result = run(tree(tmp_path), *ARGS, "--check", "--format", fmt)
    assert result.exit_code == 2, result.output
    assert "internal error in the project facts pass" in result.output
    assert "IndexError" in result.output


def test_a_failure_over_every_project_is_retried_project_by_project(tmp_path, monkeypatch):
    """A step over the whole run (the factories) raising for one project's files: each project
    is computed alone, the healthy one as ever."""
    from codemods.facts import factories

    root = tree(tmp_path)
    before = json.loads(run(root, *ARGS, "--check", "--format", "json").stdout)
    real_collect = factories.collect

    def collect(files, *args, **kwargs):
        if any("beta" in f for f in files):
            raise KeyError("boom")
        return real_collect(files, *args, **kwargs)

    monkeypatch.setattr(factories, "collect", collect)
    result = run(root, *ARGS, "--check", "--format", "json")
    assert result.exit_code == 2, result.output
    after = json.loads(result.stdout)
    assert files_of(after, "alpha") == files_of(before, "alpha")
    beta = files_of(after, "beta")
    assert beta and all(
        "KeyError: 'boom'" in f["error"]["message"] and "(its project)" in f["error"]["message"] for f in beta.values()
    )


def test_a_planning_run_failure_fails_the_projects_with_patches(tmp_path, monkeypatch):
    from codemods.share import mockpatch

    root = tree(tmp_path)
    write(root / "gamma", {**PROJECT})  # no test patches anything: no plan concerns it
    before = json.loads(run(root, *ARGS, "--check", "--format", "json").stdout)

    def plan(*args, **kwargs):
        raise RuntimeError("plan broke")

    monkeypatch.setattr(mockpatch, "plan_transfers", plan)
    result = run(root, *ARGS, "--check", "--format", "json")
    assert result.exit_code == 2, result.output
    after = json.loads(result.stdout)
    assert files_of(after, "gamma") == files_of(before, "gamma")
    for project in ("alpha", "beta"):
        found = files_of(after, project)
        assert found and all(
            "the mock move's planning run: RuntimeError: plan broke" in f["error"]["message"] for f in found.values()
        )


def test_a_file_whose_codemods_read_no_facts_runs_as_ever(tmp_path):
    """``per-file-ignores`` may leave a group of files only codemods that consult no fact
    (add-timeout): a failed project's file in it is fixed as without the failure."""
    from codemods import engine
    from codemods.facts import ProjectFacts

    root = write(tmp_path / "proj", PROJECT)
    real = os.path.realpath(root)
    facts = ProjectFacts(projects=(real,), failed=((real, "internal error in the project facts pass"),))
    path = str(root / "pkg/mod.py")
    timeout_only = engine.Settings(codemods=("add-timeout",), mode=engine.CHECK, facts=facts)
    assert engine.run([path], timeout_only)[0].status == "changed"
    with_facts = replace(timeout_only, codemods=("add-timeout", "close-response"))
    assert engine.run([path], with_facts)[0].error == "internal error in the project facts pass"
