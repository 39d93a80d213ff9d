"""Reports: file results -> what the user reads. The shared report model (which files a
report talks about, the reproducing command line, the JSON report and reading it back, the
``--format`` dispatch and where a report is written) and the text listing (diffs, site and
error lines, ``--statistics``, the summary). The other formats build on the same data: SARIF
in ``sarif.py``, the pull-request body in ``markdown.py``.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from dataclasses import dataclass
from typing import IO, Any, Dict, List, Optional, Sequence, Tuple

import click

from .sites import FIXED, Site
from .engine import CHANGED, CHECK, DIFF, ERROR, SKIPPED, WRITE, FileResult


@dataclass
class Totals:
    scanned: int = 0
    skipped: int = 0
    changed: int = 0
    fixed: int = 0
    reported: int = 0
    errors: int = 0
    seconds: float = 0.0
    #: Reported sites ``--unsafe-fixes`` would fix (included in ``reported``).
    unsafe_fixable: int = 0
    #: Reported calls ``--unsafe-fixes`` may fix by moving a test's patch (``Site.may_move``).
    unsafe_may_fix: int = 0

    @classmethod
    def of(cls, results: Sequence[FileResult], started: float, extra_errors: int = 0) -> "Totals":
        return cls(
            scanned=sum(not r.created for r in results),
            skipped=sum(r.status == SKIPPED for r in results),
            changed=sum(r.status == CHANGED for r in results),
            fixed=sum(len(r.fixed) for r in results),
            reported=sum(len(r.reported) for r in results),
            errors=sum(r.status == ERROR for r in results) + extra_errors,
            seconds=time.monotonic() - started,
            unsafe_fixable=sum(len(r.unsafe_fixable) for r in results),
            unsafe_may_fix=sum(s.may_move for r in results for s in r.sites),
        )


def site_line(path: str, site: Site) -> str:
    """``path:line:col: codemod: reason``; an unsafe fix not applied names its hazard, and a
    suggested manual edit follows on an indented line."""
    text = f"{path}:{site.line}:{site.column}: {site.codemod}: {site.reason}"
    if site.unsafe_fixable and site.hazard:
        text += f" [hazard: {site.hazard}]"
    if site.suggestion:
        text += f"\n    suggested edit: {site.suggestion}"
    return text


def error_line(result: FileResult) -> str:
    return f"{result.error_location()}: error: {result.error}"


def diff_path(path: str) -> str:
    """The path a diff names a file by, without the ``a/``/``b/`` prefix: relative to the
    current directory when the file is below it; otherwise relative to the top of the git work
    tree that holds it (``git -C <that tree> apply`` takes the diff, as it takes ``git diff``'s);
    otherwise relative to the current directory (``a/../x.py``, for ``git apply
    --unsafe-paths`` there). Never absolute: ``git apply`` refuses absolute paths."""
    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    if absolute.startswith(cwd.rstrip(os.sep) + os.sep):
        return os.path.relpath(absolute, cwd).replace(os.sep, "/")
    current = os.path.dirname(absolute)
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return os.path.relpath(absolute, current).replace(os.sep, "/")
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return os.path.relpath(absolute, cwd).replace(os.sep, "/")


def with_prefixes(diff: str, path: str) -> str:
    """``diff`` with its ``---``/``+++`` lines naming ``a/<diff_path>`` and ``b/<diff_path>``."""
    first, sep1, rest = diff.partition("\n")
    second, sep2, body = rest.partition("\n")
    if not (first.startswith("--- ") and second.startswith("+++ ")):
        return diff
    name = diff_path(path)
    old = "/dev/null" if first == "--- /dev/null" else f"a/{name}"  # a file the run creates
    return f"--- {old}{sep1}+++ b/{name}{sep2}{body}"


def colorize_diff(diff: str) -> str:
    """ANSI colours as ``moreorless.click`` gives them: bold headers, cyan hunks, red/green."""
    out = []
    for line in diff.splitlines(True):
        text, end = (line[:-1], "\n") if line.endswith("\n") else (line, "")
        if line.startswith(("---", "+++")):
            text = click.style(text, bold=True)
        elif line.startswith("@@"):
            text = click.style(text, fg="cyan")
        elif line.startswith("-"):
            text = click.style(text, fg="red")
        elif line.startswith("+"):
            text = click.style(text, fg="green")
        out.append(text + end)
    return "".join(out)


def write_diff(result: FileResult, stream: Optional[IO[bytes]] = None, color: bool = False) -> None:
    """One file's diff, in the file's own encoding so ``git apply`` matches its bytes."""
    if not result.diff:
        return
    diff = with_prefixes(result.diff, result.path)
    if color:
        diff = colorize_diff(diff)
    out = stream if stream is not None else sys.stdout.buffer
    out.write(diff.encode(result.encoding or "utf-8", errors="surrogateescape"))
    out.flush()


def statistics_table(results: Sequence[FileResult]) -> str:
    """``--statistics``: one line per codemod and outcome, most frequent first, as ruff's
    ``count<TAB>code<TAB>message``: ``   3\tadd-timeout\tfixed``; unsafe fixes not applied
    count apart (``left for review, fixable with --unsafe-fixes``)."""
    counts: Dict[Tuple[str, str], int] = {}
    for result in results:
        for site in result.sites:
            what = "fixed" if site.action == FIXED else "left for review"
            if site.unsafe_fixable:
                what = "left for review, fixable with --unsafe-fixes"
            key = (site.codemod, what)
            counts[key] = counts.get(key, 0) + 1
    if not counts:
        return ""
    width = max(len(str(n)) for n in counts.values())
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return "".join(f"{n:>{width}}\t{codemod}\t{what}\n" for (codemod, what), n in rows)


def emit_text(
    results: Sequence[FileResult],
    mode: str,
    quiet: bool,
    verbose: bool,
    color: bool,
    findings_to_stderr: bool,
    out: Optional[IO[bytes]] = None,
) -> None:
    """Print per-file output in path order: diffs, findings, errors.

    ``out``: a binary stream that gets what would go to standard output (``--output FILE``).
    """

    def say(line: str, err: bool) -> None:
        if out is not None and not err:
            out.write(line.encode("utf-8", errors="surrogateescape") + b"\n")
        else:
            click.echo(line, err=err)

    for result in results:
        if result.status == ERROR:
            click.echo(error_line(result), err=True)
            continue
        if result.status == CHANGED:
            if mode == DIFF:
                sys.stdout.flush()
                write_diff(result, stream=out, color=color and out is None)
            elif mode == CHECK and not quiet:
                say(f"would rewrite {result.path}", err=findings_to_stderr)
            elif mode == WRITE and verbose:
                click.echo(f"rewrote {result.path} ({', '.join(result.applied)})", err=True)
        if verbose:
            for site in result.fixed:
                click.echo(site_line(result.path, site), err=True)
        if not quiet:
            for site in result.reported:
                say(site_line(result.path, site), err=findings_to_stderr)


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


def hidden_fixes(totals: Totals) -> str:
    """``N more fixes available with --unsafe-fixes`` (ruff's "hidden fixes"), or ''; then
    the calls that run may fix too by moving their tests' patches (its plan decides)."""
    n, m = totals.unsafe_fixable, totals.unsafe_may_fix
    mocked = f"{m} site{'s' if m != 1 else ''} mocked by tests"
    if not n:
        return f"{mocked} may be fixed with --unsafe-fixes (it plans a move of their patches)" if m else ""
    line = f"{n} more fix{'es' if n != 1 else ''} available with --unsafe-fixes"
    return line + (f"; {mocked} may also be fixed there (it plans a move of their patches)" if m else "")


# -- machine and pull-request formats ------------------------------------------------------
#
# Every renderer takes the same three things: the per-file results, the run totals and the
# codemod classes that ran (their NAME/DESCRIPTION/WHY/FIX describe them, so a new codemod
# shows up in every format without touching this file, ``sarif.py`` or ``markdown.py``), plus
# the command line that reproduces the run.

FORMATS = ("text", "json", "sarif", "markdown")
JSON_FORMAT_VERSION = 1


def tool_version() -> str:
    from . import __version__

    return __version__


def command_line(
    names: Sequence[str], options: Dict[str, Dict[str, Any]], paths: Sequence[str], unsafe_fixes: bool = False
) -> str:
    """The ``http-codemods`` command that redoes this rewrite in place (options that differ
    from the defaults, whether they came from the command line or the configuration)."""
    from . import registry

    args = ["http-codemods", "--select", ",".join(names) if names else "''"]
    seen = set()
    for cls in registry.ordered(names):
        for option in cls.OPTIONS:
            value = options.get(cls.NAME, {}).get(option.name)
            if value is None or value == option.default or option.name in seen:
                continue
            seen.add(option.name)
            if isinstance(option.default, bool):
                if value:
                    args.append(f"--{option.name}")
                continue
            if isinstance(value, (list, tuple)):
                value = "(" + ", ".join(str(v) for v in value) + ")"
            args += [f"--{option.name}", shlex.quote(str(value))]
    if unsafe_fixes:
        args.append("--unsafe-fixes")
    args += [shlex.quote(p) for p in (paths or ["."])]
    return " ".join(args)


def reported_files(results: Sequence[FileResult]) -> List[FileResult]:
    """The files a report talks about: changed, with sites, or in error."""
    return [r for r in results if r.status in (CHANGED, ERROR) or r.sites]


def to_json(
    results: Sequence[FileResult],
    totals: Totals,
    codemods: Sequence[Any],
    command: str = "",
    mode: str = WRITE,
) -> Dict[str, Any]:
    files = []
    for result in reported_files(results):
        entry: Dict[str, Any] = {
            "path": result.path,
            "status": result.status,
            "written": result.written,
            "codemods": list(result.applied),
            "sites": [site.to_dict() for site in result.sites],
            "diff": result.diff,
        }
        if result.created:
            entry["created"] = True  # a file the run creates (a package's shared client module)
        if result.status == ERROR:
            entry["error"] = {
                "message": result.error,
                "line": result.error_line or None,
                "column": result.error_column or None,
            }
        files.append(entry)
    return {
        "format": JSON_FORMAT_VERSION,
        "tool": {"name": "http-codemods", "version": tool_version()},
        "mode": mode,
        "command": command,
        "codemods": [
            {"name": c.NAME, "description": c.DESCRIPTION, "why": c.WHY, "fix": c.FIX, "default": c.DEFAULT}
            for c in codemods
        ],
        "files": files,
        "totals": {
            "scanned": totals.scanned,
            "skipped": totals.skipped,
            "changed": totals.changed,
            "fixed": totals.fixed,
            "reported": totals.reported,
            "errors": totals.errors,
            "seconds": round(totals.seconds, 3),
            "unsafe_fixable": totals.unsafe_fixable,
            "unsafe_may_fix": totals.unsafe_may_fix,
        },
    }


def from_json(data: Dict[str, Any]) -> Tuple[List[FileResult], Totals]:
    """Results and totals back from ``to_json`` (``batch`` renders PR bodies from them)."""
    results = []
    for entry in data.get("files", []):
        error = entry.get("error") or {}
        results.append(
            FileResult(
                path=entry["path"],
                status=entry["status"],
                sites=[Site.from_dict(s) for s in entry["sites"]],
                applied=list(entry.get("codemods", [])),
                diff=entry.get("diff"),
                error=error.get("message"),
                error_line=error.get("line") or 0,
                error_column=error.get("column") or 0,
                written=bool(entry.get("written")),
            )
        )
    t = data.get("totals", {})
    keys = (
        "scanned",
        "skipped",
        "changed",
        "fixed",
        "reported",
        "errors",
        "seconds",
        "unsafe_fixable",
        "unsafe_may_fix",
    )
    totals = Totals(**{k: t.get(k, 0) for k in keys})
    return results, totals


def render_json(results, totals, codemods, command: str = "", mode: str = WRITE) -> str:
    return json.dumps(to_json(results, totals, codemods, command, mode), indent=2, ensure_ascii=False) + "\n"


def render(fmt: str, results, totals, codemods, command: str = "", mode: str = WRITE) -> str:
    # Imported here: sarif.py and markdown.py build on this module.
    from .markdown import render_markdown
    from .sarif import render_sarif

    renderers = {"json": render_json, "sarif": render_sarif, "markdown": render_markdown}
    return renderers[fmt](results, totals, codemods, command, mode)


def write_report(text: str, output: Optional[str]) -> None:
    """The report to ``output`` (a file, written whole) or to standard output."""
    if output and output != "-":
        directory = os.path.dirname(os.path.abspath(output))
        os.makedirs(directory, exist_ok=True)
        with open(output, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        return
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()


def emit_errors(results: Sequence[FileResult]) -> None:
    for result in results:
        if result.status == ERROR:
            click.echo(error_line(result), err=True)


def emit(
    results: Sequence[FileResult],
    totals: Totals,
    mode: str,
    fmt: str,
    output: Optional[str],
    quiet: bool,
    verbose: bool,
    codemods: Sequence[Any],
    command: str,
    color: Optional[bool] = None,
) -> None:
    """Everything a run prints, for any ``--format`` and ``--output``.

    ``color``: colour diffs on standard output (``None``: when it is a terminal).

    - text: the usual listing; with ``--output`` its standard-output part (diffs with
      ``--diff``, ``would rewrite`` lines and sites with ``--check``) goes to the file.
    - json/sarif/markdown without ``--output``: the report is all that goes to standard output
      (diffs are inside json and sarif); errors still go to standard error.
    - json/sarif/markdown with ``--output``: the report goes to the file and the usual text
      listing to the terminal, so ``--diff --format markdown --output pr.md`` shows the diff
      and writes the PR body.
    """
    findings_to_stderr = mode == DIFF
    colored = mode == DIFF and (sys.stdout.isatty() if color is None else color)
    if fmt == "text":
        if output and output != "-":
            with open(output, "wb") as handle:
                emit_text(results, mode, quiet, verbose, False, findings_to_stderr, out=handle)
        else:
            emit_text(results, mode, quiet, verbose, colored, findings_to_stderr)
        return
    text = render(fmt, results, totals, codemods, command, mode)
    if output and output != "-":
        write_report(text, output)
        emit_text(results, mode, quiet, verbose, colored, findings_to_stderr)
    else:
        emit_errors(results)
        write_report(text, None)
