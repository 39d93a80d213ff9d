"""``python -I -m black`` runs as black's own entry point in the tool's process when it can
(``formatting._black_here``; issue 14: a Python start and black's import per run were most of
the formatting time): the output is the subprocess's, whatever the configuration says."""

from __future__ import annotations

import textwrap
from types import SimpleNamespace

import pytest

from codemods import formatting

pytest.importorskip("black")

SOURCE = textwrap.dedent(
    """\
    import os
    def f(a,b):
        x = {'a':1,"b":2}
        return requests.get('http://example.com/a/long/url/that/goes/on/and/on/and/on', timeout=60, headers={'x':'y'})
    class  C :
        def g(self): return   1
    """
)

CONFIGS = {
    "default": "[tool.black]\n",
    "line length, targets": "[tool.black]\nline-length = 79\ntarget-version = ['py37']\n",
    "no normalization": "[tool.black]\nskip-string-normalization = true\nskip-magic-trailing-comma = true\n",
    "preview": "[tool.black]\npreview = true\nline-length = 100\n",
    "another version required": "[tool.black]\nrequired-version = '22'\n",
    "excluded": "[tool.black]\nforce-exclude = 'pkg'\n",
    "invalid": "[tool.black]\nline-length = 'x'\n",
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_black_in_process_writes_what_the_subprocess_writes(tmp_path, monkeypatch, name):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pyproject.toml").write_text(CONFIGS[name])
    path = str(tmp_path / "pkg" / "m.py")
    command = formatting._command("black")
    assert command is not None
    ran = []
    real = formatting._run_black_here
    monkeypatch.setattr(formatting, "_run_black_here", lambda *args: ran.append(real(*args)[0]) or real(*args))
    for config in (str(tmp_path / "pyproject.toml"), ""):  # --config, or found from the file
        style = SimpleNamespace(formatter="black", formatter_config=config)
        for text, ranges in ((SOURCE, None), (SOURCE, [(2, 4)]), (SOURCE, [(6, 6)]), ("def (:\n", None)):
            monkeypatch.setattr(formatting, "BLACK_IN_PROCESS", False)
            expected = formatting._format_ranges(command, text, path, style, ranges)
            monkeypatch.setattr(formatting, "BLACK_IN_PROCESS", True)
            assert formatting._format_ranges(command, text, path, style, ranges) == expected, (config, ranges)
    if command[:4] == [formatting.sys.executable, "-I", "-m", "black"]:
        assert ran and all(ran)  # it did run in the process


def test_black_runs_as_a_subprocess_beside_other_threads(monkeypatch):
    """The standard streams are swapped while black runs: never with another thread about."""
    monkeypatch.setattr(formatting.threading, "active_count", lambda: 2)
    assert not formatting._black_here([formatting.sys.executable, "-I", "-m", "black", "-q", "-"])
    assert not formatting._black_here(["/usr/bin/black", "-q", "-"])
