"""close-response on clients held on ``self`` or in ``s = s or <constructor>``
(``codemods/closing/held.py``): unit cases, and the rewrite against the local server."""

from __future__ import annotations

from codemods import engine
from tests.helpers import dedent, reasons, transform
from tests.test_close_behaviour import before_and_after, check, leaked

CLASS_SESSION = """\
import requests


class Client:
    _session = None

    def __init__(self):
        self._session = requests.Session()

    def download(self, url, out):
        r = self._session.get(url, stream=True)
        for chunk in r.iter_content(8192):
            out.write(chunk)

    def close(self):
        self._session.close()
        self._session = None
"""


def test_attribute_set_to_a_session_in_init_is_followed():
    new, sites = transform(CLASS_SESSION, ["close-response"])
    assert "        with self._session.get(url, stream=True) as r:\n            for chunk in" in new
    assert [s.action for s in sites] == ["fixed"]
    assert sites[0].safety == "safe"


def test_attribute_stored_from_anything_else_is_not_followed():
    source = CLASS_SESSION.replace("        self._session = None\n", "        self._session = make()\n")
    new, sites = transform(source, ["close-response"])
    assert new == source and sites == []


def test_attribute_stored_elsewhere_in_the_module_is_not_followed():
    source = CLASS_SESSION + "\n\ndef swap(c, s):\n    c._session = s\n"
    new, sites = transform(source, ["close-response"])
    assert new == source and sites == []


def test_attribute_with_a_property_of_that_name_is_not_followed():
    source = CLASS_SESSION.replace(
        "    def close(self):", "    @property\n    def _session(self):\n        return X\n\n    def close(self):"
    )
    new, _ = transform(source, ["close-response"])
    assert "with self._session" not in new


def test_attribute_stored_in_a_function_pruning_would_hide_is_seen():
    """``reset`` mentions no HTTP name: pruning must still show its store to held.py."""
    source = CLASS_SESSION.replace(
        "    def close(self):", "    def reset(self, other):\n        self._session = other\n\n    def close(self):"
    )
    new, sites = transform(source, ["close-response"])
    assert new == source and sites == []


def test_staticmethod_first_parameter_is_not_an_instance():
    source = dedent(
        """\
        import requests


        class C:
            def __init__(self):
                self.s = requests.Session()

            @staticmethod
            def get(self, url):
                r = self.s.get(url, stream=True)
                return r.content
        """
    )
    new, sites = transform(source, ["close-response"])
    assert new == source and sites == []


def test_aiohttp_session_on_self_gets_async_with():
    source = dedent(
        """\
        import aiohttp


        class Api:
            def __init__(self):
                self.session = aiohttp.ClientSession()

            async def status(self, url):
                resp = await self.session.get(url)
                return resp.status
        """
    )
    new, sites = transform(source, ["close-response"])
    assert "        async with self.session.get(url) as resp:\n            return resp.status" in new
    assert [s.action for s in sites] == ["fixed"]


def test_session_or_constructor_with_an_optional_annotation_is_safe():
    source = dedent(
        """\
        from typing import Optional

        import requests


        def size(url, session: Optional[requests.Session] = None):
            session = session or requests.Session()
            r = session.get(url, stream=True)
            return len(r.content)
        """
    )
    new, sites = transform(source, ["close-response"])
    assert "    with session.get(url, stream=True) as r:\n        return len(r.content)" in new
    assert [(s.action, s.safety) for s in sites] == [("fixed", "safe")]


def test_session_or_constructor_with_an_untyped_parameter_is_an_unsafe_fix():
    source = dedent(
        """\
        import requests


        def size(url, session=None):
            session = session or requests.Session()
            r = session.get(url, stream=True)
            return len(r.content)
        """
    )
    new, sites = transform(source, ["close-response"])
    assert new == source
    assert reasons(sites) == [
        (
            6,
            "the client comes from the parameter `session`, which has no annotation; the response is "
            "closed only if it is a requests.Session; fixable with --unsafe-fixes",
        )
    ]
    assert "may pass `session`" in sites[0].hazard
    settings = engine.Settings(codemods=("close-response",), mode=engine.CHECK, unsafe_fixes=True)
    result = engine.process_source(source.encode(), "example.py", settings)
    assert "    with session.get(url, stream=True) as r:\n        return len(r.content)" in result.new_text
    assert [(s.action, s.safety) for s in result.sites] == [("fixed", "unsafe")]


def test_untyped_parameter_alone_is_not_a_site():
    source = dedent(
        """\
        def size(url, session):
            r = session.get(url, stream=True)
            return len(r.content)
        """
    )
    new, sites = transform(source, ["close-response"])
    assert new == source and sites == []


def test_behaviour_session_held_on_self(server, tmp_path):
    before, cb, after, ca, new = before_and_after(
        server,
        tmp_path,
        """
        from typing import Optional

        import requests

        class Client:
            _session = None

            def __init__(self):
                self._session = requests.Session()

            def head(self, path):
                r = self._session.get(URL + path, stream=True)
                if r.status_code != 200:
                    return r.status_code
                data = r.raw.read(2)
                if data == b"xx":
                    raise ValueError(data)
                return data.decode()

            def close(self):
                self._session.close()
                self._session = None

        def size(path, session: Optional[requests.Session] = None):
            session = session or requests.Session()
            r = session.get(URL + path, stream=True)
            return len(r.raw.read(5))

        KEEP = []

        def main():
            c = Client()
            KEEP.append(c)
            s = requests.Session()
            KEEP.append(s)
            out = []
            for p in ("/health", "/status/503", "/bytes?size=65536"):
                try:
                    out.append(c.head(p))
                except ValueError as exc:
                    ERRORS.append(exc)  # the traceback keeps the frame (and r) alive
                    out.append(str(exc))
            out.append(size("/bytes?size=65536", s))
            return out
        """,
    )
    assert "with self._session.get(URL + path, stream=True) as r:" in new
    assert "with session.get(URL + path, stream=True) as r:" in new
    assert leaked(before)
    check(before, cb, after, ca)
