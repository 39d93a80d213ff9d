"""The results cache (codemods/cache.py): a hit is exactly a fresh run's result, every part of
the key invalidates, a damaged entry is a miss, concurrent runs agree, the size stays bounded."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from codemods import cache, engine, tagged_json
from codemods.cli import command

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
ALL = ("close-client", "close-response", "share-session", "add-timeout")

PROGRAM = textwrap.dedent(
    """\
    import requests


    def fetch(url):
        r = requests.get(url)
        return r.status_code


    def make():
        s = requests.Session()
        return s.get("http://example.com").text
    """
)


def settings(tmp_path: Path, **changes) -> engine.Settings:
    base = engine.Settings(codemods=ALL, cache_dir=str(tmp_path / "cache"), keep_text=True, mode=engine.CHECK)
    return dataclasses.replace(base, **changes)


def entries(cache_dir: Path) -> int:
    return cache.stats(str(cache_dir))["entries"]


def _different(value):
    """A value of the same type that is not ``value``."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, tuple):
        return value + ("extra",)
    if isinstance(value, dict):
        return {**value, "add-timeout": {"timeout": 99}}
    if value is None:  # the project facts, not computed: facts that were
        from codemods.facts import ProjectFacts

        return ProjectFacts(projects=("/r",))
    raise AssertionError(f"no different value for {value!r}: extend _different")


def _json_report(output: str) -> dict:
    report = json.loads(output)
    report.get("totals", {}).pop("seconds", None)
    return report


# -- hits are fresh results ----------------------------------------------------------------


@pytest.mark.parametrize("mode", [engine.CHECK, engine.DIFF, engine.WRITE])
def test_a_hit_is_exactly_a_fresh_result(tmp_path, mode):
    s = settings(tmp_path, mode=mode)
    files = sorted(str(p) for p in SAMPLES.glob("*.py"))
    for path in files:
        data = Path(path).read_bytes()
        fresh = engine.process_source(data, path, s)
        first = engine._process_cached(data, path, s)
        assert first == fresh
        key = cache.key(s, path, data)
        hit = cache.load(s.cache_dir, key)
        assert hit == fresh, path
        assert engine._process_cached(data, path, s) == fresh
    assert entries(tmp_path / "cache") == len(files)


def test_the_cli_report_is_the_same_cold_warm_and_without_cache(tmp_path):
    cache_dir = tmp_path / "c"
    args = ["--check", "--format", "json", "-j", "1", "--cache-dir", str(cache_dir), str(SAMPLES)]
    cold = CliRunner().invoke(command, args)
    assert entries(cache_dir) > 0
    warm = CliRunner().invoke(command, args)
    bypass = CliRunner().invoke(command, [*args, "--no-cache"])
    assert cold.exit_code == warm.exit_code == bypass.exit_code == 1
    assert _json_report(cold.stdout) == _json_report(warm.stdout) == _json_report(bypass.stdout)


def test_write_mode_from_a_hit_still_writes(tmp_path):
    cache_dir = tmp_path / "c"
    one = tmp_path / "one" / "prog.py"
    two = tmp_path / "two" / "prog.py"
    for path in (one, two):
        path.parent.mkdir()
        path.write_text(PROGRAM)
    # Same bytes, same path spelling relative to each cwd: the second run is a hit.
    for folder in (one.parent, two.parent):
        proc = subprocess.run(
            [sys.executable, "-m", "codemods", "-q", "-j", "1", "--cache-dir", str(cache_dir), "prog.py"],
            cwd=folder,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr
    assert one.read_text() == two.read_text() != PROGRAM


# -- every part of the key -----------------------------------------------------------------


def test_every_settings_field_is_in_the_key_but_the_documented_ones(tmp_path):
    s = settings(tmp_path, options={"add-timeout": {"timeout": 5}}, prefilter_words=("w",), roots=("/r",))
    base = cache.key(s, "a.py", b"x")
    names = [f.name for f in dataclasses.fields(engine.Settings)]
    assert cache.NOT_IN_KEY <= set(names)
    for name in names:
        other = dataclasses.replace(s, **{name: _different(getattr(s, name))})
        changed = cache.key(other, "a.py", b"x")
        if name in cache.NOT_IN_KEY:
            assert changed == base, name
        else:
            assert changed != base, name


def test_a_value_with_a_cache_key_method_contributes_it():
    class Facts:
        def __init__(self, token):
            self.token = token

        def __cache_key__(self):
            return {"token": self.token}

    assert cache._value_key(Facts(1)) == cache._value_key(Facts(1))
    assert cache._value_key(Facts(1)) != cache._value_key(Facts(2))
    # Stable whatever the order a dict or set was built in.
    assert cache._value_key({"a": 1, "b": 2}) == cache._value_key({"b": 2, "a": 1})
    assert cache._value_key(frozenset("abc")) == cache._value_key(frozenset("cba"))


def test_path_bytes_and_tool_are_in_the_key(tmp_path, monkeypatch):
    s = settings(tmp_path)
    base = cache.key(s, "a.py", b"x")
    assert cache.key(s, "b.py", b"x") != base
    assert cache.key(s, "a.py", b"y") != base
    assert cache.key(s, "a.py", b"x") == base
    for name, value in (("__version__", "9.9.9"), ("_package_digest", lambda: "edited")):
        monkeypatch.setattr(cache, "_TOOL_KEY", None)
        monkeypatch.setattr(cache, "_LAST_SETTINGS", (None, b""))
        monkeypatch.setattr(cache, name, value)
        assert cache.key(s, "a.py", b"x") != base, name
        monkeypatch.undo()
        monkeypatch.setattr(cache, "_TOOL_KEY", None)
        monkeypatch.setattr(cache, "_LAST_SETTINGS", (None, b""))
        assert cache.key(s, "a.py", b"x") == base


def test_the_package_digest_follows_the_source(tmp_path, monkeypatch):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "a.py").write_text("x = 1\n")
    monkeypatch.setattr(cache, "__file__", str(package / "cache.py"))
    before = cache._package_digest()
    (package / "a.py").write_text("x = 2\n")
    assert cache._package_digest() != before


def test_a_changed_option_gives_the_new_result_not_the_cached_one(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    cache_dir = tmp_path / "c"

    def diff(timeout):
        result = CliRunner().invoke(
            command,
            [
                "--diff",
                "-j",
                "1",
                "--select",
                "add-timeout",
                "--timeout",
                timeout,
                "--cache-dir",
                str(cache_dir),
                str(path),
            ],
        )
        assert result.exit_code == 1, result.output
        return result.stdout

    assert "timeout=7" in diff("7")
    assert "timeout=8" in diff("8")
    assert "timeout=7" in diff("7")


def test_one_file_edited_between_runs_gives_exactly_its_fresh_result(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    for sample in SAMPLES.glob("*.py"):
        (tree / sample.name).write_bytes(sample.read_bytes())
    cache_dir = tmp_path / "c"
    args = ["--check", "--format", "json", "-j", "1", "--cache-dir", str(cache_dir), str(tree)]
    before = _json_report(CliRunner().invoke(command, args).stdout)
    edited = tree / "download.py"
    edited.write_text(
        edited.read_text() + "\n\ndef more(url):\n    import requests\n    return requests.get(url).text\n"
    )
    warm = _json_report(CliRunner().invoke(command, args).stdout)
    fresh = _json_report(CliRunner().invoke(command, [*args, "--no-cache"]).stdout)
    assert warm == fresh
    changed = [a for a, b in zip(before["files"], warm["files"]) if a != b]
    assert [f["path"] for f in changed] == [str(edited)]


# -- damage --------------------------------------------------------------------------------


def _one_entry(tmp_path):
    s = settings(tmp_path)
    data = PROGRAM.encode()
    fresh = engine._process_cached(data, "prog.py", s)
    key = cache.key(s, "prog.py", data)
    return s, data, fresh, Path(cache._entry_path(s.cache_dir, key))


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: blob[:-1] + bytes([blob[-1] ^ 1]),  # a flipped bit in the body
        lambda blob: blob[: len(blob) // 2],  # truncated
        lambda blob: blob[:10],  # truncated inside the checksum
        lambda blob: b"",  # empty
        lambda blob: b"X" + blob[1:],  # another format
    ],
    ids=["bit-flip", "truncated", "truncated-header", "empty", "magic"],
)
def test_a_damaged_entry_is_a_miss_and_is_replaced(tmp_path, damage):
    s, data, fresh, entry = _one_entry(tmp_path)
    entry.write_bytes(damage(entry.read_bytes()))
    assert cache.load(s.cache_dir, cache.key(s, "prog.py", data)) is None
    assert engine._process_cached(data, "prog.py", s) == fresh
    assert cache.load(s.cache_dir, cache.key(s, "prog.py", data)) == fresh


_TABLE = {"/a/b.py": {"sha": "ab" * 32, "stat": [1, 2, 3, 4, 5], "memo": {"screen": ["k", True]}}, "/x\udcff": {}}


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: blob[:-1] + bytes([blob[-1] ^ 1]),  # a flipped bit in the body
        lambda blob: blob[: len(blob) // 2],  # truncated
        lambda blob: blob[:10],  # truncated inside the checksum
        lambda blob: b"",  # empty
        lambda blob: cache._MAGIC + blob[len(cache._MAGIC) :],  # a results entry's magic word
    ],
    ids=["bit-flip", "truncated", "truncated-header", "empty", "magic"],
)
def test_a_plain_table_round_trips_and_a_damaged_one_is_a_miss(tmp_path, damage):
    """The file index's storage (``store_plain``: marshal, not JSON): the same value back,
    under its own key only; damaged, nothing (never a result or a half table)."""
    key = cache.INDEX_SHARD + "cd" * 32
    cache.store_plain(str(tmp_path), key, _TABLE)
    assert cache.load_plain(str(tmp_path), key) == _TABLE
    assert cache.load(str(tmp_path), key) is None  # a table is never a result
    path = Path(cache._entry_path(str(tmp_path), key))
    other = cache.INDEX_SHARD + "ef" * 32
    Path(cache._entry_path(str(tmp_path), other)).write_bytes(path.read_bytes())
    assert cache.load_plain(str(tmp_path), other) is None  # well checksummed, another key
    path.write_bytes(damage(path.read_bytes()))
    assert cache.load_plain(str(tmp_path), key) is None
    cache.store_plain(str(tmp_path), key, _TABLE)
    assert cache.load_plain(str(tmp_path), key) == _TABLE


def test_plain_tables_count_toward_the_size_bound_and_skipped_files_store_no_entry(tmp_path):
    """The bound holds over the tables too (the oldest goes first); a skipped file's answer is
    the index's verdict, not an entry file of its own."""
    old, new = cache.INDEX_SHARD + "01" * 32, cache.INDEX_SHARD + "02" * 32
    table = {f"/p/{i}.py": {"sha": hashlib.sha256(str(i).encode()).hexdigest()} for i in range(2000)}
    for name, age in ((old, 2000), (new, 1000)):
        cache.store_plain(str(tmp_path), name, table)
        stamp = time.time() - age
        os.utime(cache._entry_path(str(tmp_path), name), (stamp, stamp))
    size = cache.stats(str(tmp_path))["bytes"]
    assert cache.stats(str(tmp_path))["tables"] == 2
    assert cache.trim(str(tmp_path), max_bytes=size - 1) == 1
    assert cache.load_plain(str(tmp_path), old) is None and cache.load_plain(str(tmp_path), new) == table
    cache.store(str(tmp_path), "ab" * 32, engine.FileResult("a.py", engine.SKIPPED))
    assert cache.load(str(tmp_path), "ab" * 32) is None and cache.stats(str(tmp_path))["entries"] == 0


def test_a_result_entry_is_never_read_as_a_plain_table(tmp_path):
    s, data, fresh, entry = _one_entry(tmp_path)
    assert cache.load_plain(s.cache_dir, cache.key(s, "prog.py", data)) is None
    assert cache.load(s.cache_dir, cache.key(s, "prog.py", data)) == fresh


def test_an_entry_under_another_name_is_a_miss(tmp_path):
    s, data, fresh, entry = _one_entry(tmp_path)
    other_key = cache.key(s, "other.py", data)
    other = Path(cache._entry_path(s.cache_dir, other_key))
    other.parent.mkdir(parents=True, exist_ok=True)
    other.write_bytes(entry.read_bytes())  # well checksummed, but it names another key
    assert cache.load(s.cache_dir, other_key) is None


def test_an_unwritable_cache_only_costs_speed(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    s = settings(tmp_path, cache_dir=str(blocker / "cache"))
    data = PROGRAM.encode()
    assert engine._process_cached(data, "prog.py", s) == engine.process_source(data, "prog.py", s)


def test_errors_of_the_machine_are_not_cached(tmp_path):
    result = engine.FileResult("a.py", engine.ERROR, error="internal error in x: boom")
    cache.store(str(tmp_path), "ab" * 32, result)
    assert entries(tmp_path) == 0
    result = engine.FileResult("a.py", engine.ERROR, error="syntax error: invalid syntax", error_line=3)
    cache.store(str(tmp_path), "cd" * 32, result)
    assert cache.load(str(tmp_path), "cd" * 32) == result


def test_files_the_bytes_stage_rejects_are_not_stored(tmp_path):
    s = settings(tmp_path)
    engine._process_cached(b"print('hello')\n", "a.py", s)
    assert not (tmp_path / "cache").exists()


# -- where the cache is ----------------------------------------------------------------------


def test_no_cache_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("HTTP_CODEMODS_CACHE_DIR", str(tmp_path / "env"))
    result = CliRunner().invoke(command, ["--check", "-j", "1", "--no-cache", str(SAMPLES)])
    assert result.exit_code == 1
    assert not (tmp_path / "env").exists()


def test_the_environment_variable_then_the_option(tmp_path, monkeypatch):
    monkeypatch.setenv("HTTP_CODEMODS_CACHE_DIR", str(tmp_path / "env"))
    CliRunner().invoke(command, ["--check", "-j", "1", str(SAMPLES)])
    assert entries(tmp_path / "env") > 0
    assert (tmp_path / "env" / "CACHEDIR.TAG").exists() and (tmp_path / "env" / ".gitignore").exists()
    CliRunner().invoke(command, ["--check", "-j", "1", "--cache-dir", str(tmp_path / "opt"), str(SAMPLES)])
    assert entries(tmp_path / "opt") == entries(tmp_path / "env")


def test_the_configured_cache_dir_and_the_default(tmp_path, monkeypatch):
    monkeypatch.delenv("HTTP_CODEMODS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.resolve_dir(None, False, None, "/base") == str(tmp_path / "xdg" / "http-codemods")
    assert cache.resolve_dir(None, False, "rel", "/base") == "/base/rel"
    assert cache.resolve_dir("/cli", False, "rel", "/base") == "/cli"
    assert cache.resolve_dir("/cli", True, "rel", "/base") == ""
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.http-codemods]\ncache-dir = ".hc-cache"\n')
    (project / "prog.py").write_text(PROGRAM)
    CliRunner().invoke(command, ["--check", "-j", "1", str(project)])
    assert entries(project / ".hc-cache") == 1
    (project / "pyproject.toml").write_text("[tool.http-codemods]\ncache-dir = 3\n")
    result = CliRunner().invoke(command, ["--check", "-j", "1", str(project)])
    assert result.exit_code == 2 and "cache-dir" in result.output


# -- concurrency ---------------------------------------------------------------------------


def test_two_concurrent_runs_agree_and_leave_a_consistent_cache(tmp_path):
    tree = tmp_path / "tree"
    for copy in range(6):
        (tree / f"p{copy}").mkdir(parents=True)
        for sample in SAMPLES.glob("*.py"):
            (tree / f"p{copy}" / sample.name).write_bytes(sample.read_bytes())
    cache_dir = tmp_path / "c"
    cmd = [
        sys.executable,
        "-m",
        "codemods",
        "--check",
        "--format",
        "json",
        "-j",
        "2",
        "--cache-dir",
        str(cache_dir),
        str(tree),
    ]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(tmp_path)) for _ in range(2)]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [1, 1], [o[1] for o in outs]
    fresh = subprocess.run([*cmd, "--no-cache"], capture_output=True, cwd=str(tmp_path), timeout=240)
    expected = _json_report(fresh.stdout)
    assert _json_report(outs[0][0]) == _json_report(outs[1][0]) == expected
    # Every entry verifies, no temporary file is left, and a warm run agrees too.
    files = [f for f in (cache_dir / cache.FORMAT).rglob("*") if f.is_file()]
    assert files and not [f for f in files if f.name.startswith(".tmp-")]
    for f in files:
        key = f.parent.name + f.name
        load = cache.load_plain if f.parent.name == cache.INDEX_SHARD else cache.load
        assert load(str(cache_dir), key) is not None
    warm = subprocess.run(cmd, capture_output=True, cwd=str(tmp_path), timeout=240)
    assert _json_report(warm.stdout) == expected


# -- size ----------------------------------------------------------------------------------


def test_trim_removes_the_least_recently_used(tmp_path):
    cache_dir = str(tmp_path)
    now = time.time()
    for i in range(10):
        key = f"{i:02d}" + "0" * 62
        result = engine.FileResult(f"f{i}.py", engine.UNCHANGED, new_text="x" * 5000)
        cache.store(cache_dir, key, result)
        os.utime(cache._entry_path(cache_dir, key), (now - 1000 + i, now - 1000 + i))
    size = cache.stats(cache_dir)["bytes"]
    per_entry = size // 10
    removed = cache.trim(cache_dir, max_bytes=per_entry * 5)
    assert removed >= 6  # down to TRIM_TO of the bound
    left = sorted(int(p.parent.name) for p in (tmp_path / cache.FORMAT).rglob("*") if p.is_file())
    assert left == list(range(10 - len(left), 10)) and left  # the newest stay
    assert cache.stats(cache_dir)["bytes"] <= per_entry * 5 * cache.TRIM_TO
    # Under the bound: nothing removed.
    assert cache.trim(cache_dir, max_bytes=10**9) == 0


def test_a_hit_refreshes_an_old_entry(tmp_path):
    s, data, fresh, entry = _one_entry(tmp_path)
    old = time.time() - 2 * cache.TOUCH_AFTER
    os.utime(entry, (old, old))
    assert engine._process_cached(data, "prog.py", s) == fresh
    assert entry.stat().st_mtime > old + cache.TOUCH_AFTER


def test_trimming_runs_at_most_every_interval(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(cache, "trim", lambda d, m=cache.MAX_BYTES: calls.append(d) or 0)
    cache.store(str(tmp_path), "ab" * 32, engine.FileResult("a.py", engine.UNCHANGED))
    assert cache.maybe_trim(str(tmp_path)) is True
    assert cache.maybe_trim(str(tmp_path)) is False
    assert cache.maybe_trim(str(tmp_path), every=0) is True
    assert len(calls) == 2
    assert cache.maybe_trim(str(tmp_path / "absent")) is False


def test_a_run_trims_its_cache(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(cache, "maybe_trim", lambda d: calls.append(d))
    s = settings(tmp_path)
    engine.run([str(SAMPLES / "download.py")], s, jobs=1)
    assert calls == [s.cache_dir]


# -- the entry format holds any result, and names no code ---------------------------------


def test_any_result_shape_round_trips():
    from codemods.enums import StrEnum

    class Kind(StrEnum):
        A = "a"

    Kind.__module__, Kind.__qualname__ = "codemods.test_only", "Kind"
    sys.modules["codemods.test_only"] = type(sys)("codemods.test_only")
    sys.modules["codemods.test_only"].Kind = Kind
    try:
        value = {
            ("x", 1, 2): [{"k": b"\x00\xff"}],
            "s": frozenset({1, 2}),
            "t": (1, (2, 3)),
            "e": Kind.A,
            "site": engine.FileResult("p.py", engine.CHANGED, new_bytes=b"a\r\n"),
        }
        back = tagged_json.unpack(json.loads(json.dumps(tagged_json.pack(value))))
        assert back == value and type(back["e"]) is Kind and type(back["t"]) is tuple
    finally:
        del sys.modules["codemods.test_only"]


def test_an_entry_naming_other_code_is_a_miss(tmp_path):
    import hashlib
    import zlib

    key = "ef" * 32
    payload = {"key": key, "result": {"$o": ["os", "system", {}]}}
    body = zlib.compress(json.dumps(payload).encode())
    path = Path(cache._entry_path(str(tmp_path), key))
    path.parent.mkdir(parents=True)
    path.write_bytes(cache._MAGIC + hashlib.sha256(body).digest() + body)
    assert cache.load(str(tmp_path), key) is None
    # A value the format cannot hold is not stored (and nothing fails).
    cache.store(str(tmp_path), "ab" * 32, engine.FileResult("a.py", engine.UNCHANGED, applied=[object()]))
    assert cache.load(str(tmp_path), "ab" * 32) is None


def test_key_parts_and_uncacheable_results(tmp_path, monkeypatch):
    s = settings(tmp_path)
    base = cache.key(s, "a.py", b"x")
    style = {"a.py": "black 24"}
    monkeypatch.setattr(cache, "_KEY_PARTS", [])
    cache.add_key_part(lambda path, data: style.get(path))
    first = cache.key(s, "a.py", b"x")
    style["a.py"] = "black 25"
    assert cache.key(s, "a.py", b"x") not in (first, base)
    # A result marked as depending on the run (a formatter timed out) is not stored.
    data = PROGRAM.encode()
    real = engine._FileRun.rest  # the steps after the screen (the lookup comes between)

    def timed_out(*args):
        cache.mark_uncacheable("formatter timed out")
        return real(*args)

    monkeypatch.setattr(engine._FileRun, "rest", timed_out)
    engine._process_cached(data, "prog.py", s)
    assert entries(tmp_path / "cache") == 0
    monkeypatch.setattr(engine._FileRun, "rest", real)
    engine._process_cached(data, "prog.py", s)
    assert entries(tmp_path / "cache") == 1


def test_statuses_and_modes_are_their_strings():
    """engine.Status / engine.Mode (issue 10): the report's strings, in JSON and f-strings."""
    assert engine.CHANGED == "changed" and f"{engine.ERROR}" == "error" and json.dumps(engine.CHECK) == '"check"'
    assert {engine.SKIPPED: 1}["skipped"] == 1 and engine.Mode("diff") is engine.DIFF
    assert [s.value for s in engine.Status] == ["unchanged", "changed", "skipped", "error"]


def test_the_key_follows_the_files_style_and_what_other_files_import_from_it(tmp_path):
    """Import placement, import removal and the formatter read files other than the one
    rewritten: the project's isort/formatter configuration and the names other modules import
    from it. Each is part of the key (one process caches them, so the caches are cleared here
    as a new run would start without them)."""
    from codemods import style

    def fresh_key():
        style.style_for.cache_clear()
        style._style_of_directory.cache_clear()
        style._imported_names.cache_clear()
        return cache.key(s, str(mod), data)

    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    mod = tmp_path / "mod.py"
    data = b"import requests\n\n\ndef f():\n    return requests.get('u')\n"
    mod.write_bytes(data)
    s = settings(tmp_path)
    first = fresh_key()
    assert fresh_key() == first
    (tmp_path / "pyproject.toml").write_text(
        "[project]\nname = 'p'\n\n[tool.isort]\nforce_sort_within_sections = true\n"
    )
    second = fresh_key()
    assert second != first
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n\n[tool.black]\nline-length = 99\n")
    third = fresh_key()
    assert third not in (first, second)
    (tmp_path / "other.py").write_text("from mod import requests\n")
    assert fresh_key() not in (first, second, third)


# -- the file index: a warm run decided in the parent (fileindex.py, lookup.py) ---------------


def _project(tmp_path: Path) -> Path:
    """A project whose module a test may mock (share-session consults the facts)."""
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "mod.py").write_text(PROGRAM + "\n\ndef again(url):\n    return requests.get(url).text\n")
    (root / "pkg" / "plain.py").write_text("def nothing():\n    return 1\n")
    (root / "tests" / "test_mod.py").write_text("from pkg import mod\n\n\ndef test():\n    assert mod\n")
    old = time.time() - 60  # outside the racy window: the index trusts their stat
    for path in root.rglob("*"):
        os.utime(path, (old, old))
    return root


def _cli(tree: Path, cache_dir: Path, *extra: str) -> dict:
    args = ["--check", "--format", "json", "-j", "1", "--cache-dir", str(cache_dir), *extra, str(tree)]
    result = CliRunner().invoke(command, args)
    assert result.exit_code in (0, 1), result.output
    return _json_report(result.stdout)


def _fresh(tree: Path, cache_dir: Path) -> dict:
    return _cli(tree, cache_dir, "--no-cache")


def test_a_warm_run_starts_no_worker_parses_and_reads_nothing(tmp_path, monkeypatch):

    tree, cache_dir, cold = _cold_run(tmp_path)
    warm, hashed, parsed, handed = _warm(tree, cache_dir, monkeypatch)  # the table from disk
    assert handed == [] and parsed == 0
    assert warm == cold == _fresh(tree, cache_dir)
    # Only the candidate is read (for its entry's key); the others by their stat alone.
    assert hashed == 1


def test_an_edit_elsewhere_that_changes_a_files_facts_is_a_miss_for_it(tmp_path):
    tree = _project(tmp_path)
    cache_dir = tmp_path / "c"
    before = _cli(tree, cache_dir)
    test = tree / "tests" / "test_mod.py"
    test.write_text(
        # (monkeypatch: a mock.patch of the target would move to the package's session)
        "from pkg import mod\n\n\ndef test(monkeypatch):\n"
        '    monkeypatch.setattr(mod.requests, "get", lambda u: 1)\n    assert mod\n'
    )
    warm = _cli(tree, cache_dir)
    assert warm == _fresh(tree, cache_dir)
    mod = [f for f in warm["files"] if f["path"].endswith("mod.py") and "tests" not in f["path"]]
    old = [f for f in before["files"] if f["path"].endswith("mod.py") and "tests" not in f["path"]]
    assert mod != old  # the mock now keeps share-session from rewriting the module


@pytest.mark.parametrize("same_size", [True, False])
def test_an_edited_file_is_read_again_even_with_the_same_size_and_time(tmp_path, same_size):
    from codemods import fileindex

    tree = _project(tmp_path)
    cache_dir = tmp_path / "c"
    mod = tree / "pkg" / "mod.py"
    old = os.stat(mod)
    os.utime(mod, ns=(old.st_atime_ns - 10**10, old.st_mtime_ns - 10**10))  # not racy
    _cli(tree, cache_dir)
    text = mod.read_text()
    new = text.replace("fetch", "fetcH") if same_size else text + "\n\ndef more(u):\n    return requests.get(u)\n"
    mod.write_text(new)
    st = os.stat(mod)
    os.utime(mod, ns=(st.st_atime_ns, old.st_mtime_ns - 10**10))  # the old modification time
    fileindex.forget()
    assert _cli(tree, cache_dir) == _fresh(tree, cache_dir)


def test_a_signature_recorded_within_the_racy_window_is_not_trusted(tmp_path):
    from codemods import fileindex

    path = tmp_path / "f.py"
    path.write_text("x = 1\n")
    index = fileindex.FileIndex(str(tmp_path / "c"))
    sha, data = index.content(str(path))
    assert data == b"x = 1\n" and index.files[str(path)]["stat"] is None  # just written
    index.new_run()
    assert index.content(str(path))[1] is not None  # read again, not taken from the stat
    old = time.time() - 60
    os.utime(path, (old, old))
    index.new_run()
    index.content(str(path))
    index.new_run()
    assert index.content(str(path)) == (sha, None)  # trusted now


def test_the_index_is_per_tool_and_a_damaged_table_is_a_miss(tmp_path, monkeypatch):
    from codemods import fileindex

    tree = _project(tmp_path)
    cache_dir = tmp_path / "c"
    expected = _cli(tree, cache_dir)
    shard = cache_dir / cache.FORMAT / cache.INDEX_SHARD
    # The file index and the facts pass's memo (facts._RunMemo): both tables of the tool.
    assert len(list(shard.iterdir())) == 2 and cache.stats(str(cache_dir))["tables"] == 2
    tables = [shard / fileindex.FileIndex("")._key[len(cache.INDEX_SHARD) :]]
    fileindex.forget()
    assert fileindex.FileIndex(str(cache_dir)).files  # loads
    monkeypatch.setattr(cache, "_TOOL_KEY", cache.tool_key() + b"other")
    assert fileindex.FileIndex(str(cache_dir)).files == {}  # another tool: another table
    monkeypatch.undo()
    blob = tables[0].read_bytes()
    tables[0].write_bytes(blob[:-1] + bytes([blob[-1] ^ 1]))
    assert fileindex.FileIndex(str(cache_dir)).files == {}
    fileindex.forget()
    assert _cli(tree, cache_dir) == expected


def test_a_memo_is_keyed_by_its_parameters(tmp_path):
    from codemods import fileindex, lookup

    path = tmp_path / "f.py"
    path.write_text("import requests\n")
    index = fileindex.FileIndex(str(tmp_path / "c"))
    sha, _ = index.content(str(path))
    s = settings(tmp_path)
    index.put(str(path), lookup.PURPOSE, lookup.verdict_key(s, str(path), sha), False)
    assert index.get(str(path), lookup.PURPOSE, lookup.verdict_key(s, str(path), sha)) is False
    other = dataclasses.replace(s, prefilter_words=("Client",))
    assert index.get(str(path), lookup.PURPOSE, lookup.verdict_key(other, str(path), sha)) is fileindex.MISSING
    path.write_text("import httpx\n")
    index.new_run()
    new_sha, _ = index.content(str(path))
    assert index.get(str(path), lookup.PURPOSE, lookup.verdict_key(s, str(path), new_sha)) is fileindex.MISSING


def test_the_verdict_key_of_a_file_handed_on_is_reused_only_for_the_bytes_it_was_made_of(tmp_path):
    """``lookup`` keeps the verdict's key of a file it hands to a worker; ``remember`` stores
    the verdict under it, but not when the file changed meanwhile (other bytes, no verdict)."""
    from codemods import fileindex, lookup

    s = settings(tmp_path)
    same, changed = tmp_path / "same.py", tmp_path / "changed.py"
    for path in (same, changed):
        path.write_text("import requests\n")
    index = fileindex.FileIndex(str(tmp_path / "c"))
    keys = {}
    seen = {str(p): lookup.lookup(str(p), s, index, keys) for p in (same, changed)}
    assert keys == {p: lookup.verdict_key(s, p, sha) for p, sha in seen.items()}
    changed.write_text("import httpx\n")
    result = engine.FileResult(path="", status=engine.UNCHANGED)
    for path, sha in seen.items():
        lookup.remember(index, path, sha, s, dataclasses.replace(result, path=path), keys[path])
    assert index.get(str(same), lookup.PURPOSE, keys[str(same)]) is True
    new_sha, _ = index.content(str(changed))
    assert new_sha != seen[str(changed)]
    for key in (keys[str(changed)], lookup.verdict_key(s, str(changed), new_sha)):
        assert index.get(str(changed), lookup.PURPOSE, key) is fileindex.MISSING


def test_the_memoised_facts_pass_equals_the_fresh_one(tmp_path):
    from codemods import facts, fileindex

    tree = _project(tmp_path)
    (tree / "tests" / "test_mod.py").write_text(
        'from unittest import mock\n\n\ndef test():\n    with mock.patch("pkg.mod.requests.get"):\n        pass\n'
    )
    old = time.time() - 60
    os.utime(tree / "tests" / "test_mod.py", (old, old))
    files = sorted(str(p) for p in tree.rglob("*.py"))
    fresh = facts.for_run(files, [str(tree)])
    index = fileindex.FileIndex(str(tmp_path / "c"))
    assert facts.for_run(files, [str(tree)], index=index) == fresh
    index.save()
    again = fileindex.FileIndex(str(tmp_path / "c"))
    assert facts.for_run(files, [str(tree)], index=again) == fresh
    assert again.hashed == 0 and fresh.patches


def _facts_twice(tree: Path, cache_dir: Path, edit, monkeypatch) -> tuple:
    """(the facts through the run memo after ``edit(tree)``, a fresh pass's, whether the memo
    was looked up): a first run's memo is on disk when ``edit`` runs. Only what ``edit``
    touches is new to the index (the other files keep the ``stat`` it recorded)."""
    from codemods import facts, fileindex

    old = time.time() - 60
    for path in tree.rglob("*"):
        os.utime(path, (old, old))
    files = sorted(str(p) for p in tree.rglob("*.py"))
    first = fileindex.FileIndex(str(cache_dir))
    facts.for_run(files, [str(tree.parent)], index=first)
    first.save()
    edit(tree)
    files = sorted(str(p) for p in tree.rglob("*.py"))
    looked = []
    load = facts._load_run
    monkeypatch.setattr(facts, "_load_run", lambda *a: looked.append(1) or load(*a))
    memoised = facts.for_run(files, [str(tree.parent)], index=fileindex.FileIndex(str(cache_dir)))
    monkeypatch.undo()
    return memoised, facts.for_run(files, [str(tree.parent)]), bool(looked)


def _patching_test(tree: Path) -> None:
    (tree / "tests" / "test_mod.py").write_text(
        'from unittest import mock\n\n\ndef test():\n    with mock.patch("pkg.mod.requests.get"):\n        pass\n'
    )


@pytest.mark.parametrize(
    "edit, looked",
    [
        (_patching_test, False),  # another file's bytes (not known unread: no memo at all)
        (lambda tree: (tree / "tests" / "test_new.py").write_text("import pkg.mod\n"), False),  # added
        (lambda tree: (tree / "pkg" / "__init__.py").unlink(), True),  # the names: no package
        (lambda tree: (tree.parent / "setup.cfg").write_text(""), True),  # a marker: another project
        (lambda tree: (tree / "pytest.ini").write_text("[pytest]\npythonpath = pkg\n"), True),  # roots
        (lambda tree: (tree / "requirements.txt").write_text("requests>=2.32\n"), True),  # the bounds
    ],
)
def test_the_run_memo_of_the_facts_follows_every_file_and_what_the_disk_says(tmp_path, monkeypatch, edit, looked):
    tree = _project(tmp_path)
    (tree / "tests" / "test_mod.py").write_text("from pkg import mod\n")
    memoised, fresh, was_looked_up = _facts_twice(tree, tmp_path / "c", edit, monkeypatch)
    assert memoised == fresh and was_looked_up == looked


def test_the_run_memo_of_the_facts_is_used_when_nothing_changed(tmp_path, monkeypatch):
    from codemods import facts, fileindex

    tree = _project(tmp_path)
    _patching_test(tree)
    cache_dir = tmp_path / "c"
    memoised, fresh, looked = _facts_twice(tree, cache_dir, lambda tree: None, monkeypatch)
    assert memoised == fresh and fresh.patches and looked
    files = sorted(str(p) for p in tree.rglob("*.py"))
    monkeypatch.setattr(facts, "_file_parts", lambda *a: pytest.fail("recomputed"))
    assert facts.for_run(files, [str(tree.parent)], index=fileindex.FileIndex(str(cache_dir))) == fresh


def _cold_run(tmp_path: Path) -> tuple:
    """The test project and a cache directory after one run: (tree, cache_dir, its report)."""
    tree = _project(tmp_path)
    cache_dir = tmp_path / "c"
    return tree, cache_dir, _cli(tree, cache_dir)


def _warm(tree: Path, cache_dir: Path, monkeypatch) -> tuple:
    """A run as a new process would make it: (its report, files it read and hashed, files it
    parsed, files handed to workers)."""
    from codemods import fileindex

    fileindex.forget()
    handed: list = []
    real_run_iter = engine._run_iter
    monkeypatch.setattr(
        engine, "_run_iter", lambda paths, s, jobs: handed.extend(paths) or real_run_iter(paths, s, jobs)
    )
    parses = engine.PARSE_COUNT
    report = _cli(tree, cache_dir)
    monkeypatch.undo()
    hashed = fileindex._SHARED.hashed if fileindex._SHARED is not None else -1
    return report, hashed, engine.PARSE_COUNT - parses, handed


def test_an_edit_that_keeps_the_size_is_the_edited_files_fresh_result(tmp_path, monkeypatch):
    tree, cache_dir, _ = _cold_run(tmp_path)
    mod = tree / "pkg" / "mod.py"
    before = mod.stat()
    mod.write_text(mod.read_text().replace("requests.get(url).text", "requests.get(url).json"))
    old = time.time() - 30  # a new modification time, outside the racy window
    os.utime(mod, (old, old))
    assert mod.stat().st_size == before.st_size and mod.stat().st_mtime_ns != before.st_mtime_ns
    report, _, parsed, handed = _warm(tree, cache_dir, monkeypatch)
    assert handed == [str(mod)] and parsed > 0  # only the edited file is processed again
    assert report == _fresh(tree, cache_dir)
    assert any("json" in (f.get("diff") or "") for f in report["files"])  # the new bytes' result


def test_a_touch_without_change_reads_the_file_again_and_is_still_a_hit(tmp_path, monkeypatch):
    tree, cache_dir, cold = _cold_run(tmp_path)
    _, hashed, _, _ = _warm(tree, cache_dir, monkeypatch)
    assert hashed == 1  # the candidate only (its entry's key needs its bytes)
    plain = tree / "pkg" / "plain.py"
    old = time.time() - 30
    os.utime(plain, (old, old))  # touched: another modification time, the same bytes
    report, hashed, parsed, handed = _warm(tree, cache_dir, monkeypatch)
    assert report == cold and handed == [] and parsed == 0
    assert hashed == 2  # its signature changed: read and hashed again (same SHA-256, same verdict)
    _, hashed, _, _ = _warm(tree, cache_dir, monkeypatch)
    assert hashed == 1  # the new signature was recorded: trusted again


def test_a_file_replaced_by_another_with_the_same_time_but_another_size(tmp_path, monkeypatch):
    tree, cache_dir, _ = _cold_run(tmp_path)
    plain = tree / "pkg" / "plain.py"
    before = plain.stat()
    other = tmp_path / "other.py"
    other.write_text("import requests\n\n\ndef nothing(u):\n    return requests.get(u).status_code\n")
    os.utime(other, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(other, plain)  # a new file under the old name, with the old modification time
    assert plain.stat().st_mtime_ns == before.st_mtime_ns and plain.stat().st_size != before.st_size
    report, _, parsed, handed = _warm(tree, cache_dir, monkeypatch)
    # Read again (its size differs), a miss; the package's plan changed with it, so its
    # neighbour is a miss too (the plan is in every key).
    assert str(plain) in handed and parsed > 0
    assert report == _fresh(tree, cache_dir)
    assert str(plain) in {f["path"] for f in report["files"]}  # it now has a site


def test_a_cold_run_computes_each_candidates_key_once(tmp_path, monkeypatch):
    """A cold run's candidate (no verdict yet) goes to the worker (here in-process: no
    budgets), which computes its key once (its key parts search the project) for the lookup
    and the store; a warm run's parent computes it for its lookup, and a miss's worker reuses
    it. The warm run hits, and both agree with a fresh run."""
    tree = _project(tmp_path)
    cache_dir = tmp_path / "c"
    calls: list = []
    real = cache.key
    monkeypatch.setattr(cache, "key", lambda s, path, data: calls.append(path) or real(s, path, data))
    in_process = ("--file-time-limit", "0", "--file-memory-limit", "0")
    cold = _cli(tree, cache_dir, *in_process)
    mod = str(tree / "pkg" / "mod.py")
    assert calls.count(mod) == 1
    assert entries(cache_dir) >= 1
    parses = engine.PARSE_COUNT
    warm = _cli(tree, cache_dir, *in_process)
    assert engine.PARSE_COUNT == parses  # every candidate a hit
    assert warm == cold == _fresh(tree, cache_dir)


def test_a_key_is_reused_only_for_the_same_bytes_and_settings(tmp_path):
    s = settings(tmp_path)
    other = settings(tmp_path, mode=engine.WRITE)
    cache.open_run()
    try:
        first = cache.run_key(s, "a.py", b"import requests\n")
        assert cache.run_key(s, "a.py", b"import requests\n") == first
        assert cache.run_key(s, "a.py", b"import httpx\n") == cache.key(s, "a.py", b"import httpx\n") != first
        assert cache.run_key(other, "a.py", b"import httpx\n") == cache.key(other, "a.py", b"import httpx\n")
        assert cache.key(other, "a.py", b"import httpx\n") != cache.key(s, "a.py", b"import httpx\n")
    finally:
        cache.close_run()
    assert cache._RUN_KEYS is None


def test_an_importer_edited_between_runs_is_a_miss_for_the_module_it_imports_from(tmp_path, monkeypatch):
    """What other files import from a module is a key part (``style._imported_key``); a cold
    run memoises each file's from-imports in the facts pass, so the warm run reads no other
    file for it, and an importer edited since is read again: the module is a miss."""
    tree, cache_dir, _ = _cold_run(tmp_path)
    _, hashed, _, _ = _warm(tree, cache_dir, monkeypatch)
    assert hashed == 1  # the candidate only: every from-import came from the memo
    test = tree / "tests" / "test_mod.py"
    test.write_text("from pkg.mod import requests\n\n\ndef test():\n    assert requests\n")
    old = time.time() - 30
    os.utime(test, (old, old))
    report, _, parsed, handed = _warm(tree, cache_dir, monkeypatch)
    assert str(tree / "pkg" / "mod.py") in handed and parsed > 0
    assert report == _fresh(tree, cache_dir)


@pytest.mark.parametrize("cached", [False, True])
def test_the_facts_pass_in_processes_equals_the_one_in_the_parent(tmp_path, monkeypatch, cached):
    """``jobs`` > 1 reads and computes the files' parts in forked processes: the same facts,
    and (with an index) the same table the parent's own pass records, memos included."""
    from codemods import facts, fileindex

    tree = _project(tmp_path)
    (tree / "tests" / "test_mod.py").write_text(
        "from unittest import mock\n\nfrom pkg.mod import fetch\n\n\ndef test():\n"
        '    with mock.patch("pkg.mod.requests.get"):\n        assert fetch\n'
    )
    (tree / "pkg" / "gone.py").symlink_to(tree / "nowhere.py")  # unreadable: no part
    files = sorted(str(p) for p in tree.rglob("*.py"))
    monkeypatch.setattr(facts, "PARALLEL_FROM", 1)
    serial_index = fileindex.FileIndex(str(tmp_path / "c1")) if cached else None
    parallel_index = fileindex.FileIndex(str(tmp_path / "c2")) if cached else None
    serial = facts.for_run(files, [str(tree)], index=serial_index)
    parallel = facts.for_run(files, [str(tree)], index=parallel_index, jobs=2)
    assert parallel == serial and serial.patches
    if cached:
        assert parallel_index.files == serial_index.files
        assert parallel_index.hashed == serial_index.hashed == len(files) - 1
        memos = {name for entry in serial_index.files.values() for name in entry["memo"]}
        assert memos == {facts._MEMO, "from-imports"}
        # Unchanged files are answered from the memo, in the parent, by both.
        assert facts.for_run(files, [str(tree)], index=parallel_index, jobs=2) == serial
        assert parallel_index.hashed == len(files) - 1


@pytest.mark.parametrize("cached", [False, True])
def test_each_screened_file_counts_once_in_the_prefilter_stats(tmp_path, monkeypatch, cached):
    """A cached run asks the bytes stage twice of a file (``engine._process_cached``, then
    ``screen``): the stage counters still count each file once, in one stage."""
    from codemods import fileindex, prefilter

    tree = _project(tmp_path)
    (tree / "pkg" / "other.py").write_text("import requests\n\nprint(requests)\n")  # rejected by ast
    files = sorted(str(p) for p in tree.rglob("*.py"))
    monkeypatch.setattr(prefilter, "STATS", dict.fromkeys(prefilter.STATS, 0))
    s = settings(tmp_path) if cached else settings(tmp_path, cache_dir="")
    fileindex.shared(s.cache_dir)
    results = engine.run(files, s, 1)  # in this process: its counters
    stats = prefilter.STATS
    assert stats["bytes_rejected"] + stats["ast_rejected"] + stats["candidates"] == len(files)
    assert stats["bytes_rejected"] == 3 and stats["ast_rejected"] == 1
    assert sum(r.status == engine.SKIPPED for r in results) == 4


def test_workers_collect_garbage_less_often_and_the_parent_keeps_its_thresholds(tmp_path):
    """``workers.tune_gc`` raises a worker's collector thresholds (issue 14: the collector was
    a fifth of a worker's CPU time); the parent's, its caller's, are never changed."""
    import gc

    from codemods import workers

    before = gc.get_threshold()
    context = workers.start_context()
    parent_end, child_end = context.Pipe()

    def child(conn):
        workers.tune_gc()
        conn.send(gc.get_threshold())

    process = context.Process(target=child, args=(child_end,))
    process.start()
    assert parent_end.recv() == workers.GC_THRESHOLD != before
    process.join()
    paths = []
    for name in ("a.py", "b.py"):
        path = tmp_path / name
        path.write_text(PROGRAM)
        paths.append(str(path))
    for budget in (0.0, 60.0):  # the pool's workers, then the supervised ones
        results = engine.run(paths, settings(tmp_path, cache_dir="", file_time_limit=budget), jobs=2)
        assert [r.status for r in results] == [engine.CHANGED, engine.CHANGED]
        assert gc.get_threshold() == before


def test_the_factories_pass_sees_the_patches_in_sorted_order(tmp_path, monkeypatch):
    """The reason of a mocked factory cites the first patch that replaces it: the patches reach
    ``factories.collect`` sorted, not in a set's order (which changes with the hash seed: the
    corpus report cited another patch from run to run)."""
    from codemods import facts
    from codemods.facts import factories

    tree = _project(tmp_path)
    (tree / "tests" / "test_two.py").write_text(
        "from unittest import mock\n\n\n@mock.patch('pkg.mod.requests.post')\n@mock.patch('pkg.mod.requests.get')\n"
        "@mock.patch('requests.head')\ndef test(*mocks):\n    assert mocks\n"
    )
    seen = []
    real = factories.collect

    def spy(files, reals, owner, names, package, read, patches, display, *rest):
        seen.append(patches)
        return real(files, reals, owner, names, package, read, patches, display, *rest)

    monkeypatch.setattr(factories, "collect", spy)
    found = facts.for_run(sorted(str(p) for p in tree.rglob("*.py")), [str(tree)])
    assert len(seen) == 1 and isinstance(seen[0], tuple) and len(seen[0]) >= 3
    assert list(seen[0]) == sorted(found.patches)


def test_a_new_importer_in_a_new_directory_is_a_miss_and_links_are_not_followed(tmp_path, monkeypatch):
    """``style._imported_names`` lists every directory again on each run (the file index
    answers only for the files it lists): a module imported by a file added since the last
    run, in a directory added since, is a miss and gets its fresh result. A link to a
    directory is listed but not descended into (os.walk's rule), a link to a file not read."""
    from codemods import style

    tree, cache_dir, _ = _cold_run(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "uses.py").write_text("from mod import not_through_a_link\n")
    (tree / "linked").symlink_to(outside, target_is_directory=True)
    (tree / "linked_file.py").symlink_to(outside / "uses.py")
    style._imported_names.cache_clear()
    found = style._imported_names(str(tree))
    assert "not_through_a_link" not in found.get("mod", ())
    _, hashed, _, handed = _warm(tree, cache_dir, monkeypatch)
    assert hashed == 1 and not handed  # unchanged: every from-import from the index's memo
    (tree / "tools" / "deep").mkdir(parents=True)
    (tree / "tools" / "deep" / "use.py").write_text("from pkg.mod import requests\n")
    report, _, parsed, handed = _warm(tree, cache_dir, monkeypatch)
    assert str(tree / "pkg" / "mod.py") in handed and parsed > 0
    assert report == _fresh(tree, cache_dir)


def test_the_digester_is_the_digest_and_follows_its_parameters():
    from codemods import fileindex

    for purpose, parts in (("from-imports", [2]), ("screen", ["a", "b"]), ("x", {"k": [1, "é"]})):
        of = fileindex.digester(purpose, parts)
        assert of("abc") == fileindex.digest(purpose, parts, "abc")
        assert of("abd") == fileindex.digest(purpose, parts, "abd") != of("abc")
    assert fileindex.digester("p", [1])("c") != fileindex.digester("p", [2])("c")


def test_the_memoised_absolute_and_shown_paths_follow_the_current_directory(tmp_path, monkeypatch):
    """``fileindex.absolute`` and ``discover.display_path`` memoise per spelling; a relative
    spelling is keyed with the current directory, so a change of directory is a new answer."""
    from codemods import discover, fileindex

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for where in ("a", "b", "a"):
        monkeypatch.chdir(tmp_path / where)
        for spelling in ("x.py", "./sub/../x.py", str(tmp_path / where / "x.py"), "/tmp//y/./z.py"):
            assert fileindex.absolute(spelling) == os.path.abspath(spelling)
            assert discover.display_path(spelling) == discover._display_path(spelling, os.getcwd())
        assert discover.display_path(str(tmp_path / "a" / "x.py")) == (
            "x.py" if where == "a" else str(tmp_path / "a" / "x.py")
        )


def test_the_project_finders_marker_memo_lasts_one_pass(tmp_path):
    """``facts._ProjectFinder`` memoises which directories hold a marker for one pass only:
    a marker added before the next pass makes its directory a project."""
    from codemods import facts

    (tmp_path / "sub" / "pkg").mkdir(parents=True)
    module = tmp_path / "sub" / "pkg" / "m.py"
    module.write_text("x = 1\n")
    (tmp_path / "pyproject.toml").write_text("")
    assert facts.collect([str(module)], [str(tmp_path)]).projects == (str(tmp_path),)
    os.remove(tmp_path / "pyproject.toml")
    (tmp_path / "sub" / "setup.py").write_text("")
    assert facts.collect([str(module)], [str(tmp_path)]).projects == (str(tmp_path / "sub"),)


def test_the_verdict_key_memo_follows_the_prefilter_words(tmp_path):
    """``lookup.verdict_key`` hashes the words once per set of words: the same key as the
    plain digest, and another one for other words."""
    from codemods import fileindex, lookup

    keys = set()
    for words in (("requests",), ("httpx", "requests"), ("requests",), ("requests", "requests")):
        s = settings(tmp_path, prefilter_words=words)
        key = lookup.verdict_key(s, "a.py", "0" * 64)
        # the words, and what else the verdict depends on (the codemods: ``engine.screen_key``)
        expected = sorted(set(words) | set(engine.screen_key(s, "a.py")))
        assert any(part.startswith("codemod:") for part in expected)
        assert key == fileindex.digest(lookup.PURPOSE, expected, "0" * 64)
        assert lookup.verdict_key(s, "a.py", "1" * 64) != key
        keys.add(key)
    assert len(keys) == 2


def test_a_cold_run_with_workers_leaves_the_import_memo_for_the_warm_run(tmp_path):
    """The workers compute the cache keys of their files (which files the imports run:
    ``ProjectFacts._imported``) in their own copies of the file index; the parent memoises it
    too, so the first warm run neither builds the import graph nor writes the index again."""
    from codemods import fileindex

    tree = _project(tmp_path)
    (tree / "pkg" / "other.py").write_text(PROGRAM.replace("def ", "def other_", 1))
    old = time.time() - 60
    os.utime(tree / "pkg" / "other.py", (old, old))
    cache_dir = tmp_path / "c"
    _cli(tree, cache_dir, "-j", "2")  # supervised workers (the default time limit)
    fileindex.forget()
    index = fileindex.FileIndex(str(cache_dir))
    memos = {name for entry in index.files.values() for name in entry.get("memo", {})}
    assert "imported-by-facts" in memos, memos
