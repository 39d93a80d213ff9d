"""The ``http-codemods`` command: options in, engine run, report out. Nothing else lives here."""

from __future__ import annotations

import sys
import textwrap
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import click
from libcst.codemod import CodemodContext

from . import __version__, config, engine, registry
from . import docs as codemod_docs
from .discover import discover
from .report import FORMATS, command_line, emit, emit_text, error_line, render, summary, write_diff, write_report

PROGRESS_THRESHOLD = 300


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


def _comma_list(value: Optional[str]) -> Optional[List[str]]:
    return None if value is None else config.as_list(value)


def _resolve_selection(select: Optional[str], ignore: Optional[str], cfg: Dict[str, Any]) -> Tuple[str, ...]:
    chosen = _comma_list(select)
    if chosen is None:
        chosen = config.as_list(cfg["select"]) if "select" in cfg else registry.default_names()
    ignored = _comma_list(ignore)
    if ignored is None:
        ignored = config.as_list(cfg.get("ignore"))
    if "ALL" in chosen:
        chosen = list(registry.BY_NAME)
    unknown = [n for n in chosen + ignored if n not in registry.BY_NAME]
    if unknown:
        raise click.UsageError(
            f"unknown codemod {', '.join(unknown)} (choose from {', '.join(registry.BY_NAME)})"
        )
    return tuple(c.NAME for c in registry.ordered(chosen) if c.NAME not in ignored)


def _resolve_options(cli_values: Dict[str, Any], cfg: Dict[str, Any], names: Sequence[str]) -> Dict[str, Dict[str, Any]]:
    options: Dict[str, Dict[str, Any]] = {}
    for cls in registry.ordered(names):
        table = cfg.get(cls.NAME, {}) if isinstance(cfg.get(cls.NAME), dict) else {}
        values = {}
        for option in cls.OPTIONS:
            value = cli_values.get(option.name.replace("-", "_"))
            if value is None:
                value = table.get(option.name, cfg.get(option.name))
            if value is None:
                continue
            if option.choices and value not in option.choices:
                raise click.UsageError(
                    f"{option.name} must be one of {', '.join(option.choices)}, not {value!r}"
                )
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
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Report format (json, sarif and markdown replace the text listing on stdout).")
@click.option("--output", type=click.Path(dir_okay=False), help="Write the report (text: the stdout part) to FILE instead.")
@click.option("--select", help="Comma list of codemods to run (ALL for every one).")
@click.option("--ignore", help="Comma list of codemods not to run.")
@click.option("--list", "list_codemods", is_flag=True, help="List the codemods and exit.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes (default: all cores).")
@click.option("--exclude", multiple=True, help="Glob (gitignore syntax) to skip; repeatable.")
@click.option("--stdin-filename", help="The path to show in messages when reading '-'.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="pyproject.toml to read instead of the nearest one.")
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
    select: Optional[str],
    ignore: Optional[str],
    list_codemods: bool,
    jobs: Optional[int],
    exclude: Tuple[str, ...],
    stdin_filename: Optional[str],
    config_path: Optional[str],
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
        cfg = config.load(config_path or config.find_pyproject([p for p in paths if p != "-"]))
    except config.ConfigError as exc:
        raise click.UsageError(str(exc))
    names = _resolve_selection(select, ignore, cfg)
    options = _resolve_options(codemod_values, cfg, names)
    if interactive and (show_diff or check):
        raise click.UsageError("-i/--interactive cannot be combined with --diff or --check")
    mode = engine.DIFF if show_diff else engine.CHECK if check else engine.WRITE
    settings = engine.Settings(
        codemods=names,
        options=options,
        mode=engine.DIFF if interactive else mode,  # interactive: the review writes
        prefilter_words=tuple(_prefilter_words(options)),
    )
    if jobs is None:
        jobs = int(cfg.get("jobs", 0)) or engine.default_jobs()

    if "-" in paths:
        if len(paths) > 1:
            raise click.UsageError("'-' (standard input) cannot be mixed with other paths")
        if interactive:
            raise click.UsageError("-i/--interactive needs files, not standard input")
        if fmt != "text" and mode == engine.WRITE and not output:
            raise click.UsageError(f"--format {fmt} with '-' in place needs --output (stdout carries the code)")
        report_args = (fmt, output, command_line(names, options, [stdin_filename or "-"]), registry.ordered(names))
        sys.exit(_run_stdin(settings, stdin_filename or "-", mode, quiet, *report_args))

    excludes = list(config.as_list(cfg.get("exclude"))) + list(exclude)
    found = discover(paths, excludes)
    for path, reason in found.errors:
        click.echo(f"{path}: error: {reason}", err=True)
    results = _run_with_progress(found.files, settings, jobs, quiet)
    if interactive:
        from .interactive import review

        results, _ = review(results, settings=settings)
    totals = engine.Totals.of(results, started, extra_errors=len(found.errors))
    emit(results, totals, mode, fmt, output, quiet, verbose, registry.ordered(names), command_line(names, options, paths))
    if not quiet:
        click.echo(summary(totals, mode), err=True)
    sys.exit(_exit_status(totals, mode))


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


def _run_stdin(settings: engine.Settings, name: str, mode: str, quiet: bool, fmt: str = "text",
               output: Optional[str] = None, command_text: str = "", codemods: Sequence[Any] = ()) -> int:
    started = time.monotonic()
    data = sys.stdin.buffer.read()
    result = engine.process_source(data, name, settings)
    if fmt != "text":
        totals = engine.Totals.of([result], started)
        write_report(render(fmt, [result], totals, codemods, command_text, mode), output)
        if not output:  # the report is standard output
            if result.status == engine.ERROR:
                click.echo(error_line(result), err=True)
            if not quiet:
                click.echo(summary(totals, mode), err=True)
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
    return _exit_status(totals, mode)


def _exit_status(totals: engine.Totals, mode: str) -> int:
    if totals.errors:
        return 2
    if mode in (engine.DIFF, engine.CHECK) and (totals.changed or totals.reported):
        return 1
    return 0


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("repos", nargs=-1, type=click.Path(file_okay=False))
@click.option("--repos-file", type=click.Path(exists=True, dir_okay=False), help="File with one repository path per line.")
@click.option("--select", help="Comma list of codemods to run (default: each repository's configuration).")
@click.option("--ignore", help="Comma list of codemods not to run.")
@click.option("--branch", help="Branch to create (default: http-codemods/<codemods>).")
@click.option("--message", help="Commit message (default: the codemods and what they fixed).")
@click.option("--test-cmd", help="Shell command run in each repository after the rewrite; on failure nothing is kept.")
@click.option("--allow-dirty", is_flag=True, help="Also process dirty trees (files with changes are left out) and detached HEADs.")
@click.option("--pr-body-dir", type=click.Path(file_okay=False), help="Write PR bodies here (REPO.md) instead of REPO/.git/http-codemods-pr.md.")
@click.option("--push", is_flag=True, help="Push the branch to --remote.")
@click.option("--remote", default="origin", show_default=True, help="Remote to push to.")
@click.option("--open-pr", is_flag=True, help="Push, then open a pull request with gh (when installed).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes per repository.")
@_codemod_options
def batch_command(
    repos: Tuple[str, ...],
    repos_file: Optional[str],
    select: Optional[str],
    ignore: Optional[str],
    branch: Optional[str],
    message: Optional[str],
    test_cmd: Optional[str],
    allow_dirty: bool,
    pr_body_dir: Optional[str],
    push: bool,
    remote: str,
    open_pr: bool,
    jobs: Optional[int],
    **codemod_values: Any,
) -> None:
    """Run the codemods over many git checkouts: for each REPO, a branch, a tested commit and
    a Markdown PR body. Ends with a table; exit status 1 if any repository failed."""
    from . import batch

    all_repos = list(repos) + (batch.read_repos_file(repos_file) if repos_file else [])
    if not all_repos:
        raise click.UsageError("no repository given (REPO... or --repos-file FILE)")
    _resolve_selection(select or "ALL", ignore, {})  # unknown names are a usage error
    extra = batch.passthrough(codemod_values) + (["-j", str(jobs)] if jobs else [])
    opts = batch.Options(
        select=select, ignore=ignore, branch=branch, message=message, test_cmd=test_cmd,
        allow_dirty=allow_dirty, pr_body_dir=pr_body_dir, push=push, remote=remote,
        open_pr=open_pr, extra_args=tuple(extra),
    )
    outcomes = batch.run(all_repos, opts, click.echo)
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
