"""Every codemod documents itself (``HttpCodemod.DOCS``): its examples are tests, and the
README's per-codemod sections are rendered from the same text."""

from pathlib import Path

import pytest

from codemods import docs, engine, registry
from codemods.docs import ExampleKind

EXAMPLES = [
    pytest.param(cls.NAME, example, id=f"{cls.NAME}-{i}-{example.kind}")
    for cls in registry.CODEMODS
    for i, example in enumerate(cls.DOCS.examples)
]


def test_every_codemod_has_docs_and_each_kind_of_example():
    for cls in registry.CODEMODS:
        assert cls.DOCS is not None, cls.NAME
        kinds = {e.kind for e in cls.DOCS.examples}
        assert kinds == set(ExampleKind), (cls.NAME, kinds)
        for name, _ in docs.FIELDS:
            assert getattr(cls.DOCS, name).strip(), (cls.NAME, name)


@pytest.mark.parametrize("name, example", EXAMPLES)
def test_example(name, example):
    settings = engine.Settings(
        codemods=(name,),
        options={name: example.options},
        mode=engine.CHECK,
        keep_text=True,
        unsafe_fixes=example.unsafe_fixes,
    )
    result = engine.process_source(example.before.encode("utf-8"), "example.py", settings)
    assert result.status != engine.ERROR, result.error
    if example.kind == ExampleKind.FIXED:
        assert result.status == engine.CHANGED
        assert result.new_text == example.after
        assert result.fixed and not result.reported
        again = engine.process_source(example.after.encode("utf-8"), "example.py", settings)
        # idempotent: nothing to do (the ast stage may already tell: skipped)
        assert again.status in (engine.UNCHANGED, engine.SKIPPED) and not again.sites, again.sites
    elif example.kind == ExampleKind.REPORTED:
        assert result.status == engine.UNCHANGED
        assert [s for s in result.reported if example.reason in s.reason], result.sites
        assert not result.fixed
    else:
        assert result.status in (engine.UNCHANGED, engine.SKIPPED) and not result.sites, result.sites


def test_readme_sections_are_current():
    readme = Path(__file__).resolve().parent.parent / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert docs.current_readme(text, registry.CODEMODS) == text, (
        "README.md's codemod sections are stale: run `python -m codemods.docs`"
    )


def test_sarif_help_and_list_come_from_the_docs():
    for cls in registry.CODEMODS:
        help_ = docs.sarif_help(cls)
        assert docs.plain_text_of(cls.DOCS.safety) in help_["text"]
        assert cls.DOCS.bullet("reported") in help_["markdown"]
        assert docs.summary(cls) == cls.DOCS.plain("why")
