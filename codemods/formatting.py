"""The project's formatter, run on the lines a rewrite changed, and only on those.

When the project configures black or ruff format (``style.py``), the rewritten statements are
formatted by that formatter itself, limited to the changed statements (``black
--line-ranges``, ``ruff format --range``): the range is exactly the statements the rewrite
replaced or inserted (the header alone of a compound statement whose body it did not
change), so a neighbouring statement the project left unformatted stays as it was. The
result is checked: when the formatter changed a line outside those ranges (other than a
blank line next to them), each range is formatted as a file of its own at its indentation
and spliced back instead (``_format_alone``). Why not generate code in the formatter's style
instead: the output must match the project's formatter *at the project's version* (black and
ruff differ, and each changes its style between versions), and only the formatter knows its
own line-splitting rules. A project that configures ruff but no formatter gets ruff format
only in a file that ruff format left unchanged before the rewrite. With no formatter configured, or none
installed, or when it fails, the minimal edits are kept as they are. ``python -I -m black``
runs in the tool's process where that gives the same outcome (``_black_here``); it has no
``TIMEOUT`` there, the per-file time budget (``workers.py``) stops it instead.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import os
import shutil
import subprocess
import sys
import sysconfig
import threading
from typing import Any, List, Optional, Tuple

from . import cache
from .style import style_for

#: Seconds one formatter run may take before the unformatted text is kept.
TIMEOUT = 60


def changed_ranges(old: str, new: str) -> List[Tuple[int, int]]:
    """1-based inclusive line ranges of ``new`` that the formatter may format: the lines that
    differ from ``old``, each widened to the whole statements they are part of (the header
    alone of a compound statement whose body did not change), merged when they touch. Blank
    lines are left as the rewrite wrote them. Nothing when ``new`` does not parse."""
    from .linediff import _opcodes  # linear (difflib's is quadratic in file size)

    b = _lines(new)
    changed: List[int] = []
    deleted: List[int] = []  # lines of ``new`` after which lines of ``old`` were deleted
    for tag, _i1, _i2, j1, j2 in _opcodes(_lines(old), b):
        if tag == "delete":
            deleted.append(j1)
        elif tag != "equal":
            changed.extend(line for line in range(j1 + 1, j2 + 1) if b[line - 1].strip())
    if not changed and not deleted:
        return []
    try:
        units = _statement_units(ast.parse(new))
    except (SyntaxError, ValueError):
        return []
    found = [_unit_of(units, line) for line in changed]
    for line in deleted:
        # Lines deleted within a statement (an argument's line): that statement.
        if 1 <= line < len(b) and _unit_of(units, line) == _unit_of(units, line + 1):
            found.append(_unit_of(units, line))
    ranges: List[Tuple[int, int]] = []
    for start, end in sorted(found):
        if ranges and start <= ranges[-1][1] + 1:
            ranges[-1] = (min(start, ranges[-1][0]), max(end, ranges[-1][1]))
        else:
            ranges.append((start, end))
    return ranges


def _statement_units(tree: ast.AST) -> List[Tuple[int, int, int]]:
    """(first line, last line, header's last line) of every statement, decorators included;
    the header of a simple statement is all of it."""
    units = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt):
            continue
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        last = node.end_lineno or node.lineno
        body = getattr(node, "body", None)
        header = last
        if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
            inner = min([body[0].lineno] + [d.lineno for d in getattr(body[0], "decorator_list", [])])
            header = max(first, inner - 1)
        units.append((first, last, header))
    return units


def _unit_of(units: List[Tuple[int, int, int]], line: int) -> Tuple[int, int]:
    """The lines of the innermost statement that holds ``line`` (of its header, when ``line``
    is there); the line alone when no statement holds it, or it is an ``else:`` / ``except``
    clause or a comment between a compound statement's children."""
    best: Optional[Tuple[int, int, int]] = None
    for unit in units:
        if unit[0] <= line <= unit[1] and (best is None or unit[1] - unit[0] < best[1] - best[0]):
            best = unit
    if best is None:
        return line, line
    first, last, header = best
    if header == last:
        return first, last
    if line <= header:
        return first, header
    return line, line


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
    spec = importlib.util.find_spec(tool)
    if spec is not None:
        if tool == "ruff":
            binary = _installed_ruff(spec)
            if binary is not None:
                return [binary]
        # -I: isolated, so neither the current directory (the scanned tree) nor PYTHON*
        # variables can put a module of the repository in the formatter's place.
        return [sys.executable, "-I", "-m", tool]
    return None


def _installed_ruff(spec: Any) -> Optional[str]:
    """The binary ``python -I -m ruff`` would run, when that is certain: the ruff package of
    this interpreter's site-packages (not a module found elsewhere on ``sys.path``) finds its
    binary in this interpreter's scripts directory first and ``execvp``s it (``ruff/__main__.py``,
    ``find_ruff_bin``) with the same arguments. Running it directly saves a Python start per
    formatter run (one per changed range: about 500 on the corpus; issue 14)."""
    if sys.platform == "win32" or not spec.origin:
        return None
    if not _in_site_packages(spec.origin):
        return None
    binary = os.path.join(sysconfig.get_path("scripts"), "ruff" + (sysconfig.get_config_var("EXE") or ""))
    return binary if os.path.isfile(binary) and os.access(binary, os.X_OK) else None


def _in_site_packages(origin: str) -> bool:
    """Whether the package whose ``__init__`` is ``origin`` lies directly in this interpreter's
    site-packages (what ``python -I`` finds), not somewhere else on ``sys.path``."""
    paths = sysconfig.get_paths()
    package = os.path.dirname(os.path.realpath(origin))
    return any(
        os.path.dirname(package) == os.path.realpath(paths[key]) for key in ("purelib", "platlib") if key in paths
    )


#: Whether ``python -I -m black`` may be run in this process instead (``_black_here``).
BLACK_IN_PROCESS = True
_BLACK_HERE: List[bool] = []  # the answer for this process, once found


def _black_here(argv: List[str]) -> bool:
    """Whether ``argv`` (``python -I -m black ...``) can run as black's own command-line entry
    point in this process, with the same outcome: this interpreter, the black package of its
    site-packages (what ``-I`` finds), and one thread (standard streams are swapped for the
    run). A Python start and black's import per formatter run was most of the formatting
    time on the corpus (issue 14)."""
    if not BLACK_IN_PROCESS or argv[:4] != [sys.executable, "-I", "-m", "black"]:
        return False
    if threading.active_count() != 1:
        return False
    if not _BLACK_HERE:
        _BLACK_HERE.append(_black_importable())
    return _BLACK_HERE[0]


def _black_importable() -> bool:
    spec = importlib.util.find_spec("black")
    if spec is None or not spec.origin:
        return False
    if not _in_site_packages(spec.origin):
        return False
    try:
        import black

        return callable(getattr(black.main, "main", None))
    except Exception:  # a broken installation: the subprocess reports it as ever
        return False


def _run_black_here(args: List[str], text: str, cwd: str) -> Tuple[bool, Optional[str]]:
    """(whether it ran, what it wrote) black's command line ``args`` in this process, as a
    subprocess in ``cwd`` would: the text on standard input, the output of a zero exit status
    (None for any other), a relative ``--config`` read from ``cwd``. Not run (False) when black
    stopped in a way that is not an exit status (an exception its command line lets through)."""
    import click

    import black

    args = list(args)
    for at, arg in enumerate(args[:-1]):
        if arg == "--config":
            args[at + 1] = os.path.join(cwd, args[at + 1])
    saved = sys.stdin, sys.stdout, sys.stderr
    out = io.BytesIO()
    sys.stdin = io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(out, encoding="utf-8")
    sys.stderr = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    try:
        try:
            status = black.main.main(args=args, prog_name="black", standalone_mode=False)
        except click.exceptions.Abort as stopped:  # click's form of Ctrl-C
            raise KeyboardInterrupt from stopped
        except click.ClickException:
            return True, None  # a usage error: exit status 1 or 2
        except (Exception, SystemExit):
            return False, None
        sys.stdout.flush()
        output = out.getvalue()
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    if status not in (None, 0):
        return True, None
    try:
        return True, output.decode("utf-8")
    except UnicodeDecodeError:
        return True, None


def _run(argv: List[str], text: str, cwd: str) -> Optional[str]:
    if _black_here(argv):
        ran, output = _run_black_here(argv[4:], text, cwd)
        if ran:
            return output
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
    if style.formatter_if_clean and _format_ranges(command, old, path, style, None) != old:
        return new  # not configured, and the file was not formatted: minimal edits
    formatted = _format_ranges(command, new, path, style, ranges)
    if formatted is not None and _within(new, formatted, ranges):
        return _two_before_top_level(new, formatted)
    # The formatter reached past the changed statements: each is formatted alone.
    return _format_alone(command, new, path, style, ranges)


def _format_ranges(
    command: List[str], text: str, path: str, style: Any, ranges: Optional[List[Tuple[int, int]]]
) -> Optional[str]:
    """``text`` with the formatter run on ``ranges`` (None: on all of it); None when it fails."""
    absolute = os.path.abspath(path)
    cwd = os.path.dirname(absolute)
    if style.formatter == "black":
        argv = command + ["-q", "--stdin-filename", absolute]
        if style.formatter_config:
            argv += ["--config", style.formatter_config]
        for start, end in ranges or ():
            argv += ["--line-ranges", f"{start}-{end}"]
        return _run(argv + ["-"], text, cwd)
    if ranges is None:
        return _run(command + ["format", "--quiet", "--stdin-filename", absolute, "-"], text, cwd)
    # ruff takes one range per run: from the last one up, so earlier line numbers still hold.
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
            return None
        text = formatted
    return text


_TOP_LEVEL = ("def ", "async def ", "class ", "@")


def _two_before_top_level(new: str, formatted: str) -> str:
    """``formatted``, with the blank lines the formatter dropped before a top-level ``def``,
    ``class`` or decorator put back, up to the two that both formatters want there. Formatting
    the lines of an added import alone (black ``--line-ranges``) left one blank line before the
    ``@pytest.mark.parametrize`` that followed: the definition outside the range keeps its own
    blank lines as the rewrite wrote them (python-gitlab's tests: a new I001 and a black
    complaint)."""
    from .linediff import _opcodes

    a, b = _lines(new), _lines(formatted)
    out: List[str] = []
    for tag, i1, i2, j1, j2 in _opcodes(a, b):
        out += b[j1:j2]
        if tag != "delete" or any(line.strip() for line in a[i1:i2]):
            continue
        following = next((line for line in a[i2:] if line.strip()), "")
        if not following.startswith(_TOP_LEVEL) or not any(line.strip() for line in out):
            continue  # (at the top of the file no blank line belongs before it)
        blanks = 0  # the blank lines already there: before the deletion and after it
        while blanks < len(out) and not out[len(out) - 1 - blanks].strip():
            blanks += 1
        after = next((k for k, line in enumerate(a[i2:]) if line.strip()), len(a) - i2)
        out += a[i1 : i1 + max(0, min(i2 - i1, 2 - blanks - after))]
    if out == b:
        return formatted
    return "\n".join(out) + ("\n" if formatted.endswith("\n") else "")


def _within(new: str, formatted: str, ranges: List[Tuple[int, int]]) -> bool:
    """Whether ``formatted`` differs from ``new`` only in the lines of ``ranges`` and in blank
    lines next to them (the blank lines between a changed statement and its neighbours are the
    formatter's to decide: two before a ``def``)."""
    from .linediff import _opcodes

    a, b = _lines(new), _lines(formatted)
    for tag, i1, i2, j1, j2 in _opcodes(a, b):
        if tag == "equal":
            continue
        if i2 > i1:  # lines i1 + 1 .. i2 of ``new`` replaced or deleted
            if any(start <= i1 + 1 and i2 <= end for start, end in ranges):
                continue
            near = any(start - 1 <= i2 and i1 + 1 <= end + 1 for start, end in ranges)
        else:  # lines inserted after line i1
            if any(start <= i1 < end for start, end in ranges):
                continue
            near = any(i1 in (start - 1, end) for start, end in ranges)
        if not (near and not any(line.strip() for line in a[i1:i2] + b[j1:j2])):
            return False
    return True


def _format_alone(command: List[str], new: str, path: str, style: Any, ranges: List[Tuple[int, int]]) -> str:
    """``new`` with each range of whole statements formatted as a file of its own, at its
    indentation (under ``if _:`` lines that make it), and put back; a range the formatter
    does not put back at the same indentation, or that is not whole statements (a compound
    statement's header), stays as it is."""
    lines = _lines(new)
    out = list(lines)
    try:
        tree = ast.parse(new)
    except (SyntaxError, ValueError):
        return new
    whole = {(first, last) for first, last, _ in _statement_units(tree)}
    starts = {first for first, _ in whole}
    ends = {last for _, last in whole}
    for start, end in reversed(ranges):
        if start not in starts or end not in ends:
            continue
        chunk = lines[start - 1 : end]
        indent = chunk[0][: len(chunk[0]) - len(chunk[0].lstrip())]
        if indent.strip(" ") or len(indent) % 4:
            continue  # tabs, or an indentation the formatter would not give back
        depth = len(indent) // 4
        wrappers = [" " * level + "if _:" for level in range(depth)]
        source = "\n".join(wrappers + chunk) + "\n"
        formatted = _format_ranges(command, source, path, style, None)
        if formatted is None:
            continue
        result = _lines(formatted)[depth:]
        while result and not result[0].strip():
            result = result[1:]  # black sets a ``def`` off from the ``if _:`` above it
        if not result or not result[0].startswith(indent) or result[0][len(indent)] in " \t":
            continue
        out[start - 1 : end] = result
    return "\n".join(out) + ("\n" if new.endswith("\n") else "")


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
