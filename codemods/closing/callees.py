"""Calls: a tainted value passed to a call that may keep it (or raise it), and the calls known
to keep nothing (eager builtins, wrappers whose result the taint follows, consumer methods, the
object's own methods, module helpers whose summary keeps nothing).

A value passed to a function or method nothing is known about is, for a response (or a client
passed to another module's function), in practice read there: the fix is then unsafe, with a
hazard, instead of reported.
"""

from __future__ import annotations

from typing import Any, Set, Tuple

import libcst as cst

from .eager import (
    CONSUMER_METHODS,
    EAGER_FUNCTIONS,
    LOADING_METHODS,
    RAISING_METHODS,
    RETAINING_FUNCTIONS,
    RETAINING_METHODS,
    WRAPPING_FUNCTIONS,
)
from .model import MetadataView, Unsafe


class CallCheck(MetadataView):
    """Call escapes for one target, over its ``taint`` (``taint.Taint``). ``hazard`` and
    ``hazard_reason``: set by the first unknown call that in practice reads the object."""

    def __init__(self, codemod: Any, taint: Any) -> None:
        super().__init__(codemod)
        self.taint = taint
        self.hazard = ""
        #: the unknown calls whose results hold the client (every one named in the hazard)
        self._holders: list = []
        self.hazard_reason = ""
        #: ``EscapeAnalysis.holds_in_result``: the ``self`` of a holder class's method, whose
        #: own methods are read by the summaries (not known to keep nothing).
        self.holder = ""
        self._live: Set[str] = set()
        #: ``stack.py``'s retry: ``r.raise_for_status()`` is an unsafe fix, not an escape; the
        #: (hazard, reason) of the first one, or ().
        self.status_raises = False
        self.status_hazard: Tuple[str, ...] = ()

    def _loaded_at_once(self, sub: cst.Call) -> bool:
        """``Image.open(r.raw).convert("RGB")``: a lazy reader (``eager.LOADING_METHODS``)
        whose result is at once read in full by a method returning a new object; the reader
        itself is a temporary no one else can reach, so it keeps nothing."""
        names = self.taint.qualified(sub.func) & LOADING_METHODS.keys()
        if not names:
            return False
        method = self._parent(sub)
        call = self._parent(method)
        return (
            isinstance(method, cst.Attribute)
            and method.value is sub
            and isinstance(call, cst.Call)
            and call.func is method
            and any(method.attr.value in LOADING_METHODS[name] for name in names)
        )

    def check(self, sub: cst.Call, live: Set[str], noun: str) -> None:
        """A tainted value passed to a call that may keep it (or raise it)."""
        if (
            noun == "response"
            and isinstance(sub.func, cst.Attribute)
            and sub.func.attr.value in RAISING_METHODS
            and not self.taint.eager(sub.func.value, live)
        ):
            reason = (
                f"`.{sub.func.attr.value}()` at {self.codemod.line_ref(sub)} raises an exception "
                f"that carries the {noun} out of the with block, closed; close it by hand"
            )
            if not self.status_raises:
                raise Unsafe(reason, exiting=True)
            if not self.status_hazard:
                self.status_hazard = (
                    f"the HTTPError of `.{sub.func.attr.value}()` keeps the {noun}, closed once the exception leaves the with block; safe unless a handler reads "
                    "its body (its status and headers stay readable)",
                    reason,
                )
            return
        tainted_args = [
            a for a in sub.args if self.taint.mentions(a.value, live) and not self.taint.eager(a.value, live)
        ]
        if not tainted_args:
            return
        func = sub.func
        if self._loaded_at_once(sub):
            return
        if isinstance(func, cst.Attribute) and func.attr.value in RETAINING_METHODS:
            where = ""
            if func.attr.value == "setattr" and len(sub.args) >= 2:
                # ``monkeypatch.setattr(sandbox._server, "_client", client)``: the object keeps it
                holder = self.codemod.module.code_for_node(sub.args[0].value)
                if len(holder) <= 60 and "\n" not in holder:
                    where = f" (on `{holder}`): close it where that object is closed"
            raise Unsafe(f"the {noun} is stored by `.{func.attr.value}()` at {self.codemod.line_ref(sub)}{where}")
        if self.taint.qualified(func) & RETAINING_FUNCTIONS:
            raise Unsafe(
                f"the {noun} is passed to `{self.codemod.module.code_for_node(func)}` at "
                f"{self.codemod.line_ref(sub)}, which may keep it"
            )
        helpers = self.taint.helpers
        if helpers is not None and (
            helpers.keeps_nothing(self.taint, sub, live, isinstance(self._parent(sub), cst.Await))
            or helpers.yields_data(self.taint, sub, live)  # the taint follows the generator it makes
        ):
            self._dispatch_hazard(func, sub, noun, "nothing of it")
            return
        if helpers is not None and helpers.holds_in_result(
            self.taint, sub, live, isinstance(self._parent(sub), cst.Await)
        ):
            # ``Api(session=s)``, ``make_api(s)``, ``content(r, iterator=False)`` returning
            # ``r.iter_content()`` on another path: only the result holds it, and the taint
            # follows the result (it is not eager), to the end of the block (a result dropped
            # at once holds it nowhere).
            self._dispatch_hazard(func, sub, noun, "it only in what it returns")
            return
        if not self._known_consumer(func, live):
            self._live = live
            self._unknown_call(sub, noun)

    def _dispatch_hazard(self, func: cst.BaseExpression, sub: cst.Call, noun: str, keeps: str) -> None:
        """A callee whose summary keeps ``keeps`` of the object, but which a subclass may
        override (``dispatch_hazard``): the first such call makes the fix unsafe."""
        hazard = self.taint.helpers.dispatch_hazard(func)
        if hazard and not self.hazard:
            name = self.codemod.module.code_for_node(func)
            self.hazard = hazard
            self.hazard_reason = (
                f"the {noun} is passed to `{name}` at {self.codemod.line_ref(sub)}, which keeps {keeps}, but {hazard}"
            )

    def _unknown_call(self, call: cst.Call, noun: str) -> None:
        """A tainted value passed to a call nothing is known about. A response (or client)
        passed to a function or method (not a class: a constructor keeps what it is given) is
        in practice read there (``check(resp)``, ``log_status(resp)``, ``fetch_all(s, urls)``):
        an unsafe fix, whose hazard is that the callee keeps it; anything else is reported. A
        client passed to a constructor (``Transport(session=s)``) or to a function whose result
        is bound (``api = make_api(s)``) is held by that result, which the taint follows to
        the end of the block: an unsafe fix too, whose hazard is that the callee keeps it
        somewhere else as well. A function or class of the module whose summary shows it may
        keep it is reported."""
        text = self.codemod.module.code_for_node(call.func)
        name = text if len(text) <= 60 and "\n" not in text else "a call"
        reason = (
            f"the {noun} (or something reading from it) is passed to `{name}` at "
            f"{self.codemod.line_ref(call)}, which may keep it and use it after the with block"
        )
        helpers = self.taint.helpers
        why = helpers.why_keeps(self.taint, call, self._live) if helpers is not None else ""
        if not why and helpers is not None and helpers.follow_imports:
            from .foreign import unread

            why = unread(self.codemod, call.func)
        if why:
            reason = f"{reason} ({why.rstrip('.')})"
        last = call.func.attr if isinstance(call.func, cst.Attribute) else call.func
        constructor = isinstance(last, cst.Name) and last.value[:1].isupper()
        bound = isinstance(self._parent(call), cst.Assign)
        if (
            self._read_in_practice(call, noun)
            and isinstance(last, cst.Name)
            and (noun == "client" or not constructor or bound)
        ):
            # A response handed to a constructor whose result is bound (``client =
            # sseclient.SSEClient(r.iter_content())``): that object holds it, as a client's
            # ``Transport(session=s)`` does, and the taint follows it to the end of the block.
            holder = (noun == "client" and (constructor or bound)) or (noun == "response" and constructor)
            if holder and (not self.hazard or self._holders) and name not in self._holders:
                # ``Transport(session=s)``, ``api = make_api(s)``: the result the taint follows
                # holds the client (or response); anything else the callee keeps is unknown. Every such call
                # is named (``Transport``, then ``Client(transport=transport)``).
                self._holders.append(name)
                names = ", ".join(f"`{n}`" for n in self._holders)
                if len(self._holders) == 1:
                    self.hazard_reason = reason
                    self.hazard = (
                        f"{names} keeps the {noun}; safe if it keeps it only on the object it returns "
                        "(not in a global or cache)"
                    )
                else:
                    self.hazard = (
                        f"{names} keep the {noun} (or what holds it); safe if each keeps it only on the "
                        "object it returns (not in a global or cache)"
                    )
                return
            if not self.hazard and not holder:
                self.hazard = f"`{name}` may keep the {noun} and read it after the with block closed it"
                self.hazard_reason = reason
            return
        exc = Unsafe(reason)
        exc.unknown = True  # type: ignore[attr-defined]  # not a known escape (``definitely_keeps``)
        raise exc

    def _read_in_practice(self, call: cst.Call, noun: str) -> bool:
        """A response passed to a function or method is in practice read there; a client too
        (``fetch_all(s, urls)`` makes its requests), unless the callee is a function of this
        module, whose summary has just shown that it may keep it."""
        if noun == "response":
            return True
        helpers = self.taint.helpers
        if noun != "client" or helpers is None:
            return noun == "client"
        return not helpers.definitely_keeps(self.taint, call, self._live, isinstance(self._parent(call), cst.Await))

    def _known_consumer(self, func: cst.BaseExpression, live: Set[str]) -> bool:
        """A call known to keep nothing it is given beyond its result (which the taint follows):
        eager builtins and functions, wrappers like ``io.TextIOWrapper``, consumer methods
        (``f.write``, ``logger.info``) and methods of the tainted object itself."""
        if self.taint.qualified(func) & (EAGER_FUNCTIONS | WRAPPING_FUNCTIONS):
            return True
        if isinstance(func, cst.Attribute):
            if func.attr.value in CONSUMER_METHODS:
                return True
            receiver = func.value
            while isinstance(receiver, cst.Attribute):
                receiver = receiver.value
            if self.taint.is_tainted_name(receiver, live):
                # ``self.m(s)`` in a holder class: a method of its own, which may keep ``s``.
                return not (self.holder and isinstance(receiver, cst.Name) and receiver.value == self.holder)
            if isinstance(func.value, cst.Call) and self.taint.mentions(func.value, live):
                return self._known_consumer(func.value.func, live)
        return False
