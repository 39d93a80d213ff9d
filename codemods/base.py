"""What every codemod shares: its description, its options, the sites it records, suppression.

A codemod is a libcst ``VisitorBasedCodemodCommand`` so it also runs under
``python -m libcst.tool codemod``; the engine drives the same classes without libcst's runner.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, ClassVar, Dict, FrozenSet, Generator, Iterable, List, Optional, Set, Tuple

import libcst as cst
from libcst import CSTTransformer
from libcst.codemod import Codemod, CodemodContext, VisitorBasedCodemodCommand
from libcst.metadata import (
    ExpressionContextProvider,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from . import import_cleanup
from .calls import HttpResolver
from .config import unknown_suppression
from .docs import CodemodDocs
from .spec import HTTP_LIBRARIES, TargetSpec
from .sites import (  # noqa: F401  (re-exported: what results are made of, without libcst)
    FILE_KEY,
    FIXED,
    LINE_REF,
    REPORTED,
    SAFE,
    UNSAFE,
    UNSAFE_HINT,
    FileContext,
    Option,
    Site,
    resolve_line_refs,
)
from .style import style_for
from .tree import TRIVIA, FastScopeProvider, LazyMetadata, walk

_UNDEFINED: Any = object()
#: Metadata computed on first use instead of for every file (see ``tree.LazyMetadata``).
_LAZY = (PositionProvider, QualifiedNameProvider, ParentNodeProvider, ExpressionContextProvider)

#: Nodes that can never hold a call: their subtrees are not walked (a file of comments and
#: blank lines otherwise costs a transformer call per whitespace node).
_TRIVIA = TRIVIA

_SUPPRESS = re.compile(r"#\s*http-codemods:\s*ignore(?:\[(?P<names>[^\]]*)\])?")


_NO_FILE = FileContext()


class HttpCodemod(VisitorBasedCodemodCommand):
    #: Command name, as used by ``--select``.
    NAME: ClassVar[str] = ""
    #: One line for ``--list`` and libcst's tool.
    DESCRIPTION: ClassVar[str] = ""
    #: Why this matters (README, SARIF help, PR bodies).
    WHY: ClassVar[str] = ""
    #: Exactly what the rewrite changes at run time.
    FIX: ClassVar[str] = ""
    #: Why / what it fixes / the fix / its safety / what is reported, and examples: the
    #: README section, ``--list --verbose`` and the SARIF rule help (``docs.py``).
    DOCS: ClassVar[Optional[CodemodDocs]] = None
    #: On by default: only codemods that keep behaviour.
    DEFAULT: ClassVar[bool] = True
    OPTIONS: ClassVar[Tuple[Option, ...]] = ()
    #: What it looks for (``spec.py``): the prefilter's needs, the names pruning keeps and
    #: the candidate names are derived from it.
    TARGETS: ClassVar[TargetSpec] = TargetSpec()
    #: ``TARGETS.module_wide``: qualified names (modules, functions) this codemod resolves
    #: anywhere in a module, not only in the functions that hold its targets. Functions that
    #: reach none of them, and nothing bound from them, are hidden from it (``prune.py``).
    MODULE_WIDE: ClassVar[FrozenSet[str]] = HTTP_LIBRARIES

    #: Resolved for every file a codemod runs on. Positions, parents, qualified names and
    #: expression contexts are available too, through ``get_metadata``, but computed only
    #: when first asked for (``tree.LazyMetadata``).
    METADATA_DEPENDENCIES = (FastScopeProvider,)

    def __init__(self, context: CodemodContext, **options: Any) -> None:
        # Not VisitorBasedCodemodCommand.__init__: its matcher set-up inspects every method of
        # the class on each instance, and our codemods use no matcher decorators.
        Codemod.__init__(self, context)
        CSTTransformer.__init__(self)
        self._extra_visit_funcs: Dict[Any, Any] = {}
        self._extra_leave_funcs: Dict[Any, Any] = {}
        self.options: Dict[str, Any] = {o.name: o.default for o in self.OPTIONS}
        for key, value in options.items():
            key = key.replace("_", "-")
            if key in self.options and value is not None:
                self.options[key] = value
        self.sites: List[Site] = []
        self.resolver = HttpResolver(self)
        self._lines: Optional[List[str]] = None
        self._path: Optional[Set[cst.CSTNode]] = None

    # -- traversal --------------------------------------------------------------------------
    # Our codemods use no matcher decorators, so libcst's matcher bookkeeping (which runs on
    # every node and attribute) is bypassed, and trivia subtrees are not walked at all.

    #
    # A codemod that plans its whole rewrite in ``visit_Module`` says which nodes it will
    # replace (``changed_nodes``); the transform then visits only them and their ancestors,
    # instead of rebuilding every node of the module.

    def changed_nodes(self) -> Optional[Iterable[cst.CSTNode]]:
        """The nodes whose ``leave_*`` hooks replace them, known once ``visit_Module`` has
        run; ``None`` (the default): not known in advance, visit everything."""
        return None

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, _TRIVIA):
            return False
        if isinstance(node, cst.Module):
            self._path = None
            descend = CSTTransformer.on_visit(self, node)
            changed = self.changed_nodes()
            if changed is not None:
                self._path = self._ancestors_of(changed)
                self._path.add(node)
            return descend
        if self._path is not None and node not in self._path:
            return False
        return CSTTransformer.on_visit(self, node)

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        if isinstance(original_node, _TRIVIA):
            return updated_node
        if self._path is not None and original_node not in self._path:
            return updated_node
        return CSTTransformer.on_leave(self, original_node, updated_node)

    def _ancestors_of(self, nodes: Iterable[cst.CSTNode]) -> Set[cst.CSTNode]:
        parents = self.lazy.mapping(ParentNodeProvider)
        path: Set[cst.CSTNode] = set()
        for node in nodes:
            while node is not None and node not in path:
                path.add(node)
                node = parents.get(node)
        return path

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        return CSTTransformer.on_visit_attribute(self, node, attribute)

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return CSTTransformer.on_leave_attribute(self, original_node, attribute)

    @property
    def file(self) -> FileContext:
        found = self.context.scratch.get(FILE_KEY)
        return found if isinstance(found, FileContext) else _NO_FILE

    @classmethod
    def add_args(cls, arg_parser: Any) -> None:  # libcst.tool integration
        for option in cls.OPTIONS:
            arg_parser.add_argument(
                "--" + option.name,
                dest=option.name.replace("-", "_"),
                default=option.default,
                help=option.help,
            )

    @contextmanager
    def _handle_metadata_reference(self, module: cst.Module) -> Generator[cst.Module, None, None]:
        """Resolve metadata without libcst's defensive deep copy of the tree.

        Both the engine and ``libcst.tool`` hand us a freshly parsed module (no node appears
        twice), for which the copy only costs time. The engine may pass a wrapper it already
        resolved (``FileContext.lazy``, a ``tree.LazyMetadata``) so codemods that run in
        sequence on an unchanged tree share one metadata computation.
        """
        oldwrapper = self.context.wrapper
        lazy = self.file.lazy
        if not isinstance(lazy, LazyMetadata) or lazy.module is not module:
            lazy = LazyMetadata(MetadataWrapper(module, unsafe_skip_copy=True))
        wrapper = lazy.wrapper
        self.lazy = lazy
        for provider in self.METADATA_DEPENDENCIES:
            lazy.resolve(provider)  # so that ``self.resolve`` below finds them computed
        with self.resolve(wrapper):
            self.context = replace(self.context, wrapper=wrapper)
            try:
                yield wrapper.module
            finally:
                self.context = replace(self.context, wrapper=oldwrapper)

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        new = super().transform_module_impl(tree)
        if new is not tree and self.fixed_any():
            new = import_cleanup.remove_unused_imports(self, tree, new, self.context.filename)
        return new

    def transform_module(self, tree: cst.Module) -> cst.Module:
        """The codemod's rewrite, then (libcst's ``AddImportsVisitor`` having added what it
        needs) every import it added moved to where the project's import sorting puts it, and
        the imports it left unused removed (``import_cleanup.py``)."""
        new = super().transform_module(tree)
        if new is not tree and self.fixed_any():
            new = import_cleanup.place_added_imports(tree, new, style_for(self.context.filename).imports)
        return new

    def get_metadata(self, key: Any, node: cst.CSTNode, default: Any = _UNDEFINED) -> Any:
        if key is ScopeProvider:
            key = FastScopeProvider
        if key not in _LAZY:
            return super().get_metadata(key, node, default)
        mapping = self.lazy.mapping(key)
        if default is _UNDEFINED:
            return mapping[node]
        return mapping.get(node, default)

    def nodes_of(self, module: cst.Module, *types: type) -> List[cst.CSTNode]:
        """The nodes of ``module`` that are instances of ``types``, in source order (from the
        shared index when ``module`` is the tree the metadata is for)."""
        lazy = self.file.lazy
        if isinstance(lazy, LazyMetadata) and lazy.module is module:
            return lazy.nodes(*types)
        return [node for node in walk(module) if isinstance(node, types)]

    # -- sites ---------------------------------------------------------------------------

    def position(self, node: cst.CSTNode) -> Tuple[int, int]:
        pos = self.get_metadata(PositionProvider, node).start
        return pos.line, pos.column + 1

    @property
    def unsafe_fixes(self) -> bool:
        """Whether unsafe fixes are applied in this run (``--unsafe-fixes``)."""
        return self.file.unsafe_fixes

    def line_ref(self, node: cst.CSTNode) -> str:
        """``line N`` for a reason that names another statement (``passed to f at line 290``)."""
        line, _ = self.position(node)
        return f"line \x1f{line}\x1f"

    def warn(self, warning: str) -> None:
        super().warn(resolve_line_refs(warning))

    def fixed(self, node: cst.CSTNode, message: str, hazard: str = "") -> None:
        """A fix applied: safe, or unsafe with ``hazard`` (only under ``--unsafe-fixes``)."""
        line, column = self.position(node)
        if hazard:
            message = f"{message} (unsafe fix: {hazard})"
        self.sites.append(Site(self.NAME, line, column, FIXED, message, UNSAFE if hazard else SAFE, hazard))

    def report(self, node: cst.CSTNode, reason: str, suggestion: str = "") -> None:
        """A site left for a person (no fix); ``suggestion``: the manual edit, when mechanical."""
        line, column = self.position(node)
        self.sites.append(Site(self.NAME, line, column, REPORTED, reason, suggestion=suggestion))
        self.warn(f"{line}:{column}: {self.NAME}: {reason}")

    def unsafe_fix(self, node: cst.CSTNode, reason: str, hazard: str) -> bool:
        """A fix that is right in the usual case, with one ``hazard``: True when it may be
        applied (``--unsafe-fixes``; the caller applies it and calls ``fixed(..., hazard)``);
        otherwise the site is reported with ``reason``, its hazard and "fixable with
        --unsafe-fixes", and False is returned."""
        if self.unsafe_fixes:
            return True
        line, column = self.position(node)
        reason = f"{reason}; {UNSAFE_HINT}"
        self.sites.append(Site(self.NAME, line, column, REPORTED, reason, UNSAFE, hazard))
        self.warn(f"{line}:{column}: {self.NAME}: {reason}")
        return False

    def fixed_any(self) -> bool:
        return any(site.action == FIXED for site in self.sites)

    def suppressed(self, node: cst.CSTNode) -> bool:
        """A trailing ``# http-codemods: ignore`` (or ``ignore[name, ...]``) on the first line."""
        if self._lines is None:
            source = self.file.source
            if source is None:
                source = self.module.code
            self._lines = source.splitlines()
        line, _ = self.position(node)
        if line > len(self._lines):
            return False
        match = _SUPPRESS.search(self._lines[line - 1])
        if match is None:
            return False
        names = match.group("names")
        if names is None:
            return True
        problem = unknown_suppression(names)
        if problem is not None:
            # A misspelt name: the comment meant to suppress something here; leave the site
            # alone and say why (once per line).
            reported = self.__dict__.setdefault("_bad_suppressions", set())
            if line not in reported:
                reported.add(line)
                self.report(node, problem)
            return True
        return self.NAME in {n.strip() for n in names.split(",")}
