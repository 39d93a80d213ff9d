"""References to a bare function that are only ever called: ``fn = requests.post if p else
requests.get; fn(url)``, ``(requests.put if a else requests.delete)(url)``.

A reference ``requests.<verb>`` (resolved by qualified name, as calls are) whose value flows
only into calls is a target like a call: rewritten in place to ``_session.<verb>``, the bound
method of the shared client, which takes the arguments the function takes. It flows only into
calls when, through the branches of conditional expressions, it is

- the function of a call: ``(requests.put if a else requests.delete)(url)``;
- the value of a local name of a function whose every use is a call (in that function or a
  nested one): ``fn = requests.get``, then ``fn(url)``. The name may be assigned more than once
  when every assignment binds such references (``method = requests.post``, later ``method =
  requests.delete``): each reference's calls are then all the name's calls;
- or such a local passed to a private method of the same class (``self._fetch(method, url)``)
  whose parameter is only called there, read the way close-response reads a helper: one
  ``def`` of it in the class, no decorator, no ``self`` rebinding, and no class of the project
  that may override it (the project facts' ``bound_once``, or ``never_replaced`` and a class
  nothing in the project derives from: ``subclassed``). Its calls in the method are the uses.
  When nothing derives from the class but the project replaces an attribute of that name
  somewhere (a test's ``patch.object(obj, "_fetch")``), an unsafe fix (``REPLACED_HAZARD``).

Its calls are the target's ``uses``: the argument checks (``checks.argument_problem``) look at
each of them. A local also assigned something else, or used any other way (passed on, stored,
returned), a module-level or class-level name, several names or an attribute assigned the
reference: reported with that reason. Any other reference (an argument, ``requests.get.__name__``,
``getattr(requests, verb)``) is left alone, as it was. The prefilter (``prefilter.py``) lets
through a file whose library function is a conditional's branch or an assignment's value.
"""

from __future__ import annotations

from typing import Any, List, NamedTuple, Optional, Tuple, Union

import libcst as cst
from libcst.metadata import ScopeProvider
from libcst.metadata.scope_provider import ClassScope, FunctionScope

from ..calls import HttpCall, MODULE_FUNCTIONS
from ..tree import walk
from ..spec import Kind

#: The last part of every library function's name (a cheap test before resolving).
_VERBS = frozenset(name.rsplit(".", 1)[-1] for name in MODULE_FUNCTIONS)


def references(share: Any, module: cst.Module, make: Any) -> List[Any]:
    """The reference targets of ``module`` (``make(node, info, uses, hazard)`` builds each);
    references whose flow cannot be followed are reported here."""
    found = []
    for node in share.nodes_of(module, cst.Attribute, cst.Name):
        last = node.attr.value if isinstance(node, cst.Attribute) else node.value
        if last not in _VERBS:
            continue
        parent = share.resolver.parent(node)
        if isinstance(parent, cst.Call) and parent.func is node:
            continue  # a call: ``collect``'s
        if not isinstance(parent, (cst.IfExp, cst.Assign, cst.AnnAssign)):
            continue  # the prefilter's forms (``prefilter._possible_sites``)
        info = _function_of(share, node)
        if info is None or share.suppressed(node):
            continue
        flow = _flow(share, node, info)
        if flow is None:
            continue
        if isinstance(flow, str):
            share.report(node, flow)
            continue
        target = make(node, info, flow.calls, flow.hazard)
        if target is not None:
            found.append(target)
    return found


def _function_of(share: Any, node: cst.BaseExpression) -> Optional[HttpCall]:
    for name in share.resolver.imported_names(node):
        if name in MODULE_FUNCTIONS:
            library, verb = MODULE_FUNCTIONS[name]
            if library in ("requests", "httpx"):
                return HttpCall(library, Kind.FUNCTION, verb, module=share.resolver.drop_in_of(node) or library)
    return None


class Flow(NamedTuple):
    """Where a reference's value goes: its calls, and the hazard of an unsafe fix (or "")."""

    calls: Tuple[cst.Call, ...]
    hazard: str = ""


def _flow(share: Any, node: cst.BaseExpression, info: HttpCall) -> Union[None, str, Flow]:
    """The calls the reference's value flows into; a reason when it may flow elsewhere;
    ``None``: another kind of reference, left alone."""
    top: cst.CSTNode = node
    parent = share.resolver.parent(node)
    while isinstance(parent, cst.IfExp) and (top is parent.body or top is parent.orelse):
        top, parent = parent, share.resolver.parent(parent)
    what = f"{info.top_module}.{info.name}"
    if isinstance(parent, cst.Call) and parent.func is top and top is not node:
        return Flow((parent,))
    if isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is top:
        targets = [t.target for t in parent.targets] if isinstance(parent, cst.Assign) else [parent.target]
        if len(targets) != 1 or not isinstance(targets[0], cst.Name):
            return f"a reference to {what} stored in something other than a local name: its calls cannot be followed"
        return _local_uses(share, targets[0], info)
    return None


def _local_uses(share: Any, name: cst.Name, info: HttpCall) -> Union[None, str, Flow]:
    what = f"{info.top_module}.{info.name}"
    try:
        scope = share.get_metadata(ScopeProvider, name, None)
    except KeyError:
        scope = None
    if scope is None:
        return None
    mine = [a for a in scope.assignments[name.value] if a.node is name] if name.value in scope.assignments else []
    if isinstance(scope, ClassScope):
        return f"a reference to {what} stored as the class attribute {name.value}: its calls cannot be followed"
    if not isinstance(scope, FunctionScope) or not mine:
        return (
            f"a reference to {what} assigned to the module-level name {name.value}, which other modules "
            "may use: its calls cannot be followed"
        )
    assignments = list(scope.assignments[name.value])
    if len(assignments) != 1 and not all(_binds_references(share, a.node, info) for a in assignments):
        return f"{name.value} (a reference to {what}) is assigned more than once: cannot tell which calls use it"
    accesses = {id(access.node): access.node for a in assignments for access in a.references}
    uses: List[cst.Call] = []
    hazards: List[str] = []
    for used in sorted(accesses.values(), key=share.position):
        parent = share.resolver.parent(used)
        if isinstance(parent, cst.Call) and parent.func is used:
            uses.append(parent)
            continue
        passed = _method_calls(share, used, parent) if isinstance(parent, cst.Arg) else None
        if passed is not None:
            uses.extend(passed.calls)
            hazards += [passed.hazard] if passed.hazard and passed.hazard not in hazards else []
            continue
        return f"{name.value} (a reference to {what}) is {_how(share, used, parent)}: its calls cannot be followed"
    return Flow(tuple(uses), "; ".join(hazards)) if uses else None


def _binds_references(share: Any, node: cst.CSTNode, info: HttpCall) -> bool:
    """``node`` (an assignment's target) is a plain name assigned, through the branches of
    conditional expressions, only references to functions of ``info``'s library."""
    parent = share.resolver.parent(node) if isinstance(node, cst.Name) else None
    if isinstance(parent, cst.AssignTarget):
        parent = share.resolver.parent(parent)
        if not isinstance(parent, cst.Assign) or len(parent.targets) != 1 or parent.targets[0].target is not node:
            return False
    elif not (isinstance(parent, cst.AnnAssign) and parent.target is node and parent.value is not None):
        return False
    pending: List[cst.BaseExpression] = [parent.value]
    while pending:
        value = pending.pop()
        if isinstance(value, cst.IfExp):
            pending += [value.body, value.orelse]
            continue
        found = _function_of(share, value) if isinstance(value, (cst.Attribute, cst.Name)) else None
        if found is None or found.library != info.library:
            return False
    return True


def _method_calls(share: Any, used: cst.Name, arg: cst.Arg) -> Optional[Flow]:
    """The calls of the parameter that ``arg`` (the local ``used``) binds in a private method
    of the caller's class, ``self._m(..., used, ...)``, when that parameter is only called there
    (see the module docstring); None otherwise."""
    call = share.resolver.parent(arg)
    func = call.func if isinstance(call, cst.Call) else None
    if arg.star or arg.value is not used or not isinstance(func, cst.Attribute):
        return None
    receiver, name = func.value, func.attr.value
    if not isinstance(receiver, cst.Name) or not name.startswith("_") or name.startswith("__"):
        return None
    caller = _enclosing_method(share, call)
    if caller is None or _first_parameter(caller) != receiver.value:
        return None
    klass = share.resolver.parent(share.resolver.parent(caller))
    callee = _own_method(klass, name)
    if callee is None or not _plain_binding(share, caller, receiver):
        return None
    hazard = _override_hazard(share, klass, name)
    if hazard is None:
        return None
    param = _parameter_of(callee, call, arg)
    if param is None:
        return None
    body = callee.body
    scope = share.get_metadata(ScopeProvider, body.body[0] if body.body else body, None)
    if not isinstance(scope, FunctionScope) or param not in scope.assignments:
        return None
    bound = list(scope.assignments[param])
    if len(bound) != 1 or not isinstance(bound[0].node, cst.Param):
        return None  # the parameter is rebound in the method
    calls: List[cst.Call] = []
    for access in bound[0].references:
        parent = share.resolver.parent(access.node)
        if not (isinstance(parent, cst.Call) and parent.func is access.node):
            return None
        calls.append(parent)
    return Flow(tuple(calls), hazard) if calls else None


def _enclosing_method(share: Any, node: cst.CSTNode) -> Optional[cst.FunctionDef]:
    current = share.resolver.parent(node)
    while current is not None and not isinstance(current, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
        current = share.resolver.parent(current)
    if not isinstance(current, cst.FunctionDef) or current.decorators:
        return None  # a nested scope, or a static/class method (or another decorator)
    body = share.resolver.parent(current)
    if not (isinstance(body, cst.IndentedBlock) and isinstance(share.resolver.parent(body), cst.ClassDef)):
        return None
    return current


def _first_parameter(function: cst.FunctionDef) -> Optional[str]:
    params = [*function.params.posonly_params, *function.params.params]
    return params[0].name.value if params else None


def _own_method(klass: Any, name: str) -> Optional[cst.FunctionDef]:
    """The one ``def name`` of ``klass``'s body, undecorated, when nothing else in the body
    binds the name and the class has no decorator nor ``__getattribute__``."""
    if not isinstance(klass, cst.ClassDef) or klass.decorators:
        return None
    found = None
    for stmt in klass.body.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value in (name, "__getattribute__"):
            if stmt.name.value != name or found is not None or stmt.decorators:
                return None
            found = stmt
        elif not isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            for node in walk(stmt):
                if isinstance(node, cst.Name) and node.value == name:
                    return None  # bound (or read) in the class body otherwise
    return found


def _plain_binding(share: Any, method: cst.FunctionDef, receiver: cst.Name) -> bool:
    """``self`` is bound once in ``method``: as its first parameter."""
    scope = share.get_metadata(ScopeProvider, receiver, None)
    if scope is None:
        return False
    bindings = list(scope[receiver.value])
    return len(bindings) == 1 and isinstance(bindings[0].node, cst.Param)


def _override_hazard(share: Any, klass: cst.ClassDef, name: str) -> Optional[str]:
    """ "" when no class of the project may bind ``name`` over ``klass``'s and nothing replaces
    it (the name is bound once in the project, or nothing replaces it and nothing may derive
    from ``klass``); the hazard when nothing may derive from ``klass`` but something in the
    project replaces an attribute of that name (a test's ``patch.object(obj, "_fetch")``, which
    would be handed the shared session's method); None otherwise."""
    facts = share.project_facts()
    path = share.context.filename or ""
    if facts is None:
        return None
    if facts.bound_once(path, name):
        return ""
    if facts.subclassed(path, klass.name.value):
        return None
    if facts.never_replaced(path, name):
        return ""
    return REPLACED_HAZARD.format(name=name)


#: The unsafe fix of a reference passed to a method some code of the project replaces.
REPLACED_HAZARD = (
    "the project replaces an attribute `{name}` somewhere (a test's patch or a store); a replacement "
    "of this class's method would be handed the shared session's method, not the library function"
)


def _parameter_of(function: cst.FunctionDef, call: cst.Call, arg: cst.Arg) -> Optional[str]:
    """The parameter of the method ``function`` (``self`` bound by the call) that ``arg`` of
    ``call`` binds; None for anything but a plain named parameter."""
    params = function.params
    positional = [*params.posonly_params, *params.params][1:]
    if arg.keyword is not None:
        first = [*params.posonly_params, *params.params][:1]
        for param in [*params.params, *params.kwonly_params]:
            if param.name.value == arg.keyword.value and param not in first:
                return param.name.value
        return None
    index = 0
    for other in call.args:
        if other is arg:
            break
        if other.star or other.keyword is not None:
            return None
        index += 1
    return positional[index].name.value if index < len(positional) else None


def _how(share: Any, used: cst.CSTNode, parent: Optional[cst.CSTNode]) -> str:
    where = ""
    try:
        where = f" at {share.line_ref(used)}"
    except KeyError:
        pass
    if isinstance(parent, cst.Arg):
        return f"passed on{where}"
    if isinstance(parent, (cst.Return, cst.Yield)):
        return f"returned{where}"
    if isinstance(parent, (cst.Assign, cst.AnnAssign, cst.Element, cst.DictElement)):
        return f"stored{where}"
    return f"used other than called{where}"
