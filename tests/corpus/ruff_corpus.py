"""Issue 15's corpus check: do the rewrites keep a ruff-clean, formatter-clean tree clean?

usage: python tests/corpus/ruff_corpus.py CORPUS OUT [http-codemods args...]

1. copy CORPUS to OUT/clean (a project that is a symlink, as in a directory of links to a
   subset, is copied as its target); at each project's root (CORPUS/NAME/NAME-VERSION) write a
   ruff.toml (`[format]`, lint E4/E7/E9/F/I) unless the project configures ruff itself; a
   project ruff.toml without a `[format]` table gets one, so the format check uses its
   settings (line length...) rather than ruff's defaults;
2. make every file that mentions an HTTP library clean: the formatter this tool would follow
   for that file (black with the project's config, else ruff format), then
   `ruff check --select I --fix`;
3. copy OUT/clean to OUT/after and run `python -m codemods --select ALL` (plus ARGS) on it,
   with this interpreter (so PYTHONPATH chooses the checkout that runs);
4. on each file the run changed: ruff findings (E4, E7, E9, F, I) after minus before, by code,
   and whether the file's formatter check newly fails. Prints both counts and lists each case
   in OUT/findings.txt. A module the run created (the shared client) must be clean on its
   own: any ruff finding or formatter complaint counts as newly unclean.
"""

import collections
import json
import os
import re
import shutil
import subprocess
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

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


def ruff_table(config):
    """The ruff settings of a ruff.toml / .ruff.toml / pyproject.toml ([tool.ruff]), or None."""
    if not os.path.isfile(config):
        return None
    try:
        with open(config, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, ValueError):
        return None
    if config.endswith("pyproject.toml"):
        data = data.get("tool", {}).get("ruff")
    return data if isinstance(data, dict) else None


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
    os.makedirs(clean)
    for name in sorted(os.listdir(corpus)):
        source = os.path.join(corpus, name)
        if name.startswith(".") or not os.path.isdir(source):
            continue
        # Follow a linked project (a subset given as a directory of links), keep links inside it.
        shutil.copytree(os.path.realpath(source), os.path.join(clean, name), symlinks=True)
    for root in projects(clean):
        configs = [os.path.join(root, n) for n in ("ruff.toml", ".ruff.toml", "pyproject.toml")]
        own = [(c, t) for c in configs for t in [ruff_table(c)] if t is not None]
        if not own:
            with open(os.path.join(root, "ruff.toml"), "w") as handle:
                handle.write(RUFF_TOML)
        for config, table in own[:1]:  # the one ruff reads
            if "format" not in table:
                header = "[tool.ruff.format]" if config.endswith("pyproject.toml") else "[format]"
                with open(config, "a", encoding="utf-8") as handle:
                    handle.write(f"\n{header}\n")
        for path in http_files(root):
            formatter_check(path, fix=True)
            subprocess.run(["ruff", "check", "-q", "--select", "I", "--fix", "--no-cache", path], capture_output=True)
    shutil.copytree(clean, after, symlinks=True)
    report = os.path.join(out, "report.json")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "codemods",
            "--no-cache",
            "--select",
            "ALL",
            "--format",
            "json",
            "--output",
            report,
            *args,
            after,
        ],
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
    created_unclean = []
    for path in created:
        found = findings(path)
        if found or not formatter_check(path):
            created_unclean.append(path)
            lines.append(f"CREATED-NOT-CLEAN {dict(found)} {path}")
    with open(os.path.join(out, "findings.txt"), "w") as handle:
        handle.write("\n".join(lines) + "\n")
    print(f"changed {len(changed)} files (+{len(created)} created); totals {data['totals']}")
    print(f"new findings {sum(new_findings.values())}: {dict(new_findings)}")
    print(f"newly not formatter-clean: {len(unformatted)}; created modules not clean: {len(created_unclean)}")
    print(f"details: {out}/findings.txt")


if __name__ == "__main__":
    main(sys.argv)
