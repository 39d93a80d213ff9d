"""Every codemod, in the order the engine runs them.

Order matters when several run on one file: ``close-response`` runs before ``share-session`` so
``requests.get(u, stream=True)`` is first wrapped in ``with`` and then routed through the
shared session (the ``with`` keeps closing it); ``add-timeout`` runs first because it only
edits argument lists.

The entries are ``Codemod``: a codemod's name, description, default and options
(``catalog.py``) without its class, whose module imports libcst. Anything else asked of an
entry (its targets, its docs, ``entry(context, **options)``) loads the class once; a run
whose every file is a cache hit loads none (``load`` is what the engine transforms with).
"""

from __future__ import annotations

import importlib
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Tuple

from . import catalog
from .sites import Option


class Codemod:
    """A codemod of the registry: its ``catalog.Info`` as the class attributes (``NAME``,
    ``DESCRIPTION``, ``WHY``, ``FIX``, ``DEFAULT``, ``OPTIONS``), every other attribute and
    a call from the class itself, loaded on first use."""

    def __init__(self, info: catalog.Info) -> None:
        self.info = info
        self.NAME: str = info.name
        self.DESCRIPTION: str = info.description
        self.WHY: str = info.why
        self.FIX: str = info.fix
        self.DEFAULT: bool = info.default
        self.OPTIONS: Tuple[Option, ...] = info.options
        self._class: Optional[type] = None

    def load(self) -> Any:
        """The codemod's class (its module imported on the first call)."""
        if self._class is None:
            module = importlib.import_module(f"{__package__}.{self.info.module}")
            self._class = getattr(module, self.info.cls)
        return self._class

    @property
    def loaded(self) -> bool:
        return self._class is not None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("info", "_class"):
            raise AttributeError(name)
        return getattr(self.load(), name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.load()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<codemod {self.NAME}>"


CODEMODS: List[Codemod] = [Codemod(info) for info in catalog.ALL]

BY_NAME: Dict[str, Codemod] = {c.NAME: c for c in CODEMODS}


def default_names() -> List[str]:
    return [c.NAME for c in CODEMODS if c.DEFAULT]


def ordered(names) -> List[Codemod]:
    wanted = set(names)
    return [c for c in CODEMODS if c.NAME in wanted]


def class_of(codemod: Any) -> Any:
    """The class of a registry entry (a class itself, say a test's, is its own)."""
    return codemod.load() if isinstance(codemod, Codemod) else codemod


def classes(names: Iterable[str] = ()) -> List[type]:
    """The classes of ``names`` (every codemod's without), in the engine's order: loaded."""
    chosen = ordered(names) if names else CODEMODS
    return [class_of(c) for c in chosen]


def load_all() -> None:
    """Import every codemod (before worker processes fork: they then share the modules)."""
    for codemod in CODEMODS:
        class_of(codemod)


def watched_names(names: Iterable[str], extra: Iterable[str] = ()) -> FrozenSet[str]:
    """What the selected codemods look for anywhere in a module (see ``prune.py``)."""
    watched = set(extra)
    for codemod in ordered(names):
        watched |= codemod.MODULE_WIDE
    return frozenset(watched)
