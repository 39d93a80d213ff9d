"""``[tool.http-codemods]`` in the nearest ``pyproject.toml``.

Keys: ``select``, ``ignore``, ``exclude`` (lists or comma strings), ``jobs``, and every
codemod option either flat (``timeout = 30``, ``session-scope = "function"``) or in the
codemod's own table (``[tool.http-codemods.add-timeout] timeout = 30``). Underscores and
dashes are interchangeable. Command-line options win over the file.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Dict, List, Optional, Sequence

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class ConfigError(Exception):
    pass


def find_pyproject(paths: Sequence[str]) -> Optional[str]:
    """The nearest pyproject.toml at or above the common directory of ``paths``."""
    absolute = [os.path.abspath(p) for p in paths] or [os.getcwd()]
    try:
        common = os.path.commonpath(absolute)
    except ValueError:
        common = os.getcwd()
    current = common if os.path.isdir(common) else os.path.dirname(common)
    while True:
        candidate = os.path.join(current, "pyproject.toml")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def load(path: Optional[str]) -> Dict[str, Any]:
    """The ``[tool.http-codemods]`` table with keys normalised to dashes ({} if none)."""
    if path is None:
        return {}
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}")
    table = data.get("tool", {}).get("http-codemods", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.http-codemods] must be a table")
    return _normalise(table)


def _normalise(table: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, value in table.items():
        key = key.replace("_", "-")
        out[key] = _normalise(value) if isinstance(value, dict) else value
    return out


def as_list(value: Any) -> List[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple)):
        out: List[str] = []
        for item in value:
            out.extend(as_list(item))
        return out
    raise ConfigError(f"expected a list of names, got {value!r}")
