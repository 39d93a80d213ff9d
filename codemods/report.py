"""File results -> what the user reads. Text here; the machine formats build on the same data."""

from __future__ import annotations

import sys
from typing import IO, List, Optional, Sequence

import click

from .base import Site
from .engine import CHANGED, CHECK, DIFF, ERROR, WRITE, FileResult, Totals


def site_line(path: str, site: Site) -> str:
    return f"{path}:{site.line}:{site.column}: {site.codemod}: {site.reason}"


def error_line(result: FileResult) -> str:
    return f"{result.error_location()}: error: {result.error}"


def write_diff(result: FileResult, stream: Optional[IO[bytes]] = None, color: bool = False) -> None:
    """One file's diff, in the file's own encoding so ``git apply`` matches its bytes."""
    if not result.diff:
        return
    if color:
        from moreorless.click import echo_color_precomputed_diff

        echo_color_precomputed_diff(result.diff)
        return
    out = stream if stream is not None else sys.stdout.buffer
    out.write(result.diff.encode(result.encoding or "utf-8", errors="surrogateescape"))
    out.flush()


def emit_text(
    results: Sequence[FileResult],
    mode: str,
    quiet: bool,
    verbose: bool,
    color: bool,
    findings_to_stderr: bool,
) -> None:
    """Print per-file output in path order: diffs, findings, errors."""
    for result in results:
        if result.status == ERROR:
            click.echo(error_line(result), err=True)
            continue
        if result.status == CHANGED:
            if mode == DIFF:
                sys.stdout.flush()
                write_diff(result, color=color)
            elif mode == CHECK and not quiet:
                click.echo(f"would rewrite {result.path}", err=findings_to_stderr)
            elif mode == WRITE and verbose:
                click.echo(f"rewrote {result.path} ({', '.join(result.applied)})", err=True)
        if verbose:
            for site in result.fixed:
                click.echo(site_line(result.path, site), err=True)
        if not quiet:
            for site in result.reported:
                click.echo(site_line(result.path, site), err=findings_to_stderr)


def summary(totals: Totals, mode: str) -> str:
    verb = "rewritten" if mode == WRITE else "would be rewritten"
    parts: List[str] = [
        f"{totals.scanned} file{'s' if totals.scanned != 1 else ''} scanned",
        f"{totals.skipped} skipped by prefilter",
        f"{totals.changed} {verb}",
        f"{totals.fixed} site{'s' if totals.fixed != 1 else ''} fixed",
        f"{totals.reported} left for review",
        f"{totals.errors} error{'s' if totals.errors != 1 else ''}",
    ]
    return ", ".join(parts) + f" in {totals.seconds:.2f}s"
