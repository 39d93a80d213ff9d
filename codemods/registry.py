"""Every codemod, in the order the engine runs them.

Order matters when several run on one file: ``close-response`` runs before ``share-session`` so
``requests.get(u, stream=True)`` is first wrapped in ``with`` and then routed through the
shared session (the ``with`` keeps closing it); ``add-timeout`` runs first because it only
edits argument lists.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Iterable, List, Type

from .add_timeout import AddTimeout
from .base import HttpCodemod
from .close_client import CloseClient
from .close_response import CloseResponse
from .share_session import ShareSession

CODEMODS: List[Type[HttpCodemod]] = [
    AddTimeout,
    CloseClient,
    CloseResponse,
    ShareSession,
]

BY_NAME: Dict[str, Type[HttpCodemod]] = {c.NAME: c for c in CODEMODS}


def default_names() -> List[str]:
    return [c.NAME for c in CODEMODS if c.DEFAULT]


def ordered(names) -> List[Type[HttpCodemod]]:
    wanted = set(names)
    return [c for c in CODEMODS if c.NAME in wanted]


def watched_names(names: Iterable[str], extra: Iterable[str] = ()) -> FrozenSet[str]:
    """What the selected codemods look for anywhere in a module (see ``prune.py``)."""
    watched = set(extra)
    for codemod in ordered(names):
        watched |= codemod.MODULE_WIDE
    return frozenset(watched)
