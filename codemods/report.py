"""File results -> what the user reads. Text here; the machine formats build on the same data."""

from __future__ import annotations

import json
import os
import pathlib
import shlex
import sys
import urllib.parse
from dataclasses import replace
from typing import IO, Any, Dict, List, Optional, Sequence, Tuple, Type

import click

from .base import FIXED, UNSAFE, HttpCodemod, Site
from .docs import sarif_help
from .engine import CHANGED, CHECK, DIFF, ERROR, WRITE, FileResult, Settings, Totals, process_source


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
    return f"--- a/{name}{sep1}+++ b/{name}{sep2}{body}"


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
    """``N more fixes available with --unsafe-fixes`` (ruff's "hidden fixes"), or ''."""
    n = totals.unsafe_fixable
    if not n:
        return ""
    return f"{n} more fix{'es' if n != 1 else ''} available with --unsafe-fixes"


# -- machine and pull-request formats ------------------------------------------------------
#
# Every renderer takes the same three things: the per-file results, the run totals and the
# codemod classes that ran (their NAME/DESCRIPTION/WHY/FIX describe them, so a new codemod
# shows up in every format without touching this file), plus the command line that reproduces
# the run.

FORMATS = ("text", "json", "sarif", "markdown")
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
JSON_FORMAT_VERSION = 1


def _version() -> str:
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


def _reported_files(results: Sequence[FileResult]) -> List[FileResult]:
    """The files a report talks about: changed, with sites, or in error."""
    return [r for r in results if r.status in (CHANGED, ERROR) or r.sites]


def to_json(
    results: Sequence[FileResult],
    totals: Totals,
    codemods: Sequence[Type[HttpCodemod]],
    command: str = "",
    mode: str = WRITE,
) -> Dict[str, Any]:
    files = []
    for result in _reported_files(results):
        entry: Dict[str, Any] = {
            "path": result.path,
            "status": result.status,
            "written": result.written,
            "codemods": list(result.applied),
            "sites": [site.to_dict() for site in result.sites],
            "diff": result.diff,
        }
        if result.status == ERROR:
            entry["error"] = {
                "message": result.error,
                "line": result.error_line or None,
                "column": result.error_column or None,
            }
        files.append(entry)
    return {
        "format": JSON_FORMAT_VERSION,
        "tool": {"name": "http-codemods", "version": _version()},
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
    keys = ("scanned", "skipped", "changed", "fixed", "reported", "errors", "seconds", "unsafe_fixable")
    totals = Totals(**{k: t.get(k, 0) for k in keys})
    return results, totals


def render_json(results, totals, codemods, command: str = "", mode: str = WRITE) -> str:
    return json.dumps(to_json(results, totals, codemods, command, mode), indent=2, ensure_ascii=False) + "\n"


def _uri(path: str) -> str:
    path = path.replace(os.sep, "/")
    if path.startswith("./"):
        path = path[2:]
    return urllib.parse.quote(path)


def _fixes(result: FileResult) -> Dict[Site, List[Dict[str, Any]]]:
    """SARIF fixes for each fixed site of a changed file: the diff hunks that belong to it.

    Hunks no site is attributed to (an import added at the top of the file) go to the file's
    first fixed site, so applying every result's fixes once each gives exactly the new file.
    """
    from .interactive import hunks_of

    if result.status != CHANGED or result.old_text is None or result.new_text is None:
        return {}
    hunks = hunks_of(result)
    fixed = result.fixed
    if not hunks or not fixed:
        return {}
    offsets = [0]
    for line in hunks[0].old_lines:
        offsets.append(offsets[-1] + len(line))
    by_site: Dict[Site, List[Dict[str, Any]]] = {site: [] for site in fixed}
    nearest: Dict[Site, List[Dict[str, Any]]] = {}
    for hunk in hunks:
        for _, i1, i2, j1, j2 in hunk.changes:
            replacement = {
                "deletedRegion": {"charOffset": offsets[i1], "charLength": offsets[i2] - offsets[i1]},
                "insertedContent": {"text": "".join(hunk.new_lines[j1:j2])},
            }
            if not hunk.sites:
                owners = [fixed[0]]
            else:
                owners = [s for s in hunk.sites if i1 <= s.line - 1 < max(i2, i1 + 1)]
                if not owners:
                    before = [s for s in hunk.sites if s.line - 1 <= i1]
                    owners = [max(before, key=lambda s: s.line)] if before else [min(hunk.sites, key=lambda s: s.line)]
            for site in owners:
                by_site[site].append(replacement)
            for site in hunk.sites:
                nearest.setdefault(site, [replacement])
    for site, replacements in by_site.items():
        if not replacements and site in nearest:
            replacements.extend(nearest[site])  # two fixes on one line share its change
    return by_site


def preview_unsafe_fixes(result: FileResult, data: Optional[bytes], settings: Settings) -> None:
    """``result.unsafe_previews``: for each unsafe fix not applied, the replacements it would
    make, taken from the same source run again with ``--unsafe-fixes`` (relative to the file
    as read, as SARIF fixes are). ``data``: the file's bytes as read (None: not available)."""
    keys = {(s.codemod, s.line, s.column) for s in result.unsafe_fixable}
    if not keys or data is None:
        return
    for codemod in sorted({key[0] for key in keys}):
        # That codemod alone, so the replacements hold none of the other codemods' fixes.
        alone = replace(settings, codemods=(codemod,), unsafe_fixes=True, keep_text=True, mode=CHECK)
        alt = process_source(data, result.path, alone)
        if alt.status != CHANGED:
            continue
        for site, replacements in _fixes(alt).items():
            key = (site.codemod, site.line, site.column)
            if key in keys and site.safety == UNSAFE and replacements:
                result.unsafe_previews[key] = replacements


def to_sarif(results, totals, codemods, command: str = "", mode: str = WRITE) -> Dict[str, Any]:
    rules = []
    index = {}
    for i, cls in enumerate(codemods):
        index[cls.NAME] = i
        rules.append(
            {
                "id": cls.NAME,
                "name": "".join(part.capitalize() for part in cls.NAME.split("-")),
                "shortDescription": {"text": cls.DESCRIPTION},
                "fullDescription": {"text": cls.WHY or cls.DESCRIPTION},
                "help": sarif_help(cls),  # generated from the codemod's DOCS
                "defaultConfiguration": {"level": "warning"},
                "properties": {"onByDefault": cls.DEFAULT},
            }
        )
    sarif_results = []
    notifications = []
    for result in _reported_files(results):
        if os.path.isabs(result.path):
            location: Dict[str, Any] = {"artifactLocation": {"uri": pathlib.Path(result.path).as_uri()}}
        else:
            location = {"artifactLocation": {"uri": _uri(result.path), "uriBaseId": "SRCROOT"}}
        if result.status == ERROR:
            notifications.append(
                {
                    "level": "error",
                    "message": {"text": result.error or "error"},
                    "locations": [{"physicalLocation": dict(location, **(
                        {"region": {"startLine": result.error_line}} if result.error_line else {}
                    ))}],
                }
            )
            continue
        fixes = _fixes(result)
        for site in result.sites:
            entry: Dict[str, Any] = {
                "ruleId": site.codemod,
                "level": "note" if site.action == FIXED else "warning",
                "message": {
                    "text": (f"Fixed: {site.reason}" if site.action == FIXED else f"Left for review: {site.reason}")
                },
                "locations": [
                    {
                        "physicalLocation": dict(
                            location, region={"startLine": site.line, "startColumn": site.column}
                        )
                    }
                ],
                "properties": _site_properties(site),
            }
            if site.codemod in index:
                entry["ruleIndex"] = index[site.codemod]
            preview = result.unsafe_previews.get((site.codemod, site.line, site.column)) if site.unsafe_fixable else None
            if preview:
                entry["fixes"] = [
                    {
                        "description": {"text": f"unsafe fix (--unsafe-fixes): {site.hazard}"},
                        "artifactChanges": [
                            {"artifactLocation": dict(location["artifactLocation"]), "replacements": preview}
                        ],
                    }
                ]
            if site.action == FIXED:
                entry["kind"] = "fail"
                replacements = fixes.get(site)
                if replacements:
                    entry["fixes"] = [
                        {
                            "description": {"text": site.reason},
                            "artifactChanges": [
                                {"artifactLocation": dict(location["artifactLocation"]), "replacements": replacements}
                            ],
                        }
                    ]
            sarif_results.append(entry)
    invocation: Dict[str, Any] = {"executionSuccessful": totals.errors == 0}
    if command:
        invocation["commandLine"] = command
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "http-codemods",
                        "version": _version(),
                        "semanticVersion": _version(),
                        "rules": rules,
                    }
                },
                "invocations": [invocation],
                "originalUriBaseIds": {"SRCROOT": {"uri": pathlib.Path(os.getcwd()).as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": sarif_results,
                "properties": {"mode": mode},
            }
        ],
    }


def _site_properties(site: Site) -> Dict[str, Any]:
    """A SARIF result's properties: the action, the fix's safety and hazard, and for an unsafe
    fix not applied, that ``--unsafe-fixes`` applies it; a suggested manual edit."""
    out: Dict[str, Any] = {"action": site.action, "safety": site.safety}
    if site.hazard:
        out["hazard"] = site.hazard
    if site.unsafe_fixable:
        out["fixableWith"] = "--unsafe-fixes"
    if site.suggestion:
        out["suggestion"] = site.suggestion
    return out


def render_sarif(results, totals, codemods, command: str = "", mode: str = WRITE) -> str:
    return json.dumps(to_sarif(results, totals, codemods, command, mode), indent=2, ensure_ascii=False) + "\n"


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{_md(text)}{pad}{fence}"


def _safety_cell(site: Site) -> str:
    """A Markdown cell: the fix's safety and hazard, or the suggested manual edit."""
    if site.safety == UNSAFE:
        text = f"unsafe: {_md(site.hazard)}" if site.hazard else "unsafe"
        return text + (" (with `--unsafe-fixes`)" if site.unsafe_fixable else "")
    if site.safety:
        return site.safety
    return f"suggested edit: {_md(site.suggestion)}" if site.suggestion else "none"


def render_markdown(results, totals, codemods, command: str = "", mode: str = WRITE) -> str:
    """A pull-request body: what changed and why, files and sites, what is left for review,
    and how to reproduce it."""
    files = _reported_files(results)
    changed = [r for r in files if r.status == CHANGED]
    used = [c for c in codemods if any(c.NAME in r.applied for r in changed)]
    idle = [c for c in codemods if c not in used]
    reported = [(r, s) for r in files for s in r.reported]
    errors = [r for r in files if r.status == ERROR]
    fixed_count = sum(len(r.fixed) for r in changed)
    unsafe_fixed = sum(s.safety == UNSAFE for r in changed for s in r.fixed)
    title = ", ".join(c.NAME for c in used) or "no changes"
    out: List[str] = [f"## http-codemods: {title}", ""]
    if changed:
        out.append(
            f"This change was made by http-codemods {_version()}: {fixed_count} "
            f"site{'s' if fixed_count != 1 else ''} fixed in {len(changed)} "
            f"file{'s' if len(changed) != 1 else ''}"
            + (f"; {len(reported)} site{'s' if len(reported) != 1 else ''} left for human review" if reported else "")
            + ". Every rewrite is mechanical and keeps the program's behaviour except where said below."
            + (f" {unsafe_fixed} of the fixes {'are unsafe fixes' if unsafe_fixed != 1 else 'is an unsafe fix'}"
               " (`--unsafe-fixes`): right in the usual case, each with the hazard named in the table of"
               " sites fixed." if unsafe_fixed else "")
        )
    else:
        out.append(f"http-codemods {_version()} found nothing to rewrite.")
    out.append("")
    if used:
        out += ["### What changed and why", ""]
        for cls in used:
            default = "" if cls.DEFAULT else " (off by default: it changes behaviour)"
            out.append(f"**`{cls.NAME}`**{default}: {cls.DESCRIPTION} **Why:** {cls.WHY} **The fix:** {cls.FIX}")
            out.append("")
    if idle:
        out.append("Also ran, with nothing to change: " + ", ".join(f"`{c.NAME}`" for c in idle) + ".")
        out.append("")
    if files:
        out += ["### Files", "", "| file | codemods | sites fixed | left for review |", "| --- | --- | ---: | ---: |"]
        for r in files:
            if r.status == ERROR:
                continue
            names = ", ".join(r.applied) or "-"
            out.append(f"| {_code(r.path)} | {_md(names)} | {len(r.fixed)} | {len(r.reported)} |")
        out.append("")
        fixed_sites = [(r, s) for r in changed for s in r.fixed]
        if fixed_sites:
            out += ["<details><summary>Sites fixed</summary>", "", "| site | codemod | what | fix safety |",
                    "| --- | --- | --- | --- |"]
            for r, s in fixed_sites:
                out.append(f"| {_code(f'{r.path}:{s.line}:{s.column}')} | {s.codemod} | {_md(s.reason)} | {_safety_cell(s)} |")
            out += ["", "</details>", ""]
    if reported:
        out += ["### Left for human review", "", "These sites were found but not rewritten:", "",
                "| site | codemod | reason | fix |", "| --- | --- | --- | --- |"]
        for r, s in reported:
            out.append(f"| {_code(f'{r.path}:{s.line}:{s.column}')} | {s.codemod} | {_md(s.reason)} | {_safety_cell(s)} |")
        out.append("")
        hidden = sum(s.unsafe_fixable for _, s in reported)
        if hidden:
            out += [f"{hidden} of them {'have' if hidden != 1 else 'has'} an unsafe fix, applied with "
                    "`--unsafe-fixes`: right in the usual case, with the hazard named.", ""]
    if errors:
        out += ["### Files that could not be processed", ""]
        for r in errors:
            out.append(f"- {_code(r.error_location())}: {_md(r.error or 'error')}")
        out.append("")
    out += ["### How to reproduce", "", "```sh", command or "http-codemods .", "```", "",
            f"with http-codemods {_version()}; a second run changes nothing."]
    return "\n".join(out) + "\n"


RENDERERS = {"json": render_json, "sarif": render_sarif, "markdown": render_markdown}


def render(fmt: str, results, totals, codemods, command: str = "", mode: str = WRITE) -> str:
    return RENDERERS[fmt](results, totals, codemods, command, mode)


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
    codemods: Sequence[Type[HttpCodemod]],
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
