"""The HTTP libraries' names as this tool knows them: plain data and functions of names, no
libcst (the prefilter, the facts pass and a run whose every file is a cache hit import this,
not ``calls.py``, which re-exports every name here)."""

from __future__ import annotations

from typing import Optional

#: Drop-in replacements -> the library whose API they keep: ``niquests`` is requests' API
#: (``niquests.get``, ``niquests.Session``), ``httpx2`` the maintained httpx fork. Their names
#: are normalised to the library's (``niquests.get`` -> ``requests.get``), so every codemod
#: treats them alike; ``HttpCall.module`` keeps the module generated code must name.
DROP_INS = {"niquests": "requests", "httpx2": "httpx"}

#: The libraries we know. ``urllib`` means ``urllib.request``.
LIBRARIES = ("requests", "httpx", "aiohttp", "urllib3", "urllib") + tuple(DROP_INS)

REQUESTS_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request"})
HTTPX_VERBS = REQUESTS_VERBS | {"stream"}
AIOHTTP_VERBS = REQUESTS_VERBS | {"ws_connect"}

#: Qualified names of the module-level convenience functions, normalised.
MODULE_FUNCTIONS = {
    **{f"requests.{v}": ("requests", v) for v in REQUESTS_VERBS},
    **{f"httpx.{v}": ("httpx", v) for v in HTTPX_VERBS},
}

#: Constructors of client objects (normalised qualified name -> client class).
CLIENT_CONSTRUCTORS = {
    "requests.Session": "requests.Session",
    "requests.session": "requests.Session",
    "httpx.Client": "httpx.Client",
    "httpx.AsyncClient": "httpx.AsyncClient",
    "aiohttp.ClientSession": "aiohttp.ClientSession",
    "urllib3.PoolManager": "urllib3.PoolManager",
    "urllib3.ProxyManager": "urllib3.PoolManager",
    "urllib3.HTTPConnectionPool": "urllib3.PoolManager",
    "urllib3.HTTPSConnectionPool": "urllib3.PoolManager",
    "urllib3.connection_from_url": "urllib3.PoolManager",
}

#: Client classes usable in annotations (``def f(s: requests.Session)``).
CLIENT_CLASSES = {
    "requests.Session",
    "httpx.Client",
    "httpx.AsyncClient",
    "aiohttp.ClientSession",
    "urllib3.PoolManager",
}

CLIENT_LIBRARY = {cls: cls.split(".")[0] for cls in CLIENT_CLASSES}

#: Private or submodule spellings that name the same public object.
_ALIASES = {
    "requests.api.": "requests.",
    "requests.sessions.Session": "requests.Session",
    "requests.sessions.session": "requests.Session",
    "httpx._api.": "httpx.",
    "httpx._client.Client": "httpx.Client",
    "httpx._client.AsyncClient": "httpx.AsyncClient",
    "aiohttp.client.ClientSession": "aiohttp.ClientSession",
    "urllib3.poolmanager.PoolManager": "urllib3.PoolManager",
    "urllib3.poolmanager.ProxyManager": "urllib3.ProxyManager",
    "urllib3.connectionpool.HTTPConnectionPool": "urllib3.HTTPConnectionPool",
    "urllib3.connectionpool.HTTPSConnectionPool": "urllib3.HTTPSConnectionPool",
    "urllib3.connectionpool.connection_from_url": "urllib3.connection_from_url",
}


def drop_in_module(name: str) -> Optional[str]:
    """``niquests`` for ``niquests.get`` (a drop-in's qualified name), else None."""
    top = name.split(".", 1)[0]
    return top if top in DROP_INS else None


def normalise(name: str) -> str:
    top = drop_in_module(name)
    if top is not None:
        name = DROP_INS[top] + name[len(top) :]
    for prefix, replacement in _ALIASES.items():
        if prefix.endswith("."):
            if name.startswith(prefix):
                return replacement + name[len(prefix) :]
        elif name == prefix:
            return replacement
    return name
