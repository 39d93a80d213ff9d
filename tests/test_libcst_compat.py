"""codemods/libcst_compat.py: libcst's import placement without a recursion per statement."""

from __future__ import annotations

import libcst as cst
from libcst.codemod.visitors import _add_imports

from codemods import engine, libcst_compat

EXPORT = """
def export_head():
    client = httpx.Client(base_url="http://127.0.0.1:1")
    request = client.build_request("GET", "/stream")
    response = client.send(request, stream=True)
    return next(response.iter_lines())
"""


def test_a_module_of_thousands_of_statements_gets_its_import():
    source = '"""Doc."""\nimport httpx\n\n' + "".join(f"VALUE_{i} = {i}\n" for i in range(3000)) + EXPORT
    result = engine.process_source(source.encode(), "big.py", engine.Settings(codemods=("close-response",)))
    assert result.status == engine.CHANGED, result.error
    assert "\nimport contextlib\n" in result.new_text.split("VALUE_0")[0]
    assert "with contextlib.closing(client.send(request, stream=True)) as response:" in result.new_text


def test_the_same_answer_as_libcsts_and_only_while_needed():
    sources = [
        '"""Doc."""\nx = 1\n',
        "__strict__ = True\nx = 1\n",
        "x = 1\n",
        "",
        "'''a''' + 'b'\n",
        '# c\n\n"""Doc."""\n',
        "__strict__: bool = True\n",
        "__strict__ = x = 1\n",
    ]
    for source in sources:
        module = cst.parse_module(source)
        assert libcst_compat._skip_first(module) == libcst_compat._original_skip_first(module), source
    assert _add_imports._skip_first is libcst_compat._original_skip_first
    with libcst_compat.flat_skip_first():
        with libcst_compat.flat_skip_first():
            assert _add_imports._skip_first is libcst_compat._skip_first
        assert _add_imports._skip_first is libcst_compat._skip_first
    assert _add_imports._skip_first is libcst_compat._original_skip_first


def test_the_benchmarks_sized_module_is_long_not_deep():
    """The size rows' input: real-shaped (the samples, each top-level name bound once), of the
    size asked for."""
    import ast
    import collections

    from codemods.benchmark import sized_module

    text = sized_module(0.2)
    assert 0.2 * 2**20 <= len(text) < 0.25 * 2**20
    tree = ast.parse(text)
    names = collections.Counter(
        node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    )
    assert names and max(names.values()) == 1
    imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert len(imports) == len({ast.dump(node) for node in imports}) < 20


def test_the_benchmarks_plain_libcst_baseline_runs_under_libcsts_runner_and_changes_nothing(tmp_path):
    """The baseline row is real work: LibCST's own runner finds the class, resolves the stock
    metadata on every file and exits 0 (a failing command would show up as a tiny time)."""
    import subprocess
    import sys

    from codemods.benchmark import ROOT

    source = "import requests\n\n\ndef f(u):\n    return requests.get(u).text\n"
    path = tmp_path / "m.py"
    path.write_text(source)
    command = ["-m", "libcst.tool", "codemod", "benchmark.PlainMetadata", "--no-format", str(path)]
    proc = subprocess.run([sys.executable, *command], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "1 files successfully" in proc.stderr or "Finished codemodding 1 files" in proc.stderr, proc.stderr
    assert path.read_text() == source
