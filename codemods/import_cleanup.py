"""Import clean-up after a rewrite: the added imports moved to where the project's import
sorting (isort, or ruff's isort rules; settings from ``style.py``) puts them, and the imports
whose every use the rewrite removed deleted. Both run once per codemod, on the module it
produced (``HttpCodemod.transform_module``: ``place_added_imports`` and
``remove_unused_imports``). No line the codemod did not add is moved: an added ``import x``
(from libcst's ``AddImportsVisitor`` or a statement the codemod inserted) is taken out and put
back into the import block it was added to (never across another statement, so nothing runs in
a different order), at the place isort would give it. The bookkeeping of what is imported and
which names are free is ``imports.py``.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst
from libcst.metadata import MetadataWrapper

from .imports import dotted, global_scope
from .style import STDLIB, imported_elsewhere
from .tree import TRIVIA, walk


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
    # Relative imports: furthest first by default (``from .. import`` before ``from . import``),
    # by the number of dots before the name, as isort and ruff sort them.
    level = len(module) - len(module.lstrip("."))
    distance = (level if getattr(style, "reverse_relative", False) else -level) if level else 0
    bare = module.lstrip(".")
    name = bare if style.case_sensitive else bare.lower()
    key = (distance, _natural(name), module, asname)
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


def _joined(
    blanks: Sequence[cst.EmptyLine], carried: Sequence[cst.EmptyLine], own: Sequence[cst.EmptyLine]
) -> List[cst.EmptyLine]:
    """The leading lines of the statement after dropped import lines: the comments that were
    above them, and the blank lines above the first, where they were more than the statement's
    own (the first import of a section goes: the blank line that separated the section stays)."""
    if carried:
        return list(blanks) + list(carried) + list(own)
    head, rest = _split_leading(own)
    return list(blanks) + rest if len(blanks) > len(head) else list(own)


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
                # isort's lines after imports, exactly (ruff's I001 counts them): the
                # configured number, else two before a def or class and one before anything
                # else (a statement after a ``try:`` / ``if TYPE_CHECKING:`` block may have had
                # two, which are one too many after an import).
                following = body[at]
                wanted = getattr(style, "lines_after_imports", -1)
                if wanted < 0:
                    wanted = 2 if isinstance(following, (cst.FunctionDef, cst.ClassDef)) else 1
                head, rest = _split_leading(following.leading_lines)
                if len(head) != wanted:
                    body[at] = following.with_changes(leading_lines=[cst.EmptyLine()] * wanted + rest)
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
        # First of its section: it goes below the section's leading lines, its separating
        # blank line and the comments above its first import, which head the section
        # (``# Standard library``); isort and ruff want no import between the two.
        index = same[0][0]
        body.insert(index, stmt.with_changes(leading_lines=body[index].leading_lines))
        body[index + 1] = body[index + 1].with_changes(leading_lines=())
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
    if body and original.body:
        # An import that became the module's first statement (the first one was removed as
        # unused) takes no more blank lines above it than the first statement had.
        kept_head = _split_leading(original.body[0].leading_lines)[0]
        head, rest = _split_leading(body[0].leading_lines)
        if len(head) > len(kept_head):
            body[0] = body[0].with_changes(leading_lines=kept_head + rest)
    return new.with_changes(body=body)


#: Names whose use reads the module's namespace by string: an import may be used through them.
_DYNAMIC = frozenset({"globals", "locals", "vars", "eval", "exec", "__import__"})


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
            elif (
                isinstance(small, (cst.AugAssign, cst.AnnAssign))
                and isinstance(small.target, cst.Name)
                and small.target.value == "__all__"
            ):
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
    # A module-level ``def __getattr__`` serves names by string (PEP 562); a class's
    # ``__getattr__`` method is about its instances, not the module's names.
    dynamic = any(isinstance(s, cst.FunctionDef) and s.name.value == "__getattr__" for s in module.body)
    for node in walk(module):
        if isinstance(node, cst.Attribute):
            attributes.add(id(node.attr))
        elif isinstance(node, cst.Name) and id(node) not in attributes:
            if node.value in names:
                counts[node.value] = counts.get(node.value, 0) + 1
            elif node.value in _DYNAMIC:
                dynamic = True
    return counts, dynamic


def _removable(stmt: cst.SimpleStatementLine) -> List[Tuple[cst.ImportAlias, str]]:
    """The aliases of an import line that ``remove_unused_imports`` may drop, with the names
    they bind: the filters of its loop, without the scopes."""
    out: List[Tuple[cst.ImportAlias, str]] = []
    if stmt.trailing_whitespace.comment is not None:
        return out
    for small in stmt.body:
        if not isinstance(small, (cst.Import, cst.ImportFrom)) or isinstance(small.names, cst.ImportStar):
            continue
        if isinstance(small, cst.ImportFrom) and (small.relative or small.module is None):
            continue
        out.extend((alias, _bound_name(alias)) for alias in small.names)
    return out


def _decided(new: cst.Module, names: Set[str]) -> Tuple[Set[str], Set[cst.ImportAlias]]:
    """What the scope analysis of ``remove_unused_imports`` (``_unused_aliases``) would decide
    for some of ``names``, by a cheap exact proof without it: (the names it would keep every
    import of, the aliases it would drop, all of them for their names). The other names: it
    decides.

    A name no import line that could go (``_removable``) binds: nothing to decide, kept.

    Kept: every such line is directly in the module; no ``import name.sub`` anywhere binds a
    dotted name (libcst resolves ``name.sub.x`` to that binding, not to ``import name``'s);
    and a module-level statement after the first such line reads ``name`` as ``name.attr`` or
    ``name(...)`` while nothing else in that statement is spelled ``name`` (no assignment,
    parameter, ``global``, import, keyword, comprehension target... that could bind it in a
    nested scope or rebind it first). Such a read is an access in the global scope, or in a
    nested scope that binds no such name, after an import binding of it: libcst records it as
    a reference of that binding.

    Dropped: ``name`` is spelled nowhere outside import statements and attribute names
    (``x.name``, which libcst does not visit), and no string holds it (libcst parses string
    annotations into names). Then libcst records no access of ``name`` (an access comes from
    a name, or a dotted name that starts with it), so no binding of it has a reference, and
    each import line of it binds it in its own scope (no ``global name`` there: spelled).

    A use only in a string annotation, in ``__all__``'s strings or in a statement the rewrite
    removed proves neither here (``__all__`` is dealt with before)."""
    index = {id(stmt): i for i, stmt in enumerate(new.body)}
    first: Dict[str, int] = {}
    nested: Set[str] = set()
    aliases: Dict[str, List[cst.ImportAlias]] = {}
    for stmt in _import_lines(new):
        for alias, bound in _removable(stmt):
            if bound not in names:
                continue
            aliases.setdefault(bound, []).append(alias)
            at = index.get(id(stmt))
            if at is None:
                nested.add(bound)
            elif bound not in first or at < first[bound]:
                first[bound] = at
    kept = names - set(aliases)  # no import line of theirs could go
    open_names = set(aliases)
    if not open_names:
        return kept, set()
    used: Set[str] = set()
    dotted_import: Set[str] = set()
    spelled: Set[str] = set()  # outside imports and attribute names
    for at, stmt in enumerate(new.body):
        reads: Set[str] = set()
        other: Set[str] = set()
        skip: Set[int] = set()
        attrs: Set[int] = set()
        for node in walk(stmt, _is_import):
            if isinstance(node, (cst.Import, cst.ImportFrom)):
                for sub in walk(node):
                    if isinstance(sub, cst.Name) and sub.value in open_names:
                        other.add(sub.value)
                if isinstance(node, cst.Import):
                    for alias in node.names:
                        if alias.asname is None and isinstance(alias.name, cst.Attribute):
                            dotted_import.add(dotted(alias.name).split(".")[0])
            elif isinstance(node, cst.Attribute):
                skip.add(id(node.attr))
                attrs.add(id(node.attr))
                value = node.value
                if isinstance(value, cst.Name) and value.value in open_names:
                    reads.add(value.value)
                    skip.add(id(value))
            elif isinstance(node, cst.Call):
                func = node.func
                if isinstance(func, cst.Name) and func.value in open_names:
                    reads.add(func.value)
                    skip.add(id(func))
            elif isinstance(node, cst.Name):
                if node.value in open_names:
                    if id(node) not in attrs:
                        spelled.add(node.value)
                    if id(node) not in skip:
                        other.add(node.value)
            elif isinstance(node, (cst.SimpleString, cst.FormattedStringText)):
                for name in open_names:
                    if name in node.value:
                        spelled.add(name)
        spelled |= reads
        for name in reads - other:
            if name not in nested and at > first[name]:
                used.add(name)
    unused = {alias for name in open_names - spelled for alias in aliases[name]}
    return kept | (used - dotted_import), unused


def _is_import(node: cst.CSTNode) -> bool:
    return isinstance(node, (cst.Import, cst.ImportFrom))


def remove_unused_imports(codemod: Any, original: cst.Module, new: cst.Module, path: Optional[str]) -> cst.Module:
    """``new`` without the module-level imports (and imports directly in a function body) whose
    every use the rewrite removed: used in ``original``, unused in ``new``. Public names stay
    (in ``__all__``, or imported from this module by another file of the project: a package's
    ``__init__.py`` is searched for by the package's name), and so does everything in a module
    that reads its namespace dynamically (``globals()``, ``eval``, a module ``__getattr__``...)."""
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
    kept, unused = _decided(new, fewer)
    fewer -= kept | {_bound_name(alias) for alias in unused}
    if fewer:
        unused |= _unused_aliases(new, fewer)
    if not unused:
        return new
    return new.visit(_DropImports(unused))


def _unused_aliases(new: cst.Module, fewer: Set[str]) -> Set[cst.ImportAlias]:
    """The aliases of ``new``'s import lines that bind one of ``fewer`` and that no reference
    reaches, by scope analysis."""
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
    return unused


def _import_lines(module: cst.Module) -> List[cst.SimpleStatementLine]:
    """The import lines directly in the module or in a function body (a method's too: a class
    body is searched for its functions, but its own imports are class attributes and stay)."""
    out: List[cst.SimpleStatementLine] = []
    stack: List[Tuple[Sequence[cst.BaseStatement], bool]] = [(module.body, True)]
    while stack:
        body, collect = stack.pop()
        for stmt in body:
            if collect and isinstance(stmt, cst.SimpleStatementLine) and _import_line(stmt):
                out.append(stmt)
            elif isinstance(stmt, cst.FunctionDef) and isinstance(stmt.body, cst.IndentedBlock):
                stack.append((stmt.body.body, True))
            elif isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
                stack.append((stmt.body.body, False))
    return out


#: Nodes that cannot hold a ``FunctionDef`` (``_DropImports`` does not descend into them).
_NO_FUNCTION_INSIDE = (cst.SimpleStatementLine, cst.BaseExpression, *TRIVIA)


class _DropImports(cst.CSTTransformer):
    """Drops the given aliases from import lines directly in the module or a function body;
    a line left empty goes, and the comments above it move to the next statement."""

    def __init__(self, aliases: Set[cst.ImportAlias]) -> None:
        super().__init__()
        self.aliases = aliases

    def on_visit(self, node: cst.CSTNode) -> bool:
        # Only the module's and functions' bodies change (``leave_Module``, ``leave_FunctionDef``,
        # which read the import lines from the original nodes): a simple statement line, an
        # expression (a lambda is no ``FunctionDef``) or layout holds no function, so their
        # subtrees are not walked (rebuilding every node cost as much as the rest of the cleanup).
        if isinstance(node, _NO_FUNCTION_INSIDE):
            return False
        return super().on_visit(node)

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
        blanks: Optional[List[cst.EmptyLine]] = None  # the blank lines above the first line dropped
        for old, stmt in zip(original, updated):
            if isinstance(old, cst.SimpleStatementLine) and _import_line(old):
                line = self._line(old)
                if line is None:
                    head, rest = _split_leading(old.leading_lines)
                    if blanks is None:
                        blanks = head if not carried else []
                    carried += rest
                    continue
                stmt = line
            if blanks is not None or carried:
                stmt = stmt.with_changes(leading_lines=_joined(blanks or [], carried, stmt.leading_lines))
                carried, blanks = [], None
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
