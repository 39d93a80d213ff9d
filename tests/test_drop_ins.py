"""Drop-in libraries: ``niquests`` (requests' API) and ``httpx2`` (the httpx fork) are resolved
like requests and httpx by every codemod, and generated code names their own module. Unit
cases need neither installed; the behaviour cases run when they are."""

from __future__ import annotations

import ast
import textwrap

import pytest

from codemods import prefilter
from codemods.calls import normalise
from tests.helpers import reasons, transform


def fixed(sites):
    return [s for s in sites if s.action == "fixed"]


# -- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, meaning",
    [
        ("niquests.get", "requests.get"),
        ("niquests.api.post", "requests.post"),
        ("niquests.Session", "requests.Session"),
        ("niquests.sessions.Session", "requests.Session"),
        ("httpx2.get", "httpx.get"),
        ("httpx2._api.stream", "httpx.stream"),
        ("httpx2.Client", "httpx.Client"),
        ("httpx2._client.AsyncClient", "httpx.AsyncClient"),
        ("niquestsx.get", "niquestsx.get"),
        ("requests.get", "requests.get"),
    ],
)
def test_names_normalise_to_the_library_they_stand_in_for(raw, meaning):
    assert normalise(raw) == meaning


@pytest.mark.parametrize(
    "source",
    [
        "import niquests\nniquests.get(u)\n",
        "from niquests import get\nget(u)\n",
        "from niquests.api import get as g\ng(u)\n",
        "import httpx2 as hx\nhx.Client()\n",
        "from httpx2 import AsyncClient\nAsyncClient()\n",
    ],
)
def test_prefilter_keeps_files_that_import_a_drop_in(source):
    data = source.encode()
    assert prefilter.might_contain_target(data)
    verdict = prefilter.screen(data, ())
    assert verdict.candidate


def test_prefilter_still_skips_a_mere_mention():
    assert not prefilter.screen(b"x = 'niquests httpx2'\n", ()).candidate


# -- share-session ---------------------------------------------------------------------------


def test_share_session_module_client_of_niquests():
    new, sites = transform(
        """
        import niquests

        def fetch(url):
            return niquests.get(url).json()
        """,
        ["share-session"],
    )
    assert "_session = niquests.Session()\n" in new
    assert "return _session.get(url).json()" in new
    assert "requests.Session" not in new.replace("niquests.Session", "")
    assert len(fixed(sites)) == 1


def test_share_session_from_import_of_niquests_adds_a_private_import():
    new, _ = transform(
        """
        from niquests import get

        def fetch(url):
            return get(url).json()
        """,
        ["share-session"],
    )
    assert "import niquests as _niquests\n" in new
    assert "_session = _niquests.Session()\n" in new
    ast.parse(new)


def test_share_session_httpx2_client():
    new, sites = transform(
        """
        import httpx2

        def fetch(url):
            return httpx2.get(url).json()
        """,
        ["share-session"],
    )
    assert "_client = httpx2.Client(\n" in new and "return _client.get(url).json()" in new
    assert len(fixed(sites)) == 1


def test_share_session_each_library_gets_its_own_client():
    new, sites = transform(
        """
        import httpx
        import httpx2
        import niquests
        import requests

        def fetch(url):
            return requests.get(url), niquests.get(url), httpx.get(url), httpx2.get(url)
        """,
        ["share-session"],
    )
    assert "_session = requests.Session()\n" in new
    assert "_session_1 = niquests.Session()\n" in new
    assert "_client = httpx.Client(\n" in new
    assert "_client_1 = httpx2.Client(\n" in new
    assert "return _session.get(url), _session_1.get(url), _client.get(url), _client_1.get(url)" in new
    assert len(fixed(sites)) == 4


def test_share_session_function_scope_with_niquests():
    new, _ = transform(
        """
        import niquests

        def fetch_all(urls):
            for url in urls:
                print(niquests.get(url).status_code)
        """,
        ["share-session"],
        {"share-session": {"session-scope": "function"}},
    )
    assert "with niquests.Session() as session:" in new
    assert "print(session.get(url).status_code)" in new


def test_share_session_niquests_session_keywords_are_reported():
    new, sites = transform(
        """
        import niquests

        def fetch(url):
            return niquests.get(url, retries=3).json()
        """,
        ["share-session"],
    )
    assert "niquests.get(url, retries=3)" in new
    assert [r for _, r in reasons(sites)] == ["passes retries=, which a niquests Session takes only when it is created"]


def test_share_session_niquests_verify_is_reported_like_requests():
    _, sites = transform("import niquests\n\ndef f(u):\n    return niquests.get(u, verify=False)\n", ["share-session"])
    assert "passes verify=" in reasons(sites)[0][1]


def test_share_session_user_client_library_must_match_the_module():
    source = """
        import niquests
        import requests

        def fetch(url):
            return niquests.get(url), requests.get(url)
        """
    new, sites = transform(
        source, ["share-session"], {"share-session": {"client": "app.http:session", "client-library": "niquests"}}
    )
    assert "return session.get(url), requests.get(url)" in new
    assert [r for _, r in reasons(sites)] == [
        "requests call, but the shared client session is a niquests client (--client-library)"
    ]


# -- close-response and close-client ---------------------------------------------------------


def test_close_response_niquests_stream():
    new, sites = transform(
        """
        import niquests

        def size(url):
            r = niquests.get(url, stream=True)
            n = len(r.content)
            return n
        """,
        ["close-response"],
    )
    assert "    with niquests.get(url, stream=True) as r:\n        n = len(r.content)\n    return n\n" in new
    assert len(fixed(sites)) == 1


def test_close_response_httpx2_client_send_and_stream():
    new, sites = transform(
        """
        import httpx2

        def go(client: httpx2.Client, request, url):
            r = client.send(request, stream=True)
            first = r.status_code
            s = httpx2.stream("GET", url)
            return first, s.status_code
        """,
        ["close-response"],
    )
    assert "with contextlib.closing(client.send(request, stream=True)) as r:" in new
    assert 'with httpx2.stream("GET", url) as s:' in new
    assert len(fixed(sites)) == 2


def test_close_client_niquests_session_and_httpx2_async_client():
    new, sites = transform(
        """
        import httpx2
        import niquests

        def f(url):
            s = niquests.Session()
            return s.get(url).status_code

        async def g(url):
            c = httpx2.AsyncClient()
            r = await c.get(url)
            return r.status_code
        """,
        ["close-client"],
    )
    assert "    with niquests.Session() as s:\n        return s.get(url).status_code\n" in new
    assert "    async with httpx2.AsyncClient() as c:\n" in new
    assert len(fixed(sites)) == 2


# -- add-timeout -----------------------------------------------------------------------------


def test_add_timeout_leaves_niquests_and_httpx2_alone():
    source = """
        import httpx2
        import niquests
        import requests

        def f(url):
            s = niquests.Session()
            return requests.get(url), niquests.get(url), s.get(url), httpx2.get(url)
        """
    new, sites = transform(source, ["add-timeout"])
    assert "return requests.get(url, timeout=60), niquests.get(url), s.get(url), httpx2.get(url)" in new
    assert len(sites) == 1


# -- behaviour, against the local server (when the libraries are installed) ------------------


@pytest.mark.parametrize("library, client", [("niquests", "niquests.Session()"), ("httpx2", "httpx2.Client(")])
def test_share_session_drop_in_behaviour(server, tmp_path, library, client):
    pytest.importorskip(library)
    from tests.conftest import rewrite, run_program

    source = f"""
        import json
        import os

        import {library}

        URL = os.environ["SERVER_URL"]


        def main():
            return [{library}.get(URL + "/json", params={{"i": i}}).json() for i in range(6)]


        print(json.dumps(main()))
        """
    program = tmp_path / "before.py"
    program.write_text(textwrap.dedent(source))
    before = run_program(program, server.url)
    server.wait_idle()
    counts_before = server.counters.snapshot()
    server.counters.reset()
    path = rewrite(tmp_path, source, "--select", "share-session", name="after.py")
    assert client in path.read_text()
    after = run_program(path, server.url)
    server.wait_idle()
    counts_after = server.counters.snapshot()
    assert after["result"] == before["result"]
    assert counts_before["paths"] == counts_after["paths"]
    assert counts_before["connections"] == 6
    assert counts_after["connections"] <= 2
