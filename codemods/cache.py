"""A content cache of per-file results, in the manner of ruff's and black's.

A run over unchanged files should cost almost nothing: ``engine.process_path`` looks each file
up here before doing any work, and stores what ``process_source`` returned.

**Key.** A SHA-256 over everything a result depends on:

- the tool: its version, a digest of the package's own source files (so editing the code,
  during development, invalidates every entry), libcst's version, Python's version;
- the settings: every field of ``engine.Settings`` (derived from the dataclass, so a field
  added later is part of the key without anyone remembering to add it) except those in
  ``NOT_IN_KEY``, which decide whether a result is produced or written, never what it is.
  A value with a ``__cache_key__()`` method contributes that; any other value its JSON
  (``repr`` for what JSON cannot hold);
- the file: its path as given (sites and diffs name it) and its bytes;
- what the project facts say the result owes to other files (``ProjectFacts.file_key``: the
  bytes' digests of the modules the file's imports run, whose functions the closing codemods
  read), when the facts were computed.

**Entries** live in ``<cache dir>/v2/<2 hex>/<62 hex>``: a magic word, the SHA-256 of the
body, then the body (zlib-compressed JSON that repeats the key). The plain tables of
``store_plain`` (the file index, the facts pass's memo: tens of MB of plain values on a corpus,
written at the end of every cold run) use ``marshal`` instead of JSON, a magic word of their
own, and the same checksum: measured on the 16,938-file corpus's index (26 MB of JSON),
``marshal.dumps`` 0.07 s against 0.3-0.7 s for ``json.dumps`` (``marshal``'s format is
Python's own: ``sys.version`` is in ``tool_key``, so another Python never reads it). An entry that does not
verify (damaged, truncated, another format, another key) is a miss, never a wrong answer.
Entries are written to a temporary file in the same directory and renamed over the name
(``os.replace``), so concurrent runs see a whole entry or none; two runs storing the same
key store the same bytes.

**Size.** At most ``MAX_BYTES``; at the end of a run, and at most every ``TRIM_EVERY``
seconds (a stamp file's time), the least recently used entries are removed until the cache is
under ``TRIM_TO`` of the bound. A hit refreshes its entry's time when older than
``TOUCH_AFTER`` (one ``utime``, not one per run).

**Not cached**: files the bytes stage of the prefilter rejects (screening them is cheaper than
a lookup); files the prefilter skips (its ``ast`` stage rejects them): the file index's verdict
(``lookup.py``: one table written once per run) already answers them without an entry, and a
cold run wrote an entry file for each (about 970 of the corpus's 1,670 entries, 0.7 ms of a
worker each), only read when the index was lost; results that are errors of the machine rather than of the file (``internal
error``, nesting too deep for the recursion limit, out of memory), and anything a budget
(time, memory, size) stopped: those never reach ``store``.

The cache directory: ``--cache-dir``, else ``$HTTP_CODEMODS_CACHE_DIR``, else the
configuration's ``cache-dir``, else ``$XDG_CACHE_HOME/http-codemods`` (``~/.cache/...``);
``--no-cache`` bypasses it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import marshal
import os
import sys
import tempfile
import time
import zlib
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import __version__
from .tagged_json import NotStorable, pack, unpack

#: Settings fields that are not part of the key, and why.
NOT_IN_KEY = frozenset(
    {
        "cache_dir",  # where the cache is, not what a result is
        "roots",  # checked when a rewrite is written, after the cache (pre-commit's vary by run)
        "max_file_size",  # budgets decide whether a file is processed, not its result
        "file_time_limit",
        "file_memory_limit",
    }
)

FORMAT = "v2"
_MAGIC = b"HTTPCM2\n"
#: A plain table's (``store_plain``): a checksummed, compressed ``marshal`` of (key, value).
_MAGIC_PLAIN = b"HTTPCP2\n"
MAX_BYTES = 256 * 2**20
TRIM_TO = 0.8
TRIM_EVERY = 10 * 60.0
TOUCH_AFTER = 3600.0
_STAMP = "last-trim"
#: Where ``fileindex.py`` keeps its tables (keys start with it: the first two hex digits of an
#: entry key are the shard, and "ix" is not hex).
INDEX_SHARD = "ix"

#: Reasons of error results that depend on the machine or the run, not on the file.
_NOT_CACHED_ERRORS = ("internal error", "nesting too deep to transform", "out of memory")


def default_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "http-codemods")


def resolve_dir(cli_dir: Optional[str], no_cache: bool, config_dir: Optional[str], base: str) -> str:
    """The cache directory to use ("" for none): the command line, then
    ``HTTP_CODEMODS_CACHE_DIR``, then the configuration (relative to ``base``), then the user
    cache directory."""
    if no_cache:
        return ""
    chosen = cli_dir or os.environ.get("HTTP_CODEMODS_CACHE_DIR")
    if not chosen and config_dir:
        chosen = os.path.join(base, os.path.expanduser(config_dir))
    return os.path.abspath(os.path.expanduser(chosen or default_dir()))


# -- the key -------------------------------------------------------------------------------

_TOOL_KEY: Optional[bytes] = None


def _package_digest() -> str:
    """SHA-256 over the package's own Python files (names and bytes)."""
    root = os.path.dirname(os.path.abspath(__file__))
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                digest.update(os.path.relpath(path, root).encode() + b"\0")
                with open(path, "rb") as handle:
                    digest.update(hashlib.sha256(handle.read()).digest())
    return digest.hexdigest()


def tool_key() -> bytes:
    """What the code that computes a result is: computed once per process (forked workers
    inherit it when the parent computed it before the fork)."""
    global _TOOL_KEY
    if _TOOL_KEY is None:
        try:
            from importlib.metadata import version

            libcst_version = version("libcst")
        except Exception:  # pragma: no cover - not installed as a distribution
            import libcst

            libcst_version = getattr(libcst, "__version__", "?")
        parts = [FORMAT, __version__, _package_digest(), libcst_version, sys.version, sys.implementation.name]
        _TOOL_KEY = json.dumps(parts).encode()
    return _TOOL_KEY


def _value_key(value: Any) -> Any:
    method = getattr(value, "__cache_key__", None)
    if callable(method):
        return ["__cache_key__", _value_key(method())]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [_value_key(v) for v in value]]
    if isinstance(value, (set, frozenset)):
        return ["set", sorted(json.dumps(_value_key(v), sort_keys=True) for v in value)]
    if isinstance(value, dict):
        return ["dict", sorted((json.dumps(_value_key(k), sort_keys=True), _value_key(v)) for k, v in value.items())]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [
            type(value).__qualname__,
            {f.name: _value_key(getattr(value, f.name)) for f in dataclasses.fields(value)},
        ]
    return ["repr", type(value).__qualname__, repr(value)]


def settings_key(settings: Any) -> bytes:
    """Every field of the settings dataclass but ``NOT_IN_KEY``, as canonical JSON."""
    fields = {
        f.name: _value_key(getattr(settings, f.name)) for f in dataclasses.fields(settings) if f.name not in NOT_IN_KEY
    }
    return json.dumps(fields, sort_keys=True).encode()


_LAST_SETTINGS: Tuple[Any, bytes] = (None, b"")


def _settings_digest(settings: Any) -> bytes:
    global _LAST_SETTINGS
    if _LAST_SETTINGS[0] is not settings:
        _LAST_SETTINGS = (settings, hashlib.sha256(tool_key() + b"\0" + settings_key(settings)).digest())
    return _LAST_SETTINGS[1]


#: Functions of a file's path and bytes whose answers a result depends on beyond the settings
#: (say, the project's formatter configuration for that file): ``add_key_part``.
_KEY_PARTS: List[Callable[[str, bytes], Any]] = []


def add_key_part(part: Callable[[str, bytes], Any]) -> Callable[[str, bytes], Any]:
    """Register ``part(path, data)`` as part of every key (usable as a decorator)."""
    if part not in _KEY_PARTS:
        _KEY_PARTS.append(part)
    return part


def key(settings: Any, path: str, data: bytes) -> str:
    digest = hashlib.sha256(_settings_digest(settings))
    encoded = path.encode("utf-8", "surrogateescape")
    digest.update(len(encoded).to_bytes(8, "little") + encoded)
    for part in _KEY_PARTS:
        extra = json.dumps(_value_key(part(path, data)), sort_keys=True).encode()
        digest.update(len(extra).to_bytes(8, "little") + extra)
    file_key = getattr(getattr(settings, "facts", None), "file_key", None)
    if callable(file_key) and path and path != "-":
        # The other files' contents the result owes to the facts that apply to this file
        # (the modules whose functions the closing codemods read: ``facts.ProjectFacts``).
        extra = json.dumps(_value_key(file_key(path)), sort_keys=True).encode()
        digest.update(len(extra).to_bytes(8, "little") + extra)
    digest.update(data)
    return digest.hexdigest()


#: The keys of this run (``open_run`` .. ``close_run``): path -> (the settings' digest, the
#: bytes' SHA-256, the key). The parent computes a candidate's key for its lookup; a worker
#: forked after the lookups inherits the table and reuses the key for the same bytes instead of
#: computing it again (its key parts search the project: the costliest part of a key).
_RUN_KEYS: Optional[Dict[str, Tuple[bytes, bytes, str]]] = None


def open_run() -> None:
    """Start remembering keys (``run_key``); what an earlier run remembered is dropped, as the
    files a key part reads may have changed since."""
    global _RUN_KEYS
    _RUN_KEYS = {}
    from .facts import model

    model._DIGESTS[0] = {}  # what ``ProjectFacts.file_key`` read, for this run only


def close_run() -> None:
    global _RUN_KEYS
    _RUN_KEYS = None
    from .facts import model

    model._DIGESTS[0] = None


def run_key(settings: Any, path: str, data: bytes) -> str:
    """``key``, computed once per file and run (between ``open_run`` and ``close_run``; outside
    a run, computed every time). Reused only for the same settings and the same bytes."""
    table = _RUN_KEYS
    if table is None:
        return key(settings, path, data)
    base = _settings_digest(settings)
    content = hashlib.sha256(data).digest()
    known = table.get(path)
    if known is not None and known[0] == base and known[1] == content:
        return known[2]
    found = key(settings, path, data)
    table[path] = (base, content, found)
    return found


# -- results a run must not keep -------------------------------------------------------------

_UNCACHEABLE: List[Optional[str]] = [None]


def mark_uncacheable(reason: str) -> None:
    """Called by code whose answer depended on the run, not the input (a formatter that timed
    out, a budget): the current file's result is not stored."""
    _UNCACHEABLE[0] = reason


def begin_file() -> None:
    _UNCACHEABLE[0] = None


# -- entries -------------------------------------------------------------------------------


def _entry_path(cache_dir: str, entry_key: str) -> str:
    return os.path.join(cache_dir, FORMAT, entry_key[:2], entry_key[2:])


def cacheable(result: Any) -> bool:
    if _UNCACHEABLE[0] is not None:
        return False
    if result.status != "error":
        return True
    reason = result.error or ""
    return not any(marker in reason for marker in _NOT_CACHED_ERRORS)


def _encode(entry_key: str, result: Any) -> bytes:
    body = json.dumps({"key": entry_key, "result": pack(result)}).encode("utf-8", "surrogatepass")
    body = zlib.compress(body, 1)
    return _MAGIC + hashlib.sha256(body).digest() + body


def _encode_plain(entry_key: str, value: Any) -> bytes:
    body = zlib.compress(marshal.dumps((entry_key, value)), 1)
    return _MAGIC_PLAIN + hashlib.sha256(body).digest() + body


def _decode(entry_key: str, blob: bytes) -> Optional[Any]:
    magic = blob[: len(_MAGIC)]
    if magic != _MAGIC and magic != _MAGIC_PLAIN:
        return None
    checksum = blob[len(_MAGIC) : len(_MAGIC) + 32]
    body = blob[len(_MAGIC) + 32 :]
    if len(checksum) != 32 or hashlib.sha256(body).digest() != checksum:
        return None
    try:
        if magic == _MAGIC_PLAIN:
            found_key, value = marshal.loads(zlib.decompress(body))
            return _Plain(value) if found_key == entry_key else None
        payload = json.loads(zlib.decompress(body).decode("utf-8", "surrogatepass"))
        if payload.get("key") != entry_key:
            return None
        return unpack(payload["result"])
    except Exception:  # a well-checksummed entry of another shape: still only a miss
        return None


def load(cache_dir: str, entry_key: str) -> Optional[Any]:
    """The stored result for ``entry_key``, or ``None`` (absent, damaged, unreadable)."""
    found = _load(cache_dir, entry_key)
    return None if isinstance(found, _Plain) else found


def load_plain(cache_dir: str, entry_key: str) -> Optional[Any]:
    """A value ``store_plain`` stored (``fileindex.py``'s table), or ``None``."""
    found = _load(cache_dir, entry_key)
    return found.value if isinstance(found, _Plain) else None


class _Plain:
    def __init__(self, value: Any) -> None:
        self.value = value


def _load(cache_dir: str, entry_key: str) -> Optional[Any]:
    path = _entry_path(cache_dir, entry_key)
    try:
        with open(path, "rb") as handle:
            blob = handle.read()
            stamp = os.fstat(handle.fileno()).st_mtime
    except OSError:
        return None
    result = _decode(entry_key, blob)
    if result is not None and time.time() - stamp > TOUCH_AFTER:
        try:
            os.utime(path)  # recently used: trimmed last
        except OSError:
            pass
    return result


def _prepare(cache_dir: str) -> None:
    """A new cache directory gets a CACHEDIR.TAG (backup tools skip it) and a .gitignore."""
    if os.path.isdir(os.path.join(cache_dir, FORMAT)):
        return
    os.makedirs(os.path.join(cache_dir, FORMAT), exist_ok=True)
    for name, text in (
        ("CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n# http-codemods cache: see cache.py\n"),
        (".gitignore", "# Automatically created by http-codemods.\n*\n"),
    ):
        try:
            with open(os.path.join(cache_dir, name), "x", encoding="utf-8") as handle:
                handle.write(text)
        except FileExistsError:
            pass


def store(cache_dir: str, entry_key: str, result: Any) -> None:
    """Best effort: a cache that cannot be written (read-only, full disk) only costs speed."""
    if not cacheable(result) or result.status == "skipped":
        return
    try:
        blob = _encode(entry_key, result)
    except (NotStorable, ValueError, TypeError):
        return
    _write(cache_dir, entry_key, blob)


def store_plain(cache_dir: str, entry_key: str, value: Any) -> None:
    """``store`` for a plain value (JSON's kinds: ``load_plain`` reads it back)."""
    try:
        blob = _encode_plain(entry_key, value)
    except (ValueError, TypeError):
        return
    _write(cache_dir, entry_key, blob)


def _write(cache_dir: str, entry_key: str, blob: bytes) -> None:
    path = _entry_path(cache_dir, entry_key)
    tmp = None
    try:
        _prepare(cache_dir)
        folder = os.path.dirname(path)
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
        os.replace(tmp, path)
        tmp = None
    except OSError:
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


# -- size ----------------------------------------------------------------------------------


def maybe_trim(cache_dir: str, max_bytes: int = MAX_BYTES, every: float = TRIM_EVERY) -> bool:
    """Trim when the last trim is older than ``every`` seconds; whether it ran."""
    if not cache_dir or not os.path.isdir(os.path.join(cache_dir, FORMAT)):
        return False
    stamp = os.path.join(cache_dir, _STAMP)
    try:
        if time.time() - os.stat(stamp).st_mtime < every:
            return False
    except OSError:
        pass
    try:
        with open(stamp, "w", encoding="utf-8") as handle:
            handle.write(f"{time.time():.0f}\n")
    except OSError:
        return False
    trim(cache_dir, max_bytes)
    return True


def trim(cache_dir: str, max_bytes: int = MAX_BYTES) -> int:
    """Remove the least recently used entries (and stale temporary files) until the cache is
    under ``TRIM_TO * max_bytes``, if it is over ``max_bytes``; how many files were removed."""
    entries = []
    total = 0
    removed = 0
    now = time.time()
    root = os.path.join(cache_dir, FORMAT)
    try:
        shards = list(os.scandir(root))
    except OSError:
        return 0
    for shard in shards:
        try:
            children = list(os.scandir(shard.path))
        except OSError:
            continue
        for entry in children:
            try:
                st = entry.stat()
            except OSError:
                continue
            if entry.name.startswith(".tmp-"):
                if now - st.st_mtime > 3600:  # left by a killed run
                    removed += _unlink(entry.path)
                continue
            entries.append((st.st_mtime, st.st_size, entry.path))
            total += st.st_size
    if total <= max_bytes:
        return removed
    entries.sort()
    target = max_bytes * TRIM_TO
    for _, size, path in entries:
        if total <= target:
            break
        if _unlink(path):
            removed += 1
            total -= size
    return removed


def _unlink(path: str) -> int:
    try:
        os.unlink(path)
        return 1
    except OSError:
        return 0


def stats(cache_dir: str) -> Dict[str, int]:
    """Result entries, file index tables (``fileindex.py``, the ``ix`` shard) and the bytes of
    both (tests and the benchmark)."""
    count = tables = size = 0
    for folder, _, files in os.walk(os.path.join(cache_dir, FORMAT)):
        for name in files:
            if not name.startswith(".tmp-"):
                if os.path.basename(folder) == INDEX_SHARD:
                    tables += 1
                else:
                    count += 1
                size += os.path.getsize(os.path.join(folder, name))
    return {"entries": count, "tables": tables, "bytes": size}
