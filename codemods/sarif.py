"""SARIF 2.1.0 reports (``--format sarif``, for code-scanning tools): one rule per codemod
that ran (its help generated from the codemod's ``DOCS``), one result per site, and for each
fixed site the fix as replacements of the file as read (the diff hunks that belong to it), for
an unsafe fix not applied the replacements ``--unsafe-fixes`` would make
(``preview_unsafe_fixes``), and files in error as tool notifications. Built on the shared
report model in ``report.py``.
"""

from __future__ import annotations

import json
import os
import pathlib
import urllib.parse
from dataclasses import replace
from typing import Any, Dict, List, Optional, Tuple

from .sites import FIXED, UNSAFE, Site
from .docs import sarif_help
from .engine import CHANGED, CHECK, ERROR, WRITE, FileResult, Settings, process_source
from .report import reported_files, tool_version

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


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
    rules, index = _rules(codemods)
    sarif_results: List[Dict[str, Any]] = []
    notifications: List[Dict[str, Any]] = []
    for result in reported_files(results):
        location = _location(result)
        if result.status == ERROR:
            notifications.append(_notification(result, location))
            continue
        fixes = _fixes(result)
        for site in result.sites:
            sarif_results.append(_result(site, result, location, fixes, index))
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "http-codemods",
                        "version": tool_version(),
                        "semanticVersion": tool_version(),
                        "rules": rules,
                    }
                },
                "invocations": [_invocation(totals, command, notifications)],
                "originalUriBaseIds": {"SRCROOT": {"uri": pathlib.Path(os.getcwd()).as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": sarif_results,
                "properties": {"mode": mode},
            }
        ],
    }


def _rules(codemods) -> Tuple[List[Dict[str, Any]], Dict[str, int]]:
    """One rule per codemod that ran, and each one's index among them."""
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
    return rules, index


def _location(result: FileResult) -> Dict[str, Any]:
    """The file: an absolute path as a file: URI, a relative one against SRCROOT."""
    if os.path.isabs(result.path):
        return {"artifactLocation": {"uri": pathlib.Path(result.path).as_uri()}}
    return {"artifactLocation": {"uri": _uri(result.path), "uriBaseId": "SRCROOT"}}


def _notification(result: FileResult, location: Dict[str, Any]) -> Dict[str, Any]:
    """A file in error: a tool notification, at the error's line when known."""
    region = {"region": {"startLine": result.error_line}} if result.error_line else {}
    return {
        "level": "error",
        "message": {"text": result.error or "error"},
        "locations": [{"physicalLocation": dict(location, **region)}],
    }


def _result(
    site: Site,
    result: FileResult,
    location: Dict[str, Any],
    fixes: Dict[Site, List[Dict[str, Any]]],
    index: Dict[str, int],
) -> Dict[str, Any]:
    """One site: fixed (a note, with its fix) or left for review (a warning, with the unsafe
    fix's preview when there is one)."""
    entry: Dict[str, Any] = {
        "ruleId": site.codemod,
        "level": "note" if site.action == FIXED else "warning",
        "message": {"text": (f"Fixed: {site.reason}" if site.action == FIXED else f"Left for review: {site.reason}")},
        "locations": [
            {"physicalLocation": dict(location, region={"startLine": site.line, "startColumn": site.column})}
        ],
        "properties": _site_properties(site),
    }
    if site.codemod in index:
        entry["ruleIndex"] = index[site.codemod]
    preview = result.unsafe_previews.get((site.codemod, site.line, site.column)) if site.unsafe_fixable else None
    if preview:
        entry["fixes"] = [_fix(f"unsafe fix (--unsafe-fixes): {site.hazard}", location, preview)]
    if site.action == FIXED:
        entry["kind"] = "fail"
        replacements = fixes.get(site)
        if replacements:
            entry["fixes"] = [_fix(site.reason, location, replacements)]
    return entry


def _fix(description: str, location: Dict[str, Any], replacements: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {
        "description": {"text": description},
        "artifactChanges": [{"artifactLocation": dict(location["artifactLocation"]), "replacements": replacements}],
    }


def _invocation(totals, command: str, notifications: List[Dict[str, Any]]) -> Dict[str, Any]:
    invocation: Dict[str, Any] = {"executionSuccessful": totals.errors == 0}
    if command:
        invocation["commandLine"] = command
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return invocation


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
