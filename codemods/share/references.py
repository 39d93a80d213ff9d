"""References to a bare function that are only ever called: ``fn = requests.post if p else
requests.get; fn(url)``, ``(requests.put if a else requests.delete)(url)``.

A reference ``requests.<verb>`` (resolved by qualified name, as calls are) whose value flows
only into calls is a target like a call: rewritten in place to ``_session.<verb>``, the bound
method of the shared client, which takes the arguments the function takes. It flows only into
calls when, through the branches of conditional expressions, it is

- the function of a call: ``(requests.put if a else requests.delete)(url)``;
- the value of a local name of a function, assigned there once, whose every use is a call
  (in that function or a nested one): ``fn = requests.get``, then ``fn(url)``.

Its calls are the target's ``uses``: the argument checks (``checks.argument_problem``) look at
each of them. A local assigned more than once or used any other way (passed on, stored,
returned), a module-level or class-level name, several names or an attribute assigned the
reference: reported with that reason. Any other reference (an argument, ``requests.get.__name__``,
``getattr(requests, verb)``) is left alone, as it was. The prefilter (``prefilter.py``) lets
through a file whose library function is a conditional's branch or an assignment's value.
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple, Union

import libcst as cst
from libcst.metadata import ScopeProvider
from libcst.metadata.scope_provider import ClassScope, FunctionScope

from ..calls import HttpCall, MODULE_FUNCTIONS
from ..spec import Kind

#: The last part of every library function's name (a cheap test before resolving).
_VERBS = frozenset(name.rsplit(".", 1)[-1] for name in MODULE_FUNCTIONS)


def references(share: Any, module: cst.Module, make: Any) -> List[Any]:
    """The reference targets of ``module`` (``make(node, info, root, uses)`` builds each);
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
        target = make(node, info, flow)
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


def _flow(share: Any, node: cst.BaseExpression, info: HttpCall) -> Union[None, str, Tuple[cst.Call, ...]]:
    """The calls the reference's value flows into; a reason when it may flow elsewhere;
    ``None``: another kind of reference, left alone."""
    top: cst.CSTNode = node
    parent = share.resolver.parent(node)
    while isinstance(parent, cst.IfExp) and (top is parent.body or top is parent.orelse):
        top, parent = parent, share.resolver.parent(parent)
    what = f"{info.top_module}.{info.name}"
    if isinstance(parent, cst.Call) and parent.func is top and top is not node:
        return (parent,)
    if isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is top:
        targets = [t.target for t in parent.targets] if isinstance(parent, cst.Assign) else [parent.target]
        if len(targets) != 1 or not isinstance(targets[0], cst.Name):
            return f"a reference to {what} stored in something other than a local name: its calls cannot be followed"
        return _local_uses(share, targets[0], what)
    return None


def _local_uses(share: Any, name: cst.Name, what: str) -> Union[None, str, Tuple[cst.Call, ...]]:
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
    if len(scope.assignments[name.value]) != 1:
        return f"{name.value} (a reference to {what}) is assigned more than once: cannot tell which calls use it"
    uses: List[cst.Call] = []
    for access in sorted(mine[0].references, key=lambda a: share.position(a.node)):
        used = access.node
        parent = share.resolver.parent(used)
        if isinstance(parent, cst.Call) and parent.func is used:
            uses.append(parent)
            continue
        return f"{name.value} (a reference to {what}) is {_how(share, used, parent)}: its calls cannot be followed"
    return tuple(uses) or None


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
