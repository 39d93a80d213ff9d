#!/usr/bin/env bash
# stress_suite.sh COMMIT [OUT] [ROUNDS]: the suite under load, as issue 15 asks ("passes 10
# times in a row under load that doubles its run time") on a machine without `stress`.
# Two clones of COMMIT, each with its own venv and --basetemp; each round runs both suites at
# once (`pytest -q -n 2`), so on 2 cores each suite is the other's load. Default: 5 rounds
# (10 runs). OUT/summary.txt gets one line per run (exit status, seconds, pytest's last line);
# compare the seconds with one run of the suite alone.
set -u
commit=$1; out=${2:-/tmp/stress-suite}; rounds=${3:-5}
repo=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
for k in 1 2; do
  d=$out/clone$k
  rm -rf "$d"; git clone -q "$repo" "$d"; git -C "$d" checkout -q "$commit"
  python3 -m venv "$d/.venv"; "$d/.venv/bin/pip" install -q -e "$d[test]" > "$out/pip$k.log" 2>&1
done
for round in $(seq 1 "$rounds"); do
  for k in 1 2; do
    n=$(( (round - 1) * 2 + k ))
    (
      cd "$out/clone$k" || exit
      start=$(date +%s)
      .venv/bin/python -m pytest -q -n 2 -p no:cacheprovider --basetemp="$out/tmp$k" > "$out/run$n.log" 2>&1
      rc=$?
      echo "run $n rc=$rc $(( $(date +%s) - start ))s $(tail -1 "$out/run$n.log")" >> "$out/summary.txt"
    ) &
  done
  wait
done
echo finished >> "$out/summary.txt"
