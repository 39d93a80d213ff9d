"""Long fuzzing run of the property tests (tests/test_properties.py); not part of the suite.

    nice python tests/fuzz_long.py --minutes 30 [--seed N] [--round 100]

Runs the property tests in rounds of ``--round`` examples per test, with fresh random data
(``HTTP_CODEMODS_FUZZ_RANDOM=1``) from the seed ``N + round number`` (N random when not given,
printed first), until the time is up; stops at the first failure (pytest's output says which
seed reproduces it). At the end it prints the seed and the number of examples Hypothesis ran
(passing and invalid, from ``--hypothesis-show-statistics``).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COUNTS = re.compile(r"(\d+) passing, (\d+) failing, and (\d+) invalid test cases")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--round", type=int, default=100, help="examples per test and round")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"seed {seed}", flush=True)
    deadline = time.monotonic() + args.minutes * 60
    env = dict(os.environ, HTTP_CODEMODS_FUZZ_EXAMPLES=str(args.round), HTTP_CODEMODS_FUZZ_RANDOM="1")
    passing = invalid = failing = rounds = 0
    started = time.monotonic()
    while time.monotonic() < deadline:
        round_seed = seed + rounds
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--timeout=0",
                f"--hypothesis-seed={round_seed}",
                "--hypothesis-show-statistics",
                "tests/test_properties.py",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        rounds += 1
        for p, f, i in COUNTS.findall(proc.stdout):
            passing += int(p)
            failing += int(f)
            invalid += int(i)
        print(
            f"round {rounds} (seed {round_seed}): rc {proc.returncode}; total {passing} passing, "
            f"{invalid} invalid, {failing} failing; {time.monotonic() - started:.0f} s",
            flush=True,
        )
        if proc.returncode != 0:
            print(proc.stdout[-20000:], proc.stderr[-5000:], sep="\n")
            return 1
    print(
        f"done: seed {seed}, {rounds} rounds, {passing} passing examples, {invalid} invalid, "
        f"{failing} failing, {time.monotonic() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
