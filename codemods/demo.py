"""Before/after evidence: run each sample program against a counting server, rewrite a copy of
it with the default codemods, run it again, and compare.

    python -m codemods.demo samples/            # a table per program
    python -m codemods.demo samples/ --json     # the same numbers as one JSON document

For every program the table shows requests sent, TCP connections opened, connections still open
when the program returned, "Unclosed ..." warnings on its stderr, and whether its results (the
JSON line it prints last) are the same before and after.

How "still open when it returned" is measured: each program runs in its own interpreter
(``python -X dev``, ResourceWarnings on) under a small harness (``--harness``, below) that runs
the program with ``runpy`` and then, still inside that process, reads the server's counters
over a raw socket the server does not count (``localserver.fetch_stats``). CPython's reference
counting would quietly finalise most dropped responses and sessions the moment the function
that made them returns, which hides a leak that PyPy, a reference cycle, a traceback held by a
logger or a long-lived process would keep; so the harness keeps a reference to every client and
response object the program creates (it wraps their ``__init__``) until the counters are read.
What is open at that point is what the program left open. Module-level clients are the
recommended long-lived pattern (they are closed when the process exits): the harness closes the
ones the program's module still holds before reading, so they are not counted as leaks. After
reading, it drops its references and runs ``gc.collect()`` so the "Unclosed ..." warnings of
everything left open are printed and counted.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from .localserver import CountingServer, Handler, fetch_stats

STATS_ENV = "HTTP_CODEMODS_DEMO_STATS"
#: One line per warning (libraries also log each one a second time through asyncio).
UNCLOSED = re.compile(r"ResourceWarning: [Uu]nclosed\b")

#: (module, class) whose instances the harness keeps alive until it has read the counters.
TRACKED = {
    "requests": [("requests.sessions", "Session"), ("requests.models", "Response")],
    "httpx": [("httpx", "Client"), ("httpx", "AsyncClient"), ("httpx", "Response")],
    "aiohttp": [("aiohttp", "ClientSession"), ("aiohttp", "ClientResponse")],
    "urllib3": [("urllib3", "PoolManager"), ("urllib3.response", "HTTPResponse")],
    "urllib": [("http.client", "HTTPResponse")],
}
#: Module-level client classes the harness closes after the program (as process exit would).
CLOSABLE = (("requests.sessions", "Session"), ("httpx", "Client"), ("urllib3", "PoolManager"))


# -- the harness (runs inside the program's own interpreter) --------------------------------


def _track(source: str, keep: List[Any]) -> None:
    import importlib

    for word, classes in TRACKED.items():
        if not re.search(r"\b%s\b" % word, source):
            continue
        for module_name, class_name in classes:
            try:
                cls = getattr(importlib.import_module(module_name), class_name)
            except (ImportError, AttributeError):
                continue
            original = cls.__init__

            def __init__(self, *args, __original=original, **kwargs):
                keep.append(self)
                __original(self, *args, **kwargs)

            cls.__init__ = __init__


def _close_module_clients(namespace: Dict[str, Any]) -> None:
    import importlib

    classes = []
    for module_name, class_name in CLOSABLE:
        module = sys.modules.get(module_name)
        if module is not None and hasattr(module, class_name):
            classes.append(getattr(importlib.import_module(module_name), class_name))
    for value in list(namespace.values()):
        if classes and isinstance(value, tuple(classes)):
            try:
                value.close()
            except Exception:
                pass


def _released(obj: Any) -> bool:
    """A response whose connection went back to its pool: read to the end, or closed."""
    module = type(obj).__module__
    try:
        if module.startswith("requests"):
            return bool(obj._content_consumed) or obj.raw is None or bool(obj.raw.closed)
        if module.startswith("httpx"):
            return bool(obj.is_closed)
        if module.startswith("aiohttp"):
            return bool(obj.closed) or obj._connection is None
        if module.startswith(("urllib3", "http.client")):
            return bool(obj.isclosed())
    except Exception:
        return False
    return False  # clients: kept until the counters are read


def _settled_stats(url: str) -> Dict[str, Any]:
    """The counters once connections the program just closed have been seen closing."""
    stats = fetch_stats(url)
    deadline = time.monotonic() + 0.3
    while stats["open"] and time.monotonic() < deadline:
        time.sleep(0.02)
        stats = fetch_stats(url)
    return stats


def harness(program: str) -> None:
    keep: List[Any] = []
    source = Path(program).read_text(encoding="utf-8", errors="replace")
    _track(source, keep)
    namespace: Dict[str, Any] = {}
    sys.argv = [program]
    sys.path.insert(0, os.path.dirname(os.path.abspath(program)))
    try:
        namespace = runpy.run_path(program, run_name="__main__")
    finally:
        sys.stdout.flush()
        _close_module_clients(namespace)
        # Responses whose connection went back to the pool are dropped (and finalised) now,
        # as any runtime would once the program has read them; the rest stay referenced.
        keep[:] = [obj for obj in keep if not _released(obj)]
        gc.collect()
        stats = _settled_stats(os.environ["SERVER_URL"])
        with open(os.environ[STATS_ENV], "w", encoding="utf-8") as handle:
            json.dump(stats, handle)
        keep.clear()
        namespace = {}
        gc.collect()


# -- the demo (runs the programs, compares) ------------------------------------------------


@dataclass
class Run:
    result: Any
    requests: int
    connections: int
    still_open: int
    unclosed: int
    returncode: int
    stderr: str = ""


@dataclass
class Comparison:
    program: str
    applied: List[str]
    before: Run
    after: Run
    results_match: bool
    sites_left: List[str] = field(default_factory=list)


def sample_programs(directory: Path) -> List[Path]:
    """Every ``*.py`` directly in ``directory`` that reads SERVER_URL (not helpers, not
    ``expected/``)."""
    found = []
    for path in sorted(directory.glob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if "SERVER_URL" in text and "__main__" in text:
            found.append(path)
    return found


def run_program(path: Path, server: CountingServer, timeout: float = 60) -> Run:
    path = Path(path).resolve()
    server.wait_idle(1.0)
    server.counters.reset()
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as handle:
        stats_path = handle.name
    env = dict(
        os.environ,
        SERVER_URL=server.url,
        PYTHONWARNINGS="always::ResourceWarning",
        **{STATS_ENV: stats_path},
    )
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parent.parent)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    try:
        proc = subprocess.run(
            [sys.executable, "-X", "dev", "-m", "codemods.demo", "--harness", str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=str(path.parent),
        )
        try:
            with open(stats_path, encoding="utf-8") as handle:
                stats = json.load(handle)
        except (OSError, ValueError):
            stats = {"requests": -1, "connections": -1, "open": -1}
    finally:
        os.unlink(stats_path)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    try:
        result = json.loads(lines[-1]) if lines else None
    except ValueError:
        result = None
    return Run(
        result=result,
        requests=stats["requests"],
        connections=stats["connections"],
        still_open=stats["open"],
        unclosed=sum(1 for line in proc.stderr.splitlines() if UNCLOSED.search(line)),
        returncode=proc.returncode,
        stderr=proc.stderr,
    )


def rewrite(directory: Path, extra_args: Optional[List[str]] = None) -> Dict[str, Dict[str, List[str]]]:
    """Run the real CLI over ``directory`` in place; per file name, the codemods applied and
    the sites left for review."""
    proc = subprocess.run(
        [sys.executable, "-m", "codemods", "-v", "-j", "1", *(extra_args or []), str(directory)],
        capture_output=True,
        text=True,
        cwd=str(directory),
    )
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"http-codemods failed ({proc.returncode}):\n{proc.stderr}")
    info: Dict[str, Dict[str, List[str]]] = {}
    for line in proc.stderr.splitlines():
        match = re.match(r"rewrote (.+?) \((.*)\)$", line)
        if match:
            info.setdefault(Path(match.group(1)).name, {"applied": [], "sites": []})["applied"] = [
                name.strip() for name in match.group(2).split(",")
            ]
    # -v prints the sites it fixed on stderr; sites left for review go to stdout.
    for line in proc.stdout.splitlines():
        match = re.match(r"(.+?\.py):(\d+):(\d+): ([\w-]+): (.*)$", line)
        if match:
            entry = info.setdefault(Path(match.group(1)).name, {"applied": [], "sites": []})
            entry["sites"].append(f"{match.group(2)}:{match.group(3)} {match.group(4)}: {match.group(5)}")
    return info


class _NoDelayHandler(Handler):
    # Headers and body go out in two writes; without TCP_NODELAY every keep-alive request
    # waits ~40 ms for a delayed ACK, which would make connection reuse look slow.
    disable_nagle_algorithm = True


def start_server() -> CountingServer:
    server = CountingServer()
    server.RequestHandlerClass = _NoDelayHandler
    server.handle_error = lambda request, client_address: None  # resets from leaked sockets
    return server.start()


def run_demo(samples: Path, extra_args: Optional[List[str]] = None) -> List[Comparison]:
    programs = sample_programs(samples)
    if not programs:
        raise SystemExit(f"no sample programs (reading SERVER_URL) in {samples}")
    server = start_server()
    work = Path(tempfile.mkdtemp(prefix="http-codemods-demo-"))
    try:
        before_dir = work / "before"
        after_dir = work / "after"
        before_dir.mkdir()
        after_dir.mkdir()
        for program in programs:
            shutil.copy2(program, before_dir / program.name)
            shutil.copy2(program, after_dir / program.name)
        info = rewrite(after_dir, extra_args)
        comparisons = []
        for program in programs:
            before = run_program(before_dir / program.name, server)
            after = run_program(after_dir / program.name, server)
            entry = info.get(program.name, {"applied": [], "sites": []})
            comparisons.append(
                Comparison(
                    program=program.name,
                    applied=entry["applied"],
                    before=before,
                    after=after,
                    results_match=before.returncode == after.returncode == 0
                    and before.result is not None
                    and before.result == after.result,
                    sites_left=entry["sites"],
                )
            )
        return comparisons
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def table(comparison: Comparison) -> str:
    b, a = comparison.before, comparison.after
    rows = [
        ("requests sent", b.requests, a.requests),
        ("TCP connections opened", b.connections, a.connections),
        ("still open when it returned", b.still_open, a.still_open),
        ('"Unclosed ..." warnings', b.unclosed, a.unclosed),
    ]
    applied = ", ".join(comparison.applied) or "nothing to rewrite"
    out = [f"{comparison.program}  (rewritten by: {applied})"]
    out.append(f"  {'':<30}{'before':>8}{'after':>8}")
    for label, x, y in rows:
        out.append(f"  {label:<30}{x:>8}{y:>8}")
    verdict = "yes" if comparison.results_match else "NO"
    out.append(f"  {'same results':<30}{verdict:>16}")
    for run, name in ((b, "before"), (a, "after")):
        if run.returncode != 0:
            out.append(f"  the {name} run failed (exit {run.returncode}):")
            out.extend("    " + line for line in run.stderr.strip().splitlines()[-5:])
    for site in comparison.sites_left:
        out.append(f"  left for review: {site}")
    return "\n".join(out)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codemods.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("samples", nargs="?", default="samples", help="directory of sample programs")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--harness", metavar="PROGRAM", help=argparse.SUPPRESS)
    args, extra = parser.parse_known_args(argv)
    if args.harness:
        harness(args.harness)
        return 0
    comparisons = run_demo(Path(args.samples), extra)
    if args.json:
        data = []
        for c in comparisons:
            item = asdict(c)
            for key in ("before", "after"):
                item[key].pop("stderr")
            data.append(item)
        print(json.dumps(data, indent=2, sort_keys=True))
    else:
        print("\n\n".join(table(c) for c in comparisons))
    ok = all(c.results_match for c in comparisons)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
