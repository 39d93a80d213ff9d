"""Small helpers for before/after tests of codemods through the real engine."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from codemods import engine
from codemods.base import Site


def transform(
    source: str,
    codemods: Sequence[str],
    options: Optional[Dict[str, Dict[str, Any]]] = None,
    path: str = "example.py",
) -> Tuple[str, List[Site]]:
    """Run ``codemods`` over dedented ``source``; return (new source, sites).

    Fails the test if the engine reports an error for the file.
    """
    source = textwrap.dedent(source)
    settings = engine.Settings(codemods=tuple(codemods), options=options or {}, mode=engine.CHECK)
    result = engine.process_source(source.encode("utf-8"), path, settings)
    assert result.status != engine.ERROR, result.error
    new = result.new_text if result.status == engine.CHANGED else source
    if result.status == engine.CHANGED:
        # Idempotency: a second run over the output changes nothing and reports the same.
        again = engine.process_source(new.encode("utf-8"), path, settings)
        assert again.status in (engine.UNCHANGED, engine.SKIPPED), again.diff
    return new, result.sites


def reasons(sites: Sequence[Site], action: str = "reported") -> List[Tuple[int, str]]:
    return [(s.line, s.reason) for s in sites if s.action == action]


def dedent(text: str) -> str:
    return textwrap.dedent(text)


def write(root: Path, files: Dict[str, str]) -> Path:
    """A project tree under ``root``: each name (with its directories) holding its dedented text."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def cli_sites(root: Path, *args: str) -> Dict[str, List[Tuple[int, str, str]]]:
    """{path relative to root: [(line, action, reason)]} of a JSON ``-j 1`` CLI run in
    ``root`` with ``args`` (the codemods, ``--check``, ...)."""
    import json
    import os

    from click.testing import CliRunner

    from codemods.cli import command

    cwd = os.getcwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(command, [*args, "--format", "json", "-j", "1", "."])
    finally:
        os.chdir(cwd)
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.stdout)
    return {f["path"]: [(s["line"], s["action"], s["reason"]) for s in f["sites"]] for f in data["files"] if f["sites"]}


def make_project(tmp_path: Path, files: Dict[str, str]) -> Path:
    """``tmp_path/proj``: a package ``pkg`` with a ``pyproject.toml``, plus ``files``."""
    return write(tmp_path / "proj", {"pyproject.toml": '[project]\nname = "pkg"\n', "pkg/__init__.py": "", **files})
