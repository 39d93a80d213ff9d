"""The facts pass's shortcuts (issue 14) give what the long way gives: the statement walk
(``standins.statements``/``blocks``) reaches every statement ``ast.walk`` does,
``chosen_results`` without close checks walks the blocks alone to the same answer,
``_string_spans`` stops at ``upto`` only, and the factories' first round computed from a file's
bytes (``factories.first_round``) is what ``factories.collect`` would find in it."""

from __future__ import annotations

import ast
import os
import textwrap

from codemods import facts
from codemods.facts import factories
from codemods.facts.screen import _string_spans, imported_modules
from codemods.facts.standins import StandIns, blocks, children, close_checks, statements
from codemods.facts.visitor import _Names, chosen_results
from tests.helpers import make_project

NESTED = textwrap.dedent(
    """\
    import requests
    from unittest import mock

    class Fake:
        def close(self):
            pass

    def helper():
        global G
        for i in range(3):
            try:
                x = 1
            except ValueError as e:
                y = 2
            else:
                z = 3
            finally:
                w = 4
        while True:
            match i:
                case 1:
                    def inner():
                        nonlocal_thing = 1
                case _:
                    pass
        with open("f") as handle:
            class Local:
                pass

    @mock.patch("requests.get")
    def test_one(get):
        get.return_value = Fake()
        m = mock.Mock()
        m.return_value.get.return_value = Fake()
        if get:
            get.side_effect = [Fake(), Fake()]
        else:
            get.return_value = object()

    def test_two(fixture):
        fixture.return_value = object()

    class TestThree:
        def test_four(self):
            self.m.return_value = object()

        def test_five(self, other):
            other.return_value = object()
    """
)


def test_statements_reach_every_statement_walk_does():
    tree = ast.parse(NESTED)
    kinds = (ast.stmt, ast.excepthandler, ast.match_case)
    walked = [n for n in ast.walk(tree) if isinstance(n, kinds)]
    assert statements(tree) == [tree] + walked  # the same nodes, in the same order


def test_blocks_keep_the_order_of_children():
    tree = ast.parse(NESTED)
    for node in ast.walk(tree):
        kids = [c for c in children(node) if isinstance(c, (ast.stmt, ast.excepthandler, ast.match_case))]
        assert blocks(node) == kids


def test_chosen_results_without_close_checks_walks_the_blocks_to_the_same_answer():
    tree = ast.parse(NESTED)
    names = _Names(tree, "")
    names._imports([n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))])
    full = chosen_results(tree, StandIns(tree, names.dotted), True)
    short = chosen_results(tree, StandIns(tree, names.dotted), False)
    assert full == short
    spans, fixtures = full
    assert len(fixtures) >= 2 and len(spans) > len(fixtures)  # the example exercises both


def test_chosen_results_counts_close_checks_only_when_asked():
    source = "def test(m):\n    m.return_value.close.assert_called_once()\n"
    tree = ast.parse(source)
    stand_ins = StandIns(tree, _Names(tree, "").dotted)
    assert chosen_results(tree, stand_ins, True)[1] == [2]
    assert chosen_results(tree, stand_ins, False) == ([], [])


def test_string_spans_stop_after_upto_only():
    data = b'"""a"""\nx = 1  # """ not one\ny = \'\'\'b\'\'\'\nz = r"""c"""\n'
    every = _string_spans(data)
    assert len(every) == 3
    assert _string_spans(data, every[1][0]) == every[:2]
    assert _string_spans(data, every[1][0] - 1) == every[:1]
    assert _string_spans(data, 0) == every[:1]


def test_imports_in_a_docstring_after_the_last_import_statement_do_not_count():
    data = b'import os\n\n\ndef f():\n    """\n    import json\n    """\n    from . import sub\n'
    assert imported_modules(data, "pkg") == ("os", "pkg.sub")
    data = b'import os\n"""\nimport json\n"""\n'
    assert imported_modules(data, "") == ("os",)
    data = b'r"""\nimport json\n"""\nimport os\n'
    assert imported_modules(data, "") == ("os",)


FACTORY = "from urllib.request import urlopen\n\n\ndef _open(url):\n    return urlopen(url)\n"
CALLER = "from pkg.net import _open\n\n\ndef get(url):\n    return _open(url)\n\n\ndef use(url):\n    r = get(url)\n    return r.read()\n"


def test_first_round_is_what_in_module_finds_before_any_factory_is_known():
    assert factories.first_round(FACTORY.encode(), "pkg") == (("", "_open", 4, "urllib", ""),)
    assert factories.first_round(b"import os\n", "pkg") is None  # not worth parsing
    assert factories.first_round(CALLER.encode(), "pkg") is None  # no leaking call of its own
    assert factories.first_round(b"def f(:\n    return urlopen(u)\n", "") is None  # no tree


def test_the_factories_are_the_same_with_and_without_the_first_rounds(tmp_path):
    root = make_project(
        tmp_path,
        {"pkg/net.py": FACTORY, "pkg/api.py": CALLER, "other/x.py": "import os\n"},
    )
    files = sorted(str(p) for p in root.rglob("*.py"))
    found = facts.collect(files, [str(root)])
    assert {f.name for f in found.factories} == {"_open", "get"}  # two rounds
    reals = facts.real_paths(files)
    owner = {real: str(root) for real in reals}
    names = dict(found.names)
    patches = tuple(sorted(found.patches))
    namer = facts.Namer(reals, ())
    args = (files, reals, owner, names, namer.package, facts._read_bytes, patches, facts.display_path)
    firsts = {real: factories.first_round(facts._read_bytes(p), namer.package(real)) for p, real in zip(files, reals)}
    assert factories.collect(*args) == factories.collect(*args, firsts) == found.factories


def test_may_check_close_is_false_only_without_a_close_check():
    def checks(source: str) -> bool:
        return bool(close_checks(ast.parse(source)))

    with_checks = [
        "m.close.assert_called_once()\n",
        "m.return_value.close.call_count\n",
        "(m.close  # why\n .assert_not_called())\n",
        "m.close \\\n    .mock_calls\n",
        "assert r.close.called\n",
        "m.\\\nclose.assert_has_calls([])\n",
    ]
    for source in with_checks:
        assert checks(source) and facts.may_check_close(source.encode()), source
    without = ["m.close()\nm.call_count\n", "foreclose.called\n", "x = 1\n", "r.close_all.called\n"]
    for source in without:
        assert not checks(source) and not facts.may_check_close(source.encode()), source
    assert facts.may_check_close("ｃlose = 1\n".encode())  # not ASCII: may read as close (NFKC)


def test_a_part_with_its_first_round_comes_back_from_the_index_memo(tmp_path):
    from codemods import fileindex

    path = tmp_path / "net.py"
    path.write_text(FACTORY)
    os.utime(path, (1_000_000_000, 1_000_000_000))  # long ago: its stat signature is trusted
    index = fileindex.FileIndex(str(tmp_path / "cache"))
    computed = facts._file_part(str(path), str(path), str(tmp_path), "pkg", None, index)
    assert computed is not None and computed[6] == (("", "_open", 4, "urllib", ""),)
    index.save()
    again = fileindex.FileIndex(str(tmp_path / "cache"))  # read back from the disk
    sha = again.known(str(path))
    assert sha is not None
    key = facts._memo_key(str(path), str(path), str(tmp_path), "pkg", sha)
    assert facts._memo_part(again, str(path), key) == computed
    assert facts._file_part(str(path), str(path), str(tmp_path), "pkg", None, again) == computed
