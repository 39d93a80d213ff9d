"""``close-client``: close HTTP clients made inside a function, with ``with`` / ``async with``.

A ``requests.Session``, ``httpx.Client``/``AsyncClient``, ``aiohttp.ClientSession`` or
``urllib3.PoolManager`` made in a function and never closed keeps its pooled connections open
until the garbage collector finalises it (aiohttp warns "Unclosed client session"). Clients at
module level are the recommended long-lived pattern and are never touched.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from .calls import CLIENT_CONSTRUCTORS
from .wrapping import Plan, Target, WrappingCodemod

ASYNC_CLIENTS = ("httpx.AsyncClient", "aiohttp.ClientSession")


class CloseClient(WrappingCodemod):
    NAME = "close-client"
    DESCRIPTION = "Close HTTP clients created inside a function with `with` / `async with`."
    WHY = (
        "A Session/Client/ClientSession/PoolManager made in a function and never closed keeps "
        "its pooled connections open until the garbage collector finds it."
    )
    FIX = (
        "Turns `client = <constructor>` inside a function into `with <constructor> as client:` "
        "(`async with` for httpx.AsyncClient and aiohttp.ClientSession) around the statements "
        "up to its last use: the client and its connections are closed when that block ends. "
        "Module-level clients are left alone; clients that may be used after the block "
        "(returned, stored, captured) are reported."
    )
    DEFAULT = True
    MODULE_LEVEL = False
    FRESH_NAME = "client"

    CANDIDATE_NAMES = frozenset(name.rsplit(".", 1)[1] for name in CLIENT_CONSTRUCTORS)

    def might_be_target(self, node: cst.CSTNode) -> bool:
        return isinstance(node, cst.Call) and self.candidate_name(node.func)

    def target_of(self, node: cst.CSTNode) -> Optional[Target]:
        if not isinstance(node, cst.Call):
            return None
        found = self.resolver.classify(node)
        if found is None or found.kind != "constructor":
            return None
        # Only a client bound to a local name: ``self.session = Session()`` and clients used
        # inline are left alone (they are not the pattern this codemod fixes).
        parent = self.resolver.parent(node)
        if not isinstance(parent, cst.Assign) or parent.value is not node:
            return None
        if len(parent.targets) != 1 or not isinstance(parent.targets[0].target, cst.Name):
            return None
        if found.client_class in ASYNC_CLIENTS:
            return Target(
                node, "async with", found.library, noun="client", named_only=True,
                needs_async_def=True,
            )
        return Target(node, "with", found.library, noun="client", named_only=True)

    def fixed_message(self, target: Target, plan: Plan) -> str:
        return f"closed the client with `{target.mode}`"
