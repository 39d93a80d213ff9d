"""close-response: before/after text for every target and every rewrite rule, and every
"report instead" case (unchanged output + reason). ``transform`` also checks that a second
run over the output changes nothing (idempotency)."""

from __future__ import annotations

import pytest
from tests.helpers import dedent, reasons, transform

from codemods import engine

SELECT = ["close-response"]


def fix(source: str, select=SELECT):
    new, sites = transform(source, select)
    return new, sites


def assert_fixed(before: str, after: str, select=SELECT) -> None:
    new, sites = fix(before, select)
    assert new == dedent(after)
    assert not reasons(sites), reasons(sites)
    assert reasons(sites, "fixed")


def assert_reported(before: str, reason: str, select=SELECT) -> None:
    new, sites = fix(before, select)
    assert new == dedent(before), "must not rewrite"
    found = reasons(sites)
    assert found, "nothing reported"
    assert any(reason in r for _, r in found), found


def assert_handed_out(before: str, select=SELECT) -> None:
    """No site at all: the function hands the response to its caller, one of the project's
    factories, so its callers are the sites (in a project: the facts find the factories).
    Alone (no project facts, ``fix``) the same function is reported: nothing goes unsaid."""
    import tempfile
    from pathlib import Path

    from tests.helpers import cli_sites, make_project

    with tempfile.TemporaryDirectory() as tmp:
        root = make_project(Path(tmp), {"pkg/m.py": dedent(before)})
        sites = cli_sites(root, "--check", "--no-cache", "--select", ",".join(select))
        assert "pkg/m.py" not in sites, sites["pkg/m.py"]
    _, alone = fix(before, select)
    assert alone and all(s.action == "reported" for s in alone), alone


def assert_returned_but_reported(before: str) -> None:
    """Returned to the caller, but no factory of the project (its callers are no sites): the
    function's own site stays reported, in a project too."""
    import tempfile
    from pathlib import Path

    from tests.helpers import cli_sites, make_project

    with tempfile.TemporaryDirectory() as tmp:
        root = make_project(Path(tmp), {"pkg/m.py": dedent(before)})
        sites = cli_sites(root, "--check", "--no-cache", "--select", "close-response")
    assert sites.get("pkg/m.py") and all(a == "reported" for _, a, _ in sites["pkg/m.py"]), sites


# -- targets --------------------------------------------------------------------------------


def test_requests_stream_true_function_named():
    assert_fixed(
        """
        import requests

        def check(url):
            # fetch it
            r = requests.get(url, stream=True)  # streamed
            if r.status_code != 200:
                return False
            head = r.raw.read(2)
            return head == b"ok"
        """,
        """
        import requests

        def check(url):
            # fetch it
            with requests.get(url, stream=True) as r:  # streamed
                if r.status_code != 200:
                    return False
                head = r.raw.read(2)
            return head == b"ok"
        """,
    )


def test_statements_after_last_use_stay_outside():
    assert_fixed(
        """
        import requests

        def f(url):
            r = requests.post(url, data=b"x", stream=True)
            status = r.status_code

            # unrelated
            log(status)
            return status
        """,
        """
        import requests

        def f(url):
            with requests.post(url, data=b"x", stream=True) as r:
                status = r.status_code

            # unrelated
            log(status)
            return status
        """,
    )


def test_requests_request_and_session_methods():
    assert_fixed(
        """
        import requests
        from requests import request

        s = requests.Session()

        def f(url):
            a = request("GET", url, stream=True)
            x = a.json()
            b = s.get(url, stream=True)
            return x, b.json()
        """,
        """
        import requests
        from requests import request

        s = requests.Session()

        def f(url):
            with request("GET", url, stream=True) as a:
                x = a.json()
            with s.get(url, stream=True) as b:
                return x, b.json()
        """,
    )


def test_requests_without_literal_stream_true_is_not_a_target():
    source = """
    import requests

    def f(url, flag):
        a = requests.get(url)
        b = requests.get(url, stream=flag)
        c = requests.get(url, stream=False)
        return a.text, b.text, c.text
    """
    new, sites = fix(source)
    assert new == dedent(source) and not sites


def test_urlopen_any_import_form():
    assert_fixed(
        """
        import urllib.request as ur
        from urllib.request import urlopen as uo

        def f(u):
            r = ur.urlopen(u)
            data = r.read()
            other = uo(u)
            more = other.read()
            return data + more
        """,
        """
        import urllib.request as ur
        from urllib.request import urlopen as uo

        def f(u):
            with ur.urlopen(u) as r:
                data = r.read()
            with uo(u) as other:
                more = other.read()
            return data + more
        """,
    )


def test_httpx_send_stream_uses_contextlib_closing():
    assert_fixed(
        """
        import httpx

        client = httpx.Client()

        def f(u):
            req = client.build_request("GET", u)
            r = client.send(req, stream=True)
            return [line for line in r.iter_lines()]
        """,
        """
        import contextlib

        import httpx

        client = httpx.Client()

        def f(u):
            req = client.build_request("GET", u)
            with contextlib.closing(client.send(req, stream=True)) as r:
                return [line for line in r.iter_lines()]
        """,
    )


def test_httpx_async_send_stream_uses_try_finally_aclose():
    assert_fixed(
        """
        import httpx

        async def f(client: httpx.AsyncClient, req):
            r = await client.send(req, stream=True)
            total = 0
            async for chunk in r.aiter_bytes():
                total += len(chunk)
            return total
        """,
        """
        import httpx

        async def f(client: httpx.AsyncClient, req):
            r = await client.send(req, stream=True)
            try:
                total = 0
                async for chunk in r.aiter_bytes():
                    total += len(chunk)
            finally:
                await r.aclose()
            return total
        """,
    )


def test_httpx_async_send_rebound_inside_is_reported():
    assert_reported(
        """
        import httpx

        async def f(client: httpx.AsyncClient, req):
            r = await client.send(req, stream=True)
            if req:
                r = None
            n = r.status_code
        """,
        "rebound",
    )


def test_httpx_stream_without_with_becomes_with():
    assert_fixed(
        """
        import httpx

        def f(u):
            r = httpx.stream("GET", u)
            return r.status_code
        """,
        """
        import httpx

        def f(u):
            with httpx.stream("GET", u) as r:
                return r.status_code
        """,
    )


def test_async_client_stream_without_with_becomes_async_with():
    assert_fixed(
        """
        import httpx

        async def f(u):
            async with httpx.AsyncClient() as c:
                r = c.stream("GET", u)
                body = await r.aread()
            return body
        """,
        """
        import httpx

        async def f(u):
            async with httpx.AsyncClient() as c:
                async with c.stream("GET", u) as r:
                    body = await r.aread()
            return body
        """,
    )


def test_httpx_stream_not_used_as_response_is_left_alone():
    source = """
    import httpx

    def f(u):
        cm = httpx.stream("GET", u)
        with cm as r:
            return r.text
    """
    new, sites = fix(source)
    assert new == dedent(source) and not sites


def test_aiohttp_await_get_becomes_async_with():
    assert_fixed(
        """
        import aiohttp

        async def f(session: aiohttp.ClientSession, u):
            resp = await session.get(u)
            if resp.status != 200:
                return None
            data = await resp.json()
            return data["x"]
        """,
        """
        import aiohttp

        async def f(session: aiohttp.ClientSession, u):
            async with session.get(u) as resp:
                if resp.status != 200:
                    return None
                data = await resp.json()
            return data["x"]
        """,
    )


def test_aiohttp_hoisted():
    assert_fixed(
        """
        import aiohttp

        async def f(session: aiohttp.ClientSession, u):
            return await (await session.request("GET", u)).text()
        """,
        """
        import aiohttp

        async def f(session: aiohttp.ClientSession, u):
            async with session.request("GET", u) as response:
                return await response.text()
        """,
    )


def test_aiohttp_content_is_a_lazy_stream():
    assert_reported(
        """
        import aiohttp

        async def f(session: aiohttp.ClientSession, u):
            resp = await session.get(u)
            return resp.content
        """,
        "returned",
    )


def test_urllib3_preload_content_false():
    assert_fixed(
        """
        import urllib3

        http = urllib3.PoolManager()

        def f(u):
            r = http.request("GET", u, preload_content=False)
            data = r.read()
            return data
        """,
        """
        import urllib3

        http = urllib3.PoolManager()

        def f(u):
            with http.request("GET", u, preload_content=False) as r:
                data = r.read()
            return data
        """,
    )


def test_urllib3_preloaded_is_not_a_target():
    source = """
    import urllib3

    http = urllib3.PoolManager()

    def f(u):
        r = http.request("GET", u)
        return r.data
    """
    new, sites = fix(source)
    assert new == dedent(source) and not sites


# -- hoisting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "before,after",
    [
        (
            "data = urlopen(u).read()\n    return data\n",
            "with urlopen(u) as response:\n        data = response.read()\n    return data\n",
        ),
        (
            "return json.load(urlopen(u))\n",
            "with urlopen(u) as response:\n        return json.load(response)\n",
        ),
        (
            "for chunk in requests.get(u, stream=True).iter_content():\n        out.write(chunk)\n",
            "with requests.get(u, stream=True) as response:\n"
            "        for chunk in response.iter_content():\n            out.write(chunk)\n",
        ),
        (
            "if requests.get(u, stream=True).status_code == 200:\n        out.write(b'ok')\n",
            "with requests.get(u, stream=True) as response:\n"
            "        if response.status_code == 200:\n            out.write(b'ok')\n",
        ),
        (
            "out[u] = json.load(urlopen(u))['x']\n",
            "with urlopen(u) as response:\n        out[u] = json.load(response)['x']\n",
        ),
    ],
)
def test_hoisting(before, after):
    head = "import json\nimport requests\nfrom urllib.request import urlopen\n\ndef f(u, out, foo):\n    "
    assert_fixed(head + before, head + after)


def test_hoisted_lazy_value_extends_the_block():
    assert_fixed(
        """
        import requests

        def f(u):
            lines = requests.get(u, stream=True).iter_lines()
            first = next(lines)
            return first
        """,
        """
        import requests

        def f(u):
            with requests.get(u, stream=True) as response:
                lines = response.iter_lines()
                first = next(lines)
            return first
        """,
    )


def test_fresh_name_avoids_names_in_scope():
    assert_fixed(
        """
        from urllib.request import urlopen

        def f(u, response):
            response_1 = 1
            return urlopen(u).read() + urlopen.__name__.encode() * response * response_1
        """,
        """
        from urllib.request import urlopen

        def f(u, response):
            response_1 = 1
            with urlopen(u) as response_2:
                return response_2.read() + urlopen.__name__.encode() * response * response_1
        """,
    )


def test_two_hoists_in_one_function_get_two_names():
    new, _ = fix(
        """
        from urllib.request import urlopen

        def f(u):
            a = urlopen(u).read()
            b = urlopen(u).read()
            return a + b
        """
    )
    assert "with urlopen(u) as response:" in new and "with urlopen(u) as response_1:" in new


@pytest.mark.parametrize(
    "statement",
    [
        "data = g() + urlopen(u).read()",
        "data = d[u] + urlopen(u).read()",
        "d[g()] += urlopen(u).read()",
        "f(g(), urlopen(u))",
        "x = [g(), urlopen(u).read()]",
        "x = {g(): urlopen(u).read()}",
    ],
)
def test_hoisting_would_change_evaluation_order(statement):
    assert_reported(
        f"from urllib.request import urlopen\n\ndef f(u, d):\n    {statement}\n",
        "runs before",
    )


@pytest.mark.parametrize(
    "statement,reason",
    [
        ("x = [urlopen(v).read() for v in u]", "comprehension"),
        ("x = list(urlopen(v).read() for v in u)", "comprehension"),
        ("x = {v: urlopen(v).read() for v in u}", "comprehension"),
        ("x = lambda: urlopen(u).read()", "lambda"),
        ("x = urlopen(u).read() if d else None", "conditional expression"),
        ("x = d or urlopen(u).read()", "right side of and/or"),
        ("x = d and urlopen(u).read()", "right side of and/or"),
        ("def g(x=urlopen(u).read()):\n        return x", "default argument"),
        ("@deco(urlopen(u).read())\n    def g():\n        pass", "decorator"),
        ("while urlopen(u).status != 200:\n        pass", "while condition"),
        ("if d:\n        pass\n    elif urlopen(u).status:\n        pass", "elif condition"),
        ("if d: x = urlopen(u).read()", "one-line compound"),
        ("a = 1; b = urlopen(u).read()", "several statements"),
        ("x = urlopen(u).read() + urlopen(d).read()", "several connections"),
    ],
)
def test_conditional_or_lazy_places_are_reported(statement, reason):
    assert_reported(f"from urllib.request import urlopen\n\ndef f(u, d, deco):\n    {statement}\n", reason)


# -- escapes: report instead ------------------------------------------------------------------

ESCAPES = [
    ("return r.iter_lines()", "returned"),
    ("return r.raw", "returned"),
    ("lines = r.iter_lines()\n    return lines", "returned"),
    ("reader = csv.reader(io.TextIOWrapper(r.raw))\n    return reader", "returned"),
    ("yield r", "yielded"),
    ("yield from r.iter_content()", "yielded"),
    ("return (r, 1)", "returned"),
    ("self.r = r", "stored on an attribute"),
    ("self.lines = r.iter_lines()", "stored on an attribute"),
    ("cache[u] = r", "stored in a subscript"),
    ("a, cache[u] = 1, r", "stored"),
    ("out.append(r)", ".append()"),
    ("out.add(r.raw)", ".add()"),
    ("out.extend([r])", "stored"),
    ("d = {'r': r}\n    use(d)", "container"),
    ("pair = [r, 1]\n    use(pair)", "container"),
    ("stack.push(r.raw)", ".push()"),
    ("global r", "declared global"),
    ("def g():\n        return r.text\n    use(g)", "nested function"),
    ("cb = lambda: r.text\n    use(cb)", "lambda"),
    ("gen = (r.raw.read(n) for n in (1, 2))\n    use(gen)", "generator expression"),
    ("gen = (line for line in r.iter_lines() if r.ok)\n    use(gen)", "generator expression"),
    ("gen = (line for line in r.iter_lines())\n    use(gen)", "passed to `use`"),
    ("class C:\n        x = r\n    use(C)", "class body"),
    ("raise ValueError(r)", "exception"),
    ("executor.submit(work, r)", ".submit()"),
    ("t = threading.Thread(target=work, args=(r,))", "may keep it"),
    ("t = threading.Thread(target=work, kwargs={'r': r.raw})", "may keep it"),
    ("fut = functools.partial(work, r)", "may keep it"),
]


def test_escapes_are_reported():
    """One module, one function per case: every one is reported and nothing is rewritten."""
    source = "import csv, functools, io, threading\nimport requests\n"
    lines = {}
    for number, (use, reason) in enumerate(ESCAPES):
        lines[source.count("\n") + 4] = reason
        source += (
            f"\n\ndef f{number}(self, u, cache, out, stack, executor, work, use):\n"
            f"    r = requests.get(u, stream=True)\n    {use}\n"
        )
    new, sites = fix(source)
    assert new == source
    found = dict(reasons(sites))
    assert sorted(found) == sorted(lines), (found, lines)
    for line, reason in lines.items():
        assert reason in found[line], (line, found[line], reason)


# -- generator expressions (closing/escape.py: _check_generator) ----------------------------

GENERATORS_RUN_NOW = [
    # consumed at once by a builtin: it runs inside the statement
    "n = sum(len(chunk) for chunk in r.iter_content(1024))\n    print(n)",
    "text = ''.join(line.decode() for line in r.iter_lines())\n    print(text)",
    "lines = list(line for line in r.iter_lines())\n    print(lines)",
    "ok = any(r.status_code == c for c in (200, 204))\n    print(ok)",
    "size = max(len(r.raw.read(n)) for n in (1, 2))\n    print(size)",
]


@pytest.mark.parametrize("body", GENERATORS_RUN_NOW)
def test_a_generator_expression_consumed_at_once_is_fixed(body):
    before = f"import requests\n\ndef f(u):\n    r = requests.get(u, stream=True)\n    {body}\n"
    first, second = body.split("\n    ")
    assert_fixed(
        before,
        f"import requests\n\ndef f(u):\n    with requests.get(u, stream=True) as r:\n        {first}\n    {second}\n",
    )


def test_a_generator_over_the_response_is_a_value_reading_from_it():
    """Only its outermost iterable is evaluated at once: ``(b for b in r)`` holds ``iter(r)``,
    and follows the taint like ``r.iter_content()`` does."""
    assert_fixed(
        """
        import requests

        def f(u):
            r = requests.get(u, stream=True)
            chunks = (b for b in r.iter_content(16))
            for chunk in chunks:
                print(chunk)
            print("done")
        """,
        """
        import requests

        def f(u):
            with requests.get(u, stream=True) as r:
                chunks = (b for b in r.iter_content(16))
                for chunk in chunks:
                    print(chunk)
            print("done")
        """,
    )


@pytest.mark.parametrize(
    "body, reason",
    [
        ("gen = (line for line in r.iter_lines())\n    return gen", "returned"),
        ("return list(line for line in r.iter_lines()), (b for b in r)", "returned"),
        ("gen = (b for b in r)\n    cache[u] = gen", "stored in a subscript"),
        ("data = list(cache.append(r) for _ in range(2))\n    print(data)", ".append()"),
        ("items = sorted(r for _ in range(1))\n    return items", "returned"),
        ("gen = (r.raw.read(n) for n in (1, 2))\n    print(list(gen))", "captured by a generator expression"),
        ("gen = (n for n in (1, 2) if r.ok)\n    print(list(gen))", "captured by a generator expression"),
        ("gen = (x for x in (b for b in r))\n    return gen", "returned"),
        ("it = next(b for b in r.iter_lines())\n    print(it)\n    return (b for b in r)", "returned"),
        # not consumed at once: ``key=`` is a second argument; ``next`` leaves the rest
        ("print(max((r.raw.read(n) for n in (1, 2)), key=len))", "captured by a generator expression"),
        ("print(next(r.raw.read(n) for n in (1, 2)))", "captured by a generator expression"),
    ],
)
def test_a_generator_expression_that_lets_the_response_out_is_reported(body, reason):
    assert_reported(f"import requests\n\ndef f(u, cache):\n    r = requests.get(u, stream=True)\n    {body}\n", reason)


# -- carried out in an exception made in the block (escape._raised_in_new_exception) --------

RAISED = """
import json

import requests


class ApiError(Exception):
    def __init__(self, response):
        self.response = response
        self.detail = response.text


def events(u):
    response = requests.post(u, stream=True)
    if response.ok:
        for line in response.iter_lines():
            yield json.loads(line)
    else:
        raise ApiError(response)
"""


def test_a_response_raised_in_a_new_exception_is_an_unsafe_fix():
    new, sites = fix(RAISED)
    assert new == dedent(RAISED)
    [site] = sites
    assert (site.action, site.safety) == ("reported", "unsafe")
    assert site.reason == "the response is carried out by an exception at line 19; fixable with --unsafe-fixes"
    assert site.hazard == (
        "`ApiError` keeps the response, closed once the exception leaves the with block; safe unless a "
        "handler reads what of it was not read before"
    )
    settings = engine.Settings(codemods=tuple(SELECT), mode=engine.CHECK, unsafe_fixes=True)
    result = engine.process_source(dedent(RAISED).encode(), "example.py", settings)
    assert [(s.action, s.safety) for s in result.sites] == [("fixed", "unsafe")]
    assert result.new_text.endswith(
        "    with requests.post(u, stream=True) as response:\n        if response.ok:\n"
        "            for line in response.iter_lines():\n                yield json.loads(line)\n"
        "        else:\n            raise ApiError(response)\n"
    )


def test_a_raise_a_later_with_can_leave_out_stays_a_safe_fix():
    """The ``with`` opened after the raise (``later.py``) is preferred to the unsafe fix."""
    new, sites = fix(
        "import requests\n\ndef f(u):\n    r = requests.get(u, stream=True)\n    if not r.ok:\n"
        "        raise ValueError(r.status_code, r)\n    return r.json()\n"
    )
    assert [(s.action, s.safety) for s in sites] == [("fixed", "safe")]
    assert "        raise ValueError(r.status_code, r)\n    with r:\n        return r.json()\n" in new


@pytest.mark.parametrize(
    "body",
    [
        "raise ApiError(r.raw)",  # something reading from it, not the response itself
        "err = ApiError(r)\n        raise err",  # made before: the name is the escape
        "raise ApiError(r) from r.raw",
        "check(r)\n        raise ApiError(r)",  # a second hazard: the unknown call
    ],
)
def test_a_response_raised_otherwise_stays_reported_not_unsafe(body):
    source = (
        "import requests\n\ndef f(u, check):\n    r = requests.get(u, stream=True)\n"
        f"    for line in r.iter_lines():\n        {body}\n"
    )
    new, sites = fix(source)
    assert new == source
    [site] = sites
    assert site.action == "reported" and site.safety != "unsafe", site


# -- handed to the caller: no site (closing/factory.py, facts.factories.hands_out) -----------

HANDED_OUT = [
    "r = requests.get(u, stream=True)\n    return r",
    "r = requests.get(u, stream=True)\n    r.raise_for_status()\n    return r",
    "return requests.get(u, stream=True)",
    # bound in a ``try`` whose handler raises, returned after it
    "try:\n        r = requests.get(u, stream=True)\n    except OSError:\n        raise\n    return r",
    # bound in both branches, returned after the ``if``
    "if d:\n        r = requests.get(u, stream=True)\n    else:\n        r = requests.post(u, stream=True)\n"
    "    r.raise_for_status()\n    return r",
    # a retry loop whose every ``break`` comes right after the binding
    "while True:\n        try:\n            r = requests.get(u, stream=True)\n            break\n"
    "        except OSError:\n            continue\n    return r",
    # a handler that falls through to the return of it
    "try:\n        r = requests.get(u, stream=True)\n        d(r.status_code)\n    except OSError:\n"
    "        pass\n    return r",
    # bound in a ``with``, returned after it (also when its exit swallows an exception)
    "with d:\n        r = requests.get(u, stream=True)\n        d(r.status_code)\n    return r",
]


@pytest.mark.parametrize("body", HANDED_OUT)
def test_a_response_returned_on_every_exit_is_no_site(body):
    assert_handed_out(f"import io\nimport requests\n\ndef f(u, d):\n    {body}\n")


def test_a_raise_that_leaves_the_factory_with_its_response_closes_it_for_each_binding(tmp_path):
    from tests.helpers import cli_sites, make_project

    # The exception carries nothing of it (``r.status_code`` is data): the response leaked on that path
    # (review 25, P2); it is closed just before the raise (closing/raising.py), one line for both
    # bindings. ``r.raise_for_status()`` above hands it on with its HTTPError: no site.
    body = (
        "if d:\n        r = requests.get(u, stream=True)\n    else:\n        r = requests.post(u, stream=True)\n"
        "    if r.status_code != 200:\n        raise ValueError(r.status_code)\n    return r"
    )
    root = make_project(tmp_path, {"pkg/m.py": f"import requests\n\n\ndef f(u, d):\n    {body}\n"})
    sites = cli_sites(root, "--select", "close-response", "--no-cache")["pkg/m.py"]
    why = "closed the response (`r.close()`) before the raise at line 10, which its caller never gets"
    assert sites == [(6, "fixed", why), (8, "fixed", why)]
    text = (root / "pkg" / "m.py").read_text()
    assert "    if r.status_code != 200:\n        r.close()\n        raise ValueError(r.status_code)\n" in text
    assert cli_sites(root, "--select", "close-response", "--no-cache").get("pkg/m.py", []) == []


RETURNED_NOT_A_FACTORY = [
    # a handler that gives up before the response exists: the function may return None, so
    # its callers cannot be closed for it (no factory); the binding stays the site
    "try:\n        r = requests.get(u, stream=True)\n    except OSError:\n        return None\n    return r",
    # a wrapper whose close() closes it (Bio/TogoWS ``_open``): handed out, but the factories
    # pass takes only responses themselves, so its callers are no sites
    "r = requests.get(u, stream=True)\n    text = io.TextIOWrapper(r.raw, encoding='utf-8')\n    return r",
    "r = requests.get(u, stream=True)\n    return io.BufferedReader(r)",
]


@pytest.mark.parametrize("body", RETURNED_NOT_A_FACTORY)
def test_a_response_returned_by_a_function_that_is_no_factory_stays_reported(body):
    assert_returned_but_reported(f"import io\nimport requests\n\ndef f(u, d):\n    {body}\n")


def test_a_decorated_function_returning_its_response_stays_reported():
    # A decorator not proven transparent (this one caches the response and hands it out
    # again): no factory, so its callers are no sites; its own binding is reported (it was no
    # site, and then nothing was said: found in review). A transparent one (``return f(*a)``,
    # Bio/TogoWS's ``function_with_previous``): tests/test_close_factories_decorated.py.
    assert_returned_but_reported(
        """
        import functools
        from urllib.request import urlopen

        def logged(f):
            cache = {}
            @functools.wraps(f)
            def inner(*a):
                if a not in cache:
                    cache[a] = f(*a)
                return cache[a]
            return inner

        @logged
        def _open(url):
            return urlopen(url)

        def get(url):
            handle = _open(url)
            return handle.read()
        """
    )


def test_a_response_wrapped_in_a_text_wrapper_and_returned_is_no_site():
    # Bio/TogoWS/__init__.py ``_open`` (undecorated): TextIOWrapper(handle).close() closes handle.
    assert_handed_out(
        """
        import io
        from urllib.request import urlopen

        def _open(url, post):
            if post:
                handle = urlopen(url, post.encode())
            else:
                handle = urlopen(url)
            text_handle = io.TextIOWrapper(handle, encoding="UTF-8")
            text_handle.url = handle.url
            return text_handle
        """
    )


@pytest.mark.parametrize(
    "body, reason",
    [
        # returned on one path, dropped on another
        ("r = requests.get(u, stream=True)\n    if d:\n        return None\n    return r", "returned"),
        ("r = requests.get(u, stream=True)\n    if r.ok:\n        return r", "returned"),
        # a ``with`` whose exit may swallow an exception after the binding, then falls off the end
        ("with d:\n        r = requests.get(u, stream=True)\n        d(r)\n        return r", "returned"),
        # the status check's handler drops it
        (
            "try:\n        r = requests.get(u, stream=True)\n        r.raise_for_status()\n"
            "    except OSError:\n        return None\n    return r",
            "raise_for_status",
        ),
        # a loop that may go round again and bind a new one
        ("for x in d:\n        r = requests.get(x, stream=True)\n        if r.ok:\n            return r", "returned"),
        # something made from it, not the response itself
        ("r = requests.get(u, stream=True)\n    return r.iter_lines()", "returned"),
        ("r = requests.get(u, stream=True)\n    return r.raw", "returned"),
        ("r = requests.get(u, stream=True)\n    return (r, 1)", "returned"),
        # gzip.GzipFile(fileobj=r).close() leaves r open
        ("r = requests.get(u, stream=True)\n    return gzip.GzipFile(fileobj=r)", "returned"),
        # a generator hands nothing out
        ("r = requests.get(u, stream=True)\n    yield 1\n    return r", "returned"),
    ],
)
def test_a_response_not_returned_on_every_exit_is_still_reported(body, reason):
    assert_reported(f"import gzip\nimport requests\n\ndef f(u, d):\n    {body}\n", reason)


def test_a_module_level_response_is_not_handed_out():
    assert_reported("from urllib.request import urlopen\n\nhandle = urlopen('u')\n", "module level")


def test_a_caller_of_a_function_that_hands_its_response_out_is_fixed_in_its_module():
    # The function's own site is none (handed out); its caller in the module is (factories.py).
    from tests.helpers import make_project, cli_sites

    import tempfile
    from pathlib import Path

    source = (
        "import requests\n\n\ndef _open(u):\n    r = requests.get(u, stream=True)\n    r.raise_for_status()\n"
        "    return r\n\n\ndef size(u):\n    r = _open(u)\n    return len(r.content)\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = make_project(Path(tmp), {"pkg/m.py": source})
        sites = cli_sites(root, "--select", "close-response", "--no-cache")
    assert sites == {"pkg/m.py": [(11, "fixed", "closed the response made by `_open` (pkg/m.py:4) with `with`")]}


def test_nonlocal_is_reported():
    assert_reported(
        """
        import requests

        def outer(u):
            r = None
            def f():
                nonlocal r
                r = requests.get(u, stream=True)
                print(r.status_code)
            f()
            return r
        """,
        "nonlocal",
    )


def test_bound_in_a_try_whose_handlers_leave_gets_a_with_after_the_try():
    assert_fixed(
        """
        import requests

        def f(u):
            try:
                r = requests.get(u, stream=True)
            except OSError:
                return None
            return r.json()
        """,
        """
        import requests

        def f(u):
            try:
                r = requests.get(u, stream=True)
            except OSError:
                return None
            with r:
                return r.json()
        """,
    )


def test_bound_in_a_try_with_only_a_finally_gets_a_with_after_the_try():
    # biopython's test_Entrez_online: ``try: stream = Entrez.einfo()`` / ``finally:
    # Entrez.api_key = cached``; the code after the try runs only when the binding did.
    assert_fixed(
        """
        import requests

        def f(u, state):
            saved = state.key
            try:
                r = requests.get(u, stream=True)
            finally:
                state.key = saved
            print(r.status_code)
            return r.json()
        """,
        """
        import requests

        def f(u, state):
            saved = state.key
            try:
                r = requests.get(u, stream=True)
            finally:
                state.key = saved
            with r:
                print(r.status_code)
                return r.json()
        """,
    )


@pytest.mark.parametrize(
    "final",
    [
        "return None",  # swallows the body's exception: the code after it may run unbound
        "r = None",  # rebinds it
        "for k in state:\n                    if k:\n                        return None",
    ],
)
def test_bound_in_a_try_whose_finally_may_swallow_or_rebind_is_reported(final):
    assert_reported(
        f"""
        import requests

        def f(u, state):
            try:
                r = requests.get(u, stream=True)
            finally:
                {final}
            return r.json()
        """,
        "used after the end of its block",
    )


def test_used_after_its_block_is_reported_when_a_handler_falls_through():
    assert_reported(
        """
        import requests

        def f(u):
            try:
                r = requests.get(u, stream=True)
            except OSError:
                log("failed")
            return r.json()
        """,
        "used after the end of its block",
    )


def test_derived_name_used_after_its_block_gets_an_exit_stack():
    # only one branch makes the response: closing/stack.py
    assert_fixed(
        """
        import requests

        def f(u, c):
            if c:
                r = requests.get(u, stream=True)
                lines = r.iter_lines()
            else:
                lines = []
            return list(lines)
        """,
        """
        import contextlib

        import requests

        def f(u, c):
            with contextlib.ExitStack() as stack:
                if c:
                    r = requests.get(u, stream=True)
                    stack.callback(r.close)
                    lines = r.iter_lines()
                else:
                    lines = []
                return list(lines)
        """,
    )


def test_use_in_an_earlier_loop_iteration_is_reported():
    assert_reported(
        """
        import requests

        def f(urls):
            prev = None
            for u in urls:
                if prev is not None:
                    print(prev.status_code)
                r = requests.get(u, stream=True)
                prev = r
            return 1
        """,
        "used after the end of its block",
    )


def test_eager_values_do_not_escape():
    assert_fixed(
        """
        import requests

        def f(u, cache):
            r = requests.get(u, stream=True)
            cache[u] = r.json()
            self_status = [r.status_code, r.headers.get("x")]
            text = "".join(chunk.decode() for chunk in [b"a"]) + r.text
            return {"status": r.status_code, "n": len(list(r.iter_lines())), "t": text}
        """,
        """
        import requests

        def f(u, cache):
            with requests.get(u, stream=True) as r:
                cache[u] = r.json()
                self_status = [r.status_code, r.headers.get("x")]
                text = "".join(chunk.decode() for chunk in [b"a"]) + r.text
                return {"status": r.status_code, "n": len(list(r.iter_lines())), "t": text}
        """,
    )


def test_nested_function_with_its_own_local_is_not_a_capture():
    assert_fixed(
        """
        import requests

        def f(u):
            r = requests.get(u, stream=True)
            key = sorted([3, 1], key=lambda r: -r)
            return key, r.status_code
        """,
        """
        import requests

        def f(u):
            with requests.get(u, stream=True) as r:
                key = sorted([3, 1], key=lambda r: -r)
                return key, r.status_code
        """,
    )


# -- already closed: not a target ---------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "with requests.get(u, stream=True) as r:\n        return r.json()\n",
        "with contextlib.closing(requests.get(u, stream=True)) as r:\n        return r.json()\n",
        "r = requests.get(u, stream=True)\n    try:\n        return r.json()\n    finally:\n        r.close()\n",
        "r = requests.get(u, stream=True)\n    try:\n        return r.json()\n    finally:\n"
        "        if r is not None:\n            r.close()\n",
        "with contextlib.ExitStack() as stack:\n        r = stack.enter_context(requests.get(u, stream=True))\n"
        "        return r.json()\n",
        "r = requests.get(u, stream=True)\n    stack.enter_context(r)\n    return r.json()\n",
        "r = requests.get(u, stream=True)\n    with r:\n        return r.json()\n",
        "r = urlopen(u)\n    try:\n        return r.read()\n    finally:\n        r.release_conn()\n",
    ],
)
def test_already_closed_is_not_a_target(source):
    full = "import contextlib\nimport requests\nfrom urllib.request import urlopen\n\ndef f(u, stack):\n    " + source
    new, sites = fix(full)
    assert new == full and not sites


def test_with_around_a_rebinding_does_not_close_the_new_response():
    # The with's exit is bound when it starts: it closes the first response, not the one
    # bound inside it (a second run over a file whose first response got ``with response:``
    # must still see the retry's response; it was taken for closed and said nothing).
    before = """
        import requests

        def f(u, retry):
            r = requests.get(u, stream=True)
            with r:
                data = r.raw.read()
                if retry:
                    r = requests.get(u, stream=True)
                    data = r.raw.read()
            return data
    """
    after = """
        import requests

        def f(u, retry):
            r = requests.get(u, stream=True)
            with r:
                data = r.raw.read()
                if retry:
                    with requests.get(u, stream=True) as r:
                        data = r.raw.read()
            return data
    """
    assert_fixed(before, after)


def test_module_level_response():
    # ``page`` is a module global: ``from example import page`` elsewhere would get it closed.
    assert_reported(
        """
        from urllib.request import urlopen

        page = urlopen("http://example.invalid/")
        body = page.read()
        print(len(body))
        """,
        "module level",
    )


def test_module_level_hoisted_response_binds_only_data():
    assert_fixed(
        """
        from urllib.request import urlopen

        body = urlopen("http://example.invalid/").read()
        print(len(body))
        """,
        """
        from urllib.request import urlopen

        with urlopen("http://example.invalid/") as response:
            body = response.read()
        print(len(body))
        """,
    )


def test_module_level_used_by_a_function_is_reported():
    assert_reported(
        """
        from urllib.request import urlopen

        page = urlopen("http://example.invalid/")

        def body():
            return page.read()
        """,
        "nested function",
    )


def test_suppression_comment():
    source = """
    import requests

    def f(u):
        r = requests.get(u, stream=True)  # http-codemods: ignore[close-response]
        return r.json()
    """
    new, sites = fix(source)
    assert new == dedent(source) and not sites


def test_overlapping_ranges_nest():
    assert_fixed(
        """
        import requests

        def f(u, v):
            a = requests.get(u, stream=True)
            b = requests.get(v, stream=True)
            x = a.json()
            y = b.json()
            return x, y
        """,
        """
        import requests

        def f(u, v):
            with requests.get(u, stream=True) as a:
                with requests.get(v, stream=True) as b:
                    x = a.json()
                    y = b.json()
            return x, y
        """,
    )


def test_unused_response_gets_pass():
    assert_fixed(
        """
        import requests

        def ping(u):
            r = requests.head(u, stream=True)
        """,
        """
        import requests

        def ping(u):
            with requests.head(u, stream=True) as r:
                pass
        """,
    )


def test_sync_function_cannot_use_async_with():
    source = """
    import aiohttp

    def f(session: aiohttp.ClientSession, loop, u):
        return loop.run_until_complete(session.get(u))
    """
    new, sites = fix(source)
    assert new == dedent(source)


def test_report_line_in_check_output(tmp_path):
    from click.testing import CliRunner

    from codemods.cli import command

    path = tmp_path / "m.py"
    path.write_text("import requests\n\ndef f(u):\n    r = requests.get(u, stream=True)\n    return r.raw\n")
    result = CliRunner().invoke(command, [str(path), "--check", "--select", "close-response"])
    assert f"{path}:4:9: close-response: the response" in result.output
    assert "1 left for review" in result.output or "1 site" in result.output or result.exit_code == 1


def test_tabs_and_comments_are_kept():
    source = "import requests\n\ndef f(u):\n\t# lead\n\tr = requests.get(u, stream=True)\n\t# mid\n\tx = r.json()  # t\n\n\treturn x\n"
    new, _ = fix(source)
    assert new == (
        "import requests\n\ndef f(u):\n\t# lead\n\twith requests.get(u, stream=True) as r:\n"
        "\t\t# mid\n\t\tx = r.json()  # t\n\n\treturn x\n"
    )


def test_engine_reparses_output():
    source = dedent(
        """
        import requests

        def f(u):
            r = requests.get(
                u,
                stream=True,
            )
            return r.json()
        """
    )
    settings = engine.Settings(codemods=("close-response",), mode=engine.CHECK)
    result = engine.process_source(source.encode(), "x.py", settings)
    assert result.status == engine.CHANGED
    assert "    with requests.get(\n        u,\n        stream=True,\n    ) as r:\n" in result.new_text


def test_return_inside_a_nested_function_with_its_own_local_is_not_an_escape():
    assert_fixed(
        """
        import requests

        def f(u):
            r = requests.get(u, stream=True)
            def pick(r):
                return r
            return pick(r.status_code)
        """,
        """
        import requests

        def f(u):
            with requests.get(u, stream=True) as r:
                def pick(r):
                    return r
                return pick(r.status_code)
        """,
    )


def test_rebinding_to_plain_data_ends_the_block():
    assert_fixed(
        """
        import requests

        def f(u):
            r = requests.get(u, stream=True)
            r = r.json()
            return r
        """,
        """
        import requests

        def f(u):
            with requests.get(u, stream=True) as r:
                r = r.json()
            return r
        """,
    )


def test_use_in_except_handler_is_reported():
    assert_reported(
        """
        import requests

        def f(u):
            try:
                r = requests.get(u, stream=True)
                r.raw.read(1)
            except OSError:
                print(r.status_code)
                raise
        """,
        "used after the end of its block",
    )


def test_generator_keeps_the_response_open_while_suspended():
    assert_fixed(
        """
        import requests

        def lines(u):
            r = requests.get(u, stream=True)
            for line in r.iter_lines():
                yield line
        """,
        """
        import requests

        def lines(u):
            with requests.get(u, stream=True) as r:
                for line in r.iter_lines():
                    yield line
        """,
    )


@pytest.mark.parametrize(
    "body",
    [
        "for line in r.iter_lines():\n        if line:\n            yield json.loads(line)",
        "for chunk in r.iter_content(1024):\n        yield chunk",
        "for piece in r:\n        yield bytes(piece)",
        "yield r.json()",
        "yield r.status_code, r.headers, r.text",
        "yield r.content.decode()",
        "lines = r.iter_lines()\n    yield next(lines)",
    ],
)
def test_a_generator_that_yields_data_read_from_the_response_is_fixed(body):
    # What is yielded is already read: it holds no reference to the response, so the
    # caller may keep it after the generator ends (and the ``with`` closes the response).
    new, sites = fix(f"import json\nimport requests\n\ndef g(u):\n    r = requests.get(u, stream=True)\n    {body}\n")
    assert "    with requests.get(u, stream=True) as r:\n" in new
    assert not reasons(sites) and reasons(sites, "fixed")


@pytest.mark.parametrize(
    "body",
    [
        "yield r.raw",
        "yield r.iter_lines()",
        "lines = r.iter_lines()\n    yield lines",
        "yield (line for line in r.iter_lines())",
        "yield from r.iter_lines()",
        "yield _lines(r)",
        "g = _lines(r)\n    yield g",
        "yield from _lines(r)",
    ],
)
def test_a_generator_that_yields_the_response_or_a_reader_of_it_is_reported(body):
    source = (
        "import requests\n\ndef _lines(resp):\n    for line in resp.iter_lines():\n        yield line\n\n"
        f"def g(u):\n    r = requests.get(u, stream=True)\n    {body}\n"
    )
    assert_reported(source, "")


GENERATOR_HELPER = """
import json

import requests

def _iter_stream(stream, raw):
    for line in stream.iter_lines():
        if line:
            if raw:
                yield line
            else:
                yield json.loads(line)
"""


@pytest.mark.parametrize(
    "caller,expected",
    [
        # the caller is a generator too: the ``with`` holds while it is suspended, and closing it
        # (GeneratorExit at its ``yield``) runs ``__exit__``
        (
            "def banners(u, raw=False):\n    stream = requests.get(u, stream=True)\n"
            "    for line in _iter_stream(stream, raw):\n        yield line\n",
            "def banners(u, raw=False):\n    with requests.get(u, stream=True) as stream:\n"
            "        for line in _iter_stream(stream, raw):\n            yield line\n",
        ),
        (
            "def first(u):\n    r = requests.get(u, stream=True)\n    items = _iter_stream(r, False)\n"
            "    head = next(items)\n    return head\n",
            "def first(u):\n    with requests.get(u, stream=True) as r:\n        items = _iter_stream(r, False)\n"
            "        head = next(items)\n    return head\n",
        ),
        (
            "def every(u):\n    r = requests.get(u, stream=True)\n    return [x for x in _iter_stream(r, True)]\n",
            "def every(u):\n    with requests.get(u, stream=True) as r:\n        return [x for x in _iter_stream(r, True)]\n",
        ),
        (
            "def banners(u, aid=None):\n    if aid:\n        stream = requests.get(u + aid, stream=True)\n"
            "    else:\n        stream = requests.get(u, stream=True)\n    try:\n"
            "        for line in _iter_stream(stream, True):\n            yield line\n"
            "    except requests.exceptions.ConnectionError:\n        raise ValueError('timed out')\n",
            "def banners(u, aid=None):\n    if aid:\n        stream = requests.get(u + aid, stream=True)\n"
            "    else:\n        stream = requests.get(u, stream=True)\n    with stream:\n        try:\n"
            "            for line in _iter_stream(stream, True):\n                yield line\n"
            "        except requests.exceptions.ConnectionError:\n            raise ValueError('timed out')\n",
        ),
    ],
)
def test_iterating_a_module_generator_that_yields_data_read_from_the_response(caller, expected):
    assert_fixed(GENERATOR_HELPER + "\n\n" + caller, GENERATOR_HELPER + "\n\n" + expected)


@pytest.mark.parametrize(
    "helper",
    [
        "def _gen(resp):\n    yield resp\n",
        "def _gen(resp):\n    yield resp.raw\n",
        "def _gen(resp):\n    yield resp.iter_lines()\n",
        "def _gen(resp):\n    for line in resp.iter_lines():\n        yield line\n    yield resp\n",
        "def _gen(resp):\n    KEEP.append(resp)\n    yield resp.status_code\n",
        "def _gen(resp):\n    global LAST\n    LAST = resp\n    yield 1\n",
        "def _gen(resp):\n    yield lambda: resp.text\n",
        "def _gen(resp):\n    unknown(resp)\n    yield 1\n",
        "def _gen(resp):\n    yield from _inner(resp)\n",
        "def _gen(resp):\n    for x in _keeps(resp):\n        yield len(x)\n",
        "async def _gen(resp):\n    yield resp.status_code\n",
        "@cache\ndef _gen(resp):\n    yield resp.status_code\n",
        # closing it after the block runs code that may read the closed response
        "def _gen(resp):\n    try:\n        for line in resp.iter_lines():\n            yield line\n"
        "    finally:\n        print(resp.status_code)\n",
        "def _gen(resp):\n    try:\n        yield resp.status_code\n    except BaseException:\n        resp.raw.read()\n",
        "def _gen(resp):\n    try:\n        yield resp.status_code\n    except:\n        raise\n",
        "def _gen(resp):\n    try:\n        yield resp.status_code\n    except errors.Failed:\n        raise\n",
        "def _gen(resp):\n    with open('log') as log:\n        yield resp.status_code\n",
    ],
)
def test_a_module_generator_that_keeps_the_response_or_yields_it_is_an_escape(helper):
    source = (
        "import requests\n\nKEEP = []\n\ndef _inner(resp):\n    yield resp\n\n"
        "def _keeps(resp):\n    KEEP.append(resp)\n    yield b''\n\n"
        f"{helper}\n\ndef f(u):\n    r = requests.get(u, stream=True)\n    for x in _gen(r):\n        yield x\n"
    )
    assert_reported(source, "")


@pytest.mark.parametrize(
    "use",
    [
        "return _gen(r)",
        "items = _gen(r)\n    return items",
        "KEEP.append(_gen(r))",
        "items = _gen(r)\n    first = next(items)\n    r = None\n    return first, items",
        "items = _gen(lines=r.iter_lines())\n    return next(items)",
    ],
)
def test_the_generator_object_holds_the_response_until_it_ends(use):
    # The items it yields are data; the generator object itself still refers to the response.
    source = (
        "import requests\n\nKEEP = []\n\ndef _gen(lines=None, resp=None):\n    for line in lines:\n        yield line\n\n"
        f"def f(u):\n    r = requests.get(u, stream=True)\n    {use}\n"
    )
    assert_reported(source, "")


def test_aliased_import_passes_the_cheap_pre_check():
    assert_fixed(
        """
        from urllib.request import urlopen as fetch

        def f(u):
            return fetch(u).read()
        """,
        """
        from urllib.request import urlopen as fetch

        def f(u):
            with fetch(u) as response:
                return response.read()
        """,
    )


@pytest.mark.parametrize(
    "use",
    [
        "coro = resp.json()\n    print(1)\n    return await coro",
        "reader = resp.text\n    print(1)\n    return await reader()",
    ],
)
def test_aiohttp_coroutines_and_bound_methods_are_lazy(use):
    new, sites = fix(
        "import aiohttp\n\nasync def f(session: aiohttp.ClientSession, u):\n"
        f"    resp = await session.get(u)\n    {use}\n"
    )
    # Either reported, or the block covers the await that reads the body.
    if "async with" in new:
        assert new.rstrip().endswith(("        return await coro", "        return await reader()"))
    else:
        assert reasons(sites)


def test_blank_lines_moved_into_the_block_get_no_trailing_whitespace():
    # (Module-level bindings are reported now; the same blank lines inside a function.)
    new, _ = fix(
        "from urllib.request import urlopen\ndef f(u, g):\n    h = urlopen(u)\n\n    with open(g) as f:\n"
        "        x = 1\n\n        f.write(h.read())\n"
    )
    # The blank line above the statement that opens the new block goes (ruff format drops it).
    assert new == (
        "from urllib.request import urlopen\ndef f(u, g):\n    with urlopen(u) as h:\n"
        "        with open(g) as f:\n            x = 1\n\n            f.write(h.read())\n"
    )


# -- review findings (1, 2, 3, 4, 10, 11, 12, 13) ---------------------------------------------


@pytest.mark.parametrize(
    "use",
    [
        "self.keep(r)",
        "sink(r)",
        "foo.bar(r, 'x').read()",
        "cache.remember(r.raw)",
        "object.__setattr__(self, 'r', r)",
        "var.set(r)",
        "d.__setitem__(k, r)",
        "super().__init__(response=r)",
    ],
)
def test_passing_the_response_to_an_unknown_call_is_reported(use):
    # The callee may keep it; the with block would close it under the keeper's feet.
    assert_reported(
        f"""
        import requests

        def f(self, u, sink, cache, var, d, k):
            r = requests.get(u, stream=True)
            {use}
            print(r.status_code)
        """,
        "stored by" if "__set" in use else "passed to",
    )


def test_chunks_of_the_response_may_be_passed_anywhere():
    assert_fixed(
        """
        import requests

        def f(u, out, log):
            r = requests.get(u, stream=True)
            for chunk in r.iter_content(1024):
                out.write(chunk)
                log.note(len(chunk), chunk)
            print(r.status_code, r.headers)
            out.close()
        """,
        """
        import requests

        def f(u, out, log):
            with requests.get(u, stream=True) as r:
                for chunk in r.iter_content(1024):
                    out.write(chunk)
                    log.note(len(chunk), chunk)
                print(r.status_code, r.headers)
            out.close()
        """,
    )


def test_raise_for_status_stays_before_a_with_that_starts_after_it():
    # Inside the block its HTTPError would carry the response out, closed (e.response.text
    # ''): the status check stays where it was and ``with r:`` holds what follows.
    assert_fixed(
        """
        import requests

        def f(u):
            r = requests.get(u, stream=True)
            r.raise_for_status()
            return r.raw.read(5) + b""
        """,
        """
        import requests

        def f(u):
            r = requests.get(u, stream=True)
            r.raise_for_status()
            with r:
                return r.raw.read(5) + b""
        """,
    )


def test_status_check_turned_into_another_exception_stays_before_the_with():
    assert_fixed(
        """
        import requests

        def f(u, out):
            r = requests.get(u, stream=True)
            try:
                r.raise_for_status()
            except requests.HTTPError as e:
                raise RuntimeError("bad") from e
            if r.status_code == 204:
                return r
            for chunk in r.iter_content(1024):
                out.write(chunk)
        """,
        """
        import requests

        def f(u, out):
            r = requests.get(u, stream=True)
            try:
                r.raise_for_status()
            except requests.HTTPError as e:
                raise RuntimeError("bad") from e
            if r.status_code == 204:
                return r
            with r:
                for chunk in r.iter_content(1024):
                    out.write(chunk)
        """,
    )


def test_nothing_after_the_status_check_is_reported():
    assert_reported(
        """
        import requests

        def f(u):
            r = requests.get(u, stream=True)
            r.raise_for_status()
        """,
        "raise_for_status",
    )


@pytest.mark.parametrize(
    "check,reason",
    [
        # A handler that goes on: the with would close what the exception carries.
        (
            "try:\n        r.raise_for_status()\n    except Exception as e:\n        errors.append(e)",
            "raise_for_status",
        ),
        # An exception a context manager may swallow.
        ("with suppress(Exception):\n        r.raise_for_status()", "raise_for_status"),
        # Stored before the check: a with after it would close what the list holds.
        ("errors.append(r)\n    r.raise_for_status()", ".append()"),
        # Rebound before the with could open: it would close the other object.
        ("if errors:\n        r = errors[0]\n    r.raise_for_status()", "raise_for_status"),
    ],
)
def test_status_checks_that_cannot_stay_before_a_with(check, reason):
    """Each reported as before (the error path would change, or the with would not close the
    response the binding made)."""
    assert_reported(
        f"import requests\nfrom contextlib import suppress\n\ndef f(u, errors):\n"
        f"    r = requests.get(u, stream=True)\n    {check}\n    return r.json()\n",
        reason,
    )


@pytest.mark.parametrize(
    "line",
    [
        "info = dict(resp=r, status=r.status_code)",
        "info = max(r, other, key=lambda z: z.status_code)",
        "info = next(iter([]), r)",
        "info = min(other, default=r)",
    ],
)
def test_functions_that_can_return_their_argument_pass_the_taint(line):
    assert_reported(
        f"""
        import requests

        def f(u, other):
            r = requests.get(u, stream=True)
            {line}
            return info
        """,
        "returned",
    )


def test_list_of_lines_is_still_eager():
    assert_fixed(
        """
        import requests

        def f(u):
            r = requests.get(u, stream=True)
            lines = list(r.iter_lines())
            return lines
        """,
        """
        import requests

        def f(u):
            with requests.get(u, stream=True) as r:
                lines = list(r.iter_lines())
            return lines
        """,
    )


def test_match_capture_names_are_bindings():
    assert_reported(
        """
        import requests

        def f(u):
            r = requests.get(u, stream=True)
            match r:
                case requests.Response(raw=raw):
                    pass
            return raw
        """,
        "returned",
    )


@pytest.mark.parametrize(
    "line",
    [
        "self.metrics.record(requests.get(u, stream=True).status_code)",
        "self.total += requests.get(u, stream=True).status_code",
        "self.total[0] += requests.get(u, stream=True).status_code",
    ],
)
def test_hoisting_after_an_attribute_chain_is_reported(line):
    # ``self.metrics`` is evaluated (and may raise) before the request is sent.
    assert_reported(
        f"""
        import requests

        def f(self, u):
            {line}
        """,
        "hoisting it would change the order",
    )


def test_hoisting_after_a_module_attribute_is_fine():
    assert_fixed(
        """
        import json
        import requests

        def f(u):
            data = json.loads(requests.get(u, stream=True).text)
            return data
        """,
        """
        import json
        import requests

        def f(u):
            with requests.get(u, stream=True) as response:
                data = json.loads(response.text)
            return data
        """,
    )


def test_target_inside_assert_is_reported():
    # Hoisting it out of the assert would send the request under python -O.
    assert_reported(
        """
        import requests

        def f(u):
            assert requests.get(u, stream=True).status_code == 200
        """,
        "assert",
    )


def test_module_level_binding_is_reported():
    # A module global may be imported and used by other modules after the block.
    assert_reported(
        """
        import requests

        resp = requests.get("http://example.invalid/", stream=True)
        print(resp.status_code)
        """,
        "module level",
    )


_SEND = """
import httpx
{imports}

def f(client: httpx.Client, req{param}):
    r = client.send(req, stream=True)
    return r.read()
"""


@pytest.mark.parametrize(
    "imports,param",
    [("", ", contextlib=None"), ("from mytools import contextlib", ""), ("contextlib = 1", "")],
)
def test_contextlib_name_taken_uses_a_private_alias(imports, param):
    new, sites = fix(_SEND.format(imports=imports, param=param))
    assert "import contextlib as _contextlib" in new
    assert "with _contextlib.closing(client.send(req, stream=True)) as r:" in new
    assert not reasons(sites), reasons(sites)


def test_contextlib_already_imported_is_used():
    new, sites = fix(_SEND.format(imports="import contextlib", param=""))
    assert "with contextlib.closing(" in new and "_contextlib" not in new
    assert new.count("import contextlib") == 1


@pytest.mark.parametrize(
    "imports", ["from contextlib import redirect_stdout", "from contextlib import suppress as quiet"]
)
def test_a_from_contextlib_import_binds_no_contextlib_name(imports):
    # ``from contextlib import x`` spells the module but binds only ``x``: ``import
    # contextlib`` is added as usual, not a private ``_contextlib`` alias (review of s25).
    new, sites = fix(_SEND.format(imports=imports, param=""))
    assert "_contextlib" not in new, new
    assert "with contextlib.closing(client.send(req, stream=True)) as r:" in new
    assert not reasons(sites), reasons(sites)


def test_contextlib_and_private_alias_both_taken_is_reported():
    assert_reported(
        _SEND.format(imports="from mytools import contextlib\n_contextlib = 2", param=""),
        "contextlib",
    )


# -- same-module helpers (summaries.py) --------------------------------------------------------


def test_response_passed_to_a_helper_that_only_reads_it_is_fixed():
    assert_fixed(
        """
        import logging
        import requests

        log = logging.getLogger(__name__)

        def _check(resp, what):
            if resp.status_code != 200:
                log.warning("%s: %s", what, resp.status_code)
            for line in resp.iter_lines():
                log.debug("%s", line)
            return resp.headers.get("etag")

        def _walk(resp, n):
            if n:
                return _walk(resp, n - 1)
            return _check(resp=resp, what="walk")

        def f(u):
            r = requests.get(u, stream=True)
            etag = _walk(r, 3)
            return etag
        """,
        """
        import logging
        import requests

        log = logging.getLogger(__name__)

        def _check(resp, what):
            if resp.status_code != 200:
                log.warning("%s: %s", what, resp.status_code)
            for line in resp.iter_lines():
                log.debug("%s", line)
            return resp.headers.get("etag")

        def _walk(resp, n):
            if n:
                return _walk(resp, n - 1)
            return _check(resp=resp, what="walk")

        def f(u):
            with requests.get(u, stream=True) as r:
                etag = _walk(r, 3)
            return etag
        """,
    )


@pytest.mark.parametrize(
    "helper,call",
    [
        # keeps it, directly or through another helper
        ("def h(resp):\n    KEEP.append(resp)\n", "h(r)"),
        ("def keep(resp):\n    KEEP.append(resp)\n\ndef h(resp):\n    keep(resp)\n", "h(r)"),
        ("def h(resp):\n    resp.raise_for_status()\n", "h(r)"),
        ("def h(resp):\n    global LAST\n    LAST = resp\n", "h(r)"),
        ("def h(resp):\n    return lambda: resp\n", "h(r)"),
        ("def h(resp):\n    unknown(resp)\n", "h(r)"),
        # a generator that yields the response keeps it; an unawaited coroutine keeps it too
        ("def h(resp):\n    yield resp\n", "h(r)"),
        ("async def h(resp):\n    return resp.status_code\n", "h(r)"),
        # may be replaced, or reach its locals some other way
        ("@cache\ndef h(resp):\n    return resp.status_code\n", "h(r)"),
        ("def h(resp):\n    return locals()\n", "h(r)"),
        ("def h(resp):\n    return resp.status_code\n\nh = wrap(h)\n", "h(r)"),
        # lands in *args / **kwargs, or passed with a star
        ("def h(*args):\n    return args[0].status_code\n", "h(r)"),
        ("def h(**kw):\n    return kw['r'].status_code\n", "h(r=r)"),
        ("def h(resp):\n    return resp.status_code\n", "h(*[r])"),
        # something derived from the response, not the response itself
        ("def h(lines):\n    return list(lines)\n", "h(r.iter_lines())"),
    ],
)
def test_helpers_that_may_keep_the_response_are_escapes(helper, call):
    assert_reported(
        f"import requests\n\nKEEP = []\n\n{helper}\n\ndef f(u):\n    r = requests.get(u, stream=True)\n"
        f"    x = {call}\n    return r.status_code\n",
        "",
    )


@pytest.mark.parametrize("helper", ["def h(resp):\n    return resp\n", "def h(resp):\n    return resp.raw\n"])
def test_a_helper_whose_result_holds_the_response_is_followed_through_it(helper):
    # only the result holds it: the block covers the uses of the result, which must not
    # outlive it any more than the response
    source = f"import requests\n\n{helper}\n\ndef f(u):\n    r = requests.get(u, stream=True)\n    x = h(r)\n"
    assert_fixed(
        source + "    print(x)\n    return r.status_code\n",
        f"import requests\n\n{helper}\n\ndef f(u):\n    with requests.get(u, stream=True) as r:\n        x = h(r)\n"
        "        print(x)\n        return r.status_code\n",
    )
    assert_reported(source + "    return x\n", "returned at line 10")


def test_method_of_a_class_is_not_summarised():
    # ``self._check(r)``: a subclass may override it.
    assert_reported(
        """
        import requests

        class A:
            def _check(self, resp):
                return resp.status_code

            def f(self, u):
                r = requests.get(u, stream=True)
                self._check(r)
                return r.json()
        """,
        "which may keep it",
    )


# -- rewrites a maintainer would write -----------------------------------------------------------


def test_explicit_close_at_the_end_of_the_block_is_dropped():
    assert_fixed(
        """
        from urllib.request import urlopen

        def f(u, save):
            handle = urlopen(u)
            text = handle.read()
            save(text)
            handle.close()
            return text
        """,
        """
        from urllib.request import urlopen

        def f(u, save):
            with urlopen(u) as handle:
                text = handle.read()
                save(text)
            return text
        """,
    )


def test_explicit_close_that_is_not_last_stays():
    assert_fixed(
        """
        from urllib.request import urlopen

        def f(u):
            handle = urlopen(u)
            handle.close()
            return handle.status
        """,
        """
        from urllib.request import urlopen

        def f(u):
            with urlopen(u) as handle:
                handle.close()
                return handle.status
        """,
    )


def test_close_of_a_rebound_name_stays():
    assert_fixed(
        """
        import requests

        def f(u, other):
            r = requests.get(u, stream=True)
            n = len(r.content)
            if n:
                r = other
            r.close()
            return n
        """,
        """
        import requests

        def f(u, other):
            with requests.get(u, stream=True) as r:
                n = len(r.content)
                if n:
                    r = other
                r.close()
            return n
        """,
    )


def test_the_block_ends_at_an_explicit_close_before_later_uses_of_what_was_read():
    # biopython's Tests/test_TogoWS.py: what follows the close ran on a closed response before
    # too, so it stays after the block, and the close goes (the with's exit does it).
    assert_fixed(
        """
        import io
        from urllib.request import urlopen

        def f(u, check):
            handle = urlopen(u)
            text = io.TextIOWrapper(handle)
            first = text.readline()
            handle.close()
            check(first, text.closed)
            return first
        """,
        """
        import io
        from urllib.request import urlopen

        def f(u, check):
            with urlopen(u) as handle:
                text = io.TextIOWrapper(handle)
                first = text.readline()
            check(first, text.closed)
            return first
        """,
    )


def test_the_unsafe_fix_ends_at_an_explicit_close_too():
    source = """
        from urllib.request import urlopen
        from Bio import Medline

        def test_parse(self):
            handle = urlopen("https://togows.org/entry/pubmed/16381885")
            records = list(Medline.parse(handle))
            handle.close()
            self.assertEqual(len(records), 1)
        """
    _, sites = fix(source)
    assert [(s.action, s.safety) for s in sites] == [("reported", "unsafe")], sites
    assert _unsafe_fixed(source) == dedent(
        """
        from urllib.request import urlopen
        from Bio import Medline

        def test_parse(self):
            with urlopen("https://togows.org/entry/pubmed/16381885") as handle:
                records = list(Medline.parse(handle))
            self.assertEqual(len(records), 1)
        """
    )


def test_a_with_opened_after_the_binding_ends_at_an_explicit_close_too():
    # biopython's Tests/test_Entrez_online.py: the binding in a ``try`` with a ``finally``.
    assert_fixed(
        """
        import io
        from urllib.request import urlopen

        def f(u, check, cleanup):
            try:
                handle = urlopen(u)
            finally:
                cleanup()
            text = io.TextIOWrapper(handle)
            first = text.readline()
            handle.close()
            check(first, text.closed)
        """,
        """
        import io
        from urllib.request import urlopen

        def f(u, check, cleanup):
            try:
                handle = urlopen(u)
            finally:
                cleanup()
            with handle:
                text = io.TextIOWrapper(handle)
                first = text.readline()
            check(first, text.closed)
        """,
    )


def test_an_explicit_close_of_a_name_read_after_it_stays_in_the_block():
    assert_fixed(
        """
        import io
        from urllib.request import urlopen

        def f(u, check):
            handle = urlopen(u)
            text = io.TextIOWrapper(handle)
            first = text.readline()
            handle.close()
            check(first, text.closed, handle.status)
        """,
        """
        import io
        from urllib.request import urlopen

        def f(u, check):
            with urlopen(u) as handle:
                text = io.TextIOWrapper(handle)
                first = text.readline()
                handle.close()
                check(first, text.closed, handle.status)
        """,
    )


@pytest.mark.parametrize(
    "close",
    [
        "handle.close()  # done",  # a comment on its line explains it
        "if first:\n        handle.close()",  # not a statement of the block itself
    ],
)
def test_an_explicit_close_that_is_no_plain_statement_of_the_block_leaves_the_block_as_it_was(close):
    source = f"""
import io
from urllib.request import urlopen

def f(u, check):
    handle = urlopen(u)
    text = io.TextIOWrapper(handle)
    first = text.readline()
    {close}
    check(first, text.closed)
"""
    new, sites = fix(source)
    assert reasons(sites, "fixed"), sites
    assert "    with urlopen(u) as handle:\n" in new, new
    assert new.endswith("\n        check(first, text.closed)\n"), new  # still in the block
    assert close.splitlines()[-1].strip() in new, new


def test_call_made_only_for_its_effect_gets_a_with_without_a_name():
    assert_fixed(
        """
        from urllib.request import urlopen

        def up(u):
            try:
                urlopen(u, timeout=1)
                return True
            except OSError:
                return False
        """,
        """
        from urllib.request import urlopen

        def up(u):
            try:
                with urlopen(u, timeout=1):
                    pass
                return True
            except OSError:
                return False
        """,
    )


# -- where the name may still be the response -----------------------------------------------------


def test_use_in_the_other_branch_of_an_if_is_not_after_the_block():
    assert_fixed(
        """
        from urllib.request import urlopen

        def f(u, local):
            handle = local()
            if not handle:
                handle = urlopen(u)
                text = handle.read()
            else:
                text = handle.read()
            return text
        """,
        """
        from urllib.request import urlopen

        def f(u, local):
            handle = local()
            if not handle:
                with urlopen(u) as handle:
                    text = handle.read()
            else:
                text = handle.read()
            return text
        """,
    )


def test_use_in_the_other_branch_inside_a_loop_is_reported():
    assert_reported(
        """
        from urllib.request import urlopen

        def f(us):
            out = []
            for u in us:
                if u:
                    handle = urlopen(u)
                    out.append(handle.read())
                else:
                    out.append(handle.read())
            return out
        """,
        "used after the end of its block",
    )


def test_name_rebound_in_a_loop_body_before_its_use_there_is_another_response():
    assert_fixed(
        """
        from urllib.request import urlopen

        def poll(u, ready):
            handle = urlopen(u)
            first = handle.read()
            while not ready(first):
                handle = urlopen(u)
                first = handle.read()
            return first
        """,
        """
        from urllib.request import urlopen

        def poll(u, ready):
            with urlopen(u) as handle:
                first = handle.read()
            while not ready(first):
                with urlopen(u) as handle:
                    first = handle.read()
            return first
        """,
    )


def test_name_read_in_a_loop_before_its_rebinding_there_keeps_the_block_open():
    assert_reported(
        """
        from urllib.request import urlopen

        def poll(u, ready):
            handle = urlopen(u)
            first = handle.read()
            while not ready(first):
                KEEP.append(handle)
                handle = urlopen(u)
                first = handle.read()
            return first
        """,
        "append",
    )


# -- a with after an if or try that binds the name on every branch --------------------------------


def test_every_branch_of_an_if_binds_a_response_one_with_after_it():
    assert_fixed(
        """
        import urllib.request
        from typing import Optional
        from urllib.request import OpenerDirector, urlopen

        def fetch(req, proxy):
            opener: Optional[OpenerDirector] = None
            if proxy:
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy}))
            if opener:
                resp = opener.open(req, timeout=5)
            else:
                resp = urlopen(req, timeout=5)
            body = resp.read()
            return {"status": resp.status, "body": body}
        """,
        """
        import urllib.request
        from typing import Optional
        from urllib.request import OpenerDirector, urlopen

        def fetch(req, proxy):
            opener: Optional[OpenerDirector] = None
            if proxy:
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy}))
            if opener:
                resp = opener.open(req, timeout=5)
            else:
                resp = urlopen(req, timeout=5)
            with resp:
                body = resp.read()
                return {"status": resp.status, "body": body}
        """,
    )


@pytest.mark.parametrize(
    "branches",
    [
        # a branch binds something that is not a response
        "if flag:\n        resp = urlopen(u)\n    else:\n        resp = other(u)",
        # an opener of unknown origin
        "if flag:\n        resp = urlopen(u)\n    else:\n        resp = opener.open(u)",
    ],
)
def test_branches_that_may_not_bind_a_response_are_reported(branches):
    assert_reported(
        f"from urllib.request import urlopen\n\ndef f(u, flag, other, opener):\n    resp = None\n"
        f"    {branches}\n    return resp.read()\n",
        "",
    )


def test_a_response_bound_in_an_if_without_else_gets_an_exit_stack():
    # no else: the name may be unbound, or bound to something else, after the if, so no
    # with can start there; an ExitStack at the if closes only the response it made
    before = "from urllib.request import urlopen\n\ndef f(u, flag):\n    resp = None\n    if flag:\n"
    before += "        resp = urlopen(u)\n    return resp.read()\n"
    after = "import contextlib\nfrom urllib.request import urlopen\n\ndef f(u, flag):\n    resp = None\n"
    after += "    with contextlib.ExitStack() as stack:\n        if flag:\n            resp = urlopen(u)\n"
    after += "            stack.callback(resp.close)\n        return resp.read()\n"
    assert_fixed(before, after)


_IF_IN_A_LOOP = """
import requests

def f(urls, out):
    for u in urls:
        r = None
        if u:
            r = requests.get(u, stream=True){check}
        out.write(r.raw.read() if r is not None else b"")
"""


def test_an_exit_stack_at_an_if_in_a_loop_is_entered_once_per_run():
    # issue 13 (kaggle's resumed download): the if is a statement of the loop's body; the
    # stack holds it and the later uses of the same run, ``r = None`` first (no run sees an
    # earlier run's response).
    assert_fixed(
        _IF_IN_A_LOOP.format(check=""),
        """
        import contextlib

        import requests

        def f(urls, out):
            for u in urls:
                r = None
                with contextlib.ExitStack() as stack:
                    if u:
                        r = requests.get(u, stream=True)
                        stack.callback(r.close)
                    out.write(r.raw.read() if r is not None else b"")
        """,
    )


def test_an_exit_stack_at_the_outer_if_of_nested_branches():
    # the binding in an elif of an if in a branch; the use after the outer if
    before = """
    import requests

    def f(u, resume, status, out):
        r = None
        if resume:
            r = requests.get(u, stream=True)
            if r.status_code == 416:
                r.close()
                r = requests.get(u, stream=True, headers={})
        else:
            out.write(b"-")
        out.write(r.raw.read() if r is not None else b"")
    """
    new, sites = fix(before)
    assert "    with contextlib.ExitStack() as stack:\n        if resume:\n" in new
    assert new.count("stack.callback(r.close)") == 2, new
    assert (
        "                r = requests.get(u, stream=True, headers={})\n                stack.callback(r.close)\n" in new
    )
    assert len(reasons(sites, "fixed")) == 2 and not reasons(sites)


def test_an_exit_stack_whose_branch_raises_for_status_is_an_unsafe_fix():
    source = _IF_IN_A_LOOP.format(check="\n            r.raise_for_status()")
    new, sites = fix(source)
    assert new == dedent(source)
    [site] = sites
    assert site.safety == "unsafe" and site.hazard.startswith("the HTTPError of `.raise_for_status()` keeps"), site
    settings = engine.Settings(codemods=tuple(SELECT), mode=engine.CHECK, keep_text=True, unsafe_fixes=True)
    result = engine.process_source(dedent(source).encode(), "example.py", settings)
    assert "            r.raise_for_status()\n" in result.new_text
    assert (
        "                r = requests.get(u, stream=True)\n                stack.callback(r.close)\n" in result.new_text
    )


def test_an_exit_stack_in_a_loop_without_a_rebinding_before_the_if_is_an_unsafe_fix():
    # a run that skips the if would read the response of an earlier run, which its stack closed
    source = _IF_IN_A_LOOP.format(check="").replace("        r = None\n", "")
    new, sites = fix(source)
    assert new == dedent(source)
    [site] = sites
    assert site.safety == "unsafe" and "a later run of the loop may pass the `if`" in site.hazard, site
    assert "in the loop at line 5: a later run may use the response of an earlier run" in site.reason


def test_an_exit_stack_with_two_hazards_is_reported_naming_both():
    source = _IF_IN_A_LOOP.format(check="\n            r.raise_for_status()").replace("        r = None\n", "")
    new, sites = fix(source)
    assert new == dedent(source)
    [site] = sites
    assert site.safety is None, site
    assert "an ExitStack at that if would close it, but then `.raise_for_status()` at line 8" in site.reason
    assert "a later run of the loop at line 5 may use the response of an earlier run" in site.reason


def test_an_exit_stack_is_not_planned_past_a_continue_after_the_binding():
    source = _IF_IN_A_LOOP.format(check="\n            if not r.ok:\n                continue")
    assert_reported(source, "only some branches of that if make the response")


def test_a_response_stored_on_an_attribute_names_the_store():
    # FlexGet utils/requests.py ``_wrap_urlopen``: the urlopen response becomes ``resp.raw``
    assert_reported(
        """
        from urllib.request import urlopen

        def wrap(url, Response):
            raw = urlopen(url)
            resp = Response()
            resp.raw = raw
            return resp
        """,
        "the response is stored on an attribute at line 7 (`resp.raw`): the object that holds it may use it "
        "after a with block here; close it where that object is closed",
    )


def _unsafe_fixed(source: str) -> str:
    settings = engine.Settings(codemods=tuple(SELECT), mode=engine.CHECK, keep_text=True, unsafe_fixes=True)
    result = engine.process_source(dedent(source).encode(), "example.py", settings)
    return result.new_text


def test_a_response_rebound_in_a_retry_loop_gets_an_exit_stack_around_the_loop_as_an_unsafe_fix():
    # you-get common.py ``url_save``: the retry's response is read by the next run of the
    # loop, before the binding; the stack around the loop closes every one it made, but only
    # when the loop ends (before, each was closed when ``r`` was rebound): a loop that pages
    # through many responses would hold them all open, so the fix is unsafe (review).
    source = """
        from urllib.request import urlopen

        def retry(url, out, done):
            r = urlopen(url)
            with open(out, "wb") as f:
                while True:
                    data = r.read(16)
                    if not data:
                        if done(f):
                            break
                        r = urlopen(url)
                        continue
                    f.write(data)
        """
    new, sites = fix(source)
    assert "    with urlopen(url) as r:\n" in new and "ExitStack" not in new  # the first binding: safe
    [site] = [site for site in sites if site.action != "fixed"]
    assert site.safety == "unsafe" and site.hazard.startswith(
        "every response an earlier run of the loop made stays open"
    )
    assert "an ExitStack around that loop closes each response it makes, but only when the loop ends" in site.reason
    assert _unsafe_fixed(source) == dedent(
        """
        import contextlib
        from urllib.request import urlopen

        def retry(url, out, done):
            with urlopen(url) as r:
                with open(out, "wb") as f:
                    with contextlib.ExitStack() as stack:
                        while True:
                            data = r.read(16)
                            if not data:
                                if done(f):
                                    break
                                r = urlopen(url)
                                stack.callback(r.close)
                                continue
                            f.write(data)
        """
    )


_SEGMENTS = """
from urllib.request import urlopen

def segments(urls, out, done, timeout):
    for u in urls:
{bind}
        while True:
            data = r.read(16)
            if not data:
                if done():
                    break
                r = urlopen(u)
                continue
            out.write(data)
"""


def test_a_retry_loop_in_a_loop_that_rebinds_first_is_an_unsafe_exit_stack():
    # each run of the outer loop binds ``r`` (in both branches of an if) before the inner one:
    # no run reads the response of an earlier one (occurrences.py: rebound first in its block);
    # the stack's one hazard is that it holds the retries' responses open until the loop ends
    bind = "        if timeout:\n            r = urlopen(u, timeout=timeout)\n        else:\n            r = urlopen(u)"
    source = _SEGMENTS.format(bind=bind)
    new, sites = fix(source)
    assert "        with r:\n" in new and "ExitStack" not in new
    [(_, reason)] = reasons(sites)
    assert "an ExitStack around that loop closes each response it makes, but only when the loop ends" in reason
    new = _unsafe_fixed(source)
    assert "        with r:\n            with contextlib.ExitStack() as stack:\n                while True:\n" in new
    assert "                        r = urlopen(u)\n                        stack.callback(r.close)\n" in new


def test_a_retry_loop_in_a_loop_that_does_not_rebind_first_is_reported():
    # two hazards (an earlier run's response may be read, closed; the stack holds them all
    # open until the loop ends): no fix, not even an unsafe one
    source = _SEGMENTS.format(bind="        print(u)")
    new, sites = fix(source)
    assert new == dedent(source) == _unsafe_fixed(source)
    [site] = sites
    assert site.safety is None and "`r` is used after the end of its block (at line 8)" in site.reason, site


def test_a_response_rebound_in_a_loop_and_returned_after_it_stays_reported():
    assert_reported(
        """
        from urllib.request import urlopen

        def handed_out(url, done):
            r = urlopen(url)
            while True:
                data = r.read(16)
                if not data:
                    if done():
                        break
                    r = urlopen(url)
            return r
        """,
        "the response is returned at line 12, after the end of the block that binds it",
    )


def test_handler_that_rebinds_to_another_response_keeps_the_with_after_the_try():
    assert_fixed(
        """
        import requests

        def download(url, out):
            try:
                r = requests.get(url, stream=True)
            except TypeError:
                r = requests.get(url)
            if r.status_code != 200:
                raise requests.HTTPError(f"{r.status_code} for {url}")
            for chunk in r.iter_content(1024):
                out.write(chunk)
        """,
        """
        import requests

        def download(url, out):
            try:
                r = requests.get(url, stream=True)
            except TypeError:
                r = requests.get(url)
            with r:
                if r.status_code != 200:
                    raise requests.HTTPError(f"{r.status_code} for {url}")
                for chunk in r.iter_content(1024):
                    out.write(chunk)
        """,
    )


def test_name_rebound_at_the_top_of_a_handler_is_not_the_response_there():
    assert_fixed(
        """
        from urllib.error import HTTPError
        from urllib.request import urlopen

        def f(u):
            try:
                resp = urlopen(u)
                body = resp.read()
                return {"status": resp.status, "body": body}
            except HTTPError as e:
                resp = {"status": e.code}
                resp["body"] = e.read()
                return resp
        """,
        """
        from urllib.error import HTTPError
        from urllib.request import urlopen

        def f(u):
            try:
                with urlopen(u) as resp:
                    body = resp.read()
                    return {"status": resp.status, "body": body}
            except HTTPError as e:
                resp = {"status": e.code}
                resp["body"] = e.read()
                return resp
        """,
    )


@pytest.mark.parametrize(
    "loop",
    [
        # read before the rebinding in the loop body: a later iteration sees the response
        "for u in us:\n        KEEP.append(r)\n        r = None",
        # rebound fresh before the loop, but the loop binds it again after the read
        "r = None\n    for u in us:\n        KEEP.append(r)\n        r = raw",
        # rebound, then bound again to something derived before the read
        "r = None\n    if us:\n        r = raw\n    KEEP.append(r)",
    ],
)
def test_rebindings_that_do_not_cover_every_run_keep_the_name(loop):
    assert_reported(
        f"import requests\n\nKEEP = []\n\ndef f(u, us):\n    r = requests.get(u, stream=True)\n"
        f"    raw = r.raw\n    {loop}\n    return 1\n",
        "",
    )


def test_binding_in_a_try_then_passed_to_an_unknown_call_there_is_reported():
    # The binding itself is no rebinding that hides the response from the rest of the try.
    assert_reported(
        """
        import requests
        from elsewhere import read_all

        def f(u):
            try:
                r = requests.get(u, stream=True)
                data = read_all(r)
            except requests.RequestException:
                return None
            return data, r.status_code
        """,
        "",
    )


def test_explicit_close_with_a_comment_above_goes_and_the_comment_stays():
    # The with's exit closes the response: the close goes; the note above it is kept at the
    # end of the block (it may say more than "close").
    assert_fixed(
        """
        import requests

        def f(u):
            r = requests.get(u, stream=True)
            head = r.raw.read(10)
            # we have not read everything
            r.close()
            return head
        """,
        """
        import requests

        def f(u):
            with requests.get(u, stream=True) as r:
                head = r.raw.read(10)
                # we have not read everything
            return head
        """,
    )


def test_a_comment_about_the_close_goes_with_it():
    assert_fixed(
        """
        import requests

        def f(u):
            r = requests.get(u, stream=True)
            head = r.raw.read(10)

            # close it early: we have not read everything
            r.close()
            return head
        """,
        """
        import requests

        def f(u):
            with requests.get(u, stream=True) as r:
                head = r.raw.read(10)
            return head
        """,
    )


def test_a_close_with_a_comment_on_its_line_stays():
    assert_fixed(
        """
        import requests

        def f(u):
            r = requests.get(u, stream=True)
            head = r.raw.read(10)
            r.close()  # before the retry
            return head
        """,
        """
        import requests

        def f(u):
            with requests.get(u, stream=True) as r:
                head = r.raw.read(10)
                r.close()  # before the retry
            return head
        """,
    )


def test_a_backslash_continuation_moves_with_its_statement():
    # libcst indents bracketed continuation lines with the block, not backslash ones.
    assert_fixed(
        """
        from urllib.request import urlopen

        def f(u):
            r = urlopen(u)
            n = r.headers['content-length'] if r.status == 200 \\
                else None
            print(n)
        """,
        """
        from urllib.request import urlopen

        def f(u):
            with urlopen(u) as r:
                n = r.headers['content-length'] if r.status == 200 \\
                    else None
            print(n)
        """,
    )


def test_continuations_aligned_with_the_items_brackets_move_with_them():
    assert_fixed(
        """
        import requests

        def title(url):
            response = requests.get(url, stream=True,
                                    timeout=5)
            data = response.raw.read(100)
            # we did not read it all
            response.close()
            return data
        """,
        """
        import requests

        def title(url):
            with requests.get(url, stream=True,
                              timeout=5) as response:
                data = response.raw.read(100)
                # we did not read it all
            return data
        """,
    )


def test_a_hoisted_call_realigns_its_continuation_lines():
    assert_fixed(
        """
        import requests

        def title(url):
            data = requests.get(url, stream=True,
                                timeout=5).raw.read(100)
            return data
        """,
        """
        import requests

        def title(url):
            with requests.get(url, stream=True,
                              timeout=5) as response:
                data = response.raw.read(100)
            return data
        """,
    )


def test_strings_and_hanging_indents_keep_their_columns():
    # Inside the triple-quoted string nothing moves; the lines aligned with a bracket move
    # with it (nested ones too); a hanging indent stays with the statement's indentation.
    assert_fixed(
        '''
        import requests

        def g(url):
            r = requests.get(url, data="""a
          b""",
                             headers=dict(a=1,
                                          b=2),
                timeout=5, stream=True)
            print(r.raw.read(10))
            x = 1
        ''',
        '''
        import requests

        def g(url):
            with requests.get(url, data="""a
          b""",
                              headers=dict(a=1,
                                           b=2),
                timeout=5, stream=True) as r:
                print(r.raw.read(10))
            x = 1
        ''',
    )


def test_a_triple_quoted_string_in_the_moved_body_is_left_alone():
    assert_fixed(
        '''
        import requests

        def g(url):
            r = requests.get(url, stream=True)
            print("""first
        second \\
          third""", r.raw.read(10))
            x = 1
        ''',
        '''
        import requests

        def g(url):
            with requests.get(url, stream=True) as r:
                print("""first
        second \\
          third""", r.raw.read(10))
            x = 1
        ''',
    )


def test_an_awaited_item_realigns_by_what_the_with_header_takes():
    assert_fixed(
        """
        import aiohttp

        async def f(session: aiohttp.ClientSession, u):
            resp = await session.get(u,
                                     timeout=5)
            return await resp.text()
        """,
        """
        import aiohttp

        async def f(session: aiohttp.ClientSession, u):
            async with session.get(u,
                                   timeout=5) as resp:
                return await resp.text()
        """,
    )


def test_a_branch_that_binds_two_responses_is_reported():
    # ``with resp:`` after the if would close only the second one of that branch; the first
    # one never reaches the read after the if (the second binding replaces it on every path):
    # it is closed at once.
    new, sites = fix(
        """
        from urllib.request import urlopen

        def f(u, v, flag):
            if flag:
                resp = urlopen(u)
                resp = urlopen(v)
            else:
                resp = urlopen(v)
            return resp.read()
        """
    )
    assert new == dedent(
        """
        from urllib.request import urlopen

        def f(u, v, flag):
            if flag:
                with urlopen(u) as resp:
                    pass
                resp = urlopen(v)
            else:
                resp = urlopen(v)
            return resp.read()
        """
    )
    assert [line for line, _ in reasons(sites, "fixed")] == [6]
    assert [line for line, _ in reasons(sites)] == [7, 9]


# -- a use after the block reached only through a rebinding (occurrences: settled kills) ------


def test_use_after_the_block_behind_an_unconditional_rebinding_is_not_the_response():
    # Bio/Entrez/Parser.py: the response is read, the name rebound to the data, and only that
    # reaches the use after the ``if``; the explicit close is redundant inside the with.
    assert_fixed(
        """
        from io import BytesIO
        from urllib.request import urlopen

        def f(u, local):
            h = local
            if not h:
                try:
                    h = urlopen(u)
                except OSError:
                    raise RuntimeError(u) from None
                text = h.read()
                h.close()
                save(text)
                h = BytesIO(text)
            parse(h)
            h.close()
        """,
        """
        from io import BytesIO
        from urllib.request import urlopen

        def f(u, local):
            h = local
            if not h:
                try:
                    h = urlopen(u)
                except OSError:
                    raise RuntimeError(u) from None
                with h:
                    text = h.read()
                save(text)
                h = BytesIO(text)
            parse(h)
            h.close()
        """,
    )


def test_use_at_the_top_of_a_loop_behind_the_rebinding_of_the_previous_run_is_not_the_response():
    assert_fixed(
        """
        from urllib.request import urlopen

        def f(urls):
            data = None
            for u in urls:
                show(data)
                if u:
                    data = urlopen(u)
                    text = data.read()
                    data = text.decode()
        """,
        """
        from urllib.request import urlopen

        def f(urls):
            data = None
            for u in urls:
                show(data)
                if u:
                    with urlopen(u) as data:
                        text = data.read()
                    data = text.decode()
        """,
    )


@pytest.mark.parametrize(
    "body",
    [
        # the rebinding is conditional
        "if u:\n        r = urlopen(u)\n        r.read()\n        if flag:\n            r = None\n    return r",
        # ``continue`` skips the rebinding: the next run's top sees the response
        "for u in us:\n        log(r)\n        if u:\n            r = urlopen(u)\n            if r.status != 200:\n"
        "                continue\n            r = r.read()",
        # ``break`` skips it: the code after the loop sees the response
        "for u in us:\n        if u:\n            r = urlopen(u)\n            if r.status == 200:\n"
        "                break\n            r = None\n    return r",
        # a handler that falls through: the read raised before the rebinding
        "try:\n        if u:\n            r = urlopen(u)\n            r.read()\n            r = None\n"
        "    except OSError:\n        pass\n    return r",
        # a handler that uses it before it raises again
        "try:\n        if u:\n            r = urlopen(u)\n            r.read()\n            r = None\n"
        "    except OSError:\n        log(r)\n        raise\n    return r",
        # a finally runs on the way out
        "try:\n        if u:\n            r = urlopen(u)\n            r.read()\n            r = None\n"
        "    finally:\n        log(r)",
        # a finally that cancels the exception
        "for u in us:\n        try:\n            if u:\n                r = urlopen(u)\n                r.read()\n"
        "                r = None\n        finally:\n            continue\n    return r",
        # a with whose context manager may swallow the exception
        "with flag:\n        if u:\n            r = urlopen(u)\n            r.read()\n            r = None\n    return r",
        # bound again to the response after the rebinding
        "if u:\n        try:\n            r = urlopen(u)\n            keep = r\n        except OSError:\n"
        "            raise\n        r.read()\n        r = None\n        r = keep\n    log(r)",
    ],
)
def test_rebindings_that_some_path_skips_keep_the_response(body):
    assert_reported(
        f"from urllib.request import urlopen\n\ndef f(u, us, flag, r=None):\n    {body}\n",
        "after the end of",  # "is used after the end of its block", or returned after it
    )


def test_a_break_in_a_nested_loop_does_not_skip_the_rebinding():
    assert_fixed(
        """
        from urllib.request import urlopen

        def f(u, flag):
            r = None
            if flag:
                r = urlopen(u)
                for line in r:
                    if not line:
                        break
                r = None
            return r
        """,
        """
        from urllib.request import urlopen

        def f(u, flag):
            r = None
            if flag:
                with urlopen(u) as r:
                    for line in r:
                        if not line:
                            break
                r = None
            return r
        """,
    )


# -- a with after the loop or the with whose body binds it (later.py) ---------------------------


def test_bound_in_a_retry_loop_that_breaks_right_after_gets_a_with_after_the_loop():
    # langchain_community/utilities/pubmed.py
    assert_fixed(
        """
        import time
        import urllib.error
        import urllib.request

        def fetch(url, tries):
            retry = 0
            while True:
                try:
                    result = urllib.request.urlopen(url)
                    break
                except urllib.error.HTTPError as e:
                    if e.code == 429 and retry < tries:
                        time.sleep(1)
                        retry += 1
                    else:
                        raise e
            return result.read().decode("utf-8")
        """,
        """
        import time
        import urllib.error
        import urllib.request

        def fetch(url, tries):
            retry = 0
            while True:
                try:
                    result = urllib.request.urlopen(url)
                    break
                except urllib.error.HTTPError as e:
                    if e.code == 429 and retry < tries:
                        time.sleep(1)
                        retry += 1
                    else:
                        raise e
            with result:
                return result.read().decode("utf-8")
        """,
    )


@pytest.mark.parametrize(
    "loop",
    [
        # the loop can end without a binding
        "while tries:\n        tries -= 1\n        try:\n            r = urlopen(u)\n            break\n"
        "        except OSError:\n            pass",
        "for _ in range(tries):\n        try:\n            r = urlopen(u)\n            break\n"
        "        except OSError:\n            pass",
        "while True:\n        try:\n            r = urlopen(u)\n            break\n        except OSError:\n"
        "            pass\n    else:\n        pass",
        # a break that does not follow a binding
        "while True:\n        if not tries:\n            break\n        try:\n            r = urlopen(u)\n"
        "            break\n        except OSError:\n            pass",
        # a break in a nested loop's else leaves this loop too
        "while True:\n        for _ in u:\n            pass\n        else:\n            break\n        try:\n"
        "            r = urlopen(u)\n            break\n        except OSError:\n            pass",
        # something runs between the binding and the break
        "while True:\n        try:\n            r = urlopen(u)\n            log(r)\n            break\n"
        "        except OSError:\n            pass",
        # the loop rebinds the name
        "while True:\n        r = None\n        try:\n            r = urlopen(u)\n            break\n"
        "        except OSError:\n            pass",
    ],
)
def test_loops_that_may_reach_the_code_after_them_without_the_response_are_reported(loop):
    assert_reported(
        f"from urllib.request import urlopen\n\ndef f(u, tries, r=None):\n    {loop}\n    return r.read()\n",
        "",
    )


def test_bound_as_the_body_of_a_client_with_gets_a_with_after_it():
    # twitchAPI/twitch.py: the response outlives the session's block.
    assert_fixed(
        """
        import aiohttp

        async def token(url):
            async with aiohttp.ClientSession() as session:
                result = await session.post(url)
            if result.status != 200:
                raise RuntimeError(result.status)
            return (await result.json())["access_token"]
        """,
        """
        import aiohttp

        async def token(url):
            async with aiohttp.ClientSession() as session:
                result = await session.post(url)
            async with result:
                if result.status != 200:
                    raise RuntimeError(result.status)
                return (await result.json())["access_token"]
        """,
    )


@pytest.mark.parametrize(
    "manager",
    [
        "contextlib.suppress(OSError)",  # may swallow the exception: the name may be unbound after
        "lock",  # unknown
        "open(path)",
    ],
)
def test_a_with_that_may_swallow_an_exception_keeps_the_use_after_it(manager):
    assert_reported(
        f"import contextlib\nimport requests\n\ndef f(u, lock, path, r=None):\n    with {manager}:\n"
        f"        r = requests.get(u, stream=True)\n    return r.json()\n",
        "used after the end of its block",
    )


def test_a_function_returning_the_response_after_its_block_is_a_factory():
    # Bio/Entrez/__init__.py ``_open``: bound in a retry loop, returned after it (wrapped in
    # place by a ``TextIOWrapper`` on one path, ``handle = io.TextIOWrapper(handle)``: still
    # the response; a loop left without its ``break`` leaves ``handle`` unbound, and the read
    # after it raises): handed out, and a factory, so its callers are the sites.
    assert_handed_out(
        """
        import io
        from urllib.request import urlopen

        def _open(u, tries):
            for i in range(tries):
                try:
                    handle = urlopen(u)
                except OSError:
                    continue
                else:
                    break
            subtype = handle.headers.get_content_subtype()
            if subtype == "plain":
                handle = io.TextIOWrapper(handle, encoding="UTF-8")
            return handle
        """,
    )


# -- a response its object owns (issue 13) ----------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "self._resp = urlopen(u)",
        "r = urlopen(u)\n        self._resp = r\n        self.size = len(r.read(10))",
    ],
)
def test_a_response_stored_on_self_that_the_class_closes_is_not_a_site(body):
    source = (
        "from urllib.request import urlopen\n\nclass Reader:\n    def open(self, u):\n"
        f"        {body}\n\n    def __exit__(self, *exc):\n        self._resp.close()\n"
    )
    new, sites = transform(source, ["close-response"])
    assert new == source and not sites, [(s.line, s.reason) for s in sites]


def test_a_response_stored_on_self_of_a_class_that_does_not_close_it_is_reported():
    source = (
        "from urllib.request import urlopen\n\nclass Reader:\n    def open(self, u):\n        self._resp = urlopen(u)\n"
    )
    _, sites = transform(source, ["close-response"])
    assert [(s.line, s.reason) for s in sites if s.action == "reported"] == [
        (5, "the response is stored on self._resp at line 5; close it in a close() method of `Reader` (none closes it)")
    ]


# -- a module-level response in a script (issue 13) -------------------------------------------

SCRIPT = "from urllib.request import urlopen\n\nresp = urlopen('https://example.com/data')\ndata = resp.read()\nprint(len(data))\n"
SCRIPT_FIXED = "closed the response with `with`"
EXPORTED = "`resp` is bound at module level; other modules may import the response and use it after the with block"


def _project_sites(files):
    import tempfile
    from pathlib import Path

    from tests.helpers import cli_sites, make_project

    with tempfile.TemporaryDirectory() as tmp:
        root = make_project(Path(tmp), files)
        sites = cli_sites(root, "--select", "close-response", "--no-cache")
        texts = {name: (root / name).read_text() for name in files}
    return sites, texts


def test_a_module_level_response_of_a_script_is_fixed_and_of_an_importable_module_reported():
    files = {"scripts/fetch.py": SCRIPT, "scripts/conftest.py": SCRIPT, "pkg/m.py": SCRIPT, "tool.py": SCRIPT}
    sites, _ = _project_sites({**files, "src/run.py": SCRIPT})
    assert sites == {
        "scripts/fetch.py": [(3, "fixed", SCRIPT_FIXED)],
        "scripts/conftest.py": [(3, "reported", EXPORTED)],  # pytest imports it
        "pkg/m.py": [(3, "reported", EXPORTED)],  # in a package
        "tool.py": [(3, "reported", EXPORTED)],  # a top-level module of the project
        "src/run.py": [(3, "reported", EXPORTED)],  # a top-level module of a src layout
    }


def test_the_fix_of_a_script_closes_the_response_after_its_last_use():
    from codemods.facts import for_run

    import tempfile
    from pathlib import Path

    from tests.helpers import make_project

    with tempfile.TemporaryDirectory() as tmp:
        root = make_project(Path(tmp), {"scripts/fetch.py": SCRIPT})
        path = str(root / "scripts" / "fetch.py")
        facts = for_run([path], [str(root)])
        assert facts.is_script(path)
        settings = engine.Settings(codemods=("close-response",), mode=engine.CHECK, facts=facts)
        result = engine.process_source(SCRIPT.encode(), path, settings)
    assert result.new_text == (
        "from urllib.request import urlopen\n\nwith urlopen('https://example.com/data') as resp:\n"
        "    data = resp.read()\nprint(len(data))\n"
    )


@pytest.mark.parametrize(
    "importer",
    [
        ("scripts/other.py", "import fetch\n"),
        ("scripts/test_fetch.py", "from fetch import resp\n"),
        ("scripts/use.py", "from . import fetch\n"),
        ("tests/test_scripts.py", "from scripts import fetch\n"),
        ("tests/test_deep.py", "import scripts.fetch\n"),
    ],
)
def test_a_script_another_file_imports_keeps_the_report(importer):
    name, text = importer
    sites, _ = _project_sites({"scripts/fetch.py": SCRIPT, name: text})
    assert sites["scripts/fetch.py"] == [(3, "reported", EXPORTED)]


def test_without_project_facts_a_module_level_response_stays_reported():
    _, sites = transform(SCRIPT, ["close-response"], path="scripts/fetch.py")
    assert [(s.line, s.reason) for s in sites] == [(3, EXPORTED)]


def test_a_retry_loop_leaving_by_the_else_of_the_try_that_binds_gets_a_with_after_the_loop():
    # pytube/request.py ``stream``: ``else: break`` runs only when the try body, the
    # binding included, ran to its end; the loop has no other way out.
    assert_fixed(
        """
        import socket
        from urllib.error import URLError
        from urllib.request import urlopen

        def chunks(url, tries):
            n = 0
            while True:
                if n > tries:
                    raise RuntimeError(url)
                try:
                    response = urlopen(url)
                except URLError as e:
                    if not isinstance(e.reason, socket.timeout):
                        raise
                else:
                    break
                n += 1
            while True:
                chunk = response.read(10)
                if not chunk:
                    break
                yield chunk
        """,
        """
        import socket
        from urllib.error import URLError
        from urllib.request import urlopen

        def chunks(url, tries):
            n = 0
            while True:
                if n > tries:
                    raise RuntimeError(url)
                try:
                    response = urlopen(url)
                except URLError as e:
                    if not isinstance(e.reason, socket.timeout):
                        raise
                else:
                    break
                n += 1
            with response:
                while True:
                    chunk = response.read(10)
                    if not chunk:
                        break
                    yield chunk
        """,
    )


@pytest.mark.parametrize(
    "loop",
    [
        # something runs before the break in the else
        "while True:\n        try:\n            r = urlopen(u)\n        except OSError:\n            pass\n"
        "        else:\n            log(u)\n            break",
        # the try body goes on after the binding
        "while True:\n        try:\n            r = urlopen(u)\n            log(r)\n        except OSError:\n"
        "            pass\n        else:\n            break",
        # the try body ends with something else
        "while True:\n        try:\n            log(u)\n        except OSError:\n            pass\n        else:\n"
        "            break\n        r = urlopen(u)",
    ],
)
def test_loops_leaving_by_a_try_else_without_the_binding_right_before_are_reported(loop):
    assert_reported(
        f"from urllib.request import urlopen\n\ndef f(u, log, r=None):\n    {loop}\n    return r.read()\n",
        "",
    )


def test_a_requests_response_whose_raw_stream_a_finally_closes_is_not_a_site():
    # newspaper3k/newspaper/images.py: ``response.raw.close()`` closes the connection, as
    # ``response.close()`` would.
    source = dedent(
        """
        import requests

        def fetch(url, tries):
            response = None
            while True:
                try:
                    response = requests.get(url, stream=True, timeout=5)
                    content = response.raw.read()
                    if not content:
                        return None
                    return content
                except requests.exceptions.RequestException:
                    tries -= 1
                    if not tries:
                        return None
                finally:
                    if response is not None:
                        response.raw.close()
        """
    )
    new, sites = fix(source)
    assert new == source and not sites, reasons(sites)


@pytest.mark.parametrize(
    "source",
    [
        # not in a finally: the error paths skip it
        "import requests\n\ndef f(u):\n    r = requests.get(u, stream=True)\n    data = r.raw.read()\n"
        "    r.raw.close()\n    return data\n",
        # another library's ``.raw`` is not its stream
        "import httpx\n\nC = httpx.Client()\n\ndef f(u):\n    r = C.send(C.build_request('GET', u), stream=True)\n    try:\n"
        "        return r.raw.read()\n    finally:\n        r.raw.close()\n",
    ],
)
def test_a_raw_close_outside_a_finally_or_of_another_library_still_counts_as_open(source):
    new, sites = fix(source)
    assert reasons(sites, "fixed") or reasons(sites), "must be a site"


def test_an_image_loaded_in_full_from_the_raw_stream_keeps_nothing_of_the_response():
    # langchain_community/document_loaders/image_captions.py: ``Image.open`` reads lazily,
    # but ``.convert()`` loads every pixel first and returns a new image without the file.
    assert_fixed(
        """
        import requests
        from PIL import Image

        def load(url):
            try:
                image = Image.open(requests.get(url, stream=True).raw).convert("RGB")
            except Exception:
                raise ValueError(url)
            return image.size
        """,
        """
        import requests
        from PIL import Image

        def load(url):
            try:
                with requests.get(url, stream=True) as response:
                    image = Image.open(response.raw).convert("RGB")
            except Exception:
                raise ValueError(url)
            return image.size
        """,
    )


@pytest.mark.parametrize(
    "line",
    [
        "image = Image.open(r.raw)",  # lazy: the image reads the body later
        "image = Image.open(r.raw).rotate(90)",  # not known to load everything
        "image = Image.open(r.raw).convert",  # a bound method of the lazy image
        "image = Other.open(r.raw).convert('RGB')",  # not PIL's
    ],
)
def test_a_lazy_image_of_the_raw_stream_still_holds_the_response(line):
    source = (
        "import requests\nfrom PIL import Image\nfrom other import Other\n\ndef load(url):\n"
        f"    r = requests.get(url, stream=True)\n    if url:\n        {line}\n    else:\n        image = None\n"
        "    return image.size\n"
    )
    new, sites = fix(source)
    assert new == source, "must not rewrite"
    assert reasons(sites), sites


ECMWF = """
from urllib.error import HTTPError
from urllib.request import Request, build_opener, urlopen


def ping(url):  # the prefilter keeps a file for urlopen, not for an opener.open()
    with urlopen(url) as r:
        return r.status


def call(req, verbose):
    opener = build_opener()
    req = Request(req)
    error = False
    try:
        try:
            res = opener.open(req)
        except HTTPError as e:
            if e.code <= 299:
                res = e
            else:
                raise
    except {caught} as e:
        if verbose:
            print(e)
        error = True
        res = e
        if e.code >= 500:
            raise RuntimeError(e.code, e.read())
    code = res.code
    body = res.read().decode("utf-8")
    res.close()
    if error:
        raise ValueError("error %s: %s" % (code, res))
    return body
"""


def test_bound_in_a_nested_try_whose_handlers_bind_the_caught_http_error_gets_a_with_after_it():
    # ecmwf-api-client/ecmwfapi/api.py ``call``: after the outer try, ``res`` is the response
    # or a caught HTTPError (itself a urllib response); the message formats it into a string.
    new, sites = fix(ECMWF.format(caught="HTTPError"))
    assert not reasons(sites), reasons(sites)
    assert reasons(sites, "fixed")
    assert new == ECMWF.format(caught="HTTPError").replace(
        """    code = res.code
    body = res.read().decode("utf-8")
    res.close()
    if error:
        raise ValueError("error %s: %s" % (code, res))
""",
        """    with res:
        code = res.code
        body = res.read().decode("utf-8")
        res.close()
        if error:
            raise ValueError("error %s: %s" % (code, res))
""",
    )


@pytest.mark.parametrize(
    "change",
    [
        ("except {caught} as e:", "except OSError as e:"),  # not an HTTPError: may be no response
        ("            else:\n                raise\n", ""),  # a 3xx error goes on without res
        ("        res = e\n        if e.code >= 500", "        if e.code >= 500"),  # no binding
        ("        res = e\n        if e.code >= 500", "        res = e\n        e = None\n        if e.code >= 500"),
        ('"error %s: %s" % (code, res)', "(code, res)"),  # the response itself is carried out
    ],
)
def test_nested_trys_where_a_path_may_reach_the_code_after_them_without_the_response_are_reported(change):
    source = ECMWF.replace(*change).format(caught="HTTPError")
    new, sites = fix(source)
    assert new == source, "must not rewrite"
    assert reasons(sites), sites


def test_a_response_made_in_one_branch_and_read_after_the_if_is_an_unsafe_exit_stack_past_raise_for_status():
    # kaggle/api/kaggle_api_extended.py ``download_file``: past ``.raise_for_status()``
    # (which a with placed after it would allow), the use after the if stops the with; an
    # ExitStack at the if closes it, the HTTPError then carrying it out closed (issue 13).
    assert_reported(
        """
        import requests

        def download(response, url, resume, out):
            if resume:
                response = requests.get(url, stream=True)
                if response.status_code == 206:
                    pass
                else:
                    response.raise_for_status()
                    raise ValueError(response.status_code)
            for data in response.iter_content(10):
                out.write(data)
        """,
        "`response` is used after the `if` at line 5, which makes the response only on some branches; an "
        "ExitStack at that if closes it, but `.raise_for_status()` at line 10 raises an exception that carries "
        "the response out of the with block, closed; fixable with --unsafe-fixes",
    )


def test_a_response_made_in_one_branch_and_read_after_the_if_is_closed_by_an_exit_stack():
    # closing/stack.py: ``chunks`` reads from the response after the if, whose other branch
    # makes none; the callback follows the binding.
    assert_fixed(
        """
        import requests

        def first_chunk(url, stream):
            if stream:
                r = requests.get(url, stream=True)
                chunks = r.iter_content(16)
            else:
                chunks = iter([b""])
            chunk = next(chunks)
            return len(chunk)
        """,
        """
        import contextlib

        import requests

        def first_chunk(url, stream):
            with contextlib.ExitStack() as stack:
                if stream:
                    r = requests.get(url, stream=True)
                    stack.callback(r.close)
                    chunks = r.iter_content(16)
                else:
                    chunks = iter([b""])
                chunk = next(chunks)
            return len(chunk)
        """,
    )


@pytest.mark.parametrize("imported", ["import click", "from click import termui as click"])
def test_a_response_iterated_through_a_click_progressbar_is_closed(imported):
    # shodan's cli/data.py: ``ProgressBar`` keeps ``iter(iterable)`` on itself, nowhere else.
    assert_fixed(
        f"""\
        {imported}
        import requests


        def download(url, out):
            response = requests.get(url, stream=True)
            with click.progressbar(response.iter_content(chunk_size=1024), length=10) as bar:
                for chunk in bar:
                    out.write(chunk)
            return out
        """,
        f"""\
        {imported}
        import requests


        def download(url, out):
            with requests.get(url, stream=True) as response:
                with click.progressbar(response.iter_content(chunk_size=1024), length=10) as bar:
                    for chunk in bar:
                        out.write(chunk)
            return out
        """,
    )


def test_a_click_progressbar_over_a_response_that_outlives_it_is_reported():
    # The taint follows the bar: handed out, it still reads the response.
    assert_reported(
        """\
        import click
        import requests


        def download(url):
            response = requests.get(url, stream=True)
            bar = click.progressbar(response.iter_content(chunk_size=1024))
            return bar
        """,
        "returned",
    )
    # Another module's ``progressbar`` is unknown: it may keep what it is given.
    new, sites = fix(
        "import requests\nfrom tqdm_like import progressbar\n\n\ndef download(url, out):\n"
        "    response = requests.get(url, stream=True)\n    for chunk in progressbar(response.iter_content()):\n"
        "        out.write(chunk)\n"
    )
    assert "with requests.get" not in new and "progressbar" in str(reasons(sites)), reasons(sites)


def test_a_response_read_through_an_sseclient_in_a_generator_is_closed():
    # langchain's llms/you.py: sseclient-py's ``SSEClient(event_source)`` keeps the source on
    # itself only; its events hold strings. The status check stays before the ``with``.
    assert_fixed(
        """\
        import requests


        def stream(url):
            response = requests.post(url, stream=True)
            response.raise_for_status()
            import sseclient

            client = sseclient.SSEClient(response)
            for event in client.events():
                if event.event == "token":
                    yield event.data
        """,
        """\
        import requests


        def stream(url):
            response = requests.post(url, stream=True)
            response.raise_for_status()
            with response:
                import sseclient

                client = sseclient.SSEClient(response)
                for event in client.events():
                    if event.event == "token":
                        yield event.data
        """,
    )


def test_an_sseclient_over_a_response_that_outlives_it_is_reported():
    # The taint follows the client: handed out or stored, it still reads the response.
    assert_reported(
        """\
        import requests
        import sseclient


        def events(url):
            response = requests.get(url, stream=True)
            return sseclient.SSEClient(response)
        """,
        "returned",
    )
    assert_reported(
        """\
        import requests
        import sseclient


        class Feed:
            def open(self, url):
                response = requests.get(url, stream=True)
                self.client = sseclient.SSEClient(response)
                return [e.data for e in self.client.events()]
        """,
        "stored",
    )
    # Another module's ``SSEClient`` is unknown: it may keep what it is given (unsafe at most).
    new, sites = fix(
        "import requests\nfrom sse_like import SSEClient\n\n\ndef first(url):\n"
        "    response = requests.get(url, stream=True)\n    client = SSEClient(response)\n"
        "    return next(iter(client.events())).data\n"
    )
    assert "with requests.get" not in new and "SSEClient" in str(reasons(sites)), reasons(sites)


def test_a_first_response_rebound_mid_body_in_a_loop_is_no_safe_fix():
    # The first response is half read when the loop rebinds ``response``: before, dropping the
    # last reference closed it (its connection); under ``with urlopen(...) as response`` the
    # with holds it, open, until the whole loop ends. A retry after EOF (``if not data``) keeps
    # nothing open (the connection went back at EOF); a page loop like this one does.
    source = """
        from urllib.request import urlopen

        def fetch(urls, size):
            response = urlopen(urls[0])
            out = []
            while True:
                out.append(response.read(size))
                if len(out) == len(urls):
                    break
                response = urlopen(urls[len(out)])
            return out
        """
    new, sites = fix(source)
    assert "with urlopen(urls[0]) as response" not in new  # safe mode: reported, or unsafe with the loop's hazard
    [first] = [site for site in sites if site.line == 5]
    assert first.safety == "unsafe" and first.hazard.startswith(
        "the first response stays open until the with block ends (before, it was closed when `response` was "
        "rebound); right for a retry loop"
    ), first
    assert "`response` is rebound at line 11 before the response is known to be read to its end" in first.reason
    new = _unsafe_fixed(source)
    assert "    with urlopen(urls[0]) as response:\n" in new
    assert "                response = urlopen(urls[len(out)])\n                stack.callback(response.close)\n" in new


def test_a_first_response_rebound_mid_body_outside_a_loop_is_an_unsafe_fix():
    # no loop: the with still holds the half-read first response past the rebinding
    source = """
        from urllib.request import urlopen

        def fetch(u, v, log):
            r = urlopen(u)
            head = r.read(10)
            if head.startswith(b"moved"):
                r = urlopen(v)
            log(len(head))
            return r.read()
        """
    new, sites = fix(source)
    assert "with urlopen(u) as r" not in new
    [first] = [site for site in sites if site.line == 5]
    assert first.safety == "unsafe" and first.hazard == (
        "the first response stays open until the with block ends (before, it was closed when `r` was rebound)"
    ), first


@pytest.mark.parametrize(
    "done",
    [
        "            data = r.read()\n",  # read to its end
        "            r.close()\n            data = b''\n",  # closed
        "            data = list(r.readlines())\n",
        "            chunk = r.read(16)\n            if not chunk:\n    ",  # the empty chunk: the end
        "            chunk = r.read(16)\n            if len(chunk) == 0:\n    ",
    ],
)
def test_a_first_response_done_before_its_rebinding_keeps_a_safe_with(done):
    new, sites = fix(_REBOUND_IF_READY.format(done=done))
    assert "    with urlopen(u) as r:\n" in new, new
    [first] = [site for site in sites if site.line == 5]
    assert first.action == "fixed" and first.safety == "safe", first


_REBOUND_IF_READY = (
    "from urllib.request import urlopen\n\n\ndef fetch(u, ready, other):\n    r = urlopen(u)\n    out = []\n"
    "    while True:\n        if ready():\n{done}            r = urlopen(u)\n"
    "        out.append(r.read(16))\n        if len(out) > 3:\n            break\n    return out\n"
)


@pytest.mark.parametrize(
    "done",
    [
        "",
        "            chunk = r.read(16)\n            if chunk:\n    ",  # not empty: more to read
        "            chunk = other.read(16)\n            if not chunk:\n    ",  # another object's end
        "            if other:\n                r.close()\n",  # closed on one path only
        "            data = r.read(16)\n",
    ],
)
def test_a_first_response_not_done_before_its_rebinding_is_an_unsafe_fix(done):
    new, sites = fix(_REBOUND_IF_READY.format(done=done))
    assert "with urlopen(u) as r" not in new, new
    [first] = [site for site in sites if site.line == 5]
    assert first.safety == "unsafe" and first.hazard.startswith("the first response stays open"), first


def test_a_rebinding_that_reads_the_first_response_or_ends_the_block_keeps_a_safe_with():
    # ``r = BytesIO(r.read())``: read before the rebinding; a rebinding that is the block's last
    # statement (slack_sdk webhook client: ``resp = WebhookResponse(..., resp.status, ...)``)
    # closes it one statement after it was dropped
    for rebinding in ("r = io.BytesIO(r.read())\n    return r.getvalue()", "r = Wrapped(r.status, r.headers)\n"):
        source = (
            "import io\nfrom urllib.request import urlopen\n\n\ndef fetch(u):\n    r = urlopen(u)\n"
            "    print(r.status)\n    " + rebinding + "\n"
        )
        new, sites = fix(source)
        assert "    with urlopen(u) as r:\n" in new, new
        assert [site.safety for site in sites] == ["safe"], sites


def test_a_first_response_rebound_with_another_hazard_is_reported():
    # two hazards (an unknown callee may keep it; the with holds it past the rebinding): no fix
    source = """
        from urllib.request import urlopen
        from mylib import log_status

        def fetch(urls, size):
            response = urlopen(urls[0])
            out = []
            while True:
                out.append(response.read(size))
                log_status(response)
                if len(out) == len(urls):
                    break
                response = urlopen(urls[len(out)])
            return out
        """
    assert _unsafe_fixed(source) == dedent(source)
    new, sites = fix(source)
    [first] = [site for site in sites if site.line == 6]
    assert first.action == "reported" and first.safety is None, first
    assert first.reason.startswith("`response` is rebound at line 13 before the response is known to be read"), first


# -- an object made only for its effect binds no name (issue 13; s31 review N3) ---------------------


def test_a_response_only_closed_gets_a_with_that_binds_no_name():
    # biopython Tests/test_Entrez_online.py ``test_epost``: ``stream`` is read only by its closes
    assert_fixed(
        """
        from urllib.request import urlopen

        def ping(u, v):
            stream = urlopen(u)
            stream.close()
            stream = urlopen(v)
            stream.close()

        def once(u):
            urlopen(u).close()
        """,
        """
        from urllib.request import urlopen

        def ping(u, v):
            with urlopen(u):
                pass
            with urlopen(v):
                pass

        def once(u):
            with urlopen(u):
                pass
        """,
    )


@pytest.mark.parametrize(
    "later",
    [
        "    stream = urlopen(v)\n    print(stream.status)\n",  # read by another use
        "    del stream\n",
        "    for stream in (urlopen(v),):\n        stream.close()\n",  # bound by other than an assignment
    ],
)
def test_a_response_only_closed_keeps_its_name_when_the_name_is_read_elsewhere(later):
    source = (
        "from urllib.request import urlopen\n\n\ndef ping(u, v):\n    stream = urlopen(u)\n    stream.close()\n" + later
    )
    new, _ = fix(source)
    assert "    with urlopen(u) as stream:\n" in new, new


@pytest.mark.parametrize(
    "header",
    [
        "    for r in map(urlopen, others):\n        log(r.read(1))\n",  # the loop's target
        "    with open(path) as r:\n        log(r.read())\n",  # a with's name
        "    while (r := urlopen(path)):\n        log(r.read(1))\n",  # a walrus in the test
    ],
    ids=["for-target", "with-name", "walrus"],
)
def test_a_rebinding_in_the_header_of_the_last_statement_is_no_safe_with(header):
    # review s31: the rebinding in the header of the block's last statement is not its last
    # statement: the body runs after it, the first (half-read) response held open by the with
    source = (
        "from urllib.request import urlopen\n\n\ndef fetch(u, others, path, log):\n    r = urlopen(u)\n"
        "    print(r.read(1))\n" + header
    )
    new, sites = fix(source)
    assert "with urlopen(u) as r" not in new, new
    [first] = [site for site in sites if site.line == 5]
    assert first.safety == "unsafe" and first.hazard.startswith("the first response stays open"), first


@pytest.mark.parametrize(
    "done",
    [
        "            data = r.read() if other else r.read(16)\n",  # read to its end on one path only
        "            data = other and r.read()\n",  # short-circuit: maybe never read
        "            data = other or r.read()\n",
    ],
    ids=["ifexp", "and", "or"],
)
def test_a_first_response_read_to_its_end_on_one_path_only_is_an_unsafe_fix(done):
    # review s31: a read in one branch of a conditional expression (or after ``and``/``or``)
    # does not run on every path to the rebinding
    new, sites = fix(_REBOUND_IF_READY.format(done=done))
    assert "with urlopen(u) as r" not in new, new
    [first] = [site for site in sites if site.line == 5]
    assert first.safety == "unsafe" and first.hazard.startswith("the first response stays open"), first
