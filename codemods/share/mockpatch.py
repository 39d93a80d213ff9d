"""The tests' patches of a bare call, moved onto the package's shared session with the calls.

A test that patches ``requests.post`` (``mock.patch("requests.post")``, ``mocker.patch``, also
through a module's binding: ``mock.patch("pkg.api.requests.post")``, which patches the same
attribute of the library module) intercepts every ``requests.post(...)`` the code makes while
the patch is active. Once share-session routes those calls through the package's shared
session (``<pkg>/_http_client.py``), the patch would intercept nothing and the test would
reach the network, so such calls are reported (``facts.model._patch_covers``). When the run
routes *every* call the patch intercepts to one session, the test's target moves instead:
``mock.patch("requests.post")`` -> ``mock.patch("pkg._http_client.session.post")``. ``patch``
resolves the dotted path through attributes and sets the attribute on the session instance,
and ``Session.post(url, data=None, json=None, **kwargs)`` on the instance takes the arguments
``requests.post`` takes, so the mock sees the same calls with the same arguments. httpx alike
(``LIBRARY_VERBS``): ``mock.patch("httpx.get")`` -> ``mock.patch("pkg._http_client.client.get")``.

Decided once per run, before any file is rewritten (``plan_transfers``), per project and per
verb, all or nothing: the patches of ``requests.<verb>`` move only when

- every one of them is a ``mock.patch``/``mocker.patch``/``patch`` call whose first argument
  is the target as a string literal, a ``monkeypatch.setattr`` of it, or a
  ``patch.multiple("requests", get=..., post=...)`` whose keywords are all verbs (its one
  literal becomes ``"pkg._http_client.session"``: it moves when all its verbs do, ``_couple``)
  (not ``patch.object``, an assignment, a computed target, a patch of the module as a whole);
- the *census* (every ``requests.<verb>`` / ``<module>.requests.<verb>`` attribute in every
  file of the project, tests included, read with ``ast``; not a test module none of the
  patches' tests reaches by imports and that neither imports a patching test module nor is
  imported by a conftest, a helper or a ``pytest_plugins`` module, ``_scope``/``_inside``; not ``self.requests.<verb>`` of a wrapper
  class whose ``requests`` is a property, ``_wrapper``) holds calls and references read only (no
  ``requests.post.call_count``, no ``requests.post = fake``); a reference counts as a call of
  its verb (``share/references.py`` routes it, in place, or reports it: then nothing moves), no file
  imports the verb by name (``from requests import post``), and a planning run (share-session
  and the run's other codemods in check mode, with those patches ignored) routes each of
  those calls, and no other call of that verb, through the same package session: the mock
  then intercepts exactly the calls it intercepted before; for ``request``, no call of another
  verb goes through that client (``Session.get``, ``Client.get`` & co. call ``self.request``);
- the run reads every file of the project, no file of it fails, no client module an earlier
  run generated exists in the project (the package's own: calls routed there would be
  intercepted too; another package's: the calls routed there were the verb's calls, which the
  census no longer sees, and this run would decide otherwise than the first), and no file that
  holds such a patch is changed by the run (its rewrite is made after the run).

The move is an unsafe fix (applied with ``--unsafe-fixes`` only; ``hazard``): a
``requests.post`` that another library makes while the test runs was intercepted by the old
patch and is not by the moved one. Without ``--unsafe-fixes`` no plan is made (the planning
run is a second pass over every file of the projects concerned: about half again the CPU of a
whole-corpus run) and the calls stay reported as mocked and are not counted as fixable: when
every patch that covers a call passes the checks made before the planning run (its form, the
run reads the whole project: ``Transfers.possible``), its reason says that ``--unsafe-fixes``
plans a move of the patch, which may fix the call (``sites.MOVE_HINT``), and the summary line
counts such calls apart ("N sites mocked by tests may also be fixed there"): only the planning
run knows which moves it makes. ``Transfers.offered`` / ``ShareSession.moved_mock`` give the
offer's wording to a caller that plans without applying (the library API).

Otherwise nothing changes for that verb: its calls stay reported as today. The patch targets
are rewritten after the run (``test_results``), as the package's client module is, into each
test file's text at the literal itself, then the project's formatter on the changed lines as
for the run's own rewrites (``formatting.format_changed``); in place only when every rewritten
module was written.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field, replace
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from .package_client import MARKER as MODULE_MARKER

VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request"})
#: The libraries whose module functions' patches can move, and the functions of each: a
#: shared ``httpx.Client``'s ``get``/``stream``/... takes the arguments of ``httpx.get``/... but
#: ``verify=``, ``proxy=``, ``cert=``, ``trust_env=`` and per-request ``cookies=``, and
#: share-session routes no call that passes those (``share/checks.py``).
LIBRARY_VERBS = {"requests": VERBS, "httpx": VERBS | {"stream"}}
#: What a planning run appends to a fixed site's reason: the package client module and the verb.
MARKER = "\x00mockpatch\x00"
#: The patch calls whose first argument is a dotted target (``patch.object`` & co. are not).
_PATCH_TEXT = re.compile(r"^(?:(?:unittest\.)?mock\.|mocker\.)?patch\(")
_PATCH_FUNCS = frozenset({"patch", "mock.patch", "unittest.mock.patch", "mocker.patch"})
#: ``patch.multiple("requests", get=..., post=...)``: one literal, the module, for several verbs.
_MULTIPLE_TEXT = re.compile(r"^(?:(?:unittest\.)?mock\.|mocker\.)?patch\.multiple\(")
_MULTIPLE_FUNCS = frozenset(f"{func}.multiple" for func in _PATCH_FUNCS)
CODEMOD = "share-session"
#: Why each (project, verb) kept its patches, from the last plan (for --verbose and tests).
REFUSED: Dict[Tuple[str, str], str] = {}


@dataclass(frozen=True)
class Transfers:
    """``moved``: the patches (``facts.model.Patch``) the run moves onto a shared session (a
    planning run: every candidate; a run without ``--unsafe-fixes``: none); ``targets``:
    (patch, its new target) of the moved ones; ``sites``: (verb, real path, line) of each call
    the moved patches intercept, for the check after the run; ``offered``: (patch, its new
    target) of every patch the plan can move, moved or not (the move is an unsafe fix:
    ``hazard``)."""

    moved: frozenset = frozenset()
    targets: Tuple[Tuple[Any, str], ...] = ()
    sites: Tuple[Tuple[str, str, int], ...] = ()
    planning: bool = False
    offered: Tuple[Tuple[Any, str], ...] = ()
    #: A run without ``--unsafe-fixes`` (no plan): the patches that pass the checks made
    #: before the planning run (their form, the run reads the whole project), which that
    #: run may move (``sites.MOVE_HINT``).
    possible: frozenset = frozenset()

    def __repr__(self) -> str:  # the facts' cache key: what the per-file results depend on
        offered = sorted((repr(p), new) for p, new in self.offered)
        possible = sorted(repr(p) for p in self.possible)
        return (
            f"Transfers({sorted(self.moved)!r}, planning={self.planning}, offered={offered!r}, possible={possible!r})"
        )

    def new_target(self, patch: Any) -> Optional[str]:
        """Where the plan moves ``patch`` (``None``: it cannot move)."""
        for found, new in self.offered:
            if found == patch:
                return new
        return None


def hazard(name: str) -> str:
    """What moving a test's patch of ``name`` (``requests.post``, ``httpx.get``) onto the
    shared client may get wrong."""
    return (
        f"{_article(name)} {name} call that another library makes while the test runs was intercepted "
        "by the old patch and is not by the moved one (it would reach the network)"
    )


def _article(name: str) -> str:
    return "an" if name.startswith("httpx") else "a"  # "an aitch-tee-tee-pee-ex"


def plan_marker(client_path: str, library: str, verb: str) -> str:
    # Terminated: an unsafe fix's "(unsafe fix: ...)" follows it in the reason.
    return f"{MARKER}{client_path}\x00{library}\x00{verb}\x00"


def _parse_marker(reason: str) -> Optional[Tuple[str, str, str]]:
    if MARKER not in reason:
        return None
    parts = reason.split(MARKER, 1)[1].split("\x00")
    return (parts[0], parts[1], parts[2]) if len(parts) == 4 else None


# -- the census: every reference to requests.<verb> in the project's files ------------------


@dataclass
class Census:
    calls: Dict[str, List[Tuple[str, int]]]  # "requests.get" -> (real path, line) of each call
    refused: Dict[str, str]  # "requests.get" -> why its patches cannot move
    unreadable: str = ""  # a file of the project that does not parse: nothing moves
    generated: str = ""  # a client module an earlier run generated (``package_client.MARKER``)
    #: ``self.requests.<verb>`` in a class whose ``requests`` is a property that returns an
    #: instance of a class of its module (``_wrapper``): not the library, unless ``rebound``
    #: says some file may bind an attribute ``requests`` otherwise (then they count as calls).
    wrapped: Dict[str, List[Tuple[str, int]]] = field(default_factory=dict)
    rebound: str = ""
    #: (class name, its bases' last names, where it binds ``requests`` otherwise or "") and the
    #: names of the classes with such a property: a subclass's other binding sets ``rebound``.
    classes: List[Tuple[str, Tuple[str, ...], str]] = field(default_factory=list)
    wrappers: Set[str] = field(default_factory=set)
    #: The modules ``pytest_plugins`` names (pytest loads them as a conftest: any test may run
    #: them); ``plugins_unknown``: where one is not a literal (then every test module counts).
    plugins: Set[str] = field(default_factory=set)
    plugins_unknown: str = ""


def census(paths: Iterable[str]) -> Census:
    out = Census({}, {})
    for real in sorted(paths):
        try:
            with open(real, "rb") as handle:
                data = handle.read()
        except OSError:
            out.unreadable = out.unreadable or real
            continue
        libraries = [library for library in LIBRARY_VERBS if library.encode() in data]
        if not libraries and b"pytest_plugins" not in data:
            continue
        try:
            tree = ast.parse(data)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            out.unreadable = out.unreadable or real
            continue
        docstring = ast.get_docstring(tree) if isinstance(tree, ast.Module) else None
        if docstring is not None and docstring.startswith(MODULE_MARKER):
            out.generated = out.generated or real
        if b"pytest_plugins" in data:
            _plugins(tree, real, out)
        for library in libraries:
            _census_file(tree, real, out, library)
    # A subclass's own requests may be the module; so may another base's that comes first in
    # the method resolution order (``class C(Mixin, Wrapper)``): those of the binders.
    subclasses = _closure(out.wrappers, out.classes)
    binders = _closure({name for name, _, where in out.classes if where}, out.classes)
    for name, bases, where in out.classes:
        if subclasses.intersection(bases) and (where or binders.intersection(bases)) and not out.rebound:
            out.rebound = where or f"class {name}"
    for verb, positions in out.wrapped.items() if out.rebound else ():
        out.calls.setdefault(verb, []).extend(positions)
    return out


def _plugins(tree: ast.AST, real: str, out: Census) -> None:
    """The modules ``pytest_plugins = ["pkg.fixtures", ...]`` names (``out.plugins``); any
    other use of the name (``pytest_plugins.append(name)``) makes them unknown."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _dotted(node.value) == "pytest_plugins":
            out.plugins_unknown = out.plugins_unknown or f"{real}:{node.lineno}"
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        if not any(isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in targets):
            continue
        value = getattr(node, "value", None)
        items = value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]
        for item in items:
            if isinstance(item, ast.Constant) and isinstance(item.value, str):
                out.plugins.add(item.value)
            else:
                out.plugins_unknown = out.plugins_unknown or f"{real}:{node.lineno}"


def _closure(names: Set[str], classes: List[Tuple[str, Tuple[str, ...], str]]) -> Set[str]:
    """``names`` and the classes that inherit from them (by name)."""
    found, grown = set(names), True
    while grown:
        grown = False
        for name, bases, _ in classes:
            if name not in found and found.intersection(bases):
                found.add(name)
                grown = True
    return found


def _wrapper(tree: ast.Module, real: str, out: Census) -> Set[int]:
    """The ``self.requests`` nodes (ids) of the methods of a class whose ``requests`` is a
    ``@property`` every ``return`` of which calls a class of the module (``return
    Requests(headers=...)``, a class with no ``__new__`` nor metaclass): an instance of that
    class, not the library module (an instance cannot assign a property without a setter).
    ``out.rebound`` is set by what could hold the module there all the same: an assignment
    of an attribute ``requests`` (``Wrapper.requests = requests``, a computed ``setattr``), a
    subclass's own ``requests`` (``census`` decides, from ``out.classes``)."""
    classes = {
        node.name
        for node in tree.body
        if isinstance(node, ast.ClassDef)
        and not node.keywords
        and not any(isinstance(s, ast.FunctionDef) and s.name == "__new__" for s in node.body)
    }
    found: Set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "requests" and not isinstance(node.ctx, ast.Load):
            out.rebound = out.rebound or f"{real}:{node.lineno}"
        elif isinstance(node, ast.Call) and _dotted(node.func) == "setattr" and len(node.args) > 1:
            name = node.args[1]
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str) and name.value != "requests"):
                out.rebound = out.rebound or f"{real}:{node.lineno}"
        if not isinstance(node, ast.ClassDef):
            continue
        binds = [s for s in node.body if "requests" in _bound_names(s)]
        bases = tuple(_dotted(b).rpartition(".")[2] for b in node.bases)
        if not binds:
            out.classes.append((node.name, bases, ""))
            continue
        prop = binds[0]
        returns = [r for r in ast.walk(prop) if isinstance(r, ast.Return)] if len(binds) == 1 else []
        if not (
            isinstance(prop, ast.FunctionDef)
            and [_dotted(d) for d in prop.decorator_list] == ["property"]
            and returns
            and all(isinstance(r.value, ast.Call) and _dotted(r.value.func) in classes for r in returns)
            and not any(
                isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                for n in ast.walk(prop)
                if n is not prop
            )
        ):
            out.classes.append((node.name, bases, f"{real}:{prop.lineno}"))
            continue
        out.classes.append((node.name, bases, ""))
        out.wrappers.add(node.name)
        for method in node.body:
            if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) and method.args.args:
                if method.args.args[0].arg == "self":
                    found |= _self_requests(method)
    return found


def _bound_names(statement: ast.stmt) -> Set[str]:
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {statement.name}
    return {n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}


def _self_requests(method: ast.AST) -> Set[int]:
    """``self.requests`` in ``method``'s body, not in a nested function or class (its own ``self``)."""
    found: Set[int] = set()
    todo = list(ast.iter_child_nodes(method))
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Attribute) and node.attr == "requests" and _dotted(node.value) == "self":
            found.add(id(node))
        todo.extend(ast.iter_child_nodes(node))
    return found


def _census_file(tree: ast.AST, real: str, out: Census, library: str) -> None:
    # Names the file binds to the library's module (anywhere), and ``requests`` however it is
    # bound (``from compat import requests``): a call through it that share-session cannot
    # resolve stays, and then nothing moves.
    verbs = LIBRARY_VERBS[library]
    bound: Set[str] = {library}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == library or alias.name.startswith(library + "."):
                    bound.add(alias.asname if alias.asname and alias.name == library else library)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if node.module == library or node.module.startswith(library + "."):
                for alias in node.names:
                    if alias.name in verbs or alias.name == "*":
                        for verb in verbs if alias.name == "*" else (alias.name,):
                            out.refused.setdefault(
                                f"{library}.{verb}",
                                f"{real}:{node.lineno} imports {alias.name} from {node.module} by name: its "
                                f"calls, bound at import, escape a patch of {library}.{verb}; the moved "
                                "one would intercept them",
                            )
    # ``self.requests`` as a property returning a wrapper (``_wrapper``): requests only.
    wrapped = _wrapper(tree, real, out) if library == "requests" and isinstance(tree, ast.Module) else set()
    called: Dict[int, ast.Call] = {}
    inner: Set[int] = set()  # references whose own attribute is read: requests.post.call_count
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called[id(node.func)] = node
        elif isinstance(node, ast.Attribute):
            inner.add(id(node.value))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or node.attr not in verbs:
            continue
        value = node.value
        of_library = (isinstance(value, ast.Name) and value.id in bound) or (
            isinstance(value, ast.Attribute) and value.attr == library
        )
        if not of_library:
            continue
        name = f"{library}.{node.attr}"
        if id(value) in wrapped:
            out.wrapped.setdefault(name, []).append((real, node.lineno))
            continue
        call = called.get(id(node))
        if call is not None and library == "requests" and node.attr == "get" and len(call.args) > 1:
            # share-session passes requests.get(url, params)'s params as params=: the mock
            # would see other arguments (httpx's take only the url positionally).
            out.refused.setdefault(name, f"{real}:{node.lineno} passes get()'s params positionally")
        elif isinstance(node.ctx, ast.Load) and id(node) not in inner:
            # A call, or a reference share-session rewrites in place (``fn = requests.post if
            # p else requests.get``): evaluated where it was, it reads the patched attribute
            # as before.
            out.calls.setdefault(name, []).append((real, node.lineno))
        else:
            out.refused.setdefault(name, f"{real}:{node.lineno} uses the attribute {name} itself")


# -- the candidates: patches whose target can move ------------------------------------------


def _verb_of(target: str) -> Optional[str]:
    """``requests.post`` / ``pkg.mod.requests.post`` -> ``requests.post``; ``pkg.mod.httpx.get``
    -> ``httpx.get``."""
    parts = target.split(".")
    if len(parts) >= 2 and parts[-1] in LIBRARY_VERBS.get(parts[-2], ()):
        return f"{parts[-2]}.{parts[-1]}"
    return None


def _patch_file(patch: Any) -> Tuple[str, int]:
    path, _, line = patch.where.rpartition(":")
    return path, int(line) if line.isdigit() else 0


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


#: id(tree) -> (tree, its calls by line): a test module holds hundreds of patches (apprise:
#: 1,378 in 156 files), and walking its whole tree for each made the plan quadratic.
_CALLS_BY_LINE: Dict[int, Tuple[ast.AST, Dict[int, List[ast.Call]]]] = {}


def _calls_at(tree: ast.AST, line: int) -> List[ast.Call]:
    """The calls of ``tree`` that start at ``line`` (an index built once per tree)."""
    held = _CALLS_BY_LINE.get(id(tree))
    if held is None or held[0] is not tree:
        if len(_CALLS_BY_LINE) >= 64:
            _CALLS_BY_LINE.clear()
        index: Dict[int, List[ast.Call]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                index.setdefault(node.lineno, []).append(node)
        held = _CALLS_BY_LINE[id(tree)] = (tree, index)
    return held[1].get(line, [])


def literal_of(tree: ast.AST, line: int, target: str, funcs: frozenset = _PATCH_FUNCS) -> Optional[ast.Constant]:
    """The string literal ``target`` that is the first argument of the one patch call at
    ``line`` (``None``: not exactly one such call, or another form). ``patch.multiple``
    (``funcs``): the literal names the module, and every keyword must be a verb: the move
    sets each of them on the session (``get=``, ``post=``; not ``Session=``, ``**fakes``, nor
    ``create=`` & co.)."""
    found = []
    for node in _calls_at(tree, line):
        if _dotted(node.func) in funcs:
            first = node.args[0] if node.args else None
            verbs = funcs is _PATCH_FUNCS or (len(node.args) == 1 and all(k.arg in VERBS for k in node.keywords))
            if isinstance(first, ast.Constant) and first.value == target and verbs:
                found.append(first)
            else:
                return None
    return found[0] if len(found) == 1 else None


def _multiple(patch: Any) -> bool:
    return _MULTIPLE_TEXT.match(patch.text or "") is not None


def written(patch: Any, target: str) -> str:
    """How ``target`` (``patch``'s or its new one) is written in the test: the module
    without the verb for ``patch.multiple("requests", post=...)``."""
    return target.rpartition(".")[0] if _multiple(patch) else target


@dataclass(frozen=True)
class Edit:
    """The source span of a patch's target: from (line, column) to (end line, end column),
    ``ast``'s UTF-8 byte offsets; ``literal``: the span is one string literal holding the
    target (``mock.patch("requests.post")``, ``monkeypatch.setattr("pkg.mod.requests.post",
    fake)``), else the object and name arguments of ``monkeypatch.setattr(requests, "post",
    fake)``; ``quote``: the quote of the new literal."""

    line: int
    column: int
    end_line: int
    end_column: int
    literal: bool
    quote: str = '"'


def _setattr_edit(tree: ast.AST, line: int, target: str) -> Optional[Edit]:
    """``monkeypatch.setattr(<...>requests, "post", value)`` or ``monkeypatch.setattr(
    "<...>requests.post", value)`` at ``line``, the one such call there."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.lineno == line and _dotted(node.func) == "monkeypatch.setattr"):
            continue
        args = node.args
        if any(isinstance(a, ast.Starred) for a in args) or any(k.arg != "raising" for k in node.keywords):
            return None
        first = args[0] if args else None
        if len(args) == 2 and isinstance(first, ast.Constant) and first.value == target:
            found.append(Edit(first.lineno, first.col_offset, first.end_lineno or 0, first.end_col_offset or 0, True))
        elif (
            len(args) == 3
            and isinstance(args[1], ast.Constant)
            and isinstance(args[1].value, str)
            and _dotted(args[0]) != ""
            and f"{_dotted(args[0])}.{args[1].value}".split(".")[-2:] == target.split(".")[-2:]
        ):
            name = args[1]
            found.append(Edit(first.lineno, first.col_offset, name.end_lineno or 0, name.end_col_offset or 0, False))
        else:
            return None
    return found[0] if len(found) == 1 else None


def edit_of(tree: ast.AST, line: int, patch: Any) -> Optional[Edit]:
    """Where ``patch``'s target is written, in a form that can move (``None``: another)."""
    if _PATCH_TEXT.match(patch.text or "") or _multiple(patch):
        funcs = _MULTIPLE_FUNCS if _multiple(patch) else _PATCH_FUNCS
        node = literal_of(tree, line, written(patch, patch.target), funcs)
        if node is None or node.end_lineno != node.lineno:
            return None
        return Edit(node.lineno, node.col_offset, node.lineno, node.end_col_offset or 0, True)
    if (patch.text or "").startswith("monkeypatch.setattr("):
        return _setattr_edit(tree, line, patch.target)
    return None


def apply_edit(lines: List[bytes], edit: Edit, old: str, new: str) -> bool:
    """Rewrites ``lines`` (the file's, with their ends) at ``edit`` to the literal ``new``;
    False when the span is not as expected (a prefix or an escape in the literal, a comment
    or anything but a comma between setattr's object and name): not ours to edit."""
    first, last = lines[edit.line - 1], lines[edit.end_line - 1]
    head, tail = first[: edit.column], last[edit.end_column :]
    if edit.line == edit.end_line:
        span = first[edit.column : edit.end_column]
    else:
        span = first[edit.column :] + b"".join(lines[edit.line : edit.end_line - 1]) + last[: edit.end_column]
    if edit.literal:
        quote = span[:1]
        if quote not in (b"'", b'"') or span != quote + old.encode() + quote:
            return False
    else:
        # ``<object>, "name"``: the object's text, a comma and whitespace, the name's literal.
        obj, _, verb = old.rpartition(".")
        match = re.fullmatch(rb"([\w.]+)\s*,\s*(['\"])" + re.escape(verb.encode()) + rb"\2", span)
        if match is None:
            return False
        quote = match.group(2)
    lines[edit.line - 1 : edit.end_line] = [head + quote + new.encode() + quote + tail]
    return True


def _dotted_form(patch: Any) -> bool:
    """Whether ``patch`` is made by a call whose target the move can rewrite (``mock.patch``,
    ``patch.multiple``, ``monkeypatch.setattr``)."""
    text = patch.text or ""
    return patch.kind == "mock" and bool(
        _PATCH_TEXT.match(text) or _multiple(patch) or text.startswith("monkeypatch.setattr(")
    )


def movable(tree: ast.AST, lines: List[bytes], patch: Any) -> bool:
    """Whether ``patch`` of the module ``tree`` (its ``lines``, with their ends) is written so
    the move can rewrite it: the edit made after the run, tried now on a copy (a comment
    inside the span, an escape). The facts pass asks, with the tree in hand (``Patch.movable``)."""
    if _verb_of(patch.target) is None or not _dotted_form(patch):
        return False
    edit = edit_of(tree, _patch_file(patch)[1], patch)
    return edit is not None and apply_edit(list(lines), edit, written(patch, patch.target), "x")


def _form_problem(patch: Any) -> Optional[str]:
    if not _dotted_form(patch):
        return f"{patch.text} at {patch.where} is not a patch of a dotted name"
    if not patch.movable:
        if _multiple(patch):
            return f"{patch.text} at {patch.where}: its one argument is not the module as a literal, or it patches more than verbs"
        return f"{patch.text} at {patch.where}: its target is not the first argument as a literal"
    return None


# -- the plan --------------------------------------------------------------------------------


def plan_transfers(settings: Any, files: Sequence[str], jobs: int, offer: bool = False) -> Any:
    """``settings`` whose facts say which tests' patches the run moves (``Transfers``); the
    settings as they are when none can."""
    from .. import engine

    facts, layout = settings.facts, settings.packages
    if facts is None or layout is None or CODEMOD not in settings.codemods or not facts.patches:
        return settings
    run_files = {os.path.realpath(f) for f in files}
    read = [real for real, _ in facts.imports]
    REFUSED.clear()
    candidates: Dict[Tuple[str, str], List[Any]] = {}  # (project, verb) -> its patches
    refused: Set[Tuple[str, str]] = set()
    for patch in facts.patches:
        verb = _verb_of(patch.target)
        if verb is None:
            continue
        key = (patch.project, verb)
        if key in refused:
            continue
        problem = _form_problem(patch)
        if problem is not None:
            REFUSED[key] = problem
            refused.add(key)
            candidates.pop(key, None)
            continue
        candidates.setdefault(key, []).append(patch)
    # Unsettled, string and assignment patches of the library stay; they keep their calls reported.
    projects = {project for project, _ in candidates}
    for project in list(projects):
        mine = [real for real in read if facts.project_of_real(real) == project]
        outside = [real for real in mine if real not in run_files]
        if outside:
            for key in candidates:
                if key[0] == project:
                    REFUSED[key] = f"the run does not read {outside[0]}"
            projects.discard(project)  # the run does not read every file of the project
    candidates = {key: found for key, found in candidates.items() if key[0] in projects}
    if not candidates:
        return settings
    if not settings.unsafe_fixes and not offer:
        # The move is an unsafe fix: no planning run (a second pass over the projects: about
        # half again the CPU of a whole-corpus run) for a run that cannot apply it; its calls
        # say that --unsafe-fixes may move their patches (``sites.MOVE_HINT``).
        possible = frozenset(p for found in candidates.values() for p in found)
        return replace(settings, facts=replace(facts, transfers=Transfers(possible=possible)))
    moved = frozenset(p for found in candidates.values() for p in found)
    planning = replace(
        settings,
        facts=replace(facts, transfers=Transfers(moved=moved, planning=True)),
        mode=engine.CHECK,
        keep_text=False,
    )
    # Cached as any run (the planning facts are part of the key): a warm run plans from the cache.
    # Only the files of the projects with a candidate: the plan reads no other (``_decide``).
    mine = sorted(f for f in files if facts.project_of_real(os.path.realpath(f)) in projects)
    results = list(engine._run_iter_cached(mine, planning, jobs))

    targets, sites = _decide(facts, layout, candidates, results, read)
    if os.environ.get("HTTP_CODEMODS_DEBUG_MOCKPATCH"):
        import sys

        for key, why in sorted(REFUSED.items()):
            print(f"mockpatch: {key}: {why}", file=sys.stderr)
    if not targets:
        return settings
    if settings.unsafe_fixes:
        chosen = Transfers(
            moved=frozenset(p for p, _ in targets), targets=tuple(targets), sites=tuple(sites), offered=tuple(targets)
        )
    else:  # an unsafe fix: the calls stay reported, "fixable with --unsafe-fixes"
        chosen = Transfers(offered=tuple(targets))
    return replace(settings, facts=replace(facts, transfers=chosen))


def _decide(facts: Any, layout: Any, candidates: Dict[Tuple[str, str], List[Any]], results: Sequence[Any], read):
    from .. import engine

    #: (project, verb) -> (real path, line) -> the client path (or "") of each call routed there
    routed: Dict[Tuple[str, str], Dict[Tuple[str, int], List[str]]] = {}
    failed: Set[str] = set()  # projects with a file the planning run could not process
    changed: Set[str] = set()
    for result in results:
        real = os.path.realpath(result.path)
        project = facts.project_of_real(real)
        if result.status == engine.ERROR:
            failed.add(project or "")
        elif result.status == engine.CHANGED:
            changed.add(real)
        for site in result.sites:
            found = _parse_marker(site.reason) if site.codemod == CODEMOD else None
            if found is None or found[1] not in LIBRARY_VERBS or project is None:
                continue  # also a drop-in's call (the marker names niquests): no patch of requests had it
            client, library, name = found
            routed.setdefault((project, f"{library}.{name}"), {}).setdefault((real, site.line), []).append(client)
    moves: Dict[Tuple[str, str], Tuple[List[Tuple[Any, str]], List[Tuple[str, str, int]]]] = {}
    by_project: Dict[str, Census] = {}
    for (project, verb), patches in sorted(candidates.items()):
        key = (project, verb)
        if project in failed:
            REFUSED[key] = "a file of the project fails"
            continue
        if project not in by_project:
            by_project[project] = census(r for r in read if facts.project_of_real(r) == project)
        found = by_project[project]
        if found.unreadable or verb in found.refused:
            REFUSED[key] = found.refused.get(verb) or f"{found.unreadable} does not parse"
            continue
        if found.generated:
            # The calls an earlier run routed through it were the verb's calls the patch
            # intercepted; the census no longer sees them (httpie: tests/ got its session in
            # the first run, the second would have moved the patch onto httpie's).
            REFUSED[key] = f"an earlier run routed calls through {found.generated}"
            continue
        # The calls the patches may intercept: every file's but another test module's that
        # their tests do not reach by imports (it runs in its own tests only).
        scope = _scope(facts, patches, found)
        calls: Dict[Tuple[str, int], int] = {}
        for position in found.calls.get(verb, ()):
            if _inside(scope, position[0]):
                calls[position] = calls.get(position, 0) + 1
        mine = {at: where for at, where in routed.get(key, {}).items() if _inside(scope, at[0])}
        counts = {at: len(where) for at, where in mine.items()}
        used = {client for where in mine.values() for client in where}
        if not calls or len(used) != 1 or calls != counts:
            # A call stays or goes elsewhere, or the session would take other calls.
            REFUSED[key] = _mismatch(calls, counts, used)
            continue
        library, _, name = verb.partition(".")
        others = sorted(
            other
            for (p, other), at in routed.items()
            if p == project
            and other != verb
            and other.startswith(library + ".")
            and used & {client for where in at.values() for client in where}
        )
        if name == "request" and others:
            # Session.get/post/... (httpx's Client.get & co. too) call self.request: the moved
            # patch would intercept them too.
            REFUSED[key] = (
                f"the calls of {others[0]} go through the same client, whose {others[0].partition('.')[2]}() "
                "calls its request(): the moved patch would intercept them too"
            )
            continue
        client = layout.by_path(next(iter(used)))
        if client is None or client.exists:
            REFUSED[key] = "the package's client module exists already"
            continue
        if any(os.path.realpath(_patch_file(p)[0]) in changed for p in patches):
            REFUSED[key] = "the run changes a file that holds one of the patches"
            continue
        from .package_client import EXPORTS  # the name each library's client has there

        new = f"{client.package}.{client.module}.{EXPORTS[library]}.{name}"
        moves[key] = ([(p, new) for p in patches], [(verb, real, line) for (real, line) in sorted(calls)])
    _couple(facts.patches, moves)
    targets = [target for key in sorted(moves) for target in moves[key][0]]
    sites = [site for key in sorted(moves) for site in moves[key][1]]
    return targets, sites


def _scope(facts: Any, patches: Sequence[Any], found: Optional[Census] = None) -> Optional[Set[str]]:
    """The real paths of the files whose calls may run while one of ``patches`` is active: what
    the test modules that make them reach by imports, and what the test modules that import
    those reach (a subclass of a patched test class, a patching fixture imported: its tests
    run the patch with their own code); ``None`` (every file) when one is made elsewhere (a
    conftest, a helper: any test may run it) or such a file, or a ``pytest_plugins`` module,
    imports the patching test module. A test module a conftest, a helper or a plugin imports
    counts too (any test may run it)."""
    from ..facts import is_test_module

    if any(not patch.reach for patch in patches) or any(_outlives(patch) for patch in patches):
        return None
    if found is not None and found.plugins_unknown:
        return None
    homes = {patch.reach for patch in patches}
    graph = facts._graph()[0]
    project = graph.project_of(next(iter(homes)))
    files = [real for real, _ in facts.imports if graph.project_of(real) == project]
    edges = {real: graph.imported(real) for real in files}
    # What pytest imports as a conftest: the plugins, and every module that is no test module.
    roots = {real for real in files if not is_test_module(real)}
    for name in found.plugins if found is not None else ():
        roots.update(target for target, _ in graph.resolve(name, project))
    if homes & _reached(roots, edges):
        return None
    importers: Dict[str, Set[str]] = {}
    for real, imported in edges.items():
        for target in imported:
            importers.setdefault(target, set()).add(real)
    users = _reached(homes, importers)  # the test modules that import a patching one
    scope = {real for patch in patches for real in facts.reachable(patch.reach)}
    return scope | _reached(roots | users, edges)


def _outlives(patch: Any) -> bool:
    """Whether ``patch``, made in a test module, may stay active while other test modules'
    tests run (``facts.visitor.outlives_test``)."""
    from ..facts.visitor import outlives_test

    path, line = _patch_file(patch)
    try:
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return True
    return outlives_test(tree, line)


def _reached(start: Set[str], edges: Dict[str, Set[str]]) -> Set[str]:
    """``start`` and every file an edge leads to from there."""
    seen, todo = set(start), list(start)
    while todo:
        for target in edges.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _inside(scope: Optional[Set[str]], real: str) -> bool:
    """Whether the calls of the file ``real`` may run while a patch of ``scope`` is active:
    all but those of a test module (``test_*.py``) none of the patches' tests imports, which
    pytest runs in its own tests only (a helper, a conftest, the package: any test may run them)."""
    from ..facts import is_test_module

    return scope is None or real in scope or not is_test_module(real)


def _couple(patches: Iterable[Any], moves: Dict[Tuple[str, str], Any]) -> None:
    """A ``patch.multiple("requests", get=..., post=...)`` has one target for its verbs: it
    moves when all of them do, else none does (a verb it holds that stays keeps the others)."""
    calls: Dict[Tuple[str, str], Set[Tuple[str, str]]] = {}  # (where, text) -> the verbs' keys
    for patch in patches:
        verb = _verb_of(patch.target)
        if verb is not None and _multiple(patch):
            calls.setdefault((patch.where, patch.text), set()).add((patch.project, verb))
    changed = True
    while changed:
        changed = False
        for (where, text), keys in sorted(calls.items()):
            staying = sorted(k for k in keys if k not in moves)
            for key in sorted(keys & set(moves)) if staying else ():
                REFUSED[key] = f"{text} at {where} patches {staying[0][1]} too, which cannot move"
                del moves[key]
                changed = True


def _mismatch(calls: Dict[Tuple[str, int], int], routed: Dict[Tuple[str, int], int], used: Set[str]) -> str:
    if not calls:
        return "no call of the verb in the project"
    if len(used) != 1 or "" in used:
        named = ", ".join(sorted(client or "a client of their own" for client in used))
        return f"the calls do not all go through one package session ({named})"
    for position in sorted(set(calls) | set(routed)):
        if calls.get(position, 0) != routed.get(position, 0):
            kept = calls.get(position, 0) > routed.get(position, 0)
            what = "a call stays unrewritten" if kept else "the session would take another call"
            return f"{position[0]}:{position[1]}: {what}"
    return "mismatch"


# -- after the run: the tests' patch targets --------------------------------------------------


def held_paths(settings: Any) -> Set[str]:
    """The real paths of the files whose patches the run moves: ``test_results`` gives their
    one result, the run's own (unchanged: ``_decide``) with the moved targets' sites."""
    transfers = getattr(settings.facts, "transfers", None) if settings.facts is not None else None
    if transfers is None or transfers.planning:
        return set()
    return {os.path.realpath(_patch_file(patch)[0]) for patch, _ in transfers.targets}


def test_results(results: Sequence[Any], settings: Any) -> List[Any]:
    """One result per test file whose patches the run moves (``Transfers.targets``): the
    run's result of the file, with the moved targets."""
    facts = settings.facts
    transfers = getattr(facts, "transfers", None) if facts is not None else None
    if transfers is None or transfers.planning or not transfers.targets:
        return []
    from .. import engine
    from ..formatting import format_changed
    from ..linediff import unified_diff
    from ..sites import FIXED, UNSAFE, Site  # not ..base: a warm run imports no libcst
    from ..sources import SourceError, write_atomic

    # (real path, line) -> (its result, how many of its share-session sites are fixed): a line
    # may hold several targets, of several verbs (``(requests.put if a else requests.delete)(u)``)
    done: Dict[Tuple[str, int], Tuple[Any, int]] = {}
    own: Dict[str, Any] = {}  # real path -> the run's result of a file whose patches move
    held = held_paths(settings)
    for result in results:
        if os.path.realpath(result.path) in held:
            own[os.path.realpath(result.path)] = result
        for site in result.sites:
            if site.codemod == CODEMOD:
                key = (os.path.realpath(result.path), site.line)
                fixed = done.get(key, (result, 0))[1] + (site.action == FIXED)
                done[key] = (result, fixed)
    by_file: Dict[str, List[Tuple[Any, str]]] = {}
    for patch, new in transfers.targets:
        by_file.setdefault(_patch_file(patch)[0], []).append((patch, new))
    missing = []
    wanted: Dict[Tuple[str, int], int] = {}
    for _, real, line in transfers.sites:
        wanted[(real, line)] = wanted.get((real, line), 0) + 1
    for (real, line), count in wanted.items():
        entry = done.get((real, line))
        if entry is None or entry[1] < count:
            missing.append(f"{real}:{line}")
        elif settings.mode == engine.WRITE and not entry[0].written:
            missing.append(f"{real}:{line} (not written)")
    out = []
    for key in sorted(by_file):
        path = key
        mine = own.get(os.path.realpath(path))
        if mine is not None and mine.status not in (engine.UNCHANGED, engine.SKIPPED):
            # The plan said the run leaves it alone; it did not after all (never expected).
            why = mine.error or "the run changed it"
            reason = f"its patches of the calls routed through the shared session were not moved: {why}"
            out.append(engine.FileResult(path=mine.path, status=engine.ERROR, error=reason))
            continue
        if mine is not None:
            path = mine.path
        if missing:
            reason = (
                "the tests' patches of the calls routed through the shared session were not moved: "
                f"{', '.join(missing[:3])} {'is' if len(missing) == 1 else 'are'} not rewritten; "
                "restore the rewritten modules or move the patches by hand"
            )
            out.append(engine.FileResult(path=path, status=engine.ERROR, error=reason))
            continue
        try:
            with open(path, "rb") as handle:
                data = handle.read()
            tree = ast.parse(data)
        except (OSError, SyntaxError, ValueError) as exc:
            out.append(engine.FileResult(path=path, status=engine.ERROR, error=f"cannot read: {exc}"))
            continue
        lines = data.splitlines(keepends=True)
        edits: Optional[List[Tuple[Edit, str, str]]] = []
        sites = []
        for patch, new in by_file[key]:
            line = _patch_file(patch)[1]
            edit = edit_of(tree, line, patch)
            if edit is None or edits is None:
                edits = None
                break
            if (edit, written(patch, patch.target), written(patch, new)) not in edits:  # multiple: one literal
                edits.append((edit, written(patch, patch.target), written(patch, new)))
            danger = hazard(_verb_of(patch.target) or "")
            reason = (
                f"patch target {patch.target} moved to {new}: the calls it intercepted go "
                f"through the package's shared session (unsafe fix: {danger})"
            )
            sites.append(Site(CODEMOD, line, edit.column + 1, FIXED, reason, UNSAFE, danger))
        if edits is None:
            out.append(engine.FileResult(path=path, status=engine.ERROR, error="a patch target moved"))
            continue
        for edit, old, new in sorted(edits, key=lambda e: (e[0].line, e[0].column), reverse=True):
            if not apply_edit(lines, edit, old, new):
                edits = None  # a prefix, an escape, implicit concatenation: not ours to edit
                break
        if edits is None:
            out.append(engine.FileResult(path=path, status=engine.ERROR, error="a patch target is not a plain literal"))
            continue
        # The project's formatter on the changed lines, as the run's own rewrites get it
        # (``engine``): a longer target re-wrapped as the project's formatter wraps it.
        old_text = data.decode("utf-8")
        new_text = format_changed(old_text, b"".join(lines).decode("utf-8"), path)
        new_bytes = new_text.encode("utf-8")
        kept = list(mine.sites) if mine is not None else []
        result = engine.FileResult(
            path=path,
            status=engine.CHANGED,
            sites=sorted(kept + sites, key=lambda s: (s.line, s.column, s.codemod)),
            applied=[CODEMOD],
            diff=unified_diff(old_text, new_text, path),
            old_text=old_text,
            new_text=new_text,
            new_bytes=new_bytes,
        )
        if settings.mode == engine.WRITE:
            try:
                write_atomic(path, new_bytes, tuple(settings.roots))
                result.written = True
            except SourceError as exc:
                result = engine.FileResult(path=path, status=engine.ERROR, error=exc.reason)
            except OSError as exc:
                result = engine.FileResult(path=path, status=engine.ERROR, error=f"cannot write: {exc}")
        out.append(result)
    return out
