#!/usr/bin/env bash
# run_suite.sh VENV PROJECTDIR LABEL OUTDIR [pytest args...]
# Runs the project's suite with netblock.py loaded; writes OUTDIR/LABEL.{xml,log,net}.
here=$(cd "$(dirname "$0")" && pwd)
venv=$1; dir=$2; label=$3; out=$4; shift 4
rm -f "$out/$label.net"
cd "$dir" && NETBLOCK_LOG="$out/$label.net" PYTHONPATH="$here" XDG_CACHE_HOME="$out/xdg-$label" \
  timeout 1500 "$venv/bin/python" -m pytest -p no:cacheprovider -p netblock -q -rA --junitxml="$out/$label.xml" "$@" > "$out/$label.log" 2>&1
echo "rc=$?" >> "$out/$label.log"
tail -3 "$out/$label.log"
