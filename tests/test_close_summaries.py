"""The closing codemods read the methods of the caller's class (``self._m(r)``) and say which
calls keep nothing (``closing/summaries.py``); whether a subclass may override a method is a
project fact (``ProjectFacts.members``). Each case runs the engine over a file of a small
project, with the facts of that project."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from codemods import engine, facts
from codemods.base import Site
from tests.helpers import write

MAIN = "pkg/main.py"


def run(tmp_path: Path, files: Dict[str, str], select=("close-response",), unsafe=False) -> Tuple[str, List[Site]]:
    root = write(tmp_path / "proj", {"pyproject.toml": "", "pkg/__init__.py": "", **files})
    paths = sorted(str(p) for p in root.rglob("*.py"))
    found = facts.collect(paths, [str(root)])
    path = str(root / MAIN)
    settings = engine.Settings(codemods=tuple(select), mode=engine.CHECK, facts=found, unsafe_fixes=unsafe)
    source = (root / MAIN).read_text()
    result = engine.process_source(source.encode(), path, settings)
    assert result.status != engine.ERROR, result.error
    return (result.new_text if result.status == engine.CHANGED else source), result.sites


def fixed(tmp_path: Path, main: str, **others: str) -> str:
    new, sites = run(tmp_path, {MAIN: main, **others})
    assert [s.action for s in sites] == ["fixed"], [(s.action, s.reason) for s in sites]
    return new


def reported(tmp_path: Path, main: str, reason: str, **others: str) -> None:
    new, sites = run(tmp_path, {MAIN: main, **others})
    assert new == textwrap.dedent(main)
    found = [s.reason for s in sites if s.action == "reported"]
    assert found and any(reason in r for r in found), found


STATIC = """
    import requests

    class Room:
        @staticmethod
        def _read_bounded(r, max_bytes):
            chunks = []
            total = 0
            for chunk in r.iter_content(chunk_size=8192):
                total += len(chunk)
                if total > max_bytes:
                    return None
                chunks.append(chunk)
            return b"".join(chunks)

        def post(self, url):
            r = requests.post(url, stream=True)
            body = self._read_bounded(r, 100)
            if body is None:
                return False
            return r.status_code == 200 and len(body) > 2
"""


def test_a_private_static_method_that_keeps_nothing_is_read(tmp_path):
    new = fixed(tmp_path, STATIC)
    assert "        with requests.post(url, stream=True) as r:\n            body = self._read_bounded(r, 100)" in new


def test_private_instance_and_class_methods_are_read(tmp_path):
    new = fixed(
        tmp_path,
        """
        import logging
        import requests

        log = logging.getLogger(__name__)

        class Client:
            def _check(self, resp, what):
                if resp.status_code != 200:
                    log.warning("%s: %s", what, resp.status_code)
                return self._etag(resp=resp)

            @classmethod
            def _etag(cls, resp):
                return resp.headers.get("etag")

            def fetch(self, u):
                r = requests.get(u, stream=True)
                etag = self._check(r, "fetch")
                data = r.json()
                return etag, data
        """,
    )
    assert "with requests.get(u, stream=True) as r:" in new


def test_a_method_another_module_of_the_project_defines_again_is_an_unsafe_fix(tmp_path):
    # Which class defines the other ``_read_bounded`` the facts do not say: here a subclass
    # that keeps the response (the hazard), in the usual case a sibling class.
    other = "from pkg.main import Room\n\nclass Mine(Room):\n    def _read_bounded(self, r, n):\n        return r\n"
    reported(tmp_path, STATIC, "passed to `self._read_bounded`", **{"pkg/other.py": other})
    new, sites = run(tmp_path, {MAIN: STATIC, "pkg/other.py": other})
    assert "`_read_bounded` is defined again in the project" in sites[0].reason
    new, sites = run(tmp_path, {MAIN: STATIC, "pkg/other.py": other}, unsafe=True)
    assert [s.action for s in sites] == ["fixed"]
    assert "with requests.post(url, stream=True) as r:" in new


SIBLINGS = """
    import requests

    class Studio:
        def _process(self, response):
            try:
                data = response.json()
            except Exception as e:
                raise RuntimeError(f"no JSON: {e} {response.text}")
            return data["choices"][0]

        def call(self, u):
            response = requests.get(u, stream=True)
            completion = self._process(response)
            return completion

    class Cloud:
        def _process(self, response):
            return response.json()["text"]

        def call(self, u):
            response = requests.get(u, stream=True)
            completion = self._process(response)
            return completion
"""


def test_sibling_classes_no_class_derives_from_are_read_as_their_own_methods(tmp_path):
    # langchain's SambaStudio / SambaNovaCloud: each class reads its own ``_process_response``;
    # the result returned is data read from the response. No class of the project names either
    # among its bases: ``self`` is a ``Studio`` (or ``Cloud``), whose own ``def`` is reached.
    new, sites = run(tmp_path, {MAIN: SIBLINGS})
    assert [s.action for s in sites] == ["fixed", "fixed"], [s.reason for s in sites]
    assert all(not s.hazard for s in sites)
    assert (
        new.count("with requests.get(u, stream=True) as response:\n            completion = self._process(response)")
        == 2
    )


@pytest.mark.parametrize(
    "other",
    [
        "from pkg.main import Cloud, Studio\n\nclass Both(Cloud, Studio):\n    pass\n",
        "from pkg import main\n\nclass Both(\n    main.Cloud,\n    main.Studio,\n):\n    pass\n",
        "from pkg.main import Cloud, Studio\n\nOldCloud = Cloud\nOldStudio = Studio\n",
        "from pkg.main import Cloud, Studio\n\nBoth = type('Both', (Cloud, Studio), {})\n",
        "from pkg import main\n\nclass Both(*main.BASES):\n    pass\n",
        "from pkg import main\n\nclass Both(main.bases()):\n    pass\n",
    ],
)
def test_sibling_classes_a_class_of_the_project_may_derive_from_are_unsafe_fixes(tmp_path, other):
    # ``class Both(Cloud, Studio)`` (in another module): a ``Both``'s ``self._process`` in
    # ``Studio.call`` is ``Cloud._process``, a sibling's method. An alias or a class made at
    # run time may be derived from the same way.
    files = {MAIN: SIBLINGS, "pkg/other.py": other}
    new, sites = run(tmp_path, files)
    assert new == textwrap.dedent(SIBLINGS)
    assert [s.action for s in sites] == ["reported", "reported"], [s.reason for s in sites]
    for site in sites:
        assert "passed to `self._process`" in site.reason and "which keeps nothing of it" in site.reason
        assert "`_process` is defined again in the project" in site.reason
        assert site.hazard.startswith("`_process` is defined again in the project; safe unless"), site.hazard
    new, sites = run(tmp_path, files, unsafe=True)
    assert [s.action for s in sites] == ["fixed", "fixed"]
    assert (
        new.count("with requests.get(u, stream=True) as response:\n            completion = self._process(response)")
        == 2
    )


def test_a_subclass_of_one_sibling_leaves_the_other_read(tmp_path):
    other = "from pkg.main import Studio\n\nclass Mine(Studio):\n    pass\n"
    new, sites = run(tmp_path, {MAIN: SIBLINGS, "pkg/other.py": other})
    assert [s.action for s in sites] == ["reported", "fixed"], [s.reason for s in sites]
    assert "`_process` is defined again in the project" in sites[0].reason


def test_a_public_sibling_method_no_class_derives_from_is_an_unsafe_fix(tmp_path):
    source = SIBLINGS.replace("_process", "process")
    new, sites = run(tmp_path, {MAIN: source})
    assert new == textwrap.dedent(source)
    assert [s.action for s in sites] == ["reported", "reported"], [s.reason for s in sites]
    assert all(s.hazard.startswith("a subclass outside the project may override `process`") for s in sites)
    new, sites = run(tmp_path, {MAIN: source}, unsafe=True)
    assert [s.action for s in sites] == ["fixed", "fixed"]


def test_subclass_names_read_bases_aliases_and_classes_made_at_run_time():
    from codemods.facts.screen import subclass_names

    data = b"class D(C, mod.E, metaclass=M):\n    x = 1\nA = pkg.B  # old name\nK = type('K', (Z,), {})\nq == r\n"
    assert {b"C", b"mod", b"E", b"M", b"B", b"Z"} <= subclass_names(data)
    assert not {b"D", b"A", b"r", b"q", b"*"} & subclass_names(data)
    assert b"*" in subclass_names(b"class D(*BASES):\n    pass\n")
    assert b"*" in subclass_names(b"class D(with_metaclass(M, B)):\n    pass\n")
    assert b"*" not in subclass_names(b"class D(B, **options):\n    pass\n")


def test_a_subclass_of_the_module_binding_the_method_again_is_reported(tmp_path):
    source = (
        SIBLINGS
        + """
    class Keeper(Studio):
        def _process(self, response):
            return response
"""
    )
    new, sites = run(tmp_path, {MAIN: source}, unsafe=True)
    assert [s.action for s in sites] == ["reported", "fixed"], [s.reason for s in sites]
    assert "is returned at" in sites[0].reason
    assert new.count("as response:") == 1


def test_a_method_defined_again_and_replaced_from_outside_is_not_read(tmp_path):
    other = "from unittest import mock\n\n@mock.patch('pkg.main.Cloud._process')\ndef test(m):\n    pass\n"
    new, sites = run(tmp_path, {MAIN: SIBLINGS, "tests/test_room.py": other}, unsafe=True)
    assert new == textwrap.dedent(SIBLINGS)
    assert [s.action for s in sites] == ["reported", "reported"]
    assert all("is returned at" in s.reason for s in sites), [s.reason for s in sites]


def test_a_private_method_assigned_anywhere_in_the_project_is_not_read(tmp_path):
    other = "from pkg.main import Room\n\nRoom._read_bounded = staticmethod(lambda r, n: r)\n"
    reported(tmp_path, STATIC, "passed to `self._read_bounded`", **{"pkg/other.py": other})
    other = "def patch(room):\n    setattr(room, '_read_bounded', print)\n"
    reported(tmp_path, STATIC, "passed to `self._read_bounded`", **{"pkg/other.py": other})
    # a test's MagicMock keeps what it is called with (``call_args``)
    other = "from unittest import mock\n\n@mock.patch('pkg.main.Room._read_bounded')\ndef test(m):\n    pass\n"
    reported(tmp_path, STATIC, "passed to `self._read_bounded`", **{"tests/test_room.py": other})


def test_a_method_that_keeps_the_response_is_an_escape(tmp_path):
    reported(
        tmp_path,
        """
        import requests

        class A:
            def _keep(self, resp):
                self.last = resp

            def f(self, u):
                r = requests.get(u, stream=True)
                self._keep(r)
                return r.json()
        """,
        "passed to `self._keep`",
    )


def test_decorated_rebound_or_mismatched_receivers_are_not_read(tmp_path):
    body = "        return resp.status_code\n"
    cases = [
        # another decorator may wrap what it is given
        ("    @functools.lru_cache\n    def _m(self, resp):\n" + body, "self._m(r)", "self"),
        # a plain function read through the class: ``r`` would bind ``self``
        ("    def _m(self, resp):\n" + body, "cls._m(r)", "cls"),
        # the class binds the name twice
        ("    def _m(self, resp):\n" + body + "    _m = print\n", "self._m(r)", "self"),
        # not the method's own receiver
        ("    def _m(self, resp):\n" + body, "other._m(r)", "self, other"),
    ]
    for method, call, params in cases:
        deco = "    @classmethod\n" if params == "cls" else ""
        source = (
            "import functools\nimport requests\n\nclass A:\n"
            + method
            + f"\n{deco}    def f({params}, u=None):\n        r = requests.get(u, stream=True)\n"
            + f"        {call}\n        return r.json()\n"
        )
        new, sites = run(tmp_path, {MAIN: source})
        assert new == source, call
        assert [s.action for s in sites] == ["reported"], (call, [(s.action, s.reason) for s in sites])


def test_self_rebound_in_the_caller_is_not_read(tmp_path):
    reported(
        tmp_path,
        """
        import requests

        class A:
            def _m(self, resp):
                return resp.status_code

            def f(self, u, other):
                self = other
                r = requests.get(u, stream=True)
                self._m(r)
                return r.json()
        """,
        "passed to `self._m`",
    )


PUBLIC = """
    import requests

    class Api:
        def download_needed(self, response, outfile):
            return response.headers.get("Length") != outfile

        def download(self, url, outfile):
            r = requests.get(url, stream=True)
            if not self.download_needed(r, outfile):
                return None
            return r.json()
"""


def test_a_public_method_that_keeps_nothing_is_an_unsafe_fix(tmp_path):
    new, sites = run(tmp_path, {MAIN: PUBLIC})
    assert new == textwrap.dedent(PUBLIC)
    [site] = sites
    assert site.action == "reported"
    assert "a subclass outside the project may override `download_needed`" in site.reason
    assert "which keeps nothing of it" in site.reason
    new, sites = run(tmp_path, {MAIN: PUBLIC}, unsafe=True)
    assert [s.action for s in sites] == ["fixed"]
    assert "with requests.get(url, stream=True) as r:" in new


def test_without_project_facts_no_method_is_read():
    from tests.helpers import transform

    new, sites = transform(STATIC, ["close-response"])
    assert [s.action for s in sites] == ["reported"]


def test_member_names_count_defs_and_private_assignments():
    from codemods.facts.screen import member_names

    data = b"class A:\n    def _m(self): pass\n    def get(self): pass\ndef get(): pass\n"
    data += b"x._n = 1\n    _o: int = 2\nsetattr(y, '_p', 3)\nif a._q == 1: pass\n"
    data += b"mock.patch.object(A, '_r')\nmock.patch('pkg.mod.A._s')\n"
    found = dict(member_names(data))
    assert {k: v for k, v in found.items() if not k.startswith((".", "("))} == {
        "_m": 1,
        "get": 2,
        "_n": 2,
        "_o": 2,
        "_p": 2,
        "_r": 2,
        "_s": 2,
    }
    # what may replace a module-level def from outside: stores, setattr, mocks (``STORED``)
    assert {k for k in found if k.startswith(".")} == {"._n", "._p", "._r", "._s"}
    # names a class of which may be derived from (``SUBCLASSED``): here the values stored
    assert {k for k in found if k.startswith("(")} == {"(1", "(2"}
    public = b"util.check = keep\nmonkeypatch.setattr(util, 'load', fake)\npatch('pkg.util.parse')\n"
    assert {k for k, _ in member_names(public) if k.startswith(".")} == {".check", ".load", ".parse"}
    assert not any(k.startswith(".") for k, _ in member_names(b"def check(self): pass\nif a.check == 1: pass\n"))


# -- functions of other modules of the project (foreign.py) -----------------------------------

READER = """
    def read_bounded_response(r, max_bytes, chunk_size=65536):
        chunks = []
        total = 0
        for chunk in r.iter_content(chunk_size=chunk_size):
            total += len(chunk)
            if total > max_bytes:
                return None
            chunks.append(chunk)
        print(r.status_code)
        return b"".join(chunks)
"""

IMPORTER = """
    import requests

    from .utils.http import read_bounded_response
    from pkg.utils import http


    def f(u):
        r = requests.get(u, stream=True)
        body = read_bounded_response(r, 10)
        return r.status_code, len(body)


    def g(u):
        r = requests.get(u, stream=True)
        body = http.read_bounded_response(r, 10)
        return r.status_code, len(body)
"""


def test_a_function_of_another_module_of_the_project_is_read(tmp_path):
    files = {MAIN: IMPORTER, "pkg/utils/__init__.py": "", "pkg/utils/http.py": READER}
    new, sites = run(tmp_path, files)
    assert [s.action for s in sites] == ["fixed", "fixed"], [s.reason for s in sites]
    assert new.count("with requests.get(u, stream=True) as r:") == 2


def test_another_modules_function_that_keeps_it_or_is_not_plain_is_an_escape(tmp_path):
    for text in (
        READER.replace("print(r.status_code)", "KEEP.append(r)"),
        READER.replace("print(r.status_code)", "other_module_helper(r)"),  # no chains across modules
        "import functools\n\n@functools.cache\n" + textwrap.dedent(READER),
        textwrap.dedent(READER) + "\nread_bounded_response = print\n",
    ):
        files = {MAIN: IMPORTER, "pkg/utils/__init__.py": "", "pkg/utils/http.py": text}
        new, sites = run(tmp_path, files)
        assert new == textwrap.dedent(IMPORTER), text
        assert [s.action for s in sites] == ["reported", "reported"], text
        assert all("read_bounded_response`" in s.reason for s in sites), [s.reason for s in sites]


def test_a_module_outside_the_project_or_not_imported_is_not_read(tmp_path):
    # ``http`` resolves to no file of the project: the standard library's, say.
    source = IMPORTER.replace("from pkg.utils import http", "import http.client as http")
    new, sites = run(tmp_path, {MAIN: source, "pkg/utils/__init__.py": "", "pkg/utils/http.py": READER})
    assert [s.action for s in sites] == ["fixed", "reported"]


def test_the_cached_result_changes_when_the_other_module_changes(tmp_path):
    from click.testing import CliRunner

    from codemods.cli import command

    root = write(
        tmp_path / "proj",
        {"pyproject.toml": "", "pkg/__init__.py": "", MAIN: IMPORTER, "pkg/utils/__init__.py": ""},
    )
    reader = root / "pkg" / "utils" / "http.py"
    args = ["--check", "--select", "close-response", "-j", "1", "--cache-dir", str(tmp_path / "cache"), str(root)]

    def fixed_count():
        result = CliRunner().invoke(command, args)
        assert "0 errors" in result.output, result.output
        return result.output.count("sites fixed"), result.output

    reader.write_text(textwrap.dedent(READER))
    first = CliRunner().invoke(command, args).output
    assert "2 sites fixed" in first, first
    assert "2 sites fixed" in CliRunner().invoke(command, args).output  # a hit, the same
    reader.write_text(textwrap.dedent(READER).replace("print(r.status_code)", "KEEP.append(r)"))
    after = CliRunner().invoke(command, args).output
    assert "0 sites fixed" in after and "2 left for review" in after, after
    reader.write_text(textwrap.dedent(READER))
    assert "2 sites fixed" in CliRunner().invoke(command, args).output


def test_import_as_and_a_module_that_does_not_parse(tmp_path):
    source = IMPORTER.replace("from pkg.utils import http", "import pkg.utils.http as http")
    files = {MAIN: source, "pkg/utils/__init__.py": "", "pkg/utils/http.py": READER}
    assert [s.action for s in run(tmp_path, files)[1]] == ["fixed", "fixed"]
    files["pkg/utils/http.py"] = textwrap.dedent(READER) + "\ndef broken(:\n"
    new, sites = run(tmp_path, files)
    assert new == textwrap.dedent(source)
    assert [s.action for s in sites] == ["reported", "reported"]


def test_a_class_method_caller_reads_cls_methods(tmp_path):
    new = fixed(
        tmp_path,
        """
        import requests

        class Api:
            @staticmethod
            def _size(resp):
                return int(resp.headers.get("content-length", 0))

            @classmethod
            def probe(cls, u):
                r = requests.get(u, stream=True)
                size = cls._size(r)
                return size, r.status_code
        """,
    )
    assert "with requests.get(u, stream=True) as r:" in new


# -- helpers that close what they are given (``HelperSummaries.closes``) -----------------------

CLOSING_READER = """
    def read_bounded_response(r, max_bytes, chunk_size=65536):
        \"\"\"Read and close a streamed response.\"\"\"
        chunks = []
        total = 0
        try:
            for chunk in r.iter_content(chunk_size=chunk_size):
                total += len(chunk)
                if total > max_bytes:
                    return None
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            r.close()
"""


def test_a_response_given_to_a_helper_that_closes_it_in_its_finally_is_already_closed(tmp_path):
    # apprise: read_bounded_response (another module) and Room._read_bounded (a static
    # method) read the stream and close it in a finally; a with would close it twice (a test
    # asserts `r.close.assert_called_once()`) and its mocks are plain Mock()s.
    files = {MAIN: IMPORTER, "pkg/utils/__init__.py": "", "pkg/utils/http.py": CLOSING_READER}
    new, sites = run(tmp_path, files)
    assert (new, sites) == (textwrap.dedent(IMPORTER), [])
    same_module = textwrap.dedent(CLOSING_READER) + textwrap.dedent(
        """
        import requests

        def f(u):
            r = requests.get(u, stream=True)
            body = read_bounded_response(r, 10)
            return r.status_code, body
        """
    )
    assert run(tmp_path / "b", {MAIN: same_module}) == (same_module, [])
    loop = STATIC.split("            total = 0\n")[1].split("        def post")[0]
    closing = "            try:\n" + "".join("    " + line + "\n" for line in loop.rstrip("\n").split("\n"))
    closing += "            finally:\n                r.close()\n\n"
    static = STATIC.replace(loop, closing)
    assert "finally:" in static and "def post" in static
    assert run(tmp_path / "c", {MAIN: static}) == (textwrap.dedent(static), [])


def test_a_helper_that_may_not_close_it_on_every_path_is_not_a_close(tmp_path):
    for text in (
        CLOSING_READER.replace("        finally:\n            r.close()\n", "        finally:\n            pass\n")
        + "    # (never closes)\n",
        CLOSING_READER.replace("chunks = []", "chunks = list(r.headers)"),  # may raise before the try
        CLOSING_READER.replace("total = 0", "total = 0\n        r = r.raw"),  # rebinds the parameter
        CLOSING_READER.replace("def read_bounded_response(", "async def read_bounded_response("),
    ):
        files = {MAIN: IMPORTER, "pkg/utils/__init__.py": "", "pkg/utils/http.py": text}
        new, sites = run(tmp_path, files)
        assert sites and all(s.action in ("fixed", "reported") for s in sites), text
        assert new != textwrap.dedent(IMPORTER) or all(s.action == "reported" for s in sites), text


def test_a_closing_helper_counts_only_when_every_path_reaches_it(tmp_path):
    # An early return before the helper leaves the response open on that path: a with, as
    # for any helper that keeps nothing (found in review: this was silently no site).
    early = textwrap.dedent(CLOSING_READER) + textwrap.dedent(
        """
        import requests

        def f(u):
            r = requests.get(u, stream=True)
            if r.status_code != 200:
                return None
            return read_bounded_response(r, 10)
        """
    )
    new, sites = run(tmp_path, {MAIN: early})
    assert [s.action for s in sites] == ["fixed"], [s.reason for s in sites]
    assert "    with requests.get(u, stream=True) as r:\n" in new


def test_a_finally_that_may_not_reach_its_close_is_no_close(tmp_path):
    one_line = CLOSING_READER.replace("        finally:\n            r.close()\n", "        finally: r.close()\n")
    late = CLOSING_READER.replace("            r.close()\n", "            print(total)\n            r.close()\n")
    for text, closed in ((one_line, True), (late, False)):
        files = {MAIN: IMPORTER, "pkg/utils/__init__.py": "", "pkg/utils/http.py": text}
        new, sites = run(tmp_path, files)
        assert (sites == []) is closed, (text, [s.reason for s in sites])


SHODAN_STREAM = """
    import json

    import requests

    class Stream:
        def _iter_stream(self, stream, raw):
            for line in stream.iter_lines():
                if line:
                    try:
                        item = line if raw else json.loads(line)
                    except ValueError:
                        continue
                    yield item

        def banners(self, raw=False):
            stream = requests.get("https://stream.example/banners", stream=True, timeout=5)
            for line in self._iter_stream(stream, raw):
                yield line
"""


def test_a_private_generator_method_that_yields_data_is_iterated_inside_the_with(tmp_path):
    new = fixed(tmp_path, SHODAN_STREAM)
    assert (
        '        with requests.get("https://stream.example/banners", stream=True, timeout=5) as stream:\n'
        "            for line in self._iter_stream(stream, raw):\n"
        "                yield line\n"
    ) in new


def test_a_generator_method_that_keeps_the_response_is_not_read_or_may_be_overridden_is_unsafe(tmp_path):
    keeps = SHODAN_STREAM.replace("                    yield item", "                    yield item, stream")
    reported(tmp_path, keeps, "yielded")
    stores = SHODAN_STREAM.replace(
        "            for line in stream.iter_lines():",
        "            self.last = stream\n            for line in stream.iter_lines():",
    )
    reported(tmp_path, stores, "yielded")
    other = "from pkg.main import Stream\n\nclass Mine(Stream):\n    def _iter_stream(self, stream, raw):\n        yield stream\n"
    # defined again in another module: which class the facts do not say (an unsafe fix)
    reported(tmp_path, SHODAN_STREAM, "`_iter_stream` is defined again in the project", **{"pkg/other.py": other})
    # a subclass of this module binding it: reported
    here = (
        SHODAN_STREAM
        + "\n    class Mine(Stream):\n        def _iter_stream(self, stream, raw):\n            yield stream\n"
    )
    new, sites = run(tmp_path, {MAIN: here}, unsafe=True)
    assert [s.action for s in sites] == ["reported"] and "yielded" in sites[0].reason, [s.reason for s in sites]


def test_a_generator_of_another_module_that_yields_data_is_read(tmp_path):
    reader = "def iter_json(resp):\n    for line in resp.iter_lines():\n        yield line.decode()\n"
    main = (
        "import requests\n\nfrom pkg.utils import iter_json\n\n"
        "def every(u):\n    r = requests.get(u, stream=True)\n    return [x for x in iter_json(r)]\n"
    )
    new, sites = run(tmp_path, {MAIN: main, "pkg/utils.py": reader})
    assert [s.action for s in sites] == ["fixed"], [s.reason for s in sites]
    assert "    with requests.get(u, stream=True) as r:\n        return [x for x in iter_json(r)]\n" in new
    new, sites = run(tmp_path, {MAIN: main, "pkg/utils.py": reader.replace("line.decode()", "resp")})
    assert new == main and [s.action for s in sites] == ["reported"], [s.reason for s in sites]


def test_a_function_of_another_module_rebound_in_the_project_is_not_read(tmp_path):
    # review of the change: `util.check = util.keep` in another module made `util.check(r)`
    # read as the read-only `check`: a safe fix, while KEEP ended up holding a closed response
    from tests.helpers import cli_sites, make_project

    root = make_project(
        tmp_path,
        {
            "pkg/util.py": "KEEP = []\n\n\ndef check(r):\n    return r.status_code\n\n\ndef keep(r):\n    KEEP.append(r)\n",
            "pkg/a.py": (
                "import requests\n\nfrom pkg import util\n\n\ndef main(u):\n"
                "    r = requests.get(u, stream=True)\n    util.check(r)\n    return 1\n"
            ),
            "pkg/b.py": "from pkg import util\n\nutil.check = util.keep\n",
        },
    )
    [(line, action, reason)] = cli_sites(root, "--check", "--no-cache", "--select", "close-response")["pkg/a.py"]
    assert action == "reported" and "passed to `util.check`" in reason and "--unsafe-fixes" in reason, reason
    assert f"(`check` of {root / 'pkg' / 'util.py'} is not read: the project may replace it" in reason


def test_a_method_of_the_same_name_does_not_rebind_another_modules_function(tmp_path):
    # biopython's ``SwissProt.read(handle)``: many classes of the project define a method
    # ``read``; none of them rebinds the module-level ``def read`` of ``pkg/utils/http.py``.
    files = {MAIN: IMPORTER, "pkg/utils/__init__.py": "", "pkg/utils/http.py": READER}
    files["pkg/other.py"] = "class Parser:\n    def read_bounded_response(self, r):\n        return r\n"
    new, sites = run(tmp_path, files)
    assert [s.action for s in sites] == ["fixed", "fixed"], [s.reason for s in sites]
    # but a setattr or a mock naming it may replace it: still an escape
    for text in (
        "import pytest\n\ndef test(monkeypatch):\n    monkeypatch.setattr(http, 'read_bounded_response', print)\n",
        "from unittest import mock\n\n@mock.patch('pkg.utils.http.read_bounded_response')\ndef test(m):\n    pass\n",
    ):
        files["tests/test_other.py"] = text
        new, sites = run(tmp_path, files)
        assert new == textwrap.dedent(IMPORTER), text
        assert [s.action for s in sites] == ["reported", "reported"], text
        assert all("the project may replace it" in s.reason for s in sites), [s.reason for s in sites]


# -- only the result holds it (issue 13): a response too -----------------------------------

CONTENT = """
    def response_content(response, streamed, action, chunk_size, *, iterator):
        if iterator:
            return response.iter_content(chunk_size=chunk_size)
        if streamed is False:
            return response.content
        for chunk in response.iter_content(chunk_size=chunk_size):
            if chunk:
                action(chunk)
        return None
"""

CONTENT_CALLER = """
    import requests

    from pkg import utils


    def test_content(capsys):
        resp = requests.get("https://example.com", stream=True)
        utils.response_content(resp, streamed=True, action=print, chunk_size=1024, iterator=False)
        return capsys.readouterr()
"""


def test_a_response_given_to_another_modules_function_that_only_returns_it_is_followed(tmp_path):
    # python-gitlab's utils.response_content: it may return ``response.iter_content()``, so
    # its parameter does not keep nothing; but only its result holds it, and the result is
    # dropped at once
    new, sites = run(tmp_path, {MAIN: CONTENT_CALLER, "pkg/utils.py": CONTENT})
    assert [s.action for s in sites] == ["fixed"], [s.reason for s in sites]
    assert (
        '    with requests.get("https://example.com", stream=True) as resp:\n'
        "        utils.response_content(resp, streamed=True, action=print, chunk_size=1024, iterator=False)\n"
        "    return capsys.readouterr()\n"
    ) in new


def test_a_result_that_holds_the_response_is_followed_to_its_uses(tmp_path):
    kept = CONTENT_CALLER.replace("        utils.response_content(", "        it = utils.response_content(")
    # the result used after the block: the block reaches it
    used = kept.replace(
        "        return capsys", "        for chunk in it:\n            print(chunk)\n        return capsys"
    )
    new, sites = run(tmp_path, {MAIN: used, "pkg/utils.py": CONTENT})
    assert [s.action for s in sites] == ["fixed"], [s.reason for s in sites]
    assert "            print(chunk)\n    return capsys.readouterr()\n" in new
    # the result returned, stored, or given to a call nothing is known about: not closed
    for tail, reason in (
        ("return it", "is returned at line"),
        ("KEEP.append(it)", "stored by `.append()`"),
        ("use(it)\n        return 1", "passed to `use`"),
    ):
        main = kept.replace("        return capsys.readouterr()", "        " + tail)
        new, sites = run(tmp_path, {MAIN: main, "pkg/utils.py": CONTENT})
        assert new == textwrap.dedent(main), tail
        assert [s.action for s in sites] == ["reported"] and reason in sites[0].reason, [s.reason for s in sites]


def test_a_function_that_keeps_the_response_elsewhere_than_its_result_is_an_escape(tmp_path):
    for keeps in ("KEEP.append(response)", "other_module_helper(response)"):
        text = CONTENT.replace("    return None", "    " + keeps + "\n    return None")
        new, sites = run(tmp_path, {MAIN: CONTENT_CALLER, "pkg/utils.py": text})
        assert new == textwrap.dedent(CONTENT_CALLER), keeps
        assert [s.action for s in sites] == ["reported"], keeps
        assert "passed to `utils.response_content`" in sites[0].reason, sites[0].reason


# -- a method inherited from the standard library (foreign.LIBRARY_METHODS) ------------------

PROXY = """
    import http.server as SimpleHTTPServer
    from urllib.request import urlopen


    def serve(server_class):
        class Proxy(SimpleHTTPServer.SimpleHTTPRequestHandler):
            def do_GET(self):
                req = urlopen(self.path, timeout=10)
                self.send_response(req.getcode())
                self.end_headers()
                self.copyfile(req, self.wfile)
                self.connection.close()
                req.close()

        return server_class(("", 0), Proxy)
"""


def test_copyfile_of_a_local_simple_http_request_handler_reads_only(tmp_path):
    # geopy's test proxy: SimpleHTTPRequestHandler.copyfile is shutil.copyfileobj
    new = fixed(tmp_path, PROXY)
    assert (
        "            with urlopen(self.path, timeout=10) as req:\n"
        "                self.send_response(req.getcode())\n"
        "                self.end_headers()\n"
        "                self.copyfile(req, self.wfile)\n"
    ) in new


MODULE_PROXY = """
    import http.server as SimpleHTTPServer
    from urllib.request import urlopen


    class Proxy(SimpleHTTPServer.SimpleHTTPRequestHandler):
        def do_GET(self):
            req = urlopen(self.path, timeout=10)
            self.copyfile(req, self.wfile)
            req.close()
"""


def test_an_inherited_library_method_that_may_be_overridden_is_not_read(tmp_path):
    proxy = textwrap.dedent(PROXY)
    own = "        def copyfile(self, a, b):\n            KEEP.append(a)\n\n        def do_GET"
    for source, why in (
        (MODULE_PROXY, "a class at module level: a subclass in another module may override copyfile"),
        (proxy.replace("        def do_GET", own), "its own copyfile"),
        (proxy + "\n\nclass Other:\n    def copyfile(self, a, b):\n        return a\n", "a def of the module"),
        (proxy.replace("SimpleHTTPRequestHandler", "BaseHTTPRequestHandler"), "a base without the method"),
        (
            proxy.replace("            req = urlopen", "            self = self.other\n            req = urlopen"),
            "self rebound",
        ),
        (proxy + "\n\ndef patch(h):\n    h.copyfile = print\n", "stored"),
    ):
        new, sites = run(tmp_path, {MAIN: source})
        assert new == textwrap.dedent(source), why
        assert [s.action for s in sites] == ["reported"], (why, [s.reason for s in sites])
        assert "passed to `self.copyfile`" in sites[0].reason, (why, sites[0].reason)


# -- a holder class of another module of the project (foreign.imported_class) ---------------

TRANSPORT = """
    import requests


    class Transport:
        def __init__(self, cache=None, session=None):
            self.cache = cache
            self.session = session or requests.Session()
            self.session.headers["User-Agent"] = "x"

        def get(self, address):
            response = self.session.get(address, timeout=3)
            return response.content
"""

TRANSPORT_CALLER = """
    import requests

    from .transports import Transport


    def main(u):
        session = requests.Session()
        session.verify = False
        transport = Transport(session=session)
        return transport.get(u)
"""


def test_a_class_of_another_module_that_keeps_the_client_only_on_its_instance_is_a_holder(tmp_path):
    for caller in (
        TRANSPORT_CALLER,
        TRANSPORT_CALLER.replace("from .transports import Transport", "from pkg import transports").replace(
            "= Transport(", "= transports.Transport("
        ),
    ):
        new, sites = run(tmp_path, {MAIN: caller, "pkg/transports.py": TRANSPORT}, select=("close-client",))
        assert [s.action for s in sites] == ["fixed"], [s.reason for s in sites]
        assert (
            "    with requests.Session() as session:\n"
            "        session.verify = False\n"
            "        transport = Transport(session=session)\n"
        ).replace("Transport(", "transports.Transport(" if "transports.Transport" in caller else "Transport(") in new


def test_a_class_of_another_module_that_may_keep_the_client_elsewhere_is_no_holder(tmp_path):
    for old, new_text, safety in (
        ("        return response.content", "        KEEP.append(self)\n        return response.content", None),
        (
            "        return response.content",
            "        other_module_helper(self.session)\n        return response.content",
            "unsafe",
        ),
        ("class Transport:", "class Transport(Base):", "unsafe"),
        ("    def get", "    @contextmanager\n    def settings(self):\n        yield\n\n    def get", "unsafe"),
        ("    def get", "    def __del__(self):\n        self.session.close()\n\n    def get", "unsafe"),
    ):
        text = textwrap.dedent(TRANSPORT).replace(old, new_text)
        assert old in textwrap.dedent(TRANSPORT)
        caller = TRANSPORT_CALLER.replace("        return transport.get(u)", "        print(transport.get(u))")
        new, sites = run(tmp_path, {MAIN: caller, "pkg/transports.py": text}, select=("close-client",))
        assert new == textwrap.dedent(caller), new_text
        assert [(s.action, s.safety) for s in sites] == [("reported", safety)], (new_text, [s.reason for s in sites])
        assert "is passed to `Transport` at line" in sites[0].reason, sites[0].reason
    # rebound in the project: not the class read
    files = {
        MAIN: TRANSPORT_CALLER,
        "pkg/transports.py": TRANSPORT,
        "pkg/other.py": "from pkg import transports\n\ntransports.Transport = dict\n",
    }
    new, sites = run(tmp_path, files, select=("close-client",))
    assert [s.action for s in sites] == ["reported"], [s.reason for s in sites]


def test_the_report_says_what_the_reading_of_the_callee_found(tmp_path):
    # another module's function: its path and line, and the escape found there
    text = READER.replace("print(r.status_code)", "KEEP.append(r)")
    files = {MAIN: IMPORTER, "pkg/utils/__init__.py": "", "pkg/utils/http.py": text}
    new, sites = run(tmp_path, files)
    path = tmp_path / "proj" / "pkg" / "utils" / "http.py"
    want = f"(in `read_bounded_response` ({path}:2), the response is stored by `.append()` at line 10)"
    assert [s.action for s in sites] == ["reported", "reported"]
    assert all(want in s.reason for s in sites), [s.reason for s in sites]
    # a function of the module that hands it to one that keeps it: the one that keeps it
    main = """
        import requests

        def keep(r):
            KEEP.append(r)

        def check(r):
            keep(r)

        def f(u):
            r = requests.get(u, stream=True)
            check(r)
            return r.status_code
    """
    _, sites = run(tmp_path, {MAIN: main})
    [site] = sites
    assert (
        "passed to `check` at line 12, which may keep it and use it after the with block (in `keep` (at line 4), the response is stored by `.append()` at line 5)"
        in site.reason
    ), site.reason
    # a holder class of another module that keeps the instance elsewhere
    text = textwrap.dedent(TRANSPORT).replace(
        "        return response.content", "        KEEP.append(self)\n        return response.content"
    )
    caller = TRANSPORT_CALLER.replace("        return transport.get(u)", "        print(transport.get(u))")
    _, sites = run(tmp_path, {MAIN: caller, "pkg/transports.py": text}, select=("close-client",))
    [site] = sites
    path = tmp_path / "proj" / "pkg" / "transports.py"
    assert f"(in `get` ({path}:11), the client is stored by `.append()` at line 13)" in site.reason, site.reason


# -- a static or class method called through its class (issue 13) --------------------------

QUALIFIED = """
    import requests


    class Room:
        @staticmethod
        def _read_bounded(r, max_bytes):
            chunks = []
            total = 0
            for chunk in r.iter_content(chunk_size=8192):
                total += len(chunk)
                if total > max_bytes:
                    return None
                chunks.append(chunk)
            return b"".join(chunks)


    def post(url):
        r = requests.post(url, stream=True)
        body = Room._read_bounded(r, 100)
        if body is None:
            return False
        return r.status_code == 200 and len(body) > 2
"""

RECORDS = """
    class Record:
        @classmethod
        def parse(cls, handle, size=1024):
            total = 0
            for chunk in handle.iter_content(size):
                total += len(chunk)
            return cls.__name__, total
"""

RECORD_CALLER = """
    import requests

    from pkg import records
    from pkg.records import Record


    def f(u):
        r = requests.get(u, stream=True)
        name, total = records.Record.parse(r)
        return r.status_code, total


    def g(u):
        r = requests.get(u, stream=True)
        return Record.parse(r, size=10), r.headers
"""


def test_a_static_method_called_through_its_class_is_read(tmp_path):
    new = fixed(tmp_path, QUALIFIED)
    assert "    with requests.post(url, stream=True) as r:\n        body = Room._read_bounded(r, 100)" in new
    # a public name too: the call names the class, so no subclass's override is reached
    new, sites = run(tmp_path, {MAIN: QUALIFIED.replace("_read_bounded", "read_bounded")})
    assert [(s.action, s.safety) for s in sites] == [("fixed", "safe")], [s.reason for s in sites]


def test_a_class_method_of_another_module_called_through_its_class_is_read(tmp_path):
    # python-gitlab's ``gitlab.Gitlab.from_config(...)`` names its class the same way
    new, sites = run(tmp_path, {MAIN: RECORD_CALLER, "pkg/records.py": RECORDS})
    assert [(s.action, s.safety) for s in sites] == [("fixed", "safe"), ("fixed", "safe")], [s.reason for s in sites]
    assert new.count("with requests.get(u, stream=True) as r:") == 2


def test_a_static_or_class_method_that_keeps_it_is_still_an_escape(tmp_path):
    for old, new_text in (
        ('            return b"".join(chunks)', '            KEEP.append(r)\n            return b"".join(chunks)'),
        (
            "        def _read_bounded(r, max_bytes):",
            "        def _read_bounded(r, max_bytes):\n            Room.last = r",
        ),
    ):
        source = QUALIFIED.replace(old, new_text)
        assert source != QUALIFIED
        new, sites = run(tmp_path, {MAIN: source})
        assert new == textwrap.dedent(source)
        assert [s.action for s in sites] == ["reported"], [s.reason for s in sites]
        assert "passed to `Room._read_bounded`" in sites[0].reason
    kept = RECORDS.replace("            total = 0", "            cls.last = handle\n            total = 0")
    new, sites = run(tmp_path, {MAIN: RECORD_CALLER, "pkg/records.py": kept})
    assert new == textwrap.dedent(RECORD_CALLER)
    assert [s.action for s in sites] == ["reported", "reported"], [s.reason for s in sites]
    # (its result may hold it now: the callers return what it gave)
    assert all("returned" in s.reason or "Record.parse`" in s.reason for s in sites), [s.reason for s in sites]


def test_a_method_through_a_class_that_may_dispatch_elsewhere_is_not_read(tmp_path):
    for old, new_text in (
        ("    class Room:", "    class Room(Base):"),  # a base (its metaclass) may intercept the lookup
        ("    class Room:", "    class Room(metaclass=Meta):"),
        ("    class Room:", "    @register\n    class Room:"),
        ("        @staticmethod\n", ""),  # a plain function taking ``r`` as its ``self``
        ("        @staticmethod\n", "        @staticmethod\n        @functools.cache\n"),
        ("    def post(url):", "    Room._read_bounded = staticmethod(print)\n\n\n    def post(url):"),
        ("    def post(url):", "    class Room:\n        pass\n\n\n    def post(url):"),  # bound twice
        (
            '            return b"".join(chunks)\n',
            '            return b"".join(chunks)\n\n        _read_bounded = None\n',
        ),
    ):
        source = QUALIFIED.replace(old, new_text, 1)
        assert source != QUALIFIED, old
        new, sites = run(tmp_path, {MAIN: source})
        assert new == textwrap.dedent(source), old
        assert [s.action for s in sites] == ["reported"], (old, [s.reason for s in sites])
    # replaced from another module, or by a mock: not read either
    for other in (
        "from pkg import main\n\nmain.Room.read_bounded = staticmethod(print)\n",
        "from unittest import mock\n\n@mock.patch.object(Room, 'read_bounded')\ndef test(m):\n    pass\n",
        "from pkg import main\n\nmain.Room = object\n",
    ):
        source = QUALIFIED.replace("_read_bounded", "read_bounded")
        new, sites = run(tmp_path, {MAIN: source, "tests/test_other.py": other})
        assert new == textwrap.dedent(source), other
        assert [s.action for s in sites] == ["reported"], (other, [s.reason for s in sites])


def test_without_project_facts_no_method_through_its_class_is_read():
    from tests.helpers import transform

    new, sites = transform(QUALIFIED, ["close-response"])
    assert [s.action for s in sites] == ["reported"]


# -- a keyword that lands in ``**kwargs``, handed on whole (issue 13) -----------------------

KWARGS = """
    import requests


    def fetch(url, session, timeout=5):
        return session.get(url, timeout=timeout).json()


    def search(q, retries=3, **kwargs):
        return fetch(q, **kwargs)


    class Reader:
        def __init__(self, session=None, retries=3):
            self.session = session
            self.retries = retries

        def search(self, q):
            return self.session.get(q, timeout=5).json()


    def find(q, **kwargs):
        reader = Reader(**kwargs)
        return reader.search(q)


    def main(u):
        s = requests.Session()
        data = search(u, session=s)
        more = find(u, session=s)
        return len(data) + len(more)
"""


def kwargs_sites(tmp_path, source, **others):
    new, sites = run(tmp_path, {MAIN: source, **others}, select=("close-client",))
    return new, [(s.action, s.safety) for s in sites], [s.reason for s in sites]


def test_a_client_passed_on_through_kwargs_to_readers_is_read(tmp_path):
    # pandas-datareader's ``search(..., session=s)`` -> ``WorldBankReader(**kwargs).search()``
    new, actions, reasons = kwargs_sites(tmp_path, KWARGS)
    assert actions == [("fixed", "safe")], reasons
    assert "    with requests.Session() as s:\n        data = search(u, session=s)" in new
    # a function of another module too, and a chain of two ``**kwargs``
    other = KWARGS.replace(
        "    def find(q, **kwargs):",
        "    def outer(q, **opts):\n        return find(q, **opts)\n\n\n    def find(q, **kwargs):",
    )
    caller = "import requests\n\nfrom pkg import readers\n\n\ndef main(u):\n    s = requests.Session()\n"
    caller += "    n = readers.outer(u, session=s)\n    return len(n)\n"
    new, sites = run(tmp_path, {MAIN: caller, "pkg/readers.py": other}, select=("close-client",))
    assert [(s.action, s.safety) for s in sites] == [("fixed", "safe")], [s.reason for s in sites]


def test_kwargs_read_otherwise_or_kept_downstream_is_still_an_escape(tmp_path):
    for old, new_text, action in (
        # the dict read otherwise than handed on whole: unknown, an unsafe fix
        (
            "        return fetch(q, **kwargs)",
            "        KEEP.update(kwargs)\n        return fetch(q, **kwargs)",
            "unsafe",
        ),
        ("        return fetch(q, **kwargs)", "        return fetch(q, **kwargs.copy())", "unsafe"),
        (
            "    def search(q, retries=3, **kwargs):",
            "    def search(q, retries=3, **kwargs):\n        kwargs['timeout'] = 1",
            "unsafe",
        ),
        # handed to a function that keeps it: reported
        (
            "        return session.get(url, timeout=timeout).json()",
            "        KEEP.append(session)\n        return 1",
            None,
        ),
        # a holder chain that keeps it: stored on a module global, returned out of the block
        (
            "            self.retries = retries",
            "            self.retries = retries\n            READERS.append(self)",
            "unsafe",
        ),
        ("        return reader.search(q)", "        return reader", "returned"),
    ):
        source = KWARGS.replace(old, new_text)
        if action == "returned":
            source = source.replace("        return len(data) + len(more)", "        return more")
        assert source != KWARGS, old
        new, actions, reasons = kwargs_sites(tmp_path, source)
        assert new == textwrap.dedent(source), new_text
        assert actions == [("reported", action if action != "returned" else None)], (new_text, reasons)


def test_a_keyword_no_parameter_takes_is_not_read_as_kwargs(tmp_path):
    source = KWARGS.replace("    def search(q, retries=3, **kwargs):", "    def search(q, retries=3, **kw):").replace(
        "fetch(q, **kwargs)", "fetch(q, session=kw['session'])"
    )
    new, actions, reasons = kwargs_sites(tmp_path, source)
    assert new == textwrap.dedent(source)
    assert actions == [("reported", "unsafe")], reasons


BOUNDED_BODY = """
    import io
    import time
    from urllib.request import urlopen


    def _bounded_body(stream, limit, deadline=None):
        \"\"\"nltk's downloader: read it bounded, close it in the finally.\"\"\"
        read = stream.read1 if isinstance(stream, io.BufferedIOBase) else stream.read
        chunks, total = [], 0
        try:
            while True:
                block = read(65536)
                if not block:
                    break
                total += len(block)
                if total > limit:
                    raise ValueError("too large")
                chunks.append(block)
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        return io.BytesIO(b"".join(chunks))


    def load(url):
        try:
            body = _bounded_body(urlopen(url, timeout=5), 100, deadline=time.monotonic() + 5)
        except OSError:
            raise ValueError("bad") from None
        return body.read()


    def load_named(url):
        stream = urlopen(url, timeout=5)
        body = _bounded_body(stream, 100)
        return body.read()
"""


def test_a_helper_closing_through_getattr_in_its_finally_closes_an_inline_response(tmp_path):
    # nltk's ``_bounded_body(urlopen(...), ...)``: the helper binds the stream's read method
    # and a tuple of literals before its try (neither can raise for a urllib response), and
    # its finally gets ``close`` by getattr and calls it: closed on every path, no site.
    assert run(tmp_path, {MAIN: BOUNDED_BODY}) == (textwrap.dedent(BOUNDED_BODY), [])


def test_a_helper_that_may_skip_the_getattr_close_is_no_close(tmp_path):
    cases = (
        # the close is not called when the test fails
        BOUNDED_BODY.replace("if close is not None:", "if close is None:"),
        # a statement before the try that may raise: not a method every urllib response has
        BOUNDED_BODY.replace("else stream.read\n", "else stream.peek\n"),
        BOUNDED_BODY.replace("chunks, total = [], 0", "chunks, total = list(stream.headers), 0"),
        # another attribute than a close
        BOUNDED_BODY.replace('getattr(stream, "close", None)', 'getattr(stream, "flush", None)'),
        # something before the close in the finally
        BOUNDED_BODY.replace("            close = getattr(", "            print(total)\n            close = getattr("),
    )
    for text in cases:
        new, sites = run(tmp_path, {MAIN: text})
        assert len(sites) == 2, (text, [s.reason for s in sites])


@pytest.mark.parametrize("later", ["deadline=compute()", "*limits"])
def test_an_argument_after_the_inline_response_that_may_raise_leaves_it_a_site(tmp_path, later):
    text = BOUNDED_BODY.replace("deadline=time.monotonic() + 5", later)
    new, sites = run(tmp_path, {MAIN: text})
    assert [s.line for s in sites] == [29], [(s.line, s.reason) for s in sites]


def test_a_client_passed_to_a_method_two_sibling_classes_define_is_read_unless_one_may_be_derived(tmp_path):
    source = """
    import requests

    class A:
        def _fetch(self, session, u):
            return session.get(u).status_code

        def run(self, u):
            s = requests.Session()
            code = self._fetch(s, u)
            return code

    class B:
        def _fetch(self, session, u):
            return session.get(u).json()

        def run(self, u):
            s = requests.Session()
            data = self._fetch(s, u)
            return data
"""
    new, sites = run(tmp_path, {MAIN: source}, select=("close-client",))
    assert [s.action for s in sites] == ["fixed", "fixed"], [s.reason for s in sites]
    assert new.count("with requests.Session() as s:") == 2
    source += "\n    class AB(B, A):\n        pass\n"
    new, sites = run(tmp_path, {MAIN: source}, select=("close-client",))
    assert new == textwrap.dedent(source)
    assert [s.action for s in sites] == ["reported", "reported"], [s.reason for s in sites]
    assert all("`_fetch` is defined again in the project" in s.reason for s in sites), [s.reason for s in sites]
    new, sites = run(tmp_path, {MAIN: source}, select=("close-client",), unsafe=True)
    assert [s.action for s in sites] == ["fixed", "fixed"]
    assert new.count("with requests.Session() as s:") == 2
