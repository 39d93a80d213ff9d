"""``share-session``: route bare ``requests.get(...)`` / ``httpx.get(...)`` calls through one
shared, cookie-isolated client, so connections are reused instead of opened per call.

``requests.get(url)`` builds a ``Session``, sends one request and closes the session (and its
connection pool) again; ``httpx.get(url)`` does the same with a ``Client``. Three strategies:

- ``module`` (default): one module-level client, created right after the imports, used by every
  target of the module;
- ``function``: in each function with two or more targets (or one in a loop), the statements from
  the first to the last target run inside ``with requests.Session() as session:``;
- ``--client MODULE:NAME``: the user's own shared client (its library given by
  ``--client-library``).

What a bare call does that a client method would not do the same way (checked in the installed
sources of requests 2.34 and httpx 0.28, see README):

- requests: ``requests.<verb>`` is ``with Session() as s: return s.request(...)``, so a shared
  session behaves the same per request except that it keeps cookies between calls (we give it a
  cookie policy that stores none) and reuses pooled connections. ``verify``/``cert`` are reported:
  before requests 2.32 a pooled connection made with ``verify=False`` was reused by later
  verifying requests to the same host (CVE-2024-35195). ``**kwargs`` may hold them: reported.
  ``requests.get(url, params)`` has ``params`` positional, which ``Session.get`` only has since
  2.32: it is passed as ``params=`` instead.
- httpx: ``httpx.<verb>`` passes ``cookies``, ``proxy``, ``verify``, ``timeout`` and ``trust_env``
  to the ``Client`` it creates. ``Client.<verb>`` has no ``proxy``/``verify``/``trust_env``/``cert``
  and deprecates per-request ``cookies``: such calls are reported. ``timeout`` is accepted per
  request with the same meaning. httpx sends cookies on a redirect from the client's jar only,
  so with an isolated jar a redirect that sets a cookie would not carry it on: calls that may
  follow redirects are reported unless ``--keep-cookies``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

import libcst as cst

from . import catalog
from .base import HttpCodemod
from .spec import HTTP_LIBRARIES, Kind, TargetSpec
from .facts import CallSite, ProjectFacts, lower_bound_at_least, version_specifier
from .imports import ModuleImports, dotted
from .share.checks import argument_problem, binding_problem
from .share.facts import CONSULTED, WATCHED, module_facts
from .share.function_scope import plan_function
from .share import mockpatch
from .share.mockpatch import plan_marker
from .call_names import DROP_INS
from .sites import MOVE_HINT
from .share.module_scope import plan_module
from .share.package_scope import plan_package
from .share.guarded import Guard, find_guard
from .share.rewrite import (
    SharePlan,
    insert_local_imports,
    insert_module_block,
    route_call,
    route_reference,
    wrap_function_body,
)
from .share.targets import ShareTarget, collect
from .share.user_client import plan_client
from .share.docs import DOCS

#: The hazard of routing calls through a module-level client in a module that forks.
FORK_HAZARD = "a process forked after the client's first use shares its pooled connections with the parent"


@dataclass(frozen=True)
class Hazard:
    """A check's finding that is right to fix in the usual case: an unsafe fix."""

    reason: str
    hazard: str


def _both(first: Union[None, str, Hazard], second: Union[None, str, Hazard]) -> Union[None, str, Hazard]:
    """The finding of two checks: a plain problem wins, two hazards are one unsafe fix."""
    if first is None or isinstance(second, str):
        return second
    if not isinstance(second, Hazard):
        return first
    assert isinstance(first, Hazard)
    reason = "; ".join(r for r in (first.reason, second.reason) if r)
    return Hazard(reason, f"{first.hazard}; {second.hazard}")


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CLIENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$")


INFO = catalog.SHARE_SESSION


class ShareSession(HttpCodemod):
    DOCS = DOCS
    NAME = INFO.name
    #: ``share/facts.py`` looks for patches, environment changes and forks module-wide.
    TARGETS = TargetSpec(
        kinds=frozenset({Kind.FUNCTION, Kind.STAR}),
        module_wide=HTTP_LIBRARIES | WATCHED,
        consulted=CONSULTED,
    )
    MODULE_WIDE = TARGETS.module_wide
    DESCRIPTION = INFO.description
    WHY = INFO.why
    FIX = INFO.fix
    DEFAULT = INFO.default
    OPTIONS = INFO.options

    def __init__(self, context: Any, **options: Any) -> None:
        super().__init__(context, **options)
        scope = self.options["session-scope"]
        if scope not in ("package", "module", "function"):
            raise ValueError(f"session-scope must be package, module or function, not {scope!r}")
        name = self.options["session-name"] or ""
        if name and (not _IDENTIFIER.match(name) or name.startswith("__")):
            raise ValueError(f"invalid session-name {name!r}: expected an identifier not starting with __")
        client = self.options["client"] or ""
        if client and not _CLIENT.match(client):
            raise ValueError(f"invalid client {client!r}: expected MODULE:NAME, e.g. myapp.http:session")
        if self.options["client-library"] not in ("requests", "httpx", "niquests", "httpx2"):
            raise ValueError("client-library must be requests, httpx, niquests or httpx2")
        given = self.options["requests-version"] or ""
        self.requests_version = version_specifier(given) if given else ""  # ValueError names the option
        keep = self.options["keep-cookies"]
        if isinstance(keep, str):
            keep = keep.strip().lower() in ("1", "true", "yes", "on")
        self.keep_cookies = bool(keep)
        self.plan = SharePlan()
        self.hazards: Dict[cst.CSTNode, str] = {}
        self.pending: List[Tuple[ShareTarget, Hazard]] = []
        #: (package client module path, library) this file's rewrite imports from (``generated.py``)
        self.requires: List[Tuple[str, str]] = []
        self.routes: Dict[cst.CSTNode, str] = {}

    def changed_nodes(self) -> Optional[Iterable[cst.CSTNode]]:
        return list(self.plan.rewrites) + list(self.plan.functions)

    # -- analysis: targets, module facts, one strategy ------------------------------------

    def visit_Module(self, node: cst.Module) -> bool:
        self.plan = SharePlan()  # libcst's runner reuses one instance for every file
        self.hazards: Dict[cst.CSTNode, str] = {}  # target call -> the hazard of its unsafe fix
        self.pending: List[Tuple[ShareTarget, Hazard]] = []  # unsafe fixes not applied
        self.requires = []
        self.routes: Dict[cst.CSTNode, str] = {}  # target call -> the package client module it uses
        self.module_node = node
        self.imports = ModuleImports(self, node)
        self._guards: Dict[Tuple[str, str], Optional[Guard]] = {}
        targets = collect(self, node)
        if not targets:
            return True
        self.imports.has_star = any(isinstance(n.names, cst.ImportStar) for n in self.nodes_of(node, cst.ImportFrom))
        self.facts = module_facts(self, node)
        if self.options["client"]:
            plan_client(self, node, targets)
        elif self.options["session-scope"] == "function":
            plan_function(self, node, targets)
        elif self.options["session-scope"] == "package":
            plan_package(self, node, targets)
        else:
            plan_module(self, node, targets)
        return True

    def eligible(self, targets: List[ShareTarget], extra=None) -> List[ShareTarget]:
        """The targets no check objects to (``extra``: the strategy's own); the others are
        reported."""
        ok = []
        for target in targets:
            problem = (
                argument_problem(self, target)
                or binding_problem(self, target)
                or self.patch_problem(target)
                or self.project_problem(target)
            )
            if target.hazard and (problem is None or isinstance(problem, Hazard)):
                problem = _both(problem, Hazard("", target.hazard))
            if extra is not None and (problem is None or isinstance(problem, Hazard)):
                # Both unsafe (a mocked call in a module that forks): one fix, both hazards.
                problem = _both(problem, extra(target))
            if isinstance(problem, Hazard):
                # Right in the usual case: an unsafe fix, applied with --unsafe-fixes; without
                # it the strategy reports it (``pending``) once it knows it could apply it.
                if self.unsafe_fixes:
                    self.hazards[target.call] = problem.hazard
                    ok.append(target)
                else:
                    self.pending.append((target, problem))
            elif problem is not None:
                self.report(target.call, problem)
            else:
                ok.append(target)
        return ok

    def patch_problem(self, target: ShareTarget) -> Optional[str]:
        why = self.facts.patched.get(target.found.library)
        if why is None:
            return None
        return (
            f"{why}: a shared client would bypass the patch (tests that mock.patch "
            f"{target.found.library}.{target.found.name} would no longer intercept the call)"
        )

    def project_facts(self) -> Optional[ProjectFacts]:
        facts = self.file.facts
        return facts if isinstance(facts, ProjectFacts) else None

    def project_problem(self, target: ShareTarget) -> Union[None, str, Hazard]:
        """What other files of the project know about this call (``codemods/facts/``): a
        test's mock of it, a run-time swap or ``requests_cache`` installed elsewhere."""
        facts = self.project_facts()
        if facts is None:
            return None
        scope = "client" if self.options["client"] else self.options["session-scope"]
        if scope == "package":
            scope = "module"  # a client made at import, as a module's own
        site = CallSite(
            path=self.context.filename or "",
            library=target.found.library,
            verb=target.found.name,
            qualified=tuple(sorted(self.resolver.imported_names(target.func))),
            chain=tuple(dotted(target.func).split(".")),
            scope=scope,
        )
        drop_in = target.found.top_module in DROP_INS  # niquests: no patch moves for its call
        problem = self.moved_mock(facts, site, facts.problem_for(self.NAME, site), drop_in=drop_in)
        cleared = facts.env_hazard(site)
        if cleared is not None and (problem is None or isinstance(problem, Hazard)):
            problem = _both(problem, Hazard(*cleared))
        return problem

    def moved_mock(
        self, facts: ProjectFacts, site: CallSite, problem: Optional[str], drop_in: bool = False
    ) -> Union[None, str, Hazard]:
        """A call whose tests' patches the run can move onto the package's shared session
        (``share/mockpatch.py``): an unsafe fix, as another library's call of the verb made
        while the test runs is no longer intercepted. Moved (``--unsafe-fixes``): the
        patches no longer forbid the rewrite, which carries the hazard; not moved: reported,
        "fixable with --unsafe-fixes", when every patch that covers the call can move.
        ``drop_in``: the call is a drop-in's (``niquests.get``), for which the planning run
        moves no patch (its marker names the drop-in): no ``MOVE_HINT``."""
        transfers = facts.transfers
        if transfers is not None and transfers.possible and problem is not None:
            if drop_in:
                return problem
            covering = [patch for patch, _ in facts.covering_patches(site)]
            if covering and all(patch in transfers.possible for patch in covering):
                return f"{problem}; {MOVE_HINT}"
            return problem
        if transfers is None or transfers.planning or not transfers.offered:
            return problem
        covering = [patch for patch, _ in facts.covering_patches(site)]
        offered = [patch for patch in covering if transfers.new_target(patch) is not None]
        if not offered:
            return problem
        danger = mockpatch.hazard(f"{site.library}.{site.verb}")
        if transfers.moved:
            return problem if problem is not None else Hazard("", danger)
        if problem is None or len(offered) != len(covering):
            return problem
        new = transfers.new_target(offered[0])
        return Hazard(f"{problem}; the test's patch can move to {new} with every call it intercepts", danger)

    def requests_tls_fixed(self) -> bool:
        """Whether the project runs requests >= 2.32 (not exposed to CVE-2024-35195): as the
        ``requests-version`` option says, else as every declaration nearest the file says."""
        if self.requests_version:
            return lower_bound_at_least(self.requests_version, "2.32")
        facts = self.project_facts()
        return facts is not None and facts.requires_at_least(self.context.filename or "", "requests", "2.32")

    def env_problem(self, target: ShareTarget) -> Optional[str]:
        if target.found.library != "httpx" or self.facts.env is None:
            return None
        return (
            f"the module changes the environment ({self.facts.env}): an httpx client reads proxy "
            "and SSL variables when it is created, a bare call when it runs"
        )

    def guard_of(self, lib: str, name: str) -> Optional[Guard]:
        """The ``try`` that imports optional ``lib`` as ``name``, when this run's strategy can
        put the client inside it (module and package scope: a client at module level)."""
        if self.options["client"] or self.options["session-scope"] == "function":
            return None
        key = (lib, name)
        if key not in self._guards:
            guard = find_guard(self, self.module_node, lib)
            self._guards[key] = guard if guard is not None and guard.ref == name else None
        return self._guards[key]

    def module_problem(self, target: ShareTarget) -> Union[None, str, Hazard]:
        problem = self.env_problem(target)
        if problem is None and self.facts.fork is not None:
            # Most such modules start their processes before any request, or not by fork
            # (spawn, forkserver: the default on macOS, Windows and, from Python 3.14, Linux).
            return Hazard(
                f"the module uses {self.facts.fork}: a process forked after the shared client's "
                "first use would share its connections (or use --session-scope function)",
                FORK_HAZARD,
            )
        return problem

    def schedule(self, target: ShareTarget, receiver: str) -> None:
        # The import behind the call's name is kept even when nothing uses it any more: a
        # module-level name is public (``from compat import get`` in another module).
        self.plan.rewrites[target.call] = (receiver, target.found.name, target.found.library)
        message = f"routed through the shared client {receiver}"
        facts = self.project_facts()
        if facts is not None and facts.transfers is not None and facts.transfers.planning:
            # Where the call goes, for the run's plan of the tests' patches (share/mockpatch.py);
            # its module, not its API: a patch of requests.get never intercepted niquests.get
            # (nor ``import niquests as requests``), whose client is another (niquests_session).
            message += plan_marker(self.routes.get(target.call, ""), target.found.top_module, target.found.name)
        self.fixed(target.call, message, self.hazards.get(target.call, ""))

    # -- rewriting -----------------------------------------------------------------------

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        planned = self.plan.rewrites.get(original_node)
        return updated_node if planned is None else route_call(updated_node, planned)

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        planned = self.plan.rewrites.get(original_node)
        return updated_node if planned is None else route_reference(updated_node, planned)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        planned = self.plan.rewrites.get(original_node)
        return updated_node if planned is None else route_reference(updated_node, planned)

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        planned = self.plan.functions.get(original_node)
        return updated_node if planned is None else wrap_function_body(updated_node, planned)

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        return insert_local_imports(original_node, updated_node, self.plan)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        return insert_module_block(updated_node, self.plan)
