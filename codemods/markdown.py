"""Markdown reports (``--format markdown``): a pull-request body saying what changed and why
(from each codemod's ``DESCRIPTION``, ``WHY`` and ``FIX``), the files and sites fixed with each
fix's safety, the sites left for human review, the files in error, and the command that
reproduces the run; ``batch`` renders its pull-request bodies with it. Built on the shared
report model in ``report.py``.
"""

from __future__ import annotations

from typing import Any, List, Tuple

from .sites import UNSAFE, Site
from .engine import CHANGED, ERROR, WRITE, FileResult
from .report import reported_files, tool_version


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
    if site.may_move:
        return "maybe, with `--unsafe-fixes` (it plans a move of the test's patch)"
    return f"suggested edit: {_md(site.suggestion)}" if site.suggestion else "none"


def render_markdown(results, totals, codemods, command: str = "", mode: str = WRITE) -> str:
    """A pull-request body: what changed and why, files and sites, what is left for review,
    and how to reproduce it."""
    files = reported_files(results)
    changed = [r for r in files if r.status == CHANGED]
    used = [c for c in codemods if any(c.NAME in r.applied for r in changed)]
    idle = [c for c in codemods if c not in used]
    reported = [(r, s) for r in files for s in r.reported]
    errors = [r for r in files if r.status == ERROR]
    title = ", ".join(c.NAME for c in used) or "no changes"
    out: List[str] = [f"## http-codemods: {title}", ""]
    out += _summary(changed, reported)
    out += _what_changed(used, idle)
    if files:
        out += _files(files, changed)
    if reported:
        out += _left_for_review(reported)
    if errors:
        out += _errors(errors)
    out += _how_to_reproduce(command)
    return "\n".join(out) + "\n"


def _summary(changed: List[FileResult], reported: List[Tuple[FileResult, Site]]) -> List[str]:
    """The opening paragraph: counts, and how many of the fixes are unsafe ones."""
    if not changed:
        return [f"http-codemods {tool_version()} found nothing to rewrite.", ""]
    fixed_count = sum(len(r.fixed) for r in changed)
    unsafe_fixed = sum(s.safety == UNSAFE for r in changed for s in r.fixed)
    return [
        f"This change was made by http-codemods {tool_version()}: {fixed_count} "
        f"site{'s' if fixed_count != 1 else ''} fixed in {len(changed)} "
        f"file{'s' if len(changed) != 1 else ''}"
        + (f"; {len(reported)} site{'s' if len(reported) != 1 else ''} left for human review" if reported else "")
        + ". Every rewrite is mechanical and keeps the program's behaviour except where said below."
        + (
            f" {unsafe_fixed} of the fixes {'are unsafe fixes' if unsafe_fixed != 1 else 'is an unsafe fix'}"
            " (`--unsafe-fixes`): right in the usual case, each with the hazard named in the table of"
            " sites fixed."
            if unsafe_fixed
            else ""
        ),
        "",
    ]


def _what_changed(used: List[Any], idle: List[Any]) -> List[str]:
    """Each codemod that changed something, with why and what its fix does; the others by name."""
    out: List[str] = []
    if used:
        out += ["### What changed and why", ""]
        for cls in used:
            default = "" if cls.DEFAULT else " (off by default: it changes behaviour)"
            out.append(f"**`{cls.NAME}`**{default}: {cls.DESCRIPTION} **Why:** {cls.WHY} **The fix:** {cls.FIX}")
            out.append("")
    if idle:
        out.append("Also ran, with nothing to change: " + ", ".join(f"`{c.NAME}`" for c in idle) + ".")
        out.append("")
    return out


def _files(files: List[FileResult], changed: List[FileResult]) -> List[str]:
    """The table of files, then (folded) the table of sites fixed."""
    out = ["### Files", "", "| file | codemods | sites fixed | left for review |", "| --- | --- | ---: | ---: |"]
    for r in files:
        if r.status == ERROR:
            continue
        names = ", ".join(r.applied) or "-"
        out.append(f"| {_code(r.path)} | {_md(names)} | {len(r.fixed)} | {len(r.reported)} |")
    out.append("")
    fixed_sites = [(r, s) for r in changed for s in r.fixed]
    if fixed_sites:
        out += [
            "<details><summary>Sites fixed</summary>",
            "",
            "| site | codemod | what | fix safety |",
            "| --- | --- | --- | --- |",
        ]
        out += [_site_row(r, s) for r, s in fixed_sites]
        out += ["", "</details>", ""]
    return out


def _left_for_review(reported: List[Tuple[FileResult, Site]]) -> List[str]:
    out = [
        "### Left for human review",
        "",
        "These sites were found but not rewritten:",
        "",
        "| site | codemod | reason | fix |",
        "| --- | --- | --- | --- |",
    ]
    out += [_site_row(r, s) for r, s in reported]
    out.append("")
    hidden = sum(s.unsafe_fixable for _, s in reported)
    if hidden:
        out += [
            f"{hidden} of them {'have' if hidden != 1 else 'has'} an unsafe fix, applied with "
            "`--unsafe-fixes`: right in the usual case, with the hazard named.",
            "",
        ]
    maybe = sum(s.may_move for _, s in reported)
    if maybe:
        out += [
            f"{maybe} of them {'are calls' if maybe != 1 else 'is a call'} mocked by tests that `--unsafe-fixes` "
            "may fix: it plans a move of the tests' patches onto the shared session.",
            "",
        ]
    return out


def _site_row(r: FileResult, s: Site) -> str:
    return f"| {_code(f'{r.path}:{s.line}:{s.column}')} | {s.codemod} | {_md(s.reason)} | {_safety_cell(s)} |"


def _errors(errors: List[FileResult]) -> List[str]:
    out = ["### Files that could not be processed", ""]
    for r in errors:
        out.append(f"- {_code(r.error_location())}: {_md(r.error or 'error')}")
    out.append("")
    return out


def _how_to_reproduce(command: str) -> List[str]:
    return [
        "### How to reproduce",
        "",
        "```sh",
        command or "http-codemods .",
        "```",
        "",
        f"with http-codemods {tool_version()}; a second run changes nothing.",
    ]
