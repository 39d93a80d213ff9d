"""add-timeout: before/after text, what it leaves alone, what it reports, and real behaviour."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading

import pytest

from codemods.add_timeout import parse_timeout
from tests.helpers import dedent, reasons, transform


def fix(source, timeout=None):
    options = {"add-timeout": {"timeout": timeout}} if timeout is not None else {}
    return transform(source, ["add-timeout"], options)


def test_module_function_and_aliases():
    new, sites = fix(
        """
        import requests
        import requests as rq
        from requests import get as g, post
        from requests import api

        requests.get("u")
        rq.put("u", data=1)
        g("u")
        post("u", json={})
        api.request("GET", "u")
        requests.request("GET", "u", params={"a": 1})
        """
    )
    assert new == dedent(
        """
        import requests
        import requests as rq
        from requests import get as g, post
        from requests import api

        requests.get("u", timeout=60)
        rq.put("u", data=1, timeout=60)
        g("u", timeout=60)
        post("u", json={}, timeout=60)
        api.request("GET", "u", timeout=60)
        requests.request("GET", "u", params={"a": 1}, timeout=60)
        """
    )
    assert [s.line for s in sites] == [7, 8, 9, 10, 11, 12]
    assert all(s.action == "fixed" and s.codemod == "add-timeout" for s in sites)


def test_session_methods_in_scope():
    new, _ = fix(
        """
        import requests

        def f(url):
            s = requests.Session()
            s.get(url)
            with requests.Session() as t:
                t.post(url, data=b"x")
            s.request("GET", url, None, None, None, None, None, None, 5)
            s.request("GET", url)

        def g(url, session: requests.Session):
            return session.head(url)
        """
    )
    assert new == dedent(
        """
        import requests

        def f(url):
            s = requests.Session()
            s.get(url, timeout=60)
            with requests.Session() as t:
                t.post(url, data=b"x", timeout=60)
            s.request("GET", url, None, None, None, None, None, None, 5)
            s.request("GET", url, timeout=60)

        def g(url, session: requests.Session):
            return session.head(url, timeout=60)
        """
    )


def test_urlopen_keyword_and_positional_timeout():
    new, _ = fix(
        """
        import urllib.request
        from urllib.request import urlopen
        from urllib import request as ur

        urlopen("u")
        urllib.request.urlopen("u", b"data")
        ur.urlopen("u", None, 3)
        urlopen("u", timeout=4)
        """
    )
    assert new == dedent(
        """
        import urllib.request
        from urllib.request import urlopen
        from urllib import request as ur

        urlopen("u", timeout=60)
        urllib.request.urlopen("u", b"data", timeout=60)
        ur.urlopen("u", None, 3)
        urlopen("u", timeout=4)
        """
    )


def test_existing_timeout_is_left_alone_even_none():
    source = """
        import requests
        requests.get("u", timeout=None)
        requests.get("u", timeout=(1, 2))
        """
    new, sites = fix(source)
    assert new == dedent(source)
    assert sites == []


def test_star_arguments_are_reported_not_rewritten():
    source = """
        import requests
        from urllib.request import urlopen

        def f(url, *args, **kwargs):
            requests.get(url, **kwargs)
            urlopen(url, *args)
        """
    new, sites = fix(source)
    assert new == dedent(source)
    assert reasons(sites) == [
        (6, "passes **kwargs, which may already hold a timeout"),
        (7, "passes *args, which may already hold a timeout"),
    ]
    assert [s.column for s in sites] == [5, 5]


def test_shadowed_and_unrelated_names_are_untouched():
    source = """
        import requests
        import httpx

        def f(requests, url):
            return requests.get(url)

        def g(url):
            requests = Fake()
            return requests.get(url)

        class Client:
            def get(self, url):
                return url

        def h(url):
            d = {}
            d.get(url)
            Client().get(url)
            httpx.get(url)
            c = httpx.Client()
            c.get(url)
            s = make_session()
            s.get(url)
        """
    new, sites = fix(source)
    assert new == dedent(source)
    assert sites == []


def test_layout_is_followed_and_comments_stay():
    new, _ = fix(
        """
        import requests

        requests.post(
            "u",
            data=1,  # the payload
        )
        requests.post(
            "u",
            data=1)
        requests.post(
            "u",
        )
        requests.post("u", data=1,)
        requests.get()
        """
    )
    assert new == dedent(
        """
        import requests

        requests.post(
            "u",
            data=1,  # the payload
            timeout=60,
        )
        requests.post(
            "u",
            data=1,
            timeout=60)
        requests.post(
            "u",
            timeout=60,
        )
        requests.post("u", data=1, timeout=60,)
        requests.get(timeout=60)
        """
    )


def test_configured_value_and_tuple():
    new, _ = fix("import requests\nrequests.get('u')\n", timeout="(3.05, 27)")
    assert new == "import requests\nrequests.get('u', timeout=(3.05, 27))\n"
    new, _ = fix("import requests\nrequests.get('u')\n", timeout="10")
    assert new == "import requests\nrequests.get('u', timeout=10)\n"


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "(1, 2, 3)", "True", "'x'", "(1, 'a')"])
def test_bad_timeout_values_are_rejected(bad):
    with pytest.raises(ValueError):
        parse_timeout(bad)


def test_suppression_comments():
    source = """
        import requests
        requests.get("a")  # http-codemods: ignore
        requests.get("b")  # http-codemods: ignore[add-timeout]
        requests.get("c")  # http-codemods: ignore[close-response]
        requests.get("d", **kw)  # http-codemods: ignore
        """
    new, sites = fix(source)
    assert new == dedent(
        """
        import requests
        requests.get("a")  # http-codemods: ignore
        requests.get("b")  # http-codemods: ignore[add-timeout]
        requests.get("c", timeout=60)  # http-codemods: ignore[close-response]
        requests.get("d", **kw)  # http-codemods: ignore
        """
    )
    assert [(s.line, s.action) for s in sites] == [(5, "fixed")]


# -- behaviour: the rewritten program is the same against a live server, and no longer hangs --

PROGRAM = """
import json, os, sys
import requests

base = sys.argv[1]
out = [requests.get(base + "/json?i=%d" % i).json()["query"] for i in range(3)]
r = requests.post(base + "/json", data="hello")
out.append(r.json()["body"])
print(json.dumps(out))
"""

HANGING = """
import sys, time
import requests

started = time.monotonic()
try:
    requests.get(sys.argv[1])
    print("answered")
except requests.exceptions.Timeout:
    print("timeout after %.1f" % (time.monotonic() - started))
"""


def _run(path, *args, timeout=30):
    return subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True, timeout=timeout)


def test_behaviour_same_requests_and_results(tmp_path, server):
    from tests.conftest import rewrite

    before = tmp_path / "before.py"
    before.write_text(PROGRAM)
    expected = _run(before, server.url)
    assert expected.returncode == 0, expected.stderr
    stats_before = server.counters.snapshot()

    after = rewrite(tmp_path, PROGRAM, "--select", "add-timeout", name="after.py")
    assert "timeout=60" in after.read_text()
    server.counters.reset()
    actual = _run(after, server.url)
    assert actual.returncode == 0, actual.stderr
    assert actual.stdout == expected.stdout
    assert server.counters.snapshot()["requests"] == stats_before["requests"] == 4


def test_behaviour_a_silent_server_no_longer_hangs(tmp_path):
    """A server that accepts and never answers: before, the call waits past our patience;
    after add-timeout with --timeout 1, it raises Timeout after about a second."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    url = "http://127.0.0.1:%d/" % listener.getsockname()[1]
    try:
        before = tmp_path / "before.py"
        before.write_text(HANGING)
        with pytest.raises(subprocess.TimeoutExpired):
            _run(before, url, timeout=3)

        from tests.conftest import rewrite

        after = rewrite(tmp_path, HANGING, "--select", "add-timeout", "--timeout", "1", name="after.py")
        result = _run(after, url, timeout=120)
        assert result.stdout.startswith("timeout after"), result.stdout + result.stderr
        # Measured by the program around the call alone (not interpreter start-up, which a
        # busy machine slows): the 1 s timeout, not a hang cut short by our patience.
        waited = float(result.stdout.split()[-1])
        assert 0.9 <= waited < 10, waited
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()


def test_comment_after_the_last_argument_stays_with_it():
    new, _ = fix(
        """
        import requests
        requests.get(
            url,
            headers=h  # hdrs
        )
        """
    )
    assert new == dedent(
        """
        import requests
        requests.get(
            url,
            headers=h,  # hdrs
            timeout=60
        )
        """
    )


def test_a_shorter_timeout_set_elsewhere_is_reported_not_overridden():
    # A mounted adapter or socket.setdefaulttimeout can already bound the call: timeout=60
    # would lengthen it, so these are left for a human.
    source = """
        import requests

        def f(url, adapter):
            s = requests.Session()
            s.mount("http://", adapter)
            return s.get(url)
        """
    new, sites = fix(source)
    assert new == dedent(source)
    assert reasons(sites) == [(7, "the session has a mounted adapter, which may set its own timeout")]
    source = """
        import socket as so
        from urllib.request import urlopen

        so.setdefaulttimeout(1)
        urlopen("u")
        """
    new, sites = fix(source)
    assert new == dedent(source)
    assert reasons(sites) == [(6, "the module calls socket.setdefaulttimeout; an explicit timeout would replace it")]


# -- layout in black's style, urlopen's single number, validated values (issue 15) ---------

BLACK_STYLE = """
import requests


def fetch(factory_result_url, request_parameters, extra_headers):
    response = requests.get(
        factory_result_url, params=request_parameters, headers=extra_headers
    )
    other = requests.post(
        factory_result_url, data=request_parameters  # the payload for it
    )
    single = requests.get(
        factory_result_url + request_parameters + extra_headers + "/suffix"
    )
    exploded = requests.get(
        factory_result_url,
        params=request_parameters,
        headers=extra_headers,
    )
    return response, other, single, exploded
"""

BLACK_STYLE_FIXED = """
import requests


def fetch(factory_result_url, request_parameters, extra_headers):
    response = requests.get(
        factory_result_url, params=request_parameters, headers=extra_headers, timeout=60
    )
    other = requests.post(
        factory_result_url, data=request_parameters, timeout=60  # the payload for it
    )
    single = requests.get(
        factory_result_url + request_parameters + extra_headers + "/suffix", timeout=60
    )
    exploded = requests.get(
        factory_result_url,
        params=request_parameters,
        headers=extra_headers,
        timeout=60,
    )
    return response, other, single, exploded
"""


def test_black_style_calls_keep_their_layout_and_stay_black_clean():
    black = pytest.importorskip("black")
    source = BLACK_STYLE.lstrip("\n")
    mode = black.Mode()  # line length 88
    assert black.format_str(source, mode=mode) == source  # the input is black's own layout
    new, sites = fix(source)
    assert new == BLACK_STYLE_FIXED.lstrip("\n")
    assert len(sites) == 4
    # The new argument joins the arguments' line (not a line of its own at the indentation of
    # ")"), so black leaves the result as it is.
    assert black.format_str(new, mode=mode) == new


def test_arguments_sharing_a_line_get_the_timeout_on_that_line():
    new, _ = fix(
        """
        import requests

        def f(u, p):
            a = requests.get(
                u, params=p,
            )
            b = requests.get(u, params=p
            )
        """
    )
    assert new == dedent(
        """
        import requests

        def f(u, p):
            a = requests.get(
                u, params=p, timeout=60,
            )
            b = requests.get(u, params=p, timeout=60
            )
        """
    )


def test_urlopen_gets_one_number_from_a_connect_read_pair():
    source = """
        import requests
        from urllib.request import urlopen

        requests.get("u")
        urlopen("u")
        """
    new, sites = fix(source, timeout="(3.05, 27)")
    assert new == dedent(
        """
        import requests
        from urllib.request import urlopen

        requests.get("u", timeout=(3.05, 27))
        urlopen("u", timeout=27)
        """
    )
    assert [s.reason for s in sites] == ["added timeout=(3.05, 27)", "added timeout=27"]
    # The larger of the two, whichever comes first.
    new, _ = fix("from urllib.request import urlopen\nurlopen('u')\n", timeout="(30, 5)")
    assert new == "from urllib.request import urlopen\nurlopen('u', timeout=30)\n"


URLOPEN_PROGRAM = """
import sys
from urllib.request import urlopen

with urlopen(sys.argv[1] + "/json?i=1") as r:
    print(r.status)
"""


def test_urlopen_with_a_pair_runs(tmp_path, server):
    from tests.conftest import rewrite

    after = rewrite(tmp_path, URLOPEN_PROGRAM, "--select", "add-timeout", "--timeout", "(3.05, 27)")
    assert 'urlopen(sys.argv[1] + "/json?i=1", timeout=27)' in after.read_text()
    result = _run(after, server.url)
    assert result.returncode == 0, result.stderr  # no "TypeError: 'tuple' object ..."
    assert result.stdout.strip() == "200"


@pytest.mark.parametrize(
    "value, code",
    [("(5,)", "5"), ("[5]", "5"), ((5,), "5"), ([3, 4.5], "(3, 4.5)"), ("  7.5 ", "7.5"), (1000000000, "1000000000")],
)
def test_timeout_values_accepted(value, code):
    assert parse_timeout(value) == code


@pytest.mark.parametrize(
    "bad", ["1e999", "-1e999", "nan", "inf", "1e10", "()", "[]", "(0, 5)", "((1, 2),)", "10**9", (1, True), [1, 2, 3]]
)
def test_timeout_values_rejected(bad):
    with pytest.raises(ValueError, match="invalid timeout"):
        parse_timeout(bad)


def test_one_element_pair_writes_the_number():
    new, _ = fix("import requests\nrequests.get('u')\n", timeout="(5,)")
    assert new == "import requests\nrequests.get('u', timeout=5)\n"
