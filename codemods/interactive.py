"""``-i/--interactive``: review each hunk of each file's diff and apply only the accepted ones.

The hunks are exactly those of ``--diff`` (``difflib`` grouping with 3 lines of context), split
from the old and new text of the file rather than parsed back out of the diff text, so applying
any subset is exact: every changed block takes either its new lines (accepted) or its old lines
(rejected). The result must still parse with libcst; it is written atomically in the file's own
encoding (BOM and line endings are in the text already).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple

import click
import libcst as cst
from libcst.metadata import MetadataWrapper, ScopeProvider

from .base import REPORTED, Site
from .engine import CHANGED, DIFF, ERROR, UNCHANGED, FileResult, Settings, process_source
from .linediff import unified_diff
from .sources import SourceError, create_atomic, decode, write_atomic

CONTEXT = 3

HELP = """\
y - apply this hunk
n - do not apply this hunk
a - apply this hunk and all later hunks in the file
d - do not apply this hunk or any of the later hunks in the file
q - quit; do not apply this hunk or any of the remaining ones (accepted hunks are kept)
? - print help"""


# -- hunks ---------------------------------------------------------------------------------


def split_lines(text: str) -> List[str]:
    """Lines with their endings, split at "\\n" only (as git and ``unified_diff`` do)."""
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


@dataclass
class Hunk:
    """One hunk of a file's diff: the opcodes of one ``get_grouped_opcodes`` group."""

    index: int
    opcodes: List[Tuple[str, int, int, int, int]]
    old_lines: List[str]
    new_lines: List[str]
    sites: List[Site] = field(default_factory=list)
    makers: List[str] = field(default_factory=list)  # codemods that made it, when no site says

    @property
    def old_start(self) -> int:  # 0-based, inclusive, with context
        return self.opcodes[0][1]

    @property
    def old_end(self) -> int:  # 0-based, exclusive, with context
        return self.opcodes[-1][2]

    @property
    def changes(self) -> List[Tuple[str, int, int, int, int]]:
        return [op for op in self.opcodes if op[0] != "equal"]

    def text(self) -> str:
        """The hunk as ``--diff`` prints it (``@@`` header and body)."""
        first, last = self.opcodes[0], self.opcodes[-1]
        a_range = _range(first[1], last[2])
        b_range = _range(first[3], last[4])
        out = [f"@@ -{a_range} +{b_range} @@\n"]
        for tag, i1, i2, j1, j2 in self.opcodes:
            if tag == "equal":
                out += [" " + _with_nl(line) for line in self.old_lines[i1:i2]]
                continue
            out += ["-" + _with_nl(line) for line in self.old_lines[i1:i2]]
            out += ["+" + _with_nl(line) for line in self.new_lines[j1:j2]]
        return "".join(out)

    def codemods(self, fallback: Sequence[str]) -> List[str]:
        names: List[str] = list(self.makers)
        for site in self.sites:
            if site.codemod not in names:
                names.append(site.codemod)
        return names or list(fallback)


def _range(start: int, stop: int) -> str:
    length = stop - start
    beginning = start + 1 if length else start
    return str(beginning) if length == 1 else f"{beginning},{length}"


def _with_nl(line: str) -> str:
    return line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"


def hunks_of(result: FileResult) -> List[Hunk]:
    """The hunks of a changed file, each with the fixed sites that belong to it."""
    if result.old_text is None or result.new_text is None:
        return []
    old_lines = split_lines(result.old_text)
    new_lines = split_lines(result.new_text)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    hunks = [Hunk(i, list(group), old_lines, new_lines) for i, group in enumerate(matcher.get_grouped_opcodes(CONTEXT))]
    attribute(hunks, result.fixed)
    return hunks


def attribute(hunks: Sequence[Hunk], sites: Sequence[Site]) -> None:
    """Give each fixed site to the hunk that holds its line, else to the nearest hunk.

    Sites carry the line of the node a codemod rewrote in the original file; the change itself
    may be a few lines further down (an argument appended to a long call), hence "nearest".
    """
    if not hunks:
        return
    for site in sites:
        line = site.line - 1
        best = min(
            hunks,
            key=lambda h: (
                0
                if h.old_start <= line < max(h.old_end, h.old_start + 1)
                else min(abs(line - h.old_start), abs(line - (h.old_end - 1)))
            ),
        )
        best.sites.append(site)


def apply_hunks(result: FileResult, hunks: Sequence[Hunk], accepted: Sequence[int]) -> str:
    """The old text with only the accepted hunks' changes applied."""
    chosen = set(accepted)
    old_lines = split_lines(result.old_text or "")
    new_lines = split_lines(result.new_text or "")
    by_change: Dict[Tuple[int, int], bool] = {}
    for hunk in hunks:
        for op in hunk.changes:
            by_change[(op[1], op[2])] = hunk.index in chosen
    out: List[str] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal" and by_change.get((i1, i2), False):
            out += new_lines[j1:j2]
        else:
            out += old_lines[i1:i2]
    return "".join(out)


def unresolved_names(data: bytes) -> Set[str]:
    """Names the module reads that nothing defines (not even a builtin)."""
    wrapper = MetadataWrapper(cst.parse_module(data), unsafe_skip_copy=True)
    names: Set[str] = set()
    for scope in set(wrapper.resolve(ScopeProvider).values()):
        if scope is None:
            continue
        for access in scope.accesses:
            if not access.referents and isinstance(access.node, cst.Name):
                names.add(access.node.value)
    return names


# -- the review loop -----------------------------------------------------------------------


@dataclass
class ReviewCounts:
    hunks: int = 0
    accepted: int = 0
    files_written: int = 0


def _echo_hunk(path: str, hunk: Hunk, applied: Sequence[str], number: int, total: int) -> None:
    names = ", ".join(hunk.codemods(applied))
    click.echo(click.style(f"{path}", bold=True) + f"  hunk {number}/{total}  [{names}]")
    for site in hunk.sites:
        click.echo(f"  {site.line}:{site.column}: {site.codemod}: {site.reason}")
    click.echo(click.style(f"--- a/{path}", bold=True))
    click.echo(click.style(f"+++ b/{path}", bold=True))
    for line in hunk.text().splitlines(True):
        line = line.rstrip("\n")
        if line.startswith("@@"):
            click.secho(line, fg="cyan")
        elif line.startswith("-"):
            click.secho(line, fg="red")
        elif line.startswith("+"):
            click.secho(line, fg="green")
        else:
            click.echo(line)


def _ask() -> str:
    while True:
        try:
            answer = click.prompt("Apply this hunk [y,n,a,d,q,?]", default="", show_default=False, prompt_suffix=" ")
        except click.Abort:  # end of input: keep what was accepted, like q
            click.echo("")
            return "q"
        answer = answer.strip().lower()[:1]
        if answer in ("y", "n", "a", "d", "q"):
            return answer
        click.echo(HELP)


def name_unattributed(result: FileResult, hunks: Sequence[Hunk], settings: Optional[Settings]) -> None:
    """Find which codemod made the hunks no site points at (an import, a shared client added
    at the top) by running each applied codemod alone: the one whose own rewrite adds the
    hunk's lines made it."""
    orphans = [h for h in hunks if not h.sites]
    if not orphans or len(result.applied) < 2 or settings is None or result.old_text is None:
        return
    data = result.old_text.encode(result.encoding or "utf-8", errors="surrogateescape")
    added: Dict[str, Set[str]] = {}
    for name in result.applied:
        solo = process_source(data, result.path, replace(settings, codemods=(name,), mode=DIFF))
        added[name] = {
            line[1:] for line in (solo.diff or "").splitlines() if line.startswith("+") and not line.startswith("+++")
        }
    for hunk in orphans:
        lines = {line for op in hunk.changes for line in hunk.new_lines[op[3] : op[4]]}
        lines = {line.rstrip("\r\n") for line in lines if line.strip()}
        hunk.makers = [name for name in result.applied if lines and lines <= added[name]]


def review(
    results: Sequence[FileResult], ask: Callable[[], str] = _ask, settings: Optional[Settings] = None
) -> Tuple[List[FileResult], ReviewCounts]:
    """Ask about every hunk; write the accepted ones; return the results as they now stand."""
    counts = ReviewCounts()
    out: List[FileResult] = []
    quitting = False
    for result in results:
        if result.status != CHANGED or quitting:
            out.append(_declined(result) if result.status == CHANGED else result)
            continue
        hunks = hunks_of(result)
        name_unattributed(result, hunks, settings)
        counts.hunks += len(hunks)
        accepted: List[int] = []
        mode = ""  # "a": accept the rest of the file, "d": decline it
        for number, hunk in enumerate(hunks, 1):
            if mode == "a":
                accepted.append(hunk.index)
                continue
            if mode == "d":
                continue
            _echo_hunk(result.path, hunk, result.applied, number, len(hunks))
            answer = ask()
            if answer == "y":
                accepted.append(hunk.index)
            elif answer == "a":
                accepted.append(hunk.index)
                mode = "a"
            elif answer == "d":
                mode = "d"
            elif answer == "q":
                quitting = True
                break
        counts.accepted += len(accepted)
        out.append(_apply(result, hunks, accepted))
        if out[-1].written:
            counts.files_written += 1
    return out, counts


def _declined(result: FileResult, hunks: Optional[Sequence[Hunk]] = None, accepted: Sequence[int] = ()) -> FileResult:
    """Fixed sites of rejected hunks become sites left for review."""
    hunks = hunks if hunks is not None else hunks_of(result)
    chosen = set(accepted)
    kept: List[Site] = [s for s in result.sites if s.action == REPORTED]
    for hunk in hunks:
        for site in hunk.sites:
            if hunk.index in chosen:
                kept.append(site)
            else:
                kept.append(
                    replace(site, action=REPORTED, reason=f"fix declined in review: {site.reason}", safety=None)
                )
    kept.sort(key=lambda s: (s.line, s.column, s.codemod))
    return replace(
        result, status=UNCHANGED, sites=kept, applied=[], diff=None, new_text=result.old_text, new_bytes=None
    )


def _apply(result: FileResult, hunks: Sequence[Hunk], accepted: Sequence[int]) -> FileResult:
    if not accepted:
        click.echo(f"{result.path}: no hunk applied; left unchanged", err=True)
        return _declined(result, hunks, accepted)
    if len(accepted) == len(hunks):
        text = result.new_text or ""
    else:
        text = apply_hunks(result, hunks, accepted)
    encoding = result.encoding or "utf-8"
    data = text.encode(encoding, errors="surrogateescape")
    try:
        cst.parse_module(data)
    except Exception as exc:  # a partial set of hunks can break a statement apart
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        failed = _declined(result, hunks, ())
        return replace(
            failed,
            status=ERROR,
            error=f"the accepted hunks do not parse without the rejected ones ({message}): file skipped, left unchanged",
        )
    if len(accepted) != len(hunks):
        missing = sorted(
            unresolved_names(data) - unresolved_names(result.old_text.encode(encoding, errors="surrogateescape"))
        )
        if missing:  # e.g. a call routed through a shared client whose definition was rejected
            failed = _declined(result, hunks, ())
            return replace(
                failed,
                status=ERROR,
                error=f"the accepted hunks use {', '.join(missing)}, defined in a rejected one: file skipped, left unchanged",
            )
    try:
        if result.created:  # a package's shared client module (generated.py)
            create_atomic(result.path, data)
        else:
            with open(result.path, "rb") as handle:
                current, _ = decode(handle.read())
            if current != result.old_text:
                raise SourceError("file changed during the review: not rewritten")
            write_atomic(result.path, data)
    except (SourceError, OSError) as exc:
        reason = exc.reason if isinstance(exc, SourceError) else f"cannot write: {exc.strerror or exc}"
        failed = _declined(result, hunks, ())
        return replace(failed, status=ERROR, error=reason)
    updated = _declined(result, hunks, accepted)
    applied = [name for name in result.applied if any(name in hunks[i].codemods(result.applied) for i in accepted)]
    click.echo(f"{result.path}: applied {len(accepted)} of {len(hunks)} hunks", err=True)
    return replace(
        updated,
        status=CHANGED,
        applied=applied,
        new_text=text,
        new_bytes=data,
        diff=unified_diff(result.old_text or "", text, result.path),
        written=True,
    )
