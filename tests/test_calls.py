"""calls.py: which node is which HTTP call, resolved through libcst metadata, never by text."""

from __future__ import annotations

import textwrap
from typing import List, Optional, Tuple

import libcst as cst
from libcst.metadata import (
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from codemods.calls import HttpResolver


class Collect(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (QualifiedNameProvider, ScopeProvider, ParentNodeProvider, PositionProvider)

    def __init__(self) -> None:
        super().__init__()
        self.resolver = HttpResolver(self)
        self.found: List[Tuple[int, Optional[Tuple[str, str, str, Optional[str]]]]] = []

    def visit_Call(self, node: cst.Call) -> None:
        line = self.get_metadata(PositionProvider, node).start.line
        call = self.resolver.classify(node)
        self.found.append((line, None if call is None else (call.library, call.kind, call.name, call.client_class)))


def classify(source: str):
    visitor = Collect()
    MetadataWrapper(cst.parse_module(textwrap.dedent(source))).visit(visitor)
    return dict(visitor.found)


def test_import_forms():
    found = classify(
        """
        import requests
        import requests as rq
        from requests import get as g
        from requests import api
        import httpx
        import urllib.request
        from urllib import request as ur
        from urllib.request import urlopen
        requests.get(u)
        rq.post(u)
        g(u)
        api.request("GET", u)
        httpx.stream("GET", u)
        urllib.request.urlopen(u)
        ur.urlopen(u)
        urlopen(u)
        """
    )
    assert found[10] == ("requests", "function", "get", None)
    assert found[11] == ("requests", "function", "post", None)
    assert found[12] == ("requests", "function", "get", None)
    assert found[13] == ("requests", "function", "request", None)
    assert found[14] == ("httpx", "function", "stream", None)
    assert found[15] == found[16] == found[17] == ("urllib", "urlopen", "urlopen", None)


def test_clients_and_their_methods():
    found = classify(
        """
        import requests, httpx, aiohttp, urllib3
        from requests.sessions import Session
        module_session = requests.Session()

        def f(url, given: httpx.AsyncClient, plain):
            s = Session()
            s.get(url)
            with httpx.Client() as c:
                c.send(req, stream=True)
            given.get(url)
            plain.get(url)
            module_session.post(url)
            pool = urllib3.PoolManager()
            pool.request("GET", url, preload_content=False)
            a = aiohttp.ClientSession()
            a.get(url)
        """
    )
    assert found[4] == ("requests", "constructor", "Session", "requests.Session")
    assert found[8] == ("requests", "method", "get", "requests.Session")
    assert found[10] == ("httpx", "method", "send", "httpx.Client")
    assert found[11] == ("httpx", "method", "get", "httpx.AsyncClient")
    assert found[12] is None  # unknown parameter
    assert found[13] == ("requests", "method", "post", "requests.Session")
    assert found[15] == ("urllib3", "method", "request", "urllib3.PoolManager")
    assert found[17] == ("aiohttp", "method", "get", "aiohttp.ClientSession")


def test_shadowing_and_lookalikes_never_match():
    found = classify(
        """
        import requests

        def f(requests, url):
            requests.get(url)

        def g(url):
            d = {}
            d.get(url)

        class API:
            def get(self, url):
                pass

        def h(url):
            API().get(url)
            s = requests.Session()
            s = object()
            s.get(url)
            get(url)
        """
    )
    assert found[5] is None  # a parameter named requests
    assert found[9] is None  # dict.get
    assert found[16] is None
    assert found[19] is None  # s is bound to two different things
    assert found[20] is None  # a bare name that was never imported


def test_a_name_bound_from_a_call_on_itself_resolves_to_nothing():
    # x = x.method() once made the resolver follow x forever (found in gradio).
    found = classify(
        """
        import requests

        def f(data, other):
            data = data.astype(int)
            a = other.x()
            other = a.y()
            data.get(1)
            a.get(2)
        """
    )
    assert found[5] is None and found[8] is None and found[9] is None
