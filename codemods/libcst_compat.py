"""Work-arounds for libcst limits met on real files, each applied only while we need it.

``AddImportsVisitor`` (which places the imports a codemod asks for) asks whether a module
starts with a docstring or ``__strict__`` through the matcher
``m.Module(body=[<first>, m.ZeroOrMore()])``; libcst's sequence matcher recurses once per
remaining statement, so a module of about 1,000 top-level statements (a big test module, a
generated table) raises ``RecursionError`` and the file could not be fixed ("nesting too deep
to transform"). ``flat_skip_first`` swaps in the same test on the first statement alone.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import libcst as cst
import libcst.matchers as m
from libcst.codemod.visitors import _add_imports

_original_skip_first = _add_imports._skip_first

_FIRST = m.SimpleStatementLine(body=[m.Assign(targets=[m.AssignTarget(target=m.Name("__strict__"))])]) | (
    m.SimpleStatementLine(body=[m.Expr(value=m.SimpleString())])
)


def _skip_first(orig_module: cst.Module) -> bool:
    """libcst's ``_skip_first``: is the first statement ``__strict__ = ...`` or a docstring?"""
    return bool(orig_module.body) and m.matches(orig_module.body[0], _FIRST)


_active = 0


@contextmanager
def flat_skip_first() -> Iterator[None]:
    """Install the flat ``_skip_first`` for the duration (re-entrant; one thread per process)."""
    global _active
    if _active == 0:
        _add_imports._skip_first = _skip_first
    _active += 1
    try:
        yield
    finally:
        _active -= 1
        if _active == 0:
            _add_imports._skip_first = _original_skip_first
