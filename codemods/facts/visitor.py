"""One file's walk: ``_FileFacts`` reads a parsed module's ``ast`` (only the statements that
span a candidate line, and every import) and records the mocks (``mock.patch`` and its
``object``/``multiple``/``dict`` forms, pytest-mock, ``monkeypatch``, testtools fixtures),
the run-time swaps (``requests.get = fake``, ``setattr``) and the run-time changes
(``requests_cache``, ``os.environ`` writes, ``load_dotenv``) it makes, resolving names through
the file's imports and module-level string constants; patches whose target it cannot read are
settled from the file's library strings, or recorded as unsettled.
"""

from __future__ import annotations

import ast
import bisect
import dataclasses
import re
from typing import Dict, List, Optional, Sequence, Set, Tuple

from ..style import _STDLIB  # sys.stdlib_module_names, with a 3.9 fallback
from .model import PATCHED_MODULES, Change, Patch
from .sources import _dotted as dotted_name  # a.b.c of a Name/Attribute chain, else None
from .standins import (
    CLOSE,
    MOCK,
    RESPONSE_CALLS,
    StandIns,
    blocks,
    children,
    close_checks,
    is_mock_class,
    walk,
    walk_module,
)

_MOCKER_NAMES = ("mocker", "module_mocker", "class_mocker", "package_mocker", "session_mocker")
_PATCH_FUNCS = frozenset({"unittest.mock.patch", "mock.patch", "patch", "mocker.patch", "asynctest.patch"})
_ENV_KEYS = frozenset(
    {"http_proxy", "https_proxy", "all_proxy", "no_proxy", "ssl_cert_file", "ssl_cert_dir", "sslkeylogfile"}
)
_NOT_TARGETS = frozenset({"create", "spec", "spec_set", "autospec", "new_callable"})
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_NAMES = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")  # one or more
#: Standard-library packages that hold HTTP clients: a patch under them may replace one.
_HTTP_STDLIB = frozenset({"urllib", "http"})


def _names_library(node: ast.AST) -> bool:
    """Whether the dump of ``node`` names a library or a drop-in (``self.requests``)."""
    dump = ast.dump(node)
    return any(lib in dump for lib in PATCHED_MODULES)


class _Names:
    """What a file's names stand for: its imports (``aliases``) and module-level string
    constants, read to resolve ``requests.get``, ``rq.post`` or ``patch(TARGET)``."""

    def __init__(self, tree: ast.Module, package: str) -> None:
        self.tree = tree
        self.package = package  # relative imports resolve against it
        self.aliases: Dict[str, str] = {}
        self.constants: Dict[str, str] = {}

    def _imports(self, nodes: Sequence[ast.AST]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.aliases[a.asname] = a.name
                    else:
                        top = a.name.split(".")[0]
                        self.aliases.setdefault(top, top)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = self.package.split(".") if self.package else []
                    keep = len(pkg) - (node.level - 1)
                    if keep < 0:
                        continue
                    base = ".".join(pkg[:keep] + ([base] if base else []))
                for a in node.names:
                    if a.name == "*":
                        continue
                    self.aliases[a.asname or a.name] = f"{base}.{a.name}" if base else a.name
        ambiguous = set()
        for node in self.tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                name, value_node = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.simple and node.value is not None:
                name, value_node = node.target, node.value  # BUILTINS_OPEN: str = "builtins.open"
            else:
                continue
            if not isinstance(name, ast.Name):
                continue
            value = self._literal(value_node)
            if value is None or self.constants.get(name.id, value) != value:
                ambiguous.add(name.id)  # bound to something else too: not a constant
            else:
                self.constants[name.id] = value
        for name in ambiguous:
            self.constants.pop(name, None)

    def dotted(self, node: ast.AST) -> Optional[str]:
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Call):  # pytest.MonkeyPatch().setattr, mock.patch(...).start
            inner = self.dotted(node.func)
            if inner is None:
                return None
            parts.append("()")
            head = inner
        elif isinstance(node, ast.Name):
            head = self.aliases.get(node.id, node.id)
        else:
            return None
        return ".".join([head] + parts[::-1])

    def _literal(self, node: ast.AST) -> Optional[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.constants[node.id]
        if isinstance(node, ast.JoinedStr):
            out = []
            for value in node.values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    out.append(value.value)
                elif isinstance(value, ast.FormattedValue) and value.format_spec is None and value.conversion == -1:
                    inner = self._literal(value.value)
                    if inner is None:
                        return None
                    out.append(inner)
                else:
                    return None
            return "".join(out)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self._literal(node.left), self._literal(node.right)
            if left is not None and right is not None:
                return left + right
        return None


class _FileFacts(_Names):
    def __init__(
        self,
        tree: ast.Module,
        project: str,
        where: str,
        package: str,
        libs: Tuple[str, ...],
        patches: Set[Patch],
        changes: Set[Change],
    ) -> None:
        super().__init__(tree, package)
        self.project = project
        self.where = where
        self.libs = libs
        self.patches = patches
        self.changes = changes
        self.unsettled: List[Tuple[int, str, str, bool]] = []  # (line, text, prefix: ``Patch.prefix``, stand_in)
        self.lines: Optional[List[int]] = None  # candidate lines (None: walk everything)
        self.reach = ""  # the file's real path when it is a test module (``Patch.reach``)
        #: The bytes name ``return_value`` or ``side_effect`` (``chooses_results`` is worth a walk).
        self.source_has_results = True
        #: The bytes may hold a ``X.close.<check>`` (``close_checks``: a walk of every node).
        self.source_has_close_checks = True
        self._stand_ins: Optional[StandIns] = None

    def add_patch(self, node: ast.AST, target: str, kind: str, text: str) -> None:
        # Every dotted target is kept, not only those naming a library: ``pkg.mod.get`` and
        # ``pkg.mod.rq`` patch a module's binding of requests.get / requests (the module knows).
        if not _DOTTED.match(target):
            return
        if kind == "assign" and not any(p in PATCHED_MODULES for p in target.split(".")):
            return  # obj.attr = value: only a library's attribute is a swap of interest
        stand_in = not self._hands_close(node, target)
        self.patches.add(
            Patch(self.project, target, kind, "", f"{self.where}:{node.lineno}", text, self.reach, stand_in)
        )

    def stand_ins(self) -> StandIns:
        if self._stand_ins is None:
            self._stand_ins = StandIns(self.tree, self.dotted)
        return self._stand_ins

    def _hands_close(self, node: ast.AST, target: str) -> bool:
        """Whether the patch ``node`` makes of ``target`` hands the code an object with
        ``close()`` (``standins.py``): the ``MagicMock`` ``patch`` makes, or a replacement the
        test chose that is known to have it."""
        if isinstance(node, ast.Assign) and len(node.targets) == 1:  # requests.get = fake_get
            return self.stand_ins().replacement(node.value, target, node.lineno)
        if not isinstance(node, ast.Call):
            return False
        return _makes_magic_mock(self.dotted(node.func) or "", node, self.stand_ins(), target)

    def add_object_patch(self, node: ast.AST, obj: ast.AST, attr: ast.AST, kind: str, text: str) -> None:
        base = self.dotted(obj)
        name = self._literal(attr)
        if base is None or name is None:
            if self.libs and _names_library(obj):
                self.unsettled.append((node.lineno, text, "", not self._hands_close(node, "")))
            return
        if not any(p in PATCHED_MODULES for p in base.split(".")) and _names_library(obj):
            # self.requests, a fixture named requests_module: an object we cannot name
            self.unsettled.append((node.lineno, text, "", not self._hands_close(node, "")))
            return
        self.add_patch(node, f"{base}.{name}", kind, text)

    def run(self) -> None:
        nodes: List[ast.AST] = []
        if self.lines is None:
            nodes = list(walk_module(self.tree))
        else:
            _select(self.lines, self.tree.body, nodes)
        self._imports(nodes)
        for node in nodes:
            if isinstance(node, ast.Call):
                self._call(node)
            elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
                targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
                for t in targets:
                    self._assigned(node, t)
        if self.unsettled:
            strings = self._library_strings()
            if strings:
                settled = {(p.target, p.where) for p in self.patches}
                for line, target in strings:
                    if (target, f"{self.where}:{line}") in settled:
                        continue
                    self.patches.add(
                        Patch(
                            self.project,
                            target,
                            "string",
                            "",
                            f"{self.where}:{line}",
                            f"{target!r}, a string of a file that patches names it cannot read",
                            self.reach,
                        )
                    )
            else:
                for line, text, prefix, stand_in in self.unsettled:
                    for lib in self.libs:
                        where = f"{self.where}:{line}"
                        self.patches.add(
                            Patch(self.project, "", "unsettled", lib, where, text, self.reach, stand_in, prefix)
                        )
        # After the unsettled patches: they may be such results' patches too.
        if self.source_has_results and (self.patches or self.reach):
            spans, fixtures = chosen_results(self.tree, self.stand_ins(), self.source_has_close_checks)
            # The test may hand the code its own object through the mocks of those spans, or
            # count the calls of its close().
            chosen = {
                p
                for p in self.patches
                if not p.stand_in and any(a <= _line(p) <= b and not _fits(grade, p.target) for (a, b), grade in spans)
            }
            self.patches -= chosen
            self.patches.update(dataclasses.replace(p, stand_in=True) for p in chosen)
            for line in fixtures[:1]:
                self.changes.add(
                    Change(self.project, "results", f"{self.where}:{line}", "a fixture's return_value set by a test")
                )

    def _library_strings(self) -> List[Tuple[int, str]]:
        out = []
        for node in walk_module(self.tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                value = node.value.strip(".")
                if _DOTTED.match(value) and any(p in PATCHED_MODULES for p in value.split(".")):
                    out.append((node.lineno, value))
        return out

    def _assigned(self, node: ast.AST, target: ast.AST) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for el in target.elts:
                self._assigned(node, el)
            return
        if isinstance(target, ast.Attribute):
            root = target
            while isinstance(root, ast.Attribute):
                root = root.value
            if not (isinstance(root, ast.Name) and root.id in self.aliases):
                return  # task.requests.headers = ...: an attribute of a local object, not a module
            name = self.dotted(target)
            if name is not None:
                verb = "del" if isinstance(node, ast.Delete) else "="
                self.add_patch(node, name, "assign", f"{_short(name)} {verb} ...")
        elif isinstance(target, ast.Subscript) and self.dotted(target.value) == "os.environ":
            key = self._literal(target.slice if not isinstance(target.slice, ast.Index) else target.slice.value)  # type: ignore[attr-defined]
            self._env(node, [key], f"os.environ[{key!r}] = ..." if key else "os.environ[...] = ...")

    def _env(
        self, node: ast.AST, keys: Sequence[Optional[str]], text: str, scoped: bool = False, clear: bool = False
    ) -> None:
        """Record an ``os.environ`` write that may set proxy or SSL variables. ``scoped``: undone
        when the test ends (``mock.patch.dict``, ``monkeypatch.setenv``), so it covers only the
        calls the test reaches (``Change.reach``); ``clear``: it empties the environment and
        sets only keys that name no proxy or SSL variable (``Change.kind`` ``env-clear``)."""
        named = any(k is None or k.lower() in _ENV_KEYS for k in keys)
        if not named and not clear:
            return
        kind = "env" if named else "env-clear"
        reach = self.reach if scoped and self.reach and not outlives_test(self.tree, node.lineno) else ""
        self.changes.add(Change(self.project, kind, f"{self.where}:{node.lineno}", text, reach))

    def _call(self, node: ast.Call) -> None:
        func = self.dotted(node.func)
        if func is None:
            return
        last = func.split(".")[-1]
        if last not in _INTERESTING_CALLS and not _is_patcher(func):
            return
        head = func.rsplit(".", 1)[0] if "." in func else ""
        text = _call_text(func, node)
        if not self._change_call(node, func, last, head, text):
            self._patch_call(node, func, last, head, text)

    def _change_call(self, node: ast.Call, func: str, last: str, head: str, text: str) -> bool:
        """Record a run-time change (requests_cache, the environment); whether the call was one."""
        args = node.args
        if func.startswith("requests_cache.") and last in ("install_cache", "enabled"):
            self.changes.add(
                Change(self.project, "requests_cache", f"{self.where}:{node.lineno}", f"requests_cache.{last}")
            )
            return True
        if func in ("dotenv.load_dotenv", "dotenv.main.load_dotenv"):
            self._env(node, [None], "load_dotenv()")
            return True
        if (
            func
            in (
                "os.putenv",
                "os.unsetenv",
                "os.environ.__setitem__",
                "os.environ.setdefault",
                "os.environ.pop",
                "os.environ.__delitem__",
            )
            and args
        ):
            self._env(node, [self._literal(args[0])], text)
            return True
        if func in ("os.environ.update", "os.environ.clear"):
            self._env(node, self._dict_keys(node, 0), text)
            return True
        if last == "setenv" and args and head != "os":  # monkeypatch.setenv
            self._env(node, self._keys(node, args[0]), text, scoped=True)
            return True
        if last == "dict" and head.endswith("patch") and args:  # mock.patch.dict(os.environ, ...)
            first = self._literal(args[0]) or self.dotted(args[0])
            if first == "os.environ":
                clear = [k.value for k in node.keywords if k.arg == "clear"]
                # clear=True removes every proxy and SSL variable the process had; any other
                # clear= than the literal False may be True.
                clears = bool(clear) and not (isinstance(clear[0], ast.Constant) and clear[0].value is False)
                self._env(node, self._dict_keys(node, 1), text, scoped=True, clear=clears)
            return True
        return False

    def _patch_call(self, node: ast.Call, func: str, last: str, head: str, text: str) -> None:
        """Record a mock or a swap the call makes (every form ``_is_patcher`` and its friends)."""
        args = node.args
        if func in ("setattr", "delattr") and len(args) >= 2:
            self.add_object_patch(node, args[0], args[1], "assign", text)
            return
        if last == "setattr" and head:  # monkeypatch.setattr, mp.setattr, MonkeyPatch().setattr
            # (obj, "name", value), (obj, "name", value=...) or ("pkg.mod.name", value)
            value_keyword = any(k.arg == "value" for k in node.keywords)
            if len(args) >= 3 or (len(args) == 2 and value_keyword):
                self.add_object_patch(node, args[0], args[1], "mock", text)
            elif args:
                self._string_patch(node, args[0], text)
            return
        if last in ("MockPatch", "MonkeyPatch") and func.startswith("fixtures."):  # testtools
            if args:
                self._string_patch(node, args[0], text)
            return
        if last == "MockPatchObject" and func.startswith("fixtures.") and len(args) >= 2:
            self.add_object_patch(node, args[0], args[1], "mock", text)
            return
        if last == "object" and _is_patcher(head):
            if len(args) >= 2:
                self.add_object_patch(node, args[0], args[1], "mock", text)
            return
        if last == "multiple" and _is_patcher(head):
            if args:
                base = self._literal(args[0]) or self.dotted(args[0])
                names = [k.arg for k in node.keywords if k.arg and k.arg not in _NOT_TARGETS]
                if base is None:
                    self._unsettled(node, text)
                for name in names:
                    if base is not None:
                        self.add_patch(node, f"{base}.{name}", "mock", text)
            return
        if _is_patcher(func):
            target = args[0] if args else next((k.value for k in node.keywords if k.arg == "target"), None)
            if target is not None:
                self._string_patch(node, target, text)

    def _string_patch(self, node: ast.Call, target: ast.AST, text: str) -> None:
        value = self._literal(target)
        if value is not None:
            self.add_patch(node, value, "mock", text)
        elif not self._outside_the_libraries(target):
            self._unsettled(node, text, self._dotted_start(target))

    def _head(self, target: ast.AST) -> Optional[str]:
        """The readable start of a target only partly readable (``f"os.{name}"``,
        ``"shutil." + name``)."""
        if isinstance(target, ast.JoinedStr) and target.values:
            first = target.values[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                return first.value
        elif isinstance(target, ast.BinOp) and isinstance(target.op, ast.Add):
            return self._literal(target.left)
        return None

    def _dotted_start(self, target: ast.AST) -> str:
        """The dotted names, dot included, every value of a partly readable target starts with
        (``"Bio.Entrez." + param``, ``f"pkg.mod.re{x}"`` -> ``pkg.mod.``); empty when unknown."""
        head = self._head(target)
        if not head or "." not in head:
            return ""
        start = head.rsplit(".", 1)[0]
        return start + "." if _NAMES.match(start) else ""

    def _outside_the_libraries(self, target: ast.AST) -> bool:
        """A target only partly readable whose readable start names a standard-library module
        that holds no HTTP client (``f"os.{name}"``, ``"shutil." + name``): whatever the rest
        is, the patch replaces an attribute of that module, never a library's binding."""
        head = self._head(target)
        if not head or "." not in head:
            return False
        module = head.rsplit(".", 1)[0]
        top = module.split(".")[0]
        return (
            _DOTTED.match(module + ".x") is not None
            and top in _STDLIB
            and top not in _HTTP_STDLIB
            and top != self.package.split(".")[0]  # a project's own package of that name
        )

    def _unsettled(self, node: ast.Call, text: str, prefix: str = "") -> None:
        if self.libs:
            # What it hands is read as for any patch, of a target that is no response call.
            self.unsettled.append((node.lineno, text, prefix, not self._hands_close(node, "")))

    def _keys(self, call: ast.AST, key: ast.AST) -> List[Optional[str]]:
        """The values ``key`` may have: a literal, or a parameter of the enclosing test that
        ``@pytest.mark.parametrize("key", ["CI", ...])`` gives only literal strings
        (``[None]``: unknown)."""
        found = self._literal(key)
        if found is not None or not isinstance(key, ast.Name):
            return [found]
        line = getattr(call, "lineno", 0)
        functions = [
            f
            for f in ast.walk(self.tree)
            if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and f.lineno <= line <= (f.end_lineno or 0)
        ]
        if not functions:
            return [None]
        function = max(functions, key=lambda f: f.lineno)  # the innermost
        if key.id not in [a.arg for a in function.args.args + function.args.kwonlyargs]:
            return [None]  # a local or a global: unknown
        if any(
            isinstance(n, ast.Name) and n.id == key.id and not isinstance(n.ctx, ast.Load) for n in ast.walk(function)
        ):
            return [None]  # rebound in the test
        for decorator in function.decorator_list:
            if not (
                isinstance(decorator, ast.Call)
                and (self.dotted(decorator.func) or "").endswith("mark.parametrize")
                and len(decorator.args) >= 2
                and not any(k.arg == "indirect" for k in decorator.keywords)  # a fixture's value
            ):
                continue
            names = self._literal(decorator.args[0])
            if names is None or key.id not in [n.strip() for n in names.split(",")]:
                continue
            index = [n.strip() for n in names.split(",")].index(key.id)
            values = decorator.args[1]
            if not isinstance(values, (ast.List, ast.Tuple)):
                return [None]
            out: List[Optional[str]] = []
            for value in values.elts:
                if "," in names:
                    row = value.elts if isinstance(value, (ast.Tuple, ast.List)) else []
                    value = row[index] if index < len(row) else None  # pytest.param(...), a short row
                out.append(self._literal(value) if value is not None else None)
            return out or [None]
        return [None]

    def _dict_keys(self, node: ast.Call, index: int) -> List[Optional[str]]:
        keys: List[Optional[str]] = [k.arg for k in node.keywords if k.arg and k.arg != "clear"]
        if any(k.arg is None for k in node.keywords):
            keys.append(None)
        if len(node.args) > index:
            value = node.args[index]
            if isinstance(value, ast.Dict):
                keys += [self._literal(k) if k is not None else None for k in value.keys]
            else:
                keys.append(None)
        return keys


def _line(patch: Patch) -> int:
    line = patch.where.rpartition(":")[2]
    return int(line) if line.isdigit() else 0


def _touched(lines: List[int], node: ast.AST) -> bool:
    start = getattr(node, "lineno", None)
    if start is None:
        return True  # match_case: no position of its own
    for decorator in getattr(node, "decorator_list", ()):
        start = min(start, decorator.lineno)
    end = getattr(node, "end_lineno", None) or start
    i = bisect.bisect_left(lines, start)
    return i < len(lines) and lines[i] <= end


def _fields_of(node: ast.AST) -> List[Tuple[str, object]]:
    """``ast.iter_fields(node)`` as a list, without its generator (a missing field is ``None``)."""
    return [(name, getattr(node, name, None)) for name in node._fields]


def _select(lines: List[int], statements: Sequence[ast.AST], out: List[ast.AST]) -> None:
    """The nodes of the statements that span a candidate line, and every import; the
    nested statements of the others are still visited (for their imports)."""
    for st in statements:
        if isinstance(st, (ast.Import, ast.ImportFrom)):
            out.append(st)
            continue
        touched = _touched(lines, st)
        for _, value in _fields_of(st):
            if (
                isinstance(value, list)
                and value
                and isinstance(value[0], (ast.stmt, ast.excepthandler, ast.match_case))
            ):
                for child in value:
                    if isinstance(child, ast.stmt):
                        _select(lines, [child], out)
                    else:  # an except handler or a match case: its header, then its body
                        if _touched(lines, child):
                            for name, part in _fields_of(child):
                                if name != "body" and isinstance(part, ast.AST):
                                    out.extend(walk(part))
                        _select(lines, child.body, out)
            elif touched:
                for part in value if isinstance(value, list) else [value]:
                    if isinstance(part, ast.AST):
                        out.extend(walk(part))
        if touched:
            out.append(st)


#: The last name of every call ``_call`` may record (others are skipped at once).
_INTERESTING_CALLS = frozenset(
    {
        "install_cache",
        "enabled",
        "load_dotenv",
        "putenv",
        "unsetenv",
        "__setitem__",
        "__delitem__",
        "setdefault",
        "pop",
        "update",
        "clear",
        "setenv",
        "dict",
        "setattr",
        "delattr",
        "MockPatch",
        "MonkeyPatch",
        "MockPatchObject",
        "object",
        "multiple",
        "patch",
    }
)


#: Keywords of ``patch`` that choose the replacement (``autospec=True``/``spec=True`` keep the
#: real class's methods, so they are not among them).
_CHOOSING = frozenset({"new", "new_callable", "spec", "spec_set", "autospec", "wraps"})


def _makes_magic_mock(func: str, node: ast.Call, stand_ins: StandIns, target: str = "") -> bool:
    """``node`` (a patcher call, or a ``setattr`` form) hands the code of ``target`` an object
    with ``close()``: the ``MagicMock`` ``patch`` makes (every method exists), a result the
    test gives it that is a mock or has ``close()``, or a replacement of that kind
    (``standins.py``), not an object the test chose that may lack it."""
    last = func.split(".")[-1]
    line = node.lineno
    if not (_is_patcher(func) or (last == "object" and _is_patcher(func.rsplit(".", 1)[0]))):
        value = _set_value(func, node)  # setattr, monkeypatch.setattr: the test gives the value
        return value is not None and stand_ins.replacement(value, target, line)
    positional = 2 if last == "object" else 1
    if len(node.args) > positional + 1:
        return False  # a spec, create or spec_set given by position
    new = node.args[positional] if len(node.args) > positional else None
    for keyword in node.keywords:
        if keyword.arg is None:
            return False  # **kwargs: unknown
        value = keyword.value
        if keyword.arg in _RESULTS:
            if not _fits(_handed(value, stand_ins, line, keyword.arg), target):
                return False  # return_value=FakeResponse(), side_effect=fake_get: the test's objects
        elif keyword.arg == "new":
            new = value
        elif keyword.arg == "new_callable":
            if not (is_mock_class(value) or isinstance(value, ast.Lambda)):
                return False
            new = value.body if isinstance(value, ast.Lambda) else None
        elif keyword.arg in _CHOOSING:
            if not (keyword.arg in ("spec", "autospec") and isinstance(value, ast.Constant) and value.value is True):
                return False
    if new is not None and _last_name(new) != "DEFAULT":
        return stand_ins.replacement(new, target, line)
    return True


def _set_value(func: str, node: ast.Call) -> Optional[ast.AST]:
    """The value a ``setattr`` form sets: ``setattr(obj, name, value)``,
    ``monkeypatch.setattr(obj, name, value)`` / ``("pkg.mod.name", value)`` / ``value=``."""
    args = node.args
    keyword = next((k.value for k in node.keywords if k.arg == "value"), None)
    last = func.split(".")[-1]
    if func == "setattr":
        return args[2] if len(args) >= 3 else None
    if last == "setattr" and "." in func:
        if keyword is not None:
            return keyword
        if len(args) >= 3:
            return args[2]
        if len(args) == 2 and isinstance(args[0], (ast.Constant, ast.JoinedStr, ast.BinOp, ast.Name)):
            return args[1]
    return None


def _last_name(node: ast.AST) -> str:
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


#: Keywords (and attributes of a mock) that choose what the mock returns.
_RESULTS = frozenset({"return_value", "side_effect"})


def _handed(value: ast.AST, stand_ins: StandIns, line: int, keyword: str = "return_value") -> Optional[int]:
    """The grade (``standins.MOCK``/``CLOSE``/``None``) of what the code gets from a mock whose
    ``return_value`` (or ``side_effect``) is ``value`` (``StandIns.handed``): a mock, an object
    with ``close()``, a literal or an exception; anything else (``FakeResponse()`` of a class
    without ``close``, ``fake_get`` returning one, an unknown name) is ``None``."""
    return stand_ins.handed(value, line, 0, keyword)


def _fits(grade: Optional[int], target: str) -> bool:
    """Whether an object of ``grade`` handed back by a mock of ``target`` leaves the
    ``closing`` fix safe: a mock anywhere; another object with ``close()`` when the target is
    the call that makes the response (``RESPONSE_CALLS``: what ``closing`` gets is that object)."""
    if grade == MOCK:
        return True
    return grade == CLOSE and target.rsplit(".", 1)[-1] in RESPONSE_CALLS


#: A span of lines (first, last); ``WHOLE``: every line of the file.
Span = Tuple[int, int]
WHOLE: Span = (0, 1 << 30)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def chosen_results(
    tree: ast.Module, stand_ins: StandIns, may_check_close: bool = True
) -> Tuple[List[Tuple[Span, Optional[int]]], List[int]]:
    """Where the module sets a mock's ``return_value``/``side_effect`` to an object it chose
    (``m.return_value = FakeResponse()``; ``m.return_value.status_code = 200`` does not), and
    its grade (``_handed``: a mock, an object with ``close()``, unknown); and where it counts
    the calls of a mock's ``close`` (``m.return_value.close.assert_called_once()``: ``closing``
    adds a call; grade ``None``): the code under test gets that object. The spans whose
    patches it may be the result of: the function of the assignment when the mock is a local
    of it or a mock its own ``patch`` decorators pass it, the class for ``self.m``, else the
    whole file; and the lines where the mock is a parameter the function's decorators do not
    give (a fixture: a patch of another file, conftest, may make it). ``may_check_close``:
    ``False`` when the source cannot hold a close check (``close_checks`` is not walked).

    The walk takes the nodes in one order (a node's children when it is taken from a stack;
    ``fixtures`` is in that order). Without close checks only statements can be found
    (assignments), and only statements hold them: the walk goes through the blocks alone,
    in the same order (a subtree's statements are taken as the whole subtree's nodes were)."""
    spans: List[Tuple[Span, Optional[int]]] = []
    fixtures: List[int] = []
    checks = {id(node): line for node, line in close_checks(tree)} if may_check_close else {}
    step = children if checks else blocks
    todo: List[Tuple[ast.AST, Tuple[ast.AST, ...]]] = [(tree, ())]
    while todo:
        node, stack = todo.pop()
        for child in step(node):
            found: List[Tuple[ast.AST, Optional[int], int]] = []
            if isinstance(child, ast.Assign):
                for target in child.targets:
                    if isinstance(target, ast.Attribute) and target.attr in _RESULTS and _produces(target.value):
                        grade = _handed(child.value, stand_ins, child.lineno, target.attr)
                        if grade == CLOSE and _last_name(target.value) in RESPONSE_CALLS:
                            grade = MOCK  # m.return_value.get.return_value = r: r is the response
                        if grade != MOCK:
                            found.append((target, grade, child.lineno))
            elif id(child) in checks:
                found.append((child, None, checks[id(child)]))
            for target, grade, line in found:
                span = _scope_of(target, stack)
                if span is None:
                    spans.append((WHOLE, grade))
                    fixtures.append(line)
                else:
                    spans.append((span, grade))
            todo.append((child, stack + (child,) if isinstance(child, _SCOPES) else stack))
    return spans, fixtures


#: Attributes between a mock and the result it is given that can lead to a response or a
#: client (``m.return_value.get.return_value``; ``m.iter_content.return_value`` does not).
_PRODUCING = frozenset(
    {"return_value", "get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream"}
    | {"urlopen", "open", "__enter__", "__aenter__", "Session", "Client", "session"}
)


def _produces(node: ast.AST) -> bool:
    """Whether the mock expression ``node`` (what ``.return_value`` is set on) may be the call
    that makes a response or a client: a name, or attributes of one in ``_PRODUCING``."""
    while isinstance(node, ast.Attribute):
        if node.attr not in _PRODUCING and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
            return False
        node = node.value
    return isinstance(node, ast.Name)


def _span(node: ast.AST) -> Span:
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", ())])  # type: ignore[attr-defined]
    return first, getattr(node, "end_lineno", None) or WHOLE[1]


def _scope_of(target: ast.AST, stack: Tuple[ast.AST, ...]) -> Optional[Span]:
    """``chosen_results``' span for one assigned ``.return_value``; ``None``: a fixture's."""
    root = target
    while isinstance(root, (ast.Attribute, ast.Subscript, ast.Call)):
        root = root.func if isinstance(root, ast.Call) else root.value
    functions = [n for n in stack if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if not functions or not isinstance(root, ast.Name):
        return WHOLE
    function = functions[-1]
    assert isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
    if root.id in ("self", "cls"):
        classes = [n for n in stack if isinstance(n, ast.ClassDef)]
        return _span(classes[-1]) if classes else WHOLE
    args = function.args
    params = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    if root.id in params:
        offset = 1 if params and params[0] in ("self", "cls") else 0
        given = sum(1 for d in function.decorator_list if isinstance(d, ast.Call) and _makes_mock_argument(d))
        if root.id not in params[offset : offset + given]:
            return None
    else:
        made = _patch_binding(function, root.id)
        if made is not None:
            return made, made  # the mock of one patch: the others of the function are not concerned
    return _span(function)


def _patch_binding(function: ast.AST, name: str) -> Optional[int]:
    """The line of the patch call whose mock ``name`` is, when the function binds it once and
    there (``with mock.patch(...) as name:``, ``name = mocker.patch(...)``)."""
    stores = [n for n in walk(function) if isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load)]
    if len(stores) != 1:
        return None
    for node in walk(function):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is stores[0] and isinstance(item.context_expr, ast.Call):
                    call = item.context_expr
                    return call.lineno if _last_name(call.func) in ("patch", "object") else None
        elif isinstance(node, ast.Assign) and node.targets == [stores[0]] and isinstance(node.value, ast.Call):
            return node.value.lineno if _last_name(node.value.func) in ("patch", "object") else None
    return None


def _makes_mock_argument(decorator: ast.Call) -> bool:
    """A ``patch`` decorator that passes the function a mock (no replacement given)."""
    func = decorator.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name not in ("patch", "object"):
        return False
    positional = 2 if name == "object" else 1
    return len(decorator.args) <= positional and not any(k.arg == "new" for k in decorator.keywords)


def _is_patcher(func: str) -> bool:
    if func in _PATCH_FUNCS:
        return True
    parts = func.split(".")
    return parts[-1] == "patch" and (
        "mock" in parts[:-1] or any(p in _MOCKER_NAMES for p in parts[:-1]) or func.endswith("mock.patch")
    )


def _call_text(func: str, node: ast.Call) -> str:
    first = node.args[0] if node.args else None
    shown = func.replace("unittest.mock.", "mock.")
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        inner = repr(first.value)
        if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
            inner += f", {node.args[1].value!r}"
    elif first is not None:
        try:
            inner = ast.unparse(first)
        except Exception:  # pragma: no cover - ast.unparse handles every expression ast made
            inner = "..."
        if len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
            inner += f", {node.args[1].value!r}"
    else:
        inner = ""
    if len(inner) > 80:
        inner = inner[:77] + "..."
    return f"{_short(shown)}({inner})"


def _short(name: str) -> str:
    return name.replace("unittest.mock.", "mock.")


#: The fixture scopes torn down by the end of the test module that defines the fixture.
_MODULE_SCOPES = frozenset({"function", "class", "module"})


def outlives_test(tree: ast.AST, line: int) -> bool:
    """Whether a patch made at ``line`` of the test module ``tree`` (``mock.patch``,
    ``mock.patch.dict``) may stay active while other test modules' tests run: the module has a
    fixture of a wider scope than the module (``session``, ``package``, a computed one), or
    the patch is made at its top level (when pytest collects it), or it is started
    (``.start()``) and nothing in the module stops it. Then it covers every file's calls, not
    only those its tests reach (``Patch.reach``, ``Change.reach``)."""
    # By the last name: ``patcher = patch(...)`` in a class body, ``cls.patcher.start()``.
    stops = {_last(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "stop"}
    stopall = any(isinstance(n, ast.Attribute) and n.attr == "stopall" for n in ast.walk(tree))
    started: Set[str] = set()  # names whose .start() is called
    within = False  # the patch's line is in a function's or a class's body or decorators
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _last(node.func) in ("fixture", "yield_fixture"):
            for keyword in node.keywords:
                if keyword.arg == "scope" and not (
                    isinstance(keyword.value, ast.Constant) and keyword.value.value in _MODULE_SCOPES
                ):
                    return True
        if isinstance(node, ast.Attribute) and node.attr == "start":
            if isinstance(node.value, ast.Call) and node.value.lineno == line and not stopall:
                return True  # patch(...).start(): nothing can stop it but stopall
            started.add(_last(node.value))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([d.lineno for d in node.decorator_list] + [node.lineno])
            within = within or first <= line <= (node.end_lineno or 0)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.lineno <= line <= (node.end_lineno or 0):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {_last(t) for t in targets} & started
            if names - stops and not stopall:
                return True  # x = patch(...); x.start(), and no x.stop
    return not within


def _last(node: ast.AST) -> str:
    return (dotted_name(node) or "").rpartition(".")[2]
