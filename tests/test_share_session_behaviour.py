"""share-session against the real counting server: programs run before and after the rewrite.

Each program prints its results as one JSON line; we compare results, requests per path and
TCP connections. The rewrite must keep the results and the requests exactly and cut the
connections from one per call to one (at most two) per program.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from codemods import registry
from tests.conftest import rewrite, run_program

N = 12
_BEFORE: dict = {}


def before_and_after(server, tmp_path: Path, source: str, *args: str):
    """Run ``source`` as is, rewrite it with ``args``, run it again: both results, both counts."""
    if source in _BEFORE:  # the same program before the rewrite: run it once per session
        before, counts_before = _BEFORE[source]
    else:
        program = tmp_path / "before.py"
        program.write_text(textwrap.dedent(source))
        before = run_program(program, server.url)
        server.wait_idle()
        counts_before = server.counters.snapshot()
        server.counters.reset()
        _BEFORE[source] = before, counts_before

    path = rewrite(tmp_path, source, *args, name="after.py")
    new = path.read_text()
    assert new != textwrap.dedent(source), "nothing was rewritten"
    ast.parse(new)
    after = run_program(path, server.url)
    server.wait_idle()
    counts_after = server.counters.snapshot()
    assert not _warnings_before_exit(after["stderr"]), after["stderr"]
    return before, counts_before, after, counts_after, new


def _warnings_before_exit(stderr: str) -> list:
    """ResourceWarnings other than the interpreter's own at shutdown (``sys:1:``).

    A module-level client is not closed at exit (``atexit`` handlers run last-registered first,
    so closing it there broke earlier handlers that still send requests, e.g. logging's): the
    kept-alive socket of an httpx client is reported by ``-X dev`` as the process ends, and the
    OS closes it. Any other ResourceWarning is a leak.
    """
    return [
        line
        for line in stderr.splitlines()
        if "ResourceWarning" in line and not line.startswith("sys:1: ResourceWarning: unclosed <socket")
    ]


LOOP_REQUESTS = f"""
    import json
    import os

    import requests

    URL = os.environ["SERVER_URL"]


    def main():
        out = []
        for i in range({N}):
            out.append(requests.get(URL + "/json", params={{"i": i}}).json())
        out.append(requests.post(URL + "/json", data="body").json())
        return out


    print(json.dumps(main()))
    """


@pytest.mark.parametrize("scope", ["module", "function"])
def test_loop_of_bare_requests_calls_reuses_one_connection(server, tmp_path, scope):
    before, cb, after, ca, new = before_and_after(
        server, tmp_path, LOOP_REQUESTS, "--select", "share-session", "--session-scope", scope
    )
    assert ("_session.get(" if scope == "module" else "with requests.Session() as session:") in new
    assert after["result"] == before["result"]
    assert cb["requests"] == ca["requests"] == N + 1
    assert cb["paths"] == ca["paths"]
    assert cb["connections"] == N + 1
    assert ca["connections"] <= 2


def test_function_called_many_times_shares_the_module_session(server, tmp_path):
    source = f"""
        import json
        import os
        from requests import get as fetch_url

        URL = os.environ["SERVER_URL"]


        def status(path):
            return fetch_url(URL + path).status_code


        def main():
            return [status("/json") for _ in range({N})] + [status("/status/404")]


        print(json.dumps(main()))
        """
    before, cb, after, ca, new = before_and_after(server, tmp_path, source, "--select", "share-session")
    assert "return _session.get(URL + path).status_code" in new
    assert after["result"] == before["result"] == [200] * N + [404]
    assert cb["paths"] == ca["paths"]
    assert cb["connections"] == N + 1
    assert ca["connections"] <= 2


def test_httpx_loop_and_stream_reuse_one_connection(server, tmp_path):
    source = f"""
        import json
        import os

        import httpx

        URL = os.environ["SERVER_URL"]

        out = []
        for i in range({N}):
            out.append(httpx.get(URL + "/json", params={{"i": i}}, timeout=10).json())
            with httpx.stream("GET", URL + "/stream?chunks=3") as response:
                out.append(response.read().decode())
        print(json.dumps(out))
        """
    before, cb, after, ca, new = before_and_after(server, tmp_path, source, "--select", "share-session")
    assert "with _client.stream(" in new
    assert after["result"] == before["result"]
    assert cb["paths"] == ca["paths"] == {"/json": N, "/stream": N}
    assert cb["connections"] == 2 * N
    assert ca["connections"] <= 2


def test_httpx_function_strategy(server, tmp_path):
    source = f"""
        import json
        import os

        import httpx

        URL = os.environ["SERVER_URL"]


        def main():
            return [httpx.get(URL + "/json").json()["path"] for _ in range({N})]


        print(json.dumps(main()))
        """
    before, cb, after, ca, new = before_and_after(
        server, tmp_path, source, "--select", "share-session", "--session-scope", "function"
    )
    assert "with httpx.Client(" in new
    assert after["result"] == before["result"]
    assert cb["paths"] == ca["paths"]
    assert cb["connections"] == N
    assert ca["connections"] <= 2


COOKIES = """
    import json
    import os

    import httpx
    import requests

    URL = os.environ["SERVER_URL"]


    def main():
        out = {}
        out["requests_set"] = requests.get(URL + "/set-cookie").cookies.get_dict()
        out["requests_echo"] = requests.get(URL + "/cookies").json()
        out["requests_explicit"] = requests.get(URL + "/cookies", cookies={"x": "y"}).json()
        out["requests_after"] = requests.get(URL + "/cookies").json()
        out["httpx_set"] = dict(httpx.get(URL + "/set-cookie").cookies)
        out["httpx_echo"] = httpx.get(URL + "/cookies").json()
        out["httpx_after"] = httpx.get(URL + "/cookies").json()
        return out


    print(json.dumps(main()))
    """


@pytest.mark.parametrize("scope", ["module", "function"])
def test_no_cookie_is_carried_from_one_call_to_the_next(server, tmp_path, scope):
    before, cb, after, ca, new = before_and_after(
        server, tmp_path, COOKIES, "--select", "share-session", "--session-scope", scope
    )
    assert "DefaultCookiePolicy(allowed_domains=[])" in new
    assert before["result"]["requests_set"] == {"session": "abc"}
    assert before["result"]["requests_echo"] == {"cookie": None}
    assert before["result"]["requests_explicit"] == {"cookie": "x=y"}
    assert before["result"]["httpx_echo"] == {"cookie": None}
    assert after["result"] == before["result"]
    assert cb["paths"] == ca["paths"]
    assert ca["connections"] <= 2 < cb["connections"]


def test_keep_cookies_carries_them(server, tmp_path):
    """The opt-out really changes behaviour (and so the default really isolates)."""
    before, cb, after, ca, new = before_and_after(
        server, tmp_path, COOKIES, "--select", "share-session", "--keep-cookies"
    )
    assert "set_policy" not in new
    assert after["result"]["requests_echo"] == {"cookie": "session=abc"}
    assert before["result"]["requests_echo"] == {"cookie": None}


REDIRECT = """
    import json
    import os
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    import requests

    URL = os.environ["SERVER_URL"]


    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(302)
            self.send_header("Set-Cookie", "hop=1; Path=/")
            self.send_header("Location", URL + "/cookies")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass


    server = HTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    here = "http://127.0.0.1:%d/" % server.server_address[1]
    out = [requests.get(here).json(), requests.get(URL + "/cookies").json(), requests.get(here).json()]
    server.shutdown()
    server.server_close()
    print(json.dumps(out))
    """


def test_cookie_set_by_a_redirect_still_reaches_the_next_hop(server, tmp_path):
    """requests keeps a redirect chain's cookies in a per-request jar, so the isolated session
    still sends them on (a bare call did), and still forgets them afterwards."""
    before, cb, after, ca, new = before_and_after(server, tmp_path, REDIRECT, "--select", "share-session")
    assert before["result"] == [{"cookie": "hop=1"}, {"cookie": None}, {"cookie": "hop=1"}]
    assert after["result"] == before["result"]
    assert cb["paths"] == ca["paths"]


def test_threads_share_the_module_session(server, tmp_path):
    source = f"""
        import json
        import os
        from concurrent.futures import ThreadPoolExecutor

        import requests

        URL = os.environ["SERVER_URL"]


        def fetch(i):
            return requests.get(URL + "/json", params={{"i": i}}).json()["query"]


        with ThreadPoolExecutor(4) as pool:
            print(json.dumps(list(pool.map(fetch, range({4 * N})))))
        """
    before, cb, after, ca, new = before_and_after(server, tmp_path, source, "--select", "share-session")
    assert after["result"] == before["result"]
    assert cb["requests"] == ca["requests"] == 4 * N
    assert cb["connections"] == 4 * N
    assert ca["connections"] <= 4


@pytest.mark.skipif("close-response" not in registry.BY_NAME, reason="close-response is not registered yet")
def test_default_codemods_together_close_and_share_streamed_responses(server, tmp_path):
    source = f"""
        import json
        import os

        import requests

        URL = os.environ["SERVER_URL"]


        def head_of(path):
            r = requests.get(URL + path, stream=True)
            return r.raw.read(6).decode()


        print(json.dumps([head_of("/bytes?size=100000") for _ in range({N})]))
        """
    before, cb, after, ca, new = before_and_after(server, tmp_path, source)
    assert "with _session.get(URL + path, stream=True) as r:" in new
    assert after["result"] == before["result"]
    assert cb["paths"] == ca["paths"]
    assert ca["connections"] <= N  # each partly read stream is closed, never left to the GC
    assert ca["open"] == 0
    # and a second run changes nothing
    again = rewrite(tmp_path, new, name="again.py").read_text()
    assert again == new


LOG_AT_EXIT = """
    import json
    import logging
    import os
    import sys

    import httpx
    import requests

    URL = os.environ["SERVER_URL"]


    class HttpHandler(logging.Handler):
        \"\"\"Ships records on flush, which logging.shutdown calls at exit.\"\"\"

        def __init__(self):
            super().__init__()
            self.buffer = []

        def emit(self, record):
            self.buffer.append(self.format(record))

        def flush(self):
            if self.buffer:
                httpx.post(URL + "/json", json=self.buffer)
                requests.post(URL + "/json", json=self.buffer)
                print("shipped", len(self.buffer), file=sys.stderr, flush=True)
                self.buffer = []


    logging.getLogger("app").addHandler(HttpHandler())
    logging.getLogger("app").warning("hello")
    print(json.dumps(httpx.get(URL + "/json").status_code))
    """


def test_requests_sent_at_exit_still_go_out(server, tmp_path):
    """Finding 7: the shared client is not closed by an ``atexit`` handler, which ran before
    logging's (registered earlier) and made the handler's httpx.post fail."""
    before, cb, after, ca, new = before_and_after(server, tmp_path, LOG_AT_EXIT, "--select", "share-session")
    assert "_client.post(" in new and "_session.post(" in new and "atexit" not in new
    assert "shipped 1" in before["stderr"] and "Error" not in before["stderr"], before["stderr"]
    assert "shipped 1" in after["stderr"] and "Error" not in after["stderr"], after["stderr"]
    assert cb["paths"] == ca["paths"] == {"/json": 3}
