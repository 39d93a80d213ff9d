"""Summaries of another module's functions: ``from .utils import read_all; read_all(r)`` and
``from pkg import utils; utils.read_all(r)``, where the module is a file of the project.

Which module an import names is settled by the project facts (``facts.graph.ImportGraph``): the
file must be one the importing file's own import statements run (``imported``), and, for an
absolute name, the only file of the project imported by that name; a relative import is
resolved from the importing file's directory. Without the project facts nothing is read. Nothing
in the project may replace the function from outside its module (``ProjectFacts.never_replaced``:
no attribute store of its name, no ``setattr`` or mock naming it); a method of the same name in
some class binds another name and does not count.

The other module is parsed with libcst in the worker (once per process and per content: a
small cache keyed by its real path and bytes) and its function is summarised by that module's
own ``HelperSummaries``, as the same codemod sees it: a plain ``def`` at module level, bound
once there, whose parameter keeps nothing. Its summary reads only its own module: a call it
makes into a third module is an escape (no chains across modules, so no cycles).

A class of another module is read the same way (``imported_class``: ``from .transports
import Transport``, bound once there, never replaced from outside): whether its instance is all that
holds a client it is given is for that module's summaries (``summaries.holder_init``), and a
method of that instance gives plain data when its ``self`` keeps nothing.

A method a class inherits from the standard library (``self.copyfile(r, out)`` in a subclass
of ``http.server.SimpleHTTPRequestHandler``) is read from what the library does with it,
written out in ``LIBRARY_METHODS`` and parsed like another module (``library_method``).

The cached result of the importing file depends on the other file's bytes: the results cache
key holds them (``ProjectFacts.file_key``: the digest of every file ``imported`` gives).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any, Dict, Optional, Tuple

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.metadata import MetadataWrapper, ScopeProvider
from libcst.metadata.scope_provider import ImportAssignment

from ..base import FILE_KEY, FileContext
from ..tree import LazyMetadata

#: Files larger than this are not read (a summary is not worth parsing a huge module).
MAX_BYTES = 1 << 20
#: Modules kept parsed per process.
_CACHE_SIZE = 16
_CACHE: "OrderedDict[Tuple[str, bytes, Any, int], Optional[Any]]" = OrderedDict()


def imported_function(codemod: Any, func: cst.BaseExpression) -> Optional[Tuple[cst.FunctionDef, Any]]:
    """(the ``def`` of another module of the project that ``func`` calls, that module's
    ``HelperSummaries``), or None."""
    found = _imported(codemod, func)
    if found is None:
        return None
    other, name = found
    function = other.function(name)
    return (function, other.summaries) if function is not None else None


def imported_class(codemod: Any, func: cst.BaseExpression) -> Optional[Tuple[cst.ClassDef, Any]]:
    """(the ``class`` at module level of another module of the project that ``func`` names,
    bound once there, that module's ``HelperSummaries``), or None: ``Transport(session=s)``
    after ``from .transports import Transport``. Whether its instance holds what it is given
    is for ``summaries.holder_init`` and the summaries of that module to say."""
    found = _imported(codemod, func)
    if found is None:
        return None
    other, name = found
    klass = other.klass(name)
    return (klass, other.summaries) if klass is not None else None


def unread(codemod: Any, func: cst.BaseExpression) -> str:
    """Why the function ``func`` names, a module-level ``def`` of another module of the
    project, is not read: the project may replace it (``ProjectFacts.never_replaced``; "" for
    anything else), for the report."""
    found = _imported(codemod, func, any_binding=True)
    if found is None or found[0].function(found[1]) is None:
        return ""
    if codemod.file.facts.never_replaced(codemod.context.filename, found[1]):
        return ""
    return (
        f"`{found[1]}` of {found[0].path} is not read: the project may replace it (an attribute "
        "store of that name, a `setattr` or a mock naming it)"
    )


def _imported(
    codemod: Any, func: cst.BaseExpression, any_binding: bool = False
) -> Optional[Tuple["_OtherModule", str]]:
    """(the parsed other module of the project that ``func`` reads a name of, the name);
    ``any_binding``: also when the project may replace it (``ProjectFacts.never_replaced``)."""
    facts = codemod.file.facts
    filename = codemod.context.filename
    if facts is None or not filename or not hasattr(facts, "_graph"):
        return None
    found = _module_and_name(codemod, func)
    if found is None:
        return None
    module, level, name = found
    if not any_binding and not facts.never_replaced(filename, name):
        return None  # ``mod.name = ...``, ``setattr(mod, "name", ...)``, ``patch("pkg.mod.name")``
    real = os.path.realpath(os.path.abspath(filename))
    graph = facts._graph()[0]
    project = graph.project_of(real)
    if not project:
        return None
    target = _resolve(graph, project, real, module, level)
    if target is None or target == real or target not in graph.imported(real):
        return None
    other = _other_module(codemod, target, facts)
    return (other, name) if other is not None else None


def _module_and_name(codemod: Any, func: cst.BaseExpression) -> Optional[Tuple[str, int, str]]:
    """(dotted module, relative level, function name) that ``func`` names through an import of
    the module scope: ``f`` from ``from m import f``, ``mod.f`` from ``from pkg import mod`` /
    ``import pkg.mod as mod``."""
    if isinstance(func, cst.Name):
        binding = _import_binding(codemod, func)
        if binding is None or not isinstance(binding, cst.ImportFrom):
            return None
        alias = _alias(binding, func.value)
        if alias is None or binding.module is None and not binding.relative:
            return None
        module = _dotted(binding.module) if binding.module is not None else ""
        return (module, len(binding.relative), _dotted(alias.name)) if module is not None else None
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        binding = _import_binding(codemod, func.value)
        if binding is None:
            return None
        alias = _alias(binding, func.value.value)
        if alias is None:
            return None
        if isinstance(binding, cst.Import):
            if alias.asname is None:
                return None  # ``import pkg.mod`` binds ``pkg``
            module = _dotted(alias.name)
            return (module, 0, func.attr.value) if module is not None else None
        base = _dotted(binding.module) if binding.module is not None else ""
        if base is None:
            return None
        module = f"{base}.{_dotted(alias.name)}" if base else _dotted(alias.name)
        return (module, len(binding.relative), func.attr.value) if module else None
    return None


def _import_binding(codemod: Any, name: cst.Name) -> Optional[cst.CSTNode]:
    scope = codemod.get_metadata(ScopeProvider, name, None)
    if scope is None:
        return None
    assignments = list(scope[name.value])
    if len(assignments) != 1 or not isinstance(assignments[0], ImportAssignment):
        return None
    if assignments[0].scope is not scope.globals:
        return None
    node = assignments[0].node
    return node if isinstance(node, (cst.Import, cst.ImportFrom)) else None


def _alias(binding: cst.CSTNode, bound: str) -> Optional[cst.ImportAlias]:
    names = binding.names  # type: ignore[attr-defined]
    if isinstance(names, cst.ImportStar):
        return None
    for alias in names:
        local = alias.asname.name if alias.asname is not None else alias.name
        if isinstance(local, cst.Name) and local.value == bound:
            return alias
    return None


def _dotted(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base is not None else None
    return None


def _resolve(graph: Any, project: str, real: str, module: str, level: int) -> Optional[str]:
    """The one file ``module`` names, imported from the file at ``real``."""
    if level:
        base = os.path.dirname(real)
        for _ in range(level - 1):
            base = os.path.dirname(base)
        parts = [p for p in module.split(".") if p]
        stem = os.path.join(base, *parts) if parts else base
        candidates = [stem + ".py", os.path.join(stem, "__init__.py")] if parts else [os.path.join(stem, "__init__.py")]
        found = [c for c in candidates if os.path.isfile(c)]
        return found[0] if len(found) == 1 else None
    files = graph.by_name.get(project, {}).get(module, [])
    return files[0] if len(set(files)) == 1 else None


class _OtherModule:
    """A module of the project parsed for its summaries, with a codemod of the same class
    whose metadata are that module's."""

    def __init__(self, codemod_class: Any, path: str, data: bytes, facts: Any) -> None:
        from .placement import Placement
        from .summaries import HelperSummaries

        self.path = path
        self.tree = cst.parse_module(data)
        lazy = LazyMetadata(MetadataWrapper(self.tree, unsafe_skip_copy=True))
        file = FileContext(lazy=lazy, facts=facts)
        self.codemod = codemod_class(CodemodContext(filename=path, scratch={FILE_KEY: file}))
        self._manager = self.codemod._handle_metadata_reference(self.tree)
        self._manager.__enter__()  # the metadata stay resolved for the module's lifetime
        self.summaries = HelperSummaries(self.codemod, Placement(self.codemod), follow_imports=False)
        self._functions: Dict[str, Optional[cst.FunctionDef]] = {}

    def function(self, name: str) -> Optional[cst.FunctionDef]:
        """The module-level ``def name`` bound once in the module, or None."""
        if name not in self._functions:
            found = None
            for stmt in self.tree.body:
                if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name:
                    found = self.summaries.module_function(stmt)
                    break
            self._functions[name] = found
        return self._functions[name]

    def klass(self, name: str) -> Optional[cst.ClassDef]:
        """The module-level ``class name`` bound once in the module, or None."""
        for stmt in self.tree.body:
            if isinstance(stmt, cst.ClassDef) and stmt.name.value == name:
                found = self.summaries._module_binding(stmt.name, cst.ClassDef)
                return found if found is stmt else None
        return None


def _other_module(codemod: Any, path: str, facts: Any) -> Optional[_OtherModule]:
    """The parsed module at ``path``, read once per module the codemod visits (each distinct
    call asks), then through ``_CACHE`` by its bytes across the modules of a run."""
    memo = getattr(codemod, "_foreign_memo", None)
    if memo is None or memo[0] is not codemod.module:
        memo = codemod._foreign_memo = (codemod.module, {})
    if path not in memo[1]:
        memo[1][path] = _read_module(codemod, path, facts)
    return memo[1][path]


def _read_module(codemod: Any, path: str, facts: Any) -> Optional[_OtherModule]:
    try:
        if os.path.getsize(path) > MAX_BYTES:
            return None
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    key = (path, data, type(codemod), id(facts))
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    try:
        found: Optional[_OtherModule] = _OtherModule(type(codemod), path, data, facts)
    except Exception:  # a module libcst cannot parse (or analyse): nothing is read of it
        found = None
    _CACHE[key] = found
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return found


# -- methods a class inherits from the standard library ------------------------------------

#: What a standard-library base class's method does with what it is given, written out as a
#: module the summaries read like another module of the project: (base class, method) -> the
#: module. ``http.server.SimpleHTTPRequestHandler.copyfile(source, outputfile)`` is
#: ``shutil.copyfileobj(source, outputfile)`` in every CPython 3: read ``source`` in chunks,
#: write each to ``outputfile`` (a proxy handler copying an ``urlopen`` response to its client).
LIBRARY_METHODS: Dict[Tuple[str, str], str] = {
    ("http.server.SimpleHTTPRequestHandler", "copyfile"): (
        "def copyfile(self, source, outputfile):\n"
        "    while True:\n"
        "        buf = source.read(65536)\n"
        "        if not buf:\n"
        "            break\n"
        "        outputfile.write(buf)\n"
    ),
}


def library_method(codemod: Any, base: str, name: str) -> Optional[Tuple[cst.FunctionDef, Any]]:
    """(the ``def`` standing for ``base.name``, the summaries that read it), or None: a
    method of a standard-library class ``LIBRARY_METHODS`` does not describe."""
    text = LIBRARY_METHODS.get((base, name))
    if text is None:
        return None
    facts = codemod.file.facts
    key = (f"<{base}.{name}>", text.encode(), type(codemod), id(facts))
    if key not in _CACHE:
        _CACHE[key] = _OtherModule(type(codemod), key[0], key[1], facts)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    other = _CACHE[key]
    function = other.function(name) if other is not None else None
    return (function, other.summaries) if function is not None else None
