"""Whole-tree speed: http-codemods against LibCST's own runner and ruff, side by side.

    python -m codemods.benchmark /work/corpus                 # the 91-project corpus
    python -m codemods.benchmark DIR --libcst-sample 0        # LibCST's runner on every file

Runs, on the same files (every project directory under DIR; hidden directories skipped):

- ``http-codemods --check`` with the default codemods, ``-j 1`` and ``-j`` all cores;
- ``python -m libcst.tool codemod <Class> --no-format`` for each default codemod in turn (their
  own runner, what a user would otherwise do; it writes, so it runs on a copy). It parses and
  resolves metadata for every file, which takes hours on the whole corpus, so by default it
  runs on a random sample of ``--libcst-sample`` files (fixed seed) and its rate is
  extrapolated; our tool is timed on the same sample too, for a like-for-like ratio;
- ``python -m libcst.tool codemod benchmark.PlainMetadata --no-format`` on the same sample: a
  plain LibCST codemod that asks LibCST's stock providers for the metadata our codemods use
  (scopes, qualified names, parents, positions, expression contexts) and changes nothing: the
  cost of "a plain LibCST codemod with the same metadata" that issue 14 measures against, free
  of our own codemods' speed-ups (which also speed up the row above);
- ``ruff check --select S113`` (requests calls without a timeout: the speed limit for a scan
  in this field; ``--no-cache --isolated``);
- the results cache (``cache.py``): ``-j N`` cold (an empty cache directory) and warm (the
  same directory again, nothing changed); the other runs of ours use ``--no-cache``. The
  files that reach LibCST: in a cold run those the prefilter passes (scanned minus skipped),
  in a warm run the cache misses (entries the run added);
- one file each of ``--sizes`` MB (default 0.5, 1, 2 and 4), made by concatenating copies
  of the sample programs (``samples/``: module-level imports once, every copy's top-level
  names renamed, so it is a long real-shaped module, not a deep one), run alone (``-j 1``,
  no budgets, no cache): time and peak memory, to show both grow linearly.

For each: wall time, files/s, lines/s, the peak resident memory of the largest process
(``getrusage(RUSAGE_CHILDREN)`` measured in a fresh wrapper process per run, so one run's peak
never leaks into another's), and the ratio to ``http-codemods -j N``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import libcst as cst
from libcst.codemod import VisitorBasedCodemodCommand
from libcst.metadata import (
    ExpressionContextProvider,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from . import cache, registry
from .discover import discover
from .engine import default_jobs

ROOT = Path(__file__).resolve().parent.parent

#: Runs a command and prints its wall time and the peak RSS of its largest process (KiB).
_MEASURE = r"""
import json, resource, subprocess, sys, time
started = time.perf_counter()
proc = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=sys.argv[1])
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds, "maxrss_kib": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime,
                  "returncode": proc.returncode, "stderr": proc.stderr.decode("utf-8", "replace")[-4000:]}))
"""


def measure(command: Sequence[str], cwd: Path) -> Dict:
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(cwd), *command], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def count_lines(files: Sequence[str]) -> int:
    total = 0
    for path in files:
        try:
            with open(path, "rb") as handle:
                total += handle.read().count(b"\n")
        except OSError:
            pass
    return total


def default_commands() -> List[str]:
    loaded = [registry.class_of(c) for c in registry.CODEMODS if c.DEFAULT]
    return [f"{cls.__module__.split('.')[-1]}.{cls.__name__}" for cls in loaded]


class PlainMetadata(VisitorBasedCodemodCommand):
    """The baseline: a LibCST codemod with LibCST's own providers for the metadata ours use."""

    DESCRIPTION = "Resolve scopes, qualified names, parents, positions and contexts; change nothing."
    METADATA_DEPENDENCIES = (
        ScopeProvider,
        QualifiedNameProvider,
        ParentNodeProvider,
        PositionProvider,
        ExpressionContextProvider,
    )

    def visit_Call(self, node: cst.Call) -> None:
        # Ask for the metadata a codemod would read at each call (it is computed per module).
        self.get_metadata(QualifiedNameProvider, node, None)


def copy_files(files: Sequence[str], root: Path, dest: Path) -> None:
    for path in files:
        target = dest / os.path.relpath(path, root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def summary_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if "scanned" in line]
    return lines[-1].strip() if lines else ""


def row(name: str, run: Dict, files: int, lines: int, reference: Optional[float]) -> str:
    seconds = run["seconds"]
    ratio = f"{seconds / reference:8.1f}x" if reference else f"{'':>9}"
    return (
        f"{name:<46}{files:>7}{seconds:>10.1f}{files / seconds:>10.0f}{lines / seconds:>11.0f}"
        f"{run['maxrss_kib'] / 1024:>9.0f}{ratio}"
    )


HEADER = f"{'':<46}{'files':>7}{'seconds':>10}{'files/s':>10}{'lines/s':>11}{'MiB':>9}{'vs ours':>9}"


_IMPORT_LINE = re.compile(r"^(?:import|from)\s.*$", re.M)
_TOP_NAME = re.compile(r"^(?:async\s+def|def|class)\s+(\w+)|^(\w+)\s*(?::[^=\n]*)?=(?!=)", re.M)


def sized_module(megabytes: float, samples: Path = ROOT / "samples") -> str:
    """A module of about ``megabytes`` MB: the samples' imports once, then copies of their
    bodies with every top-level name suffixed by the copy's number (no name bound twice)."""
    imports = set()
    bodies = []
    for path in sorted(samples.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        imports.update(_IMPORT_LINE.findall(text))
        body = _IMPORT_LINE.sub("", text)
        names = {a or b for a, b in _TOP_NAME.findall(body)} - {"__name__", "__all__"}
        bodies.append((body, names))
    out = ["\n".join(sorted(imports)), "\n\n"]
    size = sum(map(len, out))
    copy = 0
    while size < megabytes * 2**20:
        for body, names in bodies:
            renamed = (
                re.sub(r"\b(" + "|".join(map(re.escape, sorted(names))) + r")\b", rf"\1_{copy}", body)
                if names
                else body
            )
            out.append(renamed + "\n\n")
            size += len(renamed) + 2
            copy += 1
    return "".join(out)


def _cache_entries(directory: str) -> int:
    return cache.stats(directory)["entries"] if os.path.isdir(directory) else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m codemods.benchmark", description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", help="a directory of projects (e.g. the fetch.sh corpus)")
    parser.add_argument("-j", "--jobs", type=int, default=default_jobs(), help="cores for the parallel runs")
    parser.add_argument("--libcst-sample", type=int, default=300, help="files for LibCST's runner (0: all)")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--skip", default="", help="comma list of runs to skip: j1,jN,cache,libcst,ruff,sizes")
    parser.add_argument("--sizes", default="0.5,1,2,4", help="comma list of MB for the file-size rows")
    parser.add_argument("--json", metavar="FILE", help="also write the raw numbers here")
    return parser


class _Bench:
    """One benchmark run: the corpus, the commands, and the rows printed so far."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.corpus = Path(args.corpus).resolve()
        self.projects = sorted(str(p) for p in self.corpus.iterdir() if p.is_dir() and not p.name.startswith("."))
        self.files = discover(self.projects).files
        self.lines = count_lines(self.files)
        self.jobs = max(1, args.jobs)
        self.base_tool = [sys.executable, "-m", "codemods", "--check", "--config", os.devnull]
        self.tool = [*self.base_tool, "--no-cache"]
        self.results: Dict[str, Dict] = {}
        self.printed: List[str] = [HEADER]
        self.reference: Optional[float] = None

    def show(self, name: str, key: str, n_files: int, n_lines: int, reference: Optional[float]) -> None:
        self.printed.append(row(name, self.results[key], n_files, n_lines, reference))
        print(self.printed[-1], flush=True)

    def ours(self) -> None:
        self.results["ours_jN"] = measure([*self.tool, "-j", str(self.jobs), *self.projects], ROOT)
        self.show(f"http-codemods --check -j {self.jobs}", "ours_jN", len(self.files), self.lines, None)
        print(f"    {summary_line(self.results['ours_jN']['stderr'])}", flush=True)

    def cached(self) -> None:
        """Cold (an empty cache directory), then warm (the same again, nothing changed)."""
        with tempfile.TemporaryDirectory(prefix="http-codemods-bench-cache-") as cache_dir:
            cached = [*self.base_tool, "--cache-dir", cache_dir, "-j", str(self.jobs), *self.projects]
            for name in ("cold", "warm"):
                before = _cache_entries(cache_dir)
                self.results[f"ours_{name}"] = run = measure(cached, ROOT)
                run["cache_entries_added"] = _cache_entries(cache_dir) - before
                label = f"http-codemods --check -j {self.jobs}, cache {name}"
                self.show(label, f"ours_{name}", len(self.files), self.lines, self.reference)
                line = summary_line(run["stderr"])
                counts = (
                    [int(n) for n in re.findall(r"(\d+) files scanned, (\d+) skipped", line)[0]] if line else [0, 0]
                )
                reached = counts[0] - counts[1] if name == "cold" else run["cache_entries_added"]
                run["reached_libcst"] = reached
                print(f"    {line}; files that reached LibCST: {reached}", flush=True)

    def one_job(self) -> None:
        self.results["ours_j1"] = measure([*self.tool, "-j", "1", *self.projects], ROOT)
        self.show("http-codemods --check -j 1", "ours_j1", len(self.files), self.lines, self.reference)

    def ruff(self) -> None:
        found = shutil.which("ruff")
        if not found:
            return
        ruff = [found, "check", "--select", "S113", "--no-cache", "--isolated", "--exit-zero", "--quiet"]
        self.results["ruff"] = measure([*ruff, *self.projects], ROOT)
        self.show("ruff check --select S113", "ruff", len(self.files), self.lines, self.reference)

    def libcst(self) -> None:
        """Ours and LibCST's runner on the same copies of a sample (or of every file)."""
        files, args = self.files, self.args
        sample = list(files)
        if args.libcst_sample and args.libcst_sample < len(files):
            sample = sorted(random.Random(args.seed).sample(files, args.libcst_sample))
        sample_lines = count_lines(sample)
        label = "sample" if len(sample) < len(files) else "all"
        with tempfile.TemporaryDirectory(prefix="http-codemods-bench-") as tmp:
            ours_copy, libcst_copy = Path(tmp) / "ours", Path(tmp) / "libcst"
            copy_files(sample, self.corpus, ours_copy)
            copy_files(sample, self.corpus, libcst_copy)
            self.results["ours_sample"] = measure([*self.tool, "-j", str(self.jobs), str(ours_copy)], ROOT)
            self.show(f"http-codemods --check -j {self.jobs} ({label})", "ours_sample", len(sample), sample_lines, None)
            total = self._libcst_runs(libcst_copy)
            self.results["plain_sample"] = self._libcst_runs(libcst_copy, ["benchmark.PlainMetadata"])
        self.results["libcst_sample"] = total
        name = f"libcst.tool codemod x{len(default_commands())} -j {self.jobs} ({label})"
        self.show(name, "libcst_sample", len(sample), sample_lines, self.results["ours_sample"]["seconds"])
        if label == "sample":
            estimate = len(files) / (len(sample) / total["seconds"])
            print(
                f"    LibCST's runner on the whole tree, extrapolated: {estimate:.0f} s"
                + (f" ({estimate / self.reference:.0f}x ours)" if self.reference else ""),
                flush=True,
            )
            self.results["libcst_extrapolated_seconds"] = {"seconds": estimate}
        self.show(
            f"plain LibCST codemod -j {self.jobs} ({label})",
            "plain_sample",
            len(sample),
            sample_lines,
            self.results["ours_sample"]["seconds"],
        )
        if label == "sample":
            estimate = len(files) / (len(sample) / self.results["plain_sample"]["seconds"])
            print(
                f"    a plain LibCST codemod on the whole tree, extrapolated: {estimate:.0f} s"
                + (f" ({estimate / self.reference:.0f}x ours)" if self.reference else ""),
                flush=True,
            )
            self.results["plain_extrapolated_seconds"] = {"seconds": estimate}

    def _libcst_runs(self, tree: Path, commands: Optional[List[str]] = None) -> Dict:
        """``libcst.tool codemod`` once per command (default: each default codemod) over
        ``tree``: the totals."""
        total = {"seconds": 0.0, "maxrss_kib": 0, "cpu": 0.0, "returncode": 0, "stderr": ""}
        for command in commands or default_commands():
            run = measure(
                [sys.executable, "-m", "libcst.tool", "codemod", command, "--no-format", "--hide-progress"]
                + ["-j", str(self.jobs), str(tree)],
                ROOT,
            )
            total["seconds"] += run["seconds"]
            total["cpu"] += run["cpu"]
            total["maxrss_kib"] = max(total["maxrss_kib"], run["maxrss_kib"])
            total["stderr"] += run["stderr"][-500:]
            total["returncode"] = total["returncode"] or run["returncode"]
            if run["returncode"]:
                print(f"    {command} failed ({run['returncode']}): {run['stderr'][-300:]}", flush=True)
        return total

    def sizes(self) -> None:
        """One generated file per size: time and peak memory should grow linearly."""
        limits = ["--file-time-limit", "0", "--file-memory-limit", "0", "--file-size-limit", "0"]
        with tempfile.TemporaryDirectory(prefix="http-codemods-bench-size-") as tmp:
            for megabytes in [float(x) for x in self.args.sizes.split(",") if x]:
                path = Path(tmp) / f"module_{megabytes:g}mb.py"
                text = sized_module(megabytes)
                path.write_text(text, encoding="utf-8")
                n_lines = text.count("\n")
                key = f"size_{megabytes:g}mb"
                self.results[key] = measure([*self.tool, "-j", "1", *limits, str(path)], ROOT)
                self.results[key]["bytes"] = len(text.encode())
                self.show(f"one file of {megabytes:g} MB ({n_lines} lines)", key, 1, n_lines, None)
                print(f"    {summary_line(self.results[key]['stderr'])}", flush=True)


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    bench = _Bench(args)
    print(
        f"corpus: {bench.corpus}: {len(bench.projects)} projects, {len(bench.files)} files, {bench.lines} lines; "
        f"{os.cpu_count()} cores (using {bench.jobs}); Python {sys.version.split()[0]}",
        flush=True,
    )
    print(HEADER, flush=True)
    if "jN" not in skip:
        bench.ours()
    bench.reference = bench.results.get("ours_jN", {}).get("seconds")
    for name, step in (
        ("cache", bench.cached),
        ("j1", bench.one_job),
        ("ruff", bench.ruff),
        ("libcst", bench.libcst),
        ("sizes", bench.sizes),
    ):
        if name not in skip:
            step()
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            runs = {"files": len(bench.files), "lines": bench.lines, "jobs": bench.jobs, "runs": bench.results}
            json.dump(runs, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
