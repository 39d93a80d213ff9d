"""Diffs and line maps in linear time: the ``git apply``-able unified diff of a file's change
(difflib's own output while that is cheap, the same format from linear opcodes above a budget),
and the map from a line of the current text to the line of the original it came from (sites
found after an earlier codemod moved lines). Nothing here knows about codemods.
"""

from __future__ import annotations

import difflib
import os
import re
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple


_ODD_LINE_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def unified_diff(old: str, new: str, path: str) -> str:
    """A ``git apply``-able diff (``a/path``, ``b/path``)."""
    if not _ODD_LINE_BREAKS.search(old) and not _ODD_LINE_BREAKS.search(new):
        a_lines, b_lines = old.splitlines(True), new.splitlines(True)
        # moreorless's convention for the file names (an absolute path stays as it is).
        a_name, b_name = (path, path) if os.path.isabs(path) else (f"a/{path}", f"b/{path}")
    else:
        # str.splitlines breaks lines at form feeds and other separators that git does not;
        # split at "\n" only so the hunks match the file as git sees it.
        a = old.split("\n")
        b = new.split("\n")
        a_lines = [line + "\n" for line in a[:-1]] + ([a[-1]] if a[-1] else [])
        b_lines = [line + "\n" for line in b[:-1]] + ([b[-1]] if b[-1] else [])
        a_name, b_name = f"a/{path}", f"b/{path}"
    codes = _opcodes(a_lines, b_lines)
    changes = sum(code[0] != "equal" for code in codes)
    if (len(a_lines) + len(b_lines)) * max(1, changes) <= _DIFFLIB_BUDGET:
        lines: Iterator[str] = difflib.unified_diff(a_lines, b_lines, a_name, b_name)
    else:
        lines = _linear_unified_diff(a_lines, b_lines, a_name, b_name, codes)
    out = []
    for line in lines:
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


#: Diffs are difflib's (as they always were, byte for byte) while lines x changed regions
#: stays under this: difflib's cost grows with both (a 13,000-line file with 1,300 changes took
#: 7.5 s). Above, the same format from ``_opcodes``, linear; it equals difflib without its
#: "autojunk" heuristic, so it can place a repeated line (a blank) at the other end of a hunk.
_DIFFLIB_BUDGET = 4_000_000


def _linear_unified_diff(
    a: Sequence[str],
    b: Sequence[str],
    a_name: str,
    b_name: str,
    codes: Optional[List[Tuple[str, int, int, int, int]]] = None,
    n: int = 3,
) -> Iterator[str]:
    """``difflib.unified_diff``'s output format over ``_opcodes``."""
    groups = list(_grouped_opcodes(_opcodes(a, b) if codes is None else codes, n))
    if not groups:
        return
    yield f"--- {a_name}\n"
    yield f"+++ {b_name}\n"
    for group in groups:
        first, last = group[0], group[-1]
        yield f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for line in a[i1:i2]:
                    yield " " + line
                continue
            if tag in ("replace", "delete"):
                for line in a[i1:i2]:
                    yield "-" + line
            if tag in ("replace", "insert"):
                for line in b[j1:j2]:
                    yield "+" + line


def _range(start: int, stop: int) -> str:
    """difflib's ``_format_range_unified``."""
    beginning = start + 1
    length = stop - start
    if length == 1:
        return f"{beginning}"
    if not length:
        beginning -= 1
    return f"{beginning},{length}"


def _grouped_opcodes(
    codes: List[Tuple[str, int, int, int, int]], n: int = 3
) -> Iterator[List[Tuple[str, int, int, int, int]]]:
    """``difflib.SequenceMatcher.get_grouped_opcodes`` over given opcodes."""
    codes = list(codes)
    if not codes:
        codes = [("equal", 0, 1, 0, 1)]
    if codes[0][0] == "equal":
        tag, i1, i2, j1, j2 = codes[0]
        codes[0] = tag, max(i1, i2 - n), i2, max(j1, j2 - n), j2
    if codes[-1][0] == "equal":
        tag, i1, i2, j1, j2 = codes[-1]
        codes[-1] = tag, i1, min(i2, i1 + n), j1, min(j2, j1 + n)
    nn = n + n
    group: List[Tuple[str, int, int, int, int]] = []
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal" and i2 - i1 > nn:
            group.append((tag, i1, min(i2, i1 + n), j1, min(j2, j1 + n)))
            yield group
            group = []
            i1, j1 = max(i1, i2 - n), max(j1, j2 - n)
        group.append((tag, i1, i2, j1, j2))
    if group and not (len(group) == 1 and group[0][0] == "equal"):
        yield group


# -- line mapping (sites found after an earlier codemod moved lines) -----------------------


def _line_map(original: str, current: str) -> Callable[[int], int]:
    """Map 1-based lines of ``current`` to the line of ``original`` they came from: an equal
    line to its twin, a line of a changed block to the line at the same offset in the old
    block (its last line when the new block is longer)."""
    a = original.splitlines()
    b = current.splitlines()
    mapping: Dict[int, int] = {}
    for tag, i1, i2, j1, j2 in _opcodes(a, b):
        for offset, j in enumerate(range(j1, j2)):
            if tag == "equal":
                mapping[j + 1] = i1 + offset + 1
            else:
                mapping[j + 1] = min(i1 + offset, max(i2 - 1, i1)) + 1
    return lambda line: mapping.get(line, line)


#: Work done by ``_matching_blocks`` (line comparisons and lookups, roughly): tests assert it
#: grows linearly with the input.
LINE_MAP_WORK = [0]
#: A changed region with at most this many line pairs goes to difflib (exactly the old output).
_SMALL_REGION = 4096
#: Levels of unique-line anchoring before the windowed fallback.
_ANCHOR_DEPTH = 4
#: How far the fallback looks ahead for the next equal line.
_WINDOW = 64


def _opcodes(a: Sequence[str], b: Sequence[str]) -> List[Tuple[str, int, int, int, int]]:
    """``difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()`` in linear time
    (the output is the same when the edits are a few regions: see tests/test_line_map.py)."""
    blocks: List[Tuple[int, int, int]] = []
    _matching_blocks(a, b, 0, len(a), 0, len(b), 0, blocks)
    out: List[Tuple[str, int, int, int, int]] = []
    i = j = 0
    for ai, bj, size in blocks + [(len(a), len(b), 0)]:
        if i < ai and j < bj:
            out.append(("replace", i, ai, j, bj))
        elif i < ai:
            out.append(("delete", i, ai, j, bj))
        elif j < bj:
            out.append(("insert", i, ai, j, bj))
        if size:
            if out and out[-1][0] == "equal" and out[-1][2] == ai and out[-1][4] == bj:
                tag, i1, _, j1, _ = out.pop()
                out.append(("equal", i1, ai + size, j1, bj + size))
            else:
                out.append(("equal", ai, ai + size, bj, bj + size))
        i, j = ai + size, bj + size
    _slide(a, b, out)
    return out


def _slide(a: Sequence[str], b: Sequence[str], codes: List[Tuple[str, int, int, int, int]]) -> None:
    """Place each insertion or deletion whose lines repeat its neighbours where difflib puts
    it: difflib takes the longest equal block first, so the slack goes to the longer of the
    two equal blocks around it (the earlier one on a tie)."""
    for k in range(1, len(codes) - 1):
        tag, i1, i2, j1, j2 = codes[k]
        before, after = codes[k - 1], codes[k + 1]
        if tag not in ("delete", "insert") or before[0] != "equal" or after[0] != "equal":
            continue
        seq, lo, hi = (a, i1, i2) if tag == "delete" else (b, j1, j2)
        before_len, after_len = before[2] - before[1], after[2] - after[1]
        back = 0
        while back < before_len and seq[lo - 1 - back] == seq[hi - 1 - back]:
            back += 1
        forward = 0
        while forward < after_len and seq[lo + forward] == seq[hi + forward]:
            forward += 1
        LINE_MAP_WORK[0] += back + forward
        shift = forward if before_len + forward >= after_len + back else -back
        if not shift:
            continue
        codes[k - 1] = ("equal", before[1], before[2] + shift, before[3], before[4] + shift)
        codes[k] = (tag, i1 + shift, i2 + shift, j1 + shift, j2 + shift)
        codes[k + 1] = ("equal", after[1] + shift, after[2], after[3] + shift, after[4])


def _matching_blocks(
    a: Sequence[str],
    b: Sequence[str],
    alo: int,
    ahi: int,
    blo: int,
    bhi: int,
    depth: int,
    out: List[Tuple[int, int, int]],
) -> None:
    """Append the equal blocks of ``a[alo:ahi]`` and ``b[blo:bhi]``, in order: the common head
    and tail, then lines unique on both sides as anchors (patience diff), then difflib on
    regions small enough, else a windowed greedy match (linear)."""
    shorter = min(ahi - alo, bhi - blo)
    head = 0
    while head < shorter and a[alo + head] == b[blo + head]:
        head += 1
    tail = 0
    while tail < shorter and a[ahi - 1 - tail] == b[bhi - 1 - tail]:
        tail += 1
    LINE_MAP_WORK[0] += head + tail + 1
    if head + tail > shorter:
        tail = shorter - head  # they overlap: ``_slide`` puts the slack where difflib does
    if head:
        out.append((alo, blo, head))
        alo, blo = alo + head, blo + head
    ahi, bhi = ahi - tail, bhi - tail
    if alo < ahi and blo < bhi:
        if (ahi - alo) * (bhi - blo) <= _SMALL_REGION:
            LINE_MAP_WORK[0] += (ahi - alo) * (bhi - blo)
            matcher = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
            out.extend((alo + i, blo + j, n) for i, j, n in matcher.get_matching_blocks() if n)
        elif depth < _ANCHOR_DEPTH and _anchored(a, b, alo, ahi, blo, bhi, depth, out):
            pass
        else:
            _windowed(a, b, alo, ahi, blo, bhi, out)
    if tail:
        out.append((ahi, bhi, tail))


def _anchored(
    a: Sequence[str],
    b: Sequence[str],
    alo: int,
    ahi: int,
    blo: int,
    bhi: int,
    depth: int,
    out: List[Tuple[int, int, int]],
) -> bool:
    """Patience: the longest increasing run of lines that occur once in each side; recurse
    between them. False when there is no such line."""
    import bisect

    LINE_MAP_WORK[0] += (ahi - alo) + (bhi - blo)
    count_a: Dict[str, int] = {}
    for i in range(alo, ahi):
        count_a[a[i]] = count_a.get(a[i], 0) + 1
    where_b: Dict[str, int] = {}
    twice = set()
    for j in range(blo, bhi):
        line = b[j]
        if count_a.get(line) == 1:
            if line in where_b:
                twice.add(line)
            where_b[line] = j
    pairs = [
        (i, where_b[a[i]]) for i in range(alo, ahi) if count_a[a[i]] == 1 and a[i] in where_b and a[i] not in twice
    ]
    if not pairs:
        return False
    # Longest increasing subsequence of the b positions (patience sorting), O(k log k).
    tops: List[int] = []
    top_index: List[int] = []
    back: List[int] = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pile = bisect.bisect_left(tops, j)
        if pile == len(tops):
            tops.append(j)
            top_index.append(k)
        else:
            tops[pile] = j
            top_index[pile] = k
        back[k] = top_index[pile - 1] if pile else -1
    LINE_MAP_WORK[0] += len(pairs) * max(1, len(tops).bit_length())
    chain = []
    k = top_index[-1]
    while k != -1:
        chain.append(pairs[k])
        k = back[k]
    chain.reverse()
    i, j = alo, blo
    for ai, bj in chain:
        _matching_blocks(a, b, i, ai, j, bj, depth + 1, out)
        out.append((ai, bj, 1))
        i, j = ai + 1, bj + 1
    _matching_blocks(a, b, i, ahi, j, bhi, depth + 1, out)
    return True


def _windowed(
    a: Sequence[str], b: Sequence[str], alo: int, ahi: int, blo: int, bhi: int, out: List[Tuple[int, int, int]]
) -> None:
    """Walk both sides: equal lines match; at a difference, resume at the nearest pair of
    equal lines within ``_WINDOW`` lines ahead (fewest lines skipped), else skip a window."""
    i, j = alo, blo
    while i < ahi and j < bhi:
        if a[i] == b[j]:
            start_i, start_j = i, j
            while i < ahi and j < bhi and a[i] == b[j]:
                i += 1
                j += 1
            LINE_MAP_WORK[0] += i - start_i
            out.append((start_i, start_j, i - start_i))
            continue
        LINE_MAP_WORK[0] += 2 * _WINDOW
        first_b: Dict[str, int] = {}
        for q in range(j, min(bhi, j + _WINDOW)):
            first_b.setdefault(b[q], q)
        best: Optional[Tuple[int, int, int]] = None
        for p in range(i, min(ahi, i + _WINDOW)):
            q = first_b.get(a[p])
            if q is not None and (best is None or (p - i) + (q - j) < best[0]):
                best = ((p - i) + (q - j), p, q)
        if best is None:
            i, j = min(ahi, i + _WINDOW), min(bhi, j + _WINDOW)
        else:
            i, j = best[1], best[2]
