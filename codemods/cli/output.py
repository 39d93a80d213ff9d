"""What the command prints besides the reports ``report.py`` renders: the codemod list, the
report of a run over files, the summary lines on stderr and the exit status."""

from __future__ import annotations

import textwrap
from typing import Sequence

import click

from .. import docs as codemod_docs
from .. import engine, registry
from ..report import Totals, command_line, emit, emit_errors, emit_text, hidden_fixes, statistics_table, summary
from .args import CommandArgs
from .resolve import Resolved


def list_codemods() -> None:
    width = max(len(c.NAME) for c in registry.CODEMODS)
    for cls in registry.CODEMODS:
        state = "on by default" if cls.DEFAULT else "off by default (changes behaviour)"
        click.echo(f"{cls.NAME:<{width}}  {cls.DESCRIPTION}  [{state}]")
        for line in textwrap.wrap(codemod_docs.summary(cls), 96 - width, initial_indent="  ", subsequent_indent="  "):
            click.echo(" " * width + line)


def report_files(
    args: CommandArgs,
    run: Resolved,
    paths: Sequence[str],
    results: Sequence[engine.FileResult],
    totals: Totals,
) -> None:
    """The listing (or --statistics' table, or the --format report), then the summary."""
    if args.statistics and args.fmt == "text":
        if run.mode == engine.DIFF:
            emit_text(results, run.mode, True, False, run.use_color, True)  # diffs and errors, no sites
        else:
            emit_errors(results)
        click.echo(statistics_table(results), nl=False)
    else:
        emit(
            results,
            totals,
            run.mode,
            args.fmt,
            args.output,
            args.quiet,
            args.verbose,
            registry.ordered(run.names),
            command_line(run.names, run.options, paths, run.unsafe),
            color=run.use_color,
        )
    if not args.quiet:
        echo_summary(totals, run.mode)


def echo_summary(totals: Totals, mode: str) -> None:
    click.echo(summary(totals, mode), err=True)
    echo_hidden_fixes(totals)


def echo_hidden_fixes(totals: Totals) -> None:
    """After the summary, as ruff's "hidden fixes" line: the unsafe fixes not applied."""
    line = hidden_fixes(totals)
    if line:
        click.echo(line, err=True)


def exit_status(totals: Totals, mode: str) -> int:
    if totals.errors:
        return 2
    if mode in (engine.DIFF, engine.CHECK) and (totals.changed or totals.reported):
        return 1
    return 0
