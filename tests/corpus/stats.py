"""Per-codemod counts from a JSON report: fixed / reported, and the most frequent reasons.

usage: python tests/corpus/stats.py REPORT.json [N]   (N reasons per codemod, default 12)

A site's reason is normalised for counting: line numbers, quoted names and call targets are
replaced by placeholders so that "used after line 12" and "used after line 40" count together.
"""

import collections
import json
import re
import sys


def normalise(reason: str) -> str:
    reason = re.sub(r"`[^`]*`", "`X`", reason)
    reason = re.sub(r"'[^']*'", "'X'", reason)
    reason = re.sub(r"\b\d+\b", "N", reason)
    reason = re.sub(r"\b(passed to|called|mocked by|patched by) [\w.]+", r"\1 X", reason)
    return reason[:160]


def main(argv):
    data = json.load(open(argv[1]))
    top = int(argv[2]) if len(argv) > 2 else 12
    counts = collections.defaultdict(collections.Counter)
    reasons = collections.defaultdict(collections.Counter)
    unsafe = collections.Counter()
    for entry in data["files"]:
        for site in entry["sites"]:
            counts[site["codemod"]][site["action"]] += 1
            if site["action"] != "fixed":
                reasons[site["codemod"]][normalise(site["reason"])] += 1
                if site.get("safety") == "unsafe":
                    unsafe[site["codemod"]] += 1
    print("totals:", data["totals"])
    for codemod in sorted(counts):
        c = counts[codemod]
        print(
            f"\n== {codemod}: "
            + ", ".join(f"{k} {v}" for k, v in sorted(c.items()))
            + f"; unsafe-fixable {unsafe[codemod]}"
        )
        for reason, n in reasons[codemod].most_common(top):
            print(f"  {n:4d}  {reason}")
    errors = [e for e in data["files"] if e["status"] == "error"]
    for e in errors:
        print("ERROR", e["path"], (e.get("error") or {}).get("message"))


if __name__ == "__main__":
    main(sys.argv)
