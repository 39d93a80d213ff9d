"""The README's "Adding a codemod" worked example: one module and one registry line are all a
new codemod needs (the prefilter, pruning, --select, the reports and the docs follow)."""

import re
from pathlib import Path

import pytest

from codemods import docs, engine, registry
from codemods.docs import ExampleKind

from .example_codemod.no_verify_false import NoVerifyFalse

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def registered(monkeypatch):
    # The one registry line: ``CODEMODS = [..., NoVerifyFalse]``.
    monkeypatch.setattr(registry, "CODEMODS", registry.CODEMODS + [NoVerifyFalse])
    monkeypatch.setattr(registry, "BY_NAME", {**registry.BY_NAME, NoVerifyFalse.NAME: NoVerifyFalse})


@pytest.mark.parametrize("example", NoVerifyFalse.DOCS.examples)
def test_its_examples(registered, example):
    settings = engine.Settings(codemods=(NoVerifyFalse.NAME,), mode=engine.CHECK)
    result = engine.process_source(example.before.encode(), "example.py", settings)
    assert result.status in (engine.UNCHANGED, engine.SKIPPED), result.error  # skipped: no import
    if example.kind == ExampleKind.REPORTED:
        assert [s.reason for s in result.reported if example.reason in s.reason]
    else:
        assert not result.sites


def test_it_runs_with_the_others_and_documents_itself(registered):
    source = b"import requests\n\ndef f(u):\n    return requests.get(u, verify=False)\n"
    names = tuple(c.NAME for c in registry.CODEMODS)
    result = engine.process_source(source, "m.py", engine.Settings(codemods=names, mode=engine.CHECK))
    assert any(s.codemod == NoVerifyFalse.NAME for s in result.reported)
    assert "### `no-verify-false` (off by default)" in docs.section(NoVerifyFalse)
    assert NoVerifyFalse.WHY in docs.sarif_help(NoVerifyFalse)["text"]


def test_the_readme_shows_this_module():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Adding a codemod", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert block == (ROOT / "tests/example_codemod/no_verify_false.py").read_text(encoding="utf-8")
