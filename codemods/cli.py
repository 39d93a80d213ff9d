"""The ``http-codemods`` command: options in, engine run, report out. Nothing else lives here."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from dataclasses import replace
from typing import Any, Dict, List, Optional, Sequence, Tuple

import click
from libcst.codemod import CodemodContext

from . import __version__, config, engine, registry
from . import facts as project_facts
from . import generated
from . import docs as codemod_docs
from .discover import discover
from .report import (
    FORMATS,
    command_line,
    emit,
    emit_errors,
    emit_text,
    error_line,
    hidden_fixes,
    render,
    statistics_table,
    summary,
    write_diff,
    write_report,
)
from .sarif import preview_unsafe_fixes

PROGRESS_THRESHOLD = 300
#: Per-file budgets (config keys and defaults): seconds, MB of resident memory, MB of source.
BUDGETS = {"file-time-limit": 60.0, "file-memory-limit": 2048.0, "file-size-limit": 8.0}


def _budgets(cli_values: Dict[str, Optional[float]], cfg: Dict[str, Any]) -> Dict[str, float]:
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


def _codemod_options(func):
    """One ``--name`` option per codemod option declared in the registry."""
    seen = set()
    for cls in reversed(registry.CODEMODS):
        for option in reversed(cls.OPTIONS):
            if option.name in seen:
                continue
            seen.add(option.name)
            help_text = f"[{cls.NAME}] {option.help} (default: {option.default})"
            if isinstance(option.default, bool):
                func = click.option(f"--{option.name}", is_flag=True, default=None, help=help_text)(func)
            else:
                kind = click.Choice(option.choices) if option.choices else str
                func = click.option(f"--{option.name}", type=kind, default=None, help=help_text)(func)
    return func


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


def _resolve_selection(select: Any, ignore: Any, cfg: Dict[str, Any], extend_select: Any = None) -> Tuple[str, ...]:
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


def _resolve_options(
    cli_values: Dict[str, Any], cfg: Dict[str, Any], names: Sequence[str]
) -> Dict[str, Dict[str, Any]]:
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
        try:
            cls(CodemodContext(), **values)  # validates the values
        except ValueError as exc:
            raise click.UsageError(str(exc))
        options[cls.NAME] = values
    return options


def _list_codemods() -> None:
    width = max(len(c.NAME) for c in registry.CODEMODS)
    for cls in registry.CODEMODS:
        state = "on by default" if cls.DEFAULT else "off by default (changes behaviour)"
        click.echo(f"{cls.NAME:<{width}}  {cls.DESCRIPTION}  [{state}]")
        for line in textwrap.wrap(codemod_docs.summary(cls), 96 - width, initial_indent="  ", subsequent_indent="  "):
            click.echo(" " * width + line)


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff; write nothing.")
@click.option("--check", is_flag=True, help="Write nothing; list what would change or needs review.")
@click.option("-i", "--interactive", is_flag=True, help="Show each hunk and ask whether to apply it.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Report format (json, sarif and markdown replace the text listing on stdout).",
)
@click.option(
    "--output", type=click.Path(dir_okay=False), help="Write the report (text: the stdout part) to FILE instead."
)
@click.option(
    "--select",
    multiple=True,
    help="Comma list of codemods to run instead of the configured ones (ALL for every one); repeatable.",
)
@click.option(
    "--extend-select",
    multiple=True,
    help="Comma list of codemods to run in addition to the configured ones; repeatable.",
)
@click.option("--ignore", multiple=True, help="Comma list of codemods not to run; repeatable.")
@click.option("--list", "list_codemods", is_flag=True, help="List the codemods and exit.")
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1, max=config.MAX_JOBS), help="Worker processes (default: all cores)."
)
@click.option(
    "--exclude", multiple=True, help="Glob (gitignore syntax) to skip, instead of the configured exclude; repeatable."
)
@click.option("--extend-exclude", multiple=True, help="Glob to skip in addition to the configured ones; repeatable.")
@click.option(
    "--force-exclude/--no-force-exclude",
    default=None,
    help="Apply the excludes to paths named on the command line too (pre-commit names every file).",
)
@click.option(
    "--file-time-limit",
    type=click.FloatRange(min=0),
    help=f"Seconds one file may take; over it, the file is an error and the run goes on; 0: none (default: {BUDGETS['file-time-limit']:g}).",
)
@click.option(
    "--file-memory-limit",
    type=click.FloatRange(min=0),
    help=f"MB of memory a worker may use on one file; 0: none (default: {BUDGETS['file-memory-limit']:g}).",
)
@click.option(
    "--file-size-limit",
    type=click.FloatRange(min=0),
    help=f"MB above which a file is not processed (an error); 0: none (default: {BUDGETS['file-size-limit']:g}).",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    help="Directory of the results cache (default: $HTTP_CODEMODS_CACHE_DIR, the configured cache-dir, else ~/.cache/http-codemods).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the results cache.")
@click.option("--stdin-filename", help="The path to show in messages when reading '-'.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="pyproject.toml to read instead of the nearest one with a [tool.http-codemods] table.",
)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour diffs (auto: on a terminal, unless NO_COLOR is set).",
)
@click.option(
    "--unsafe-fixes/--no-unsafe-fixes",
    "unsafe_fixes",
    default=None,
    help="Also apply unsafe fixes: right in the usual case, each with one named hazard (default: the configuration's unsafe-fixes, else off: they are reported, 'fixable with --unsafe-fixes').",
)
@click.option(
    "--exit-zero", is_flag=True, help="Exit 0 even when files would change or sites need review (errors still exit 2)."
)
@click.option("--statistics", is_flag=True, help="Print counts per codemod instead of each site.")
@click.option("-q", "--quiet", is_flag=True, help="Print only diffs and errors.")
@click.option("-v", "--verbose", is_flag=True, help="List each file touched and each site fixed.")
@_codemod_options
@click.version_option(__version__, prog_name="http-codemods")
def command(
    paths: Tuple[str, ...],
    show_diff: bool,
    check: bool,
    interactive: bool,
    fmt: str,
    output: Optional[str],
    select: Tuple[str, ...],
    extend_select: Tuple[str, ...],
    ignore: Tuple[str, ...],
    list_codemods: bool,
    jobs: Optional[int],
    exclude: Tuple[str, ...],
    extend_exclude: Tuple[str, ...],
    force_exclude: Optional[bool],
    file_time_limit: Optional[float],
    file_memory_limit: Optional[float],
    file_size_limit: Optional[float],
    cache_dir: Optional[str],
    no_cache: bool,
    stdin_filename: Optional[str],
    config_path: Optional[str],
    color: str,
    unsafe_fixes: Optional[bool],
    exit_zero: bool,
    statistics: bool,
    quiet: bool,
    verbose: bool,
    **codemod_values: Any,
) -> None:
    """Find and fix HTTP client misuse: unclosed responses and clients, no connection reuse,
    missing timeouts. PATHS default to the current directory; '-' reads standard input.

    `http-codemods batch --help`: the same over many git repositories, one branch each."""
    if list_codemods:
        _list_codemods()
        return
    started = time.monotonic()
    paths = paths or (".",)
    try:
        pyproject = config_path or config.find_pyproject([p for p in paths if p != "-"])
        cfg = config.load(pyproject)
    except config.ConfigError as exc:
        raise click.UsageError(str(exc))
    names = _resolve_selection(select, ignore, cfg, extend_select)
    options = _resolve_options(codemod_values, cfg, names)
    if interactive and (show_diff or check):
        raise click.UsageError("-i/--interactive cannot be combined with --diff or --check")
    mode = engine.DIFF if show_diff else engine.CHECK if check else engine.WRITE
    unsafe = bool(cfg.get("unsafe-fixes", False) if unsafe_fixes is None else unsafe_fixes)
    settings = engine.Settings(
        codemods=names,
        options=options,
        mode=engine.DIFF if interactive else mode,  # interactive: the review writes
        prefilter_words=tuple(_prefilter_words(options)),
        unsafe_fixes=unsafe,
    )
    if jobs is None:
        jobs = cfg.get("jobs", 0) or engine.default_jobs()
    use_color = _use_color(color)

    base = os.path.dirname(os.path.abspath(pyproject)) if pyproject else os.getcwd()
    excludes = (
        (list(exclude) if exclude else list(cfg.get("exclude", [])))
        + list(cfg.get("extend-exclude", []))
        + list(extend_exclude)
    )
    force = cfg.get("force-exclude", False) if force_exclude is None else force_exclude
    skip_named = _force_excluded(excludes, base) if force else None

    if "-" in paths:
        if len(paths) > 1:
            raise click.UsageError("'-' (standard input) cannot be mixed with other paths")
        if interactive:
            raise click.UsageError("-i/--interactive needs files, not standard input")
        if fmt != "text" and mode == engine.WRITE and not output:
            raise click.UsageError(f"--format {fmt} with '-' in place needs --output (stdout carries the code)")
        if stdin_filename:
            if skip_named is not None and skip_named(stdin_filename):
                # Excluded: a filter passes its input through untouched (as ruff does).
                if mode == engine.WRITE:
                    sys.stdout.buffer.write(sys.stdin.buffer.read())
                sys.exit(0)
            settings = _with_per_file_ignores(settings, cfg, base, stdin_filename)
        if project_facts.needed(settings.codemods):
            settings = replace(settings, facts=project_facts.for_stdin(stdin_filename, excludes))
        report_args = (
            fmt,
            output,
            command_line(names, options, [stdin_filename or "-"], unsafe),
            registry.ordered(names),
        )
        status = _run_stdin(settings, stdin_filename or "-", mode, quiet, *report_args)
        sys.exit(0 if exit_zero and status == 1 else status)

    found = discover(paths, excludes, force_excluded=skip_named)
    for path, reason in found.errors:
        click.echo(f"{path}: error: {reason}", err=True)
    for path, reason in found.skipped:
        click.echo(f"{path}: skipped: {reason}", err=True)
    budgets = _budgets(
        {
            "file-time-limit": file_time_limit,
            "file-memory-limit": file_memory_limit,
            "file-size-limit": file_size_limit,
        },
        cfg,
    )
    settings = replace(
        settings,
        roots=tuple(found.roots),
        file_time_limit=budgets["file-time-limit"],
        file_memory_limit=int(budgets["file-memory-limit"] * 2**20),
        max_file_size=int(budgets["file-size-limit"] * 2**20),
        cache_dir=_cache_dir(cache_dir, no_cache, cfg, base),
    )
    if project_facts.needed(settings.codemods):
        # Once, before any file is rewritten: what tests and other modules know (facts/).
        settings = replace(settings, facts=project_facts.for_run(found.files, found.roots, excludes))
    settings = generated.plan_run(settings, found.files)  # each package's shared client
    results = _run_groups(found.files, settings, cfg, base, jobs, quiet)
    if fmt == "sarif" and not settings.unsafe_fixes:
        _preview_unsafe_fixes(results, settings, mode, cfg, base)
    if interactive:
        from .interactive import review

        results, _ = review(results, settings=settings)
    totals = engine.Totals.of(results, started, extra_errors=len(found.errors))
    if statistics and fmt == "text":
        if mode == engine.DIFF:
            emit_text(results, mode, True, False, use_color, True)  # diffs and errors, no sites
        else:
            emit_errors(results)
        click.echo(statistics_table(results), nl=False)
    else:
        emit(
            results,
            totals,
            mode,
            fmt,
            output,
            quiet,
            verbose,
            registry.ordered(names),
            command_line(names, options, paths, unsafe),
            color=use_color,
        )
    if not quiet:
        click.echo(summary(totals, mode), err=True)
        _echo_hidden_fixes(totals)
    status = _exit_status(totals, mode)
    sys.exit(0 if exit_zero and status == 1 else status)


def _cache_dir(cli_dir: Optional[str], no_cache: bool, cfg: Dict[str, Any], base: str) -> str:
    from .cache import resolve_dir

    return resolve_dir(cli_dir, no_cache, cfg.get("cache-dir"), base)


def _preview_unsafe_fixes(
    results: Sequence[engine.FileResult], settings: engine.Settings, mode: str, cfg: Dict[str, Any], base: str
) -> None:
    """SARIF fixes for the unsafe fixes not applied (files rewritten in place are no longer as
    they were read: their unsafe fixes keep only the properties)."""
    for result in results:
        if not result.unsafe_fixable or (mode == engine.WRITE and result.status == engine.CHANGED):
            continue
        try:
            with open(result.path, "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        preview_unsafe_fixes(result, data, _with_per_file_ignores(settings, cfg, base, result.path))


def _echo_hidden_fixes(totals: engine.Totals) -> None:
    """After the summary, as ruff's "hidden fixes" line: the unsafe fixes not applied."""
    line = hidden_fixes(totals)
    if line:
        click.echo(line, err=True)


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


def _force_excluded(excludes: Sequence[str], base: str):
    """``--force-exclude``: the predicate for paths named on the command line: the excludes
    (and the default ones: .venv, build, ...) apply to them as to the files found in a walk."""
    import pathspec

    from .discover import DEFAULT_EXCLUDES

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


def _with_per_file_ignores(settings: engine.Settings, cfg: Dict[str, Any], base: str, path: str) -> engine.Settings:
    ignored = set(_per_file_ignored(cfg, base, path))
    if not ignored:
        return settings
    return replace(settings, codemods=tuple(n for n in settings.codemods if n not in ignored))


def _run_groups(
    files: Sequence[str], settings: engine.Settings, cfg: Dict[str, Any], base: str, jobs: int, quiet: bool
) -> List[engine.FileResult]:
    """``per-file-ignores``: files that run the same codemods run together; results in path
    order as ever."""
    if not cfg.get("per-file-ignores"):
        return _run_with_progress(files, settings, jobs, quiet)
    groups: Dict[Tuple[str, ...], List[str]] = {}
    for path in files:
        groups.setdefault(_with_per_file_ignores(settings, cfg, base, path).codemods, []).append(path)
    results: List[engine.FileResult] = []
    for codemods, group in groups.items():
        results += _run_with_progress(group, replace(settings, codemods=codemods), jobs, quiet)
    order = {path: i for i, path in enumerate(files)}
    return sorted(results, key=lambda r: order.get(r.path, 0))


def _prefilter_words(options: Dict[str, Dict[str, Any]]) -> List[str]:
    """Extra words a file may name a target by (a client given with --client MODULE:NAME)."""
    words: List[str] = []
    for values in options.values():
        client = values.get("client")
        if isinstance(client, str) and ":" in client:
            module, name = client.split(":", 1)
            words += [module.split(".")[-1], name]
    return words


def _run_with_progress(files: Sequence[str], settings: engine.Settings, jobs: int, quiet: bool):
    results = []
    show = not quiet and len(files) > PROGRESS_THRESHOLD and sys.stderr.isatty()
    iterator = engine.run_iter(files, settings, jobs)
    if not show:
        return list(iterator)
    with click.progressbar(iterator, length=len(files), label="scanning", file=sys.stderr) as bar:
        for result in bar:
            results.append(result)
    return results


def _run_stdin(
    settings: engine.Settings,
    name: str,
    mode: str,
    quiet: bool,
    fmt: str = "text",
    output: Optional[str] = None,
    command_text: str = "",
    codemods: Sequence[Any] = (),
) -> int:
    started = time.monotonic()
    data = sys.stdin.buffer.read()
    result = engine.process_source(data, name, settings)
    if fmt == "sarif" and not settings.unsafe_fixes:
        preview_unsafe_fixes(result, data, settings)
    if fmt != "text":
        totals = engine.Totals.of([result], started)
        write_report(render(fmt, [result], totals, codemods, command_text, mode), output)
        if not output:  # the report is standard output
            if result.status == engine.ERROR:
                click.echo(error_line(result), err=True)
            if not quiet:
                click.echo(summary(totals, mode), err=True)
                _echo_hidden_fixes(totals)
            return _exit_status(totals, mode)
    if result.status == engine.ERROR:
        click.echo(error_line(result), err=True)
        if mode == engine.WRITE:
            sys.stdout.buffer.write(data)  # a filter passes what it cannot fix through unchanged
        return 2
    if mode == engine.DIFF:
        write_diff(result)
    elif mode == engine.WRITE:
        sys.stdout.buffer.write(result.new_bytes if result.status == engine.CHANGED else data)
        sys.stdout.flush()
    emit_text([result], engine.CHECK if mode == engine.CHECK else mode, quiet, False, False, findings_to_stderr=True)
    totals = engine.Totals.of([result], started)
    if not quiet:
        click.echo(summary(totals, mode), err=True)
        _echo_hidden_fixes(totals)
    return _exit_status(totals, mode)


def _exit_status(totals: engine.Totals, mode: str) -> int:
    if totals.errors:
        return 2
    if mode in (engine.DIFF, engine.CHECK) and (totals.changed or totals.reported):
        return 1
    return 0


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("repos", nargs=-1, type=click.Path(file_okay=False))
@click.option(
    "--repos-file", type=click.Path(exists=True, dir_okay=False), help="File with one repository path per line."
)
@click.option("--select", help="Comma list of codemods to run (default: each repository's configuration).")
@click.option("--ignore", help="Comma list of codemods not to run.")
@click.option("--branch", help="Branch to create (default: http-codemods/<the codemods that changed something>).")
@click.option(
    "--conflict",
    type=click.Choice(["skip", "replace"]),
    default="skip",
    show_default=True,
    help="When the branch exists: skip the repository, or rebuild the branch from HEAD (and force-push it, with a lease).",
)
@click.option(
    "--message", help="Commit message (default: the codemods that changed something, counts, sites left for review)."
)
@click.option(
    "--test-cmd",
    help="Shell command run in each repository after the rewrite; on failure nothing is kept. Files it creates are removed.",
)
@click.option(
    "--test-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=3600,
    show_default=True,
    help="Seconds the test command may take.",
)
@click.option(
    "--allow-dirty", is_flag=True, help="Also process dirty trees (files with changes are left out) and detached HEADs."
)
@click.option(
    "--pr-body-dir",
    type=click.Path(file_okay=False),
    help="Write PR bodies here (REPO.md) instead of REPO/.git/http-codemods-pr.md.",
)
@click.option("--push", is_flag=True, help="Push the branch to --remote.")
@click.option("--remote", default="origin", show_default=True, help="Remote to push to.")
@click.option("--open-pr", is_flag=True, help="Push, then open a pull request with gh (when installed).")
@click.option("--draft", is_flag=True, help="Like --open-pr, as a draft pull request.")
@click.option(
    "--sleep",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help="Seconds to wait between two pushes (forge rate limits).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Repositories processed at a time (output order stays the order given).",
)
@click.option(
    "--jobs-per-repo",
    type=click.IntRange(min=1),
    help="Worker processes inside each repository (default: cores / --jobs).",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False),
    default=".http-codemods-batch.json",
    show_default=True,
    help="State file: each finished repository's outcome.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Finish an interrupted run: the repositories of the state file without an outcome (same options).",
)
@click.option(
    "--failed", "rerun_failed", is_flag=True, help="Rerun only the repositories the state file lists as failed."
)
@click.option("--unsafe-fixes", "unsafe_fixes", is_flag=True, help="Also apply unsafe fixes in each repository.")
@_codemod_options
def batch_command(
    repos: Tuple[str, ...],
    repos_file: Optional[str],
    select: Optional[str],
    ignore: Optional[str],
    branch: Optional[str],
    conflict: str,
    message: Optional[str],
    test_cmd: Optional[str],
    test_timeout: float,
    allow_dirty: bool,
    pr_body_dir: Optional[str],
    push: bool,
    remote: str,
    open_pr: bool,
    draft: bool,
    sleep: float,
    jobs: int,
    jobs_per_repo: Optional[int],
    state_path: str,
    resume: bool,
    rerun_failed: bool,
    unsafe_fixes: bool,
    **codemod_values: Any,
) -> None:
    """Run the codemods over many git checkouts: for each REPO, a branch, a tested commit and
    a Markdown PR body, -j at a time. Ends with a table; exit status 1 if any repository failed.
    An interrupted run is finished with --resume; --failed reruns what failed."""
    from . import batch

    all_repos = list(repos) + (batch.read_repos_file(repos_file) if repos_file else [])
    if resume and rerun_failed:
        raise click.UsageError("--resume and --failed cannot be combined")
    if not all_repos and not (resume or rerun_failed):
        raise click.UsageError("no repository given (REPO... or --repos-file FILE)")
    _resolve_selection(select or "ALL", ignore, {})  # unknown names are a usage error
    inner_jobs = jobs_per_repo or max(1, engine.default_jobs() // jobs)
    extra = batch.passthrough(codemod_values) + (["--unsafe-fixes"] if unsafe_fixes else []) + ["-j", str(inner_jobs)]
    opts = batch.Options(
        select=select,
        ignore=ignore,
        branch=branch,
        message=message,
        test_cmd=test_cmd,
        allow_dirty=allow_dirty,
        pr_body_dir=pr_body_dir,
        push=push,
        remote=remote,
        open_pr=open_pr,
        draft=draft,
        conflict=conflict,
        test_timeout=test_timeout,
        jobs=jobs,
        sleep=sleep,
        extra_args=tuple(extra),
    )
    mode = "resume" if resume else "failed" if rerun_failed else "new"
    try:
        state, todo = batch.prepare(all_repos, opts, state_path, mode)
    except batch.StateError as exc:
        raise click.UsageError(str(exc))
    click.echo(f"state: {state_path} ({len(todo)} of {len(state.repos)} repositories to run)", err=True)
    outcomes = batch.run(state.repos, opts, click.echo, state, todo)
    click.echo("")
    click.echo(batch.table(outcomes))
    sys.exit(batch.exit_status(outcomes))


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = list(argv) if argv is not None else sys.argv[1:]
    if args[:1] == ["batch"]:  # a directory named "batch": write ./batch
        batch_command.main(args=args[1:], prog_name="http-codemods batch")
        return
    command.main(args=args, prog_name="http-codemods")


if __name__ == "__main__":  # pragma: no cover
    main()
