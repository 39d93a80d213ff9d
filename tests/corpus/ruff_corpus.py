"""Issue 15's corpus check: do the rewrites keep a ruff-clean, formatter-clean tree clean?

usage: python tests/corpus/ruff_corpus.py CORPUS OUT [http-codemods args...]

1. copy CORPUS to OUT/clean; at each project's root (CORPUS/NAME/NAME-VERSION) write a
   ruff.toml (`[format]`, lint E4/E7/E9/F/I) unless the project configures ruff itself;
2. make every file that mentions an HTTP library clean: the formatter this tool would follow
   for that file (black with the project's config, else ruff format), then
   `ruff check --select I --fix`;
3. copy OUT/clean to OUT/after and run `http-codemods --select ALL` (plus ARGS) on it;
4. on each file the run changed: ruff findings (E4, E7, E9, F, I) after minus before, by code,
   and whether the file's formatter check newly fails. Prints both counts and lists each case
   in OUT/findings.txt.
"""

import collections
import json
import os
import re
import shutil
import subprocess
import sys

from codemods.style import style_for

HTTP = re.compile(rb"\b(requests|httpx|aiohttp|urllib3?|niquests|httpx2)\b")
RUFF_TOML = '[format]\n[lint]\nselect = ["E4", "E7", "E9", "F", "I"]\n'
SELECT = "E4,E7,E9,F,I"


def projects(tree):
    for name in sorted(os.listdir(tree)):
        top = os.path.join(tree, name)
        if name.startswith(".") or not os.path.isdir(top):
            continue
        inner = [d for d in os.listdir(top) if os.path.isdir(os.path.join(top, d))]
        yield os.path.join(top, inner[0]) if len(inner) == 1 else top


def http_files(root):
    for base, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(base, f)
                try:
                    if HTTP.search(open(path, "rb").read()):
                        yield path
                except OSError:
                    pass


def formatter_check(path, fix=False):
    """True when the file is clean under the formatter this tool follows for it."""
    style = style_for(path)
    if style.formatter == "black":
        argv = [sys.executable, "-m", "black", "-q"]
        if style.formatter_config:
            argv += ["--config", style.formatter_config]
        argv += ([] if fix else ["--check"]) + [path]
    else:
        argv = ["ruff", "format", "-q"] + ([] if fix else ["--check"]) + [path]
    return subprocess.run(argv, capture_output=True).returncode == 0


def findings(path):
    out = subprocess.run(
        ["ruff", "check", "--select", SELECT, "--output-format", "json", "--no-cache", path],
        capture_output=True,
        text=True,
    ).stdout
    try:
        return collections.Counter(f["code"] for f in json.loads(out or "[]"))
    except ValueError:
        return collections.Counter({"unparsable": 1})


def main(argv):
    corpus, out, args = argv[1], argv[2], argv[3:]
    clean, after = os.path.join(out, "clean"), os.path.join(out, "after")
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(corpus, clean, symlinks=True, ignore=shutil.ignore_patterns(".sdists"))
    for root in projects(clean):
        has_ruff = any(os.path.exists(os.path.join(root, n)) for n in ("ruff.toml", ".ruff.toml"))
        if not has_ruff:
            with open(os.path.join(root, "ruff.toml"), "w") as handle:
                handle.write(RUFF_TOML)
        for path in http_files(root):
            formatter_check(path, fix=True)
            subprocess.run(["ruff", "check", "-q", "--select", "I", "--fix", "--no-cache", path], capture_output=True)
    shutil.copytree(clean, after, symlinks=True)
    report = os.path.join(out, "report.json")
    subprocess.run(
        ["http-codemods", "--no-cache", "--select", "ALL", "--format", "json", "--output", report, *args, after],
        capture_output=True,
    )
    data = json.load(open(report))
    changed = [e["path"] for e in data["files"] if e["status"] == "changed" and not e.get("created")]
    created = [e["path"] for e in data["files"] if e.get("created")]
    new_findings = collections.Counter()
    unformatted = []
    lines = []
    for path in changed:
        before_path = os.path.join(clean, os.path.relpath(path, after))
        delta = findings(path) - findings(before_path)
        for code, n in delta.items():
            new_findings[code] += n
            lines.append(f"{code} x{n} {path}")
        if formatter_check(before_path) and not formatter_check(path):
            unformatted.append(path)
            lines.append(f"FORMAT {style_for(path).formatter or 'ruff'} {path}")
    for path in created:
        if findings(path) or not formatter_check(path):
            lines.append(f"CREATED-NOT-CLEAN {path}")
    with open(os.path.join(out, "findings.txt"), "w") as handle:
        handle.write("\n".join(lines) + "\n")
    print(f"changed {len(changed)} files (+{len(created)} created); totals {data['totals']}")
    print(f"new findings {sum(new_findings.values())}: {dict(new_findings)}")
    print(f"newly not formatter-clean: {len(unformatted)}")
    print(f"details: {out}/findings.txt")


if __name__ == "__main__":
    main(sys.argv)
