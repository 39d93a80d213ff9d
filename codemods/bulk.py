"""What ``batch`` and the all-repos fixer share: running the codemods inside a repository without
importing anything from it, and turning the run's JSON report into a branch name, a commit
message and a pull-request body.

Isolation: a repository may hold its own ``codemods/``, ``libcst.py``, ``click.py`` or
``pathspec.py``. ``python -m codemods`` with the repository as working directory would import
them (the working directory comes first on ``sys.path``). So the run is a fork of this process,
whose modules are already imported, with ``sys.path`` cleaned of the working directory and of
every entry inside the repository; where forking is not safe (no ``os.fork``, or other threads
running) it is a fresh ``python -I`` given this process's own ``sys.path``. Only the user's
``--test-cmd`` runs code from the repository.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

from . import __version__, registry, report
from .markdown import render_markdown

REVIEW_LINES = 50  # sites left for review listed in a commit message, at most


@dataclass
class Run:
    status: int
    output: str  # the run's stdout and stderr
    data: Optional[Dict[str, Any]]  # the JSON report, None when the run did not write one


def trusted_sys_path(root: str) -> List[str]:
    """This process's import path without the working directory or anything inside ``root``."""
    inside = os.path.realpath(root) + os.sep
    path = []
    for entry in sys.path:
        if not entry or entry == ".":
            continue
        real = os.path.realpath(entry)
        if (real + os.sep).startswith(inside):
            continue
        path.append(entry)
    return path


def run_codemods(root: str, args: Sequence[str]) -> Run:
    """``http-codemods ARGS .`` in ``root``, with a JSON report; nothing imported from ``root``."""
    with tempfile.TemporaryDirectory(prefix="http-codemods-run-") as tmp:
        out = os.path.join(tmp, "report.json")
        log = os.path.join(tmp, "output.txt")
        argv = ["--format", "json", "--output", out, "-q", *args, "."]
        if hasattr(os, "fork") and threading.active_count() == 1:
            status = _forked(root, argv, log)
        else:
            status = _interpreter(root, argv, log)
        with open(log, encoding="utf-8", errors="replace") as handle:
            output = handle.read()
        data = None
        if os.path.exists(out):
            with open(out, encoding="utf-8") as handle:
                data = json.load(handle)
        return Run(status, output, data)


def _forked(root: str, argv: List[str], log: str) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, ValueError, OSError):
            pass
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its coverage is the run's result
        code = 70
        try:
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            sys.stdin = open(0, closefd=False)
            sys.stdout = io.TextIOWrapper(
                open(1, "wb", closefd=False), encoding="utf-8", errors="replace", line_buffering=True
            )
            sys.stderr = io.TextIOWrapper(
                open(2, "wb", closefd=False), encoding="utf-8", errors="replace", line_buffering=True
            )
            os.chdir(root)
            sys.path[:] = trusted_sys_path(root)
            from .cli import main

            try:
                main(argv)
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # noqa: B036 - the child must never return into the caller
            try:
                import traceback

                traceback.print_exc()
            except BaseException:  # noqa: B036
                pass
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except BaseException:  # noqa: B036
                pass
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _interpreter(root: str, argv: List[str], log: str) -> int:
    code = (
        "import sys; sys.path[:] = "
        + repr(trusted_sys_path(root))
        + "; from codemods.cli import main; main("
        + repr(argv)
        + ")"
    )
    with open(log, "wb") as handle:
        proc = subprocess.run(
            [sys.executable, "-I", "-c", code],
            cwd=root,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    return proc.returncode


# -- what the report says -------------------------------------------------------------------


def last_lines(text: str, n: int = 15) -> List[str]:
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    return lines[-n:] if lines else [""]


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def counts(data: Dict[str, Any]) -> Dict[str, int]:
    files = [f for f in data["files"] if f["status"] == "changed"]
    return {
        "files": len(files),
        "fixed": sum(1 for f in files for s in f["sites"] if s["action"] == "fixed"),
        "reported": sum(1 for f in data["files"] for s in f["sites"] if s["action"] == "reported"),
    }


def changed_codemods(data: Dict[str, Any]) -> List[str]:
    """The codemods that changed at least one file, in registry order."""
    used = {name for f in data["files"] if f["status"] == "changed" for name in f.get("codemods", [])}
    return [cls.NAME for cls in registry.CODEMODS if cls.NAME in used]


def branch_name(data: Dict[str, Any]) -> str:
    return "http-codemods/" + "+".join(changed_codemods(data) or ["none"])


def commit_title(data: Dict[str, Any]) -> str:
    return f"Apply http-codemods: {', '.join(changed_codemods(data))}"


def commit_message(data: Dict[str, Any]) -> str:
    """Title, counts, what each codemod that changed something does, the sites left for review
    (path:line:column, codemod, reason) and the command that reproduces the run."""
    c = counts(data)
    lines = [
        commit_title(data),
        "",
        f"{plural(c['fixed'], 'site')} fixed in {plural(c['files'], 'file')}"
        + (f"; {plural(c['reported'], 'site')} left for review." if c["reported"] else "."),
        "",
    ]
    for name in changed_codemods(data):
        lines.append(f"- {name}: {registry.BY_NAME[name].DESCRIPTION}")
    review = [
        f"- {f['path']}:{s['line']}:{s['column']}: {s['codemod']}: {s['reason']}"
        for f in data["files"]
        for s in f["sites"]
        if s["action"] == "reported"
    ]
    if review:
        lines += ["", "Left for review (not changed):"] + review[:REVIEW_LINES]
        if len(review) > REVIEW_LINES:
            lines.append(f"- ... and {len(review) - REVIEW_LINES} more")
    lines += ["", f"Made by http-codemods {__version__}: {data.get('command') or 'http-codemods'}"]
    return "\n".join(lines).rstrip() + "\n"


def markdown(data: Dict[str, Any]) -> str:
    """The full Markdown report (a pull-request body) of the run."""
    results, totals = report.from_json(data)
    classes = [registry.BY_NAME[c["name"]] for c in data.get("codemods", []) if c["name"] in registry.BY_NAME]
    return render_markdown(results, totals, classes, data.get("command", ""), data.get("mode", "write"))


def errors(data: Dict[str, Any]) -> List[str]:
    return [
        f"{f['path']}: error: {(f.get('error') or {}).get('message')}" for f in data["files"] if f["status"] == "error"
    ]


def passthrough(values: Dict[str, Any]) -> List[str]:
    """Codemod options (keyword names, ``None`` = not given) back as command-line flags."""
    args: List[str] = []
    for cls in registry.CODEMODS:
        for option in cls.OPTIONS:
            value = values.get(option.name.replace("-", "_"))
            flag = f"--{option.name}"
            if value is None or flag in args:
                continue
            if isinstance(option.default, bool):
                if value:
                    args.append(flag)
            else:
                args += [flag, str(value)]
    return args
