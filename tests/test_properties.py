"""Property tests: generated programs (hypothesmith), and generated programs with HTTP calls
spliced in by our own strategy (the call patterns the codemods target, in random statement
contexts). The engine never raises, every output re-parses, the code outside the rewritten
statements is unchanged, a second run is a no-op, and the prefilter's ``ast`` stage is sound
(what it rejects produces no site and no change when forced through libcst).

CI runs a fixed seed (``derandomize=True``) and a modest number of examples; set
``HTTP_CODEMODS_FUZZ_EXAMPLES=2000`` (and optionally ``HTTP_CODEMODS_FUZZ_RANDOM=1`` for fresh
seeds) for a long run.
"""

from __future__ import annotations

import ast
import functools
import os
import textwrap
import warnings

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from codemods import engine, prefilter, registry
from codemods.prefilter import Verdict

LONG = int(os.environ.get("HTTP_CODEMODS_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=LONG or 6,
    derandomize=not os.environ.get("HTTP_CODEMODS_FUZZ_RANDOM"),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
ALL = tuple(c.NAME for c in registry.CODEMODS)
DEFAULT = tuple(registry.default_names())

IMPORTS = (
    "import requests\nimport httpx\nimport aiohttp\nimport urllib.request\nimport urllib3\n"
    "from requests import get as fetch\n"
)

#: (sync?, statements using the name ``u``): what the codemods target.
PATTERNS = [
    (
        True,
        "r = requests.get(u, stream=True)\nif r.status_code != 200:\n    return_value = None\nelse:\n    data = r.raw.read(2)",
    ),
    (True, "r = requests.get(u, stream=True)\nfor chunk in r.iter_content(10):\n    print(chunk)"),
    (True, "data = urllib.request.urlopen(u).read()"),
    (True, "print(requests.get(u).status_code)"),
    (True, "requests.post(u, json={'a': 1})"),
    (True, "x = fetch(u).json()"),
    (True, "s = requests.Session()\ns.get(u)\nprint(s.headers)"),
    (True, "s = requests.Session()\nr = s.get(u, stream=True)\nprint(r.headers)"),
    (True, "c = httpx.Client()\nprint(c.get(u).text)"),
    (
        True,
        "c = httpx.Client()\nreq = c.build_request('GET', u)\nresp = c.send(req, stream=True)\nprint(resp.status_code)",
    ),
    (True, "pool = urllib3.PoolManager()\nresp = pool.request('GET', u, preload_content=False)\nprint(resp.status)"),
    (True, "r = requests.get(u, stream=True)\nkeep.append(r)"),  # reported, not rewritten
    (True, "f = lambda: requests.get(u, stream=True)"),
    (True, "rs = [requests.get(v, stream=True) for v in u]"),
    (False, "session = aiohttp.ClientSession()\nresp = await session.get(u)\nprint(resp.status)"),
    (
        False,
        "async with aiohttp.ClientSession() as session:\n    resp = await session.get(u)\n    print(await resp.text())",
    ),
    (False, "c = httpx.AsyncClient()\nprint((await c.get(u)).status_code)"),
]


def _indent(code: str, level: int) -> str:
    return textwrap.indent(code, "    " * level)


@st.composite
def http_snippet(draw) -> str:
    """One pattern in a random statement context (module level only for sync patterns)."""
    sync, body = draw(st.sampled_from(PATTERNS))
    contexts = ["def", "method", "nested", "if", "for", "while", "try", "with", "async def"]
    if sync:
        contexts.append("module")
    context = draw(st.sampled_from(contexts if sync else ["async def", "async method"]))
    if context == "module":
        return body + "\n"
    if context == "def":
        return "def fn(u, keep):\n" + _indent(body, 1) + "\n"
    if context == "async def":
        return "async def fn(u, keep):\n" + _indent(body, 1) + "\n"
    if context in ("method", "async method"):
        kw = "async def" if context == "async method" else "def"
        return f"class K:\n    {kw} m(self, u, keep):\n" + _indent(body, 2) + "\n"
    if context == "nested":
        return "def outer(u, keep):\n    def inner():\n" + _indent(body, 2) + "\n    return inner\n"
    head = {
        "if": "if u:",
        "for": "for v in range(3):",
        "while": "while u:",
        "with": "with open(u) as fh:",
        "try": "try:",
    }[context]
    tail = "\nexcept Exception:\n    pass" if context == "try" else ("\n    break" if context == "while" else "")
    return "def fn(u, keep):\n" + _indent(head + "\n" + _indent(body, 1) + tail, 1) + "\n"


@functools.lru_cache(maxsize=None)
def _generated() -> st.SearchStrategy[str]:
    # Built once: from_grammar() compiles Python's grammar into a lark parser on every call
    # (about 2 s), and spliced_program draws from it once per example.
    return hypothesmith.from_grammar().map(lambda code: code if code.endswith("\n") else code + "\n")


@st.composite
def spliced_program(draw):
    """(program, generated part): imports, generated code, HTTP snippets before/after it."""
    generated = draw(_generated())
    snippets = draw(st.lists(http_snippet(), min_size=1, max_size=3))
    before = draw(st.integers(0, len(snippets)))
    program = (
        IMPORTS
        + "".join(s + "\n" for s in snippets[:before])
        + generated
        + "\n"
        + "".join("\n" + s for s in snippets[before:])
    )
    return program, generated


def _parses(code: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(code)
        cst.parse_module(code)
        return True
    except Exception:
        return False


def _run(code: str, codemods=DEFAULT) -> engine.FileResult:
    settings_ = engine.Settings(codemods=tuple(codemods), mode=engine.CHECK)
    result = engine.process_source(code.encode("utf-8"), "generated.py", settings_)
    if result.status == engine.ERROR:
        # Only a file libcst cannot read may fail, never a codemod.
        assert "internal error" not in (result.error or ""), result.error
        assert not _parses(code), result.error
    return result


def _dumps(code: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [ast.dump(node) for node in ast.parse(code).body]


def _is_subsequence(needles, haystack) -> bool:
    it = iter(haystack)
    return all(any(n == h for h in it) for n in needles)


def _forced(monkeypatch):
    """Bypass the prefilter: every codemod sees every file."""
    monkeypatch.setattr(engine, "screen", lambda data, words=(), *rest: Verdict(True, None, prefilter.too_deep(data)))


@FUZZ
@given(code=_generated())
def test_generated_programs_never_break_the_engine(code):
    assume(_parses(code))
    for codemods in (DEFAULT, ALL):
        result = _run(IMPORTS + code, codemods)
        assert result.status in (engine.SKIPPED, engine.UNCHANGED, engine.CHANGED)


@FUZZ
@given(code=_generated())
def test_prefilter_is_sound_on_generated_programs(code):
    """hypothesmith programs name no target: the prefilter skips them, and forcing them
    through every codemod finds nothing (checked by hand-patching the engine's screen)."""
    assume(_parses(code))
    data = (IMPORTS + code).encode()
    verdict = prefilter.screen(data)
    original = engine.screen
    engine.screen = lambda data, words=(), *rest: Verdict(True, None, prefilter.too_deep(data))
    try:
        forced = engine.process_source(data, "generated.py", engine.Settings(codemods=ALL, mode=engine.CHECK))
    finally:
        engine.screen = original
    if not verdict.candidate:
        assert forced.status != engine.CHANGED and forced.sites == [], (verdict, forced.sites)
    elif verdict.kinds is not None:
        for name in ALL:
            if not prefilter.relevant(name, verdict.kinds):
                assert not [s for s in forced.sites if s.codemod == name], (name, verdict.kinds)


@FUZZ
@given(case=spliced_program())
def test_spliced_programs(case):
    program, generated = case
    assume(_parses(program))
    result = _run(program)
    assert result.status in (engine.UNCHANGED, engine.CHANGED)
    if result.status != engine.CHANGED:
        return
    new = result.new_text
    assert _parses(new), new
    # The generated statements (no HTTP name in them) come through unchanged and in order.
    assert _is_subsequence(_dumps(generated), _dumps(new))
    # Idempotent: a second run changes nothing and fixes nothing.
    again = _run(new)
    assert again.status in (engine.UNCHANGED, engine.SKIPPED), again.diff
    assert not again.fixed


@FUZZ
@given(snippets=st.lists(http_snippet(), min_size=1, max_size=4))
def test_prefilter_per_codemod_soundness_on_spliced_snippets(snippets):
    """A codemod the ast stage rules out finds nothing when forced to run."""
    program = IMPORTS + "\n".join(snippets)
    assume(_parses(program))
    kinds = prefilter.target_kinds(program.encode())
    assert kinds  # every snippet names a target
    original = engine.screen
    engine.screen = lambda data, words=(), *rest: Verdict(True, None, None)
    try:
        for name in ALL:
            forced = engine.process_source(
                program.encode(), "s.py", engine.Settings(codemods=(name,), mode=engine.CHECK)
            )
            if not prefilter.relevant(name, kinds):
                assert forced.sites == [] and forced.status != engine.CHANGED, (name, kinds, forced.sites)
    finally:
        engine.screen = original


@pytest.mark.parametrize(
    "source",
    [
        # Python 3.12+ syntax: ast on 3.11 cannot parse it; the file must reach libcst.
        "import requests\ntype Alias = int\n\ndef f[T](u: T):\n    r = requests.get(u, stream=True)\n    return r.status_code\n",
        # PEP 701: the same quote inside an f-string replacement field (3.12+).
        "import requests\nx = f'{requests.get(u, stream=True).headers['a']}'\n",
    ],
)
def test_syntax_ast_cannot_read_still_reaches_libcst(source):
    verdict = prefilter.screen(source.encode())
    assert verdict.candidate and verdict.kinds is None


#: Functions with no HTTP call, some sharing names with the snippets: what hiding hides.
PLAIN_FUNCTIONS = [
    "def helper(x):\n    r = x\n    return r\n",
    "def uses_global():\n    return r.status_code\n",
    "def rebinds():\n    global requests\n    requests = None\n",
    "def session_user():\n    _session = 1\n    response = 2\n    return _session + response\n",
    "class Plain:\n    def method(self, keep):\n        keep.append(1)\n        return keep\n",
    "def environment():\n    import os\n    os.environ['X'] = '1'\n",
    "def nested():\n    def inner(u):\n        return u\n    return inner\n",
    "async def coroutine(u):\n    return u\n",
]


@settings(FUZZ, max_examples=LONG or 40)
@given(
    snippets=st.lists(http_snippet(), min_size=1, max_size=3),
    plain=st.lists(st.sampled_from(PLAIN_FUNCTIONS), min_size=1, max_size=4),
    order=st.randoms(use_true_random=False),
)
def test_hiding_functions_changes_nothing(snippets, plain, order):
    """The same status, sites and output with and without prune.py's hiding."""
    parts = snippets + plain
    order.shuffle(parts)
    program = IMPORTS + "\n".join(parts)
    assume(_parses(program))
    results = []
    for hide in (True, False):
        settings_ = engine.Settings(codemods=ALL, mode=engine.CHECK, hide_functions=hide)
        results.append(engine.process_source(program.encode(), "p.py", settings_))
    hidden, shown = results
    assert (hidden.status, hidden.sites, hidden.new_text) == (shown.status, shown.sites, shown.new_text)
