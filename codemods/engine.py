"""Paths -> per-file results: prefilter, parse, transform, verify, write.

``run`` fans files out to worker processes and returns one ``FileResult`` per file, sorted by
path whatever the number of workers. ``process_source`` is the pure core (bytes in, result
out); ``process_path`` adds reading and the atomic write.
"""

from __future__ import annotations

import ast
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Dict, FrozenSet, Iterator, List, Optional, Sequence, Tuple

from . import prefilter, prune, registry
from .enums import StrEnum
from .formatting import format_changed
from .linediff import _line_map, unified_diff
from .prefilter import relevant, screen, target_kinds
from .share.shared_import import shared_imports
from .sites import FILE_KEY, FIXED, REPORTED, FileContext, Site, resolve_line_refs
from .sources import SourceError, decode, read_source, write_atomic

if TYPE_CHECKING:  # libcst is imported when a file needs it: a run of cache hits never does
    import libcst as cst

    from .tree import LazyMetadata


class Status(StrEnum):
    """What happened to a file (the values are the report's strings)."""

    UNCHANGED = "unchanged"
    CHANGED = "changed"
    SKIPPED = "skipped"  # the prefilter proved there is nothing to do
    ERROR = "error"


class Mode(StrEnum):
    """What a run does with a change: write it, print its diff, or only report it."""

    WRITE = "write"
    DIFF = "diff"
    CHECK = "check"


UNCHANGED, CHANGED, SKIPPED, ERROR = Status.UNCHANGED, Status.CHANGED, Status.SKIPPED, Status.ERROR
WRITE, DIFF, CHECK = Mode.WRITE, Mode.DIFF, Mode.CHECK

#: How many libcst parses this process did (tests prove the prefilter with it).
PARSE_COUNT = 0


@dataclass(frozen=True)
class Settings:
    """Everything a worker needs; picklable."""

    codemods: Tuple[str, ...]
    options: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    mode: Mode = WRITE
    prefilter_words: Tuple[str, ...] = ()
    keep_text: bool = False  # return old and new text even when not needed for a diff
    #: Hide functions no codemod can act on before the codemods run (``prune.py``); off only
    #: to check that hiding changes nothing.
    hide_functions: bool = True
    #: Real paths every write must resolve inside (``Discovery.roots``); empty: no check.
    roots: Tuple[str, ...] = ()
    #: Per-file budgets (0: none). Files over ``max_file_size`` bytes are not read; the time
    #: (seconds) and memory (bytes of a worker's resident memory) budgets are enforced by
    #: ``workers.py``, which kills and replaces a worker that overruns.
    max_file_size: int = 0
    file_time_limit: float = 0.0
    file_memory_limit: int = 0
    #: Apply unsafe fixes too (``--unsafe-fixes``); without it they are reported.
    unsafe_fixes: bool = False
    #: The project facts pass's result (``facts.ProjectFacts``), computed once per run before
    #: any file is rewritten when a codemod that consults it is selected; None: not computed.
    facts: Optional[Any] = None
    #: The run-level plan of where each package's shared client lives
    #: (``share.package_client.PackageLayout``, ``generated.py``); None: none.
    packages: Optional[Any] = None
    #: Where per-file results are cached (``cache.py``); empty: no cache.
    cache_dir: str = ""


@dataclass
class FileResult:
    path: str
    status: Status
    sites: List[Site] = field(default_factory=list)
    applied: List[str] = field(default_factory=list)
    diff: Optional[str] = None
    encoding: str = "utf-8"
    old_text: Optional[str] = None
    new_text: Optional[str] = None
    new_bytes: Optional[bytes] = None
    error: Optional[str] = None
    error_line: int = 0
    error_column: int = 0
    written: bool = False
    #: SARIF fixes of the unsafe fixes not applied, by (codemod, line, column): replacements
    #: in the file as read (``sarif.preview_unsafe_fixes``; only for ``--format sarif``).
    unsafe_previews: Dict[Tuple[str, int, int], List[Dict[str, Any]]] = field(default_factory=dict)
    #: (generated module path, item) the rewrite imports from: a package's client module and
    #: the library whose client it needs (``generated.py`` writes it after the run).
    requires: List[Tuple[str, str]] = field(default_factory=list)
    #: A file the run creates (a package's client module), not one it read.
    created: bool = False

    @property
    def fixed(self) -> List[Site]:
        return [s for s in self.sites if s.action == FIXED]

    @property
    def reported(self) -> List[Site]:
        return [s for s in self.sites if s.action == REPORTED]

    @property
    def unsafe_fixable(self) -> List[Site]:
        """Reported sites an unsafe fix would change (``--unsafe-fixes``)."""
        return [s for s in self.sites if s.unsafe_fixable]

    def error_location(self) -> str:
        if self.error_line:
            if self.error_column:
                return f"{self.path}:{self.error_line}:{self.error_column}"
            return f"{self.path}:{self.error_line}"
        return self.path


def parse(data: bytes) -> "cst.Module":
    import libcst

    global PARSE_COUNT
    PARSE_COUNT += 1
    return libcst.parse_module(data)


def load_libcst() -> None:
    """Import what a file that reaches libcst needs (libcst, every codemod): once, in the
    parent before worker processes fork, so that they share it instead of each importing it."""
    from . import libcst_compat, tree  # noqa: F401

    registry.load_all()


# -- one file ------------------------------------------------------------------------------


def process_source(data: bytes, path: str, settings: Settings) -> FileResult:
    """Run the selected codemods over ``data``; no I/O. The steps, in order (each may end
    the file early with its result): screen, decode, hide, parse, each codemod, finish."""
    run = _FileRun(data, path, settings)
    return run.screen() or run.rest()


class _FileRun:
    """One file through ``process_source``'s steps; each returns the file's result when it
    ends the run (skipped, an error, the slow path) and ``None`` to go on."""

    def __init__(self, data: bytes, path: str, settings: Settings) -> None:
        self.data, self.path, self.settings = data, path, settings
        self.result = FileResult(path=path, status=UNCHANGED)
        self.verdict: Optional[prefilter.Verdict] = None
        self.kinds: Optional[FrozenSet[str]] = None
        self.original_text = ""
        self.hidden: Optional[prune.Hidden] = None
        self.tree: Optional[cst.Module] = None
        self.start_text = ""  # the parsed text (``original_text`` with hidden functions folded)
        self.code = ""  # the current text
        self.from_start: Callable[[int], int] = _same_line
        self.to_original: Callable[[int], int] = _same_line
        self.lazy: Optional[LazyMetadata] = None
        self.stale: Optional[bytes] = None  # the codemods' latest output, when not re-parsed yet
        self.shared: Tuple[Any, ...] = ()  # clients imported from a generated client module

    def rest(self) -> FileResult:
        """The steps after ``screen`` (which let the file through)."""
        return self.decode() or self.parse() or self.codemods() or self.finish()

    def screen(self) -> Optional[FileResult]:
        """Bytes, then Python's ast: skips files no codemod can touch without a libcst parse,
        and tells which codemods can act at all (``kinds``; ``None`` when ast cannot tell)."""
        settings = self.settings
        self.verdict = (
            screen(
                self.data,
                words_for(settings, self.path),
                settings.codemods,
                factory_names(settings),
                factory_reach(settings, self.path),
            )
            if settings.codemods
            else None
        )
        if self.verdict is None or not self.verdict.candidate:
            self.result.status = SKIPPED
            return self.result
        self.kinds = self.verdict.kinds
        self.shared = shared_imports(self.data, self.path)
        return None

    def decode(self) -> Optional[FileResult]:
        try:
            self.original_text, self.result.encoding = decode(self.data)
        except SourceError as exc:
            return _error(self.result, exc.reason, exc.line, exc.column)
        assert self.verdict is not None
        if self.verdict.danger:  # would crash libcst's native parser (the whole process)
            return _error(self.result, f"cannot parse: {self.verdict.danger}")
        return None

    def parse(self) -> Optional[FileResult]:
        """Functions no selected codemod can act on are hidden from libcst (prune.py); the
        codemods run on the rest, and the hidden lines are put back in ``finish``."""
        settings, verdict = self.settings, self.verdict
        assert verdict is not None
        if settings.hide_functions and verdict.tree is not None:
            watched = registry.watched_names(settings.codemods, words_for(settings, self.path))
            if self.shared:  # a function that uses an imported shared client is kept
                watched = watched | {found.local for found in self.shared}
            self.hidden = prune.hide(self.data, verdict.tree, watched)
        hidden = self.hidden
        try:
            self.tree = parse(hidden.data if hidden else self.data)
        except Exception as exc:
            if hidden is not None:
                return _without_hiding(self.data, self.path, settings)
            from libcst import ParserSyntaxError

            if isinstance(exc, ParserSyntaxError):
                return _syntax_error(self.result, self.data, exc)
            if isinstance(exc, RecursionError):
                return _error(self.result, "cannot parse: nesting too deep")
            return _error(self.result, f"cannot parse: {type(exc).__name__}: {exc}")  # other parser errors
        self.start_text = decode(hidden.data)[0] if hidden else self.original_text  # == tree.code
        self.from_start = hidden.original_line if hidden else _same_line
        self.code = self.start_text
        self.to_original = self.from_start
        return None

    def codemods(self) -> Optional[FileResult]:
        for entry in registry.ordered(self.settings.codemods):
            cls = registry.class_of(entry)
            if not relevant(cls.NAME, self.kinds):
                continue  # no name this codemod acts on: skip its transform and metadata
            ended = self.codemod(cls)
            if ended is not None:
                return ended
        return None

    def codemod(self, cls: Any) -> Optional[FileResult]:
        """One codemod over the current tree; its sites mapped back to the original lines."""
        result = self.result
        if self.stale is not None:
            try:
                self.tree = parse(self.stale)  # verify, and fresh positions for this codemod
            except Exception as exc:
                return _error(result, f"internal error: {result.applied[-1]} produced code that does not parse ({exc})")
            self.stale = None
        from libcst.codemod import CodemodContext
        from libcst.metadata import MetadataWrapper

        from .libcst_compat import flat_skip_first
        from .tree import LazyMetadata

        tree = self.tree
        assert tree is not None
        if self.lazy is None or self.lazy.module is not tree:
            self.lazy = LazyMetadata(MetadataWrapper(tree, unsafe_skip_copy=True))
        hidden_names = self.hidden.names if self.hidden else frozenset()
        file = FileContext(
            source=self.code,
            lazy=self.lazy,
            hidden_names=hidden_names,
            unsafe_fixes=self.settings.unsafe_fixes,
            facts=self.settings.facts,
            packages=self.settings.packages,
            shared=self.shared,
        )
        context = CodemodContext(filename=self.path, scratch={FILE_KEY: file})
        try:
            command = cls(context, **self.settings.options.get(cls.NAME, {}))
            with flat_skip_first():  # libcst_compat.py: no recursion per top-level statement
                new_tree = command.transform_module(tree)
        except RecursionError:
            return _error(result, f"{cls.NAME}: nesting too deep to transform")
        except Exception as exc:
            return _error(result, f"internal error in {cls.NAME}: {type(exc).__name__}: {exc}")
        for site in command.sites:
            line = self.to_original(site.line)
            result.sites.append(replace(site, line=line, reason=resolve_line_refs(site.reason, self.to_original)))
        if not command.fixed_any():
            return None
        new_code = new_tree.code
        if new_code == self.code:
            return None
        self.stale = new_code.encode(new_tree.encoding)  # ``Module.bytes`` without a second codegen
        self.code = new_code
        if self.kinds is not None:
            self.kinds = target_kinds(self.stale)  # what the rewrite left for the next codemods
            if self.kinds is None:
                return _error(result, f"internal error: {cls.NAME} produced code that does not parse")
        result.applied.append(cls.NAME)
        result.requires += getattr(command, "requires", ())
        to_start, from_start = _line_map(self.start_text, self.code), self.from_start
        self.to_original = lambda line: from_start(to_start(line))
        return None

    def finish(self) -> FileResult:
        """Put hidden functions back, verify the final text, and the diff."""
        result, code, hidden, tree = self.result, self.code, self.hidden, self.tree
        assert tree is not None and self.verdict is not None
        result.sites.sort(key=lambda s: (s.line, s.column, s.codemod))
        if code == self.start_text:
            if self.settings.keep_text:
                result.old_text = result.new_text = self.original_text
            return result
        if hidden is not None:
            restored = hidden.restore(code, tree.encoding)
            if restored is None:
                return _without_hiding(self.data, self.path, self.settings)
            code = restored
        # The project's formatter on the changed lines (none configured: the edits as they are).
        formatted = format_changed(self.original_text, code, self.path, tree.encoding)
        reformatted, code = formatted != code, formatted
        new_bytes = code.encode(tree.encoding)
        if hidden is not None or self.stale is not None or reformatted:
            # Verify the final text (the intermediate outputs were checked by ``target_kinds``).
            if self.verdict.tree is None or prefilter.parse_ast(new_bytes) is None:
                try:
                    parse(new_bytes)
                except Exception as exc:
                    return _error(result, f"internal error: the rewritten file does not parse ({exc})")
        result.status = CHANGED
        result.new_bytes = new_bytes
        result.diff = unified_diff(self.original_text, code, self.path)
        result.old_text = self.original_text
        result.new_text = code
        return result


def _without_hiding(data: bytes, path: str, settings: Settings) -> FileResult:
    """The slow path, when hiding could not be undone exactly (never expected)."""
    return process_source(data, path, replace(settings, hide_functions=False))


def _same_line(line: int) -> int:
    return line


def _syntax_error(result: FileResult, data: bytes, exc: "cst.ParserSyntaxError") -> FileResult:
    """LibCST's native parser often points past the error; when the running interpreter
    rejects the file too, its message and position are the more precise ones."""
    try:
        compile(data, result.path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as py_exc:
        if py_exc.lineno:
            return _error(result, f"syntax error: {py_exc.msg}", py_exc.lineno, py_exc.offset or 0)
    except (ValueError, RecursionError, MemoryError):
        pass
    message = re.sub(r"^(parser|tokenizer) error: (error at \d+:\d+: )?", "", exc.message)
    return _error(result, f"syntax error: {message}", exc.raw_line, exc.raw_column + 1)


def _error(result: FileResult, reason: str, line: int = 0, column: int = 0) -> FileResult:
    result.status = ERROR
    result.error = reason
    result.error_line = line
    result.error_column = column
    result.sites = []
    result.applied = []
    result.requires = []
    return result


def words_for(settings: Settings, path: str) -> Tuple[str, ...]:
    """The prefilter's words for the file at ``path``: the configured ones, and for
    close-response the names of its project's response factories that the file names (the
    project facts, ``facts/factories.py``): a caller of one may import no HTTP library."""
    facts = settings.facts
    if facts is None or "close-response" not in settings.codemods:
        return settings.prefilter_words
    extra = facts.factory_words(path)
    return tuple(sorted(set(settings.prefilter_words) | set(extra))) if extra else settings.prefilter_words


def factory_names(settings: Settings) -> Tuple[str, ...]:
    """The names of the project facts' response factories, when close-response is selected:
    a call of one may be its target (``prefilter.possible_sites``)."""
    facts = settings.facts
    if facts is None or "close-response" not in settings.codemods:
        return ()
    return tuple(sorted({f.name for f in getattr(facts, "factories", ())}))


def factory_reach(settings: Settings, path: str) -> Optional[prefilter.FactoryReach]:
    """For a file that names its project's response factories (``words_for``): what a call of
    one needs (``prefilter.reaches_factory``); None for any other file."""
    facts = settings.facts
    if facts is None or "close-response" not in settings.codemods:
        return None
    words = facts.factory_words(path)
    if not words:
        return None
    real = os.path.realpath(os.path.abspath(path))
    project = facts.project_of_real(real)
    named = set(words) - set(settings.prefilter_words)  # a configured word keeps its meaning
    qualified = tuple(
        sorted(q for f in facts.factories if f.project == project and f.name in named for q in f.qualified)
    )
    return prefilter.FactoryReach(frozenset(named), qualified, frozenset(facts.names_of(real, project)))


def screen_key(settings: Settings, path: str) -> Tuple[str, ...]:
    """What the screen's verdict depends on beyond the bytes and ``words_for``: the selected
    codemods, the factory names and what reaching one of them needs (``lookup.verdict_key``)."""
    key = tuple(f"codemod:{name}" for name in sorted(settings.codemods)) + tuple(
        f"factory:{name}" for name in factory_names(settings)
    )
    reach = factory_reach(settings, path)
    if reach is not None:
        key += tuple(f"reach-word:{w}" for w in sorted(reach.words))
        key += tuple(f"reach:{q}" for q in reach.qualified) + tuple(f"module:{m}" for m in sorted(reach.modules))
    return key


def _process_cached(data: bytes, path: str, settings: Settings) -> FileResult:
    """``process_source``, through the content cache when there is one (``cache.py``). The
    screen (both stages) comes first: a file it skips has no entry (``cache.store``), so its
    key (which reads the project's facts for the file) is never computed."""
    if not settings.cache_dir or not settings.codemods:
        return process_source(data, path, settings)
    from . import cache

    cache.begin_file()
    run = _FileRun(data, path, settings)
    skipped = run.screen()
    if skipped is not None:
        return skipped
    key = cache.run_key(settings, path, data)  # the parent's, when it looked the file up
    cached = cache.load(settings.cache_dir, key)
    if cached is not None:
        return cached
    result = run.rest()
    cache.store(settings.cache_dir, key, result)
    return result


def process_path(path: str, settings: Settings, on_write: Optional[Callable[[], None]] = None) -> FileResult:
    """``process_source`` on a file, and the atomic write in WRITE mode; ``on_write`` is
    called just before writing (the supervisor never kills a worker while it writes)."""
    try:
        data = read_source(path, settings.max_file_size)
    except SourceError as exc:
        return _error(FileResult(path, ERROR), exc.reason)
    except FileNotFoundError:
        return _error(FileResult(path, ERROR), "file disappeared before it could be read")
    except IsADirectoryError:
        return _error(FileResult(path, ERROR), "is a directory")
    except OSError as exc:
        return _error(FileResult(path, ERROR), f"cannot read: {exc.strerror or exc}")
    return finish_path(path, data, _process_cached(data, path, settings), settings, on_write)


def finish_path(
    path: str, data: bytes, result: FileResult, settings: Settings, on_write: Optional[Callable[[], None]] = None
) -> FileResult:
    """The write of a changed file in WRITE mode (``data``: the bytes ``result`` is of)."""
    if result.status == CHANGED and settings.mode == WRITE:
        try:
            # Re-check the file did not change under us before replacing it.
            with open(path, "rb") as handle:
                if handle.read() != data:
                    return _error(result, "file changed while it was being processed: not rewritten")
            if on_write is not None:
                on_write()
            write_atomic(path, result.new_bytes or b"", settings.roots)
            result.written = True
        except SourceError as exc:
            return _error(result, exc.reason)
        except FileNotFoundError:
            return _error(result, "file disappeared before it could be written")
        except OSError as exc:
            return _error(result, f"cannot write: {exc.strerror or exc}")
    if not settings.keep_text and result.status == CHANGED and settings.mode == WRITE:
        result.new_bytes = None
    return result


# -- many files ----------------------------------------------------------------------------

_WORKER_SETTINGS: Optional[Settings] = None


def _init_worker(settings: Settings) -> None:
    global _WORKER_SETTINGS
    _WORKER_SETTINGS = settings
    from .workers import tune_gc

    tune_gc()


def _work(path: str) -> FileResult:
    assert _WORKER_SETTINGS is not None
    return process_path(path, _WORKER_SETTINGS)


def run_iter(paths: Sequence[str], settings: Settings, jobs: int) -> Iterator[FileResult]:
    """Results in the order of ``paths`` (callers pass them sorted). With a time or memory
    budget, supervised workers run the files (also with ``jobs == 1``): ``workers.py``."""
    jobs = max(1, jobs)
    if settings.packages is not None:
        from .generated import with_generated

        yield from with_generated(_run_iter_cached(paths, settings, jobs), settings)
        return
    yield from _run_iter_cached(paths, settings, jobs)


def facts_failure(path: str, settings: Settings) -> Optional[FileResult]:
    """The error of a file whose project's facts the pass could not compute
    (``ProjectFacts.failed``): it is not rewritten, nor looked up in the cache."""
    facts = settings.facts
    if facts is None or not getattr(facts, "failed", ()):
        return None
    from .facts.model import CONSUMERS

    why = facts.failure_of(path) if any(name in CONSUMERS for name in settings.codemods) else None
    return None if why is None else _error(FileResult(path, ERROR), why)


def _run_iter_cached(paths: Sequence[str], settings: Settings, jobs: int) -> Iterator[FileResult]:
    """Results in the order of ``paths``; the files of a project the facts pass failed on
    are errors (``facts_failure``), the rest run."""
    failures = {path: facts_failure(path, settings) for path in paths} if getattr(settings.facts, "failed", ()) else {}
    if any(failures.values()):
        rest = _run_iter_cached([p for p in paths if failures[p] is None], settings, jobs)
        for path in paths:
            yield failures[path] or next(rest)
        yield from rest  # nothing: one result per path
        return
    if settings.cache_dir:
        yield from _with_trim(_run_looked_up(paths, settings, jobs), settings.cache_dir)
        return
    yield from _run_iter(paths, settings, jobs)


def _with_trim(results: Iterator[FileResult], cache_dir: str) -> Iterator[FileResult]:
    from . import cache

    cache.tool_key()  # once, before workers fork
    yield from results
    cache.maybe_trim(cache_dir)


def _run_looked_up(paths: Sequence[str], settings: Settings, jobs: int) -> Iterator[FileResult]:
    """Hits and skips decided here from the file index, the rest by workers (``lookup.py``)."""
    from .lookup import run_cached

    yield from run_cached(paths, settings, lambda rest: _run_iter(rest, settings, jobs))


def _run_iter(paths: Sequence[str], settings: Settings, jobs: int) -> Iterator[FileResult]:
    if paths and ((jobs > 1 and len(paths) > 1) or settings.file_time_limit or settings.file_memory_limit):
        load_libcst()  # before the workers fork (a run of cache hits has no paths left here)
    if paths and (settings.file_time_limit or settings.file_memory_limit):
        from .workers import run_supervised

        yield from run_supervised(paths, settings, jobs)
        return
    if jobs == 1 or len(paths) <= 1:
        for path in paths:
            yield process_path(path, settings)
        return
    chunksize = max(1, min(64, len(paths) // (jobs * 8) or 1))
    from .workers import frozen_for_fork, start_context  # fork: the worker imports nothing from the current directory

    with frozen_for_fork():
        with ProcessPoolExecutor(
            max_workers=jobs, mp_context=start_context(), initializer=_init_worker, initargs=(settings,)
        ) as pool:
            yield from pool.map(_work, paths, chunksize=chunksize)


def run(paths: Sequence[str], settings: Settings, jobs: int = 1) -> List[FileResult]:
    return list(run_iter(sorted(paths), settings, jobs))


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        return os.cpu_count() or 1
