"""The sample programs: the tool's output on each equals the committed expected rewrite
(samples/expected/NAME.py), and a second run over that output changes nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
NAMES = sorted(p.name for p in SAMPLES.glob("*.py") if "SERVER_URL" in p.read_text())


def run_tool(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "codemods", "-j", "1", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def rewritten(tmp_path_factory):
    work = tmp_path_factory.mktemp("samples")
    for name in NAMES:
        shutil.copy(SAMPLES / name, work / name)
    proc = run_tool(".", cwd=work)
    assert proc.returncode == 0, proc.stderr
    return work


def test_every_pattern_has_a_sample():
    assert NAMES == [
        "aiohttp_client.py",
        "api_client.py",
        "crawler.py",
        "download.py",
        "health_check.py",
        "httpx_client.py",
    ]
    assert sorted(p.name for p in (SAMPLES / "expected").glob("*.py")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_output_equals_the_expected_rewrite(rewritten, name):
    assert (rewritten / name).read_text() == (SAMPLES / "expected" / name).read_text()
    assert (rewritten / name).read_text() != (SAMPLES / name).read_text()  # each one needs a fix


def test_second_run_is_a_no_op(rewritten):
    before = {name: (rewritten / name).read_bytes() for name in NAMES}
    proc = run_tool("--check", ".", cwd=rewritten)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 would be rewritten" in proc.stderr and "0 left for review" in proc.stderr
    assert {name: (rewritten / name).read_bytes() for name in NAMES} == before


def test_health_check_gets_a_with_covering_both_return_paths():
    text = (SAMPLES / "expected" / "health_check.py").read_text()
    body = text.split("def check(url):\n", 1)[1].split("\n\n", 1)[0]
    lines = body.splitlines()
    assert lines[0].strip().startswith("with ") and lines[0].rstrip().endswith("as response:")
    returns = [line for line in lines if line.strip().startswith("return ")]
    assert len(returns) == 2
    indent = len(lines[0]) - len(lines[0].lstrip())
    assert all(len(line) - len(line.lstrip()) > indent for line in lines[1:])
