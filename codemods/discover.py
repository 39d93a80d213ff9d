"""Paths on the command line -> the Python files to process, in a stable order.

Directories are walked with the default excludes, ``--exclude`` globs and ``.gitignore`` files
(the repository's root one and nested ones) applied; a file named explicitly is always taken.
Symlinked directories are followed once; a loop or a dangling link is an error for that path.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import pathspec

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


def display_path(path: str) -> str:
    """Relative to the current directory when below it, else as given."""
    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    if absolute == cwd or absolute.startswith(cwd.rstrip(os.sep) + os.sep):
        return os.path.relpath(absolute, cwd)
    return path


def _broken_link(path: str) -> str:
    """Why a symlink cannot be followed: a loop (ELOOP) or a missing target."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop"
    return "dangling symlink"


def _spec(patterns: Iterable[str]) -> pathspec.PathSpec:
    # GitIgnoreSpec follows git's own precedence rules (a re-included file stays included).
    return pathspec.GitIgnoreSpec.from_lines(list(patterns))


def _gitignore(directory: str) -> Optional[pathspec.PathSpec]:
    try:
        with open(os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace") as f:
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
    def __init__(self, excludes: Sequence[str], use_gitignore: bool) -> None:
        # A pattern "name/" matches a directory of that name at any depth: a set lookup.
        self.excluded_names = frozenset(DEFAULT_EXCLUDES)
        self.excludes = _spec(list(excludes)) if excludes else None
        self.use_gitignore = use_gitignore
        self.result = Discovery()
        self.seen_files: Set[str] = set()
        self.seen_dirs: Set[str] = set()
        self._gitignores: Dict[str, Optional[pathspec.PathSpec]] = {}

    def add_file(self, path: str, real: Optional[str] = None) -> None:
        if real is None:
            real = os.path.realpath(path)
        if real in self.seen_files:
            return
        self.seen_files.add(real)
        self.result.files.append(path)

    def ignored_by_git(self, path: str, is_dir: bool, ignores: List[Tuple[str, pathspec.PathSpec]]) -> bool:
        for base, spec in ignores:
            rel = os.path.relpath(path, base).replace(os.sep, "/")
            if is_dir:
                rel += "/"
            if spec.match_file(rel):
                return True
        return False

    def walk_root(self, root: str) -> None:
        ignores: List[Tuple[str, pathspec.PathSpec]] = []
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

    def walk(self, root: str, directory: str, ignores, ancestors: Tuple[str, ...]) -> None:
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
        for entry in entries:
            path = entry.path
            try:
                is_dir = entry.is_dir()  # follows symlinks
            except OSError:
                is_dir = False
            if not is_dir and not entry.name.endswith(PYTHON_SUFFIXES):
                continue
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            if is_dir:
                if entry.name in self.excluded_names:
                    continue
                if (self.excludes is not None and self.excludes.match_file(rel + "/")) or self.ignored_by_git(
                    os.path.abspath(path), True, ignores
                ):
                    continue
                self.walk(root, path, ignores, ancestors)
                continue
            if (self.excludes is not None and self.excludes.match_file(rel)) or self.ignored_by_git(
                os.path.abspath(path), False, ignores
            ):
                continue
            if entry.is_symlink():
                if not os.path.exists(path):
                    self.result.errors.append((path, _broken_link(path)))
                    continue
                self.add_file(path)
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
    walker = _Walker(excludes, use_gitignore)
    for path in paths:
        if force_excluded is not None and force_excluded(path):
            continue
        if os.path.isdir(path):
            walker.walk_root(path)
        elif os.path.lexists(path) and not os.path.exists(path):
            walker.result.errors.append((path, _broken_link(path)))
        elif os.path.exists(path):
            walker.add_file(path)  # named explicitly: taken even if excluded
        else:
            walker.result.errors.append((path, "no such file or directory"))
    result = walker.result
    result.files = sorted({display_path(p) for p in result.files})
    # Two spellings of one file were deduplicated above by real path.
    result.errors.sort()
    return result
