"""The one definition of the shared client: its constructor and cookie policy, in the
layout each strategy writes it.

Bare calls never carried cookies from one call to the next, so the client stores none unless
``--keep-cookies``: a requests ``Session`` gets a ``DefaultCookiePolicy`` that accepts no
domain, an httpx ``Client`` a ``CookieJar`` with that policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

DEFAULT_MODULE_NAMES = {"requests": "_session", "httpx": "_client"}
DEFAULT_FUNCTION_NAMES = {"requests": "session", "httpx": "client"}
#: The modules a shared client can be made from, in the order clients are written; each
#: drop-in (niquests, httpx2) gets its own client, of its own module (``calls.DROP_INS``).
CLIENT_MODULES = ("requests", "niquests", "httpx", "httpx2")


def modules_of(targets) -> List[str]:
    """The modules (``HttpCall.top_module``) of ``targets``, in ``CLIENT_MODULES`` order."""
    return [m for m in CLIENT_MODULES if any(t.found.top_module == m for t in targets)]


def api_of(module: str) -> str:
    """requests or httpx: the API ``module`` keeps."""
    from ..call_names import DROP_INS

    return DROP_INS.get(module, module)


@dataclass(frozen=True)
class ClientDefinition:
    """``library``: requests or httpx; ``ref``: how generated code names the library;
    ``cookiejar``: how it names ``http.cookiejar``, None when cookies are kept."""

    library: str
    ref: str
    cookiejar: Optional[str]

    def _no_cookies(self) -> str:
        return f"{self.cookiejar}.DefaultCookiePolicy(allowed_domains=[])"

    def constructor(self, multiline: bool = False) -> str:
        """The expression that creates the client (``multiline``: the httpx cookie jar on a
        line of its own, as a module-level statement is written)."""
        if self.library == "requests":
            return f"{self.ref}.Session()"
        if self.cookiejar is None:
            return f"{self.ref}.Client()"
        jar = f"{self.cookiejar}.CookieJar({self._no_cookies()})"
        if multiline:
            return f"{self.ref}.Client(\n    cookies={jar}\n)"
        return f"{self.ref}.Client(cookies={jar})"

    def policy(self, name: str) -> Optional[str]:
        """The statement that makes the client ``name`` store no cookies, when one is needed
        after its creation (requests: a session takes no policy in its constructor)."""
        if self.library == "requests" and self.cookiejar is not None:
            return f"{name}.cookies.set_policy({self._no_cookies()})"
        return None

    def module_statements(self, name: str) -> List[str]:
        """``name = <constructor>`` and its cookie policy, as module-level source lines."""
        lines = [f"{name} = {self.constructor(multiline=True)}"]
        policy = self.policy(name)
        if policy is not None:
            lines.append(policy)
        return lines
