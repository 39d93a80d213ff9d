"""share-session: before/after text for every strategy, what it leaves alone and what it reports.

Every ``transform`` call also checks that a second run changes nothing (tests/helpers.py).
The real behaviour (connections, cookies, results) is in test_share_session_behaviour.py.
"""

from __future__ import annotations

import ast

import pytest

from codemods import registry
from tests.helpers import dedent, reasons, transform

HEADER_REQUESTS = (
    "_session = requests.Session()\n_session.cookies.set_policy(_cookiejar.DefaultCookiePolicy(allowed_domains=[]))\n"
)
HEADER_HTTPX = (
    "_client = httpx.Client(\n    cookies=_cookiejar.CookieJar(_cookiejar.DefaultCookiePolicy(allowed_domains=[]))\n)\n"
)


def fix(source, **options):
    values = {k.replace("_", "-"): v for k, v in options.items()}
    return transform(source, ["share-session"], {"share-session": values})


def fixed_lines(sites):
    return [line for line, _ in reasons(sites, "fixed")]


# -- module strategy: import forms -----------------------------------------------------------


def test_import_requests_module_level_and_functions():
    new, sites = fix(
        """
        import requests


        def fetch(url):
            return requests.get(url, timeout=5).json()


        class API:
            def post(self, url):
                return requests.post(url, json={"a": 1})

            def nested(self, url):
                def inner():
                    return requests.request("DELETE", url)
                return inner
        """
    )
    assert (
        new
        == dedent(
            """
        import http.cookiejar as _cookiejar

        import requests

        """
        )
        + HEADER_REQUESTS
        + dedent(
            """


        def fetch(url):
            return _session.get(url, timeout=5).json()


        class API:
            def post(self, url):
                return _session.post(url, json={"a": 1})

            def nested(self, url):
                def inner():
                    return _session.request("DELETE", url)
                return inner
        """
        )[1:]
    )
    assert fixed_lines(sites) == [6, 11, 15]
    assert reasons(sites) == []


def test_every_import_form_and_the_imports_left_unused_removed():
    new, sites = fix(
        """
        import atexit
        import http.cookiejar
        import requests as rq
        from requests import get, post as http_post
        from requests import api

        rq.get("a")
        get("b", {"q": 1})
        http_post("c", data=b"x")
        api.put("d", data="y")
        rq.api.head("e")
        rq.options("f")
        rq.patch("g")
        """
    )
    assert new == dedent(
        """
        import atexit
        import http.cookiejar
        import requests as rq

        _session = rq.Session()
        _session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))

        _session.get("a")
        _session.get("b", params={"q": 1})
        _session.post("c", data=b"x")
        _session.put("d", data="y")
        _session.head("e")
        _session.options("f")
        _session.patch("g")
        """
    )
    assert len(fixed_lines(sites)) == 7
    # A public name stays: in ``__all__``, or with a comment on its line.
    new, _ = fix(
        '__all__ = ["get"]\nimport requests\nfrom requests import get\nfrom requests import post  # noqa\n'
        'get("b")\npost("c")\n'
    )
    assert "from requests import get\n" in new and "from requests import post  # noqa\n" in new


def test_from_import_only_adds_import_requests():
    """``import requests as _requests`` goes into the third-party section, where isort puts
    it; ``from requests import get``, no longer used, goes (issue 15)."""
    new, _ = fix(
        """
        from requests import get

        def f(u):
            return get(u)
        """
    )
    assert (
        new
        == dedent(
            """
        import http.cookiejar as _cookiejar

        import requests as _requests

        """
        )
        + HEADER_REQUESTS.replace("requests.Session", "_requests.Session")
        + dedent(
            """

        def f(u):
            return _session.get(u)
        """
        )[1:]
    )


def test_still_used_imports_are_kept():
    new, _ = fix(
        """
        import requests
        from requests import get, HTTPError
        import requests.exceptions

        try:
            get("u").raise_for_status()
        except (HTTPError, requests.exceptions.Timeout):
            pass
        """
    )
    assert "from requests import HTTPError\n" in new  # ``get`` is no longer used: it goes
    assert "import requests.exceptions\n" in new
    assert "import requests\n" in new
    assert '_session.get("u")' in new


def test_httpx_forms_and_stream():
    new, sites = fix(
        """
        import httpx
        from httpx import stream

        def f(u):
            r = httpx.post(u, json={}, timeout=3, follow_redirects=False)
            with stream("GET", u) as s:
                return r, s.read()
        """
    )
    assert (
        new
        == dedent(
            """
        import http.cookiejar as _cookiejar

        import httpx

        """
        )
        + HEADER_HTTPX
        + dedent(
            """

        def f(u):
            r = _client.post(u, json={}, timeout=3, follow_redirects=False)
            with _client.stream("GET", u) as s:
                return r, s.read()
        """
        )[1:]
    )
    assert len(fixed_lines(sites)) == 2


def test_both_libraries_in_one_module():
    new, sites = fix(
        """
        import httpx
        import requests

        a = requests.get("u")
        b = httpx.get("u")
        """
    )
    assert (
        new
        == dedent(
            """
        import http.cookiejar as _cookiejar

        import httpx
        import requests

        """
        )
        + HEADER_REQUESTS
        + HEADER_HTTPX
        + dedent(
            """

        a = _session.get("u")
        b = _client.get("u")
        """
        )[1:]
    )


# -- placement ---------------------------------------------------------------------------


def test_placement_after_docstring_future_and_conditional_imports():
    new, _ = fix(
        '''
        #!/usr/bin/env python
        """Module docstring."""
        from __future__ import annotations

        import os
        try:
            import requests
        except ImportError:
            raise SystemExit("pip install requests")
        try:
            import simplejson as json
        except ImportError:
            import json
        if os.name == "nt":
            import ntpath as p
        else:
            import posixpath as p

        CONFIG = os.environ.get("X")


        def main():
            return requests.get(CONFIG).json()
        '''
    )
    head, _, rest = new.partition("_session = requests.Session()")
    assert head.endswith("else:\n    import posixpath as p\n\n")
    # The standard library's import joins the first import block (isort, E402).
    assert "from __future__ import annotations\n\nimport http.cookiejar as _cookiejar\nimport os\n" in head
    assert rest.index("set_policy") < rest.index('CONFIG = os.environ.get("X")')
    assert new.startswith('\n#!/usr/bin/env python\n"""Module docstring."""\nfrom __future__')
    assert "_session.get(CONFIG)" in new


def test_placement_before_first_use_at_import_time():
    new, _ = fix(
        """
        import requests
        DATA = requests.get("u").json()
        import os
        """
    )
    assert new.index("_session = requests.Session()") < new.index("DATA =")
    assert new.index("DATA =") < new.index("import os")
    compile(new, "x", "exec")


def test_conditional_import_that_can_fail_is_reported():
    # (the optional-dependency ``try`` is fixed: test_share_optional_import.py)
    source = """
        try:
            import requests
        except ImportError:
            requests = object()

        def f(u):
            return requests.get(u)
        """
    new, sites = fix(source)
    assert new == dedent(source)
    assert len(reasons(sites)) == 1 and "requests is imported conditionally" in reasons(sites)[0][1]


def test_import_only_inside_a_function_is_reported():
    source = """
        def f(u):
            import requests
            return requests.get(u)
        """
    new, sites = fix(source)
    assert new == dedent(source)
    assert reasons(sites) == [(4, "requests is not imported at module level before its first use")]


def test_local_import_rewritten_when_module_imports_it_too():
    new, _ = fix(
        """
        import requests

        def f(u):
            import requests
            return requests.get(u)
        """
    )
    assert "return _session.get(u)" in new


# -- names ---------------------------------------------------------------------------------


def test_name_collisions_get_fresh_names():
    new, _ = fix(
        """
        import requests

        _session = "taken"

        def f(_session_1):
            return requests.get(_session_1)
        """
    )
    assert "_session_2 = requests.Session()" in new
    assert "return _session_2.get(_session_1)" in new


def test_session_name_option():
    new, _ = fix(
        """
        import requests
        import httpx
        requests.get("a")
        httpx.get("b")
        """,
        session_name="http",
    )
    # the cookie policy's import has a private name: "http" stays free
    assert "http = requests.Session()" in new
    assert "http_httpx = httpx.Client(" in new


def test_cookiejar_import_never_takes_the_name_http():
    new, sites = fix(
        """
        import requests
        from twisted.web import http

        requests.get(http.OK)
        """
    )
    assert reasons(sites) == []
    assert "import http.cookiejar as _cookiejar\n" in new
    assert "_session.get(http.OK)" in new


def test_keep_cookies_drops_the_policy_and_the_cookiejar_import():
    new, _ = fix(
        """
        import requests
        import httpx
        requests.get("a")
        httpx.get("b", follow_redirects=True)
        """,
        keep_cookies=True,
    )
    assert new == dedent(
        """
        import requests
        import httpx

        _session = requests.Session()
        _client = httpx.Client()

        _session.get("a")
        _client.get("b", follow_redirects=True)
        """
    )


# -- left alone and reported ---------------------------------------------------------------


def test_not_targets():
    source = """
        import requests
        s = requests.Session()
        s.get("u")
        requests.Session().get("u")
        d = {}
        d.get("u")

        def f(requests):
            return requests.get("u")
        """
    new, sites = fix(source)
    assert new == dedent(source)
    assert sites == []


def test_star_imports_reported():
    source = """
        from requests import *
        from httpx import *

        get("u")
        stream("GET", "u")
        """
    new, sites = fix(source)
    assert new == dedent(source)
    assert reasons(sites) == [
        (5, "cannot resolve get(): star import from requests or httpx"),
        (6, "cannot resolve stream(): star import from requests or httpx"),
    ]


def test_arguments_a_shared_client_cannot_take_are_reported():
    source = """
        import requests
        import httpx

        def f(u, kw, args):
            requests.get(u, verify=False)
            requests.get(u, cert="c.pem")
            requests.get(u, **kw)
            requests.get(u, *args)
            httpx.get(u, verify=False)
            httpx.get(u, proxy="http://p")
            httpx.get(u, trust_env=False)
            httpx.get(u, cookies={"a": "b"})
            httpx.get(u, follow_redirects=True)
            httpx.get(u, **kw)
            httpx.get(u, "extra")
        """
    new, sites = fix(source)
    assert new == dedent(source)
    got = reasons(sites)
    assert [line for line, _ in got] == list(range(6, 17))
    assert "CVE-2024-35195" in got[0][1] and "CVE-2024-35195" in got[2][1]
    assert got[3][1].startswith("passes *args")
    assert got[4][1] == "passes verify=, which an httpx client takes only when it is created"
    assert "deprecated" in got[7][1]
    assert "redirect" in got[8][1]


TLS_CALLS = """
    import requests
    import httpx

    def f(u, kw):
        requests.get(u, verify=False)
        requests.get(u, cert="c.pem")
        requests.get(u, **kw)
        httpx.get(u, verify=False)
    """


@pytest.mark.parametrize(
    "version, fixed",
    [
        (">=2.32", [6, 7, 8]),
        ("~=2.32.3", [6, 7, 8]),
        ("2.32.3", [6, 7, 8]),
        ("==2.33.*", [6, 7, 8]),
        (">=2.20", []),
        ("2.31.0", []),
        ("<3", []),
        ("", []),
    ],
)
def test_requests_version_decides_the_tls_reasons(version, fixed):
    """``requests-version``: the requests the project runs. At 2.32 or later a shared pool no
    longer reuses a connection across TLS settings, so verify=/cert=/**kwargs are ordinary
    sites; below (or unknown) they stay reported. httpx's own reason is not about versions."""
    new, sites = fix(TLS_CALLS, requests_version=version)
    assert fixed_lines(sites) == fixed
    got = dict(reasons(sites))
    assert "takes only when it is created" in got[9]
    for line in {6, 7, 8} - set(fixed):
        assert "CVE-2024-35195" in got[line] and 'set requests-version = ">=2.32"' in got[line]
    if fixed:
        assert "_session.get(u, verify=False)" in new and "_session.get(u, **kw)" in new


def test_requests_version_overrides_the_declared_bounds(tmp_path):
    """The option says what runs: it wins over the declarations (which may be looser, or
    missing) in both directions."""
    from tests.conftest import rewrite

    pyproject = '[project]\nname = "p"\ndependencies = ["requests%s"]\n'
    (tmp_path / "pyproject.toml").write_text(pyproject % ">=2.32")
    source = "import requests\n\n\ndef f(u):\n    return requests.get(u, verify=False)\n"
    declared = rewrite(tmp_path, source, "--select", "share-session", name="a.py")
    assert "_session.get(u, verify=False)" in declared.read_text()
    older = rewrite(tmp_path, source, "--select", "share-session", "--requests-version", "2.31", name="b.py")
    assert older.read_text() == source
    (tmp_path / "pyproject.toml").write_text(pyproject % "")
    unknown = rewrite(tmp_path, source, "--select", "share-session", name="d.py")
    assert unknown.read_text() == source
    newer = rewrite(tmp_path, source, "--select", "share-session", "--requests-version", ">=2.32", name="c.py")
    assert "_session.get(u, verify=False)" in newer.read_text()


def test_an_invalid_requests_version_is_refused():
    with pytest.raises(ValueError, match="invalid requests-version 'two'"):
        registry.BY_NAME["share-session"](None, **{"requests-version": "two"})


def test_verify_true_is_fine_and_mixed_calls():
    new, sites = fix(
        """
        import requests
        requests.get("a", verify=True)
        requests.get("b", verify=False)
        """
    )
    assert '_session.get("a", verify=True)' in new
    assert 'requests.get("b", verify=False)' in new
    assert len(reasons(sites)) == 1


def test_suppressed_call_left_alone():
    source = """
        import requests
        requests.get("a")  # http-codemods: ignore[share-session]
        """
    new, sites = fix(source)
    assert new == dedent(source)
    assert sites == []


def test_comments_and_layout_kept():
    new, _ = fix(
        """
        import requests  # the library

        # fetch it
        r = requests.get(
            "u",  # the url
            timeout=3,
        )
        """
    )
    assert new.endswith(
        dedent(
            """
            # fetch it
            r = _session.get(
                "u",  # the url
                timeout=3,
            )
            """
        )
    )
    assert new.startswith("\nimport http.cookiejar as _cookiejar\n\nimport requests  # the library\n")


# -- function strategy ---------------------------------------------------------------------


def test_function_strategy_wraps_loops_and_multi_call_functions():
    new, sites = fix(
        """
        import requests
        from requests import get


        def fetch_all(urls):
            \"\"\"Doc.\"\"\"
            out = []
            # the loop
            for u in urls:
                out.append(get(u).json())
            return out


        def two(u):
            a = requests.get(u)
            if a.ok:
                b = requests.post(u, json={})
            return a, b


        def one(u):
            return requests.get(u)
        """,
        session_scope="function",
    )
    assert new == dedent(
        """
        import http.cookiejar as _cookiejar

        import requests


        def fetch_all(urls):
            \"\"\"Doc.\"\"\"
            out = []
            # the loop
            with requests.Session() as session:
                session.cookies.set_policy(_cookiejar.DefaultCookiePolicy(allowed_domains=[]))
                for u in urls:
                    out.append(session.get(u).json())
            return out


        def two(u):
            with requests.Session() as session:
                session.cookies.set_policy(_cookiejar.DefaultCookiePolicy(allowed_domains=[]))
                a = session.get(u)
                if a.ok:
                    b = session.post(u, json={})
            return a, b


        def one(u):
            return requests.get(u)
        """
    )
    assert len(fixed_lines(sites)) == 3


def test_function_strategy_httpx_and_comprehension_loop():
    new, _ = fix(
        """
        import httpx

        def f(urls):
            return [httpx.get(u).text for u in urls]
        """,
        session_scope="function",
        keep_cookies=True,
    )
    assert new == dedent(
        """
        import httpx

        def f(urls):
            with httpx.Client() as client:
                return [client.get(u).text for u in urls]
        """
    )


def test_function_strategy_leaves_generators_lambdas_and_module_level():
    source = """
        import requests

        DATA = [requests.get(u) for u in ("a", "b")]

        def gen(urls):
            for u in urls:
                yield requests.get(u)

        def lazy(urls):
            return (requests.get(u) for u in urls), lambda: requests.get("x")
        """
    new, sites = fix(source, session_scope="function")
    assert new == dedent(source)
    assert [line for line, _ in reasons(sites)] == [8]
    assert "generator" in reasons(sites)[0][1]


def test_function_strategy_name_collision():
    new, _ = fix(
        """
        import requests

        def f(session):
            requests.get(session)
            requests.get(session)
        """,
        session_scope="function",
        keep_cookies=True,
    )
    assert "with requests.Session() as session_1:" in new
    assert "session_1.get(session)" in new


# -- --client ------------------------------------------------------------------------------


def test_client_option_rewrites_to_the_given_client():
    new, sites = fix(
        """
        import requests
        import httpx

        def f(u):
            requests.get(u)
            return httpx.get(u)
        """,
        client="myapp.http:session",
    )
    assert new == dedent(
        """
        import httpx
        from myapp.http import session

        def f(u):
            session.get(u)
            return httpx.get(u)
        """
    )
    assert reasons(sites) == [(7, "httpx call, but the shared client session is a requests client (--client-library)")]


def test_client_option_reuses_existing_import_and_respects_locals():
    new, sites = fix(
        """
        import httpx
        from myapp.http import client as shared

        def f(u):
            return httpx.get(u)

        def g(u, shared):
            return httpx.get(u)
        """,
        client="myapp.http:client",
        client_library="httpx",
    )
    assert "return shared.get(u)" in new
    assert new.count("from myapp.http import client as shared") == 1
    assert reasons(sites) == [(9, "shared is a local name here")]


def test_client_in_its_own_module_is_left_alone():
    source = """
        import requests
        session = requests.Session()
        requests.get("u")
        """
    new, sites = transform(
        source,
        ["share-session"],
        {"share-session": {"client": "myapp.http:session"}},
        path="src/myapp/http.py",
    )
    assert new == dedent(source)
    assert len(reasons(sites)) == 1


def test_invalid_options_rejected():
    from libcst.codemod import CodemodContext

    from codemods.share_session import ShareSession

    for bad in ({"client": "nocolon"}, {"session-name": "1x"}, {"session-name": "__x"}):
        with pytest.raises(ValueError):
            ShareSession(CodemodContext(), **bad)


# -- registry, idempotency and close-response interplay ------------------------------------


def test_registered_last_and_on_by_default():
    assert registry.CODEMODS[-1].NAME == "share-session"
    assert "share-session" in registry.default_names()


@pytest.mark.skipif("close-response" not in registry.BY_NAME, reason="close-response is not registered yet")
def test_with_close_response_stream_call_ends_up_closed():
    new, sites = transform(
        """
        import requests

        def f(u):
            r = requests.get(u, stream=True)
            return r.raw.read(10)
        """,
        registry.default_names(),
    )
    assert "with _session.get(u, stream=True) as r:" in new
    ast.parse(new)


def test_options_through_the_command_line_and_config(tmp_path):
    from tests.conftest import rewrite

    source = """
        import requests
        import httpx

        def f(u):
            both = requests.get(u), httpx.get(u)
            return both
        """
    path = rewrite(
        tmp_path,
        source,
        "--select",
        "share-session",
        "--client",
        "app.net:http_client",
        "--client-library",
        "httpx",
        name="a.py",
    )
    assert "both = requests.get(u), http_client.get(u)" in path.read_text()
    assert "from app.net import http_client" in path.read_text()

    path = rewrite(
        tmp_path,
        source,
        "--select",
        "share-session",
        "--keep-cookies",
        "--session-scope",
        "function",
        "--session-name",
        "s",
        name="b.py",
    )
    assert "with requests.Session() as s, httpx.Client() as s_httpx:" in path.read_text()

    (tmp_path / "pyproject.toml").write_text(
        '[tool.http-codemods.share-session]\nkeep-cookies = true\nsession-name = "shared"\n'
    )
    path = rewrite(tmp_path, source, "--select", "share-session", name="c.py")
    text = path.read_text()
    assert "shared = requests.Session()" in text and "set_policy" not in text


def test_self_referencing_assignment_does_not_crash():
    new, sites = fix(
        """
        import requests

        def f(u):
            data = data.astype(int)
            return requests.get(u), data
        """
    )
    assert "return _session.get(u), data" in new
    assert "data = data.astype(int)" in new


# -- review findings: run-time patches, imports kept, no atexit, env, fork, names, escapes -


def test_module_that_patches_the_library_is_reported():
    """Finding 5: ``requests.get = ...`` / ``requests.Session = ...`` / setattr on the module /
    requests_cache: a shared client made at import would bypass the patch."""
    for patch in (
        "requests.get = audited",
        "requests.sessions.Session = Cached",
        "setattr(requests, 'get', audited)",
    ):
        source = f"""
            import requests
            from app import audited, Cached

            def f(u):
                return requests.get(u)

            {patch}
            """
        new, sites = fix(source)
        assert new == dedent(source), patch
        assert len(reasons(sites)) == 1 and "patch" in reasons(sites)[0][1], (patch, reasons(sites))
    source = """
        import requests
        import requests_cache
        import httpx

        requests_cache.install_cache("demo")
        requests.get("u")
        httpx.get("u")
        """
    new, sites = fix(source)
    assert 'requests.get("u")' in new and '_client.get("u")' in new
    assert reasons(sites)[0][0] == 7 and "requests_cache" in reasons(sites)[0][1]
    # a local name that only looks like the module is not a patch
    new, _ = fix(
        """
        import requests

        def f(requests_like):
            requests_like.get = None
            return requests.get("u")
        """
    )
    assert '_session.get("u")' in new


def test_imports_made_unused_are_removed_unless_marked():
    """Finding 6: a module-level name may be public (``from compat import get`` elsewhere): one
    with a comment on its line stays; one left unused goes (issue 15: F401)."""
    source = """
        import requests  # the http library
        from requests import get  # re-exported for compat
        from httpx import post as hpost

        def f(u):
            return get(u), requests.get(u), hpost(u)
        """
    new, _ = fix(source)
    assert new.startswith(
        "\nimport http.cookiejar as _cookiejar\n\nimport httpx as _httpx\n"
        "import requests  # the http library\nfrom requests import get  # re-exported for compat\n\n"
    )
    assert "return _session.get(u), _session.get(u), _client.post(u)" in new
    new, _ = fix(source.replace("return", "get(u)\n            return"), session_scope="function")
    assert "from requests import get  # re-exported for compat\n" in new


def test_no_atexit_registration():
    """Finding 7: atexit handlers run LIFO, so closing at exit broke handlers registered earlier
    (a logging handler posting at shutdown)."""
    new, _ = fix(
        """
        import httpx
        import requests
        requests.get("u")
        httpx.get("u")
        """
    )
    assert "atexit" not in new


def test_httpx_module_that_changes_the_environment_is_reported():
    """Finding 8: an httpx client reads proxy/SSL variables when created; requests reads them
    per request, so its calls are still rewritten."""
    for change in (
        'os.environ["HTTP_PROXY"] = "http://p"',
        'os.environ.update(HTTPS_PROXY="http://p")',
        'os.environ.setdefault("SSL_CERT_FILE", "x")',
        'os.putenv("HTTP_PROXY", "http://p")',
        "load_dotenv()",
    ):
        source = f"""
            import os
            import httpx
            import requests
            from dotenv import load_dotenv

            def f(u):
                return httpx.get(u), requests.get(u)

            {change}
            """
        new, sites = fix(source)
        assert "return httpx.get(u), _session.get(u)" in new, change
        assert [line for line, _ in reasons(sites)] == [8], change
        assert "environment" in reasons(sites)[0][1]


def test_module_that_forks_is_reported():
    """Finding 9: a module-level client used before a fork shares its sockets with the child."""
    for uses in (
        "import multiprocessing as mp\nmp.Pool(4)",
        "import os\nos.fork()",
        "from concurrent.futures import ProcessPoolExecutor\nProcessPoolExecutor()",
    ):
        source = "import requests\n" + uses + '\nrequests.get("u")\n'
        new, sites = fix(source)
        assert new == source, uses
        assert "fork" in reasons(sites)[0][1]
    # the function strategy opens and closes its client inside one call: fine
    new, _ = fix(
        "import os\nimport requests\n\ndef f(u):\n    requests.get(u)\n    requests.get(u)\n\nos.fork()\n",
        session_scope="function",
    )
    assert "with requests.Session() as session:" in new


def test_added_imports_use_private_names():
    """Finding 14: a star import (or the user's own ``http``) is never overwritten."""
    source = """
        from requests import get
        from mylib import *

        def fetch(path):
            return get(http.base + path)
        """
    new, sites = fix(source)
    assert reasons(sites) == []
    assert "import http.cookiejar as _cookiejar\n\nimport requests as _requests\n" in new
    assert "_session = _requests.Session()" in new
    assert "import http\n" not in new and "import http.cookiejar\n" not in new
    tree = ast.parse(new)
    assert not any(isinstance(n, ast.Import) and n.names[0].asname is None for n in ast.walk(tree))


def test_function_strategy_reports_a_lazy_stream_or_returned_result():
    """Finding 16: ``return httpx.stream(...)`` is entered after the with block closed the client."""
    source = """
        import httpx

        def open_feed(base):
            httpx.get(base + "/health").raise_for_status()
            return httpx.stream("GET", base + "/feed")

        def both(base):
            httpx.get(base)
            return httpx.get(base)

        def stored(base):
            cm = httpx.stream("GET", base)
            httpx.get(base)
            with cm as r:
                return r.read()
        """
    new, sites = fix(source, session_scope="function", keep_cookies=True)
    assert new == dedent(source)
    assert [line for line, _ in reasons(sites)] == [5, 6, 9, 10, 13, 14]
    new, _ = fix(
        """
        import httpx

        def ok(base):
            httpx.get(base)
            with httpx.stream("GET", base) as r:
                return r.read()
        """,
        session_scope="function",
        keep_cookies=True,
    )
    assert 'with client.stream("GET", base) as r:' in new


# -- references to a function that are only called (share/references.py) --------------------


def test_references_only_called_are_routed():
    new, sites = fix(
        """
        import requests
        from requests import get, post


        def send(method, url, p):
            fn = requests.post if method == "POST" else requests.get
            r = fn(url, data=p, timeout=5)
            r2 = (requests.put if p else requests.delete)(url, timeout=5)
            req = (
                requests.post
                if method == "POST"
                else (requests.put if method == "PUT" else requests.get)
            )
            named = post if p else get

            def inner():
                return named(url)

            return req(url), r, r2, inner()
        """
    )
    assert new == dedent(
        """
        import http.cookiejar as _cookiejar

        import requests

        """
    ) + HEADER_REQUESTS + dedent(
        """

        def send(method, url, p):
            fn = _session.post if method == "POST" else _session.get
            r = fn(url, data=p, timeout=5)
            r2 = (_session.put if p else _session.delete)(url, timeout=5)
            req = (
                _session.post
                if method == "POST"
                else (_session.put if method == "PUT" else _session.get)
            )
            named = _session.post if p else _session.get

            def inner():
                return named(url)

            return req(url), r, r2, inner()
        """
    )
    assert fixed_lines(sites) == [7, 7, 9, 9, 11, 13, 13, 15, 15]
    assert reasons(sites) == []


def test_httpx_reference_gets_the_httpx_argument_checks():
    new, sites = fix(
        """
        import httpx


        def send(url, p):
            fn = httpx.post if p else httpx.get
            return fn(url, json={}), fn(url, follow_redirects=True)
        """
    )
    assert new == dedent(
        """
        import httpx


        def send(url, p):
            fn = httpx.post if p else httpx.get
            return fn(url, json={}), fn(url, follow_redirects=True)
        """
    )
    assert [line for line, _ in reasons(sites)] == [6, 6]
    assert all("may follow redirects" in why and "its call at line 7" in why for _, why in reasons(sites))


def test_references_whose_calls_cannot_be_followed_are_reported():
    source = """
        import requests

        module_level = requests.get


        class API:
            verb = requests.post


        def f(url, p, obj):
            passed = requests.get
            register(passed)
            returned = requests.post if p else requests.put
            returned(url)
            return returned

        def g(url, p, obj):
            twice = requests.get
            twice = None
            stored = requests.get
            obj.items = [stored]
            obj.fn = requests.post
            a = b = requests.post
            params = requests.get
            params(url, {"q": 1})
            starred = requests.post
            starred(*p)
        """
    new, sites = fix(source, requests_version=">=2.32")
    assert new == dedent(source)
    found = reasons(sites)
    assert found == [
        (
            4,
            "a reference to requests.get assigned to the module-level name module_level, which other modules "
            "may use: its calls cannot be followed",
        ),
        (8, "a reference to requests.post stored as the class attribute verb: its calls cannot be followed"),
        (12, "passed (a reference to requests.get) is passed on at line 13: its calls cannot be followed"),
        (14, "returned (a reference to requests.post) is returned at line 16: its calls cannot be followed"),
        (14, "returned (a reference to requests.put) is returned at line 16: its calls cannot be followed"),
        (19, "twice (a reference to requests.get) is assigned more than once: cannot tell which calls use it"),
        (21, "stored (a reference to requests.get) is stored at line 22: its calls cannot be followed"),
        (23, "a reference to requests.post stored in something other than a local name: its calls cannot be followed"),
        (24, "a reference to requests.post stored in something other than a local name: its calls cannot be followed"),
        (25, "passes params by position, which only a direct call can pass as params= (its call at line 26)"),
        (27, "passes *args: cannot tell which parameters they fill (its call at line 28)"),
    ]
    # ``many``'s put takes the body positionally (data): only delete's reference is reported.
    new, sites = fix(
        "import requests\n\ndef h(u, p):\n    many = requests.put if p else requests.delete\n    many(u, 'b')\n"
    )
    assert "many = _session.put if p else requests.delete" in new
    assert reasons(sites) == [(4, "more positional arguments than the function takes (its call at line 5)")]


def test_other_references_are_left_alone():
    source = """
        import requests


        def f(url, verb, pool):
            name = requests.get.__name__
            pool.submit(requests.get, url)
            method = getattr(requests, verb)
            unused = requests.get
            chosen = requests.get if requests.post else None
            d = {}
            lookup = d.get
            return method(url), lookup(url), name
        """
    new, sites = fix(source)
    assert new == dedent(source)
    assert sites == []


def test_function_scope_reports_references():
    source = """
        import requests


        def f(url, p):
            fn = requests.post if p else requests.get
            return fn(url)
        """
    new, sites = fix(source, session_scope="function")
    assert new == dedent(source)
    assert [line for line, _ in reasons(sites)] == [6, 6]
    assert "routes calls only" in reasons(sites)[0][1]


def test_a_suppressed_reference_is_left_alone():
    source = """
        import requests


        def f(url, p):
            fn = requests.post if p else requests.get  # http-codemods: ignore
            return fn(url)
        """
    new, sites = fix(source)
    assert new == dedent(source)
    assert sites == []
