"""Import bookkeeping, for every codemod: which names are bound only by an import, fresh
names for what a codemod adds, and how generated code names a module (reusing an import or
adding one).

Codemods add ``import x`` statements in two ways: through libcst's ``AddImportsVisitor``
(``HttpCodemod.add_needed_import``, placed with the module's other imports), or, where the
import must come before a statement the codemod inserts at module level, as a statement of its
own (``ModuleImports.added_ref``). Either way, once the codemod has run, ``HttpCodemod``
moves each added import to where the project's import sorting puts it
(``place_added_imports``, settings from ``style.py``) and removes the imports the rewrite left
unused (``remove_unused_imports``). ``scope_names``: the names a new local of a function must
avoid (fresh names per scope).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Container, Dict, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import (
    ExpressionContext,
    ExpressionContextProvider,
    MetadataWrapper,
    QualifiedNameProvider,
    ScopeProvider,
)
from libcst.metadata.scope_provider import GlobalScope

from .style import STDLIB, imported_elsewhere
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
        if isinstance(parent, cst.ImportAlias) and isinstance(codemod.resolver.parent(parent), cst.Import):
            bound = parent.asname.name if parent.asname is not None else parent.name
            if bound is node and isinstance(parent.name, cst.Name) and parent.name.value == imported:
                continue  # ``import contextlib`` / ``import contextlib as _contextlib``
            return False
        if isinstance(parent, cst.Attribute) and (
            parent.attr is node
            or (parent.value is node
                and codemod.get_metadata(ExpressionContextProvider, parent, None) is ExpressionContext.LOAD)
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
                    return bool(block_owner.handlers) and all(
                        self.leaves_block(h.body) for h in block_owner.handlers
                    )
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
            elif isinstance(stmt, cst.Try) and stmt.handlers and all(
                self.leaves_block(h.body) for h in stmt.handlers
            ):
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



# -- after a rewrite: added imports where isort wants them, imports it left unused -----------
#
# Both run once per codemod, on the module it produced (``HttpCodemod.transform_module``).
# It never moves a line the codemod did not add: an added ``import x`` (from libcst's
# ``AddImportsVisitor`` or a statement the codemod inserted) is taken out and put back into
# the import block it was added to (never across another statement, so nothing runs in a
# different order), at the place isort would give it; an import whose every use the rewrite
# removed is deleted.


def _import_line(stmt: cst.CSTNode) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and bool(stmt.body)
        and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)
    )


def _natural(text: str) -> Tuple[Any, ...]:
    parts = re.split(r"(\d+)", text)
    return tuple(int(p) if i % 2 else p for i, p in enumerate(parts))


def _import_key(stmt: cst.SimpleStatementLine, style: Any) -> Tuple[int, Tuple[Any, ...]]:
    """(section, isort's sort key) of an import line (its first statement)."""
    small = stmt.body[0]
    if isinstance(small, cst.Import):
        alias = small.names[0]
        module = dotted(alias.name)
        asname = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else ""
        section = style.section(module)
        kind = 0
    else:
        assert isinstance(small, cst.ImportFrom)
        level = len(small.relative)
        module = "." * level + (dotted(small.module) if small.module is not None else "")
        asname = ""
        section = style.section(module.lstrip("."), level)
        kind = 1
    if style.from_first:
        kind = 1 - kind
    name = module if style.case_sensitive else module.lower()
    key = (_natural(name), module, asname)
    return section, ((key, kind) if style.force_sort_within_sections else (kind, key))


def _split_leading(lines: Sequence[cst.EmptyLine]) -> Tuple[List[cst.EmptyLine], List[cst.EmptyLine]]:
    """(the blank lines before the first comment, the rest): comments above an import belong
    to it."""
    head: List[cst.EmptyLine] = []
    for index, line in enumerate(lines):
        if line.comment is not None:
            return head, list(lines[index:])
        head.append(line)
    return head, []


def _blank_first(lines: Sequence[cst.EmptyLine]) -> List[cst.EmptyLine]:
    if lines and lines[0].comment is None:
        return list(lines)
    return [cst.EmptyLine()] + list(lines)


def _insert_sorted(body: List[cst.BaseStatement], at: int, stmt: cst.SimpleStatementLine, style: Any) -> None:
    """Put ``stmt`` (an ``import x`` line) into the import block that holds or ends just
    before ``body[at]``; with no such block, at ``at`` itself."""
    stmt = stmt.with_changes(leading_lines=())
    last = at - 1
    if last < 0 or not _import_line(body[last]):
        if at < len(body) and _import_line(body[at]):
            last = at  # a block that starts here (the import was added at its top)
        else:
            # No block to join: a block of its own, set off from what precedes it.
            if at > 0:
                stmt = stmt.with_changes(leading_lines=[cst.EmptyLine()])
            if at < len(body) and not _import_line(body[at]):
                # isort's lines after imports: two before a def or class, else one.
                following = body[at]
                wanted = 2 if isinstance(following, (cst.FunctionDef, cst.ClassDef)) else 1
                blanks = len(_split_leading(following.leading_lines)[0])
                if blanks < wanted:
                    extra = [cst.EmptyLine()] * (wanted - blanks)
                    body[at] = following.with_changes(leading_lines=extra + list(following.leading_lines))
            body.insert(at, stmt)
            return
    first = last
    while first > 0 and _import_line(body[first - 1]):
        first -= 1
    while last + 1 < len(body) and _import_line(body[last + 1]):
        last += 1
    section, key = _import_key(stmt, style)
    keyed = [(i, *_import_key(body[i], style)) for i in range(first, last + 1)]  # type: ignore[arg-type]
    same = [(i, k) for i, s, k in keyed if s == section]
    before = [i for i, k in same if k <= key]
    if before:
        body.insert(before[-1] + 1, stmt)
        return
    if same:
        # First of its section: it takes the section's separating blank line; comments stay
        # with the import they were above.
        index = same[0][0]
        head, rest = _split_leading(body[index].leading_lines)
        body[index] = body[index].with_changes(leading_lines=rest)
        body.insert(index, stmt.with_changes(leading_lines=head))
        return
    earlier = [i for i, s, _ in keyed if s < section]
    if earlier:
        index = earlier[-1] + 1
        if index <= last:
            body[index] = body[index].with_changes(leading_lines=_blank_first(body[index].leading_lines))
        body.insert(index, stmt.with_changes(leading_lines=[cst.EmptyLine()]))
        return
    head, rest = _split_leading(body[first].leading_lines)
    body[first] = body[first].with_changes(leading_lines=_blank_first(rest))
    body.insert(first, stmt.with_changes(leading_lines=head))


def _from_module(stmt: cst.CSTNode) -> Optional[str]:
    """``.m`` for ``from .m import x`` (a line the codemod may have added a name to), else None."""
    small = stmt.body[0]  # type: ignore[attr-defined]
    if not isinstance(small, cst.ImportFrom):
        return None
    return "." * len(small.relative) + (dotted(small.module) if small.module is not None else "")


def place_added_imports(original: cst.Module, new: cst.Module, style: Any) -> cst.Module:
    """``new`` with the module-level ``import`` lines that are not in ``original`` moved to
    where isort puts them within their import block (see ``_insert_sorted``); a standard
    library one within the module's first import block."""
    def code(stmt: cst.CSTNode) -> str:
        return original.code_for_node(stmt.with_changes(leading_lines=()))  # type: ignore[attr-defined]

    existing: Dict[str, int] = {}
    modules: Set[Optional[str]] = {None}  # ``from m import`` lines of the original (None: not one)
    for stmt in original.body:
        if _import_line(stmt):
            existing[code(stmt)] = existing.get(code(stmt), 0) + 1
            modules.add(_from_module(stmt))
    body = list(new.body)
    added: List[Tuple[int, cst.SimpleStatementLine]] = []
    kept: List[cst.BaseStatement] = []
    for stmt in body:
        if _import_line(stmt):
            text = code(stmt)
            if existing.get(text, 0) > 0:
                existing[text] -= 1
            elif all(isinstance(s, cst.Import) for s in stmt.body) or _from_module(stmt) not in modules:
                carried = [line for line in stmt.leading_lines if line.comment is not None]
                if carried and kept:
                    pass  # a comment the codemod wrote above its import: leave the line where it is
                else:
                    added.append((len(kept), stmt))  # type: ignore[arg-type]
                    continue
        kept.append(stmt)
    if not added:
        return new
    body = kept
    shift = 0
    for at, stmt in added:
        position = at + shift
        if _import_key(stmt, style)[0] <= STDLIB:
            # The standard library loads nothing of the project's: such an import may join
            # the module's first import block, where isort (and E402) want it.
            first = next((i for i in range(position) if _import_line(body[i])), None)
            if first is not None:
                position = first + 1
        before = len(body)
        _insert_sorted(body, position, stmt, style)
        shift += len(body) - before
    return new.with_changes(body=body)


#: Names whose use reads the module's namespace by string: an import may be used through them.
_DYNAMIC = frozenset({"globals", "locals", "vars", "eval", "exec", "__getattr__", "__import__"})


def _bound_name(alias: cst.ImportAlias) -> str:
    if alias.asname is not None:
        return alias.asname.name.value if isinstance(alias.asname.name, cst.Name) else ""
    return dotted(alias.name).split(".")[0]


def _exported(module: cst.Module) -> Set[str]:
    """The strings of every ``__all__ = [...]`` / ``__all__ += [...]`` / ``(...)`` at module level."""
    names: Set[str] = set()
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            value = None
            if isinstance(small, cst.Assign) and any(
                isinstance(t.target, cst.Name) and t.target.value == "__all__" for t in small.targets
            ):
                value = small.value
            elif isinstance(small, (cst.AugAssign, cst.AnnAssign)) and isinstance(small.target, cst.Name) \
                    and small.target.value == "__all__":
                value = small.value
            if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
                for element in value.elements:
                    if isinstance(element.value, cst.SimpleString):
                        text = element.value.evaluated_value
                        if isinstance(text, str):
                            names.add(text)
    return names


def _referenced_imports(scope: Any, module: cst.Module, names: Optional[Set[str]] = None) -> Dict[str, int]:
    """name -> how many references the module-level import bindings of that name have."""
    out: Dict[str, int] = {}
    if scope is None:
        return out
    for assignment in scope.assignments:
        node = getattr(assignment, "node", None)
        if not isinstance(node, (cst.Import, cst.ImportFrom)):
            continue
        name = assignment.name
        if names is not None and name not in names:
            continue
        out[name] = out.get(name, 0) + len(assignment.references)
    return out


def _name_counts(module: cst.Module, names: Set[str]) -> Tuple[Dict[str, int], bool]:
    """How many times each of ``names`` is written as a name (not as an attribute:
    ``x.get``), and whether the module reads its namespace dynamically."""
    counts: Dict[str, int] = {}
    attributes: Set[int] = set()
    dynamic = False
    for node in walk(module):
        if isinstance(node, cst.Attribute):
            attributes.add(id(node.attr))
        elif isinstance(node, cst.Name) and id(node) not in attributes:
            if node.value in names:
                counts[node.value] = counts.get(node.value, 0) + 1
            elif node.value in _DYNAMIC:
                dynamic = True
    return counts, dynamic


def remove_unused_imports(codemod: Any, original: cst.Module, new: cst.Module, path: Optional[str]) -> cst.Module:
    """``new`` without the module-level imports (and imports directly in a function body) whose
    every use the rewrite removed: used in ``original``, unused in ``new``. Public names stay
    (in ``__all__``; anything in an ``__init__.py``, where imports are re-exports), and so does
    everything in a module that reads its namespace dynamically (``globals()``, ``eval``...)."""
    if path and os.path.basename(path) == "__init__.py":
        return new
    before = global_scope(codemod, original)
    if before is None:
        return new
    used_before = {name for name, count in _referenced_imports(before, original).items() if count}
    used_before -= set(codemod.file.hidden_names)
    if not used_before:
        return new
    counts_before, _ = _name_counts(original, used_before)
    counts_after, dynamic = _name_counts(new, used_before)
    if dynamic:
        return new
    fewer = {name for name in used_before if counts_after.get(name, 0) < counts_before.get(name, 0)}
    fewer -= _exported(new)
    fewer = {name for name in fewer if not imported_elsewhere(path, name)}
    if not fewer:
        return new
    from .tree import FastScopeProvider

    wrapper = MetadataWrapper(new, unsafe_skip_copy=True)
    scopes = wrapper.resolve(FastScopeProvider)
    unused: Set[cst.ImportAlias] = set()
    lines = {small: stmt for stmt in _import_lines(new) for small in stmt.body}
    for node, scope in scopes.items():
        if not isinstance(node, (cst.Import, cst.ImportFrom)) or scope is None:
            continue
        if isinstance(node.names, cst.ImportStar):
            continue
        if isinstance(node, cst.ImportFrom) and (node.relative or node.module is None):
            continue  # first party: may be a re-export others rely on
        line = lines.get(node)
        if line is None or line.trailing_whitespace.comment is not None:
            continue  # a comment (re-exported, noqa): someone meant to keep it
        for alias in node.names:
            name = _bound_name(alias)
            if name not in fewer:
                continue
            bindings = [a for a in scope.assignments[name] if getattr(a, "node", None) is node]
            if bindings and not any(a.references for a in scope.assignments[name]):
                unused.add(alias)
    if not unused:
        return new
    return new.visit(_DropImports(unused))


def _import_lines(module: cst.Module) -> List[cst.SimpleStatementLine]:
    out: List[cst.SimpleStatementLine] = []
    stack: List[Sequence[cst.BaseStatement]] = [module.body]
    while stack:
        for stmt in stack.pop():
            if isinstance(stmt, cst.SimpleStatementLine) and _import_line(stmt):
                out.append(stmt)
            elif isinstance(stmt, cst.FunctionDef) and isinstance(stmt.body, cst.IndentedBlock):
                stack.append(stmt.body.body)
    return out


class _DropImports(cst.CSTTransformer):
    """Drops the given aliases from import lines directly in the module or a function body;
    a line left empty goes, and the comments above it move to the next statement."""

    def __init__(self, aliases: Set[cst.ImportAlias]) -> None:
        super().__init__()
        self.aliases = aliases

    def _line(self, stmt: cst.SimpleStatementLine) -> Optional[cst.SimpleStatementLine]:
        small_out: List[cst.BaseSmallStatement] = []
        for small in stmt.body:
            if isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
                names = list(small.names)
                keep = [a for a in names if a not in self.aliases]
                if len(keep) == len(names):
                    small_out.append(small)
                    continue
                if not keep:
                    continue
                if names[-1] not in keep:  # the last one goes: the new last takes its comma
                    keep[-1] = keep[-1].with_changes(comma=names[-1].comma)
                small_out.append(small.with_changes(names=keep))
            else:
                small_out.append(small)
        if not small_out:
            return None
        last = small_out[-1]
        if last is not stmt.body[-1] and isinstance(last.semicolon, cst.Semicolon):
            small_out[-1] = last.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return stmt.with_changes(body=small_out)

    def _body(self, original: Sequence[cst.BaseStatement], updated: Sequence[cst.BaseStatement]) -> List[Any]:
        out: List[Any] = []
        carried: List[cst.EmptyLine] = []
        for old, stmt in zip(original, updated):
            if isinstance(old, cst.SimpleStatementLine) and _import_line(old):
                line = self._line(old)
                if line is None:
                    head, rest = _split_leading(old.leading_lines)
                    carried += rest
                    continue
                stmt = line
            if carried:
                stmt = stmt.with_changes(leading_lines=list(carried) + list(stmt.leading_lines))
                carried = []
            out.append(stmt)
        return out

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        return updated_node.with_changes(body=self._body(original_node.body, updated_node.body))

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        block = updated_node.body
        if not isinstance(block, cst.IndentedBlock) or not isinstance(original_node.body, cst.IndentedBlock):
            return updated_node
        body = self._body(original_node.body.body, block.body)
        if not body:
            body = [cst.SimpleStatementLine(body=[cst.Pass()])]
        return updated_node.with_changes(body=block.with_changes(body=body))
