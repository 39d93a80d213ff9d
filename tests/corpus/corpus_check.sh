#!/usr/bin/env bash
# Rewrite a copy of the corpus in place and check the result:
#   every changed file compiles, and a second run changes nothing.
# usage: tests/corpus/corpus_check.sh CORPUS OUT [http-codemods args...]
#   CORPUS: the tree fetched by ../shared/corpus/fetch.sh; OUT: a fresh directory.
# Writes OUT/report.json (first run), OUT/second.json (the --check run), OUT/compile.txt.
set -uo pipefail
corpus=$1; out=$2; shift 2
tool=${HTTP_CODEMODS:-http-codemods}
mkdir -p "$out"
rm -rf "$out/tree"
cp -a "$corpus" "$out/tree"
rm -rf "$out/tree/.sdists"
start=$(date +%s)
$tool --no-cache --format json --output "$out/report.json" "$@" "$out/tree" > "$out/run.log" 2>&1
echo "first run: exit $? in $(( $(date +%s) - start )) s"
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
data = json.load(open(f"{out}/report.json"))
bad = []
changed = [e["path"] for e in data["files"] if e["status"] == "changed"]
for path in changed:
    try:
        compile(open(path, "rb").read(), path, "exec")
    except SyntaxError as exc:
        bad.append(f"{path}: {exc}")
open(f"{out}/compile.txt", "w").write("\n".join(bad) + "\n")
print(f"changed {len(changed)} files; compile failures {len(bad)}; totals {data['totals']}")
PY
start=$(date +%s)
$tool --no-cache --check --format json --output "$out/second.json" "$@" "$out/tree" > "$out/second.log" 2>&1
python3 -c "
import json,sys; d=json.load(open('$out/second.json'))
print('second run: would change', sum(e['status']=='changed' for e in d['files']), 'files; errors', d['totals']['errors'])"
echo "second run took $(( $(date +%s) - start )) s"
