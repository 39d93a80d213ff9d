"""Summaries of the module's own functions: which parameters a function keeps nothing of.

Passing a response (or client) to an unknown call is an escape: the callee may keep it. A
function defined in the same module can be read instead. Its parameter *keeps nothing* when,
analysed like a ``with`` block whose object is that parameter, nothing in its body lets the
object outlive the call: it is not returned, yielded, raised, stored, captured, declared
``global``/``nonlocal``, passed on to a call that may keep it (another summarised function
counts when its own parameter keeps nothing), and ``raise_for_status()`` is not called on it.

Which functions count: a plain ``def`` at module level, not decorated, not a generator, bound
once in the module (nothing rebinds its name), whose body never names ``locals``/``vars``/
``globals``/``eval``/``exec`` or reads frames; ``async def`` only when the call is awaited at
once (the coroutine holds its arguments until it runs). Only the object itself counts as an
argument (``check(r)``, not ``check(lines)`` for a derived ``lines``), passed to a named
parameter (not to ``*args``/``**kwargs``, never through ``*``/``**`` at the call).

Summaries are the greatest fixpoint over the functions reached from a call: each is analysed
once assuming the summarised calls it makes keep nothing, and any that depends on one that
does not is then marked as keeping. A function whose parameter can keep the object only
through such a chain is found that way; anything the analysis does not know stays an escape.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set, Tuple

import libcst as cst
from libcst.metadata import ExpressionContext, ExpressionContextProvider, ScopeProvider
from libcst.metadata.scope_provider import Assignment

from ..prune import MARKER
from ..tree import walk
from .model import NESTED_SCOPES, MetadataView, NameScope, Target, Unsafe

#: Names whose use lets a function reach its locals some other way.
_INTROSPECTION_NAMES = frozenset({"locals", "vars", "globals", "eval", "exec"})
_INTROSPECTION_ATTRS = frozenset({"_getframe", "currentframe", "f_locals", "f_back", "stack"})

#: (function, parameter, library, client class or None, noun)
Key = Tuple[cst.FunctionDef, str, str, Optional[str], str]


class HelperSummaries(MetadataView):
    """One per module visit (``placement`` builds the name scopes of the functions)."""

    def __init__(self, codemod: Any, placement: Any) -> None:
        super().__init__(codemod)
        self.placement = placement
        self._final: Dict[Key, bool] = {}
        #: While a function is analysed: the keys its calls were assumed to keep nothing for.
        self._deps: Optional[Set[Key]] = None

    # -- the question the taint and escape analyses ask ------------------------------------

    def keeps_nothing(self, taint: Any, call: cst.Call, live: Set[str], awaited: bool) -> bool:
        """Every tainted argument of ``call`` is the object itself, passed to a parameter of a
        function of this module that keeps nothing of it (so the call's result is plain data
        too)."""
        if not isinstance(call.func, cst.Name):
            return False
        tainted = [a for a in call.args if taint.mentions(a.value, live) and not taint.eager(a.value, live)]
        if not tainted:
            return False
        function = self._function(call.func)
        if function is None:
            return False
        if function.asynchronous is not None and not awaited:
            return False
        for arg in tainted:
            itself = arg.value is taint.hoisted_node or (
                isinstance(arg.value, cst.Name) and arg.value.value in taint.roots
            )
            if arg.star or not itself:
                return False
            param = _parameter(function, call, arg)
            if param is None:
                return False
            key = (function, param, taint.library, taint.client_class, self._noun(taint))
            if not self._keeps_nothing(key):
                return False
        return True

    def is_module_function(self, func: cst.BaseExpression) -> bool:
        """``func`` names a function of this module that the summaries analyse."""
        return isinstance(func, cst.Name) and self._function(func) is not None

    @staticmethod
    def _noun(taint: Any) -> str:  # noqa: D102
        return taint.noun

    # -- the fixpoint --------------------------------------------------------------------------

    def _keeps_nothing(self, key: Key) -> bool:
        if key in self._final:
            return self._final[key]
        if self._deps is not None:
            self._deps.add(key)  # analysing another function: assume it, check at the end
            return True
        explored: Dict[Key, Tuple[bool, Set[Key]]] = {}
        pending = [key]
        while pending:
            current = pending.pop()
            if current in explored or current in self._final:
                continue
            ok, deps = self._analyse(current)
            explored[current] = (ok, deps)
            pending.extend(deps)
        keeps = {k: ok for k, (ok, _) in explored.items()}
        changed = True
        while changed:
            changed = False
            for k, (_, deps) in explored.items():
                if keeps[k] and any(not keeps.get(d, self._final.get(d, False)) for d in deps):
                    keeps[k] = False
                    changed = True
        self._final.update(keeps)
        return self._final[key]

    def _analyse(self, key: Key) -> Tuple[bool, Set[Key]]:
        function, param, library, client_class, noun = key
        if not _plain_function(function):
            return False, set()
        scope = self._name_scope(function)
        if scope is None:
            return False, set()
        from .escape import EscapeAnalysis  # escape imports the taint, which asks us

        pseudo = Target(function.name, "with", library, noun=noun, client_class=client_class)
        analysis = EscapeAnalysis(self.codemod, pseudo, scope, None, helpers=self)
        rebound = any(
            self.get_metadata(ExpressionContextProvider, n, None) is not ExpressionContext.LOAD
            for n in scope.names.get(param, ())
        )
        analysis.taint.roots = frozenset() if rebound else frozenset({param})
        saved, self._deps = self._deps, set()
        try:
            ok = analysis.keeps_nothing(list(_statements(function)), {param})
            return ok, self._deps
        finally:
            self._deps = saved

    # -- which function a call reaches ----------------------------------------------------------

    def _function(self, name: cst.Name) -> Optional[cst.FunctionDef]:
        scope = self.get_metadata(ScopeProvider, name, None)
        if scope is None:
            return None
        assignments = list(scope[name.value])
        if len(assignments) != 1 or not isinstance(assignments[0], Assignment):
            return None
        node = assignments[0].node
        if not isinstance(node, cst.FunctionDef) or not isinstance(self._parent(node), cst.Module):
            return None
        # Bound in the module scope itself (not a name some nested scope shadows).
        if assignments[0].scope is not scope.globals:
            return None
        return node

    def _name_scope(self, function: cst.FunctionDef) -> Optional[NameScope]:
        statements = _statements(function)
        if not statements:
            return None
        inner = self.get_metadata(ScopeProvider, statements[0], None)
        if inner is None:
            return None
        scope = NameScope(function, inner)
        self.placement._collect_names(scope)
        return scope


def _statements(function: cst.FunctionDef) -> List[cst.CSTNode]:
    body = function.body
    return list(body.body)


def _plain_function(function: cst.FunctionDef) -> bool:
    if function.decorators:
        return False
    for node in walk(function.body, prune=lambda n: isinstance(n, NESTED_SCOPES)):
        if isinstance(node, cst.Yield):
            return False  # a generator keeps its arguments while it is suspended
    for node in walk(function.body):
        if isinstance(node, cst.Name) and (node.value in _INTROSPECTION_NAMES or node.value.startswith(MARKER)):
            return False  # (a body ``prune.py`` hid: what it does is not there to read)
        if isinstance(node, cst.Attribute) and node.attr.value in _INTROSPECTION_ATTRS:
            return False
    return True


def _parameter(function: cst.FunctionDef, call: cst.Call, arg: cst.Arg) -> Optional[str]:
    """The parameter of ``function`` that ``arg`` of ``call`` binds (None: ``*args``,
    ``**kwargs`` or no such parameter)."""
    params = function.params
    positional = list(params.posonly_params) + list(params.params)
    if arg.keyword is None:
        index = [a for a in call.args if a.keyword is None].index(arg)
        if any(a.star for a in call.args[: call.args.index(arg)]):
            return None
        return positional[index].name.value if index < len(positional) else None
    name = arg.keyword.value
    for param in list(params.params) + list(params.kwonly_params):
        if param.name.value == name:
            return name
    return None


__all__ = ["HelperSummaries", "Unsafe"]
