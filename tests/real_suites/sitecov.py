"""sitecov.py ROOT PKGPREFIX: how many rewritten statements the after-suite executed.

ROOT holds before/ and after/ (as rewrite.sh leaves them), rewrite.json (the rewrite's report)
and cov.json (``coverage json`` of the after run: run it as ``coverage run -m pytest ...`` in
after/). PKGPREFIX: the package's path inside the copies (``langchain_community/``). A suite
that passes before and after says little about a rewritten statement it never runs: this
counts the changed modules imported, the rewritten statements and those executed.
"""

import json
import difflib
import collections
import os
import sys

root, pkg = sys.argv[1], sys.argv[2]
os.chdir(root)
cov = json.load(open("cov.json"))["files"]
# normalise keys to paths relative to after/
norm = {}
for k, v in cov.items():
    k2 = k.split("/after/", 1)[-1] if "/after/" in k else (k[6:] if k.startswith("after/") else k)
    norm[k2] = v
rw = json.load(open("rewrite.json"))
rows = []
for f in rw["files"]:
    p = f["path"]
    rel = p[6:]
    if not rel.startswith(pkg) or f["status"] != "changed" or not os.path.exists("before/" + rel):
        continue
    b = open("before/" + rel).read().splitlines()
    a = open(p).read().splitlines()
    added = set()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, b, a, autojunk=False).get_opcodes():
        if tag in ("replace", "insert"):
            for j in range(j1, j2):
                t = a[j].strip()
                if t and not t.startswith(("import ", "from ")):
                    added.add(j + 1)
    c = norm.get(rel)
    ex = set(c["executed_lines"]) if c else set()
    stmts = ex | set(c["missing_lines"]) if c else set()
    cm = collections.Counter(s["codemod"] for s in f["sites"] if s["action"] == "fixed")
    rows.append((rel, bool(ex), len(added & stmts), len(added & ex), dict(cm)))
print(
    "changed modules",
    len(rows),
    "imported",
    sum(r[1] for r in rows),
    "with a rewritten statement executed",
    sum(1 for r in rows if r[3]),
)
print("rewritten statements", sum(r[2] for r in rows), "executed", sum(r[3] for r in rows))
for r in rows:
    if r[3]:
        print("  ", r)
