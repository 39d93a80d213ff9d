"""What a run already knows about each file, by content: the index a warm run decides files
from without reading them (``lookup.py``) and the facts pass reuses (``facts.collect``).

One table per cache directory and tool (``cache.tool_key``): for each file (its absolute path)
the ``stat`` signature it had when last hashed, the SHA-256 of its bytes, and memoised values
derived from those bytes, each stored with the digest of everything it was computed from
(``digest(purpose, parts, content)``). A lookup with another digest is a miss, so a value is
never used for other bytes or other parameters.

**The stat shortcut.** A file whose size, modification and change times (nanoseconds), inode
and device are those recorded is taken to have the recorded bytes, as black, ruff and git do.
Like git's "racy clean" rule, a signature whose modification time was within ``RACY`` seconds
of the moment it was recorded is not trusted (an edit in the same clock tick, same size, would
keep it): such a file is read and hashed again next time.

**Storage.** The results cache's own entry format (``cache.load_plain`` /
``cache.store_plain``): checksummed, compressed, written to a temporary file and renamed, so a
damaged table is a miss and concurrent runs see a whole table or none. Two runs that overwrite
each other's table lose only speed: the loser's values are computed again next time.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import cache

RACY = 2.0
#: What ``get`` returns for a miss (``None`` may be a value).
MISSING = object()
_SHARD = cache.INDEX_SHARD
#: ``json.dumps(parts, sort_keys=True)``'s encoder, made once (``dumps`` makes one per call).
_ENCODER = json.JSONEncoder(sort_keys=True)


def digest(purpose: str, parts: Any, content: str) -> str:
    """The digest a value is stored under: its purpose, its parameters (JSON) and the content's
    SHA-256 (hex). The tool's own key is the table's."""
    h = hashlib.sha256(purpose.encode() + b"\0")
    h.update(_ENCODER.encode(parts).encode("utf-8", "surrogateescape") + b"\0")
    h.update(content.encode())
    return h.hexdigest()[:32]


def digester(purpose: str, parts: Any) -> Callable[[str], str]:
    """``lambda content: digest(purpose, parts, content)``, with the purpose and parameters
    hashed once (a caller that keys many files on the same parameters)."""
    prefix = hashlib.sha256(purpose.encode() + b"\0")
    prefix.update(_ENCODER.encode(parts).encode("utf-8", "surrogateescape") + b"\0")

    def of(content: str) -> str:
        h = prefix.copy()
        h.update(content.encode())
        return h.hexdigest()[:32]

    return of


#: ``absolute``'s memo: a path as given -> ``os.path.abspath`` of it (a relative path is keyed
#: with the current directory it was resolved against).
_ABSOLUTE: Dict[Any, str] = {}
_ABSOLUTE_MAX = 200_000


def absolute(path: str) -> str:
    """``os.path.abspath(path)``, memoised: a run asks the index about each file a few times,
    and the same file under the same spelling normalises to the same path (for a relative
    spelling, under the same current directory)."""
    key: Any = path if path.startswith(os.sep) else (os.getcwd(), path)
    found = _ABSOLUTE.get(key)
    if found is None:
        if len(_ABSOLUTE) >= _ABSOLUTE_MAX:
            _ABSOLUTE.clear()
        found = _ABSOLUTE[key] = os.path.abspath(path)
    return found


def _signature(st: os.stat_result) -> List[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


#: What ``hashed`` gives: the ``stat`` signature taken before the read, and the SHA-256 (hex).
Hashed = Tuple[List[int], str]


def hashed(path: str) -> Tuple[Optional[Hashed], Optional[bytes]]:
    """Read ``path`` as ``FileIndex.content`` does (a regular file, ``stat`` before the read),
    in any process: (what ``FileIndex.record`` takes, the bytes), or ``(None, None)``."""
    absolute = os.path.abspath(path)
    try:
        st = os.stat(absolute)
        if not os.path.stat.S_ISREG(st.st_mode):
            return None, None
        with open(absolute, "rb") as handle:
            data = handle.read()
    except OSError:
        return None, None
    return (_signature(st), hashlib.sha256(data).hexdigest()), data


#: A table of more files than this is frozen out of the garbage collector's view once loaded.
FREEZE_ABOVE = 2000


def _load_quietly(cache_dir: str, key: str, freeze: bool = True) -> Any:
    """``cache.load_plain`` without the cyclic garbage collector: decoding a corpus's table
    makes millions of objects (none in a cycle), and each collection would scan them all, also
    for the rest of the run. A large table is then frozen (``gc.freeze``): it lives as long as
    the run, and forked workers share its pages. Measured on the 16,938-file corpus: about
    half a second of a warm run."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        found = cache.load_plain(cache_dir, key)
    finally:
        if enabled:
            gc.enable()
    if freeze and isinstance(found, dict) and len(found) > FREEZE_ABOVE:
        gc.freeze()
    return found


class FileIndex:
    """The table of one cache directory, loaded once and written back by ``save``."""

    def __init__(self, cache_dir: str) -> None:
        self.cache_dir = cache_dir
        self._key = _SHARD + hashlib.sha256(b"file-index\0" + cache.tool_key()).hexdigest()
        found = _load_quietly(cache_dir, self._key) if cache_dir else None
        self.files: Dict[str, Dict[str, Any]] = found if isinstance(found, dict) else {}
        self.dirty = False
        self.started = time.time()
        self.hashed = 0  # files read and hashed (tests, the benchmark)
        #: Files already checked in this part of the run (``new_run`` forgets them).
        self.seen: Dict[str, str] = {}

    def new_run(self) -> None:
        """Check every file again (a file may have changed since the last look)."""
        self.seen.clear()
        self.started = time.time()

    def content(self, path: str, read: bool = False) -> Tuple[Optional[str], Optional[bytes]]:
        """(SHA-256 hex of the file's bytes, the bytes when they had to be read or ``read``);
        ``(None, None)`` when the file cannot be read as a regular file."""
        full = absolute(path)
        if not read and full in self.seen:
            return self.seen[full], None
        try:
            st = os.stat(full)
        except OSError:
            return None, None
        if not os.path.stat.S_ISREG(st.st_mode):
            return None, None
        entry = self.files.get(full)
        signature = _signature(st)
        if entry is not None and entry.get("stat") == signature and not read:
            self.seen[full] = entry["sha"]
            return entry["sha"], None
        try:
            with open(full, "rb") as handle:
                data = handle.read()
        except OSError:
            return None, None
        sha = hashlib.sha256(data).hexdigest()
        self._record(full, signature, sha)
        return sha, data

    def known(self, path: str) -> Optional[str]:
        """``content(path)``'s SHA-256 when it needs no read (seen in this run, or the
        ``stat`` signature recorded); else ``None`` (read it, or ``hashed`` elsewhere)."""
        full = absolute(path)
        if full in self.seen:
            return self.seen[full]
        try:
            st = os.stat(full)
        except OSError:
            return None
        entry = self.files.get(full)
        if entry is not None and os.path.stat.S_ISREG(st.st_mode) and entry.get("stat") == _signature(st):
            self.seen[full] = entry["sha"]
            return entry["sha"]
        return None

    def known_stat(self, absolute: str, st: os.stat_result) -> Optional[str]:
        """``known`` for the normalised absolute path of a regular file whose ``stat`` (or
        ``lstat``: not a link) the caller has in hand already."""
        found = self.seen.get(absolute)
        if found is not None:
            return found
        entry = self.files.get(absolute)
        if entry is not None and entry.get("stat") == _signature(st):
            self.seen[absolute] = entry["sha"]
            return entry["sha"]
        return None

    def record(self, path: str, seen: "Hashed") -> str:
        """What ``hashed(path)`` found (in another process, say a worker of the facts pass),
        recorded as ``content`` records a file it read; its SHA-256."""
        signature, sha = seen
        self._record(absolute(path), list(signature), sha)
        return sha

    def _record(self, absolute: str, signature: List[int], sha: str) -> None:
        self.hashed += 1
        trusted = signature if self.started - signature[1] / 1e9 > RACY else None
        entry = self.files.get(absolute)
        if entry is None or entry.get("sha") != sha:
            entry = self.files[absolute] = {"sha": sha, "stat": trusted, "memo": {}}
            self.dirty = True
        elif entry.get("stat") != trusted:
            entry["stat"] = trusted
            self.dirty = True
        self.seen[absolute] = sha

    def size(self, path: str) -> int:
        """The size recorded with the file's signature (0: none)."""
        entry = self.files.get(absolute(path)) or {}
        return (entry.get("stat") or [0])[0]

    def get(self, path: str, purpose: str, key: str) -> Any:
        entry = self.files.get(absolute(path))
        found = entry.get("memo", {}).get(purpose) if entry is not None else None
        if isinstance(found, list) and len(found) == 2 and found[0] == key:
            return found[1]
        return MISSING

    def put(self, path: str, purpose: str, key: str, value: Any) -> None:
        entry = self.files.get(absolute(path))
        if entry is None:
            return  # only files hashed through ``content``
        memo = entry.setdefault("memo", {})
        if memo.get(purpose) != [key, value]:
            memo[purpose] = [key, value]
            self.dirty = True

    def save(self) -> None:
        """Write the table back when it changed (best effort, as ``cache.store``)."""
        if not self.cache_dir or not self.dirty:
            return
        cache.store_plain(self.cache_dir, self._key, self.files)
        self.dirty = False


_SHARED: Optional[FileIndex] = None


def shared(cache_dir: str) -> Optional[FileIndex]:
    """The index of ``cache_dir`` for this process (the facts pass and the lookups of one run
    share it; ``remembered`` uses it); ``None`` without a cache."""
    global _SHARED
    if not cache_dir:
        _SHARED = None
        return None
    if _SHARED is None or _SHARED.cache_dir != cache_dir:
        _SHARED = FileIndex(cache_dir)
    _SHARED.new_run()
    return _SHARED


def current() -> Optional[FileIndex]:
    """This run's index (``shared``), ``None`` without one."""
    return _SHARED


def remembered(path: str, purpose: str, parts: Any, compute: Callable[[bytes], Any], limit: int = 0) -> Any:
    """``compute(the file's bytes)`` (a plain JSON value) memoised by content in this run's index;
    ``MISSING`` without an index, for a file it cannot read or one over ``limit`` bytes (the
    caller reads and computes as ever)."""
    index = _SHARED
    if index is None:
        return MISSING
    sha, data = index.content(path)
    if sha is None or (limit and index.size(path) > limit):
        return MISSING
    key = digest(purpose, parts, sha)
    found = index.get(path, purpose, key)
    if found is not MISSING:
        return found
    if data is None:
        sha, data = index.content(path, read=True)
        if sha is None or data is None:
            return MISSING
    if limit and len(data) > limit:
        return MISSING
    value = compute(data)
    index.put(path, purpose, digest(purpose, parts, sha), value)
    return value


def forget() -> None:
    """Drop this process's index (tests: the next run loads the table from disk)."""
    global _SHARED
    _SHARED = None
