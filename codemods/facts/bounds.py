"""Declared dependency bounds: the requirements on requests/httpx that a project declares in
pyproject.toml (``[project]`` dependencies, optional dependencies, dependency groups, and
poetry's tables, whose ``^``/``~`` constraints ``poetry_specifier`` turns into PEP 440),
setup.cfg, setup.py (literal lists only, never run) and requirements*.txt (also under
requirements/), read by ``read_bounds`` into ``Bound`` facts; and ``lower_bound_at_least``,
whether a specifier excludes every release below a version (a project requiring
``requests>=2.32`` is not exposed to CVE-2024-35195).
"""

from __future__ import annotations

import ast
import configparser
import os
import re
from typing import Dict, List, Optional, Tuple

from ..discover import display_path
from .model import LIBRARIES, Bound


def lower_bound_at_least(specifier: str, version: str) -> bool:
    """Whether every version ``specifier`` allows is >= ``version`` (``>=2.32``, ``~=2.32.3``,
    ``==2.32.*``, ``>2.32``; ``""`` allows everything)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        specs = SpecifierSet(specifier)
        floor = Version(version)
    except (InvalidSpecifier, InvalidVersion):
        return False
    for spec in specs:
        value = spec.version
        if spec.operator in ("==", "===") and value.endswith(".*"):
            value = value[:-2]
        if spec.operator in (">=", ">", "==", "===", "~="):
            try:
                if Version(value) >= floor:
                    return True
            except InvalidVersion:
                continue
    return False


def version_specifier(text: str) -> str:
    """The specifier a ``requests-version`` setting means: ``">=2.32"`` as written, a bare
    version (``"2.31.0"``) as ``==2.31.0``. ``ValueError`` when it is neither."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    text = text.strip()
    try:
        return f"=={Version(text)}"
    except InvalidVersion:
        pass
    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        raise ValueError(f"invalid requests-version {text!r}: expected a version or a specifier, e.g. >=2.32")
    if not text:
        raise ValueError("invalid requests-version '': expected a version or a specifier, e.g. >=2.32")
    return text


_REQUIREMENT_FILES = re.compile(r"^requirements.*\.(txt|in)$")


def read_bounds(directory: str) -> List[Bound]:
    """Declarations of requests/httpx in ``directory``'s pyproject.toml ([project] and
    poetry), setup.cfg, setup.py (literal lists) and requirements*.txt (also requirements/)."""
    out: List[Bound] = []

    def add(requirement: str, where: str) -> None:
        bound = _requirement(requirement)
        if bound is not None:
            out.append(Bound(directory, bound[0], bound[1], where))

    def shown(name: str) -> str:
        return display_path(os.path.join(directory, name))

    pyproject = os.path.join(directory, "pyproject.toml")
    if os.path.isfile(pyproject):
        for line, requirement in _pyproject_requirements(pyproject):
            add(requirement, f"{shown('pyproject.toml')}:{line}" if line else shown("pyproject.toml"))
    setup_cfg = os.path.join(directory, "setup.cfg")
    if os.path.isfile(setup_cfg):
        for requirement in _setup_cfg_requirements(setup_cfg):
            add(requirement, shown("setup.cfg"))
    setup_py = os.path.join(directory, "setup.py")
    if os.path.isfile(setup_py):
        for line, requirement in _setup_py_requirements(setup_py):
            add(requirement, f"{shown('setup.py')}:{line}")
    candidates = []
    try:
        candidates = [n for n in os.listdir(directory) if _REQUIREMENT_FILES.match(n)]
        sub = os.path.join(directory, "requirements")
        if os.path.isdir(sub):
            candidates += [os.path.join("requirements", n) for n in os.listdir(sub) if n.endswith((".txt", ".in"))]
    except OSError:
        pass
    for name in sorted(candidates):
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            continue
        for line, requirement in _requirements_txt(path):
            add(requirement, f"{shown(name)}:{line}")
    return out


def _requirement(text: str) -> Optional[Tuple[str, str]]:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        req = Requirement(text.strip())
    except InvalidRequirement:
        return None
    name = canonicalize_name(req.name)
    if name not in LIBRARIES:
        return None
    return name, str(req.specifier)


def _pyproject_requirements(path: str) -> List[Tuple[int, str]]:
    from ..config import tomllib

    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        data = tomllib.loads(raw.decode("utf-8"))
    except Exception:
        return []
    lines = raw.decode("utf-8", "replace").splitlines()

    def line_of(text: str) -> int:
        for i, line in enumerate(lines, 1):
            if text in line:
                return i
        return 0

    out: List[Tuple[int, str]] = []
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    groups = [project.get("dependencies")]
    optional = project.get("optional-dependencies")
    if isinstance(optional, dict):
        groups += list(optional.values())
    dep_groups = data.get("dependency-groups")
    if isinstance(dep_groups, dict):
        groups += list(dep_groups.values())
    for group in groups:
        if isinstance(group, list):
            out += [(line_of(r), r) for r in group if isinstance(r, str)]
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    tables = []
    if isinstance(poetry, dict):
        tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
        pgroups = poetry.get("group")
        if isinstance(pgroups, dict):
            tables += [g.get("dependencies") for g in pgroups.values() if isinstance(g, dict)]
    for table in tables:
        if not isinstance(table, dict):
            continue
        for name, value in table.items():
            if str(name).lower() not in LIBRARIES:
                continue
            for constraint in value if isinstance(value, list) else [value]:
                if isinstance(constraint, dict):
                    constraint = constraint.get("version", "*")
                if isinstance(constraint, str):
                    out.append((line_of(str(name)), f"{name}{poetry_specifier(constraint)}"))
    return out


def poetry_specifier(constraint: str) -> str:
    """Poetry's ``^2.32``, ``~2.32``, ``2.32.0``, ``*`` -> PEP 440."""
    out = []
    for part in re.split(r"\s*,\s*|\s+", constraint.strip()):
        if not part or part == "*":
            continue
        if part.startswith("^"):
            out.append(">=" + part[1:])
        elif part.startswith("~") and not part.startswith("~="):
            out.append(">=" + part[1:])
        elif re.match(r"^[0-9]", part):
            out.append("==" + part)
        else:
            out.append(part)
    return ",".join(out)


def _setup_cfg_requirements(path: str) -> List[str]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError, OSError):
        return []
    out = []
    if parser.has_option("options", "install_requires"):
        out += parser.get("options", "install_requires").splitlines()
    if parser.has_section("options.extras_require"):
        for _, value in parser.items("options.extras_require"):
            out += value.splitlines()
    return [line.strip() for line in out if line.strip() and not line.strip().startswith("#")]


def _setup_py_requirements(path: str) -> List[Tuple[int, str]]:
    try:
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    lists: Dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            lists[node.targets[0].id] = node.value
    out: List[Tuple[int, str]] = []

    def strings(node: Optional[ast.AST]) -> None:
        if isinstance(node, ast.Name) and node.id in lists:
            node = lists[node.id]
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            for el in node.elts:
                if isinstance(el, ast.Constant) and isinstance(el.value, str):
                    out.append((el.lineno, el.value))
        elif isinstance(node, ast.Dict):
            for value in node.values:
                strings(value)

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg in ("install_requires", "extras_require", "requires"):
                    strings(kw.value)
    return out


def _requirements_txt(path: str) -> List[Tuple[int, str]]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    out = []
    for number, line in enumerate(lines, 1):
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if not line or line.startswith("-"):
            continue
        line = line.split(" --", 1)[0].strip()  # --hash=...
        out.append((number, line))
    return out
