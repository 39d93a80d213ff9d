"""Clients a module imports from its package's generated client module: what share-session's
``package`` strategy left behind (``from ._http_client import session as _session``).

After the rewrite ``_session.post(url, stream=True)`` is a call on a known ``requests.Session``,
exactly as after ``_session = requests.Session()`` at module level: the closing codemods and
add-timeout must go on seeing it in the next runs. A name is such a client only when the import
resolves, relatively or absolutely, to a ``.py`` file of the importing module's own top-level
package (no package directory of that name shadows it) that is ours (its docstring starts with
``package_client.MARKER``) and binds the exported name (``package_client.EXPORTS``) exactly once,
at module level, to the library's client constructor (``session = requests.Session()``,
``client = httpx.Client(...)``), the library itself bound once, by ``import <library>``. A module
a person edited keeps its clients trusted while that holds; one without the marker, or that
rebinds a name anywhere (an assignment, a ``def``, an import, a ``global``...), is not trusted for
that name.

Read in the worker from the file system (the client module is small; at most ``MAX_BYTES``), only
for files whose bytes import such a module (``prefilter.imports_generated``). The cached result of
the importing file depends on the client module's bytes: the results cache key holds their digest
(``_key_part``, registered with ``cache.add_key_part``).
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Tuple

from ..call_names import DROP_INS
from ..prefilter import GENERATED_WORD, imports_generated
from .package_client import EXPORTS, MARKER, MODULE_BASE

#: Client modules larger than this are not read (a generated one is a dozen lines).
MAX_BYTES = 64 * 1024
_MODULE_NAME = re.compile(re.escape(MODULE_BASE) + r"(?:_\d+)?\Z")
#: exported name -> (library module, client class): ``session`` -> (requests, requests.Session).
_CLIENTS = {
    name: (module, "requests.Session" if DROP_INS.get(module, module) == "requests" else "httpx.Client")
    for module, name in EXPORTS.items()
}
_CONSTRUCTOR = {"requests.Session": "Session", "httpx.Client": "Client"}


@dataclass(frozen=True)
class SharedImport:
    """``from <module> import <name> as <local>``, ``<name>`` a trusted client: ``module`` as the
    import spells it (``._http_client``, ``pkg._http_client``)."""

    module: str
    name: str
    local: str
    client_class: str
    library: str
    #: The client module's dotted name (``pkg._http_client``): where tests patch the client.
    absolute: str = ""


def shared_imports(data: bytes, path: str) -> Tuple[SharedImport, ...]:
    """The trusted clients the file at ``path`` (bytes ``data``) imports from generated client
    modules; empty for a file that imports none (the usual case: a substring test)."""
    found: List[SharedImport] = []
    for node, target in _generated_imports(data, path):
        exports = _trusted(target) if target is not None else {}
        for alias in node.names:
            client = exports.get(alias.name)
            if client is not None and target is not None:
                module = "." * node.level + (node.module or "")
                absolute = _dotted(target)
                found.append(SharedImport(module, alias.name, alias.asname or alias.name, *client, absolute))
    return tuple(found)


def _dotted(target: str) -> str:
    """The dotted module name of ``target`` (a ``.py`` file inside its top-level package)."""
    top = _top_package(os.path.dirname(target)) or os.path.dirname(target)
    relative = os.path.relpath(target[: -len(".py")], os.path.dirname(top))
    return ".".join(relative.split(os.sep))


def _generated_imports(data: bytes, path: str) -> Iterator[Tuple[ast.ImportFrom, Optional[str]]]:
    """Each ``from <generated module> import ...`` of the file, and the real path of the file it
    resolves to inside the file's top-level package (``None``: it resolves to none)."""
    if not path or path == "-" or not imports_generated(data):
        return
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return
    real = os.path.realpath(os.path.abspath(path))
    top = _top_package(os.path.dirname(real))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and _MODULE_NAME.match(node.module.rsplit(".", 1)[-1]):
            yield node, (_resolve(real, top, node.level, node.module) if top is not None else None)


def _top_package(directory: str) -> Optional[str]:
    top = None
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        top = directory
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return top


def _resolve(real: str, top: str, level: int, module: str) -> Optional[str]:
    parts = module.split(".")
    if level:
        base = os.path.dirname(real)
        for _ in range(level - 1):
            base = os.path.dirname(base)
    else:
        if parts[0] != os.path.basename(top):
            return None
        base = os.path.dirname(top)
    stem = os.path.join(base, *parts)
    target = os.path.realpath(stem + ".py")
    if os.path.isdir(stem) or not target.startswith(top.rstrip(os.sep) + os.sep) or not os.path.isfile(target):
        return None
    return target


#: real path -> (bytes, trusted exports): the last reading of each client module.
_MEMO: Dict[str, Tuple[bytes, Dict[str, Tuple[str, str]]]] = {}


def _read(target: str) -> Optional[bytes]:
    try:
        with open(target, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError:
        return None
    return data if len(data) <= MAX_BYTES else None


def _trusted(target: str) -> Dict[str, Tuple[str, str]]:
    """exported name -> (client class, library module) of the clients the module trusts."""
    data = _read(target)
    if data is None:
        return {}
    memo = _MEMO.get(target)
    if memo is not None and memo[0] == data:
        return memo[1]
    found = trusted_exports(data)
    if len(_MEMO) > 64:
        _MEMO.clear()
    _MEMO[target] = (data, found)
    return found


def trusted_exports(data: bytes) -> Dict[str, Tuple[str, str]]:
    """exported name -> (client class, library module) for the clients a client module's
    source defines as generated (see the module docstring); empty when it is not ours."""
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    if not (ast.get_docstring(tree) or "").startswith(MARKER):
        return {}
    counts = _binding_counts(tree)
    if counts is None:
        return {}
    imported = {
        alias.name
        for node in tree.body
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.asname is None and "." not in alias.name
    }
    out: Dict[str, Tuple[str, str]] = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            continue
        name = node.targets[0].id
        if name not in _CLIENTS or counts.get(name) != 1:
            continue
        library, cls = _CLIENTS[name]
        call = node.value
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == _CONSTRUCTOR[cls]
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id == library
            and library in imported
            and counts.get(library) == 1
        ):
            out[name] = (cls, library)
    return out


def _binding_counts(tree: ast.Module) -> Optional[Dict[str, int]]:
    """How many times each name is bound anywhere in the module (``None``: a star import, which
    may bind anything)."""
    counts: Dict[str, int] = {}

    def bind(name: Optional[str]) -> None:
        if name:
            counts[name] = counts.get(name, 0) + 1

    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bind(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bind(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    return None
                bind(alias.asname or alias.name.split(".", 1)[0])
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                bind(name)
        elif isinstance(node, ast.ExceptHandler):
            bind(node.name)
        elif type(node).__name__ in ("MatchAs", "MatchStar"):
            bind(getattr(node, "name", None))
        elif type(node).__name__ == "MatchMapping":
            bind(getattr(node, "rest", None))
    return counts


def _key_part(path: str, data: bytes) -> Optional[List[Tuple[str, str]]]:
    """What a result owes to the client modules the file imports: (real path, SHA-256 or
    ``absent``) of each; ``None`` for a file that imports none."""
    if GENERATED_WORD not in data:
        return None
    out = []
    for node, target in _generated_imports(data, path):
        spelled = "." * node.level + (node.module or "")
        if target is None:
            out.append((spelled, "unresolved"))
            continue
        found = _read(target)
        out.append((target, hashlib.sha256(found).hexdigest() if found is not None else "absent"))
    return out or None


def _register() -> None:
    from .. import cache

    cache.add_key_part(_key_part)


_register()
