"""Compare two `--format json` reports of http-codemods file by file and site by site (the
timing, `totals.seconds`, ignored): `python tests/corpus/compare_reports.py A.json B.json`;
exit status 1 when they differ (issue 14: --no-cache, cold and warm runs must agree)."""

import json
import sys


def load(path):
    with open(path, encoding="utf-8") as handle:
        report = json.load(handle)
    report.get("totals", {}).pop("seconds", None)
    return report


def main(first: str, second: str) -> int:
    a, b = load(first), load(second)
    files_a = {f["path"]: f for f in a["files"]}
    files_b = {f["path"]: f for f in b["files"]}
    differ = [p for p in sorted(set(files_a) | set(files_b)) if files_a.get(p) != files_b.get(p)]
    others = sorted(k for k in set(a) | set(b) if k != "files" and a.get(k) != b.get(k))
    sites = sum(len(f.get("sites", [])) for f in a["files"])
    print(
        f"{first} vs {second}: {len(files_a)} / {len(files_b)} files listed, {sites} sites; "
        f"{len(differ)} files differ; other keys differing: {others}"
    )
    for path in differ[:10]:
        print("  differs:", path)
    return 1 if differ or others else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
