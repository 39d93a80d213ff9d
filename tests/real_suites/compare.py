"""compare.py BEFORE.xml AFTER.xml BEFORE.net AFTER.net [NOISE_HOSTS]: test-by-test comparison.

JUnit XML outcomes of two runs of a suite, and the attempts netblock.py logged, by test; hosts in
the comma-separated NOISE_HOSTS (a tracing thread's endpoint) are not counted."""

import collections
import sys
import xml.etree.ElementTree as ET

BAD = ("failed", "error")


def outcomes(path):
    out = {}
    for case in ET.parse(path).iter("testcase"):
        key = case.get("classname", "") + "::" + case.get("name", "")
        status = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                status = "failed" if child.tag == "failure" else "error"
                break
            if child.tag == "skipped":
                status = "skipped"
        if out.get(key) not in BAD:  # a setup error and a call may give two entries: keep the worst
            out[key] = status
    return out


def attempts(path, noise):
    hosts = collections.defaultdict(set)
    try:
        with open(path) as f:
            for line in f:
                test, _func, host = line.rstrip("\n").split("\t")[:3]
                if host not in noise:
                    hosts[test].add(host)
    except FileNotFoundError:
        pass
    return hosts


def main(argv):
    noise = set(argv[5].split(",")) if len(argv) > 5 else set()
    before, after = outcomes(argv[1]), outcomes(argv[2])
    net_before, net_after = attempts(argv[3], noise), attempts(argv[4], noise)
    print("before:", dict(collections.Counter(before.values())), "tests", len(before))
    print("after: ", dict(collections.Counter(after.values())), "tests", len(after))
    newly = [k for k in after if after[k] in BAD and before.get(k) not in BAD]
    print("newly failing:", len(newly))
    for k in newly:
        print("  ", k)
    missing = sorted(set(before) - set(after))
    print("missing after:", len(missing))
    for k in missing[:20]:
        print("  ", k)
    new_net = {k: v - net_before.get(k, set()) for k, v in net_after.items() if v - net_before.get(k, set())}
    print("tests trying the network before:", len(net_before), "after:", len(net_after), "newly:", len(new_net))
    for k, v in new_net.items():
        print("  ", k, sorted(v))
    return 1 if newly or new_net else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
