"""The facts themselves and the questions codemods ask of them: ``Patch`` (a mock or a run-time
swap of a library function or of a module's binding of the library), ``Change`` (a run-time
change such as ``requests_cache.install_cache()`` or an ``os.environ`` write), ``Bound`` (a
declared requirement), ``CallSite`` (one call a codemod considers rewriting) and
``ProjectFacts``, the plain, picklable result of the pass with its ``__cache_key__()`` and its
queries (``problem_for``, ``reachable``, ``requires_at_least``). Also the coverage rules that
decide whether a patch covers a call (``_patch_covers``, ``_global_target``) and the dotted
names a file may be imported as when the pass cannot settle them (``module_names``) and
which files a test reaches by imports (``graph.ImportGraph``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Tuple

from ..call_names import DROP_INS

#: Codemods whose decisions consult project facts (the pass runs only when one is selected).
CONSUMERS = frozenset({"share-session", "close-client", "close-response"})
LIBRARIES = ("requests", "httpx")
#: The modules whose patches count: the libraries and their drop-ins (``call_names.DROP_INS``:
#: ``niquests``, ``httpx2``), which every codemod resolves as the library whose API they keep.
#: A drop-in's patch is matched as the library's (``mock.patch("niquests.get")`` as
#: ``requests.get``), as a call's qualified names are: the library's patch covers the
#: drop-in's calls and the other way round (``CallSite`` does not say which module it calls).
PATCHED_MODULES = LIBRARIES + tuple(DROP_INS)


def api_of(module: str) -> str:
    """``requests`` for ``niquests``: the library whose API a drop-in keeps; any other as it is."""
    return DROP_INS.get(module, module)


@dataclass(frozen=True, order=True)
class Patch:
    """A replacement of a library function or of a module's binding of the library.

    ``kind``: ``mock`` (mock.patch and friends: temporary, usually after the code under test
    was imported), ``assign`` (``requests.get = fake``, ``setattr``: a run-time swap),
    ``string`` (a dotted string of a file that also calls ``patch(name)``: maybe its target),
    ``unsettled`` (``patch(name)`` whose target the pass cannot read: ``target`` is empty and
    ``library`` says which library the file names; ``prefix``, when the target's start is
    readable, is the dotted start it surely has: ``"Bio.Entrez." + param`` -> ``Bio.Entrez.``).

    ``reach``: for a patch made in a test module (``test_*.py``, ``*_test.py``, ``tests.py``),
    its real path: a patch that replaces a library function for every module (``requests.get``,
    also through ``pkg.mod.requests.get``) covers only the calls in the modules that test can
    reach by imports (``ProjectFacts.imports``). Empty (conftest, helpers, the package's own
    modules): the whole project, since any test may run it.

    ``stand_in``: the replacement is an object the test chose (``patch(name, new)``,
    ``new_callable=``, ``spec=`` a class, ``monkeypatch.setattr(obj, name, value)``, an
    assignment), not the ``MagicMock`` ``patch`` makes, which has every method; unknown is
    ``True``.

    ``movable``: share-session can rewrite where the target is written (``mock.patch``'s or
    ``patch.multiple``'s first argument, ``monkeypatch.setattr``'s, as a plain literal:
    ``share.mockpatch.movable``), judged by the pass, which has the file's tree in hand: a
    plan's form check (``mockpatch._form_problem``) parses no test module again."""

    project: str
    target: str
    kind: str
    library: str
    where: str
    text: str
    reach: str = ""
    stand_in: bool = True
    prefix: str = ""
    movable: bool = False


@dataclass(frozen=True, order=True)
class Change:
    """A run-time change made somewhere in the project: ``requests_cache`` (install_cache /
    enabled), ``env`` (an ``os.environ`` write that may set proxy or SSL variables),
    ``env-clear`` (a test's ``mock.patch.dict(os.environ, ..., clear=True)`` whose keys name
    none: it removes the ones the process had) or
    ``results`` (a test sets a fixture's mock's ``return_value`` to an object of its own: a
    patch made outside the tests may hand the code that object)."""

    project: str
    kind: str
    where: str
    text: str
    #: A change undone when the test ends (``mock.patch.dict``, ``monkeypatch.setenv``) made
    #: in a test module: that module's real path, as ``Patch.reach`` (it covers only the calls
    #: the test reaches by imports); empty: the whole project.
    reach: str = ""


@dataclass(frozen=True, order=True)
class Bound:
    """A declared requirement on a library: ``directory`` is where the declaring file is."""

    directory: str
    library: str
    specifier: str
    where: str


@dataclass(frozen=True)
class CallSite:
    """What a codemod knows of one call it considers rewriting."""

    path: str
    library: str  # requests / httpx
    verb: str  # get, post, ..., request, stream
    qualified: Tuple[str, ...]  # the resolved names, e.g. ("requests.get",), ("requests.api.get",)
    chain: Tuple[str, ...]  # the call's name as spelled: ("requests", "get"), ("get",)
    scope: str = "module"  # share-session strategy: module / function / client


@dataclass(frozen=True)
class ProjectFacts:
    projects: Tuple[str, ...] = ()  # real paths of the project roots, sorted
    patches: Tuple[Patch, ...] = ()
    changes: Tuple[Change, ...] = ()
    bounds: Tuple[Bound, ...] = ()
    #: (real path, dotted names it imports) for every file read: what a test can reach.
    imports: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    #: (real path, the dotted names it is imported as) for every file read (``names.py``).
    names: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    #: (project, name) of every method name that may be bound more than once in the project:
    #: defined by two ``def`` statements (in any classes), or a private name (``_x``) also
    #: assigned somewhere (``_x = ...`` indented, ``obj._x = ...``, ``setattr(obj, "_x", ...)``).
    #: The closing codemods read ``self._x(r)``'s body only when ``_x`` is not in it.
    #: Entries ``"." + name`` (``screen.STORED``: it may be stored as an attribute or mocked)
    #: and ``"(" + name`` (``screen.SUBCLASSED``: a class of that name may be subclassed).
    members: Tuple[Tuple[str, str], ...] = ()
    #: The project's response factories (``factories.Factory``), for close-response's callers.
    factories: Tuple[Any, ...] = ()
    #: (path as the run gave it, the names of its project's factories its bytes name), for
    #: the files of a project that has factories (the prefilter's words for them).
    factory_files: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    #: (path as ``Factory.where`` shows it, ``module_functions`` of it) for each module that
    #: defines a factory: a patch of one of those functions cannot change what a factory returns.
    functions: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    #: ``share/mockpatch.py``'s ``Transfers``: the test patches share-session moves onto the
    #: package's shared session (their covering is ignored: ``covering_patches``); None: none.
    transfers: Any = None
    files: int = 0  # how many files the pass read (statistics)
    parsed: int = 0  # how many of them it parsed with ast
    #: (project root, why) of each project whose facts the pass could not compute (an
    #: unexpected exception: ``facts.collect``); none of its facts is above, and the run
    #: rewrites none of its files (``failure_of``): each is an error naming why.
    failed: Tuple[Tuple[str, str], ...] = ()

    def __cache_key__(self) -> str:
        """A digest of every fact but the statistics (memoised: the results cache's key and
        ``file_key``'s memo ask for it)."""
        known = _CACHE_KEYS.get(id(self))
        if known is not None and known[0] is self:
            return known[1]
        found = self._cache_key()
        _CACHE_KEYS.clear()  # one run's facts at a time
        _CACHE_KEYS[id(self)] = (self, found)
        return found

    def _cache_key(self) -> str:
        digest = hashlib.sha256()
        parts = (
            self.projects,
            self.patches,
            self.changes,
            self.bounds,
            self.imports,
            self.names,
            self.members,
            self.factories,
            self.factory_files,
            self.functions,
            self.transfers,
            self.failed,
        )
        for part in parts:
            digest.update(repr(part).encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
        return "facts:" + digest.hexdigest()

    # -- queries ---------------------------------------------------------------------------

    def project_of(self, path: str) -> Optional[str]:
        return self.project_of_real(_real(path))

    def project_of_real(self, real: str) -> Optional[str]:
        """``project_of`` for a path already real (the facts' own paths). The answer is the
        same for every file of a directory (remembered per directory: a run asks it of every
        file, and each answer scans the projects)."""
        directory = os.path.dirname(real)
        memo = _PROJECT_OF.get(id(self))
        if memo is None or memo[0] is not self:
            _PROJECT_OF.clear()  # one run's facts at a time: an old one is not kept alive
            memo = _PROJECT_OF[id(self)] = (self, {}, frozenset(self.projects))
        if directory not in memo[1]:
            best = None
            for root in self.projects:
                if _inside(directory, root) and (best is None or len(root) > len(best)):
                    best = root
            memo[1][directory] = best
        if real in memo[2]:
            return real  # a project whose root is the file itself: the longest root
        return memo[1][directory]

    def failure_of(self, path: str) -> Optional[str]:
        """Why the file at ``path`` cannot be rewritten: its project's facts are missing
        (``failed``); ``None`` for the files of every other project."""
        if not self.failed:
            return None
        return dict(self.failed).get(self.project_of(path) or "")

    def factory_words(self, path: str) -> Tuple[str, ...]:
        """The names of the response factories of its project that the file at ``path`` names."""
        table = _FACTORY_WORDS.get(id(self))
        if table is None or table[0] is not self:
            _FACTORY_WORDS.clear()
            table = _FACTORY_WORDS[id(self)] = (self, dict(self.factory_files))
        return table[1].get(path, ())

    def file_key(self, path: str) -> List[Tuple[str, str]]:
        """What a cached result of the file at ``path`` owes to other files' contents beyond
        these facts: (real path, SHA-256) of every file its own imports name (``ImportGraph.
        imported``), whose functions the closing codemods may read (``closing/foreign.py``).
        Memoised during a run (``cache.open_run`` .. ``close_run``), never outside one."""
        real = _real(path)
        if self.project_of_real(real) is None:
            return []
        from ..fileindex import current

        index = current()
        out = []
        for other in self._imported(path, real, index):
            if other == real:
                continue
            memo = _DIGESTS[0]
            digest = memo.get(other) if memo is not None else None
            if digest is None:
                # The file index's SHA-256 when its ``stat`` signature is the one recorded
                # (the shortcut every lookup takes), else the bytes read.
                digest = index.known(other) if index is not None else None
            if digest is None:
                try:
                    with open(other, "rb") as handle:
                        digest = hashlib.sha256(handle.read()).hexdigest()
                except OSError:
                    digest = "unreadable"
            if memo is not None:
                memo[other] = digest
            out.append((other, digest))
        return out

    def remember_imports(self, path: str) -> None:
        """Memoise ``_imported`` for ``path`` in this process's file index: a cold run's
        workers compute it for the keys of their files, in their own copy of the index, so
        without this the first warm run built the import graph and wrote the index again."""
        from ..fileindex import current

        real = _real(path)
        index = current()
        if index is not None and self.project_of_real(real) is not None:
            self._imported(path, real, index)

    def _imported(self, path: str, real: str, index: Any) -> List[str]:
        """``sorted(ImportGraph.imported(real))``, memoised in the file index (``index``) with
        the file at ``path``, under these facts' ``__cache_key__`` (which holds every import,
        name and project the graph is built from) and ``real``: a warm run builds no graph."""
        key = None
        if index is not None:
            from ..fileindex import MISSING, digest

            key = digest(_IMPORTED, [real], self.__cache_key__())
            found = index.get(path, _IMPORTED, key)
            if found is not MISSING and isinstance(found, list) and all(isinstance(f, str) for f in found):
                return found
        value = sorted(self._graph()[0].imported(real))
        if index is not None and key is not None:
            index.put(path, _IMPORTED, key, value)
        return value

    def never_replaced(self, path: str, name: str) -> bool:
        """Whether nothing in the project of ``path`` may replace a module-level ``def`` or
        ``class`` named ``name`` from outside its module: no attribute store of that name
        (``util.check = keep``), no ``setattr``/``patch.object`` naming it, no dotted string
        ending in it (``patch("pkg.util.check")``). Unlike ``bound_once``, other ``def`` s of the
        name (methods of classes) do not count: they bind another name. False when the file
        belongs to no project the pass read."""
        from .screen import STORED

        return self.bound_once(path, STORED + name) and self.project_of(path) is not None

    def subclassed(self, path: str, name: str) -> bool:
        """Whether a class named ``name`` may have a subclass in the project of ``path``: some
        file names it among a ``class`` statement's bases, binds an alias to it or makes a class
        at run time on a line naming it (``screen.SUBCLASSED``), or some ``class`` statement's
        bases are computed (``screen.ANY_CLASS``). True when the file belongs to no project the
        pass read."""
        from .screen import ANY_CLASS, SUBCLASSED

        return not self.bound_once(path, SUBCLASSED + name) or not self.bound_once(
            path, SUBCLASSED + ANY_CLASS.decode()
        )

    def bound_once(self, path: str, name: str) -> bool:
        """Whether the project of ``path`` binds the method name ``name`` once only (one
        ``def``, and for a private name no assignment): no class of the project overrides it.
        False when the file belongs to no project the pass read."""
        project = self.project_of(path)
        if project is None:
            return False
        table = _MEMBERS.get(id(self))
        if table is None or table[0] is not self:
            table = (self, frozenset(self.members))
            _MEMBERS.clear()
            _MEMBERS[id(self)] = table
        return (project, name) not in table[1]

    def problem_for(self, codemod: str, site: CallSite) -> Optional[str]:
        """Why the project's other files forbid rewriting ``site`` (``None``: nothing does)."""
        if codemod not in CONSUMERS:
            return None
        project = self.project_of(site.path)
        if project is None:
            return None
        if codemod != "share-session":
            return None  # close-client asks ``constructor_patch``
        covering = self.covering_patches(site)
        if self.transfers is not None:  # the tests' patches share-session moves (share/mockpatch.py)
            covering = [found for found in covering if found[0] not in self.transfers.moved]
        if covering:
            return covering[0][1]
        for change in self.changes:
            if change.project != project:
                continue
            if change.kind == "requests_cache" and site.library == "requests" and site.scope != "function":
                # A function-scope session is made when the function runs: install_cache's
                # requests.Session replacement applies to it as to the bare call.
                return f"{change.text} at {change.where} patches bare calls; a shared Session would not be cached"
            if change.kind == "env" and self._env_covers(change, site):
                return (
                    f"{change.text} at {change.where} may change proxy or SSL variables; an httpx "
                    "client made at import reads them once, a bare call when it runs"
                )
        return None

    def env_hazard(self, site: CallSite) -> Optional[Tuple[str, str]]:
        """(reason, hazard) of the unsafe fix of an httpx call that a test's scoped clearing
        of ``os.environ`` covers (``Change`` ``env-clear``: ``mock.patch.dict(os.environ,
        {...}, clear=True)`` whose keys name no proxy or SSL variable). The test changes those
        variables only when the process had some set; ``None``: no such change covers it."""
        project = self.project_of(site.path)
        for change in self.changes:
            if change.project == project and change.kind == "env-clear" and self._env_covers(change, site):
                hazard = (
                    f"{change.text} at {change.where} clears os.environ; an httpx client made at "
                    "import keeps the proxy and SSL variables it read before"
                )
                return f"{change.text} at {change.where} clears os.environ", hazard
        return None

    def _env_covers(self, change: Change, site: CallSite) -> bool:
        """Whether ``change`` (``env`` / ``env-clear``) may make a shared httpx client at
        ``site`` behave otherwise than the bare call: a function-scope client is made when
        the call runs; a scoped change in a test covers only the calls the test reaches, by
        its imports or through a conftest's fixtures (what they return runs in the test)."""
        if site.library != "httpx" or site.scope == "function":
            return False
        if change.reach == "":
            return True
        real = _real(site.path)
        if real in self.reachable(change.reach):
            return True
        project = self.project_of_real(change.reach)
        return any(
            os.path.basename(path) == "conftest.py"
            and self.project_of_real(path) == project
            and real in self.reachable(path)
            for path, _ in self.imports
        )

    def covering_patch(self, site: CallSite) -> Optional[Tuple[Patch, str]]:
        """The mock or swap of the project that targets ``site``, and why it covers it: one of
        the module's own binding first, then one made by a test that imports the module
        itself, then the rest (a mock, a swap, a string, an unsettled patch; the first in the
        tree). ``None``: no patch of the project covers it."""
        found = self.covering_patches(site)
        return found[0] if found else None

    def covering_patches(self, site: CallSite, covers: Any = None) -> List[Tuple[Patch, str]]:
        """Every (patch, why) of ``covering_patch``, the one it gives first. ``covers``: the
        coverage rule (``_patch_covers``: what a shared session would bypass;
        ``_covers_response``: what may make a call return something else than a response)."""
        project = self.project_of(site.path)
        if project is None:
            return []
        covers = covers or _patch_covers
        real = _real(site.path)
        modules = self.names_of(real, project)
        roots = _PRODUCER_ROOTS if covers is _covers_response else ()
        if covers is _covers_response:
            roots = (*roots, *_generated_clients(site))
        found = []
        for patch in self._candidates(project, site.library, [*modules, *roots]):
            why = covers(patch, site, modules, lambda: patch.reach == "" or real in self.reachable(patch.reach))
            if why is not None:
                path, _, line = patch.where.rpartition(":")
                aim = self._aim(patch, modules, real)
                found.append((aim, _RANK[patch.kind], path, int(line) if line.isdigit() else 0, why, patch))
        found.sort(key=lambda item: item[:5])
        return [(item[5], item[4]) for item in found]

    def constructor_patch(self, site: CallSite) -> Optional[Patch]:
        """The first patch covering ``site`` (a client's constructor call) that replaces the
        constructor itself (``requests.Session``, ``pkg.mod.requests``, ``requests`` as a
        whole) or what ``with`` calls on it (``__enter__``/``__exit__``): what ``with`` would
        bind then differs from what the code binds today. A patch of one of its methods
        (``requests.Session.get``, ``merge_environment_settings``) does not: ``with`` binds the
        same client. An unsettled patch may be either: it counts."""
        modules = self.names_of(_real(site.path), self.project_of(site.path))
        for patch, _ in self.covering_patches(site):
            if _replaces_constructor(patch, site, modules):
                return self._results_chosen(patch)
        return None

    def response_patch(self, site: CallSite, constructors: Sequence[CallSite] = ()) -> Optional[Patch]:
        """The first patch that may make the call at ``site`` return something other than a
        real response (``_covers_response``: its own function through any binding, the
        library functions and client methods on its call chain), else the first that may
        replace the constructor of its client (``constructors``: the constructor calls of
        the client class in the module, for a call on a client). An unsettled patch of the
        site's library counts."""
        found = [self._results_chosen(patch) for patch, _ in self.covering_patches(site, _covers_response)]
        if found:
            # A stand-in first: ``contextlib.closing`` is safe only if every patch hands a mock.
            return next((patch for patch in found if patch.stand_in), found[0])
        for constructor in constructors:
            patch = self.constructor_patch(constructor)
            if patch is not None:
                return patch
        return None

    def factory_stand_in(self, factory: Any) -> Optional[str]:
        """Why a test may hand a caller of ``factory`` (``factories.Factory``, ``mocked``) an
        object without ``close()``, which ``contextlib.closing`` calls; ``None``: every patch
        of its project that may replace what a factory of the project returns
        (``factories._replaces``) hands a mock or an object with ``close()``
        (``Patch.stand_in`` false, ``standins.py``), and nothing else replaces one (a factory
        whose ``mocked`` is not a patch's: ``m._f = fake``, a string naming it). A patch of a
        function the factory's module defines that is no factory (pytube's
        ``patch('pytube.request.head')``) does not count: a factory's response comes from the
        library, a factory or an imported name, never from such a function."""
        from .factories import _replaces  # factories.py imports this module's neighbours

        # A replaced name the factory's returned object cannot come from (``sources.py``: a
        # check function, ``os.*``, a module constant) changes at most whether it raises.
        if not factory.mocked:
            return None
        ours = [f for f in self.factories if f.project == factory.project]
        patches = [self._results_chosen(p) for p in self.patches if p.project == factory.project]
        shown = {f"`{p.text}` at {p.where}" for p in patches}
        names = self._factory_names(factory.project)
        # A string naming a factory (``patch('pkg.request._open')``) at a patch the pass read.
        named = {p.where for p in patches if p.target.rsplit(".", 1)[-1] in names}
        for other in [factory, *ours]:
            where = other.mocked.rpartition(" at ")[2]
            if other.mocked and other.mocked not in shown and where not in named:
                return other.mocked  # replaced otherwise than by a patch the pass read: unknown
        for patch in sorted(patches, key=lambda p: (p.where, p.target)):
            if not patch.stand_in:
                continue
            for other in ours:
                if (
                    _replaces(patch, other, self.test_reaches_factory)
                    and not self._plain_function(patch.target, other, names)
                    and _may_flow(patch, other)
                ):
                    return f"`{patch.text}` at {patch.where}"
        return None

    def factory_mock(self, factory: Any) -> str:
        """The first patch (as ``Factory.mocked`` shows one) that may replace what ``factory``
        or a factory it may call returns, skipping the plain functions of their modules
        (``factory_stand_in``); ``factory.mocked`` when none is."""
        from .factories import _replaces

        ours = [f for f in self.factories if f.project == factory.project]
        names = self._factory_names(factory.project)
        for patch in sorted(self.patches, key=lambda p: (p.where, p.target)):
            if patch.project == factory.project and any(
                _replaces(patch, other, self.test_reaches_factory)
                and not self._plain_function(patch.target, other, names)
                for other in ours
            ):
                return f"`{patch.text}` at {patch.where}"
        return factory.mocked

    def test_reaches_factory(self, test: str, factory: Any) -> bool:
        """The test module at the real path ``test`` reaches the module of ``factory`` by
        imports (``factories._replaces``)."""
        return _real(factory.where.rpartition(":")[0]) in self.reachable(test)

    def _factory_names(self, project: str) -> FrozenSet[str]:
        ours = [f for f in self.factories if f.project == project]
        return frozenset({f.name for f in ours} | {f.owner.split(".")[0] for f in ours if f.owner})

    def _plain_function(self, target: str, factory: Any, factories: FrozenSet[str]) -> bool:
        """Whether ``target`` is ``<the factory's module>.<name>`` for a function its module
        binds once, by a ``def`` at module level, that is no factory (nor a factory's class)."""
        from .factories import module_of

        for qualified in factory.qualified:
            module = module_of(qualified, factory.owner)
            if target.startswith(module + "."):
                name = target[len(module) + 1 :].split(".")[0]
                path = factory.where.rpartition(":")[0]
                return name not in factories and name in dict(self.functions).get(path, ())
        return False

    def _results_chosen(self, patch: Patch) -> Patch:
        """``patch``, a stand-in when a test of its project sets the ``return_value`` of a
        fixture to an object of its own and the patch is made outside a test module (a
        conftest fixture may be that mock)."""
        if patch.stand_in or patch.reach:
            return patch
        if any(c.project == patch.project and c.kind == "results" for c in self.changes):
            return dataclasses.replace(patch, stand_in=True)
        return patch

    def _aim(self, patch: Patch, modules: Sequence[str], real: str) -> int:
        """How directly ``patch`` targets the module at ``real``: 0 through the module's own
        binding (``pkg.mod.requests.get``), 1 from a test that imports the module itself, 2
        from a test that reaches it through other modules, 3 from a file any test may run."""
        if any(patch.target.startswith(m + ".") for m in modules):
            return 0
        if not patch.reach:
            return 3
        return 1 if real in self._graph()[0].direct(patch.reach) else 2

    def _candidates(self, project: str, library: str, modules: Sequence[str]) -> List[Patch]:
        """The patches of ``project`` that may cover a call in one of ``modules``: those that
        name the library, and those under the module's own dotted name (an index built once
        per process: queries run per call site)."""
        index = _INDEXES.get(id(self))
        if index is None or index[0] is not self:
            by_key: Dict[Tuple[str, str], List[Patch]] = {}
            for patch in self.patches:
                parts = patch.target.split(".") if patch.target else []
                keys = {("lib", api_of(p)) for p in parts if p in PATCHED_MODULES} or set()
                if patch.kind == "unsettled":
                    keys.add(("lib", patch.library))
                for i in range(1, len(parts)):
                    keys.add(("mod", ".".join(parts[:i])))
                for key in keys:
                    by_key.setdefault((patch.project + "\0" + key[0], key[1]), []).append(patch)
            index = (self, by_key)
            _INDEXES.clear()  # one ProjectFacts per run
            _INDEXES[id(self)] = index
        by_key = index[1]
        out = list(by_key.get((project + "\0lib", library), []))
        for module in modules:
            out += by_key.get((project + "\0mod", module), [])
        return out

    def names_of(self, real: str, project: Optional[str]) -> Sequence[str]:
        """The dotted names the file at ``real`` is imported as, shortest first: those the
        pass computed from the project's import roots, else every suffix of its path."""
        table = _NAMES.get(id(self))
        if table is None or table[0] is not self:
            table = (self, dict(self.names))
            _NAMES.clear()
            _NAMES[id(self)] = table
        found = table[1].get(real)
        return found if found is not None else module_names(real, project)

    def is_script(self, path: str) -> bool:
        """Whether no other module can import the file at ``path`` (a *script*: its
        module-level names are exported to nobody). The one criterion: the pass read it, in a
        project; it is not ``conftest.py`` (pytest imports it); its directory has no
        ``__init__.py`` (not in a package) and is neither the project's root nor its ``src/``
        (not a top-level module an install could ship); and no file of its project imports it
        by any name ``names_of`` gives it (``import make_assets``, ``from docs import
        make_assets``, ``from . import make_assets``, ``from make_assets import x``, a lazy
        name or a ``pkg.*`` that covers it). False without the project facts (stdin without
        ``--stdin-filename``)."""
        real = _real(path)
        project = self.project_of_real(real)
        if project is None or os.path.basename(real) == "conftest.py":
            return False
        table = _SCRIPTS.get(id(self))
        if table is None or table[0] is not self:
            table = (self, frozenset(p for p, _ in self.imports), {})
            _SCRIPTS.clear()
            _SCRIPTS[id(self)] = table
        read, by_project = table[1], table[2]
        directory = os.path.dirname(real)
        init = os.path.join(directory, "__init__.py")
        if real not in read or directory in (project, os.path.join(project, "src")):
            return False
        if init in read or os.path.isfile(init):
            return False
        if project not in by_project:
            by_project[project] = self._imported_names(project)
        names, wildcards = by_project[project]
        for name in self.names_of(real, project):
            if names.get(name, frozenset()) - {real}:
                return False
            if any(name.startswith(prefix) for prefix, importer in wildcards if importer != real):
                return False
        return True

    def _imported_names(self, project: str) -> Tuple[Dict[str, FrozenSet[str]], List[Tuple[str, str]]]:
        """For ``is_script``: every dotted name the files of ``project`` import, with each of
        its prefixes (``from a import b`` is ``a.b``: ``a`` runs too), mapped to its importers;
        and the (prefix, importer) of each ``pkg.*``."""
        from .screen import ATTRIBUTE, LAZY  # screen.py is plain: no cycle, but keep imports light

        names: Dict[str, set] = {}
        wildcards: List[Tuple[str, str]] = []
        for path, imported in self.imports:
            if self.project_of_real(path) != project:
                continue
            for name in imported:
                if name.startswith(ATTRIBUTE):
                    name = name[len(ATTRIBUTE) :].partition("=")[2]
                name = name.lstrip(LAZY)
                if name.endswith(".*"):
                    wildcards.append((name[:-1], path))
                    continue
                parts = name.split(".")
                for i in range(1, len(parts) + 1):
                    names.setdefault(".".join(parts[:i]), set()).add(path)
        return {k: frozenset(v) for k, v in names.items()}, wildcards

    def reachable(self, start: str) -> FrozenSet[str]:
        """Real paths of the files ``start`` reaches by imports (itself included; importing
        ``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py`` too). Memoised per process."""
        graph, memo = self._graph()
        if start not in memo:
            memo[start] = graph.reach(start)
        return memo[start]

    def _graph(self) -> Tuple[Any, Dict[str, FrozenSet[str]]]:
        """The import graph (``graph.ImportGraph``) and its memo of reaches, built once per
        process."""
        entry = _GRAPHS.get(id(self))
        if entry is None or entry[0] is not self:
            from .graph import ImportGraph  # graph.py asks this module for names and projects

            entry = (self, ImportGraph(self), {})
            _GRAPHS.clear()
            _GRAPHS[id(self)] = entry
        return entry[1], entry[2]

    def requires_at_least(self, path: str, library: str, version: str) -> bool:
        """Whether the declarations nearest ``path`` all exclude every ``library`` release
        below ``version`` (no declaration: False)."""
        from .bounds import lower_bound_at_least  # bounds.py imports Bound from here

        real = _real(path)
        dirs = sorted(
            {b.directory for b in self.bounds if b.library == library and _inside(real, b.directory)}, key=len
        )
        if not dirs:
            return False
        nearest = dirs[-1]
        specs = [b.specifier for b in self.bounds if b.library == library and b.directory == nearest]
        return all(lower_bound_at_least(s, version) for s in specs)

    def factory(self, qualified: str, project: Optional[str]) -> Optional[Any]:
        """The response factory of ``project`` reached by the dotted name ``qualified``."""
        for found in self.factories:
            if found.project == project and qualified in found.qualified:
                return found
        return None

    def describe(self) -> List[str]:
        """One line per fact (``--verbose`` and debugging)."""
        out = [f"{p.where}: {p.kind} {p.text}" for p in self.patches]
        out += [f"{c.where}: {c.kind} {c.text}" for c in self.changes]
        out += [f"{b.where}: {b.library}{b.specifier or ' (any version)'}" for b in self.bounds]
        return out


EMPTY = ProjectFacts()
_INDEXES: Dict[int, Tuple[ProjectFacts, Dict[Tuple[str, str], List[Patch]]]] = {}
_GRAPHS: Dict[int, Any] = {}
#: id(facts) -> (facts, its ``__cache_key__``).
_CACHE_KEYS: Dict[int, Any] = {}
#: The file index's memo of ``ProjectFacts._imported`` (its purpose).
_IMPORTED = "imported-by-facts"
_NAMES: Dict[int, Any] = {}
_MEMBERS: Dict[int, Any] = {}
#: id(facts) -> (facts, the real paths the pass read, project -> ``_imported_names``).
_SCRIPTS: Dict[int, Any] = {}
#: real path -> SHA-256 of its bytes (``file_key``), during a run only (``cache.open_run``).
_DIGESTS: List[Optional[Dict[str, str]]] = [None]
_RANK = {"mock": 0, "assign": 1, "string": 2, "unsettled": 3}

#: Global targets that intercept every bare call of the library (``requests.get`` calls
#: ``requests.api.request``, which builds ``requests.sessions.Session``), but not a call on a
#: session made earlier.
_INTERCEPT_ALL = {
    "requests": frozenset(
        {
            "requests.api.request",
            "requests.api.sessions",
            "requests.api.sessions.Session",
            "requests.sessions.Session",
            "requests.sessions.session",
        }
    ),
    "httpx": frozenset({"httpx._api.request", "httpx._api.Client"}),
}
#: Names whose run-time reassignment (not a temporary mock) a module-level client would see
#: differently: it is created from ``requests.Session`` once, at import.
_CLIENT_CLASSES = {
    "requests": frozenset({"requests.Session", "requests.session"}),
    "httpx": frozenset({"httpx.Client"}),
}


def _patch_covers(patch: Patch, site: CallSite, modules: Sequence[str], reaches: Any) -> Optional[str]:
    """Why ``patch`` covers ``site``. ``reaches()``: whether the test that makes a patch of
    global effect can reach the site's module (always, for a patch made outside a test)."""
    if patch.kind == "unsettled":
        if patch.library != site.library or not reaches():
            return None
        return (
            f"{patch.text} at {patch.where} patches a target the facts pass cannot read; it may "
            "be this call, which a shared client would bypass"
        )
    target = patch.target
    covered = False
    # The module's own binding: pkg.mod.requests, pkg.mod.requests.get, pkg.mod.get (from
    # requests import get), pkg.mod.rq (import requests as rq).
    for module in modules:
        if target.startswith(module + "."):
            rest = target[len(module) + 1 :].split(".")
            if tuple(rest) == site.chain[: len(rest)]:
                covered = True
                break
    if not covered:
        glob = _global_target(target)
        if glob is not None and glob.split(".")[0] == site.library and reaches():
            chain = ".".join(site.chain)
            if (
                glob in site.qualified
                or glob in (f"{site.library}.{site.verb}", f"requests.api.{site.verb}", f"httpx._api.{site.verb}")
                or glob in _INTERCEPT_ALL[site.library]
                or (chain.startswith(site.library + ".") and glob == chain)
            ):
                covered = True
            elif patch.kind == "assign" and (
                glob in _CLIENT_CLASSES[site.library] or glob.split(".")[-1] not in _VERBS
            ):
                covered = True  # a swap of Session (or another library name) for the whole run
    if not covered:
        return None
    if patch.kind == "assign":
        return (
            f"{patch.text} at {patch.where} replaces {target} at run time; a shared client would bypass the replacement"
        )
    return f"mocked by {patch.where} ({patch.text}); a shared session would bypass it"


_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "stream"})


def _replaces_constructor(patch: Patch, site: CallSite, modules: Sequence[str]) -> bool:
    """``constructor_patch``'s test for one covering patch."""
    if patch.kind == "unsettled" or not patch.target:
        return True
    for module in modules:
        if patch.target.startswith(module + "."):
            rest = tuple(patch.target[len(module) + 1 :].split("."))
            return rest == site.chain[: len(rest)]
    glob = _global_target(patch.target) or patch.target
    names = set(site.qualified) | {".".join(site.chain)}
    return any(
        glob == name or name.startswith(glob + ".") or glob in (name + ".__enter__", name + ".__exit__")
        for name in names
    )


#: What a response call's result comes from, by library: a patch of one of these names (or of
#: an attribute under it) may hand the code a mock or the test's own object instead of a
#: response. Responses made by ``responses``, ``requests_mock``, ``pytest-httpx``, ``respx``
#: or ``httpretty`` are real responses, and those libraries patch nothing the pass records.
_PRODUCERS = {
    "requests": frozenset(
        {
            "requests.api.request",
            "requests.api.sessions",
            "requests.sessions.Session.request",
            "requests.sessions.Session.send",
            "requests.Session.request",
            "requests.Session.send",
            "requests.adapters.HTTPAdapter.send",
            "requests.adapters.HTTPAdapter.build_response",
            "requests.adapters.BaseAdapter.send",
        }
    ),
    "httpx": frozenset(
        {
            "httpx._api.Client",
            "httpx.Client.send",
            "httpx.Client.stream",
            "httpx.Client.request",
            "httpx._client.Client.send",
            "httpx._client.Client.stream",
            "httpx._client.Client.request",
            "httpx.HTTPTransport.handle_request",
        }
    ),
    "urllib": frozenset(
        {
            "urllib.request.urlopen",
            "urllib.request._opener",
            "urllib.request.build_opener",
            "urllib.request.OpenerDirector.open",
            "urllib.request.HTTPHandler.http_open",
            "urllib.request.HTTPSHandler.https_open",
            "urllib.request.AbstractHTTPHandler.do_open",
            "http.client.HTTPConnection",
            "http.client.HTTPSConnection",
        }
    ),
    "urllib3": frozenset(
        {
            "urllib3.PoolManager.request",
            "urllib3.PoolManager.urlopen",
            "urllib3.poolmanager.PoolManager.urlopen",
            "urllib3.HTTPConnectionPool.urlopen",
            "urllib3.connectionpool.HTTPConnectionPool.urlopen",
            "urllib3._request_methods.RequestMethods.request",
            "urllib3.request.RequestMethods.request",
        }
    ),
    "aiohttp": frozenset({"aiohttp.ClientSession._request", "aiohttp.client.ClientSession._request"}),
}
#: Library modules whose patches ``response_patch`` looks at besides requests' and httpx's
#: (``_candidates`` indexes those two by library, the others by their dotted prefix).
_PRODUCER_ROOTS = ("urllib", "http", "urllib3", "aiohttp")
#: Public client names that the library's own functions do not look up (``requests.api`` uses
#: ``sessions.Session``): a patch of one reaches only code that calls it.
_PUBLIC_CLIENTS = frozenset({"requests.Session", "httpx.Client", "httpx.AsyncClient"})
#: The client classes whose methods make a library's responses (a patch of the verb on them counts).
_RESPONSE_CLASSES = {
    "requests": ("requests.Session", "requests.sessions.Session"),
    "httpx": ("httpx.Client", "httpx._client.Client", "httpx.AsyncClient", "httpx._client.AsyncClient"),
    "urllib3": ("urllib3.PoolManager", "urllib3.poolmanager.PoolManager", "urllib3.HTTPConnectionPool"),
    "aiohttp": ("aiohttp.ClientSession", "aiohttp.client.ClientSession"),
    "urllib": (),
}


#: A call on a client of a package's generated client module (``share/shared_import.py``):
#: ``pkg._http_client.session.get``.
_GENERATED_CLIENT = re.compile(r"(?:^|\.)_http_client(?:_\d+)?\.\w+")


def _generated_clients(site: CallSite) -> List[str]:
    """The generated client modules (``pkg._http_client``) the call's names go through."""
    out = []
    for name in site.qualified:
        match = _GENERATED_CLIENT.search(name)
        if match is not None:
            out.append(name[: match.start() + match.group(0).rindex(".")])
    return out


def _covers_response(patch: Patch, site: CallSite, modules: Sequence[str], reaches: Any) -> Optional[str]:
    """Why ``patch`` may make the response call at ``site`` return something other than a
    real response: it replaces the call's own function through the module's binding
    (``pkg.mod.requests.get``, ``pkg.mod.requests``, ``pkg.mod.urlopen``) or a library name
    its result comes from (``requests.get``, ``requests.api.request``,
    ``requests.Session.send``, ``requests.adapters.HTTPAdapter.send``, ``urllib.request.urlopen``,
    ``http.client.HTTPConnection``, ...), for a test that reaches the module. An unsettled
    patch of the site's library counts."""
    if patch.kind == "unsettled":
        if patch.library != site.library or not reaches():
            return None
        return f"{patch.text} at {patch.where} patches a target the facts pass cannot read; it may be this call"
    target = patch.target
    for module in modules:
        if target.startswith(module + "."):
            rest = tuple(target[len(module) + 1 :].split("."))
            if rest == site.chain[: len(rest)]:
                return f"{patch.text} at {patch.where} replaces this call's function"
    for name in site.qualified:  # the package's shared client, where its module says to patch it
        if _GENERATED_CLIENT.search(name) and (name == target or name.startswith(target + ".")):
            return f"{patch.text} at {patch.where} replaces this call's function"
    glob = _library_target(target)
    if glob is None or not reaches():
        return None
    if glob in _PUBLIC_CLIENTS and site.scope != "method":
        return None  # requests.get builds requests.sessions.Session, not the name requests.Session
    names = set(site.qualified) | _PRODUCERS.get(site.library, frozenset())
    chain = ".".join(site.chain)
    if chain.split(".")[0] in ("requests", "httpx", "urllib", "urllib3", "aiohttp"):
        names.add(chain)
    if site.library in ("requests", "httpx"):
        names |= {f"{site.library}.{site.verb}", f"requests.api.{site.verb}", f"httpx._api.{site.verb}"}
    for cls in _RESPONSE_CLASSES.get(site.library, ()):
        names.add(f"{cls}.{site.verb}")
    if any(name == glob or name.startswith(glob + ".") for name in names):
        return f"{patch.text} at {patch.where} replaces {glob}"
    return None


_LIBRARY_ROOTS = frozenset({"urllib", "urllib3", "aiohttp", *PATCHED_MODULES})


def _library_target(target: str) -> Optional[str]:
    """``pkg.mod.urllib.request.urlopen`` -> ``urllib.request.urlopen`` (a module's binding
    of a library module is the module itself); a target under a library module as it is, a
    drop-in's named as its library's (``PATCHED_MODULES``); ``None`` for any other."""
    parts = target.split(".")
    if parts[0] == "http" and len(parts) > 1 and parts[1] == "client":
        return target
    for i, part in enumerate(parts):
        if part in _LIBRARY_ROOTS and i + 1 < len(parts):
            return ".".join([api_of(part), *parts[i + 1 :]])  # httpx2.Client.send -> httpx.Client.send
    return None


def _global_target(target: str) -> Optional[str]:
    """``pkg.mod.requests.get`` -> ``requests.get``: a module's ``requests`` is the library
    module itself, so patching an attribute through it patches it for every module. A
    drop-in's target is named as its library's (``niquests.get`` -> ``requests.get``)."""
    parts = target.split(".")
    for i, part in enumerate(parts):
        if part in PATCHED_MODULES and i + 1 < len(parts):
            return ".".join([api_of(part), *parts[i + 1 :]])  # niquests.get -> requests.get
    return None


def module_names(real: str, project: Optional[str]) -> List[str]:
    """Dotted names a file may be imported as: every suffix of its path below the project
    (``src/pkg/mod.py``: ``mod``, ``pkg.mod``, ``src.pkg.mod``)."""
    rel = os.path.relpath(real, project) if project else real
    parts = [p for p in rel.replace(os.sep, "/").split("/") if p and p != os.curdir]
    if not parts or parts[0] == os.pardir:
        parts = [p for p in real.replace(os.sep, "/").split("/") if p]
    if not parts:
        return []
    last = parts[-1]
    if last.endswith(".py"):
        last = last[:-3]
    parts = parts[:-1] + ([] if last == "__init__" else [last])
    return [".".join(parts[i:]) for i in range(len(parts) - 1, -1, -1) if all(p.isidentifier() for p in parts[i:])]


def _real(path: str) -> str:
    return os.path.realpath(os.path.abspath(path))


def real_paths(paths: Sequence[str]) -> List[str]:
    """``_real`` of each path, resolving each directory once (a file that is itself a link is
    resolved whole)."""
    directories: Dict[str, str] = {}
    out = []
    for path in paths:
        directory, name = os.path.split(os.path.abspath(path))
        real_dir = directories.get(directory)
        if real_dir is None:
            real_dir = directories[directory] = os.path.realpath(directory)
        joined = os.path.join(real_dir, name)
        out.append(os.path.realpath(joined) if os.path.islink(joined) else joined)
    return out


def module_functions(data: bytes) -> Tuple[str, ...]:
    """The names a module (its bytes) binds once, by a module-level ``def`` and no other
    statement (nor a ``global`` in a function): sorted; nothing when it cannot be parsed."""
    import ast

    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ()
    counts: Dict[str, int] = {}
    defs = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defs.add(node.name)
            counts[node.name] = counts.get(node.name, 0) + 1
        for inner in ast.walk(node):
            bound: List[str] = []
            if inner is node and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if isinstance(inner, ast.Global):  # global get; get = other
                bound = list(inner.names)
            elif node is inner or not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if isinstance(inner, ast.Name) and not isinstance(inner.ctx, ast.Load):
                    bound = [inner.id]
                elif isinstance(inner, ast.alias):
                    bound = [(inner.asname or inner.name).split(".")[0]]
                elif isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    bound = [inner.name]
            for name in bound:
                counts[name] = counts.get(name, 0) + 2
    return tuple(sorted(name for name in defs if counts.get(name) == 1))


#: id(facts) -> (facts, path -> factory names): ``factory_words``'s table.
_FACTORY_WORDS: Dict[int, Any] = {}
#: id(facts) -> (facts, directory -> project): ``project_of_real``'s memo.
_PROJECT_OF: Dict[int, Any] = {}


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _may_flow(patch: Patch, factory: Any) -> bool:
    """Whether ``patch`` (one ``factories._replaces`` counts against ``factory``) may replace a
    name ``factory``'s returned object comes from (``sources.response_sources``): it replaces
    the factory or what holds it, a source of its module's function (``pkg.mod.build_opener``,
    ``pkg.mod.urllib``), or a library name that is not one of the library's configuration
    functions (``sources.CONFIGURATION``). Unknown (an unsettled patch, a method, a function
    whose body cannot be read): it may."""
    from . import sources
    from .factories import module_of

    target = patch.target
    if not target or factory.owner:
        return True
    for qualified in factory.qualified:
        if qualified == target or qualified.startswith(target + "."):
            return True
    found = sources.of_factory(factory.where, factory.name)
    if found is None:
        return True
    for qualified in factory.qualified:
        module = module_of(qualified, factory.owner)
        if target.startswith(module + "."):
            rest = target[len(module) + 1 :]
            return rest not in sources.CONFIGURATION and sources.related(rest, found)
    if target in sources.CONFIGURATION:
        return False
    return True
