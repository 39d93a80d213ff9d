#!/usr/bin/env bash
# rewrite.sh OUTDIR: --check on OUTDIR/before, the default rewrite of OUTDIR/after, then --check
# again on after (it must change nothing). PYTHON: an interpreter with libcst; CODEMODS_ROOT: the checkout.
out=$1; py=${PYTHON:-python}; root=${CODEMODS_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$out"
PYTHONPATH=$root $py -m codemods --no-cache -j 1 --check --format json --output check1.json before/ > check1.txt 2>&1; echo "check1 rc=$?"
PYTHONPATH=$root $py -m codemods --no-cache -j 1 --format json --output rewrite.json after/ > rewrite.txt 2>&1; echo "rewrite rc=$?"
PYTHONPATH=$root $py -m codemods --no-cache -j 1 --check --format json --output check2.json after/ > check2.txt 2>&1; echo "check2 rc=$?"
$py - <<'PY'
import json, collections
for n in ("check1", "rewrite", "check2"):
    d = json.load(open(n + ".json"))
    st = collections.Counter(f["status"] for f in d["files"])
    created = [f["path"] for f in d["files"] if f["status"] == "created" or f.get("created")]
    print(n, dict(st), "created:", created)
PY

