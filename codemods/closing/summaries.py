"""Summaries of the module's own functions and methods: which parameters they keep nothing of.

Passing a response (or client) to an unknown call is an escape: the callee may keep it. A
function defined in the same module can be read instead. Its parameter *keeps nothing* when,
analysed like a ``with`` block whose object is that parameter, nothing in its body lets the
object outlive the call: it is not returned, yielded, raised, stored, captured, declared
``global``/``nonlocal``, passed on to a call that may keep it (another summarised function
counts when its own parameter keeps nothing), and ``raise_for_status()`` is not called on it.

Which functions count: a plain ``def`` at module level, not decorated, bound once in the module (nothing rebinds its name), whose body never names ``locals``/``vars``/
``globals``/``eval``/``exec`` or reads frames; ``async def`` only when the call is awaited at
once (the coroutine holds its arguments until it runs). Only the object itself counts as an
argument (``check(r)``, not ``check(lines)`` for a derived ``lines``), passed to a named
parameter (not to ``*args``, never through ``*`` at the call), or by a keyword that lands in
the callee's ``**kwargs`` (``search(q, session=s)``): that parameter (``"**kwargs:session"``)
keeps nothing when the function only hands the dict on whole (``Reader(**kwargs)``, every
read of ``kwargs`` is such a ``**``), each such call read as passing the object under that
keyword (``taint.carried``); any other read of the dict (``kwargs.get``, a subscript, a store)
is unknown: what the object's methods mean for a dict the taint does not know.

A generator (a ``def`` that yields) is read the same way, and its parameter keeps nothing when
it is only read and every ``yield`` gives data read from it (``for line in r.iter_lines():
yield json.loads(line)``): ``yields_data``. Its call's result is not data (the generator
object holds the object until it ends: the taint follows it), but the items it produces are
(``for x in self._iter_stream(r)``: ``x`` is data). Its ``yield``s must be outside any
``with`` and any ``try`` with a ``finally`` or a handler that may catch ``GeneratorExit``:
closing it after the caller's block has closed the object then runs none of its code.

Methods count too: ``self._m(r)`` (``cls._m(r)``) in a method of class ``C`` whose first
parameter is that receiver, never rebound, reaches the ``def _m`` of ``C``'s body when the body
binds ``_m`` once (a plain ``def``, or one decorated ``staticmethod``/``classmethod`` only;
``cls._m`` only for those two), ``C`` is not decorated, defines no ``__getattribute__``, and
the module never stores an attribute ``_m`` (nor ``setattr``s a string ``"_m"``). A subclass
may override ``_m``: when the project facts (``ProjectFacts.bound_once``) show that no other
``def`` of the project binds the name and, for a private name, that nothing assigns it, the
call is read as that ``def``; a public name so read is still an unsafe fix: a subclass outside
the project may override it (``dispatch_hazard``). When another ``def`` (or a class attribute)
of the project binds the name but nothing replaces it from outside (``never_replaced``: no
attribute store, ``setattr`` or mock naming it), ``C``'s own ``def`` is read too, as an unsafe
fix whose one hazard is that the other binding is a subclass's override (two sibling classes
each with their own ``_process_response`` are the usual case; a subclass of ``C`` in this
module binding it is reported). That hazard is none when no class of the project may derive
from ``C`` (``ProjectFacts.subclassed``: no ``class`` statement names it among its bases, no
assignment aliases it, no ``type(``/``new_class(`` line names it): ``self`` is then a ``C`` or
an instance of a class outside the project, whose lookup reaches ``C``'s own ``def`` before any
other ``def`` of the project (a private name: no hazard; a public one: the outside subclass's
override). Without the project facts, no method is read.

A ``staticmethod`` or ``classmethod`` called through its class (``Room._read(r)``,
``records.Record.parse(r)``: ``_qualified_method``) is read too, from a class at module level of
this module or of another module of the project with no base but ``object``, no keyword and no
decorator, whose body binds the name once, as that ``def``: the call names the class, so no
subclass's override is reached and a public name needs no hazard. Nothing may replace it from
outside (``ProjectFacts.never_replaced`` of the method's and the class's names).

A function of another module of the project (``from .utils import f``, ``from pkg import
utils; utils.f(r)``) is read by that module's own summaries (``foreign.py``), which do not
follow imports further. So is a class of another module (``foreign.imported_class``) as a
holder (below), and a method a class defined inside a function inherits from a standard-library
base (``self.copyfile(r, out)`` of ``http.server.SimpleHTTPRequestHandler``: what the library
does with it, ``foreign.LIBRARY_METHODS``): only that function names the class, so nothing
overrides the method when neither the module nor a second ``def`` of the project binds it.

A second question is asked of a call that does not keep nothing (``holds_in_result``): does
only the call's result hold the argument? Then the caller's taint follows the result (``api =
Api(s)``; ``content(r)`` that may return ``r.iter_content()``, its result dropped at once)
instead of reporting the call. A function answers yes when its body keeps the parameter
nowhere but in what it returns; a class of the module or of another module of the project
(``holder_init``: nothing but ``object`` as a base, no decorator or metaclass, no special
method that changes how attributes are stored) when its ``__init__`` stores it only on
``self`` and every method, with ``self`` tainted, keeps it nowhere but on ``self`` or in what
it returns; ``self`` passed on, a call of its own method with it, a store on an attribute the
class body binds or that methods read as plain data (``plain_attributes``) answer no. A method
of such an instance whose ``self`` keeps nothing gives plain data (``holder_method_eager``).

Summaries are the greatest fixpoint over the functions reached from a call: each is analysed
once assuming the summarised calls it makes keep nothing, and any that depends on one that
does not is then marked as keeping. A function whose parameter can keep the object only
through such a chain is found that way; anything the analysis does not know stays an escape.
"""

from __future__ import annotations

import builtins
from typing import Any, Dict, FrozenSet, List, Optional, Set, Tuple

import libcst as cst
from libcst.metadata import ExpressionContext, ExpressionContextProvider, ScopeProvider
from libcst.metadata.scope_provider import Assignment

from ..base import resolve_line_refs
from ..prune import MARKER
from ..tree import is_docstring as _is_docstring
from ..tree import walk
from .stores import _first_parameter
from .eager import CLOSING_METHODS
from .held import bound_value
from .model import NESTED_SCOPES, MetadataView, NameScope, Target, Unsafe

#: Names whose use lets a function reach its locals some other way.
_INTROSPECTION_NAMES = frozenset({"locals", "vars", "globals", "eval", "exec"})
_INTROSPECTION_ATTRS = frozenset({"_getframe", "currentframe", "f_locals", "f_back", "stack"})

#: The dispatch hazard of a public method read as the caller's class's own ``def``.
_OUTSIDE_HAZARD = "a subclass outside the project may override `{name}` and keep what it is given"
#: (function, parameter, library, client class or None, noun, question): the question is
#: ``NOTHING`` (the parameter keeps nothing) or ``RESULT`` (only the result holds it).
Key = Tuple[cst.FunctionDef, str, str, Optional[str], str, str]
NOTHING = "nothing"
RESULT = "result"
#: (function, leading parameters the call binds itself, dispatch hazard, the summaries that
#: read it: these, or another module's)
Callee = Tuple[cst.FunctionDef, int, str, "HelperSummaries"]


class HelperSummaries(MetadataView):
    """One per module visit (``placement`` builds the name scopes of the functions)."""

    def __init__(self, codemod: Any, placement: Any, follow_imports: bool = True) -> None:
        super().__init__(codemod)
        self.placement = placement
        #: Read the functions of other modules of the project (``foreign.py``); their own
        #: summaries do not (no chains across modules).
        self.follow_imports = follow_imports
        self._final: Dict[Key, bool] = {}
        #: Whether the analysis of a key found an escape that is no unknown call, and the keys
        #: it assumed (``definitely_keeps``).
        self._definite: Dict[Key, bool] = {}
        self._deps_of: Dict[Key, Set[Key]] = {}
        self._callees: Dict[cst.CSTNode, Optional[Callee]] = {}
        #: Whether each function read so far yields (``_is_generator``).
        self._generators: Dict[cst.FunctionDef, bool] = {}
        self._constructors: Dict[cst.CSTNode, Optional[Callee]] = {}
        #: Attribute names the module stores (or may ``setattr``): computed when first needed.
        self._rebound: Optional[Set[str]] = None
        #: Why the analysis of a key found that it may keep the object (``why_keeps``).
        self._why: Dict[Key, str] = {}
        #: While a function is analysed: the keys its calls were assumed to keep nothing for.
        self._deps: Optional[Set[Key]] = None

    # -- the question the taint and escape analyses ask ------------------------------------

    def keeps_nothing(self, taint: Any, call: cst.Call, live: Set[str], awaited: bool) -> bool:
        """Every tainted argument of ``call`` is the object itself, passed to a parameter of a
        function of this module that keeps nothing of it (so the call's result is plain data
        too)."""
        return self._summarised(taint, call, live, awaited, generator=False)

    def yields_data(self, taint: Any, call: cst.Call, live: Set[str]) -> bool:
        """``call`` makes a generator (a plain ``def`` of this module that yields) and every
        tainted argument is the object itself, passed to a parameter the generator keeps
        nothing of: it only reads it and yields plain data (``for line in r.iter_lines():
        yield json.loads(line)``). The generator object holds the object until it is
        exhausted or closed (the taint follows it like ``r.iter_lines()``), but the items it
        produces are data. Its ``yield``s are outside any ``try`` with a ``finally`` or a
        handler that catches ``GeneratorExit`` and outside any ``with``: closing it after the
        caller's block ends runs nothing that could read the closed object."""
        return self._summarised(taint, call, live, False, generator=True)

    def _summarised(self, taint: Any, call: cst.Call, live: Set[str], awaited: bool, generator: bool) -> bool:
        tainted = [a for a in call.args if taint.mentions(a.value, live) and not taint.eager(a.value, live)]
        if not tainted:
            return False
        callee = self._callee(call.func)
        if callee is None:
            return False
        function, skip, _, summaries = callee
        if summaries._generator(function) != generator:
            return False
        if function.asynchronous is not None and (generator or not awaited):
            return False
        return self._each_parameter_keeps(taint, call, tainted, callee, NOTHING)

    def _each_parameter_keeps(self, taint: Any, call: cst.Call, tainted: List[Any], callee: Any, what: Any) -> bool:
        """Every tainted argument is the object itself, passed to a parameter of the callee
        whose summary keeps ``what`` (``NOTHING``, or only the ``RESULT``) of it."""
        function, skip, _, summaries = callee
        for arg in tainted:
            param = _argument_parameter(taint, function, call, arg, skip)
            if param is None:
                return False
            key = (function, param, taint.library, taint.client_class, self._noun(taint), what)
            if not summaries._keeps_nothing(key):
                return False
        return True

    def holds_in_result(self, taint: Any, call: cst.Call, live: Set[str], awaited: bool) -> bool:
        """Every tainted argument of ``call`` is the object itself, passed to a parameter that
        only the call's result holds (the taint then follows the result): a function of the
        project that keeps it nowhere but in what it returns (``return Api(s)``, ``return
        {"session": s}``), or a class of this module whose ``__init__`` keeps it only on
        ``self`` (``holder_init``)."""
        tainted = [a for a in call.args if taint.mentions(a.value, live) and not taint.eager(a.value, live)]
        if not tainted:
            return False
        callee = self._callee(call.func) or self._constructor(call.func)
        if callee is None:
            return False
        function, skip, _, summaries = callee
        if function.asynchronous is not None and not awaited:
            return False
        if not self._each_parameter_keeps(taint, call, tainted, callee, RESULT):
            return False
        if function.name.value == "__init__" and skip == 1 and self._constructor(call.func) is callee:
            # The instance holds it: every method of the class may read it from ``self``. One
            # argument only: which attributes are plain data depends on the parameter.
            if len(tainted) != 1:
                return False
            param = _argument_parameter(taint, function, call, tainted[0], skip)
            return all(summaries._keeps_nothing(key) for key in self._holder_keys(taint, function, summaries, param))
        return True

    def _holder_keys(self, taint: Any, function: cst.FunctionDef, summaries: Any, param: Any) -> List[Key]:
        """The question "does method M keep ``self``'s copy of ``param``?" for every other
        instance method of the class whose ``__init__`` is ``function`` (the instance holds it)."""
        klass = summaries._parent(summaries._parent(function))
        question = f"{RESULT}:{param}"
        keys: List[Key] = []
        for method in instance_methods(klass) or ():
            first = _first_parameter(method)
            if method is not function and first is not None:
                keys.append((method, first.name.value, taint.library, taint.client_class, self._noun(taint), question))
        return keys

    def definitely_keeps(self, taint: Any, call: cst.Call, live: Set[str], awaited: bool) -> bool:
        """``call`` (which neither keeps nothing nor holds only in its result) reaches a function
        or holder-shaped class of the project whose reading found an escape that is no unknown
        call (a global, a registry, a store elsewhere): reported. False when what stopped the
        reading is unknown (a call it cannot read, an argument landing in ``**kwargs``): the
        callee is then as unknown as another library's."""
        callee = self._callee(call.func) or self._constructor(call.func)
        if callee is None:
            return False
        function, skip, _, summaries = callee
        if function.asynchronous is not None and not awaited:
            return True  # the coroutine holds its arguments until it runs
        keys: List[Key] = []
        for arg in call.args:
            if not taint.mentions(arg.value, live) or taint.eager(arg.value, live):
                continue
            param = _argument_parameter(taint, function, call, arg, skip)
            if param is None:
                return False
            keys.append((function, param, taint.library, taint.client_class, self._noun(taint), RESULT))
        if not keys:
            return False
        if function.name.value == "__init__" and skip == 1 and self._constructor(call.func) is callee:
            if len(keys) != 1:
                return False
            keys.extend(self._holder_keys(taint, function, summaries, keys[0][1]))
        return any(not summaries._keeps_nothing(key) and summaries._definitely(key) for key in keys)

    def why_keeps(self, taint: Any, call: cst.Call, live: Set[str]) -> str:
        """For the report of ``call``, which the summaries did not accept: what the reading of
        the function or class it reaches found (``in `read` (path:line): the response is passed
        to `parse` at line 716, ...``), or "" when it reaches none or nothing was read."""
        callee = self._callee(call.func) or self._constructor(call.func)
        if callee is None:
            return ""
        function, skip, _, summaries = callee
        for arg in call.args:
            if not taint.mentions(arg.value, live) or taint.eager(arg.value, live):
                continue
            param = _argument_parameter(taint, function, call, arg, skip)
            if param is None:
                return ""
            keys = [
                (function, param, taint.library, taint.client_class, self._noun(taint), question)
                for question in (RESULT, NOTHING)
            ]
            if function.name.value == "__init__" and skip == 1:
                for method in instance_methods(summaries._parent(summaries._parent(function))) or ():
                    first = _first_parameter(method)
                    if method is not function and first is not None:
                        question = f"{RESULT}:{param}"
                        keys.append(
                            (method, first.name.value, taint.library, taint.client_class, self._noun(taint), question)
                        )
            for key in keys:
                if summaries._final.get(key) is False:
                    return summaries._explain(key)
        return ""

    def _explain(self, key: Key) -> str:
        """The reason the analysis of ``key``, or of the first key it assumed that keeps, found."""
        seen: Set[Key] = set()
        while key not in seen:
            seen.add(key)
            why = self._why.get(key)
            if why:
                function = key[0]
                if self.follow_imports:  # this module: its line refs are mapped with the caller's
                    return f"in `{function.name.value}` (at {self.codemod.line_ref(function)}), {why}"
                where = f"{self.codemod.context.filename}:{self.codemod.position(function)[0]}"
                return f"in `{function.name.value}` ({where}), {resolve_line_refs(why)}"
            failing = [d for d in self._deps_of.get(key, ()) if self._final.get(d) is False]
            if not failing:
                return ""
            key = failing[0]
        return ""

    def _definitely(self, key: Key) -> bool:
        """The analysis of ``key``, or of one it assumed, found an escape that is no unknown call."""
        seen: Set[Key] = set()
        pending = [key]
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            if self._definite.get(current, False) and not self._final.get(current, False):
                return True
            pending.extend(self._deps_of.get(current, ()))
        return False

    def holder_method_eager(self, taint: Any, call: cst.Call) -> bool:
        """``api.m(...)`` where every binding of ``api`` is ``api = C(...)`` for a holder class
        ``C`` of this module (``holder_init``), and ``C.m`` is a plain method whose ``self``
        keeps nothing: its result holds nothing of what the instance holds (``api.search(q)``
        returning parsed data). The caller checks that the arguments are plain data."""
        func = call.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
            return False
        held = self._holder_class_of(func.value)
        if held is None or self._rebound_in_module(func.attr.value):
            return False
        klass, summaries = held
        if summaries is not self and summaries._rebound_in_module(func.attr.value):
            return False
        for method in instance_methods(klass) or ():
            if method.name.value == func.attr.value:
                first = _first_parameter(method)
                if method.decorators or method.asynchronous is not None or first is None:
                    return False
                key = (method, first.name.value, taint.library, taint.client_class, self._noun(taint), NOTHING)
                return summaries._keeps_nothing(key)
        return False

    def _holder_class_of(self, name: cst.Name) -> Optional[Tuple[cst.ClassDef, "HelperSummaries"]]:
        """(the holder class every binding of ``name`` constructs, the summaries that read it:
        these, or another module's)."""
        scope = self.get_metadata(ScopeProvider, name, None)
        if scope is None:
            return None
        found: Optional[Tuple[cst.ClassDef, HelperSummaries]] = None
        assignments = list(scope[name.value])
        if not assignments:
            return None
        for assignment in assignments:
            if not isinstance(assignment, Assignment):
                return None
            value = bound_value(self.resolver, assignment.node)
            if not (isinstance(value, cst.Call) and isinstance(value.func, (cst.Name, cst.Attribute))):
                return None
            constructor = self._constructor(value.func)
            if constructor is None:
                return None
            init, _, _, summaries = constructor
            klass = summaries._parent(summaries._parent(init))
            if not isinstance(klass, cst.ClassDef) or found is not None and klass is not found[0]:
                return None
            found = (klass, summaries)
        return found

    def closes(self, call: cst.Call, arg: cst.Arg, library: str = "", noun: str = "") -> bool:
        """``call`` hands ``arg`` to a function (read as ``keeps_nothing`` reads them) that
        closes that parameter in the ``finally`` of a ``try`` (apprise's
        ``read_bounded_response``: read, then ``finally: r.close()``; nltk's ``_bounded_body``:
        ``finally: close = getattr(stream, "close", None)`` then ``if close is not None:
        close()``): the object is closed when the call returns, on every path, as by a
        ``finally`` of the caller's. Only statements that cannot raise may come before the
        ``try`` (``_quiet_statement``: literal assignments to plain names; with the ``library``
        of a ``noun`` "response", a name bound to one of its methods, ``read =
        stream.read1 if isinstance(stream, io.BufferedIOBase) else stream.read``); what comes
        after the ``try`` runs once the object is closed. The function never rebinds the
        parameter."""
        if arg.star:
            return False
        callee = self._callee(call.func)
        if callee is None:
            return False
        function, skip, hazard, summaries = callee
        if hazard or function.asynchronous is not None:
            return False
        if not _plain_function(function, method=not isinstance(summaries._parent(function), cst.Module)):
            return False
        param = _parameter(function, call, arg, skip)
        if param is None or param.startswith(_CARRIED):
            return False
        body = _statements(function)
        if body and _is_docstring(body[0]):
            body = body[1:]
        attrs = RESPONSE_ATTRS.get(library, frozenset()) if noun == "response" else frozenset()
        index = 0
        while index < len(body) and _quiet_statement(summaries.resolver, body[index], param, attrs):
            index += 1
        if index == len(body) or not isinstance(body[index], cst.Try) or body[index].finalbody is None:
            return False
        finally_body = body[index].finalbody.body
        finals = list(finally_body.body) if isinstance(finally_body, cst.IndentedBlock) else [finally_body]
        # first: a statement before the close may raise and skip it
        if not (_closes_name(finals[0], param) or _closes_by_getattr(summaries.resolver, finals[:2], param)):
            return False
        scope = summaries._name_scope(function)
        if scope is None:
            return False
        return all(
            summaries.get_metadata(ExpressionContextProvider, n, None) is ExpressionContext.LOAD
            for n in scope.names.get(param, ())
        )

    def module_function(self, function: cst.FunctionDef) -> Optional[cst.FunctionDef]:
        """``function`` (a ``def`` at module level) when the summaries read it: its name is
        bound once in the module (``foreign.py`` asks this of another module's)."""
        return self._function(function.name)

    def is_module_function(self, func: cst.BaseExpression) -> bool:
        """``func`` names a function (or method) of this module that the summaries analyse."""
        return self._callee(func) is not None

    def dispatch_hazard(self, func: cst.BaseExpression) -> str:
        """For a call ``keeps_nothing`` accepted: what may still go wrong ("" for nothing), a
        public method that a subclass outside the project may override."""
        callee = self._callee(func)
        return callee[2] if callee is not None else ""

    def _generator(self, function: cst.FunctionDef) -> bool:
        found = self._generators.get(function)
        if found is None:
            found = self._generators[function] = _is_generator(function)
        return found

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
            self._deps_of[current] = deps
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
        function, param, library, client_class, noun, question = key
        self._definite[key] = True  # until the analysis says otherwise
        param, keyword = _carrier(param)  # ``**kwargs`` carrying it under ``keyword``
        star = function.params.star_kwarg
        if keyword and (star is None or star.name.value != param):
            return False, set()
        method = not isinstance(self._parent(function), cst.Module)
        if not _plain_function(function, method=method, generator=True):
            return False, set()
        if self._generator(function) and (question != NOTHING or not _closes_quietly(function)):
            return False, set()
        holder = ""  # ``self`` in a method of a holder class: the instance the constructor returns
        klass = None
        first = _first_parameter(function)
        if question.startswith(RESULT) and first is not None and not isinstance(self._parent(function), cst.Module):
            # ``__init__`` of a holder class given the object, or another of its methods, whose
            # ``self`` holds it: stores on ``self`` stay on the instance the caller follows.
            plain = all(
                isinstance(d.decorator, cst.Name) and d.decorator.value == "property" for d in function.decorators
            )
            if plain and (function.name.value == "__init__") != (first.name.value == param):
                klass = self._parent(self._parent(function))
                holder = first.name.value
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
        if keyword:
            # The dict is only handed on whole, ``f(**kwargs)`` (what its ``get``, a subscript
            # or iteration give, the taint does not know): each such call is read as passing
            # the object under ``keyword``.
            for occurrence in scope.names.get(param, ()):
                arg = self._parent(occurrence)
                if not (isinstance(arg, cst.Arg) and arg.star == "**" and arg.value is occurrence):
                    self._definite[key] = False
                    self._why[key] = f"`**{param}` is read otherwise than passed on whole (`f(**{param})`)"
                    return False, set()
            analysis.taint.carried = {param: keyword}
        if holder and any(
            self.get_metadata(ExpressionContextProvider, n, None) is not ExpressionContext.LOAD
            for n in scope.names.get(holder, ())
        ):
            return False, set()  # ``self`` rebound: its stores are no longer the instance's
        saved, self._deps = self._deps, set()
        try:
            if question.startswith(RESULT):
                tainted = {param, holder} if holder else {param}
                plain: FrozenSet[str] = frozenset()
                if holder:
                    given = param if function.name.value == "__init__" else _carrier(question.partition(":")[2])[0]
                    plain = plain_attributes(klass, given)
                ok = analysis.holds_in_result(list(_statements(function)), tainted, holder, klass, plain)
            else:
                ok = analysis.keeps_nothing(list(_statements(function)), {param})
            self._definite[key] = analysis.definite
            if not ok and analysis.why:
                self._why[key] = analysis.why
            return ok, self._deps
        finally:
            self._deps = saved

    # -- which function a call reaches ----------------------------------------------------------

    def _callee(self, func: cst.BaseExpression) -> Optional[Callee]:
        """(the function ``func`` calls, how many leading parameters the call binds itself,
        the dispatch hazard, the summaries that read it), or None: not one they read."""
        if func in self._callees:
            return self._callees[func]
        found: Optional[Callee] = None
        if isinstance(func, cst.Name):
            function = self._function(func)
            found = (function, 0, "", self) if function is not None else None
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            method = self._method(func.value, func.attr.value)
            found = (*method, self) if method is not None else self._inherited(func.value, func.attr.value)
        if found is None and isinstance(func, cst.Attribute) and isinstance(func.value, (cst.Name, cst.Attribute)):
            found = self._qualified_method(func.value, func.attr.value)
        if found is None and self.follow_imports:
            from .foreign import imported_function

            other = imported_function(self.codemod, func)
            found = (other[0], 0, "", other[1]) if other is not None else None
        self._callees[func] = found
        return found

    def _constructor(self, func: cst.BaseExpression) -> Optional[Callee]:
        """``C(...)`` for a class ``C`` of this module, or of another module of the project
        (``foreign.imported_class``: ``from .transport import Transport``), whose instance is
        all that may hold what ``__init__`` is given (``holder_init``): (its ``__init__``, 1,
        "", the summaries that read it)."""
        if not isinstance(func, (cst.Name, cst.Attribute)):
            return None
        if func not in self._constructors:
            klass = self._module_binding(func, cst.ClassDef) if isinstance(func, cst.Name) else None
            summaries = self
            if klass is None and self.follow_imports:
                from .foreign import imported_class

                other = imported_class(self.codemod, func)
                if other is not None:
                    klass, summaries = other
            init = holder_init(klass) if isinstance(klass, cst.ClassDef) else None
            self._constructors[func] = (init, 1, "", summaries) if init is not None else None
        return self._constructors[func]

    def _method(self, receiver: cst.Name, name: str) -> Optional[Tuple[cst.FunctionDef, int, str]]:
        """``self._m`` / ``cls._m`` in a method of class ``C`` whose body defines ``_m`` once:
        (that ``def``, 1 or 0 for a static method, the hazard). A subclass may override
        ``_m``: read only when no class of the project binds the name again (the project
        facts' ``bound_once``); a public name is then still an unsafe fix, since a subclass
        outside the project may override it."""
        if not (name.isascii() and name.isidentifier()) or (name.startswith("__") and name.endswith("__")):
            return None
        method = self._enclosing_method(receiver)
        if method is None:
            return None
        first = _first_parameter(method)
        if first is None or first.name.value != receiver.value:
            return None
        kind = self._method_kind(method)
        if kind not in ("instance", "class"):
            return None
        scope = self.get_metadata(ScopeProvider, receiver, None)
        if scope is None:
            return None
        bindings = list(scope[receiver.value])
        if len(bindings) != 1 or bindings[0].node is not first:
            return None  # ``self`` rebound in the method
        body = self._parent(method)
        klass = self._parent(body) if body is not None else None
        if not isinstance(klass, cst.ClassDef) or klass.decorators:
            return None
        callee = None
        for stmt in klass.body.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value in (name, "__getattribute__"):
                if stmt.name.value != name or callee is not None:
                    return None
                callee = stmt
        if callee is None:
            return None
        class_scope = self.get_metadata(ScopeProvider, callee, None)
        if class_scope is None or len(list(class_scope[name])) != 1:
            return None  # bound again in the class body
        callee_kind = self._method_kind(callee)
        if callee_kind == "static":
            skip = 0
        elif callee_kind == "class" or (callee_kind == "instance" and kind == "instance"):
            skip = 1
        else:
            return None
        if self._rebound_in_module(name):
            return None
        facts = self.codemod.file.facts
        path = self.codemod.context.filename or ""
        if facts is None:
            return None
        hazard = ""
        if not facts.bound_once(path, name):
            # Another ``def`` (or class attribute) of the name in the project: a sibling
            # class's own method in the usual case, a subclass's override at worst. Nothing
            # replaces it from outside (no attribute store, ``setattr`` or mock naming it).
            if not (hasattr(facts, "never_replaced") and facts.never_replaced(path, name)):
                return None
            if self._overridden_here(klass, name):
                return None  # a subclass of this module binds it: that hazard is no guess
            if hasattr(facts, "subclassed") and not facts.subclassed(path, klass.name.value):
                # No class of the project may derive from ``C`` (none names it among its bases,
                # aliases it or makes a class from it at run time): ``self`` is a ``C`` or an
                # instance of a class outside the project, whose MRO reaches ``C``'s own
                # ``def`` before any other of the project's (a sibling class's).
                hazard = "" if name.startswith("_") else _OUTSIDE_HAZARD.format(name=name)
            else:
                hazard = (
                    f"`{name}` is defined again in the project; safe unless it is a subclass's "
                    f"override that keeps what it is given"
                )
        elif not name.startswith("_"):
            hazard = _OUTSIDE_HAZARD.format(name=name)
        return callee, skip, hazard

    def _overridden_here(self, klass: cst.ClassDef, name: str) -> bool:
        """A class of this module names ``klass`` among its bases and binds ``name``."""
        own = klass.name.value
        for node in walk(self.codemod.module):
            if not isinstance(node, cst.ClassDef) or node is klass:
                continue
            for base in node.bases:
                last = base.value.attr if isinstance(base.value, cst.Attribute) else base.value
                if isinstance(last, cst.Name) and last.value == own and class_binds(node, name):
                    return True
        return False

    def _qualified_method(self, owner: cst.BaseExpression, name: str) -> Optional[Callee]:
        """``C._parse(r)`` / ``mod.C.parse(r)``: a ``staticmethod`` (0 leading parameters
        bound by the call) or ``classmethod`` (1: ``cls`` is ``C``) of a class ``C`` at module
        level of this module (bound once) or of another module of the project
        (``foreign.imported_class``). The call names the class itself, so no subclass's
        override is reached: no dispatch hazard. ``C`` has no base but ``object``, no keyword
        (a metaclass may intercept the lookup) and no decorator; its body binds ``name`` once,
        as a ``def`` with that one decorator, and defines no ``__getattr__``/``__getattribute__``
        (nor a class attribute of the name); nothing replaces the method from outside: no
        attribute store of ``name`` in either module, and the project facts'
        ``never_replaced`` (no store, ``setattr`` or mock naming it anywhere)."""
        if not (name.isascii() and name.isidentifier()) or (name.startswith("__") and name.endswith("__")):
            return None
        facts = self.codemod.file.facts
        path = self.codemod.context.filename or ""
        if facts is None or not hasattr(facts, "never_replaced") or not facts.never_replaced(path, name):
            return None
        klass: Any = self._module_binding(owner, cst.ClassDef) if isinstance(owner, cst.Name) else None
        summaries: HelperSummaries = self
        if klass is not None and not facts.never_replaced(path, owner.value):  # type: ignore[attr-defined]
            return None  # ``mod.C = Other`` elsewhere
        if klass is None and self.follow_imports:
            from .foreign import imported_class

            other = imported_class(self.codemod, owner)
            if other is not None:
                klass, summaries = other
        if not isinstance(klass, cst.ClassDef) or klass.decorators or klass.keywords:
            return None
        if any(not (isinstance(b.value, cst.Name) and b.value.value == "object") or b.star for b in klass.bases):
            return None
        callee = None
        for stmt in klass.body.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value in (name, "__getattr__", "__getattribute__"):
                if stmt.name.value != name or callee is not None:
                    return None
                callee = stmt
        if callee is None or class_binds_other_than(klass, name, callee):
            return None
        if self._rebound_in_module(name) or summaries._rebound_in_module(name):
            return None
        kind = summaries._method_kind(callee)
        if kind == "static":
            return (callee, 0, "", summaries)
        if kind == "class":
            return (callee, 1, "", summaries)
        return None

    def _inherited(self, receiver: cst.Name, name: str) -> Optional[Callee]:
        """``self.copyfile(r, out)`` in a method of a class ``C`` defined inside a function,
        whose one base is a standard-library class with the method (``foreign.LIBRARY_METHODS``):
        that method as the library writes it. ``C``'s body binds no ``name`` (nor
        ``__getattr__``/``__getattribute__``), the module defines no ``def name`` and stores no
        attribute ``name``, and no ``def`` of the project binds it twice: only the function
        that defines ``C`` names it, so no subclass can override the method (a class at module
        level may have one in another module: not read)."""
        if not self.follow_imports or not (name.isascii() and name.isidentifier()) or name.startswith("__"):
            return None
        method = self._enclosing_method(receiver)
        first = _first_parameter(method) if method is not None else None
        if first is None or first.name.value != receiver.value or self._method_kind(method) != "instance":
            return None
        scope = self.get_metadata(ScopeProvider, receiver, None)
        if scope is None or [b.node for b in scope[receiver.value]] != [first]:
            return None  # ``self`` rebound in the method
        klass = self._parent(self._parent(method))
        if not isinstance(klass, cst.ClassDef) or klass.decorators or klass.keywords or len(klass.bases) != 1:
            return None
        outer = self._parent(klass)
        while outer is not None and not isinstance(outer, (cst.FunctionDef, cst.Module, cst.ClassDef)):
            outer = self._parent(outer)
        if not isinstance(outer, cst.FunctionDef):
            return None  # a class other modules can name (and subclass)
        if any(class_binds(klass, n) for n in (name, "__getattr__", "__getattribute__")):
            return None
        if any(isinstance(n, cst.FunctionDef) and n.name.value == name for n in walk(self.codemod.module)):
            return None
        facts = self.codemod.file.facts
        if self._rebound_in_module(name) or facts is None:
            return None
        if not facts.bound_once(self.codemod.context.filename or "", name):
            return None
        from .foreign import LIBRARY_METHODS, library_method

        bases = [b for b, m in LIBRARY_METHODS if m == name]
        base = self.resolver.resolves_to(klass.bases[0].value, bases) if not klass.bases[0].star else None
        found = library_method(self.codemod, base, name) if base is not None else None
        return (found[0], 1, "", found[1]) if found is not None else None

    def _enclosing_method(self, node: cst.CSTNode) -> Optional[cst.FunctionDef]:
        current = self._parent(node)
        while current is not None and not isinstance(current, NESTED_SCOPES):
            current = self._parent(current)
        if not isinstance(current, cst.FunctionDef):
            return None
        body = self._parent(current)
        if not (isinstance(body, cst.IndentedBlock) and isinstance(self._parent(body), cst.ClassDef)):
            return None
        return current

    def _method_kind(self, function: cst.FunctionDef) -> str:
        """ "instance", "class", "static", or "other" (another decorator)."""
        if not function.decorators:
            return "instance"
        if len(function.decorators) != 1:
            return "other"
        names = self.resolver.imported_names(function.decorators[0].decorator, builtins=True)
        if "builtins.staticmethod" in names:
            return "static"
        if "builtins.classmethod" in names:
            return "class"
        return "other"

    def _rebound_in_module(self, name: str) -> bool:
        """The module stores or deletes an attribute ``name`` (``obj.name = f``), or names it
        in a string where it calls ``setattr``/``delattr``: the method may be replaced."""
        if self._rebound is None:
            module = self.codemod.module
            stored: Set[str] = set()
            strings: Set[str] = set()
            setattr_used = False
            for node in walk(module):
                if isinstance(node, cst.Attribute):
                    ctx = self.get_metadata(ExpressionContextProvider, node, None)
                    if ctx in (ExpressionContext.STORE, ExpressionContext.DEL):
                        stored.add(node.attr.value)
                elif isinstance(node, cst.Name) and node.value in ("setattr", "delattr"):
                    setattr_used = True
                elif isinstance(node, cst.SimpleString):
                    try:
                        value = node.evaluated_value
                    except Exception:  # a literal ``ast.literal_eval`` refuses: not a name
                        continue
                    if isinstance(value, str):
                        strings.add(value)
            self._rebound = stored | (strings if setattr_used else set())
        return name in self._rebound

    def _function(self, name: cst.Name) -> Optional[cst.FunctionDef]:
        found = self._module_binding(name, cst.FunctionDef)
        return found if isinstance(found, cst.FunctionDef) else None

    def _module_binding(self, name: cst.Name, kind: Any) -> Optional[Any]:
        """The ``def`` (or ``class``: ``kind``) at module level that ``name`` reads, bound once
        in the module."""
        scope = self.get_metadata(ScopeProvider, name, None)
        if scope is None:
            return None
        assignments = list(scope[name.value])
        if len(assignments) != 1 or not isinstance(assignments[0], Assignment):
            return None
        node = assignments[0].node
        if not isinstance(node, kind) or not isinstance(self._parent(node), cst.Module):
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


def holder_init(klass: cst.ClassDef) -> Optional[cst.FunctionDef]:
    """The ``__init__`` of a class whose instance is what ``klass(...)`` returns and whose
    attribute stores on ``self`` stay on that instance: no decorator, no base but ``object``, no
    keyword (``metaclass=``), no ``__new__``/``__setattr__``/``__getattribute__``/``__del__``, an
    undecorated ``__init__`` defined once. Which attributes it may store is checked by the
    analysis (``EscapeAnalysis.holds_in_result``: none the class body binds itself, a property
    or a descriptor)."""
    if klass.decorators or klass.keywords:
        return None
    for base in klass.bases:
        if not (isinstance(base.value, cst.Name) and base.value.value == "object" and not base.star):
            return None
    methods = instance_methods(klass)
    if methods is None:
        return None
    inits = [m for m in methods if m.name.value == "__init__"]
    if len(inits) != 1 or inits[0].decorators or inits[0].asynchronous is not None:
        return None
    return inits[0]


_SPECIAL = frozenset({"__new__", "__setattr__", "__getattribute__", "__getattr__", "__del__", "__init_subclass__"})


def instance_methods(klass: Any) -> Optional[List[cst.FunctionDef]]:
    """The ``def`` s of a holder class's body (plain ones, or ``property`` getters), or None:
    something else is there (a method with another decorator, a special method that changes
    how attributes are stored, a compound statement, a name defined twice)."""
    if not isinstance(klass, cst.ClassDef):
        return None
    methods: List[cst.FunctionDef] = []
    names: Set[str] = set()
    for stmt in klass.body.body:
        if isinstance(stmt, cst.FunctionDef):
            name = stmt.name.value
            if name in _SPECIAL or name in names:
                return None
            names.add(name)
            for decorator in stmt.decorators:
                if not (isinstance(decorator.decorator, cst.Name) and decorator.decorator.value == "property"):
                    return None
            methods.append(stmt)
        elif not isinstance(stmt, cst.SimpleStatementLine):
            return None
    return methods


def plain_attributes(klass: Any, given: str) -> FrozenSet[str]:
    """Attributes of a holder class's instance read as plain data in its methods: bound in
    the class body, or stored on ``self`` only with values that name neither ``self`` nor
    (in ``__init__``) the parameter ``given`` the object is passed to (``self.base = base``).
    A method that stores something tainted on one of them makes the class no holder
    (``StoreCheck``)."""
    stored: Set[str] = set()
    holding: Set[str] = set()
    for method in instance_methods(klass) or ():
        first = _first_parameter(method)
        if first is None:
            continue
        names = {first.name.value} | ({given} if method.name.value == "__init__" else set())
        for node in walk(method.body):
            pairs: List[Tuple[cst.CSTNode, Optional[cst.BaseExpression]]] = []
            if isinstance(node, cst.Assign):
                pairs = [(t.target, node.value) for t in node.targets]
            elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
                pairs = [(node.target, node.value)]
            for target, value in pairs:
                for part in walk(target):
                    if isinstance(part, cst.Attribute) and isinstance(part.value, cst.Name):
                        if part.value.value != first.name.value:
                            continue
                        stored.add(part.attr.value)
                        if value is None or any(isinstance(n, cst.Name) and n.value in names for n in walk(value)):
                            holding.add(part.attr.value)
    in_body = {name for name in stored | holding if class_binds(klass, name)}
    return frozenset((stored - holding) | in_body)


def class_binds(klass: cst.ClassDef, attr: str) -> bool:
    """The body of ``klass`` binds ``attr`` itself (a method, a property, a class attribute)."""
    for stmt in klass.body.body:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) and stmt.name.value == attr:
            return True
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                targets: List[cst.CSTNode] = []
                if isinstance(small, cst.Assign):
                    targets = [t.target for t in small.targets]
                elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                    targets = [small.target]
                if any(isinstance(n, cst.Name) and n.value == attr for t in targets for n in walk(t)):
                    return True
        elif not isinstance(stmt, cst.FunctionDef):
            return True  # an ``if``/``try`` in the class body: not read
    return False


def class_binds_other_than(klass: cst.ClassDef, attr: str, only: cst.FunctionDef) -> bool:
    """The body of ``klass`` may bind ``attr`` by something other than the ``def`` ``only``
    (another statement binding it, or a compound statement, which is not read)."""
    for stmt in klass.body.body:
        if stmt is only:
            continue
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            if stmt.name.value == attr:
                return True
        elif not isinstance(stmt, cst.SimpleStatementLine):
            return True
        elif class_binds(klass.with_changes(body=klass.body.with_changes(body=[stmt])), attr):
            return True
    return False


def _statements(function: cst.FunctionDef) -> List[cst.CSTNode]:
    body = function.body
    return list(body.body)


_LITERALS = (cst.Integer, cst.Float, cst.SimpleString)


def _literal_assignment(stmt: cst.CSTNode) -> bool:
    """``name = <literal>`` (a number, a string, ``None``/``True``/``False``, an empty
    list, dict or tuple): a statement that cannot raise."""
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
        return False
    small = stmt.body[0]
    if not (isinstance(small, cst.Assign) and all(isinstance(t.target, cst.Name) for t in small.targets)):
        return False
    value = small.value
    if isinstance(value, _LITERALS):
        return True
    if isinstance(value, cst.Name):
        return value.value in ("None", "True", "False")
    return isinstance(value, (cst.List, cst.Dict, cst.Tuple)) and not value.elements


def _closes_name(stmt: cst.CSTNode, name: str) -> bool:
    """``name.close()`` (or another closing method) as the first small statement of ``stmt``."""
    if not (isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) and stmt.body):
        return False
    small = stmt.body[0]
    if not isinstance(small, cst.Expr) or not isinstance(small.value, cst.Call):
        return False
    call = small.value
    return (
        not call.args
        and isinstance(call.func, cst.Attribute)
        and isinstance(call.func.value, cst.Name)
        and call.func.value.value == name
        and call.func.attr.value in CLOSING_METHODS
    )


#: Attributes every response of a library has, as methods or plain attributes (reading
#: one cannot raise): urllib's (``http.client.HTTPResponse``, and ``addinfourl`` over a file,
#: an FTP socket's or a ``data:`` URL's buffer, all of them ``io.BufferedIOBase`` readers) and
#: requests' ``Response``.
RESPONSE_ATTRS: Dict[str, FrozenSet[str]] = {
    "urllib": frozenset(
        {"read", "read1", "readline", "readlines", "readinto", "close", "info", "geturl", "getcode", "fileno"}
    ),
    "requests": frozenset({"close", "iter_content", "iter_lines", "json", "raw", "status_code", "headers", "url"}),
}


def _quiet_statement(resolver: Any, stmt: cst.CSTNode, param: str, attrs: FrozenSet[str]) -> bool:
    """``stmt`` binds plain names to values whose evaluation cannot raise: literals (a tuple
    of them to a tuple of names: ``chunks, total = [], 0``) or what ``_quiet_value`` reads of
    the parameter."""
    if _literal_assignment(stmt):
        return True
    if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
        return False
    small = stmt.body[0]
    if not (isinstance(small, cst.Assign) and len(small.targets) == 1):
        return False
    target, value = small.targets[0].target, small.value
    if isinstance(target, cst.Name):
        return _quiet_value(resolver, value, param, attrs)
    if isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List)):
        names = target.elements
        values = value.elements
        return (
            len(names) == len(values)
            and all(isinstance(e, cst.Element) and isinstance(e.value, cst.Name) for e in names)
            and all(isinstance(e, cst.Element) and _literal_value(e.value) for e in values)
        )
    return False


def _literal_value(value: cst.CSTNode) -> bool:
    """A number, a string, ``None``/``True``/``False``, an empty list, dict or tuple."""
    if isinstance(value, _LITERALS):
        return True
    if isinstance(value, cst.Name):
        return value.value in ("None", "True", "False")
    return isinstance(value, (cst.List, cst.Dict, cst.Tuple)) and not value.elements


def _quiet_value(resolver: Any, value: cst.CSTNode, param: str, attrs: FrozenSet[str]) -> bool:
    """A value that cannot raise for the object the parameter ``param`` holds: a literal, an
    attribute of it that every such object has (``attrs``: ``stream.read``), ``isinstance``
    of it and an imported class, and a conditional of these."""
    if _literal_value(value):
        return True
    if isinstance(value, cst.Attribute):
        return isinstance(value.value, cst.Name) and value.value.value == param and value.attr.value in attrs
    if isinstance(value, cst.IfExp):
        return all(_quiet_value(resolver, part, param, attrs) for part in (value.test, value.body, value.orelse))
    if isinstance(value, cst.Call):
        if "builtins.isinstance" not in resolver.imported_names(value.func, builtins=True) or len(value.args) != 2:
            return False
        first, second = value.args
        return (
            not first.star
            and not second.star
            and first.keyword is None
            and second.keyword is None
            and isinstance(first.value, cst.Name)
            and first.value.value == param
            and bool(resolver.imported_names(second.value))  # an imported class (``io.BufferedIOBase``)
        )
    return False


def _closes_by_getattr(resolver: Any, stmts: List[cst.CSTNode], param: str) -> bool:
    """``close = getattr(param, "close", None)`` then ``if close is not None: close()`` (or
    ``if close:``, ``if callable(close):``), the ``close()`` first in that ``if``: the object
    has its close method, so the test holds and it is called."""
    if len(stmts) != 2 or not (isinstance(stmts[0], cst.SimpleStatementLine) and len(stmts[0].body) == 1):
        return False
    small = stmts[0].body[0]
    if not (
        isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name)
    ):
        return False
    alias = small.targets[0].target.value
    got = small.value
    if not (isinstance(got, cst.Call) and "builtins.getattr" in resolver.imported_names(got.func, builtins=True)):
        return False
    if len(got.args) != 3 or any(a.star or a.keyword is not None for a in got.args):
        return False
    obj, attr, default = (a.value for a in got.args)
    if not (isinstance(obj, cst.Name) and obj.value == param and isinstance(attr, cst.SimpleString)):
        return False
    if attr.evaluated_value not in CLOSING_METHODS or not _literal_value(default):
        return False
    check = stmts[1]
    if not isinstance(check, cst.If) or check.orelse is not None:
        return False
    test = check.test
    tested = (
        (isinstance(test, cst.Name) and test.value == alias)
        or (
            isinstance(test, cst.Comparison)
            and isinstance(test.left, cst.Name)
            and test.left.value == alias
            and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, cst.IsNot)
            and isinstance(test.comparisons[0].comparator, cst.Name)
            and test.comparisons[0].comparator.value == "None"
        )
        or (
            isinstance(test, cst.Call)
            and "builtins.callable" in resolver.imported_names(test.func, builtins=True)
            and len(test.args) == 1
            and isinstance(test.args[0].value, cst.Name)
            and test.args[0].value.value == alias
            and not test.args[0].star
        )
    )
    if not tested:
        return False
    body = check.body
    first = body.body[0] if isinstance(body, cst.IndentedBlock) else body
    if not (isinstance(first, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) and first.body):
        return False
    call = first.body[0].value if isinstance(first.body[0], cst.Expr) else None
    return isinstance(call, cst.Call) and not call.args and isinstance(call.func, cst.Name) and call.func.value == alias


def _is_generator(function: cst.FunctionDef) -> bool:
    return any(isinstance(node, cst.Yield) for node in _own_nodes(function))


def _own_nodes(function: cst.FunctionDef) -> List[cst.CSTNode]:
    """The nodes of ``function``'s body, nested functions, lambdas, classes and generator
    expressions aside."""
    return list(walk(function.body, prune=lambda n: isinstance(n, NESTED_SCOPES)))


def _closes_quietly(function: cst.FunctionDef) -> bool:
    """No ``yield`` of the generator ``function`` is inside a ``with`` statement, or inside a
    ``try`` with a ``finally`` or a handler that may catch ``GeneratorExit`` (anything but
    builtin subclasses of ``Exception``): closing the suspended generator (``GeneratorExit``
    at its ``yield``) then runs no code of its own."""
    for node in _own_nodes(function):
        if isinstance(node, (cst.Try, cst.TryStar)):
            if node.finalbody is None and not any(_may_catch_generator_exit(h) for h in node.handlers):
                continue
        elif not isinstance(node, cst.With):
            continue
        if any(isinstance(n, cst.Yield) for n in walk(node, prune=lambda n: isinstance(n, NESTED_SCOPES))):
            return False
    return True


def _may_catch_generator_exit(handler: cst.CSTNode) -> bool:
    """The ``except`` clause ``handler`` names anything but builtin ``Exception`` classes."""
    kind = getattr(handler, "type", None)
    if kind is None:
        return True  # a bare ``except:``
    names = [e.value for e in kind.elements] if isinstance(kind, cst.Tuple) else [kind]
    for name in names:
        if not isinstance(name, cst.Name):
            return True  # ``errors.Base``: may derive from ``BaseException``
        found = getattr(builtins, name.value, None)
        if not (isinstance(found, type) and issubclass(found, Exception)):
            return True
    return False


def _plain_function(function: cst.FunctionDef, method: bool = False, generator: bool = False) -> bool:
    """``method``: a method, whose one ``staticmethod``/``classmethod`` decorator was checked;
    ``generator``: a generator counts too (the caller asks ``yields_data`` of it)."""
    if function.decorators and not method:
        return False
    if not generator and _is_generator(function):
        return False  # a generator keeps its arguments while it is suspended
    for node in walk(function.body):
        if isinstance(node, cst.Name) and (node.value in _INTROSPECTION_NAMES or node.value.startswith(MARKER)):
            return False  # (a body ``prune.py`` hid: what it does is not there to read)
        if isinstance(node, cst.Attribute) and node.attr.value in _INTROSPECTION_ATTRS:
            return False
    return True


def _argument_parameter(
    taint: Any, function: cst.FunctionDef, call: cst.Call, arg: cst.Arg, skip: int
) -> Optional[str]:
    """The parameter of ``function`` that the tainted ``arg`` of ``call`` binds, when ``arg``
    is the object itself (or ``**kwargs`` of a function whose ``kwargs`` carries it: the
    taint's ``carried``), else None."""
    itself = arg.value is taint.hoisted_node or (isinstance(arg.value, cst.Name) and arg.value.value in taint.roots)
    if not itself:
        return None
    if arg.star == "**":
        carried = getattr(taint, "carried", None) or {}
        keyword = carried.get(arg.value.value) if isinstance(arg.value, cst.Name) else None
        if keyword is None:
            return None
        return _keyword_parameter(function, keyword, skip)
    if arg.star:
        return None
    return _parameter(function, call, arg, skip)


#: A parameter "``**kwargs``, under the keyword ``session``": ``"**kwargs:session"``.
_CARRIED = "**"


def _carrier(param: str) -> Tuple[str, str]:
    """(the ``**`` parameter's name, the keyword it carries the object under), or (param, "")."""
    if not param.startswith(_CARRIED):
        return param, ""
    name, _, keyword = param[len(_CARRIED) :].partition(":")
    return name, keyword


def _keyword_parameter(function: cst.FunctionDef, name: str, skip: int) -> Optional[str]:
    """The parameter of ``function`` that a keyword argument ``name`` binds: a named one, or
    its ``**`` parameter (``"**kwargs:name"``), or None."""
    params = function.params
    every = list(params.posonly_params) + list(params.params)
    if any(p.name.value == name for p in every[:skip]):
        return None
    for param in list(params.params) + list(params.kwonly_params):
        if param.name.value == name:
            return name
    star = params.star_kwarg
    if star is not None and name.isidentifier():
        return f"{_CARRIED}{star.name.value}:{name}"
    return None


def _parameter(function: cst.FunctionDef, call: cst.Call, arg: cst.Arg, skip: int = 0) -> Optional[str]:
    """The parameter of ``function`` that ``arg`` of ``call`` binds (None: ``*args``, a
    ``**`` argument or no such parameter; a keyword ``**kwargs`` takes: ``"**kwargs:name"``).
    ``skip``: leading parameters the call binds itself (``self``, ``cls``)."""
    params = function.params
    every = list(params.posonly_params) + list(params.params)
    positional = every[skip:]
    if arg.star:
        return None
    if arg.keyword is None:
        index = [a for a in call.args if a.keyword is None].index(arg)
        if any(a.star for a in call.args[: call.args.index(arg)]):
            return None
        return positional[index].name.value if index < len(positional) else None
    return _keyword_parameter(function, arg.keyword.value, skip)


__all__ = ["HelperSummaries", "Unsafe"]
