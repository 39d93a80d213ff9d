"""The project's formatter, run on the lines a rewrite changed, and only on those.

When the project configures black or ruff format (``style.py``), the rewritten statements are
formatted by that formatter itself, limited to the changed line ranges (``black
--line-ranges``, ``ruff format --range``): a file that was formatter-clean stays clean, and a
line the codemods did not change is not touched (the formatters expand a range only to the
statement that encloses it, which in a clean file formats to itself). Why not generate code
in the formatter's style instead: the output must match the project's formatter *at the
project's version* (black and ruff differ, and each changes its style between versions), and
only the formatter knows its own line-splitting rules. With no formatter configured, or none
installed, or when it fails, the minimal edits are kept as they are.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from typing import Any, List, Optional, Tuple

from . import cache
from .style import style_for

#: Seconds one formatter run may take before the unformatted text is kept.
TIMEOUT = 60


def changed_ranges(old: str, new: str) -> List[Tuple[int, int]]:
    """1-based inclusive line ranges of ``new`` that differ from ``old``, each widened to the
    nearest non-blank line before and after it (the blank lines between a changed statement
    and its neighbours are the formatter's to decide: two before a ``def``, one after an
    import block), merged when they touch."""
    from .linediff import _opcodes  # linear (difflib's is quadratic in file size)

    a = _lines(old)
    b = _lines(new)
    ranges: List[Tuple[int, int]] = []
    for tag, _i1, _i2, j1, j2 in _opcodes(a, b):
        if tag == "equal":
            continue
        start, end = j1 + 1, max(j2, j1 + 1)  # a deletion: the line that follows it
        end = min(end, max(len(b), 1))
        start = min(start, end)
        before = start - 1
        while before >= 1 and not b[before - 1].strip():
            before -= 1
        if before >= 1 and start <= len(b) and _indent(b[before - 1]) > _indent(b[start - 1]):
            # The line before ends a deeper block (``def f():\n    return x``): from that
            # block's header, which decides the blank lines after it.
            depth = _indent(b[before - 1])
            while before > 1 and (not b[before - 1].strip() or _indent(b[before - 1]) >= depth):
                before -= 1
        after = end + 1
        while after <= len(b) and not b[after - 1].strip():
            after += 1
        start, end = max(before, 1), min(after, max(len(b), 1))
        if ranges and start <= ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], max(end, ranges[-1][1]))
        else:
            ranges.append((start, end))
    return ranges


def _lines(text: str) -> List[str]:
    """Lines as the formatters count them: split at ``\n`` only (``str.splitlines`` also splits
    at form feeds and other separators)."""
    lines = text.split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _command(tool: str) -> Optional[List[str]]:
    found = shutil.which(tool)
    if found:
        return [found]
    if importlib.util.find_spec(tool) is not None:
        # -I: isolated, so neither the current directory (the scanned tree) nor PYTHON*
        # variables can put a module of the repository in the formatter's place.
        return [sys.executable, "-I", "-m", tool]
    return None


def _run(argv: List[str], text: str, cwd: str) -> Optional[str]:
    try:
        done = subprocess.run(
            argv,
            input=text.encode("utf-8"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        cache.mark_uncacheable("the formatter timed out")  # another run may well finish
        return None
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    try:
        return done.stdout.decode("utf-8")
    except UnicodeDecodeError:
        return None


def format_changed(old: str, new: str, path: str, encoding: str = "utf-8") -> str:
    """``new`` with the lines that differ from ``old`` formatted by the project's formatter
    (``new`` itself when none is configured or it cannot run). Only UTF-8 text is given to
    the formatter (it would decode other bytes by their coding cookie); ``\r\n`` line ends
    are formatted as ``\n`` and put back, mixed line ends are left alone."""
    style = style_for(path)
    if not style.formatter or old == new or new.startswith("\ufeff"):
        return new
    if encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
        return new
    if "\r" in new:
        if "\r" in new.replace("\r\n", "") or "\n" in new.replace("\r\n", ""):
            return new  # mixed line ends: left as they are
        lf = _format_lf(old.replace("\r\n", "\n"), new.replace("\r\n", "\n"), path, style)
        return lf.replace("\n", "\r\n")
    return _format_lf(old, new, path, style)


def _format_lf(old: str, new: str, path: str, style: Any) -> str:
    command = _command(style.formatter)
    if command is None:
        return new
    ranges = changed_ranges(old, new)
    if not ranges:
        return new
    absolute = os.path.abspath(path)
    cwd = os.path.dirname(absolute)
    if style.formatter == "black":
        argv = command + ["-q", "--stdin-filename", absolute]
        if style.formatter_config:
            argv += ["--config", style.formatter_config]
        for start, end in ranges:
            argv += ["--line-ranges", f"{start}-{end}"]
        formatted = _run(argv + ["-"], new, cwd)
        return new if formatted is None else formatted
    # ruff takes one range per run: from the last one up, so earlier line numbers still hold.
    text = new
    for start, end in reversed(ranges):
        lines = _lines(text)
        if start > len(lines):
            continue
        argv = command + [
            "format",
            "--quiet",
            "--stdin-filename",
            absolute,
            "--range",
            f"{start}:1-{end}:{len(lines[end - 1]) + 1}",
            "-",
        ]
        formatted = _run(argv, text, cwd)
        if formatted is None:
            return new
        text = formatted
    return text


def _stat(path: Optional[str]) -> Optional[Tuple[str, int, int]]:
    try:
        info = os.stat(path) if path else None
    except OSError:
        return None
    return (path, info.st_size, info.st_mtime_ns) if info else None


@cache.add_key_part
def _style_key(path: str, data: bytes) -> Any:
    """What a cached result owes to the file's style: the import settings and formatter that
    apply, the formatter's executable and its configuration file (edited, reinstalled: a miss)."""
    style = style_for(path)
    if not style.formatter:
        return repr(style)
    command = _command(style.formatter)
    if command is None:
        tool = None
    elif command[0] == sys.executable:  # python -I -m tool: the module's file
        spec = importlib.util.find_spec(style.formatter)
        tool = spec.origin if spec is not None else None
    else:
        tool = command[0]  # shutil.which's full path
    return [repr(style), _stat(tool), _stat(style.formatter_config or None)]
