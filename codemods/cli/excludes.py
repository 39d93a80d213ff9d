"""Which named paths ``--force-exclude`` skips and which codemods ``per-file-ignores`` turns off
for a file: gitignore globs relative to the configuration's directory."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any, Dict, List, Optional, Sequence

from .. import config, engine


def _relative_to(path: str, base: str) -> Optional[str]:
    rel = os.path.relpath(os.path.abspath(path), base)
    if rel == os.curdir or rel.startswith(os.pardir + os.sep) or rel == os.pardir:
        return None
    return rel.replace(os.sep, "/")


def _matches(spec: Any, path: str, base: str, is_dir: bool) -> bool:
    """Whether ``spec`` (gitignore globs) matches ``path`` relative to ``base`` (the
    configuration's directory), or its name alone when it lies outside ``base``."""
    rel = _relative_to(path, base)
    if rel is None:
        absolute = os.path.abspath(path)
        if base == absolute or base.startswith(absolute.rstrip(os.sep) + os.sep):
            return False  # the configuration's directory or one above it: never excluded
        rel = os.path.basename(absolute)
    return bool(spec.match_file(rel + "/" if is_dir else rel))


def force_excluded(excludes: Sequence[str], base: str):
    """``--force-exclude``: the predicate for paths named on the command line: the excludes
    (and the default ones: .venv, build, ...) apply to them as to the files found in a walk."""
    import pathspec

    from ..discover import DEFAULT_EXCLUDES

    spec = pathspec.GitIgnoreSpec.from_lines(list(excludes) + [f"{name}/" for name in DEFAULT_EXCLUDES])

    def excluded(path: str) -> bool:
        return _matches(spec, path, base, os.path.isdir(path))

    return excluded


def _per_file_ignored(cfg: Dict[str, Any], base: str, path: str) -> List[str]:
    import pathspec

    ignored: List[str] = []
    for pattern, names in cfg.get("per-file-ignores", {}).items():
        if _matches(pathspec.GitIgnoreSpec.from_lines([pattern]), path, base, False):
            ignored += config.expand_all(names)
    return ignored


def with_per_file_ignores(settings: engine.Settings, cfg: Dict[str, Any], base: str, path: str) -> engine.Settings:
    ignored = set(_per_file_ignored(cfg, base, path))
    if not ignored:
        return settings
    return replace(settings, codemods=tuple(n for n in settings.codemods if n not in ignored))
