"""Paths on the command line -> the Python files to process, in a stable order.

Directories are walked with the default excludes, ``--exclude`` globs and ``.gitignore`` files
(the repository's root one and nested ones) applied; a file named explicitly is always taken.

The roots are the directories named, and the directory of each file named (resolved). Nothing
outside them is ever read as source or written: a symlink (to a file or a directory) whose
target leaves every root is not followed and is listed in ``Discovery.skipped``. A symlink whose
target is inside a root is processed once, under the target's path: a file link adds its target
(writes go to the target, the link stays a link); a directory link is not descended into, since
its target is walked in its own place (or excluded there). A loop or a dangling link is an error
for that path, and so is a name that is not a regular file (a FIFO, a socket, a device).
"""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import pathspec
import pathspec.util

DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".venv",
    "venv",
    ".tox",
    "build",
    "dist",
    "node_modules",
    "__pycache__",
    "site-packages",
)

PYTHON_SUFFIXES = (".py",)


@dataclass
class Discovery:
    files: List[str] = field(default_factory=list)
    #: (path, reason) for paths that could not be walked.
    errors: List[Tuple[str, str]] = field(default_factory=list)
    #: (path, reason) for symlinks not followed because their target leaves the roots.
    skipped: List[Tuple[str, str]] = field(default_factory=list)
    #: Real paths of the roots; every file in ``files`` resolves inside one of them.
    roots: List[str] = field(default_factory=list)


def inside(real: str, roots: Iterable[str]) -> bool:
    """Whether the real path ``real`` is one of ``roots`` or below one."""
    return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


#: ``display_path``'s memo: (current directory, path) -> what it shows.
_SHOWN: Dict[Tuple[str, str], str] = {}
_SHOWN_MAX = 200_000


def display_path(path: str) -> str:
    """Relative to the current directory when below it, else as given (memoised by the
    current directory: a run shows each file several times)."""
    cwd = os.getcwd()
    key = (cwd, path)
    found = _SHOWN.get(key)
    if found is None:
        if len(_SHOWN) >= _SHOWN_MAX:
            _SHOWN.clear()
        found = _SHOWN[key] = _display_path(path, cwd)
    return found


def _display_path(path: str, cwd: str) -> str:
    absolute = os.path.abspath(path)
    if absolute == cwd or absolute.startswith(cwd.rstrip(os.sep) + os.sep):
        return os.path.relpath(absolute, cwd)
    return path


def below(path: str, base: str) -> str:
    """``os.path.relpath(path, base)`` for absolute, normalised paths, by slicing when ``path``
    is below ``base`` (the walk's case: each ignore file's directory is an ancestor)."""
    prefix = base if base.endswith(os.sep) else base + os.sep
    if path.startswith(prefix) and len(path) > len(prefix):
        return path[len(prefix) :]
    return os.path.relpath(path, base)


def _broken_link(path: str) -> str:
    """Why a symlink cannot be followed: a loop (ELOOP) or a missing target."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop"
    return "dangling symlink"


def _spec(patterns: Iterable[str]) -> "_QuickSpec":
    # GitIgnoreSpec follows git's own precedence rules (a re-included file stays included).
    return _QuickSpec(pathspec.GitIgnoreSpec.from_lines(list(patterns)))


_NAMED_GROUP = re.compile(r"\(\?P<[A-Za-z_][A-Za-z0-9_]*>")


class _QuickSpec:
    """A ``GitIgnoreSpec`` whose ``match_file`` first asks one regular expression, the union
    of its patterns' own: a path none of them matches matches no pattern, so the spec does not
    match it (most paths of a walk), and only the others go through the spec's precedence
    rules (a loop over every pattern in Python). Without a union (a pattern it cannot join),
    every path goes to the spec."""

    def __init__(self, spec: pathspec.PathSpec) -> None:
        self.spec = spec
        self.union: Optional["re.Pattern[str]"] = None
        parts = []
        for pattern in spec.patterns:
            if getattr(pattern, "include", None) is None:
                continue  # a no-op pattern (a comment, a blank line) is never consulted
            regex = getattr(pattern, "regex", None)
            if regex is None or not isinstance(regex.pattern, str) or regex.flags != re.UNICODE:
                return
            if "(?P=" in regex.pattern:
                return
            parts.append("(?:" + _NAMED_GROUP.sub("(?:", regex.pattern) + ")")
        try:
            self.union = re.compile("|".join(parts)) if parts else re.compile(r"(?!)")
        except re.error:
            self.union = None

    def match_file(self, path: str) -> bool:
        if self.union is not None and self.union.search(pathspec.util.normalize_file(path)) is None:
            return False
        return self.spec.match_file(path)


def _gitignore(directory: str) -> Optional["_QuickSpec"]:
    path = os.path.join(directory, ".gitignore")
    if not os.path.isfile(path):  # never open a FIFO or a device (open would block or stream)
        return None
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return _spec(f.read().splitlines())
    except OSError:
        return None


def _repository_root(directory: str) -> Optional[str]:
    current = os.path.abspath(directory)
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


class _Walker:
    def __init__(self, excludes: Sequence[str], use_gitignore: bool, roots: Sequence[Tuple[str, str]] = ()) -> None:
        # A pattern "name/" matches a directory of that name at any depth: a set lookup.
        self.excluded_names = frozenset(DEFAULT_EXCLUDES)
        self.excludes = _spec(list(excludes)) if excludes else None
        self.use_gitignore = use_gitignore
        self.result = Discovery()
        self.seen_files: Set[str] = set()
        self.seen_dirs: Set[str] = set()
        #: (real path, spelling on the command line), longest real path first.
        self.roots = sorted(roots, key=lambda r: -len(r[0]))
        self.result.roots = sorted({real for real, _ in roots})

    def spelling(self, real: str) -> str:
        """A real path inside a root, spelled from that root as the user named it."""
        for root, spelled in self.roots:
            if inside(real, (root,)):
                return os.path.normpath(os.path.join(spelled, os.path.relpath(real, root)))
        return real  # pragma: no cover - callers check ``inside`` first

    def add_link(self, path: str, is_dir: bool = False) -> None:
        """A symlink that resolves: its target once, when inside the roots; else skipped."""
        real = os.path.realpath(path)
        if not inside(real, self.result.roots):
            kind = "a directory" if is_dir else "a file"
            self.result.skipped.append((path, f"symlink to {kind} outside the tree ({real}): not followed"))
        elif not is_dir:
            self.add_file(self.spelling(real), real)
        # A directory link inside the roots: its target is walked in its own place.

    def add_file(self, path: str, real: Optional[str] = None) -> None:
        if real is None:
            real = os.path.realpath(path)
        if real in self.seen_files:
            return
        self.seen_files.add(real)
        self.result.files.append(path)

    def ignored_by_git(self, path: str, is_dir: bool, ignores: List[Tuple[str, _QuickSpec]]) -> bool:
        for base, spec in ignores:
            rel = below(path, base).replace(os.sep, "/")
            if is_dir:
                rel += "/"
            if spec.match_file(rel):
                return True
        return False

    def walk_root(self, root: str) -> None:
        ignores: List[Tuple[str, _QuickSpec]] = []
        if self.use_gitignore:
            top = _repository_root(root)
            if top is not None:
                # .gitignore files from the repository root down to (not including) root.
                chain = []
                current = os.path.abspath(root)
                while current != top:
                    current = os.path.dirname(current)
                    chain.append(current)
                for directory in reversed(chain):
                    spec = _gitignore(directory)
                    if spec is not None:
                        ignores.append((directory, spec))
        self.walk(root, root, ignores, ())

    def walk(
        self, root: str, directory: str, ignores, ancestors: Tuple[str, ...], below: str = "", real: str = ""
    ) -> None:
        """``below``: ``directory`` relative to ``root`` ("" for root itself), "/"-separated.
        ``real``: its real path when the caller knows it (a directory that is no link, in one
        whose real path is known: that path plus its name), else resolved here."""
        if not real:
            real = os.path.realpath(directory)
        if real in ancestors:
            self.result.errors.append((directory, "symlink loop: directory contains itself"))
            return
        if real in self.seen_dirs:
            return
        self.seen_dirs.add(real)
        ancestors = ancestors + (real,)
        if self.use_gitignore:
            spec = _gitignore(directory)
            if spec is not None:
                ignores = ignores + [(os.path.abspath(directory), spec)]
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            self.result.errors.append((directory, f"cannot list directory: {exc.strerror}"))
            return
        # Names from scandir hold no separator and are never "." or "..": a path's place below
        # the root and its absolute spelling are the directory's plus the name (no relpath).
        absolute_dir = os.path.abspath(directory)
        for entry in entries:
            path = entry.path
            try:
                is_dir = entry.is_dir()  # follows symlinks
            except OSError:
                is_dir = False
            if not is_dir and not entry.name.endswith(PYTHON_SUFFIXES):
                continue
            rel = below + entry.name
            absolute = os.path.join(absolute_dir, entry.name)
            if is_dir:
                if entry.name in self.excluded_names:
                    continue
                if (self.excludes is not None and self.excludes.match_file(rel + "/")) or self.ignored_by_git(
                    absolute, True, ignores
                ):
                    continue
                if entry.is_symlink():
                    if os.path.realpath(path) not in ancestors:
                        self.add_link(path, is_dir=True)  # a loop is reported by walk()
                        continue
                    self.walk(root, path, ignores, ancestors, rel + "/")
                    continue
                self.walk(root, path, ignores, ancestors, rel + "/", os.path.join(real, entry.name))
                continue
            if (self.excludes is not None and self.excludes.match_file(rel)) or self.ignored_by_git(
                absolute, False, ignores
            ):
                continue
            if entry.is_symlink():
                if not os.path.exists(path):
                    self.result.errors.append((path, _broken_link(path)))
                    continue
                self.add_link(path)
            elif not entry.is_file():
                self.result.errors.append((path, "not a regular file"))
            else:
                # Real path of a plain file: its directory's (resolved once) plus its name.
                self.add_file(path, os.path.join(real, entry.name))


def discover(
    paths: Sequence[str],
    excludes: Sequence[str] = (),
    use_gitignore: bool = True,
    force_excluded: Optional[Callable[[str], bool]] = None,
) -> Discovery:
    """``force_excluded``: a predicate for the paths named in ``paths`` (``--force-exclude``);
    those it accepts are skipped, silently, as if they were never named."""
    roots = []
    for path in paths:
        if os.path.isdir(path):
            roots.append((os.path.realpath(path), path))
        elif os.path.exists(path):
            parent = os.path.dirname(path) or "."
            roots.append((os.path.realpath(parent), parent))
    walker = _Walker(excludes, use_gitignore, roots)
    for path in paths:
        if force_excluded is not None and force_excluded(path):
            continue
        if os.path.isdir(path):
            walker.walk_root(path)
        elif os.path.lexists(path) and not os.path.exists(path):
            walker.result.errors.append((path, _broken_link(path)))
        elif os.path.islink(path):
            walker.add_link(path)  # named explicitly: taken even if excluded, if inside
        elif os.path.exists(path):
            if not os.path.isfile(path):
                walker.result.errors.append((path, "not a regular file"))
                continue
            walker.add_file(path)  # named explicitly: taken even if excluded
        else:
            walker.result.errors.append((path, "no such file or directory"))
    result = walker.result
    result.files = sorted({display_path(p) for p in result.files})
    # Two spellings of one file were deduplicated above by real path.
    result.errors.sort()
    result.skipped.sort()
    result.skipped = [(display_path(p), reason) for p, reason in result.skipped]
    return result
