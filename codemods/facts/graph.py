"""Which files a test reaches by imports (``ProjectFacts.reachable``): the import graph of the
files the facts pass read, each name resolved inside the project of the file that imports it.

A test of one project never reaches another project's modules by name: ``import helpers`` in
apprise's tests is apprise's ``tests/helpers``, not every ``helpers`` of every repository in
the run. Resolving names across projects made each reach a walk of the whole run (in a run over
86 repositories, apprise's 169 tests that patch ``requests.post`` each walked about all of
them, and one plugin took more than 60 s of CPU time), and made a file's answer depend on which
other repositories were in the run. Each name is resolved once per project (``resolve``'s
memo): a reach is then one walk of the importing project's graph.
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, List, Set, Tuple

from .screen import ATTRIBUTE, LAZY

#: (file, imported by its own name)
Target = Tuple[str, bool]


class ImportGraph:
    """Which files a test reaches by imports. A file is reached *whole* when it is imported by
    its own name (``import pkg``): then the names it loads lazily (``screen.LAZY``) count too.
    ``from pkg import X`` runs ``pkg`` and, when ``pkg`` is lazy, loads only what ``X`` names
    (``screen.ATTRIBUTE``; every lazy name when the package's table does not name ``X``).

    ``resolved`` and ``visits`` count the work done (names resolved, files visited by reaches):
    the tests hold them to the size of one project, whatever else the run holds."""

    def __init__(self, facts: Any) -> None:  # a model.ProjectFacts (model.py imports this module)
        self.facts = facts
        #: real path -> its project ("" for none)
        self.project: Dict[str, str] = {}
        #: project -> dotted name -> the files imported by that name
        self.by_name: Dict[str, Dict[str, List[str]]] = {}
        for path, _ in facts.imports:
            project = facts.project_of_real(path)  # the facts' paths are real
            self.project[path] = project or ""
            names = self.by_name.setdefault(project or "", {})
            for name in facts.names_of(path, project):
                names.setdefault(name, []).append(path)
        self.edges: Dict[str, List[str]] = {}
        self.attributes: Dict[str, Dict[str, List[str]]] = {}
        self.lazy: Set[str] = set()
        for path, names in facts.imports:
            for name in names:
                if name.startswith(ATTRIBUTE):
                    attr, _, module = name[len(ATTRIBUTE) :].partition("=")
                    self.attributes.setdefault(path, {}).setdefault(attr, []).append(module)
                    continue
                if name.startswith(LAZY):
                    self.lazy.add(path)
                self.edges.setdefault(path, []).append(name)
        self._memo: Dict[Tuple[str, str], List[Target]] = {}
        self.resolved = 0
        self.visits = 0

    def project_of(self, path: str) -> str:
        found = self.project.get(path)
        if found is None:
            found = self.project[path] = self.facts.project_of(path) or ""
        return found

    def resolve(self, name: str, project: str) -> List[Target]:
        """(file, imported by its own name) for what importing ``name`` runs in ``project``."""
        key = (project, name)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._resolve(name, project)
            self.resolved += 1
        return found

    def _resolve(self, name: str, project: str) -> List[Target]:
        by_name = self.by_name.get(project, {})
        if name.endswith(".*"):  # any module of a package that imports by name
            prefix = name[:-1]
            return [(t, True) for key, ts in by_name.items() if key.startswith(prefix) for t in ts]
        parts = name.split(".")
        out = [(t, i == len(parts)) for i in range(1, len(parts) + 1) for t in by_name.get(".".join(parts[:i]), ())]
        if len(parts) > 1 and name not in by_name:  # ``from pkg import X``, X not a module
            for package in by_name.get(".".join(parts[:-1]), ()):
                if package not in self.lazy:
                    continue
                modules = self.attributes.get(package, {}).get(parts[-1])
                if modules is None:
                    out.append((package, True))  # a name the table does not give: anything
                else:
                    for module in modules:
                        out += [(t, True) for t in by_name.get(module, ())]
        return out

    def direct(self, start: str) -> Set[str]:
        """The files ``start``'s own import statements name (its packages' ``__init__`` aside)."""
        project = self.project_of(start)
        out = set()
        for name in self.edges.get(start, ()):
            out.update(t for t, own in self.resolve(name.lstrip(LAZY), project) if own)
        return out

    def imported(self, start: str) -> Set[str]:
        """Every file ``start``'s own import statements run (its packages' ``__init__``
        included; ``from m import f`` runs ``m``): the modules it may call functions of."""
        project = self.project_of(start)
        out = set()
        for name in self.edges.get(start, ()):
            out.update(t for t, _ in self.resolve(name.lstrip(LAZY), project))
        return out

    def reach(self, start: str) -> FrozenSet[str]:
        project = self.project_of(start)
        seen: Dict[str, bool] = {start: True}
        todo = [start]
        while todo:
            path = todo.pop()
            self.visits += 1
            whole = seen[path]
            for name in self.edges.get(path, ()):
                if name.startswith(LAZY):
                    if not whole:
                        continue
                    name = name[len(LAZY) :]
                for target, by_own_name in self.resolve(name, project):
                    if target not in seen or (by_own_name and not seen[target]):
                        seen[target] = seen.get(target, False) or by_own_name
                        todo.append(target)
        return frozenset(seen)
