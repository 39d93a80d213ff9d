"""What a run's results are made of, without libcst: the actions and fix safety of a site,
``Site``, a codemod's ``Option``, and the ``FileContext`` the engine hands each codemod. The
engine, the reports and the cache read these in a run whose every file is a cache hit, which
never imports libcst; ``base.py`` re-exports every name here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, Optional, Tuple

FIXED = "fixed"
REPORTED = "reported"

#: Fix safety, as ruff's users know it: a *safe* fix keeps behaviour and is applied by
#: default; an *unsafe* one is right in the usual case but has one named hazard, and is applied
#: only with ``--unsafe-fixes`` (without it the site is reported, "fixable with --unsafe-fixes").
SAFE = "safe"
UNSAFE = "unsafe"
#: Appended to the reason of an unsafe fix that was not applied.
UNSAFE_HINT = "fixable with --unsafe-fixes"
#: Appended, without ``--unsafe-fixes``, to the reason of a call a test's patch covers when
#: ``--unsafe-fixes`` plans a move of every such patch onto the shared session
#: (``share/mockpatch.py``): the plan may move them (then the call is fixed) or refuse.
MOVE_HINT = "--unsafe-fixes plans a move of the test's patch onto the shared session, which may fix the call"

#: A line number inside a reason (``line_ref``): the engine maps it to the line of the file as
#: read (functions hidden by pruning and earlier codemods' rewrites move lines).
LINE_REF = re.compile("\x1f(\\d+)\x1f")


def resolve_line_refs(text: str, to_original: Any = None) -> str:
    """``text`` with each ``line_ref`` marker replaced by its line (mapped by ``to_original``)."""
    if "\x1f" not in text:
        return text
    return LINE_REF.sub(lambda m: str(to_original(int(m.group(1))) if to_original else m.group(1)), text)


@dataclass(frozen=True)
class Site:
    """One place a codemod acted on (``fixed``) or left for a human (``reported``).

    ``line`` is 1-based, ``column`` 1-based (as flake8 and ruff print them).
    ``safety``: ``safe`` or ``unsafe`` for a site with a fix (applied or not), ``None`` for a
    site the tool has no fix for; ``hazard``: what an unsafe fix may get wrong, in words.
    ``suggestion``: a manual edit, when the fix a person would make is mechanical.
    """

    codemod: str
    line: int
    column: int
    action: str
    reason: str
    safety: Optional[str] = None
    hazard: str = ""
    suggestion: str = ""

    @property
    def unsafe_fixable(self) -> bool:
        """An unsafe fix that was not applied (``--unsafe-fixes`` would apply it)."""
        return self.action == REPORTED and self.safety == UNSAFE

    @property
    def may_move(self) -> bool:
        """A call ``--unsafe-fixes`` may fix by moving a test's patch (``MOVE_HINT``): not
        counted as fixable, as that run's plan decides."""
        return self.action == REPORTED and self.safety is None and MOVE_HINT in self.reason

    def to_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {
            "codemod": self.codemod,
            "line": self.line,
            "column": self.column,
            "action": self.action,
            "reason": self.reason,
            "safety": self.safety,
            "hazard": self.hazard or None,
        }
        if self.suggestion:
            out["suggestion"] = self.suggestion
        return out

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Site":
        return cls(
            data["codemod"],
            data["line"],
            data["column"],
            data["action"],
            data["reason"],
            data.get("safety"),
            data.get("hazard") or "",
            data.get("suggestion") or "",
        )


@dataclass(frozen=True)
class Option:
    """A codemod option: the CLI flag (``--name``) and the config key share ``name``.

    A boolean default makes a flag; ``choices`` restricts the values.
    """

    name: str
    default: Any
    help: str
    choices: Optional[Tuple[str, ...]] = None


#: The key of ``FileContext`` in ``CodemodContext.scratch``.
FILE_KEY = "http_codemods.file"


@dataclass(frozen=True)
class FileContext:
    """What the engine tells each codemod about the file it runs on (in
    ``CodemodContext.scratch[FILE_KEY]``; under libcst's own runner there is none and the
    defaults apply)."""

    #: The text the tree was parsed from (for suppression comments); None: the tree's code.
    source: Optional[str] = None
    #: Metadata already resolved for this tree, shared by codemods that run in sequence.
    lazy: Optional[Any] = None  # a tree.LazyMetadata
    #: Names used in the functions the engine hid from the codemods (``prune.py``): a fresh
    #: name must avoid them too.
    hidden_names: FrozenSet[str] = frozenset()
    #: Apply unsafe fixes (``--unsafe-fixes``); otherwise they are reported.
    unsafe_fixes: bool = False
    #: What the rest of the project knows (``facts.ProjectFacts``: mocks in tests, run-time
    #: patches elsewhere, declared bounds); None: not computed for this run.
    facts: Optional[Any] = None
    #: Where each package's shared client lives (``share.package_client.PackageLayout``);
    #: None: no package plan for this run (modules keep clients of their own).
    packages: Optional[Any] = None
    #: The clients the module imports from its package's generated client module
    #: (``share.shared_import.SharedImport``): known instances, like a module-level
    #: ``_session = requests.Session()``.
    shared: Tuple[Any, ...] = ()
