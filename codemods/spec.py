"""What a codemod looks for, in one place per codemod (``HttpCodemod.TARGETS``); everything
that decides whether a codemod may skip a file or a function is derived from it:

- ``kinds``: the kinds of target name it acts on (``calls.HttpCall.kind``, plus ``star`` for a
  star import of a library): ``prefilter.relevant`` skips a codemod on a file that uses none;
- ``module_wide``: the qualified names it resolves anywhere in a module, not only in the
  functions that hold its targets: ``HttpCodemod.MODULE_WIDE``, which pruning keeps visible
  (``prune.py``: a function that mentions none of them is hidden);
- ``candidate_names``: the last parts of the callables that can be targets, for
  ``WrappingCodemod``'s syntactic pre-check;
- ``consulted``: every other qualified name the codemod's code looks up module-wide (the
  tables of ``share/facts.py``, ``socket.setdefaulttimeout``, ...).
  ``tests/test_spec.py`` checks each is covered by ``module_wide``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import FrozenSet, Iterable

from .enums import StrEnum


class Kind(StrEnum):
    """What a target name is: ``calls.HttpCall.kind`` (the first four) and the prefilter's
    kinds of import (``CLASS`` for a client class named without a call, ``STAR`` for a star
    import of a library)."""

    FUNCTION = "function"  # a module-level convenience call: requests.get, httpx.stream
    CONSTRUCTOR = "constructor"  # builds a client: requests.Session(), httpx.AsyncClient()
    METHOD = "method"  # a method called on a client object: session.get, client.send
    URLOPEN = "urlopen"  # urllib.request.urlopen
    CLASS = "class"
    STAR = "star"


#: The libraries themselves: every codemod resolves these.
HTTP_LIBRARIES: FrozenSet[str] = frozenset(
    {"requests", "httpx", "aiohttp", "urllib3", "urllib.request.urlopen", "niquests", "httpx2"}
)
ALL_KINDS: FrozenSet[Kind] = frozenset({Kind.FUNCTION, Kind.CONSTRUCTOR, Kind.CLASS, Kind.URLOPEN, Kind.STAR})


def covered(qualified: str, watched: Iterable[str]) -> bool:
    """``qualified`` is a watched name or inside one: exactly what pruning decides."""
    from .prune import _inside

    return _inside(qualified, frozenset(watched))


@dataclass(frozen=True)
class TargetSpec:
    kinds: FrozenSet[Kind] = ALL_KINDS
    module_wide: FrozenSet[str] = HTTP_LIBRARIES
    candidate_names: FrozenSet[str] = frozenset()
    consulted: FrozenSet[str] = frozenset()

    def uncovered(self) -> FrozenSet[str]:
        """Consulted names pruning could hide (should be empty)."""
        return frozenset(q for q in self.consulted if not covered(q, self.module_wide))
