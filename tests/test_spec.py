"""Each codemod's target specification (``spec.py``) covers every name it consults, and the
prefilter, pruning and the candidate pre-check are derived from it."""

import pytest

from codemods import prefilter, registry
from codemods.share import facts
from codemods.spec import ALL_KINDS, HTTP_LIBRARIES, covered


@pytest.mark.parametrize("cls", registry.CODEMODS, ids=lambda c: c.NAME)
def test_every_consulted_name_is_kept_visible_to_pruning(cls):
    assert cls.TARGETS.uncovered() == frozenset()
    assert cls.MODULE_WIDE == cls.TARGETS.module_wide
    assert HTTP_LIBRARIES <= cls.MODULE_WIDE
    assert cls.TARGETS.kinds <= ALL_KINDS
    assert prefilter.needs(cls.NAME) == cls.TARGETS.kinds
    assert registry.watched_names([cls.NAME]) >= cls.MODULE_WIDE


def test_share_session_facts_tables_are_all_consulted_and_covered():
    for table in (facts.ENV_WRITERS, facts.FORKERS, facts.LIBRARY_MODULES):
        assert table <= registry.BY_NAME["share-session"].TARGETS.consulted
        assert all(covered(q, registry.BY_NAME["share-session"].MODULE_WIDE) for q in table)


def test_wrapping_candidate_names_come_from_the_spec():
    for name in ("close-response", "close-client"):
        cls = registry.BY_NAME[name]
        assert cls.CANDIDATE_NAMES == cls.TARGETS.candidate_names and cls.CANDIDATE_NAMES


def test_a_codemod_without_kinds_runs_on_every_kind():
    assert prefilter.needs("no-such-codemod") == ALL_KINDS
    assert prefilter.relevant("add-timeout", frozenset({"class"}))
    assert not prefilter.relevant("close-client", frozenset({"function"}))
    assert not prefilter.relevant("share-session", frozenset({"constructor"}))
