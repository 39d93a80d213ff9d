"""close-response and close-client against the real counting server.

Every program runs before and after the rewrite (both codemods, as by default) in a fresh
interpreter with ResourceWarnings on. It prints one JSON line: ``result`` (what the program
computed) and ``open`` (connections the server still sees open just before the program ends,
read over the server's uncounted stats socket while the program's objects are still alive;
the programs disable the cyclic garbage collector so leaked clients stay alive as they would
in a long-running process). We require: the same result, the same requests (per path), nothing
left open after, and no unclosed-resource report after. Each program also proves it leaked
before, so the test cannot pass vacuously.
"""

from __future__ import annotations

import ast
import re
import shutil
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT, rewrite, run_program

PRELUDE = """
import gc
import json
import os

from codemods.localserver import fetch_stats

gc.disable()  # leaked objects in reference cycles stay alive, as in a long-running process
URL = os.environ["SERVER_URL"]
ERRORS = []  # failures a program keeps (their tracebacks keep the failing frames alive)
"""

EPILOGUE = """
def still_open():
    \"\"\"Sockets of this process still connected to the server (from /proc: no race with
    the server noticing a close).\"\"\"
    from urllib.parse import urlsplit

    port = urlsplit(URL).port
    mine = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            mine.add(link[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as handle:
                rows = handle.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if int(fields[2].rsplit(":", 1)[1], 16) == port and fields[9] in mine:
                count += 1
    return count


print(json.dumps({"result": main(), "open": still_open()}, sort_keys=True))
"""

LEAK_MARKERS = ("ResourceWarning", "Unclosed client session", "Unclosed connection", "unclosed")


def before_and_after(server, tmp_path: Path, source: str, *options: str):
    source = textwrap.dedent(PRELUDE) + textwrap.dedent(source) + textwrap.dedent(EPILOGUE)
    program = tmp_path / "before.py"
    program.write_text(source)
    before = run_program(program, server.url)
    server.wait_idle()
    counts_before = server.counters.snapshot()
    server.counters.reset()

    path = rewrite(tmp_path, source, "--select", "close-client,close-response", *options, name="after.py")
    new = path.read_text()
    assert new != source, "nothing was rewritten"
    ast.parse(new)
    after = run_program(path, server.url)
    server.wait_idle()
    counts_after = server.counters.snapshot()
    # A second run changes nothing.
    again = rewrite(tmp_path, new, "--select", "close-client,close-response", *options, name="again.py")
    assert again.read_text() == new
    return before, counts_before, after, counts_after, new


def check(before, cb, after, ca):
    assert after["result"]["result"] == before["result"]["result"]
    assert ca["requests"] == cb["requests"]
    assert ca["paths"] == cb["paths"]
    assert after["result"]["open"] == 0, after
    for marker in LEAK_MARKERS:
        assert marker not in after["stderr"], after["stderr"]


def leaked(before) -> bool:
    return before["result"]["open"] > 0 or any(m in before["stderr"] for m in LEAK_MARKERS)


def test_requests_stream_true_early_returns(server, tmp_path):
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        import requests

        S = requests.Session()  # module-level: left alone; its pool shows what is checked out

        def check(path):
            r = S.get(URL + path, stream=True)
            if r.status_code != 200:
                return {"up": False, "status": r.status_code}
            head = r.raw.read(2)
            if head != b"ok":
                raise ValueError(f"unexpected page {head!r}")  # r stays referenced by the traceback
            return {"up": True, "head": head.decode()}

        def first_line(path):
            lines = requests.get(URL + path, stream=True).iter_lines()
            return next(lines).decode()

        def main():
            out = []
            for p in ("/health", "/status/503", "/bytes?size=65536", "/health", "/bytes?size=9"):
                try:
                    out.append(check(p))
                except ValueError as exc:
                    ERRORS.append(exc)  # kept, as a caller collecting failures would
                    out.append(str(exc))
            out.append(first_line("/stream?chunks=20"))
            S.close()  # its idle pooled connections are not a leak; what stays open after this is
            return out
        """,
    )
    assert "with S.get(URL + path, stream=True) as r:" in new
    assert "with requests.get(URL + path, stream=True) as response:" in new
    check(before, cb, after, ca)
    assert before["result"]["open"] > 0, before


def test_urlopen_named_and_hoisted(server, tmp_path):
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        from urllib.request import urlopen

        def status(path):
            resp = urlopen(URL + path)
            if resp.status != 200:
                return resp.status
            head = resp.read(5)
            if head == b"xxxxx":
                raise ValueError(head.decode())  # resp stays referenced by the traceback
            return len(head)

        def body(path):
            return json.load(urlopen(URL + path))["path"]

        def main():
            out = []
            for path in ("/health", "/bytes?size=100000", "/health", "/bytes?size=30"):
                try:
                    out.append(status(path))
                except ValueError as exc:
                    ERRORS.append(exc)
                    out.append(str(exc))
            return out + [body("/json"), body("/json")]
        """,
    )
    assert "with urlopen(URL + path) as resp:" in new
    assert "with urlopen(URL + path) as response:" in new
    check(before, cb, after, ca)
    assert before["result"]["open"] > 0, before


def test_httpx_clients_and_streamed_send(server, tmp_path):
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        import httpx

        def fetch(ids):
            client = httpx.Client(base_url=URL)
            titles = []
            for i in ids:
                response = client.get("/json", params={"report": i})
                titles.append(response.json()["query"]["report"])
            return titles

        def head(n):
            client = httpx.Client(base_url=URL)
            request = client.build_request("GET", "/stream", params={"chunks": 100})
            response = client.send(request, stream=True)
            out = []
            for line in response.iter_lines():
                out.append(line)
                if len(out) == n:
                    break
            return out

        def main():
            return [fetch(range(3)), fetch(range(3, 5)), head(2), head(3)]
        """,
    )
    assert "with httpx.Client(base_url=URL) as client:" in new
    assert "with contextlib.closing(client.send(request, stream=True)) as response:" in new
    check(before, cb, after, ca)
    assert before["result"]["open"] >= 2  # the clients' pooled connections


def test_aiohttp_session_and_responses(server, tmp_path):
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        import asyncio

        import aiohttp

        async def fetch(ids):
            session = aiohttp.ClientSession()
            found = {}
            for i in ids:
                path = "/status/404" if i % 3 == 0 else "/json"
                resp = await session.get(URL + path, params={"id": str(i)})
                if resp.status != 200:
                    found[i] = None
                    continue
                data = await resp.json()
                found[i] = data["query"]["id"]
            return found

        async def peek():
            session = aiohttp.ClientSession()
            return (await (await session.get(URL + "/bytes?size=70000")).content.read(3)).decode()

        async def both():
            return [await fetch(range(1, 6)), await fetch(range(6, 8))]

        def main():
            return asyncio.run(both())
        """,
    )
    assert "async with aiohttp.ClientSession() as session:" in new
    assert 'async with session.get(URL + path, params={"id": str(i)}) as resp:' in new
    check(before, cb, after, ca)
    assert "Unclosed client session" in before["stderr"]


def test_urllib3_pool_and_unpreloaded_response(server, tmp_path):
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        import urllib3

        def sizes(paths):
            http = urllib3.PoolManager()
            out = []
            for path in paths:
                r = http.request("GET", URL + path, preload_content=False)
                if r.status != 200:
                    out.append(r.status)
                    continue
                head = r.read(2)
                if head == b"xx":
                    raise ValueError(head.decode())  # r stays referenced by the traceback
                out.append(len(head))
            return out

        def main():
            out = []
            for paths in (["/status/500", "/health", "/json"], ["/json", "/bytes?size=50000"]):
                try:
                    out.append(sizes(paths))
                except ValueError as exc:
                    ERRORS.append(exc)  # kept, as a caller collecting failures would
                    out.append(str(exc))
            return out
        """,
    )
    assert "with urllib3.PoolManager() as http:" in new
    assert 'with http.request("GET", URL + path, preload_content=False) as r:' in new
    check(before, cb, after, ca)
    assert before["result"]["open"] > 0, before


SAMPLES = ["health_check.py", "download.py", "crawler.py", "httpx_client.py", "aiohttp_client.py"]


@pytest.mark.parametrize("sample", SAMPLES)
def test_samples(server, tmp_path, sample):
    """The shipped samples: same output and requests after the rewrite, and nothing unclosed."""
    source = (ROOT / "samples" / sample).read_text()
    program = tmp_path / "before.py"
    program.write_text(source)
    before = run_program(program, server.url)
    server.wait_idle()
    cb = server.counters.snapshot()
    server.counters.reset()
    path = rewrite(tmp_path, source, "--select", "close-client,close-response", name="after.py")
    assert path.read_text() != source
    after = run_program(path, server.url)
    server.wait_idle()
    ca = server.counters.snapshot()
    assert after["result"] == before["result"]
    assert ca["requests"] == cb["requests"] and ca["paths"] == cb["paths"]
    for marker in LEAK_MARKERS:
        assert marker not in after["stderr"], after["stderr"]


def test_health_check_sample_with_covers_both_return_paths(tmp_path):
    shutil.copy(ROOT / "samples" / "health_check.py", tmp_path / "h.py")
    path = rewrite(tmp_path, (tmp_path / "h.py").read_text(), "--select", "close-response", name="h.py")
    tree = ast.parse(path.read_text())
    check_fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "check")
    assert len(check_fn.body) == 1 and isinstance(check_fn.body[0], ast.With)
    returns = [n for n in ast.walk(check_fn.body[0]) if isinstance(n, ast.Return)]
    assert len(returns) == 2


def test_status_checks_try_bindings_helpers_and_read_responses(server, tmp_path):
    """The shapes closed by a ``with`` that opens after the binding (status checks, a ``try``
    whose handler leaves), responses passed to a same-module helper, a session whose response
    is already read, a redundant ``close()`` and a reachability check. On the error paths the
    response is left exactly as before: still open, its status readable."""
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        import urllib.request

        import requests
        from urllib.request import urlopen

        def _head(resp, n):
            return resp.raw.read(n)

        def download(path):
            r = requests.get(URL + path, stream=True)
            r.raise_for_status()
            head = _head(r, 3)
            if head == b"xxx":
                raise ValueError(head.decode())  # r stays referenced by the traceback
            return head.decode()

        def checked(path):
            r = requests.get(URL + path, stream=True)
            try:
                r.raise_for_status()
            except requests.HTTPError as e:
                raise RuntimeError(f"bad {r.status_code}") from e
            out = []
            for chunk in r.iter_content(4):
                out.append(chunk.decode())
                if len(out) == 2:
                    raise ValueError("".join(out))
            return "".join(out)

        def fetch(path):
            try:
                handle = urlopen(URL + path)
            except OSError as e:
                return str(getattr(e, "code", e))
            head = handle.read(2)
            if head == b"xx":
                raise ValueError(head.decode())
            return head.decode()

        def up(path):
            try:
                urlopen(URL + path, timeout=5)
                return True
            except OSError:
                return False

        def first_line(path):
            handle = urlopen(URL + path)
            line = handle.readline().decode()
            handle.close()
            return line

        def opened(path, own_opener):
            opener = None
            if own_opener:
                opener = urllib.request.build_opener()
            if opener:
                resp = opener.open(URL + path)
            else:
                resp = urlopen(URL + path)
            head = resp.read(2)
            if head == b"xx":
                raise ValueError(head.decode())
            return head.decode()

        def session_path(path):
            s = requests.Session()
            r = s.get(URL + path)
            s.close()
            return r

        def main():
            out = []
            for path in ("/bytes?size=70000", "/status/404", "/health"):
                try:
                    out.append(download(path))
                except ValueError as exc:
                    ERRORS.append(exc)
                    out.append(str(exc))
                except requests.HTTPError as exc:
                    out.append([exc.response.status_code, exc.response.raw.closed])
                    exc.response.close()  # the caller's own cleanup, the same before and after
            for path in ("/stream?chunks=50", "/status/500", "/health"):
                try:
                    out.append(checked(path))
                except ValueError as exc:
                    ERRORS.append(exc)
                    out.append(str(exc))
                except RuntimeError as exc:
                    out.append([str(exc), exc.__cause__.response.raw.closed])
                    exc.__cause__.response.close()
            for path in ("/bytes?size=80000", "/status/403", "/health"):
                try:
                    out.append(fetch(path))
                except ValueError as exc:
                    ERRORS.append(exc)
                    out.append(str(exc))
            for path, own in (("/bytes?size=90000", True), ("/bytes?size=90000", False), ("/health", True)):
                try:
                    out.append(opened(path, own))
                except ValueError as exc:
                    ERRORS.append(exc)
                    out.append(str(exc))
            out += [up("/bytes?size=60000"), up("/status/503")]
            out += [first_line("/stream?chunks=3"), session_path("/json").json()["path"]]
            return out
        """,
    )
    assert "    r.raise_for_status()\n    with r:\n" in new
    assert '        raise RuntimeError(f"bad {r.status_code}") from e\n    with r:\n' in new
    assert '        return str(getattr(e, "code", e))\n    with handle:\n' in new
    assert "with urlopen(URL + path, timeout=5):\n            pass\n" in new
    assert "        resp = urlopen(URL + path)\n    with resp:\n" in new
    assert "handle.close()" not in new and "s.close()" not in new
    assert "    with requests.Session() as s:\n        r = s.get(URL + path)\n    return r\n" in new
    check(before, cb, after, ca)
    assert leaked(before), before
    # The error paths: the response the exception carries is still open, as before.
    assert [404, False] in after["result"]["result"]
    assert ["bad 500", False] in after["result"]["result"]


def test_rebound_names_retry_loops_and_responses_outliving_their_session(server, tmp_path):
    """A use after the block that only the data reaches (the name rebound first), a retry
    loop whose only way out follows the binding, and a streamed response read after its
    session's ``with`` (aiohttp's shape of it, twitchAPI's, reads the body after the session
    closed: that races with the connector's close, so it is only a unit case): each gets its
    ``with``; the error paths no longer leak."""
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        import urllib.error
        from io import BytesIO
        from urllib.request import urlopen

        import requests

        def load(path, local=None):
            h = local
            if not h:
                try:
                    h = urlopen(URL + path)
                except OSError:
                    raise RuntimeError(path) from None
                text = h.read(5)
                if text == b"xxxxx":
                    raise ValueError(text.decode())  # h stays referenced by the traceback
                h = BytesIO(text)
            return h.read().decode()

        def retry(path, tries):
            n = 0
            while True:
                try:
                    result = urlopen(URL + path)
                    break
                except urllib.error.HTTPError as e:
                    e.close()
                    if n >= tries:
                        raise
                    n += 1
            head = result.read(3)
            if head == b"xxx":
                raise ValueError(head.decode())
            return head.decode()

        def streamed(path):
            with requests.Session() as s:
                r = s.get(URL + path, stream=True)
            head = r.raw.read(3)  # the session's close left the checked-out connection alone
            if head == b"xxx":
                raise ValueError(head.decode())
            return head.decode()

        def main():
            out = []
            for path in ("/bytes?size=70000", "/health"):
                for call in (load, lambda p: retry(p, 2), streamed):
                    try:
                        out.append(call(path))
                    except ValueError as exc:
                        ERRORS.append(exc)
                        out.append(str(exc))
            return out
        """,
    )
    assert "            raise RuntimeError(path) from None\n        with h:\n" in new
    assert "                raise\n            n += 1\n    with result:\n" in new
    assert "        r = s.get(URL + path, stream=True)\n    with r:\n" in new
    check(before, cb, after, ca)
    assert leaked(before), before


def test_the_callers_of_a_response_factory(server, tmp_path):
    """A factory returns the response open (right: its site stays reported); each caller
    closes it (``facts/factories.py``): a function and a private method through ``self``."""
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        from urllib.request import Request, urlopen

        import requests

        def _execute_request(path):
            return urlopen(Request(URL + path))

        def size(path):
            response = _execute_request(path)
            head = response.read(5)
            if head == b"xxxxx":
                raise ValueError(head.decode())  # the response stays referenced by the traceback
            return len(head)

        class Stream:
            def _create_stream(self, path):
                req = requests.get(URL + path, stream=True)
                if req.status_code != 200:
                    raise ValueError(req.status_code)
                return req

            def first(self, path):
                stream = self._create_stream(path)
                chunk = next(stream.iter_content(4)).decode()
                if chunk == "xxxx":
                    raise ValueError(chunk)
                return chunk

        def main():
            out = []
            for call, path in ((size, "/bytes?size=100000"), (size, "/health"), (Stream().first, "/stream?chunks=20"),
                               (Stream().first, "/bytes?size=70000")):
                try:
                    out.append(call(path))
                except ValueError as exc:
                    ERRORS.append(exc)  # kept, as a caller collecting failures would
                    out.append(str(exc))
            return out
        """,
    )
    assert "with _execute_request(path) as response:" in new
    assert "with self._create_stream(path) as stream:" in new
    check(before, cb, after, ca)
    assert before["result"]["open"] > 0, before


def test_a_response_passed_to_a_private_method_of_the_class(server, tmp_path):
    # ``self._ok(r)`` is read (closing/summaries.py): the class binds ``_ok`` once and nothing
    # else in the project does, so the response is closed around it.
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        import requests

        S = requests.Session()  # module-level: left alone; its pool shows what is checked out

        class Checker:
            @staticmethod
            def _head(resp, n):
                return resp.raw.read(n)

            def _ok(self, resp):
                return resp.status_code == 200 and resp.headers.get("content-type") is not None

            def check(self, path):
                r = S.get(URL + path, stream=True)
                if not self._ok(r):
                    return {"up": False, "status": r.status_code}
                head = self._head(r, 2)
                if head != b"ok":
                    raise ValueError(f"unexpected page {head!r}")  # r stays referenced by the traceback
                return {"up": True, "head": head.decode()}

        def main():
            out = []
            checker = Checker()
            for p in ("/health", "/status/503", "/bytes?size=65536", "/health", "/bytes?size=9"):
                try:
                    out.append(checker.check(p))
                except ValueError as exc:
                    ERRORS.append(exc)
                    out.append(str(exc))
            S.close()
            return out
        """,
    )
    assert "with S.get(URL + path, stream=True) as r:" in new
    check(before, cb, after, ca)
    assert leaked(before), before


def test_a_response_passed_to_a_method_two_sibling_classes_define(server, tmp_path):
    # langchain's SambaStudio / SambaNovaCloud: each class has its own ``_process``, so the
    # name is bound twice in the project; each class's own ``def`` is read (an unsafe fix: the
    # other could be a subclass's override), and what it returns is data read from it.
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        import requests

        S = requests.Session()  # module-level: left alone; its pool shows what is checked out

        class Studio:
            def _process(self, resp):
                if resp.status_code != 200:
                    raise RuntimeError(f"failed: {resp.status_code}")
                return resp.raw.read(2).decode()

            def call(self, path):
                response = S.get(URL + path, stream=True)
                completion = self._process(response)
                return completion

        class Cloud:
            def _process(self, resp):
                return [resp.status_code, resp.headers.get("content-type")]

            def call(self, path):
                response = S.get(URL + path, stream=True)
                completion = self._process(response)
                return completion

        def main():
            out = []
            for api in (Studio(), Cloud()):
                for p in ("/health", "/status/503", "/bytes?size=65536"):
                    try:
                        out.append(api.call(p))
                    except RuntimeError as exc:
                        ERRORS.append(exc)
                        out.append(str(exc))
            S.close()
            return out
        """,
        "--unsafe-fixes",
    )
    assert (
        new.count("with S.get(URL + path, stream=True) as response:\n            completion = self._process(response)")
        == 2
    )
    check(before, cb, after, ca)
    assert leaked(before), before


def test_a_factory_whose_session_and_raise_are_closed_in_one_run(server, tmp_path):
    # langchain's sambanova ``_handle_request``: close-client's unsafe fix puts the session in
    # a ``with`` (a streamed response is read on after ``Session.close()``), close-response
    # closes the response before the raise that reads its body, and each caller closes what it
    # gets: all in one run.
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        import requests

        class Studio:
            def _handle_request(self, path, streaming):
                http_session = requests.Session()
                if streaming:
                    response = http_session.get(URL + path, stream=True)
                else:
                    response = http_session.get(URL + path, stream=False)
                if response.status_code != 200:
                    raise RuntimeError(f"failed {response.status_code}: {response.text!r}")
                return response

            def call(self, path, streaming):
                response = self._handle_request(path, streaming)
                head = response.raw.read(2)
                if head == b"xx":
                    raise ValueError(head.decode())  # the response stays referenced by the traceback
                return head.decode()

        def main():
            out = []
            for p in ("/health", "/status/503", "/bytes?size=65536", "/stream?chunks=20"):
                for streaming in (True, False):
                    try:
                        out.append(Studio().call(p, streaming))
                    except ValueError as exc:
                        ERRORS.append(exc)  # kept, as a caller collecting failures would
                        out.append(str(exc))
                    except RuntimeError as exc:
                        # only its message: its traceback would keep the closed session, whose
                        # pool keeps the idle connection the closed response went back to
                        # (urllib3 2.8 closes a pool when it is collected, not on clear())
                        out.append(str(exc))
            return out
        """,
        "--unsafe-fixes",
    )
    assert "        with requests.Session() as http_session:\n" in new
    assert "            with response:\n                raise RuntimeError(" in new
    assert "with self._handle_request(path, streaming) as response:" in new
    check(before, cb, after, ca)
    assert before["result"]["open"] > 0, before


def test_a_generator_reading_events_through_an_sseclient(server, tmp_path):
    # langchain's llms/you.py: ``client = sseclient.SSEClient(response)`` (a wrapper that keeps
    # the response on itself only, ``eager.WRAPPING_FUNCTIONS``); the status check stays before
    # the ``with``, so a failing status raises as before. The program installs a stand-in for
    # sseclient-py (same API: ``SSEClient(event_source).events()``, events with ``.event`` and
    # ``.data``); a generator closed after two events (a body with a length: urllib3 leaves its
    # connection open when the generator is closed), one read to the end, one failing status.
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        import sys
        import types

        import requests

        S = requests.Session()  # module-level: left alone; its pool shows what is checked out
        SEEN = []  # a hook keeps every response alive, as a long-running process's log may
        S.hooks["response"].append(lambda r, *args, **kwargs: SEEN.append(r))


        class _Event:
            def __init__(self, data):
                self.event = "token"
                self.data = data


        class _SSEClient:
            def __init__(self, event_source):
                self._event_source = event_source

            def events(self):
                for chunk in self._event_source.iter_content(16):
                    yield _Event(chunk.decode())


        sys.modules["sseclient"] = types.SimpleNamespace(SSEClient=_SSEClient)


        def stream(path):
            response = S.get(URL + path, stream=True)
            response.raise_for_status()
            import sseclient

            client = sseclient.SSEClient(response)
            for event in client.events():
                if event.event == "token":
                    yield event.data


        def main():
            out = []
            gen = stream("/bytes?size=65536")
            out.append([next(gen), next(gen)])
            gen.close()
            out.append(len(list(stream("/bytes?size=64"))))
            try:
                list(stream("/status/503"))
            except requests.HTTPError as exc:
                out.append(exc.response.status_code)
                exc.response.close()  # the error path, as before: the caller's to close
            open_now = len(S.adapters["http://"].poolmanager.pools)
            S.close()
            return {"out": out, "pools": open_now}
        """,
    )
    assert "    response.raise_for_status()\n    with response:\n        import sseclient" in new
    check(before, cb, after, ca)
    assert after["result"]["result"]["out"] == [["x" * 16, "x" * 16], 4, 503]
    assert leaked(before), before


def test_a_generator_iterating_a_private_generator_over_the_response(server, tmp_path):
    """shodan's ``Stream``: ``lines`` iterates ``self._iter_stream(stream)``, a generator that
    reads the response and yields data (``closing/summaries.py``: ``yields_data``). The
    ``with`` around the loop closes the response when ``lines`` is exhausted, closed early
    or raises; a suspended generator keeps it open, before and after."""
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        import json

        import requests


        class Stream:
            def _create_stream(self, path):
                req = requests.get(URL + path, stream=True)
                if req.status_code != 200:
                    raise ValueError(req.status_code)
                return req

            def _iter_stream(self, stream, raw):
                for line in stream.iter_lines():
                    if line:
                        if raw:
                            yield line
                        else:
                            yield json.loads(line)  # ValueError: the lines are not JSON

            def lines(self, path, raw=False):
                stream = self._create_stream(path)
                if stream.headers.get("content-type") != "text/plain":
                    raise ValueError("not text")  # the traceback keeps this frame, and the response
                for line in self._iter_stream(stream, raw):
                    yield line


        def main():
            out = []
            s = Stream()
            out.append([line.decode() for line in s.lines("/stream?chunks=5", raw=True)])
            out.append(still_open())  # exhausted
            gen = s.lines("/stream?chunks=50000", raw=True)
            out.append([next(gen).decode(), next(gen).decode()])
            out.append(still_open())  # suspended: its connection is open
            gen.close()
            out.append(still_open())  # closed early
            for path in ("/stream?chunks=50000", "/bytes?size=100000"):
                try:
                    out.append(list(s.lines(path)))
                except ValueError as exc:
                    ERRORS.append(exc)  # kept, as a caller collecting failures would
                    out.append(str(exc))
            return out
        """,
    )
    assert "        with self._create_stream(path) as stream:\n            if stream.headers" in new
    check(before, cb, after, ca)
    exhausted, suspended, closed_early = (
        after["result"]["result"][1],
        after["result"]["result"][3],
        after["result"]["result"][4],
    )
    assert (exhausted, suspended, closed_early) == (0, 1, 0), after
    assert before["result"]["open"] > 0, before


def test_a_session_held_by_a_wrapper_class_of_the_module(server, tmp_path):
    # ``Api(s, URL)`` keeps the session only on its instance (closing/summaries.py,
    # ``holds_in_result``), and the instance lives only in the function: the session is
    # closed when the block ends, and with it the connections the wrapper's requests pooled.
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        import requests

        class Api:
            def __init__(self, session, base):
                self.session = session
                self.base = base
                self.calls = 0
                self.default = self.text  # a bound method: a reference cycle, which gc.disable() keeps

            def text(self, path):
                self.calls += 1
                return self.session.get(self.base + path).text

            def status(self, path):
                self.calls += 1
                return self.session.get(self.base + path).status_code

        def make(session):
            return Api(session, URL)

        def pages(paths):
            s = requests.Session()
            api = Api(s, URL)
            out = [api.text(p)[:8] for p in paths]
            return out

        def statuses(paths, log):
            s = requests.Session()
            api = make(s)
            for p in paths:
                log.write(f"{p} {api.status(p)};")

        def main():
            import io

            out = []
            log = io.StringIO()
            for _ in range(3):
                out.append(pages(["/health", "/bytes?size=64"]))
                statuses(["/health", "/status/503"], log)
            return out, log.getvalue()
        """,
    )
    assert "    with requests.Session() as s:\n        api = Api(s, URL)\n" in new
    assert "    with requests.Session() as s:\n        api = make(s)\n" in new
    check(before, cb, after, ca)
    assert before["result"]["open"] > 0, before


def test_generator_expressions_consumed_at_once_or_over_the_response(server, tmp_path):
    """``closing/escape.py``: ``_check_generator``. A generator expression that a builtin
    consumes before the statement ends (``any``/``sum``/``"".join``), and one whose only
    mention of the response is its outermost iterable (``(b for b in r.iter_content(16))``,
    a value reading from it), are used inside the block only. Each function counts the
    connections still open once it is done with the object (``OPEN``): ``any`` stops early,
    ``next`` reads one chunk and the session pools its connection, so before they stay open."""
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        import requests

        OPEN = []


        def has_data(path):
            r = requests.get(URL + path, stream=True)
            found = any(chunk for chunk in r.iter_content(16))
            OPEN.append(still_open())
            return found


        def lines(path):
            r = requests.get(URL + path, stream=True)
            text = "|".join(line.decode() for line in r.iter_lines())
            return text


        def first_chunk(path):
            r = requests.get(URL + path, stream=True)
            chunks = (b for b in r.iter_content(16))
            head = next(chunks)
            OPEN.append(still_open())
            return len(head)


        def total(paths):
            s = requests.Session()
            size = sum(len(s.get(URL + p).content) for p in paths)
            OPEN.append(still_open())
            return size


        def main():
            values = [
                has_data("/bytes?size=100000"),
                lines("/stream?chunks=3"),
                first_chunk("/bytes?size=100000"),
                total(["/bytes?size=10", "/health"]),
            ]
            return {"values": values, "open": OPEN}
        """,
    )
    assert "    with requests.get(URL + path, stream=True) as r:\n        found = any(" in new
    assert "    with requests.get(URL + path, stream=True) as r:\n        text = " in new
    assert "    with requests.get(URL + path, stream=True) as r:\n        chunks = (b for b in" in new
    assert "    with requests.Session() as s:\n        size = sum(" in new
    assert before["result"]["result"]["open"] == [1, 1, 1], before
    assert after["result"]["result"]["open"] == [0, 0, 0], after
    before["result"]["result"]["open"] = after["result"]["result"]["open"]  # compared above
    check(before, cb, after, ca)


def test_a_session_closed_before_its_streamed_response_is_read(server, tmp_path):
    """``closing/placement.py``: ``_responses_outlive_session`` (an unsafe fix). langchain's
    ``SambaStudio._handle_request``: the session's block ends before the (streamed) response
    is returned; the caller reads it to the end after ``Session.close()``. ``POOLS``: the
    pools the session's adapter (``r.connection``) still holds when the caller gets the
    response: before, the session was never closed; after, it was, and the body still reads."""
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        import requests

        POOLS = []


        def handle(path, streaming):
            http_session = requests.Session()
            if streaming:
                response = http_session.get(URL + path, stream=True)
            else:
                response = http_session.get(URL + path, stream=False)
            if response.status_code != 200:
                raise RuntimeError(response.text)
            return response


        def main():
            out = []
            for streaming in (True, False):
                r = handle("/stream?chunks=200", streaming)
                POOLS.append(len(r.connection.poolmanager.pools))
                out.append(len(list(r.iter_lines())))
                r.close()
            return {"values": out, "pools": POOLS}
        """,
        "--unsafe-fixes",
    )
    assert "    with requests.Session() as http_session:\n        if streaming:" in new
    assert "\n    if response.status_code != 200:" in new
    assert before["result"]["result"]["pools"] == [1, 1], before
    assert after["result"]["result"]["pools"] == [0, 0], after
    assert after["result"]["result"]["values"] == [200, 200], after
    before["result"]["result"]["pools"] = after["result"]["result"]["pools"]  # compared above
    check(before, cb, after, ca)


def test_a_response_raised_in_a_new_exception(server, tmp_path):
    """``closing/escape.py``: ``_raised_in_new_exception`` (an unsafe fix). langchain's
    maritalk ``_stream``: a generator raises ``ApiError(response)`` (here for a body of a
    length it does not stream); the caller keeps the exception and reads what its
    ``__init__`` read (the status, a header). Before, the unread response stays open in
    the kept exception; after, the ``with`` closes it as the exception leaves it."""
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        import requests


        class ApiError(Exception):
            def __init__(self, response):
                self.response = response
                self.status = response.status_code
                self.size = response.headers["Content-Length"]


        def events(path):
            response = requests.get(URL + path, stream=True)
            if response.headers.get("Content-Length") is None:
                for line in response.iter_lines():
                    yield line.decode()
            else:
                raise ApiError(response)


        def main():
            out = []
            for path in ("/stream?chunks=3", "/bytes?size=100000", "/health"):
                try:
                    out.append(list(events(path)))
                except ApiError as exc:
                    ERRORS.append(exc)  # kept, as a caller collecting failures would
                    out.append([exc.status, exc.size, exc.response.status_code])
            gen = events("/stream?chunks=50000")
            out.append(next(gen))
            gen.close()
            return out
        """,
        "--unsafe-fixes",
    )
    assert "    with requests.get(URL + path, stream=True) as response:\n        if response.headers" in new
    check(before, cb, after, ca)
    assert before["result"]["open"] > 0, before


def test_a_retry_loop_leaving_by_the_else_of_its_try(server, tmp_path):
    """pytube's ``stream``: the loop's only way out is ``else: break`` after the ``try`` that
    binds the response, so ``with response:`` opens after the loop; the retried failures
    (HTTPError 503) behave as before, the error path after the binding no longer leaks."""
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        from urllib.error import URLError
        from urllib.request import urlopen

        def chunks(path, tries):
            n = 0
            while True:
                if n > tries:
                    raise RuntimeError(f"gave up on {path}")
                try:
                    response = urlopen(URL + path)
                except URLError as e:
                    if getattr(e, "code", None) != 503:
                        raise
                else:
                    break
                n += 1
            head = response.read(4)
            if head == b"xxxx":
                raise ValueError(head.decode())  # the response stays referenced by the traceback
            yield head
            while True:
                chunk = response.read(4096)
                if not chunk:
                    break
                yield chunk

        def main():
            out = []
            for path in ("/bytes?size=70000", "/health", "/status/503", "/stream?chunks=20"):
                try:
                    out.append(len(b"".join(chunks(path, 1))))
                except (ValueError, RuntimeError) as exc:
                    ERRORS.append(exc)
                    out.append(str(exc))
            return out
        """,
    )
    assert "        n += 1\n    with response:\n        head = response.read(4)\n" in new
    check(before, cb, after, ca)
    assert leaked(before), before


def test_a_response_or_the_http_error_caught_in_its_place_gets_a_with_after_the_nested_try(server, tmp_path):
    """ecmwf-api-client's ``call``: ``res`` is the opener's response or, after an HTTPError,
    the error itself (a urllib response over the error body); ``with res:`` after the outer
    ``try`` closes either. The 404 still goes through the handler, the message still formats
    the object; the error path after the binding no longer leaks."""
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        from urllib.error import HTTPError
        from urllib.request import Request, build_opener, urlopen

        def ping():  # never called: the prefilter keeps a file for urlopen, not for an opener.open()
            with urlopen(URL + "/health") as r:
                return r.status

        def call(path):
            opener = build_opener()
            error = False
            try:
                try:
                    res = opener.open(Request(URL + path))
                except HTTPError as e:
                    if e.code <= 299:
                        res = e
                    else:
                        raise
            except HTTPError as e:
                error = True
                res = e
                if e.code >= 500:
                    return "unavailable"
            code = res.code
            head = res.read(4)
            if head == b"xxxx":
                raise ValueError(head.decode())  # the response stays referenced by the traceback
            body = head + res.read()
            res.close()
            if error:
                return "error %s: %s" % (code, type(res).__name__)
            return body.decode()

        def main():
            out = []
            for path in ("/bytes?size=70000", "/health", "/status/404", "/bytes?size=3"):
                try:
                    out.append(call(path))
                except ValueError as exc:
                    ERRORS.append(exc)
                    out.append(str(exc))
            return out
        """,
    )
    assert '            return "unavailable"\n    with res:\n        code = res.code\n' in new
    check(before, cb, after, ca)
    assert leaked(before), before


def test_an_exit_stack_at_an_if_in_a_retry_loop(server, tmp_path):
    """issue 13 (kaggle's resumed download): the ``if`` that makes the response on some runs
    is a statement of a ``try`` body in a ``while`` loop, the response closed and made again
    in a nested branch (a 503 answered by a second request). The stack is entered and left
    with each run: the same results and requests, an error raised while the response is open
    (handled by the loop, its traceback kept) leaves the same way, and nothing is left open
    after."""
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        import requests


        def download(paths):
            done = []
            tries = 0
            while tries < len(paths):
                path = paths[tries]
                tries += 1
                try:
                    r = None
                    if path.startswith("/"):
                        r = requests.get(URL + path, stream=True)
                        if r.status_code == 503:
                            r.close()
                            r = requests.get(URL + "/bytes?size=5", stream=True)
                        if path == "/bytes?size=65536":
                            raise OSError("interrupted")  # while the response is open
                    data = r.raw.read(3) if r is not None else b""
                    done.append(len(data))
                except OSError as exc:
                    ERRORS.append(exc)  # kept, as a caller collecting failures would
                    done.append(str(exc))
                    continue
            return done


        def main():
            return download(["/health", "/status/503", "skip", "/bytes?size=65536", "/bytes?size=9"])
        """,
    )
    assert "        try:\n            r = None\n            with contextlib.ExitStack() as stack:\n" in new
    assert new.count("stack.callback(r.close)") == 2, new
    check(before, cb, after, ca)
    assert leaked(before), before


def test_an_exit_stack_around_a_retry_loop_that_rebinds_the_response(server, tmp_path):
    """issue 13 (you-get ``url_save``): a retry loop rebinds the response that its next run
    reads; ``with contextlib.ExitStack()`` around the loop and ``stack.callback(r.close)``
    after the rebinding (an unsafe fix: each retry's response stays open until the loop ends): the same results and requests, an error raised after a retry (its
    traceback kept) leaves the same way, and nothing is left open after."""
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        from urllib.request import urlopen


        def fetch(u, limit, fail):
            if u.endswith("9"):
                r = urlopen(URL + u, timeout=10)
            else:
                r = urlopen(URL + u)
            got = 0
            tries = 0
            while True:
                data = r.read(4) if got < limit * (tries + 1) else b""
                if not data:
                    if tries >= 1:
                        break
                    tries += 1
                    r = urlopen(URL + u)  # read it again
                    if fail:
                        raise ValueError(got)
                    continue
                got += len(data)
            return got


        def main():
            out = []
            cases = [("/bytes?size=64", 8, False), ("/bytes?size=9", 4, False), ("/bytes?size=65536", 8, True)]
            for u, limit, fail in cases + [("/health", 100, False)]:
                try:
                    out.append(fetch(u, limit, fail))
                except ValueError as exc:
                    ERRORS.append(exc)  # kept, as a caller collecting failures would
                    out.append(str(exc))
            return out
        """,
        "--unsafe-fixes",
    )
    assert re.search(r"\n( +)with contextlib.ExitStack\(\) as stack:\n\1    while True:\n", new), new
    assert re.search(r"r = urlopen\(URL \+ u\)  # read it again\n( +)stack.callback\(r.close\)\n", new), new
    check(before, cb, after, ca)
    assert leaked(before), before


def test_an_object_made_in_one_branch_of_an_if_closed_by_an_exit_stack(server, tmp_path):
    """``closing/stack.py``: hvac's tests (a session made only when ``use_session``, held by
    a client object used after the ``if``) and a streamed response made on one branch only.
    ``with contextlib.ExitStack() as stack:`` opens at the ``if``, ``stack.callback(s.close)``
    follows the binding: the same results and requests, nothing left open after, and an
    error raised after the ``if`` (kept by the caller, its traceback keeping the frame
    alive) leaves the same way and still closes the session."""
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        import requests


        class Api:
            def __init__(self, session=None):
                self.session = session
                self.default = self.text  # a bound method: a reference cycle, which gc.disable() keeps

            def text(self, path):
                if self.session is None:
                    return "-"
                return self.session.get(URL + path).text


        def fetch(paths, use_session, fail):
            if use_session:
                s = requests.Session()
                s.headers["X-Test"] = "1"
                api = Api(session=s)
            else:
                api = Api()
            out = [api.text(p)[:8] for p in paths]
            if fail:
                raise ValueError(out)
            print(len(out))
            return out


        def first_chunk(path, stream):
            if stream:
                r = requests.get(URL + path, stream=True)
                chunks = r.iter_content(16)
            else:
                chunks = iter([b""])
            chunk = next(chunks)
            return len(chunk)


        def main():
            out = []
            for use_session in (True, False):
                out.append(fetch(["/health", "/bytes?size=64"], use_session, False))
                try:
                    fetch(["/health", "/status/503"], use_session, True)
                except ValueError as exc:
                    ERRORS.append(exc)  # kept, as a caller collecting failures would
                    out.append(exc.args[0])
            out.append(first_chunk("/stream?chunks=50000", True))
            out.append(first_chunk("/health", False))
            return out
        """,
    )
    assert "    with contextlib.ExitStack() as stack:\n        if use_session:\n" in new
    assert "            s = requests.Session()\n            stack.callback(s.close)\n" in new
    assert "            r = requests.get(URL + path, stream=True)\n            stack.callback(r.close)\n" in new
    check(before, cb, after, ca)
    assert before["result"]["open"] > 0, before


def test_a_factorys_raise_closes_its_response_first(server, tmp_path):
    """A raise that left a factory with its response open (``closing/raising.py``): closed just
    before it (``r.close()``); the error path raises the same exception with the same message,
    nothing stays open, and the callers (sites of the same run) are closed too."""
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        from urllib.request import urlopen

        import requests

        def _open(path):
            r = requests.get(URL + path, stream=True)
            if r.status_code != 200:
                raise RuntimeError(f"{path}: {r.status_code} {r.reason}")
            return r

        def _open_text(path):
            handle = urlopen(URL + path)
            if handle.headers.get_content_type() != "text/plain":
                raise TypeError(handle.headers.get_content_type())
            return handle

        def size(path):
            r = _open(path)
            return len(r.content)

        def text(path):
            handle = _open_text(path)
            return handle.read().decode()

        def main():
            out = []
            for call, path in ((size, "/status/503"), (size, "/bytes?size=100"), (text, "/bytes?size=70000"),
                               (text, "/health")):
                try:
                    out.append(call(path))
                except (RuntimeError, TypeError) as exc:
                    ERRORS.append(exc)  # kept, as a caller collecting failures would: its frames too
                    out.append(f"{type(exc).__name__}: {exc}")
            return out
        """,
    )
    assert "        r.close()\n        raise RuntimeError(" in new
    assert "        handle.close()\n        raise TypeError(" in new
    assert "with _open(path) as r:" in new and "with _open_text(path) as handle:" in new
    check(before, cb, after, ca)
    assert after["result"]["result"] == [
        "RuntimeError: /status/503: 503 Service Unavailable",
        100,
        "TypeError: application/octet-stream",
        "ok",
    ]
    assert leaked(before), before


def test_a_factorys_raise_that_reads_the_body_gets_with_around_it(server, tmp_path):
    """``with r:`` around a raise whose message reads the body of a streamed response: the
    message is the same (read before the close), and so are the requests. (requests keeps the
    socket of a response whose body was read whole until it is collected, closed or not: the
    open count is compared with before, not with 0.)"""
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        import requests

        def _open_json(path):
            r = requests.get(URL + path, stream=True)
            if r.headers["Content-Type"] != "application/json":
                raise ValueError(f"not json: {r.text[:12]!r}")
            return r

        def keys(path):
            r = _open_json(path)
            return sorted(r.json())

        def main():
            out = []
            for path in ("/bytes?size=70000", "/echo"):
                try:
                    out.append(keys(path))
                except ValueError as exc:
                    ERRORS.append(exc)
                    out.append(f"{type(exc).__name__}: {exc}")
            return out
        """,
    )
    assert "        with r:\n            raise ValueError(" in new and "with _open_json(path) as r:" in new
    assert after["result"]["result"] == before["result"]["result"]
    assert after["result"]["result"] == ["ValueError: not json: 'xxxxxxxxxxxx'", ["body", "method", "path", "query"]]
    assert ca["requests"] == cb["requests"] and ca["paths"] == cb["paths"]
    assert after["result"]["open"] <= before["result"]["open"]
    for marker in LEAK_MARKERS:
        assert marker not in after["stderr"], after["stderr"]


def test_a_response_given_inline_to_a_helper_that_closes_it_through_getattr_is_left_alone(server, tmp_path):
    # nltk's downloader: ``_bounded_body(urlopen(...), ...)`` reads the stream and closes it
    # in its finally (``getattr(stream, "close", None)``): no site; the program leaks nothing
    # after the other function's fix, so the untouched call closes what it opened.
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        import io
        import time
        from urllib.request import urlopen

        def _bounded_body(stream, limit):
            read = stream.read1 if isinstance(stream, io.BufferedIOBase) else stream.read
            chunks, total = [], 0
            try:
                while True:
                    block = read(4096)
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

        def bounded(path, limit):
            try:
                body = _bounded_body(urlopen(URL + path, timeout=5), limit)
            except ValueError as exc:
                return str(exc)
            return len(body.read())

        def head(path):
            resp = urlopen(URL + path, timeout=5)
            first = resp.read(2)
            if first == b"xx":
                raise ValueError(first.decode())  # resp stays referenced by the traceback
            return first.decode()

        def main():
            out = [bounded("/bytes?size=100000", 10**6), bounded("/bytes?size=100000", 1000)]
            for path in ("/health", "/bytes?size=100000"):
                try:
                    out.append(head(path))
                except ValueError as exc:
                    ERRORS.append(exc)
                    out.append(str(exc))
            return out
        """,
    )
    assert "body = _bounded_body(urlopen(URL + path, timeout=5), limit)" in new
    assert "with urlopen(URL + path, timeout=5) as resp:" in new
    check(before, cb, after, ca)
    assert leaked(before), before


def test_a_response_bound_in_a_try_with_only_a_finally_gets_a_with_after_the_try(server, tmp_path):
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        from urllib.request import urlopen

        STATE = {"calls": 0}

        def head(path):
            try:
                resp = urlopen(URL + path, timeout=5)
            finally:
                STATE["calls"] += 1
            first = resp.read(2)
            if first == b"xx":
                raise ValueError(first.decode())  # resp stays referenced by the traceback
            return first.decode()

        def main():
            out = []
            for path in ("/health", "/bytes?size=100000", "/health"):
                try:
                    out.append(head(path))
                except ValueError as exc:
                    ERRORS.append(exc)
                    out.append(str(exc))
            return out + [STATE["calls"]]
        """,
    )
    assert '        STATE["calls"] += 1\n    with resp:\n        first = resp.read(2)' in new
    check(before, cb, after, ca)
    assert leaked(before), before


def test_a_block_that_ends_at_the_explicit_close_before_later_uses(server, tmp_path):
    # biopython's Tests/test_TogoWS.py: ``records = list(Medline.parse(handle))`` /
    # ``handle.close()`` / asserts on ``records``: the with ends where the close was, and what
    # followed the close (here the wrapper's ``closed``) sees the response closed, as before.
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        import io
        from urllib.request import urlopen

        def head(path, seen):
            handle = urlopen(URL + path)
            text = io.TextIOWrapper(handle, encoding="utf-8")
            first = text.read(2)
            if first == "xx":
                raise ValueError(first)  # handle stays referenced by the traceback
            handle.close()
            seen.append(text.closed)
            return first

        def main():
            out, seen = [], []
            for path in ("/health", "/bytes?size=100000", "/json"):
                try:
                    out.append(head(path, seen))
                except ValueError as exc:
                    ERRORS.append(exc)
                    out.append(str(exc))
            return out + seen
        """,
    )
    assert "            raise ValueError(first)  # handle stays referenced by the traceback\n    seen.append" in new
    assert "handle.close()" not in new
    check(before, cb, after, ca)
    assert leaked(before), before
