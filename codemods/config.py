"""``[tool.http-codemods]`` in the nearest ``pyproject.toml`` that has that table.

Keys (underscores and dashes are interchangeable):

- ``select``, ``extend-select``, ``ignore``: codemod names (lists or comma strings; ``ALL``
  in any case for every codemod);
- ``exclude``, ``extend-exclude``: globs in gitignore syntax; ``force-exclude``: apply them to
  paths named on the command line too;
- ``per-file-ignores``: a table of glob -> codemod names not to run on matching files;
- ``jobs``: worker processes (0: all cores);
- ``cache-dir``: where results are cached (relative to the file's directory; see ``cache.py``);
- ``unsafe-fixes``: apply unsafe fixes too (true/false; ``--unsafe-fixes`` /
  ``--no-unsafe-fixes`` win over it);
- every codemod option, either flat (``timeout = 30``, ``session-scope = "function"``) or in
  the codemod's own table (``[tool.http-codemods.add-timeout] timeout = 30``).

Everything is validated when the file is read, whether or not the codemod it belongs to runs:
an unknown key or a value of the wrong type is a ``ConfigError`` naming the file and the key
(the command turns it into a usage error, exit status 2). Command-line options win over the
file and are validated by the same functions (``check_option``).
"""

from __future__ import annotations

import difflib
import keyword
import os
import sys
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: Upper bound for ``jobs`` / ``-j``: a checked-in ``jobs = 10**9`` must not fork the machine
#: to death.
MAX_JOBS = 512

#: Keys that are not codemod options, and what their values must be.
LIST_KEYS = ("select", "extend-select", "ignore", "exclude", "extend-exclude")
NAME_KEYS = ("select", "extend-select", "ignore")
#: Per-file budgets (numbers >= 0; 0: no limit): seconds, MB of memory, MB of source.
BUDGET_KEYS = ("file-time-limit", "file-memory-limit", "file-size-limit")
#: Keys whose value is true or false.
BOOL_KEYS = ("force-exclude", "unsafe-fixes")


class ConfigError(Exception):
    pass


# -- finding and reading -------------------------------------------------------------------


def _read(path: str) -> Dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}")


def _table(data: Dict[str, Any]) -> Any:
    tool = data.get("tool", {})
    return tool.get("http-codemods") if isinstance(tool, dict) else None


def has_table(path: str) -> bool:
    """Whether ``path`` (a pyproject.toml) has a ``[tool.http-codemods]`` table."""
    return _table(_read(path)) is not None


def find_pyproject(paths: Sequence[str]) -> Optional[str]:
    """The nearest pyproject.toml at or above the common directory of ``paths`` that has a
    ``[tool.http-codemods]`` table (one without it, e.g. a nested package's, is passed over,
    as ruff passes over a pyproject.toml without ``[tool.ruff]``)."""
    absolute = [os.path.abspath(p) for p in paths] or [os.getcwd()]
    try:
        common = os.path.commonpath(absolute)
    except ValueError:
        common = os.getcwd()
    current = common if os.path.isdir(common) else os.path.dirname(common)
    while True:
        candidate = os.path.join(current, "pyproject.toml")
        if os.path.isfile(candidate) and has_table(candidate):
            return candidate
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def load(path: Optional[str]) -> Dict[str, Any]:
    """The validated ``[tool.http-codemods]`` table with keys normalised to dashes ({} if
    none). Codemod tables stay nested; ``per-file-ignores`` maps each glob (as written) to a
    list of codemod names."""
    if path is None:
        return {}
    table = _table(_read(path))
    if table is None:
        return {}
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.http-codemods] must be a table")
    return validate(table, path)


# -- validation ----------------------------------------------------------------------------


def _key(key: str) -> str:
    return key.replace("_", "-")


def _codemods() -> Dict[str, Any]:
    from . import registry  # not at import time: base.py uses this module too

    return registry.BY_NAME


def _option_specs() -> Dict[str, Any]:
    """Option name -> Option, over every codemod."""
    specs: Dict[str, Any] = {}
    for cls in _codemods().values():
        for option in cls.OPTIONS:
            specs.setdefault(option.name, option)
    return specs


def _unknown(where: str, key: str, known: Sequence[str]) -> ConfigError:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ConfigError(f"{where}: unknown key {key!r}{hint}; known keys: {', '.join(sorted(known))}")


def validate(table: Dict[str, Any], path: str = "pyproject.toml") -> Dict[str, Any]:
    codemods = _codemods()
    specs = _option_specs()
    top = f"{path}: [tool.http-codemods]"
    known = (
        list(LIST_KEYS)
        + list(BOOL_KEYS)
        + ["per-file-ignores", "jobs", "cache-dir"]
        + list(BUDGET_KEYS)
        + list(specs)
        + list(codemods)
    )
    out: Dict[str, Any] = {}
    for raw_key, value in table.items():
        key = _key(raw_key)
        if key in out:
            raise ConfigError(f"{top}: {key} is given twice (as {raw_key!r} and with dashes)")
        if key in NAME_KEYS:
            out[key] = check_names(value, f"{top} {key}")
        elif key in LIST_KEYS:
            out[key] = as_list(value, f"{top} {key}")
        elif key in BOOL_KEYS:
            if not isinstance(value, bool):
                raise ConfigError(f"{top} {key}: expected true or false, got {value!r}")
            out[key] = value
        elif key == "jobs":
            out[key] = check_jobs(value, f"{top} jobs", allow_zero=True)
        elif key in BUDGET_KEYS:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
                raise ConfigError(f"{top} {key} must be a number >= 0 (0: no limit), not {value!r}")
            out[key] = value
        elif key == "cache-dir":
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{top} cache-dir: expected a directory path, got {value!r}")
            out[key] = value
        elif key == "per-file-ignores":
            out[key] = _per_file_ignores(value, f"{top} per-file-ignores")
        elif key in codemods:
            if not isinstance(value, dict):
                raise ConfigError(f"{top} {key}: expected a table of {key}'s options, got {value!r}")
            own = {o.name: o for o in codemods[key].OPTIONS}
            sub: Dict[str, Any] = {}
            for raw_name, option_value in value.items():
                name = _key(raw_name)
                if name not in own:
                    raise _unknown(f"{path}: [tool.http-codemods.{key}]", name, list(own))
                sub[name] = check_option(name, option_value, f"{path}: [tool.http-codemods.{key}] {name}")
            out[key] = sub
        elif key in specs:
            out[key] = check_option(key, value, f"{top} {key}")
        else:
            raise _unknown(top, key, known)
    return out


def _per_file_ignores(value: Any, where: str) -> Dict[str, List[str]]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table of glob = [codemod, ...], got {value!r}")
    out: Dict[str, List[str]] = {}
    for pattern, names in value.items():
        out[pattern] = check_names(names, f"{where} {pattern!r}")
    return out


def as_list(value: Any, where: str = "") -> List[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple)):
        out: List[str] = []
        for item in value:
            if not isinstance(item, str):
                raise ConfigError(f"{where + ': ' if where else ''}expected a list of strings, got {value!r}")
            out.extend(as_list(item))
        return out
    raise ConfigError(f"{where + ': ' if where else ''}expected a list of names, got {value!r}")


def expand_all(names: Sequence[str]) -> List[str]:
    """``ALL`` (in any case) stands for every codemod."""
    out: List[str] = []
    for name in names:
        if name.upper() == "ALL":
            out.extend(_codemods())
        else:
            out.append(name)
    return out


def check_names(value: Any, where: str) -> List[str]:
    """Codemod names (``ALL`` expanded); an unknown one is an error naming ``where``."""
    names = as_list(value, where)
    codemods = _codemods()
    for name in names:
        if name.upper() != "ALL" and name not in codemods:
            close = difflib.get_close_matches(name, list(codemods), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ConfigError(f"{where}: unknown codemod {name}{hint} (choose from {', '.join(codemods)}, ALL)")
    return names


def check_jobs(value: Any, where: str, allow_zero: bool = False) -> int:
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_JOBS:
        raise ConfigError(f"{where}: expected an integer from {low} to {MAX_JOBS}, got {value!r}")
    return value


def is_dotted_name(text: str) -> bool:
    """``a.b.c``: identifiers (not keywords) joined by dots, nothing else."""
    return bool(text) and all(part.isidentifier() and not keyword.iskeyword(part) for part in text.split("."))


def is_identifier(text: str) -> bool:
    return isinstance(text, str) and text.isidentifier() and not keyword.iskeyword(text)


def check_client(value: Any, where: str) -> str:
    """``pkg.http:session``: a dotted module path, a colon, an identifier. The value ends up
    in generated code (an import), so anything else is refused."""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected MODULE:NAME as a string, got {value!r}")
    if value == "":
        return value
    module, sep, name = value.partition(":")
    if not sep or not is_dotted_name(module) or not is_identifier(name):
        raise ConfigError(
            f"{where}: invalid client {value!r}: expected a dotted module path and a name, e.g. myapp.http:session"
        )
    return value


def _check_session_name(value: Any, where: str) -> str:
    if not isinstance(value, str) or (value and (not is_identifier(value) or value.startswith("__"))):
        raise ConfigError(f"{where}: invalid session-name {value!r}: expected an identifier not starting with __")
    return value


def _check_timeout(value: Any, where: str) -> Any:
    from .add_timeout import parse_timeout

    if isinstance(value, bool) or not isinstance(value, (str, int, float, list, tuple)):
        raise ConfigError(f"{where}: invalid timeout {value!r}: expected a number or [connect, read]")
    try:
        parse_timeout(value)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}")
    return value


def _check_timeout_constant(value: Any, where: str) -> Any:
    from .add_timeout import parse_constant_name

    if not isinstance(value, str):
        raise ConfigError(f"{where}: invalid timeout-constant {value!r}: expected an identifier")
    try:
        parse_constant_name(value)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}")
    return value


def _check_requests_version(value: Any, where: str) -> str:
    """``">=2.32"`` or ``"2.31.0"``: the requests the project runs (share-session)."""
    from .facts.bounds import version_specifier

    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a version or a specifier as a string, got {value!r}")
    if value == "":
        return value
    try:
        version_specifier(value)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}")
    return value


#: Options whose values need more than a type check (they end up in generated code).
CHECKS: Dict[str, Callable[[Any, str], Any]] = {
    "client": check_client,
    "requests-version": _check_requests_version,
    "session-name": _check_session_name,
    "timeout": _check_timeout,
    "timeout-constant": _check_timeout_constant,
}


def check_option(name: str, value: Any, where: str) -> Any:
    """``value`` for codemod option ``name``, checked; ``where`` names its source in errors
    (``pyproject.toml: [tool.http-codemods] timeout`` or ``--timeout``)."""
    option = _option_specs().get(name)
    if option is None:
        raise ConfigError(f"{where}: unknown option {name}")
    if name in CHECKS:
        return CHECKS[name](value, where)
    if isinstance(option.default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    if option.choices and value not in option.choices:
        raise ConfigError(f"{where}: must be one of {', '.join(option.choices)}, not {value!r}")
    return value


def unknown_suppression(names: str) -> Optional[str]:
    """The finding for ``# http-codemods: ignore[names]`` when it names an unknown codemod
    (``None`` when every name is known)."""
    codemods = _codemods()
    unknown = [n.strip() for n in names.split(",") if n.strip() and n.strip() not in codemods]
    if not unknown:
        return None
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, list(codemods), n=1)
        hints.append(f"{name} (did you mean {close[0]}?)" if close else name)
    return (
        f"suppression comment names unknown codemod {', '.join(hints)}; the site is left alone "
        f"until it names one of {', '.join(codemods)}"
    )


# -- selection -----------------------------------------------------------------------------


def selection(
    layers: Sequence[Tuple[Optional[Sequence[str]], Sequence[str], Sequence[str]]],
) -> List[str]:
    """The codemods to run, from (select, extend-select, ignore) layers applied in order
    (the configuration's, then the command line's), as ruff resolves rule selection: a
    layer's ``select`` (when given) replaces what came before, ``extend-select`` adds,
    ``ignore`` removes. The defaults (the behaviour-preserving codemods) start it off."""
    from . import registry

    chosen = set(registry.default_names())
    for select, extend, ignore in layers:
        if select is not None:
            chosen = set(expand_all(select))
        chosen |= set(expand_all(extend))
        chosen -= set(expand_all(ignore))
    return [c.NAME for c in registry.ordered(chosen)]
