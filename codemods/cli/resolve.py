"""From the command line and the configuration to what the engine runs: the selection, each
codemod's options, the per-file budgets, the excludes, colour and the cache directory. Every
bad value is a ``click.UsageError`` (exit status 2, before any file is read)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import click

from .. import config, engine, registry
from .args import CommandArgs
from .excludes import force_excluded

#: Per-file budgets (config keys and defaults): seconds, MB of resident memory, MB of source.
BUDGETS = {"file-time-limit": 60.0, "file-memory-limit": 2048.0, "file-size-limit": 8.0}


@dataclass(frozen=True)
class Resolved:
    """One run's decisions, before any path is walked."""

    cfg: Dict[str, Any]
    base: str  # the configuration's directory (else the current one): excludes are relative to it
    names: Tuple[str, ...]
    options: Dict[str, Dict[str, Any]]
    mode: str  # what was asked for: the engine runs DIFF under --interactive
    unsafe: bool
    settings: engine.Settings
    jobs: int
    use_color: bool
    excludes: List[str]
    skip_named: Optional[Callable[[str], bool]]  # --force-exclude's test for named paths


def resolve(args: CommandArgs, paths: Sequence[str]) -> Resolved:
    """The configuration nearest ``paths`` (or ``--config``) under the command line's options."""
    try:
        pyproject = args.config_path or config.find_pyproject([p for p in paths if p != "-"])
        cfg = config.load(pyproject)
    except config.ConfigError as exc:
        raise click.UsageError(str(exc))
    names = resolve_selection(args.select, args.ignore, cfg, args.extend_select)
    options = resolve_options(args.codemod_values, cfg, names)
    if args.interactive and (args.show_diff or args.check):
        raise click.UsageError("-i/--interactive cannot be combined with --diff or --check")
    mode = engine.DIFF if args.show_diff else engine.CHECK if args.check else engine.WRITE
    unsafe = bool(cfg.get("unsafe-fixes", False) if args.unsafe_fixes is None else args.unsafe_fixes)
    settings = engine.Settings(
        codemods=names,
        options=options,
        mode=engine.DIFF if args.interactive else mode,  # interactive: the review writes
        prefilter_words=tuple(prefilter_words(options)),
        unsafe_fixes=unsafe,
    )
    jobs = args.jobs
    if jobs is None:
        jobs = cfg.get("jobs", 0) or engine.default_jobs()
    use_color = _use_color(args.color)
    base = os.path.dirname(os.path.abspath(pyproject)) if pyproject else os.getcwd()
    excludes = _excludes(args, cfg)
    force = cfg.get("force-exclude", False) if args.force_exclude is None else args.force_exclude
    skip_named = force_excluded(excludes, base) if force else None
    return Resolved(cfg, base, names, options, mode, unsafe, settings, jobs, use_color, excludes, skip_named)


def _excludes(args: CommandArgs, cfg: Dict[str, Any]) -> List[str]:
    """--exclude replaces the configured exclude; both extend-excludes add to it."""
    return (
        (list(args.exclude) if args.exclude else list(cfg.get("exclude", [])))
        + list(cfg.get("extend-exclude", []))
        + list(args.extend_exclude)
    )


def budgets(cli_values: Dict[str, Optional[float]], cfg: Dict[str, Any]) -> Dict[str, float]:
    """Each budget from the option, else the configuration (a number >= 0), else the default."""
    out = {}
    for key, default in BUDGETS.items():
        value = cli_values.get(key)
        if value is None:
            value = cfg.get(key, default)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise click.UsageError(f"{key} must be a number >= 0 (0: no limit), not {value!r}")
        out[key] = float(value)
    return out


def _split(values: Any) -> Optional[List[str]]:
    """Comma lists from a repeatable option (or one string), accumulated; None if not given."""
    if values is None or (isinstance(values, (list, tuple)) and not values):
        return None
    if isinstance(values, str):
        values = [values]
    out: List[str] = []
    for value in values:
        out.extend(config.as_list(value))
    return out


def resolve_selection(select: Any, ignore: Any, cfg: Dict[str, Any], extend_select: Any = None) -> Tuple[str, ...]:
    """The configuration's select/extend-select/ignore, then the command line's (see
    ``config.selection``): ``--select a --select b`` runs a and b, ``--extend-select``
    adds to the configured selection, ``ALL`` in any case is every codemod."""
    chosen = _split(select)
    ignored = _split(ignore) or []
    extended = _split(extend_select) or []
    for option, names in (("--select", chosen), ("--ignore", ignored), ("--extend-select", extended)):
        if names:
            unknown = [n for n in names if n.upper() != "ALL" and n not in registry.BY_NAME]
            if unknown:
                raise click.UsageError(
                    f"{option}: unknown codemod {', '.join(unknown)} (choose from {', '.join(registry.BY_NAME)}, ALL)"
                )
    return tuple(
        config.selection(
            [
                (cfg.get("select"), cfg.get("extend-select", []), cfg.get("ignore", [])),
                (chosen, extended, ignored),
            ]
        )
    )


def resolve_options(cli_values: Dict[str, Any], cfg: Dict[str, Any], names: Sequence[str]) -> Dict[str, Dict[str, Any]]:
    # Every option given is checked, whether or not its codemod runs (``--timeout abc``
    # is an error without ``--select add-timeout`` too); the configuration's were checked
    # when it was read.
    given: Dict[str, Any] = {}
    for key, value in cli_values.items():
        if value is None:
            continue
        name = key.replace("_", "-")
        try:
            given[name] = config.check_option(name, value, f"--{name}")
        except config.ConfigError as exc:
            raise click.UsageError(str(exc))
    options: Dict[str, Dict[str, Any]] = {}
    for cls in registry.ordered(names):
        table = cfg.get(cls.NAME, {}) if isinstance(cfg.get(cls.NAME), dict) else {}
        values = {}
        for option in cls.OPTIONS:
            value = given.get(option.name)
            if value is None:
                value = table.get(option.name, cfg.get(option.name))
            if value is None:
                continue
            values[option.name] = value
        if not values:
            options[cls.NAME] = values  # the defaults: valid (and the codemod is not loaded)
            continue
        from libcst.codemod import CodemodContext

        try:
            cls(CodemodContext(), **values)  # validates the values
        except ValueError as exc:
            raise click.UsageError(str(exc))
        options[cls.NAME] = values
    return options


def prefilter_words(options: Dict[str, Dict[str, Any]]) -> List[str]:
    """Extra words a file may name a target by (a client given with --client MODULE:NAME)."""
    words: List[str] = []
    for values in options.values():
        client = values.get("client")
        if isinstance(client, str) and ":" in client:
            module, name = client.split(":", 1)
            words += [module.split(".")[-1], name]
    return words


def cache_dir(cli_dir: Optional[str], no_cache: bool, cfg: Dict[str, Any], base: str) -> str:
    from ..cache import resolve_dir

    return resolve_dir(cli_dir, no_cache, cfg.get("cache-dir"), base)


def _use_color(choice: str) -> bool:
    """--color always/never win; auto colours a terminal unless NO_COLOR is set (no-color.org),
    or FORCE_COLOR asks for colour anyway."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()
