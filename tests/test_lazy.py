"""A run whose every file is a cache hit imports no libcst (issue 14): the registry's entries
know each codemod's name, texts, default and options (``catalog.py``) without its class, the
engine imports libcst when a file needs it; the results cache's per-file key part that needs
the import graph is memoised per facts (``ProjectFacts._imported``)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from click.testing import CliRunner

from codemods import catalog, fileindex, registry
from codemods.cli import command

ROOT = Path(__file__).resolve().parent.parent

_RUN = textwrap.dedent(
    """\
    import sys

    from codemods.cli import main

    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
    loaded = [c.NAME for c in __import__("codemods.registry").registry.CODEMODS if c.loaded]
    print(("libcst" in sys.modules), loaded, file=sys.stderr)
    """
)


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "mod.py").write_text(
        "import requests\n\n\ndef fetch(url):\n    r = requests.get(url, stream=True)\n    return r.status_code\n"
    )
    (root / "pkg" / "plain.py").write_text("def nothing():\n    return 1\n")
    (root / "tests" / "test_mod.py").write_text("from pkg import mod\n\n\ndef test():\n    assert mod\n")
    old = time.time() - 60  # outside the racy window: the index trusts their stat
    for path in root.rglob("*"):
        os.utime(path, (old, old))
    return root


def _run(tmp_path: Path, tree: Path, *extra: str):
    out = tmp_path / "report.json"
    args = ["--check", "-j", "1", "--format", "json", "--output", str(out), *extra, str(tree)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("HTTP_CODEMODS_CACHE_DIR", None)
    done = subprocess.run(
        [sys.executable, "-c", _RUN, *args], env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    imported, loaded = done.stderr.strip().splitlines()[-1].split(" ", 1)
    report = json.loads(out.read_text())
    report["totals"].pop("seconds")
    return report, imported == "True", loaded


def test_a_warm_run_imports_no_libcst_and_a_cold_one_does(tmp_path):
    tree = _project(tmp_path)
    cache_dir = str(tmp_path / "cache")
    cold, cold_libcst, _ = _run(tmp_path, tree, "--cache-dir", cache_dir)
    warm, warm_libcst, warm_loaded = _run(tmp_path, tree, "--cache-dir", cache_dir)
    fresh, _, _ = _run(tmp_path, tree, "--no-cache")
    assert cold["totals"]["changed"] >= 1  # a file that needs libcst: the cold run imports it
    assert cold_libcst and not warm_libcst and warm_loaded == "[]"
    assert warm == cold == fresh


def test_the_command_line_and_list_load_no_codemod():
    code = (
        "import sys, codemods.cli, codemods.lookup\n"
        "from codemods import registry\n"
        "print('libcst' in sys.modules, any(c.loaded for c in registry.CODEMODS))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["False", "False"], done.stderr
    listed = CliRunner().invoke(command, ["--list"])
    assert listed.exit_code == 0
    assert all(c.NAME in listed.output for c in registry.CODEMODS)
    helped = CliRunner().invoke(command, ["--help"])
    assert helped.exit_code == 0 and "--session-scope" in helped.output and "--timeout" in helped.output


def test_each_entry_is_its_classes_catalog_and_loads_it():
    assert [c.NAME for c in registry.CODEMODS] == [info.name for info in catalog.ALL]
    for entry in registry.CODEMODS:
        cls = entry.load()
        assert registry.class_of(entry) is cls and registry.class_of(cls) is cls
        assert cls.__name__ == entry.info.cls and cls.__module__ == f"codemods.{entry.info.module}"
        for attr in ("NAME", "DESCRIPTION", "WHY", "FIX", "DEFAULT", "OPTIONS"):
            assert getattr(entry, attr) == getattr(cls, attr), (entry.NAME, attr)
        assert entry.TARGETS is cls.TARGETS and entry.DOCS is cls.DOCS  # the rest from the class
        assert isinstance(entry(None), cls)


def test_an_option_given_is_still_validated(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    result = CliRunner().invoke(
        command, ["--check", "--no-cache", "--select", "add-timeout", "--timeout", "abc", str(tmp_path)]
    )
    assert result.exit_code == 2 and "timeout" in result.output


def test_the_import_graph_answer_is_memoised_per_facts(tmp_path, monkeypatch):
    from codemods import facts as project_facts
    from codemods.facts import graph, model

    tree = _project(tmp_path)
    files = sorted(str(p) for p in tree.rglob("*.py"))
    index = fileindex.FileIndex(str(tmp_path / "cache"))
    for path in files:
        index.content(path)
    monkeypatch.setattr(fileindex, "_SHARED", index)
    facts = project_facts.collect(files, [str(tree)], index=index)
    test = str(tree / "tests" / "test_mod.py")
    first = facts.file_key(test)
    assert [os.path.basename(p) for p, _ in first] == ["__init__.py", "mod.py"]
    built = []
    real_graph = graph.ImportGraph

    def counted(facts):
        built.append(facts)
        return real_graph(facts)

    monkeypatch.setattr(graph, "ImportGraph", counted)
    model._GRAPHS.clear()
    assert facts.file_key(test) == first and built == []  # the index's memo: no graph
    # Other facts (the test imports nothing now): another key, the graph built, another answer.
    other = dataclasses.replace(
        facts, imports=tuple((p, () if p.endswith("test_mod.py") else i) for p, i in facts.imports)
    )
    assert other.file_key(test) == [] and len(built) == 1
    # An edited module: its digest in the key, not the memo's.
    mod = tree / "pkg" / "mod.py"
    mod.write_text(mod.read_text() + "\n# edited\n")
    model._DIGESTS[0] = None
    index.seen.clear()
    assert dict(facts.file_key(test))[str(mod)] != dict(first)[str(mod)]


def test_the_quick_gitignore_spec_answers_as_the_spec():
    """``discover._QuickSpec``: the union of the patterns rejects what none matches, the spec
    decides the rest (negations, directory patterns, precedence): the same answers."""
    import itertools

    import pathspec

    from codemods.discover import _spec

    gitignores = [
        ["*.pyc", "build/", "!keep.py", "/docs/_build", "**/node_modules/**", "a[bc]?.py"],
        ["*", "!*/", "!*.py", "tests/data/"],
        ["# only a comment", "", "\\#odd.py", "foo/**/bar.py", "!foo/x/bar.py", "/top.py"],
        ["gen_*.py", "!gen_keep.py", "sub/", "!sub/"],
        [],
    ]
    names = ["a.py", "ab1.py", "keep.py", "top.py", "bar.py", "#odd.py", "gen_x.py", "gen_keep.py", "x.pyc"]
    dirs = ["", "build/", "docs/_build/", "docs/", "node_modules/", "foo/", "foo/x/", "foo/y/z/", "sub/", "tests/data/"]
    for lines in gitignores:
        quick, spec = _spec(lines), pathspec.GitIgnoreSpec.from_lines(lines)
        assert quick.union is not None, lines
        for directory, name in itertools.product(dirs, names):
            for path in (directory + name, directory):
                if path:
                    assert quick.match_file(path) == spec.match_file(path), (lines, path)
