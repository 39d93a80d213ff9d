"""``close-response``: close responses that hold a connection, with ``with`` / ``async with``.

A streamed requests response, an ``urlopen`` response, an httpx streamed response, an aiohttp
response or a urllib3 response with ``preload_content=False`` keeps its connection until it is
closed or fully read. The code that forgets to close it on one path (an early return, an
exception) leaks a connection per call. The wrapping itself lives in ``wrapping.py``.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from .calls import AIOHTTP_VERBS, REQUESTS_VERBS, is_literal_true, keyword
from .wrapping import Plan, Target, WrappingCodemod

AIOHTTP_REQUEST_METHODS = AIOHTTP_VERBS - {"ws_connect"}


class CloseResponse(WrappingCodemod):
    NAME = "close-response"
    DESCRIPTION = "Close streamed responses (requests, urlopen, httpx, aiohttp, urllib3) with `with`."
    WHY = (
        "A streamed or unread response keeps its connection checked out until it is closed; "
        "a path that forgets (an early return, an exception) leaks one connection per call."
    )
    FIX = (
        "Wraps the statements that use the response, up to the last one, in `with <call> as r:` "
        "(`async with` for aiohttp and httpx's async streams, `contextlib.closing` for httpx's "
        "`send(stream=True)`, `try/finally: await r.aclose()` for its async form). The response "
        "is closed when that block ends, on every path, instead of when the garbage collector "
        "finds it. Sites where the response may be used after the block are reported instead."
    )
    DEFAULT = True
    FRESH_NAME = "response"

    CANDIDATE_NAMES = frozenset({"urlopen", "stream"})

    def might_be_target(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Await):
            return isinstance(node.expression, cst.Call)
        assert isinstance(node, cst.Call)
        if self.candidate_name(node.func):
            return True
        return any(
            arg.keyword is not None and arg.keyword.value in ("stream", "preload_content")
            for arg in node.args
        )

    def target_of(self, node: cst.CSTNode) -> Optional[Target]:
        if isinstance(node, cst.Await):
            inner = node.expression
            if not isinstance(inner, cst.Call):
                return None
            found = self.resolver.classify(inner)
            if found is None or found.kind != "method":
                return None
            if found.client_class == "aiohttp.ClientSession" and found.name in AIOHTTP_REQUEST_METHODS:
                return Target(node, "async with", "aiohttp", unwrap_await=True, needs_async_def=True)
            if (
                found.client_class == "httpx.AsyncClient"
                and found.name == "send"
                and is_literal_true(_kw(inner, "stream"))
            ):
                return Target(node, "aclose", "httpx", needs_async_def=True)
            return None
        if not isinstance(node, cst.Call):
            return None
        found = self.resolver.classify(node)
        if found is None:
            return None
        if found.kind == "urlopen":
            return Target(node, "with", "urllib")
        if found.library == "requests" and found.name in REQUESTS_VERBS:
            if found.kind == "function" or (
                found.kind == "method" and found.client_class == "requests.Session"
            ):
                if is_literal_true(_kw(node, "stream")):
                    return Target(node, "with", "requests")
            return None
        if found.library == "httpx":
            if found.name == "send" and found.client_class == "httpx.Client":
                if is_literal_true(_kw(node, "stream")):
                    return Target(node, "closing", "httpx")
                return None
            if found.name == "stream" and (
                found.kind == "function" or found.client_class == "httpx.Client"
            ):
                return Target(node, "with", "httpx", named_only=True, used_as_response=True)
            if found.name == "stream" and found.client_class == "httpx.AsyncClient":
                return Target(node, "async with", "httpx", named_only=True, used_as_response=True, needs_async_def=True)
            return None
        if (
            found.library == "urllib3"
            and found.kind == "method"
            and found.name in ("request", "urlopen")
            and _is_false(_kw(node, "preload_content"))
        ):
            return Target(node, "with", "urllib3")
        return None

    def fixed_message(self, target: Target, plan: Plan) -> str:
        how = {
            "with": "with",
            "async with": "async with",
            "closing": "with contextlib.closing(...)",
            "aclose": "try/finally: await .aclose()",
        }[target.mode]
        return f"closed the response with `{how}`"


def _kw(call: cst.Call, name: str) -> Optional[cst.BaseExpression]:
    arg = keyword(call, name)
    return arg.value if arg is not None else None


def _is_false(expr: Optional[cst.BaseExpression]) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "False"
