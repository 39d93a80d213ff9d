"""Import bookkeeping, for every codemod: which names are bound only by an import, fresh
names for what a codemod adds, and how generated code names a module (reusing an import or
adding one).

Codemods add ``import x`` statements in two ways: through libcst's ``AddImportsVisitor``
(``HttpCodemod.add_needed_import``, placed with the module's other imports), or, where the
import must come before a statement the codemod inserts at module level, as a statement of its
own (``ModuleImports.added_ref``). Either way, once the codemod has run, ``HttpCodemod`` tidies
them up with ``import_cleanup.py`` (added imports placed where isort puts them, imports the
rewrite left unused removed). ``scope_names``: the names a new local of a function must avoid
(fresh names per scope).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Container, Dict, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import (
    ExpressionContext,
    ExpressionContextProvider,
    QualifiedNameProvider,
    ScopeProvider,
)
from libcst.metadata.scope_provider import GlobalScope

from .tree import walk

#: Calls that end the program (an ``except ImportError: sys.exit()`` leaves the module).
EXITS = {"sys.exit", "builtins.exit", "builtins.quit", "os._exit", "exit", "quit"}


def dotted(expr: Union[cst.Attribute, cst.Name, cst.BaseExpression]) -> str:
    """``a.b.c`` for a chain of names, else ``""``."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return dotted(expr.value) + "." + expr.attr.value
    return ""


def fresh_name(base: str, *taken: Container[str]) -> str:
    """``base``, or ``base_1``, ``base_2``...: the first not in any of ``taken``."""
    name, counter = base, 0
    while any(name in names for names in taken):
        counter += 1
        name = f"{base}_{counter}"
    return name


def module_names(codemod: Any, module: cst.Module) -> Set[str]:
    """Every name the module's text uses, including functions the engine hid (``prune.py``):
    a fresh name must be new to all of them."""
    return {n.value for n in codemod.nodes_of(module, cst.Name)} | set(codemod.file.hidden_names)


def scope_names(codemod: Any, root: cst.CSTNode) -> Set[str]:
    """The names a new local variable of function ``root`` must not take: every name its scope
    binds or reads (a read of a global or of an enclosing function's name included), every name
    read in a scope nested in it (a closure that reads a global would read the new local
    instead), and the names it declares ``global`` or ``nonlocal``. From libcst's scope
    analysis; names used only in other functions are free (issue 15)."""
    if not isinstance(root, cst.FunctionDef):
        return module_names(codemod, codemod.module)
    names: Set[str] = {p.name.value for p in _params(root.params)}
    seen: Set[int] = set()
    for node in walk(root.body):
        if isinstance(node, (cst.Global, cst.Nonlocal)):
            names.update(item.name.value for item in node.names)
        scope = codemod.get_metadata(ScopeProvider, node, None)
        if scope is None or id(scope) in seen:
            continue
        seen.add(id(scope))
        names.update(a.name for a in scope.assignments)
        for access in scope.accesses:
            full = get_full_name_for_node(access.node)
            if full:
                names.add(full.split(".")[0])
    return names


def _params(params: cst.Parameters) -> List[cst.Param]:
    out = list(params.posonly_params) + list(params.params) + list(params.kwonly_params)
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            out.append(star)
    return out


def only_bound_by_import_of(codemod: Any, module: cst.Module, name: str, imported: str) -> bool:
    """Every occurrence of ``name`` anywhere in the module (any scope) is ``import imported
    [as name]``, a read of one of its attributes, an attribute or a keyword of that spelling;
    so ``name.attr`` means ``imported.attr`` wherever it is written."""
    for node in codemod.nodes_of(module, cst.Name):
        if node.value != name:
            continue
        parent = codemod.resolver.parent(node)
        if isinstance(parent, cst.AsName):  # ``import contextlib as _contextlib``: the alias's name
            parent = codemod.resolver.parent(parent)
        if isinstance(parent, cst.ImportAlias) and isinstance(codemod.resolver.parent(parent), cst.Import):
            bound = parent.asname.name if parent.asname is not None else parent.name
            if bound is node and isinstance(parent.name, cst.Name) and parent.name.value == imported:
                continue  # ``import contextlib`` / ``import contextlib as _contextlib``
            return False
        if isinstance(parent, cst.ImportFrom) and parent.module is node:
            continue  # ``from contextlib import redirect_stdout`` binds no ``contextlib``
        if isinstance(parent, cst.Attribute) and (
            parent.attr is node
            or (
                parent.value is node
                and codemod.get_metadata(ExpressionContextProvider, parent, None) is ExpressionContext.LOAD
            )
        ):
            continue  # ``contextlib.closing`` read, ``x.contextlib``
        if isinstance(parent, cst.Arg) and parent.keyword is node:
            continue
        return False
    return True


def global_scope(codemod: Any, module: cst.Module) -> Optional[GlobalScope]:
    for stmt in module.body:
        try:
            scope = codemod.get_metadata(ScopeProvider, stmt, None)
        except KeyError:
            scope = None
        if scope is not None:
            return scope.globals
    return None


@dataclass
class Ref:
    """How generated code names a module: ``name`` and the import to add (or None)."""

    name: str
    add: Optional[cst.SimpleStatementLine] = None


class ModuleImports:
    """The module-level imports of one module, and the names a codemod adds to it.

    ``all_names``: the names taken (see ``module_names``); ``fresh`` adds to it.
    """

    def __init__(self, codemod: Any, module: cst.Module) -> None:
        self.codemod = codemod
        self.module = module
        self.all_names = module_names(codemod, module)
        self.initial_names = frozenset(self.all_names)
        self.added: Dict[str, Ref] = {}
        self.global_scope = global_scope(codemod, module)
        self.has_star = False

    def fresh(self, base: str, taken: Optional[Set[str]] = None) -> str:
        """``base``, or ``base_1``, ``base_2``... : a name used nowhere in the module (or in
        ``taken``, when given); it is taken from then on."""
        taken = self.all_names if taken is None else taken
        name = fresh_name(base, taken)
        taken.add(name)
        return name

    def unconditional(self, node: cst.CSTNode) -> bool:
        """An import statement at module level that runs whenever the module does (or stops it)."""
        stmt = self.codemod.resolver.parent(node)
        if not isinstance(stmt, cst.SimpleStatementLine):
            return False
        owner = self.codemod.resolver.parent(stmt)
        if isinstance(owner, cst.Module):
            return True
        if isinstance(owner, cst.IndentedBlock):
            block_owner = self.codemod.resolver.parent(owner)
            if isinstance(block_owner, cst.Try) and block_owner.body is owner:
                if isinstance(self.codemod.resolver.parent(block_owner), cst.Module):
                    return bool(block_owner.handlers) and all(self.leaves_block(h.body) for h in block_owner.handlers)
        return False

    def leaves_block(self, body: cst.BaseSuite) -> bool:
        """The block ends by raising or exiting the program (an import it guards is then
        effectively unconditional)."""
        statements = list(body.body)
        if not statements:
            return False
        last = statements[-1]
        small = last.body[-1] if isinstance(last, cst.SimpleStatementLine) else None
        if isinstance(body, cst.SimpleStatementSuite):
            small = body.body[-1]
        if isinstance(small, cst.Raise):
            return True
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            names = self.codemod.get_metadata(QualifiedNameProvider, small.value.func, set())
            return any(q.name in EXITS for q in names)
        return False

    def top_imports(self, body: Sequence[cst.BaseStatement]) -> List[Tuple[int, cst.CSTNode]]:
        """(index, Import/ImportFrom) of the unconditional module-level imports in ``body``."""
        out = []
        for index, stmt in enumerate(body):
            candidates: List[cst.CSTNode] = []
            if isinstance(stmt, cst.SimpleStatementLine):
                candidates = list(stmt.body)
            elif isinstance(stmt, cst.Try) and stmt.handlers and all(self.leaves_block(h.body) for h in stmt.handlers):
                for inner in stmt.body.body:
                    if isinstance(inner, cst.SimpleStatementLine):
                        candidates += list(inner.body)
            for small in candidates:
                if isinstance(small, (cst.Import, cst.ImportFrom)):
                    out.append((index, small))
        return out

    def library_imported(self, library: str, before: int) -> bool:
        for index, imp in self.top_imports(self.module.body):
            if index >= before:
                continue
            if isinstance(imp, cst.Import):
                for alias in imp.names:
                    if dotted(alias.name).split(".")[0] == library:
                        return True
            elif isinstance(imp, cst.ImportFrom) and imp.module is not None and not imp.relative:
                if dotted(imp.module).split(".")[0] == library:
                    return True
        return False

    def module_ref(self, module: str, before: int, must_exist: bool) -> Optional[Ref]:
        """A name for ``module`` usable at module level from statement ``before`` on.

        Reuses ``import module [as X]`` (X bound by such imports only, and no star import
        that could rebind it); otherwise adds ``import module as _module`` under a fresh
        private name. ``must_exist``: the library itself must already be imported by then,
        so adding the import changes nothing about when or whether it loads.
        """
        top = module.split(".")[0]
        for index, imp in self.top_imports(self.module.body):
            if index >= before or not isinstance(imp, cst.Import) or self.has_star:
                continue
            for alias in imp.names:
                if dotted(alias.name) != module:
                    continue
                if alias.asname is not None:
                    as_name = alias.asname.name
                    if isinstance(as_name, cst.Name) and self.only_imports(as_name.value, module):
                        return Ref(as_name.value)
                elif self.only_imports(top, top):
                    return Ref(module)
        if must_exist and not self.library_imported(top, before):
            return None
        return self.added_ref(module)

    def added_ref(self, module: str) -> Ref:
        """``import module as _name`` under a fresh private name (one per module and file), so
        that no name of the user's, star-imported ones included, is rebound."""
        ref = self.added.get(module)
        if ref is None:
            name = self.fresh("_" + module.split(".")[-1])
            ref = Ref(name, cst.parse_statement(f"import {module} as {name}\n"))  # type: ignore[arg-type]
            self.added[module] = ref
        return ref

    def global_bindings(self, name: str) -> list:
        if self.global_scope is None or name not in self.global_scope.assignments:
            return []
        return list(self.global_scope.assignments[name])

    def only_imports(self, name: str, package: str) -> bool:
        """Every module-level binding of ``name`` is ``import package[.sub]`` (or there is none)."""
        if self.global_scope is None:
            return False
        for assignment in self.global_bindings(name):
            node = getattr(assignment, "node", None)
            if not isinstance(node, cst.Import):
                return False
            for alias in node.names:
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    bound = alias.asname.name.value
                    top = dotted(alias.name) if bound == name else None
                else:
                    bound = dotted(alias.name).split(".")[0]
                    top = bound
                if bound == name and top != package:
                    return False
        return True
