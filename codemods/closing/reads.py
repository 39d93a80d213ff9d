"""Which calls on a client return a response whose body is already read (``s.get(u)``, not
``s.get(u, stream=True)``): such a response needs nothing of the client after it returns."""

from __future__ import annotations

from typing import FrozenSet, Optional

import libcst as cst

from .eager import AWAITED_CLIENTS, READ_RESPONSE_METHODS


def reads_response(call: cst.Call, awaited: bool, client_class: Optional[str], roots: FrozenSet[str]) -> bool:
    """``call`` is a request method of the client itself whose response has its body read
    before it is returned (``s.get(u)``, not ``s.get(u, stream=True)``): its result holds
    no reference to anything the client's ``close()`` affects. ``client_class``: the
    target client's class; ``roots``: the names bound to the client itself."""
    func = call.func
    if client_class is None or not isinstance(func, cst.Attribute):
        return False
    if not (isinstance(func.value, cst.Name) and func.value.value in roots):
        return False
    if client_class in AWAITED_CLIENTS and not awaited:
        return False  # a coroutine that holds the client until it is run
    spec = READ_RESPONSE_METHODS.get(client_class, {}).get(func.attr.value)
    if spec is None:
        return False
    name, keeps_read, positional_limit = spec
    if name is None:
        return True
    if any(a.star for a in call.args):
        return False  # ``**kwargs`` may stream it
    if positional_limit is not None and sum(1 for a in call.args if a.keyword is None) >= positional_limit:
        return False
    for a in call.args:
        if a.keyword is None:
            continue
        if a.keyword.value == "release_conn":
            return False
        if a.keyword.value == name:
            return isinstance(a.value, cst.Name) and a.value.value == keeps_read
    return True
