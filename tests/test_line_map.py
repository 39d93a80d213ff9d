"""linediff._line_map: linear (head/tail, unique-line anchors, bounded fallbacks) and the same
map as the difflib.SequenceMatcher it replaced on the rewrites codemods make."""

from __future__ import annotations

import difflib
import random
import textwrap
from pathlib import Path

import pytest

from codemods import engine, linediff

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
ALL = ("close-client", "close-response", "share-session", "add-timeout")


def old_map(original: str, current: str):
    """The quadratic original, kept here as the reference."""
    a = original.splitlines()
    b = current.splitlines()
    mapping = {}
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        for offset, j in enumerate(range(j1, j2)):
            if tag == "equal":
                mapping[j + 1] = i1 + offset + 1
            else:
                mapping[j + 1] = min(i1 + offset, max(i2 - 1, i1)) + 1
    return lambda line: mapping.get(line, line)


def assert_same(original: str, current: str) -> None:
    new, old = linediff._line_map(original, current), old_map(original, current)
    lines = len(current.splitlines()) + 2
    assert [new(n) for n in range(1, lines)] == [old(n) for n in range(1, lines)]


def _function(k: int, rng: random.Random) -> str:
    """A realistic, distinct function (its names carry k)."""
    return textwrap.dedent(
        f"""\
        def fetch_{k}(session, url_{k}, retries={rng.randint(1, 5)}):
            \"\"\"Fetch item {k} and return its payload.\"\"\"
            for attempt in range(retries):
                response_{k} = requests.get(url_{k} + "/items/{k}", params={{"page": attempt}})
                if response_{k}.status_code == 200:
                    return response_{k}.json()

                log.warning("retry %s for %s", attempt, url_{k})
            return None

        """
    )


def _module(functions: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    return "import logging\n\nimport requests\n\nlog = logging.getLogger(__name__)\n\n\n" + "".join(
        _function(k, rng) for k in range(functions)
    )


def _rewrite_some(text: str, every: int) -> str:
    """What close-response does to some functions: a ``with`` line, the body re-indented."""
    out = []
    lines = text.splitlines(keepends=True)
    i = 0
    k = 0
    while i < len(lines):
        line = lines[i]
        if "= requests.get(" in line:
            k += 1
            if k % every == 0:
                indent = line[: len(line) - len(line.lstrip())]
                name = line.split("=")[0].strip()
                call = line.split("=", 1)[1].strip()
                out.append(f"{indent}with {call} as {name}:\n")
                i += 1
                while i < len(lines) and lines[i].startswith(indent) and lines[i].strip():
                    out.append("    " + lines[i])
                    i += 1
                continue
        out.append(line)
        i += 1
    return "".join(out)


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("*.py")))
def test_same_map_on_the_samples_rewrites(sample):
    data = (SAMPLES / sample).read_bytes()
    result = engine.process_source(data, sample, engine.Settings(codemods=ALL, keep_text=True))
    assert_same(result.old_text, result.new_text)
    expected = SAMPLES / "expected" / sample
    if expected.exists():
        assert_same(data.decode(), expected.read_text())


@pytest.mark.parametrize("every", [1, 2, 7, 50])
def test_same_map_on_generated_rewrites(every):
    text = _module(200)
    assert_same(text, _rewrite_some(text, every))


@pytest.mark.parametrize("module", ["engine.py", "cli/run.py", "report.py"])
def test_same_map_on_small_edits_of_real_code(module):
    """Insertions, deletions (of repeated blank lines too: where the slack goes) and
    re-indented lines: the same map, and the opcodes of difflib without autojunk."""
    text = (ROOT / "codemods" / module).read_text()
    lines = text.splitlines(keepends=True)
    rng = random.Random(3)
    for _ in range(60):
        edited = list(lines)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(edited))
            choice = rng.random()
            if choice < 0.4:
                edited.insert(at, f"    changed_{rng.randint(0, 10**6)} = 1\n")
            elif choice < 0.7:
                edited[at] = "    " + edited[at]
            else:
                del edited[at]
        assert_same(text, "".join(edited))
        matcher = difflib.SequenceMatcher(None, lines, edited, autojunk=False)
        assert list(linediff._grouped_opcodes(linediff._opcodes(lines, edited))) == list(matcher.get_grouped_opcodes(3))


def test_edge_cases():
    for original, current in [
        ("", ""),
        ("a\n", ""),
        ("", "a\n"),
        ("a\nb\n", "b\na\n"),
        ("x\n" * 50, "x\n" * 60),
        ("a\nb\nc\n", "a\nB\nc\n"),
        ("a\n\n\nb\n", "a\n\nb\n"),
    ]:
        assert_same(original, current)


def _work(original: str, current: str) -> int:
    linediff.LINE_MAP_WORK[0] = 0
    linediff._line_map(original, current)
    return linediff.LINE_MAP_WORK[0]


def test_linear_on_a_100k_line_file_with_a_few_changes():
    text = _module(10_000)  # 100,007 lines
    lines = text.splitlines(keepends=True)
    assert len(lines) > 100_000
    edited = list(lines)
    for at in (10, 30_000, 60_001, 99_000):
        edited[at] = "    " + edited[at]
    edited.insert(50_000, "        extra_line = True\n")
    current = "".join(edited)
    work = _work(text, current)
    assert work < 20 * len(lines), work
    mapping = linediff._line_map(text, current)
    assert mapping(50_000) == 50_000
    assert mapping(50_001) == 50_001  # the inserted line maps to the line it was put before
    assert mapping(50_002) == 50_001  # and the rest shifts by one
    assert mapping(len(edited)) == len(lines)


def test_linear_when_every_function_changes():
    text = _module(10_000)
    current = _rewrite_some(text, 1)
    work = _work(text, current)
    assert work < 200 * len(text.splitlines()), work
    # Doubling the input at most doubles the work (give or take): no quadratic step.
    small = _module(5_000)
    assert work < 2.5 * _work(small, _rewrite_some(small, 1))


def test_no_unique_lines_stays_linear_and_maps_equal_lines_to_equal_lines():
    body = "def f(r):\n    x = requests.get(r)\n    return x\n\n"
    text = body * 20_000
    current = body.replace("    x = requests", "    with requests").replace("    return", "        return") * 20_000
    work = _work(text, current)
    assert work < 200 * len(text.splitlines()), work
    a, b = text.splitlines(), current.splitlines()
    mapping = linediff._line_map(text, current)
    for n in range(1, len(b) + 1, 997):
        if b[n - 1] in ("def f(r):", ""):
            assert a[mapping(n) - 1] == b[n - 1]


# -- the unified diff of large files uses the same opcodes --------------------------------


def _both_diffs(original: str, current: str):
    a, b = original.splitlines(True), current.splitlines(True)
    linear = "".join(linediff._linear_unified_diff(a, b, "a/x.py", "b/x.py"))
    reference = "".join(difflib.unified_diff(a, b, "a/x.py", "b/x.py"))
    return linear, reference


@pytest.mark.parametrize("every", [1, 3, 50])
def test_the_linear_diff_is_difflibs_on_rewrites(every):
    text = _module(300)
    linear, reference = _both_diffs(text, _rewrite_some(text, every))
    assert linear == reference


def test_the_linear_diff_is_difflibs_on_the_samples():
    for sample in sorted(SAMPLES.glob("*.py")):
        result = engine.process_source(sample.read_bytes(), sample.name, engine.Settings(codemods=ALL, keep_text=True))
        if result.new_text is not None:
            linear, reference = _both_diffs(result.old_text, result.new_text)
            assert linear == reference, sample.name


def test_the_diff_of_a_large_file_is_linear_and_applies(tmp_path):
    import subprocess

    text = _module(10_000)
    current = _rewrite_some(text, 5)  # 2,000 changed regions: over difflib's budget
    linediff.LINE_MAP_WORK[0] = 0
    diff = linediff.unified_diff(text, current, "x.py")
    assert linediff.LINE_MAP_WORK[0] < 20 * len(text.splitlines())
    (tmp_path / "x.py").write_text(text)
    (tmp_path / "d.patch").write_text(diff)
    subprocess.run(["git", "apply", "d.patch"], cwd=tmp_path, check=True)
    assert (tmp_path / "x.py").read_text() == current
    assert linediff.unified_diff(text, text + "x = 1", "x.py").endswith("+x = 1\n\\ No newline at end of file\n")


def test_few_changes_keep_difflibs_own_diff(monkeypatch):
    """Under the budget the diff is difflib's, byte for byte, whatever the file's size."""
    text = _module(2_000)
    current = _rewrite_some(text, 400)
    a, b = text.splitlines(True), current.splitlines(True)
    assert linediff.unified_diff(text, current, "x.py") == "".join(difflib.unified_diff(a, b, "a/x.py", "b/x.py"))
    monkeypatch.setattr(linediff, "_DIFFLIB_BUDGET", 0)
    linear = linediff.unified_diff(text, current, "x.py")
    assert linear == "".join(linediff._linear_unified_diff(a, b, "a/x.py", "b/x.py"))
