"""The dotted names a file of a project is imported as, from the directories that can be on
``sys.path`` when its tests run, not from every suffix of its path (a test's ``import openai``,
the third-party package, must not land on the project's ``pkg/embeddings/openai.py``).

The import roots of a project: its root (``python -m pytest`` puts the current directory on
``sys.path``, and a root ``conftest.py`` is inserted by pytest's default import mode), its
``src/`` directory, the ``pythonpath`` entries of its pytest configuration, and, for each file,
its *basedir*: the first directory above it without ``__init__.py``, which pytest's default
(``prepend``) import mode inserts for every test module and conftest in it (so the siblings of
a test in a directory without ``__init__.py`` are importable by their bare names).

A project where some file changes ``sys.path`` itself (``sys.path.insert``, ``site.addsitedir``;
Sphinx's ``conf.py`` and ``setup.py`` aside, which tests never run) cannot be settled: there,
every suffix of a file's path counts, as before (``model.module_names``).
"""

from __future__ import annotations

import os
import re
from typing import Dict, Iterable, List, Optional, Set, Tuple

from ..discover import below
from .model import _inside, module_names

#: A file that changes ``sys.path`` (bytes; any of these makes the project unsettled).
#: ``\bsys\.path...|\baddsitedir...`` with each literal before its word boundary (the same
#: matches; the regex engine skips to the literals instead of trying every position).
_SYS_PATH = re.compile(
    rb"sys(?<=\bsys)\.path\s*(?:\.\s*(?:insert|append|extend)\s*\(|\[|\+?=[^=])|addsitedir(?<=\baddsitedir)\s*\("
)
#: Files whose ``sys.path`` changes never run in a test session.
_NOT_RUN_BY_TESTS = frozenset({"conf.py", "setup.py"})
_PYTHONPATH = re.compile(r"^[ \t]*pythonpath[ \t]*=[ \t]*(\[[^\]]*\]|[^\n]*(?:\n[ \t]+[^\n=]+)*)", re.M)
_CONFIGS = ("pyproject.toml", "pytest.ini", "setup.cfg", "tox.ini")


def changes_sys_path(path: str, data: bytes) -> bool:
    """Whether the file at ``path`` may put other directories on ``sys.path`` for the tests."""
    if b"sys.path" not in data and b"addsitedir" not in data:  # what each alternative needs
        return False
    return os.path.basename(path) not in _NOT_RUN_BY_TESTS and _SYS_PATH.search(data) is not None


def pytest_pythonpath(project: str) -> List[str]:
    """The directories a project's pytest configuration adds to ``sys.path`` (``pythonpath``)."""
    out: List[str] = []
    for name in _CONFIGS:
        path = os.path.join(project, name)
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read(1 << 20)
        except OSError:
            continue
        for match in _PYTHONPATH.finditer(text):
            value = match.group(1).strip()
            entries = re.findall(r"""["']([^"']+)["']""", value) if value.startswith("[") else value.split()
            out += [os.path.normpath(os.path.join(project, e)) for e in entries if e and not e.startswith("#")]
    return out


class Namer:
    """Each file's names, for the projects of one run. ``files``: real paths of every file the
    pass read (an ``__init__.py`` among them marks a package without a look at the disk)."""

    def __init__(self, files: Iterable[str], unsettled: Iterable[str]) -> None:
        self.known = set(files)
        self.unsettled = set(unsettled)  # projects where some file changes sys.path
        self.roots: Dict[str, Tuple[str, ...]] = {}
        self.basedirs: Dict[str, str] = {}

    def _roots(self, project: str) -> Tuple[str, ...]:
        if project not in self.roots:
            found = [project] + pytest_pythonpath(project)
            if os.path.isdir(os.path.join(project, "src")):
                found.append(os.path.join(project, "src"))
            self.roots[project] = tuple(dict.fromkeys(found))
        return self.roots[project]

    def _is_package(self, directory: str) -> bool:
        init = os.path.join(directory, "__init__.py")
        return init in self.known or os.path.isfile(init)

    def _basedir(self, directory: str) -> str:
        if directory not in self.basedirs:
            parent = os.path.dirname(directory)
            if self._is_package(directory) and parent != directory:
                self.basedirs[directory] = self._basedir(parent)
            else:
                self.basedirs[directory] = directory
        return self.basedirs[directory]

    def package(self, real: str) -> str:
        """The package relative imports in ``real`` resolve against: its directory's dotted
        name below its basedir (``__init__.py``: that package itself)."""
        directory = os.path.dirname(real)
        # Both real (absolute, normalised), the basedir an ancestor: a slice, not a relpath.
        name = _dotted(below(os.path.join(directory, "__init__.py"), self._basedir(directory)))
        return name or ""

    def names(self, real: str, project: Optional[str]) -> Tuple[str, ...]:
        """The dotted names ``real`` is imported as, shortest first."""
        if project is None or project in self.unsettled:
            return tuple(module_names(real, project))
        out: Set[str] = set()
        for root in self._roots(project) + (self._basedir(os.path.dirname(real)),):
            if _inside(real, root) and real != root:
                name = _dotted(below(real, root))  # roots are normalised (realpath, normpath)
                if name:
                    out.add(name)
        return tuple(sorted(out, key=lambda n: (n.count("."), n)))


def _dotted(relative: str) -> Optional[str]:
    parts = [p for p in relative.replace(os.sep, "/").split("/") if p and p != os.curdir]
    if not parts or parts[0] == os.pardir:
        return None
    last = parts[-1]
    if last.endswith(".py"):
        last = last[:-3]
    elif last.endswith(".pyi"):
        last = last[:-4]
    parts = parts[:-1] + ([] if last == "__init__" else [last])
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts)
