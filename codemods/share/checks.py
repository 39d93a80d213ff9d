"""Per-call checks: arguments a client method would not take the same way, and the call's
name bound by something other than an unconditional import."""

from __future__ import annotations

from typing import Any, Optional

from libcst.metadata import ScopeProvider
from libcst.metadata.scope_provider import ImportAssignment

from ..calls import is_literal_false, is_literal_true, keyword
from .targets import ShareTarget

#: How many positional arguments each bare function takes (beyond that it raised TypeError).
REQUESTS_POSITIONAL = {
    "get": 2,
    "post": 3,
    "put": 2,
    "patch": 2,
    "delete": 1,
    "head": 1,
    "options": 1,
    "request": 2,
}
#: Positional parameter names of the bare requests functions after ``url`` (``params`` of
#: ``get`` is turned into a keyword: ``Session.get`` has it positional only since 2.32).
REQUESTS_TO_KEYWORD = {"get": ("params",)}
HTTPX_POSITIONAL = {verb: 1 for verb in ("get", "post", "put", "patch", "delete", "head", "options")}
HTTPX_POSITIONAL.update({"request": 2, "stream": 2})
#: Keywords both ``httpx.<verb>`` and ``Client.<verb>`` take with the same meaning.
#: Keywords of ``niquests.<verb>`` that go to the ``Session`` it creates (niquests 3.21's
#: ``api.request``), which a shared session's methods do not take.
NIQUESTS_SESSION_KEYWORDS = ("retries", "json_encoder", "tls_configuration")
HTTPX_SHARED_KEYWORDS = frozenset(
    {"method", "url", "params", "content", "data", "files", "json", "headers", "auth", "timeout"}
)


def argument_problem(share: Any, target: ShareTarget) -> Optional[str]:
    """What a call of the target (a reference's: each call it flows into) passes that the
    client's method would not take the same way."""
    if not target.reference:
        return _call_problem(share, target, target.call)
    for call in target.calls:
        problem = _call_problem(share, target, call)
        positional = [a for a in call.args if a.keyword is None and a.star == ""]
        if problem is None and target.found.library == "requests" and target.found.name in REQUESTS_TO_KEYWORD:
            if len(positional) > 1:
                # A call's are passed by keyword (``rewrite.route_call``); a reference's call may
                # be another function's too (``fn = requests.post if p else requests.get``).
                problem = "passes params by position, which only a direct call can pass as params="
        if problem is not None:
            return f"{problem} (its call{_at(share, call)})"
    return None


def _call_problem(share: Any, target: ShareTarget, call: Any) -> Optional[str]:
    lib, verb = target.found.library, target.found.name
    if any(a.star == "*" for a in call.args):
        return "passes *args: cannot tell which parameters they fill"
    positional = [a for a in call.args if a.keyword is None and a.star == ""]
    keywords = {a.keyword.value for a in call.args if a.keyword is not None}
    if lib == "requests":
        if target.found.top_module == "niquests":
            for name in NIQUESTS_SESSION_KEYWORDS:
                if name in keywords:
                    return f"passes {name}=, which a niquests Session takes only when it is created"
        if len(positional) > REQUESTS_POSITIONAL.get(verb, 1):
            return "more positional arguments than the function takes"
        # A project whose declared bounds exclude requests < 2.32 (``codemods/facts/bounds.py``) is not exposed.
        tls_fixed = share.requests_tls_fixed()
        if any(a.star == "**" for a in call.args) and not tls_fixed:
            return (
                "passes **kwargs, which may hold verify=/cert=: requests < 2.32 reuses pooled "
                "connections across TLS settings (CVE-2024-35195); if the project runs requests >= 2.32, "
                'set requests-version = ">=2.32"'
            )
        for name in ("verify", "cert"):
            arg = keyword(call, name)
            if arg is not None and not tls_fixed and not (name == "verify" and is_literal_true(arg.value)):
                return (
                    f"passes {name}=: requests < 2.32 reuses a shared pool's connections "
                    "across TLS settings (CVE-2024-35195); left to its own session (if the project runs "
                    'requests >= 2.32, set requests-version = ">=2.32")'
                )
        if verb in REQUESTS_TO_KEYWORD:
            names = REQUESTS_TO_KEYWORD[verb]
            if any(n in keywords for n in names) and len(positional) > 1:
                return "passes params both by position and by keyword"
        return None
    # httpx
    if len(positional) > HTTPX_POSITIONAL.get(verb, 1):
        return "more positional arguments than the function takes"
    if any(a.star == "**" for a in call.args):
        return (
            "passes **kwargs, which may hold verify=/proxy=/cookies=/trust_env=: an httpx "
            "client takes those only when it is created"
        )
    for name in sorted(keywords):
        if name in HTTPX_SHARED_KEYWORDS:
            continue
        if name == "follow_redirects":
            arg = keyword(call, name)
            assert arg is not None
            if is_literal_false(arg.value) or share.keep_cookies or share.options["client"]:
                continue
            return (
                "may follow redirects: httpx sends cookies set along a redirect chain from the "
                "client's jar, which the shared client keeps empty (--keep-cookies allows it)"
            )
        if name == "cookies":
            return "passes cookies=: per-request cookies on an httpx client are deprecated"
        return f"passes {name}=, which an httpx client takes only when it is created"
    return None


def _at(share: Any, node: Any) -> str:
    """`` at line N`` for a node of the module (its statement's line), or ''."""
    try:
        return f" at {share.line_ref(node)}" if node is not None else ""
    except KeyError:  # not a node of this tree (a builtin's assignment)
        return ""


def binding_problem(share: Any, target: ShareTarget) -> Optional[str]:
    """The call's root name must be bound by imports only (no other assignment)."""
    root = target.root
    try:
        scope = share.get_metadata(ScopeProvider, root, None)
    except KeyError:
        scope = None
    if scope is None:
        return "cannot resolve the call's name"
    assignments = list(scope[root.value])
    if not assignments:
        return "cannot resolve the call's name"
    if share.guard_of(target.found.top_module, root.value) is not None:
        return None  # an optional dependency: the client goes inside its try (guarded.py)
    for assignment in assignments:
        if not isinstance(assignment, ImportAssignment):
            where = _at(share, getattr(assignment, "node", None))
            return f"{root.value} is also bound to something other than the import{where}"
        if assignment.scope is scope.globals and not share.imports.unconditional(assignment.node):
            return (
                f"{root.value} is imported conditionally{_at(share, assignment.node)}; a shared client "
                f"would need {target.found.top_module} whenever the module runs"
            )
    return None
