"""Module facts: what the rest of a module does that a shared client would change the
meaning of: run-time patches of the libraries, environment changes, forks (resolved names,
never source text). ``ShareSession``'s target spec keeps these names visible to pruning."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import libcst as cst

from ..imports import dotted


@dataclass
class Facts:
    patched: Dict[str, str] = field(default_factory=dict)  # library -> why
    env: Optional[str] = None  # how the module changes os.environ, if it does
    fork: Optional[str] = None  # what the module forks with, if it does


#: Calls that change the process environment (httpx clients read it when created).
ENV_WRITERS = frozenset(
    {
        "os.putenv",
        "os.unsetenv",
        "os.environ.update",
        "os.environ.setdefault",
        "os.environ.pop",
        "os.environ.popitem",
        "os.environ.clear",
        "os.environ.__setitem__",
        "os.environ.__delitem__",
        "dotenv.load_dotenv",
        "dotenv.main.load_dotenv",
    }
)
#: What starts another process by forking (multiprocessing.* is matched by prefix).
FORKERS = frozenset(
    {
        "os.fork",
        "os.forkpty",
        "concurrent.futures.ProcessPoolExecutor",
        "concurrent.futures.process.ProcessPoolExecutor",
    }
)
#: The library modules themselves (a call that receives one may patch it: setattr, mock.patch.object).
LIBRARY_MODULES = frozenset(
    {
        "requests",
        "requests.api",
        "requests.sessions",
        "requests.adapters",
        "requests.models",
        "httpx",
        "httpx._api",
        "httpx._client",
    }
)


#: Prefixes matched by module (``requests_cache.*``, ``multiprocessing.*``, ``dotenv``).
PATCHING_PACKAGES = frozenset({"requests_cache"})
FORKING_PACKAGES = frozenset({"multiprocessing"})

#: Every qualified name ``module_facts`` consults (a test checks ``WATCHED`` covers them).
CONSULTED = ENV_WRITERS | FORKERS | LIBRARY_MODULES | PATCHING_PACKAGES | FORKING_PACKAGES | {"os.environ"}

#: What pruning must keep visible for these facts: the shortest spellings that cover
#: ``CONSULTED`` (``os.environ`` covers ``os.environ.update``; ``dotenv`` its functions).
WATCHED = frozenset(
    {"os.environ", "os.putenv", "os.unsetenv", "dotenv"} | FORKERS | PATCHING_PACKAGES | FORKING_PACKAGES
)


def library_of(qualified: str) -> Optional[str]:
    for lib in ("requests", "httpx"):
        if qualified == lib or qualified.startswith(lib + "."):
            return lib
    return None


def module_facts(share: Any, module: cst.Module) -> Facts:
    """Run-time patches of the libraries, environment changes and forks, anywhere in the
    module (resolved names, never source text)."""
    facts = Facts()
    names = share.resolver.imported_names

    def store_targets(target: cst.BaseExpression) -> List[cst.BaseExpression]:
        if isinstance(target, (cst.Tuple, cst.List)):
            out: List[cst.BaseExpression] = []
            for el in target.elements:
                out += store_targets(el.value)
            return out
        return [target]

    def assigned(target: cst.BaseExpression) -> None:
        for t in store_targets(target):
            if isinstance(t, cst.Attribute):
                for q in names(t.value):
                    lib = library_of(q)
                    if lib is not None:
                        facts.patched.setdefault(lib, f"the module patches {q}.{t.attr.value} at run time")
            elif isinstance(t, cst.Subscript) and "os.environ" in names(t.value):
                facts.env = facts.env or "os.environ[...] is set"

    kinds = (cst.Assign, cst.AugAssign, cst.AnnAssign, cst.Del, cst.Import, cst.ImportFrom, cst.Call)
    for node in share.nodes_of(module, *kinds):  # source order: the first reason wins
        if isinstance(node, cst.Assign):
            for t in node.targets:
                assigned(t.target)
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
            assigned(node.target)
        elif isinstance(node, cst.Del):
            assigned(node.target)
        elif isinstance(node, (cst.Import, cst.ImportFrom)):
            _import_facts(facts, node)
        elif isinstance(node, cst.Call):
            _call_facts(facts, node, names)
    return facts


def _import_facts(facts: Facts, node: cst.CSTNode) -> None:
    """Importing requests_cache patches requests; multiprocessing and ProcessPoolExecutor fork."""
    if isinstance(node, cst.Import):
        modules = [dotted(a.name) for a in node.names]
    else:
        modules = [dotted(node.module)] if node.module is not None and not node.relative else []
        if modules and modules[0] == "concurrent.futures" and not isinstance(node.names, cst.ImportStar):
            if any(dotted(a.name) == "ProcessPoolExecutor" for a in node.names):
                facts.fork = facts.fork or "ProcessPoolExecutor"
    for m in modules:
        if m.split(".")[0] in PATCHING_PACKAGES:
            facts.patched.setdefault(
                "requests", "the module uses requests_cache, which patches requests.Session at run time"
            )
        if m.split(".")[0] in FORKING_PACKAGES:
            facts.fork = facts.fork or "multiprocessing"


def _call_facts(facts: Facts, node: cst.Call, names: Any) -> None:
    """Calls that patch a library, change the environment or fork; a library module passed
    to a call (``setattr(requests, ...)``, ``mock.patch.object(requests, ...)``)."""
    func = names(node.func)
    for q in func:
        if q.startswith("requests_cache."):
            facts.patched.setdefault("requests", f"the module calls {q}, which patches requests.Session at run time")
        if q in ENV_WRITERS:
            facts.env = facts.env or f"{q}() is called"
        if q in FORKERS or q.startswith("multiprocessing."):
            facts.fork = facts.fork or q
    for arg in node.args:
        for q in names(arg.value):
            if q in LIBRARY_MODULES:
                facts.patched.setdefault(
                    library_of(q) or "requests",
                    f"the module passes the {q} module to a call that may patch it",
                )
