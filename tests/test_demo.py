"""The demo, run for real: every sample before and after the rewrite against the counting
server; assert on its numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods import demo

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def comparisons():
    return {c.program: c for c in demo.run_demo(ROOT / "samples")}


def test_every_sample_ran_and_was_rewritten(comparisons):
    assert sorted(comparisons) == [p.name for p in demo.sample_programs(ROOT / "samples")]
    assert len(comparisons) == 6
    for c in comparisons.values():
        assert c.before.returncode == 0, c.before.stderr
        assert c.after.returncode == 0, c.after.stderr
        assert c.applied, c.program
        assert c.sites_left == [], c.sites_left


def test_same_results_and_same_requests(comparisons):
    for c in comparisons.values():
        assert c.results_match, (c.program, c.before.result, c.after.result)
        assert c.before.result is not None
        assert c.before.requests == c.after.requests > 0, c.program


def test_nothing_left_open_after(comparisons):
    for c in comparisons.values():
        assert c.after.still_open == 0, c.program
        assert c.after.unclosed == 0, (c.program, c.after.stderr)


def test_the_leaks_are_visible_before(comparisons):
    leaky = ["aiohttp_client.py", "crawler.py", "download.py", "health_check.py", "httpx_client.py"]
    for name in leaky:
        assert comparisons[name].before.still_open > 0, name
    assert comparisons["aiohttp_client.py"].before.unclosed > 0
    assert comparisons["httpx_client.py"].before.unclosed > 0


def test_fewer_connections_where_sessions_are_shared(comparisons):
    for name in ("api_client.py", "health_check.py", "download.py"):
        c = comparisons[name]
        assert "share-session" in c.applied
        assert c.after.connections < c.before.connections, name
    api = comparisons["api_client.py"]
    assert api.before.connections == api.before.requests  # a connection per bare call
    assert api.after.connections == 1
    # Cookie isolation kept: the shared session did not carry the cookie into the next call.
    assert api.after.result["cookie"] is None


def test_the_command_prints_a_table(tmp_path, capsys):
    sample = ROOT / "samples" / "crawler.py"
    (tmp_path / sample.name).write_text(sample.read_text())
    # ``python -m codemods.demo DIR`` is ``sys.exit(main([DIR]))``: called here, one interpreter
    # start fewer (the programs and the rewrite still run in processes of their own).
    status = demo.main([str(tmp_path)])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "crawler.py  (rewritten by: close-client)" in out
    for label in ("requests sent", "TCP connections opened", "still open when it returned", '"Unclosed ..." warnings'):
        assert label in out
    assert "same results" in out and "yes" in out
    row = [line for line in out.splitlines() if "still open when it returned" in line][0]
    assert row.split()[-2:] == ["3", "0"]
