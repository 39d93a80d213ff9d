"""The screening regexes are written literal first (``from(?<=\\bfrom)`` for ``\\bfrom``):
the regex engine then skips to each literal instead of trying a word boundary at every
position. They must find exactly what the ``\\b``-first spelling finds."""

import re

import pytest

from codemods import prefilter, style
from codemods.facts import names, screen

SAMPLES = [
    b"",
    b"from a.b import c, d as e\nimport requests\n",
    b"xfrom a import b\n_from x import y\nfrom . import z\nfrom .. import (p,\n q)\n",
    b"requests.get(u)\nmyrequests.get(u)\nrequests_x = 1\nhttpx.Client()\n_httpx = 2\nhttpxx\n",
    b"def f(): pass\nundef g\ndef\th(): pass\n_def x\nasync def _k(): pass\n",
    b"_x = 1\na_x = 2\nself._y: int = 3\n__z == 4\n_w=5\n",
    b"sys.path.insert(0, p)\nmysys.path[0]\nsys.path += [p]\nsite.addsitedir(d)\nxaddsitedir(d)\n",
    b"import os, requests.adapters\nreimport requests\nimport\\\n  httpx\n",
    b"from requests import *\nfrom requests.adapters import HTTPAdapter\nxfrom httpx import Client\n",
]

REGEXES = [
    (style._FROM_IMPORT, rb"\bfrom\s+(\.*[\w.]*)\s+import\s+(\([^)]*\)|[^\n#;]*)"),
    (screen._LIBRARY_WORD, rb"\b(requests|httpx)\b"),
    (screen._DEF_NAME, rb"\bdef[ \t]+(\w+)"),
    (screen._PRIVATE_ASSIGN, rb"\b(_\w+)[ \t]*(?::[^=\n]*)?=(?!=)"),
    (names._SYS_PATH, rb"\bsys\.path\s*(?:\.\s*(?:insert|append|extend)\s*\(|\[|\+?=[^=])|\baddsitedir\s*\("),
    (prefilter._IMPORT, prefilter._IMPORT.pattern.replace(rb"import(?<=\bimport)", rb"\bimport", 1)),
    (prefilter._FROM, prefilter._FROM.pattern.replace(rb"from(?<=\bfrom)", rb"\bfrom", 1)),
]


@pytest.mark.parametrize("fast, plain", REGEXES, ids=[r.pattern[:20].decode() for r, _ in REGEXES])
def test_literal_first_finds_what_the_boundary_first_finds(fast, plain):
    reference = re.compile(plain)
    assert reference.pattern != fast.pattern
    for data in SAMPLES:
        got = [(m.span(), m.groups()) for m in fast.finditer(data)]
        want = [(m.span(), m.groups()) for m in reference.finditer(data)]
        assert got == want, data


def test_samples_exercise_both_sides_of_the_boundary():
    # Each regex matches somewhere and misses the same word glued to a longer one.
    for fast, _ in REGEXES:
        assert any(fast.search(data) for data in SAMPLES), fast.pattern
    assert screen._LIBRARY_WORD.findall(SAMPLES[3]) == [b"requests", b"httpx"]
    assert screen._DEF_NAME.findall(SAMPLES[4]) == [b"f", b"h", b"_k"]
    assert style._FROM_IMPORT.findall(SAMPLES[2])[0][0] == b"."


@pytest.mark.parametrize(
    "data",
    SAMPLES
    + [
        b"import importlib\nm = importlib.import_module('x')\n",
        b"x = __import__ ('y')\n",
        b"def __getattr__(name):\n    pass\n",
        b"async def __getattr__(name): ...\n",
        b"class A:\n    def __getattr__(self, n): ...\n",  # indented: not the module's
        b"import_module = 1\n__import__\n",  # the words without a call
    ],
)
def test_dynamic_guard_is_the_regex(data):
    assert screen._dynamic(data) == (screen._DYNAMIC_IMPORT.search(data) is not None)


def test_dynamic_guard_words_are_needed_by_every_alternative():
    # Each alternative of the regex names one of the guard's words (a new alternative needs one).
    for alternative in screen._DYNAMIC_IMPORT.pattern.split(b"|"):
        assert any(word in alternative.replace(b"\\", b"") for word in screen._DYNAMIC_WORDS), alternative


@pytest.mark.parametrize("data", SAMPLES + [b"import sys\nsys.path [0:0] = [p]\n", b"sys . path.append(p)\n"])
def test_sys_path_guard_is_the_regex(data):
    assert names.changes_sys_path("/p/mod.py", data) == (names._SYS_PATH.search(data) is not None)
