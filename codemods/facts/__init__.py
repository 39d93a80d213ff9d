"""Project facts: what other files of a project know about each module, collected once per run
before any file is rewritten, and handed to every file's codemods (``Settings.facts``).

Whether a rewrite keeps a repository working can depend on facts elsewhere in it: a test that
``mock.patch("pkg.mod.requests.get")`` no longer intercepts a call routed through a shared
session; ``requests_cache.install_cache()`` in another module caches bare calls, not a session
made at import; a project that requires ``requests>=2.32`` is not exposed to CVE-2024-35195.

The pass reads every discovered Python file, tests and conftest included (the prefilter's
verdict does not apply here): bytes first, then Python's ``ast`` only for files that name a
patching helper, the library modules or ``os.environ``. It never imports anything. The result,
``ProjectFacts``, is plain data (sorted tuples): picklable for the workers, the same whatever
``-j``, with a stable ``__cache_key__()``.

The package, by concept: ``model.py`` (the facts and the queries codemods make of them),
``screen.py`` (byte-level screening before any parse), ``visitor.py`` (one file's ``ast``
walk), ``bounds.py`` (declared requirements); this module runs the pass (``collect``,
``for_run``, ``for_stdin``) and finds each file's project.
"""

from __future__ import annotations

import ast
import dataclasses
import gc
import hashlib
import operator
import os
import re
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ..discover import display_path
from . import factories
from .bounds import lower_bound_at_least, poetry_specifier, read_bounds, version_specifier
from .model import (
    CONSUMERS,
    EMPTY,
    LIBRARIES,
    Bound,
    CallSite,
    Change,
    Patch,
    ProjectFacts,
    _inside,
    _real,
    api_of,
    module_names,
    real_paths,
)
from .names import Namer, changes_sys_path
from .screen import _LIBRARY_WORD, candidate_lines, imported_modules, member_names, worth_parsing
from .visitor import _FileFacts

__all__ = [
    "CONSUMERS",
    "EMPTY",
    "LIBRARIES",
    "MARKERS",
    "Bound",
    "CallSite",
    "Change",
    "Patch",
    "ProjectFacts",
    "candidate_lines",
    "collect",
    "failure",
    "for_run",
    "for_stdin",
    "imported_modules",
    "is_test_module",
    "lower_bound_at_least",
    "module_names",
    "needed",
    "poetry_specifier",
    "read_bounds",
    "version_specifier",
    "worth_parsing",
]

#: Files that mark a project's root (the outermost one inside the run's roots wins).
MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


def needed(codemods: Iterable[str]) -> bool:
    return any(name in CONSUMERS for name in codemods)


def collect(
    files: Sequence[str],
    roots: Sequence[str] = (),
    read=None,
    index=None,
    reals: Optional[Sequence[str]] = None,
    jobs: int = 1,
) -> ProjectFacts:
    """The facts of the projects ``files`` belong to. ``roots``: the run's roots (real paths);
    a project's root is the outermost directory with a marker inside the root holding the file
    (else the nearest one above it, else that root). ``index``: a ``fileindex.FileIndex``
    whose memo gives each unchanged file's part without reading it (``_file_part``). ``reals``:
    ``real_paths(files)`` when the caller has them already. ``jobs``: processes that read and
    compute the files' parts (``_file_parts``); the facts are the same whatever the number.

    An unexpected exception computing a file's part fails its project (``ProjectFacts.
    failed``: none of its facts, its files errors); one in a step over every project (the
    factories, the names, the bounds) is retried project by project (``_each_project``)."""
    reals = list(reals) if reals is not None else real_paths(files)
    try:
        return _collect(files, roots, read, index, reals, jobs)
    except Exception as exc:  # noqa: BLE001 - confined to the projects it concerns, reported
        return _each_project(files, roots, read, index, reals, jobs, exc)


def _collect(files, roots, read, index, reals, jobs) -> ProjectFacts:
    finder = _ProjectFinder(roots)
    patches: Set[Patch] = set()
    changes: Set[Change] = set()
    projects: Set[str] = set()
    parsed = 0
    imports: Dict[str, Tuple[str, ...]] = {}
    namer = Namer(reals, ())
    owner: Dict[str, str] = {}
    members: Dict[Tuple[str, str], int] = {}
    for real in reals:
        project = owner[real] = finder.project(real)
        projects.add(project)
    memo = _RunMemo(files, reals, owner, projects, namer, index) if index is not None and read is None else None
    if memo is not None and memo.found is not None:
        return _with_bounds(memo.found, finder, projects)
    firsts: Dict[str, factories.FirstRound] = {}
    jobs_of: List[Tuple[str, str, str, str]] = [
        (path, real, owner[real], namer.package(real)) for path, real in zip(files, reals)
    ]
    parts = _file_parts(jobs_of, read, index, jobs)
    failed = {}
    for (path, real, project, _), part in zip(jobs_of, parts):
        if isinstance(part, _Failed) and project not in failed:
            failed[project] = part.why
    if failed:  # those projects' other files are left out too: none of their facts is known
        kept = [i for i, (_, real, project, _) in enumerate(jobs_of) if project not in failed]
        jobs_of, parts = [jobs_of[i] for i in kept], [parts[i] for i in kept]
        files, reals = [job[0] for job in jobs_of], [job[1] for job in jobs_of]
        memo = None  # a run with a failure is not remembered: the next one tries again
    for (path, real, _, _), part in zip(jobs_of, parts):
        if part is None:
            continue
        assert not isinstance(part, _Failed)
        sys_path, imported, was_parsed, its_patches, its_changes, its_members, first = part
        project = owner[real]
        firsts[real] = first
        for name, count in its_members:
            members[(project, name)] = members.get((project, name), 0) + count
        if sys_path:
            namer.unsettled.add(project)
        imports[real] = imported
        parsed += was_parsed
        patches.update(its_patches)
        changes.update(its_changes)
    names = {real: namer.names(real, owner[real]) for real in imports}
    ordered = sorted(patches, key=_order_of(Patch))
    reaches = _factory_reaches(projects, imports, names)
    found, factory_files = _factories(
        files, reals, owner, names, namer, read, index, ordered, firsts, reaches, imports, jobs
    )
    functions = _factory_module_functions(files, found, read)
    facts = ProjectFacts(
        projects=tuple(sorted(projects)),
        patches=tuple(ordered),
        changes=tuple(sorted(changes, key=_order_of(Change))),
        imports=tuple(sorted(imports.items())),
        names=tuple(sorted(names.items())),
        members=tuple(sorted(k for k, count in members.items() if count > 1)),
        factories=found,
        factory_files=factory_files,
        functions=functions,
        files=len(files),
        parsed=parsed,
        failed=tuple(sorted(failed.items())),
    )
    if memo is not None:
        memo.store(facts)
    return _with_bounds(facts, finder, projects)


class _Failed:
    """A file's part the pass could not compute: why (the exception, the file, where)."""

    def __init__(self, why: str) -> None:
        self.why = why


def failure(exc: BaseException, what: str) -> str:
    """The error a file of a failed project (``ProjectFacts.failed``) gets: the exception, the
    step (``what``), and the innermost frame of the tool's own code that raised it."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f"{os.sep}codemods{os.sep}" in f.filename]
    where = ""
    if frames:
        frame = frames[-1]
        where = f" in {frame.name} ({os.path.basename(frame.filename)}:{frame.lineno})"
    return f"internal error in {what}: {type(exc).__name__}: {exc}{where}; no file of this project is rewritten"


def _each_project(files, roots, read, index, reals, jobs, exc: Exception) -> ProjectFacts:
    """``collect`` one project at a time, after ``exc`` failed the whole run's: a project
    whose own pass fails again is ``failed`` (with why), the others' facts are as the whole
    run's would have been (every fact is of one project: its tests, its modules, its
    factories), merged in the order ``_collect`` gives them."""
    finder = _ProjectFinder(roots)
    groups: Dict[str, List[int]] = {}
    for position, real in enumerate(reals):
        groups.setdefault(finder.project(real), []).append(position)
    done: List[ProjectFacts] = []
    failed: Dict[str, str] = {}
    for project, positions in sorted(groups.items()):
        if len(groups) == 1:
            failed[project] = failure(exc, "the project facts pass (its project)")
            break
        try:
            its = [files[i] for i in positions], [reals[i] for i in positions]
            done.append(_collect(its[0], roots, read, index, its[1], jobs))
        except Exception as again:  # noqa: BLE001 - this project's files are errors
            failed[project] = failure(again, "the project facts pass (its project)")
    order = {path: i for i, path in enumerate(files)}

    def joined(name: str, key: Any = None) -> tuple:
        return tuple(sorted((row for facts in done for row in getattr(facts, name)), key=key))

    for facts in done:
        failed.update(facts.failed)
    return ProjectFacts(
        projects=tuple(sorted(set(groups))),
        patches=joined("patches", _order_of(Patch)),
        changes=joined("changes", _order_of(Change)),
        bounds=tuple(sorted({b for facts in done for b in facts.bounds})),
        imports=joined("imports"),
        names=joined("names"),
        members=joined("members"),
        factories=joined("factories"),
        factory_files=joined("factory_files", key=lambda row: order.get(row[0], 0)),
        functions=joined("functions"),
        files=sum(facts.files for facts in done),
        parsed=sum(facts.parsed for facts in done),
        failed=tuple(sorted(failed.items())),
    )


def _with_bounds(facts: ProjectFacts, finder: "_ProjectFinder", projects: Set[str]) -> ProjectFacts:
    """The facts with the requirements declared around the projects (read every run: they
    come from files the memo of the rest is not keyed on)."""
    bounds: Set[Bound] = set()
    for directory in sorted(finder.declaring_dirs(projects)):
        bounds.update(read_bounds(directory))
    return dataclasses.replace(facts, bounds=tuple(sorted(bounds)))


_RUN_PURPOSE = "facts-run"


class _RunMemo:
    """The whole pass's result but the bounds, memoised in the results cache's directory: a
    warm run (nothing changed) neither reads nor recomputes any file's part, the names, the
    factories. The key holds everything ``collect`` computes it from besides the bytes of the
    files (their SHA-256 from the index: a file it cannot answer unread means no memo):
    the paths as given and real, each file's project (the marker files decide it), the
    directory the paths are shown relative to, and what the ``Namer`` learns from the disk
    (each project's import roots: pytest's ``pythonpath``, ``src/``; each directory's
    basedir: which ``__init__.py`` exist). The table it is in is the tool's (``fileindex``)."""

    def __init__(self, files, reals, owner, projects, namer, index) -> None:
        self.index = index
        self.files, self.reals = list(files), list(reals)
        directories = sorted({os.path.dirname(real) for real in self.reals})
        self.parts = [
            self.files,
            self.reals,
            [owner[real] for real in self.reals],
            os.getcwd(),
            [[project, list(namer._roots(project))] for project in sorted(projects)],
            [[directory, namer._basedir(directory)] for directory in directories],
        ]
        self.found: Optional[ProjectFacts] = None
        key = self._key()
        if key is not None:
            self.found = _load_run(index.cache_dir, key)

    def _key(self) -> Optional[str]:
        from .. import cache
        from ..fileindex import digest

        if not self.index.cache_dir or not self.files:
            return None
        shas = []
        for path in self.files:
            sha = self.index.known(path)
            if sha is None:
                return None
            shas.append(sha)
        inner = digest(_RUN_PURPOSE, self.parts, "".join(shas))
        return cache.INDEX_SHARD + hashlib.sha256(b"facts-run\0" + cache.tool_key() + inner.encode()).hexdigest()

    def store(self, facts: ProjectFacts) -> None:
        """Keyed on the bytes the pass read (the index recorded them as it read)."""
        key = self._key()
        if key is not None:
            _store_run(self.index.cache_dir, key, dataclasses.replace(facts, bounds=()))


def _load_run(cache_dir: str, key: str) -> Optional[ProjectFacts]:
    from ..fileindex import _load_quietly

    found = _load_quietly(cache_dir, key, freeze=False)
    if found is None:
        return None
    enabled = gc.isenabled()
    gc.disable()  # tens of thousands of tuples, none in a cycle
    try:
        return _facts_of_plain(found)
    except (TypeError, ValueError, KeyError):  # another shape: computed again
        return None
    finally:
        if enabled:
            gc.enable()


def _store_run(cache_dir: str, key: str, facts: ProjectFacts) -> None:
    from .. import cache

    cache.store_plain(cache_dir, key, _plain_of_facts(facts))


def _pairs(rows) -> list:
    return [[first, list(rest)] for first, rest in rows]


def _plain_of_facts(facts: ProjectFacts) -> Dict[str, Any]:
    """``ProjectFacts`` (but the bounds) as plain JSON, read back by ``_facts_of_plain``."""
    return {
        "projects": list(facts.projects),
        "patches": [_fields(p) for p in facts.patches],
        "changes": [_fields(c) for c in facts.changes],
        "imports": _pairs(facts.imports),
        "names": _pairs(facts.names),
        "members": [list(m) for m in facts.members],
        "factories": [[f.project, list(f.qualified), *_fields(f)[2:]] for f in facts.factories],
        "factory_files": _pairs(facts.factory_files),
        "functions": _pairs(facts.functions),
        "files": facts.files,
        "parsed": facts.parsed,
    }


def _facts_of_plain(plain: Dict[str, Any]) -> ProjectFacts:
    def pairs(rows) -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
        return tuple([(first, tuple(rest)) for first, rest in rows])

    return ProjectFacts(
        projects=tuple(plain["projects"]),
        patches=tuple([Patch(*fields) for fields in plain["patches"]]),
        changes=tuple([Change(*fields) for fields in plain["changes"]]),
        imports=pairs(plain["imports"]),
        names=pairs(plain["names"]),
        members=tuple([(project, name) for project, name in plain["members"]]),
        factories=tuple([factories.Factory(fields[0], tuple(fields[1]), *fields[2:]) for fields in plain["factories"]]),
        factory_files=pairs(plain["factory_files"]),
        functions=pairs(plain["functions"]),
        files=int(plain["files"]),
        parsed=int(plain["parsed"]),
    )


def _order_of(kind: type) -> Callable[[Any], Tuple[Any, ...]]:
    """A sort key giving the order ``dataclass(order=True)`` defines (its fields' tuple),
    without a Python-level ``__lt__`` call per comparison (thousands of patches)."""
    return operator.attrgetter(*(f.name for f in dataclasses.fields(kind)))


#: (changes sys.path, the modules it imports, parsed (0/1), its patches, its changes, its
#: members, its first round of the factories pass: ``factories.first_round``).
_Part = Tuple[
    bool,
    Tuple[str, ...],
    int,
    Tuple[Patch, ...],
    Tuple[Change, ...],
    Tuple[Tuple[str, int], ...],
    "factories.FirstRound",
]
_MEMO = "facts.5"  # .2: the part holds the factories' first round; .3: Change.reach, env-clear; .4: outlives_test; .5: Patch.movable


#: Fewer files to compute than this are not worth starting processes for.
PARALLEL_FROM = 200


def _file_parts(jobs_of: Sequence[Tuple[str, str, str, str]], read, index, jobs: int) -> List[Optional[_Part]]:
    """Each file's part, in order. With ``jobs`` > 1 the files the index cannot answer
    unread are read, hashed and computed in ``jobs`` forked processes (the parent only records
    what they found, as ``_file_part`` would have); a pool that breaks (a process killed)
    leaves its files to the parent."""
    if read is not None or jobs <= 1 or len(jobs_of) < PARALLEL_FROM:
        return [_file_part(*job, read, index) for job in jobs_of]
    parts: List[Optional[_Part]] = [None] * len(jobs_of)
    todo = []
    for position, (path, real, project, package) in enumerate(jobs_of):
        sha = index.known(path) if index is not None else None
        if sha is not None:
            found = _memo_part(index, path, _memo_key(path, real, project, package, sha))
            if found is not None:
                parts[position] = found
                continue
        todo.append(position)
    if len(todo) < PARALLEL_FROM:
        for position in todo:
            parts[position] = _file_part(*jobs_of[position], read, index)
        return parts
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from ..workers import start_context

    work = [(*jobs_of[position], index is not None) for position in todo]
    done = 0
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=start_context()) as pool:
            chunksize = max(1, min(64, len(work) // (jobs * 8) or 1))
            for position, got in zip(todo, pool.map(_computed, work, chunksize=chunksize)):
                parts[position] = _recorded(jobs_of[position], got, index)
                done += 1
    except BrokenProcessPool:
        for position in todo[done:]:
            parts[position] = _file_part(*jobs_of[position], read, index)
    return parts


def _computed(job: Tuple[str, str, str, str, bool]):
    """In a process of ``_file_parts``: (the part, what ``fileindex.hashed`` found, the memos
    to put in the index: (purpose, key, value) of the part and of the from-imports the results
    cache's key reads), or ``None``: unreadable. The keys and plain values are computed here,
    in parallel, not by the parent one file after another."""
    path, real, project, package, hashing = job
    if hashing:
        from ..fileindex import hashed
        from ..style import from_imports_memo

        seen, data = hashed(path)
        if seen is None or data is None:
            return None
        part = _compute_part(path, real, project, package, data)
        sha = seen[1]
        memos = (
            [] if isinstance(part, _Failed) else [(_MEMO, _memo_key(path, real, project, package, sha), _plain(part))]
        )
        pairs = from_imports_memo(sha, data)
        if pairs is not None:
            memos.append(pairs)
        return part, seen, memos
    try:
        data = _read_bytes(path)
    except (OSError, ValueError):
        return None
    return _compute_part(path, real, project, package, data), None, ()


def _recorded(job: Tuple[str, str, str, str], got, index) -> Optional[_Part]:
    """A part ``_computed`` gave, recorded in the index as ``_file_part`` records one."""
    if got is None:
        return None
    part, seen, memos = got
    if index is not None and seen is not None:
        path = job[0]
        index.record(path, seen)
        for purpose, key, value in memos:
            index.put(path, purpose, key, value)
    return part


_FACTORIES = "factories"


def _factory_reaches(projects, imports, names) -> Callable[[str, Any], bool]:
    """``reaches(test, factory)`` for ``factories._replaces``: whether the test module at the
    real path ``test`` reaches the module of ``factory`` by imports (``ProjectFacts.reachable``
    of facts holding only the projects, imports and names, built when first asked:
    ``ProjectFacts.test_reaches_factory``)."""
    made: List[ProjectFacts] = []

    def reaches(test: str, factory: Any) -> bool:
        if not made:
            made.append(
                ProjectFacts(
                    projects=tuple(sorted(projects)),
                    imports=tuple(sorted(imports.items())),
                    names=tuple(sorted(names.items())),
                )
            )
        return made[0].test_reaches_factory(test, factory)

    return reaches


def _factories(
    files, reals, owner, names, namer, read, index, patches, firsts=None, reaches=None, imports=None, jobs=1
) -> Tuple[Tuple[Any, ...], Tuple[Any, ...]]:
    """``factories.collect`` and ``_factory_files``, through ``index``'s memo: the answer
    depends on every file of the run (which defines a factory, which calls one, which test
    mocks one), so it is kept on the first file under a key of every file's path and content
    hash, and the patches. A warm run (nothing changed) reads no file for it. ``firsts``: each
    file's ``factories.first_round`` (its part's), so that only the projects with a candidate
    are read. ``jobs``: processes that collect the projects."""

    def compute() -> Tuple[Tuple[Any, ...], Tuple[Any, ...]]:
        # Sorted: the first patch that replaces a factory is the one its reason cites (a set's
        # order changes from run to run with the hash seed).
        ordered = tuple(sorted(patches))
        found = factories.collect(
            files, reals, owner, names, namer.package, read or _read_bytes, ordered, display_path, firsts, reaches, jobs
        )
        return found, _factory_files(files, reals, owner, found, read)

    if index is None or read is not None or not files:
        return compute()
    from ..fileindex import MISSING, digest

    shas = []
    for path in files:
        sha = index.known(path)
        if sha is None:  # a file not hashed (unreadable): nothing to key on
            return compute()
        shas.append(sha)
    # Also each file's project (marker files decide it) and the directory the paths shown
    # (``display_path``) are relative to.
    parts = [
        list(files),
        [owner.get(r, "") for r in reals],
        os.getcwd(),
        repr(sorted(patches)),
        repr(sorted(names.items())),
        repr(sorted((imports or {}).items())),  # a test's patch of a library name counts where it reaches
    ]
    key = digest(_FACTORIES, parts, "".join(shas))
    stored = index.get(files[0], _FACTORIES, key)
    if stored is not MISSING:
        try:
            made, words = stored
            return (
                tuple(factories.Factory(fields[0], tuple(fields[1]), *fields[2:]) for fields in made),
                tuple((str(path), tuple(its)) for path, its in words),
            )
        except (TypeError, ValueError):  # another shape: computed again
            pass
    found, words = compute()
    plain = [[[f.project, list(f.qualified), *_fields(f)[2:]] for f in found], [[p, list(w)] for p, w in words]]
    index.put(files[0], _FACTORIES, key, plain)
    return found, words


def _factory_module_functions(files, found, read) -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
    """(path as ``Factory.where`` shows it, the plain functions of that module:
    ``model.module_functions``) for each module that defines a factory (a few files)."""
    from .model import module_functions

    shown = {f.where.rpartition(":")[0] for f in found}
    out = []
    for path in files:
        where = display_path(path)
        if where in shown:
            try:
                data = (read or _read_bytes)(path)
            except (OSError, ValueError):
                continue
            out.append((where, module_functions(data)))
            shown.discard(where)
    return tuple(sorted(out))


def _factory_files(files, reals, owner, found, read) -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
    """(path, the factory names it names) for each file of a project with factories whose
    bytes name one of that project's factories: close-response must see those files even
    when they import no HTTP library (``engine.words_for``)."""
    by_project: Dict[str, Set[str]] = {}
    for factory in found:
        by_project.setdefault(factory.project, set()).add(factory.name)  # in every dotted name too
    if not by_project:
        return ()
    out = []
    for path, real in zip(files, reals):
        words = by_project.get(owner.get(real, ""))
        if not words:
            continue
        try:
            data = read(path) if read is not None else _read_bytes(path)
        except (OSError, ValueError):
            continue
        named = tuple(sorted(w for w in words if w.encode() in data))
        if named:
            out.append((path, named))
    return tuple(out)


def _memo_key(path: str, real: str, project: str, package: str, sha: str) -> str:
    from ..fileindex import digest

    return digest(_MEMO, [path, real, project, package, display_path(path)], sha)


def _memo_part(index, path: str, key: str) -> Optional[_Part]:
    from ..fileindex import MISSING

    found = index.get(path, _MEMO, key)
    if found is MISSING:
        return None
    try:
        sys_path, imported, was_parsed, its_patches, its_changes, its_members, first = found
        return (
            bool(sys_path),
            tuple(imported),
            int(was_parsed),
            tuple(Patch(*fields) for fields in its_patches),
            tuple(Change(*fields) for fields in its_changes),
            tuple((str(name), int(count)) for name, count in its_members),
            None
            if first is None
            else tuple((str(c), str(n), int(line), str(lib), str(via)) for c, n, line, lib, via in first),
        )
    except (TypeError, ValueError):  # another shape: computed again
        return None


def _plain(part: _Part) -> list:
    return [
        part[0],
        list(part[1]),
        part[2],
        [_fields(p) for p in part[3]],
        [_fields(c) for c in part[4]],
        [list(m) for m in part[5]],
        None if part[6] is None else [list(row) for row in part[6]],
    ]


def _file_part(path: str, real: str, project: str, package: str, read, index) -> Optional[_Part]:
    """One file's part of the facts (``None``: unreadable), through ``index``'s memo when there
    is one: its key holds everything the part is computed from besides the bytes."""
    if index is None or read is not None:
        try:
            data = read(path) if read is not None else _read_bytes(path)
        except (OSError, ValueError):
            return None
        return _compute_part(path, real, project, package, data)
    sha, data = index.content(path)
    if sha is None:
        return None
    key = _memo_key(path, real, project, package, sha)
    found = _memo_part(index, path, key)
    if found is not None:
        return found
    if data is None:
        sha, data = index.content(path, read=True)
        if sha is None or data is None:
            return None
    from ..style import from_imports_of, note_from_imports

    note_from_imports(index, path, sha, from_imports_of(data))  # a results cache key part, while in hand
    part = _compute_part(path, real, project, package, data)
    if not isinstance(part, _Failed):
        index.put(path, _MEMO, key, _plain(part))
    return part


def _fields(fact) -> List[str]:
    return [getattr(fact, f.name) for f in dataclasses.fields(fact)]


def _compute_part(path: str, real: str, project: str, package: str, data: bytes) -> Any:
    """The file's part, or ``_Failed`` (never memoised) when computing it raised."""
    try:
        return _part_of(path, real, project, package, data)
    except Exception as exc:  # noqa: BLE001 - its project fails, the run goes on
        return _Failed(failure(exc, f"the project facts pass (reading {display_path(path)})"))


def _part_of(path: str, real: str, project: str, package: str, data: bytes) -> _Part:
    sys_path = changes_sys_path(real, data)
    imported = imported_modules(data, package)
    members = member_names(data)
    first = factories.first_round(data, package)
    if not worth_parsing(data):
        return sys_path, imported, 0, (), (), members, first
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return sys_path, imported, 0, (), (), members, first
    patches: Set[Patch] = set()
    changes: Set[Change] = set()
    libs = tuple(sorted({api_of(m.decode()) for m in _LIBRARY_WORD.findall(data)}))  # niquests: requests
    file = _FileFacts(tree, project, display_path(path), package, libs, patches, changes)
    file.lines = candidate_lines(data)
    file.reach = real if is_test_module(real) else ""
    file.source_has_results = b"return_value" in data or b"side_effect" in data or b".close." in data
    file.source_has_close_checks = may_check_close(data)
    file.run()
    if any(patch.kind == "mock" for patch in patches):
        from ..share.mockpatch import movable

        lines = data.splitlines(keepends=True)
        patches = {dataclasses.replace(p, movable=True) if movable(tree, lines, p) else p for p in patches}
    return sys_path, imported, 1, tuple(sorted(patches)), tuple(sorted(changes)), members, first


#: ``X.close.<check>`` in ASCII source: the word ``close``, then a dot, then a name holding "call"
#: (every name of ``standins.CLOSE_CHECKS`` does), with whitespace, line continuations or
#: comments (in brackets) between the tokens.
_CLOSE_CHECK = re.compile(rb"close(?<=\bclose)(?:\s|\\|#[^\n]*)*\.(?:\s|\\|#[^\n]*)*\w*call")


def may_check_close(data: bytes) -> bool:
    """Whether the source may hold a close check (``standins.close_checks``): ``False`` only
    when it cannot (a name that is not ASCII in the source may read as ``close``: NFKC)."""
    if not data.isascii():
        return True
    return b"close" in data and b"call" in data and _CLOSE_CHECK.search(data) is not None


def is_test_module(path: str) -> bool:
    """``test_*.py``, ``*_test.py``, ``tests.py``: pytest's and Django's test modules (not
    ``conftest.py``, whose fixtures may run for every test)."""
    name = os.path.basename(path)
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py") or name == "tests.py")


def _read_bytes(path: str) -> bytes:
    if not os.path.isfile(path):
        raise ValueError("not a regular file")
    with open(path, "rb") as handle:
        return handle.read()


class _ProjectFinder:
    def __init__(self, roots: Sequence[str]) -> None:
        self.roots = sorted({_real(r) for r in roots}, key=len, reverse=True)
        self.cache: Dict[str, str] = {}
        self.marked: Set[str] = set()
        self.markers: Dict[str, bool] = {}

    def _has_marker(self, directory: str) -> bool:
        # Memoised for this pass: each file's chain of directories up to its root is walked,
        # and the files of one project share most of it.
        found = self.markers.get(directory)
        if found is None:
            found = self.markers[directory] = any(os.path.exists(os.path.join(directory, m)) for m in MARKERS)
        return found

    def project(self, real_file: str) -> str:
        directory = os.path.dirname(real_file)
        if directory in self.cache:
            return self.cache[directory]
        root = next((r for r in self.roots if _inside(directory, r)), None)
        chain = []
        current = directory
        while True:
            if self._has_marker(current):
                chain.append(current)
                self.marked.add(current)
            parent = os.path.dirname(current)
            if parent == current or (root is not None and current == root and chain):
                break
            if root is not None and not _inside(parent, root) and chain:
                break
            current = parent
        inside_root = [d for d in chain if root is None or _inside(d, root)]
        if inside_root:
            project = inside_root[-1]  # the outermost
        elif chain:
            project = chain[0]  # the nearest above the root
        else:
            project = root or directory
        self.cache[directory] = project
        return project

    def declaring_dirs(self, projects: Iterable[str]) -> Set[str]:
        """Where requirement files may be: every marked directory seen, and each project root."""
        return set(self.marked) | set(projects)


def for_run(
    files: Sequence[str], roots: Sequence[str], excludes: Sequence[str] = (), index=None, jobs: int = 1
) -> ProjectFacts:
    """The facts of the projects the run's files belong to. A project whose root lies above
    the run's roots (``http-codemods src/``, pre-commit naming single files) is walked too,
    with the same excludes: its tests patch the files the run rewrites. ``index``: as for
    ``collect`` (and ``jobs``)."""
    from ..discover import discover

    finder = _ProjectFinder(roots)
    reals = real_paths(files)  # once: each is a realpath per directory
    projects = {finder.project(real) for real in reals}
    outside = sorted(p for p in projects if not any(_inside(p, r) for r in finder.roots))
    extra: List[str] = []
    if outside:
        extra = discover(outside, excludes).files
    seen: Set[str] = set()
    every = []
    every_real = []
    paths = list(files) + extra
    for path, real in zip(paths, reals + real_paths(extra)):
        if real not in seen:
            seen.add(real)
            every.append(path)
            every_real.append(real)
    return collect(every, list(roots) + outside, index=index, reals=every_real, jobs=jobs)


def for_stdin(filename: Optional[str], excludes: Sequence[str] = ()) -> ProjectFacts:
    """The facts of the project around ``--stdin-filename``, or none without one."""
    if not filename:
        return EMPTY
    directory = os.path.dirname(_real(filename))
    if not os.path.isdir(directory):
        return EMPTY
    files = [filename] if os.path.isfile(filename) else []
    if not files:  # a new file: the project of its directory
        facts = for_run([os.path.join(directory, "__new__.py")], [directory], excludes)
        return facts
    return for_run(files, [directory], excludes)
