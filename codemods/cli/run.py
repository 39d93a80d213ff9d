"""The run itself: over files (discovered, in groups of the same codemods, with a progress bar
on a terminal) or over standard input (a filter), then the report and the exit status."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from typing import Any, Dict, List, Optional, Sequence, Tuple

import click

from .. import engine, registry
from .. import facts as project_facts
from .. import fileindex, generated
from ..discover import Discovery, discover
from ..report import Totals, command_line, emit_text, error_line, render, write_diff, write_report
from ..sarif import preview_unsafe_fixes
from ..share import mockpatch
from .args import CommandArgs
from .excludes import with_per_file_ignores
from .output import echo_summary, exit_status, list_codemods, report_files
from .resolve import Resolved, budgets, cache_dir, resolve

PROGRESS_THRESHOLD = 300


def run_command(args: CommandArgs) -> None:
    """``http-codemods``: --list, else the run over PATHS or standard input; exits."""
    if args.list_codemods:
        list_codemods()
        return
    started = time.monotonic()
    paths = args.paths or (".",)
    run = resolve(args, paths)
    if "-" in paths:
        status = _run_stdin_command(args, run, paths)
    else:
        status = _run_files(args, run, paths, started)
    sys.exit(0 if args.exit_zero and status == 1 else status)


def _run_stdin_command(args: CommandArgs, run: Resolved, paths: Sequence[str]) -> int:
    if len(paths) > 1:
        raise click.UsageError("'-' (standard input) cannot be mixed with other paths")
    if args.interactive:
        raise click.UsageError("-i/--interactive needs files, not standard input")
    if args.fmt != "text" and run.mode == engine.WRITE and not args.output:
        raise click.UsageError(f"--format {args.fmt} with '-' in place needs --output (stdout carries the code)")
    settings = run.settings
    name = args.stdin_filename
    if name:
        if run.skip_named is not None and run.skip_named(name):
            # Excluded: a filter passes its input through untouched (as ruff does).
            if run.mode == engine.WRITE:
                sys.stdout.buffer.write(sys.stdin.buffer.read())
            sys.exit(0)
        settings = with_per_file_ignores(settings, run.cfg, run.base, name)
    if project_facts.needed(settings.codemods):
        settings = replace(settings, facts=project_facts.for_stdin(name, run.excludes))
    report_args = (
        args.fmt,
        args.output,
        command_line(run.names, run.options, [name or "-"], run.unsafe),
        registry.ordered(run.names),
    )
    return run_stdin(settings, name or "-", run.mode, args.quiet, *report_args)


def _run_files(args: CommandArgs, run: Resolved, paths: Sequence[str], started: float) -> int:
    found = discover(paths, run.excludes, force_excluded=run.skip_named)
    for path, reason in found.errors:
        click.echo(f"{path}: error: {reason}", err=True)
    for path, reason in found.skipped:
        click.echo(f"{path}: skipped: {reason}", err=True)
    settings = _files_settings(args, run, found)
    results = run_groups(found.files, settings, run.cfg, run.base, run.jobs, args.quiet)
    if args.fmt == "sarif" and not settings.unsafe_fixes:
        _preview_unsafe_fixes(results, settings, run.mode, run.cfg, run.base)
    if args.interactive:
        from ..interactive import review

        results, _ = review(results, settings=settings)
    totals = Totals.of(results, started, extra_errors=len(found.errors))
    report_files(args, run, paths, results, totals)
    return exit_status(totals, run.mode)


def _files_settings(args: CommandArgs, run: Resolved, found: Discovery) -> engine.Settings:
    """The roots, the per-file budgets, the cache and (once, before any file is rewritten)
    what tests and other modules know (facts/)."""
    limits = budgets(
        {
            "file-time-limit": args.file_time_limit,
            "file-memory-limit": args.file_memory_limit,
            "file-size-limit": args.file_size_limit,
        },
        run.cfg,
    )
    settings = replace(
        run.settings,
        roots=tuple(found.roots),
        file_time_limit=limits["file-time-limit"],
        file_memory_limit=int(limits["file-memory-limit"] * 2**20),
        max_file_size=int(limits["file-size-limit"] * 2**20),
        cache_dir=cache_dir(args.cache_dir, args.no_cache, run.cfg, run.base),
    )
    index = fileindex.shared(settings.cache_dir)  # unchanged files: what they tell, unread
    if project_facts.needed(settings.codemods):
        settings = replace(
            settings, facts=project_facts.for_run(found.files, found.roots, run.excludes, index, run.jobs)
        )
    settings = generated.plan_run(settings, found.files)  # each package's shared client
    # The tests' patches share-session moves onto a package's shared session (a planning run).
    try:
        settings = mockpatch.plan_transfers(settings, found.files, run.jobs)
    except Exception as exc:  # noqa: BLE001 - the projects with patches fail, the run goes on
        settings = _planning_failed(settings, exc)
    return settings


def _planning_failed(settings: engine.Settings, exc: Exception) -> engine.Settings:
    """The mock move's plan raised: no patch moves, and the projects with patches (whose
    rewrites the plan decides) fail as a facts pass failure does (their files errors)."""
    facts = settings.facts
    why = project_facts.failure(exc, "the mock move's planning run")
    failed = dict(facts.failed)
    for patch in facts.patches:
        failed.setdefault(patch.project, why)
    return replace(settings, facts=replace(facts, transfers=None, failed=tuple(sorted(failed.items()))))


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
        preview_unsafe_fixes(result, data, with_per_file_ignores(settings, cfg, base, result.path))


def run_groups(
    files: Sequence[str], settings: engine.Settings, cfg: Dict[str, Any], base: str, jobs: int, quiet: bool
) -> List[engine.FileResult]:
    """``per-file-ignores``: files that run the same codemods run together; results in path
    order as ever."""
    if not cfg.get("per-file-ignores"):
        return _run_with_progress(files, settings, jobs, quiet)
    groups: Dict[Tuple[str, ...], List[str]] = {}
    for path in files:
        groups.setdefault(with_per_file_ignores(settings, cfg, base, path).codemods, []).append(path)
    results: List[engine.FileResult] = []
    for codemods, group in groups.items():
        results += _run_with_progress(group, replace(settings, codemods=codemods), jobs, quiet)
    order = {path: i for i, path in enumerate(files)}
    return sorted(results, key=lambda r: order.get(r.path, 0))


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


def run_stdin(
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
    result = engine.facts_failure(name, settings) or engine.process_source(data, name, settings)
    if fmt == "sarif" and not settings.unsafe_fixes:
        preview_unsafe_fixes(result, data, settings)
    if fmt != "text":
        totals = Totals.of([result], started)
        write_report(render(fmt, [result], totals, codemods, command_text, mode), output)
        if not output:  # the report is standard output
            if result.status == engine.ERROR:
                click.echo(error_line(result), err=True)
            if not quiet:
                echo_summary(totals, mode)
            return exit_status(totals, mode)
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
    totals = Totals.of([result], started)
    if not quiet:
        echo_summary(totals, mode)
    return exit_status(totals, mode)
