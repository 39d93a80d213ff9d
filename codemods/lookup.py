"""A cached run decides in the parent every file it can (``engine.run_iter`` with a cache
directory), and hands only the others to the workers.

For each file, the parent asks the file index (``fileindex.py``: the ``stat`` signature, else
the bytes' SHA-256) whether the prefilter (``prefilter.screen``, both stages) let these bytes
through under these prefilter words. A file it rejected is skipped, exactly as
``process_source`` would skip it, without being read. For a candidate, the parent reads the
bytes, computes the results cache's key (``cache.key``) and loads the entry: a hit is the
stored result (written in WRITE mode as a fresh one would be). Anything else (a file with no
verdict yet, a miss, a file over the size limit, unreadable) goes to a worker, which does what
it always did (screen, key, look up, process, store: a cold run's per-file work is all in
parallel)
and gives back the verdict for the index. A run over unchanged files thus starts no worker and
parses nothing. Results come in the order of the paths.
"""

from __future__ import annotations

from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from . import cache, engine
from .engine import SKIPPED, FileResult, Settings
from .fileindex import MISSING, FileIndex, absolute, digester, shared

PURPOSE = "screen"


#: ``verdict_key``'s memo: the prefilter's words (a tuple) -> the digest of bytes under them
#: (``fileindex.digester``): most files of a run share the configured words.
_DIGESTERS: Dict[Tuple[str, ...], Callable[[str], str]] = {}


def verdict_key(settings: Settings, path: str, sha: str) -> str:
    words = tuple(engine.words_for(settings, path)) + engine.screen_key(settings, path)
    of = _DIGESTERS.get(words)
    if of is None:
        if len(_DIGESTERS) >= 4096:
            _DIGESTERS.clear()
        of = _DIGESTERS[words] = digester(PURPOSE, sorted(set(words)))
    return of(sha)


def lookup(
    path: str, settings: Settings, index: FileIndex, keys: Optional[Dict[str, str]] = None
) -> "FileResult | str | None":
    """The file's result when the parent can give it (skipped, a hit); else the SHA-256 of the
    bytes it saw (``None``: it cannot tell, the worker will). ``keys``: where the verdict's
    key of a file handed on is kept, by path (``remember`` reuses it for the same bytes)."""
    sha, data = index.content(path)
    if sha is None:
        return None  # the worker says why it cannot be read
    if settings.max_file_size and index.size(path) > settings.max_file_size:
        return None  # the size limit's error, from the worker
    its_key = verdict_key(settings, path, sha)
    candidate = index.get(path, PURPOSE, its_key)
    if candidate is False:
        return FileResult(path=path, status=SKIPPED)  # exactly process_source's answer
    if candidate is not True:
        # No verdict yet (a cold run): the worker screens the bytes, computes the key and
        # looks the entry up (``engine._process_cached``), in parallel, not here one by one.
        if keys is not None:
            keys[path] = its_key
        return sha
    if data is None:
        sha, data = index.content(path, read=True)
        if sha is None or data is None:
            return None
    found = cache.load(settings.cache_dir, cache.run_key(settings, path, data))
    if found is None:
        if keys is not None:
            keys[path] = its_key
        return sha
    return engine.finish_path(path, data, found, settings)


def remember(
    index: FileIndex, path: str, seen: str, settings: Settings, result: FileResult, known: Optional[str] = None
) -> None:
    """What a worker's result tells of the bytes the parent saw (SHA-256 ``seen``): whether the
    prefilter let them through (skipped: no; any result past the screen: yes). Errors tell
    nothing for sure; a file rewritten or changed meanwhile is not the one screened. ``known``:
    the verdict's key ``lookup`` computed for the bytes ``seen`` (else computed here)."""
    if result.status == engine.ERROR or result.created:
        return
    if result.status == engine.CHANGED and settings.mode == engine.WRITE:
        return
    index.seen.pop(absolute(path), None)  # look again: the worker took its time
    sha, _ = index.content(path)
    if sha != seen:
        return
    index.put(path, PURPOSE, known or verdict_key(settings, path, sha), result.status != SKIPPED)
    if result.status != SKIPPED:
        # What the worker's key read (in its own copy of the index), for the next run.
        if settings.facts is not None:
            settings.facts.remember_imports(path)
        from .style import remember_imported_names

        remember_imported_names(path)


def run_cached(
    paths: Sequence[str], settings: Settings, run_rest: Callable[[List[str]], Iterable[FileResult]]
) -> Iterator[FileResult]:
    """Results for ``paths``: the parent's lookups, and ``run_rest(misses)`` for the others."""
    from . import style

    style._imported_names.cache_clear()  # the parent computes keys: this run's files, not the last's
    cache.open_run()  # the keys computed here, for the workers (forked later) to reuse
    try:
        yield from _run_cached(paths, settings, run_rest)
    finally:
        cache.close_run()


def _run_cached(
    paths: Sequence[str], settings: Settings, run_rest: Callable[[List[str]], Iterable[FileResult]]
) -> Iterator[FileResult]:
    index = shared(settings.cache_dir)
    if index is not None and settings.codemods:
        # Each file's ``stat`` first (the lookups below then find it in ``index.seen``): the
        # results cache's key of a candidate lists its project's files (``style.
        # _imported_names``), and those of the run need no ``lstat`` of their own then.
        for path in paths:
            index.known(path)
    ready: Dict[int, FileResult] = {}
    seen: Dict[int, Optional[str]] = {}
    keys: Dict[str, str] = {}
    for position, path in enumerate(paths):
        found = None
        if settings.codemods and index is not None:
            try:
                found = lookup(path, settings, index, keys)
            except Exception:  # the worker will tell (an internal error, as ever)
                found = None
        if isinstance(found, FileResult):
            ready[position] = found
        else:
            seen[position] = found
    rest = iter(run_rest([paths[i] for i in sorted(seen)]))
    for position, path in enumerate(paths):
        if position in ready:
            yield ready.pop(position)
            continue
        result = next(rest)
        sha = seen[position]
        if index is not None and sha is not None:
            remember(index, path, sha, settings, result, keys.get(path))
        yield result
    if index is not None:
        index.save()
        index.new_run()


__all__ = ["MISSING", "lookup", "remember", "run_cached"]
