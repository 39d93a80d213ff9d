"""Files a run creates: each package's shared client module (``share/package_client.py``).

The data flows one way: paths -> the run-level plan (``plan_run``, before any file is
rewritten: where each package's module is, whether it exists and is ours) -> per-file results
(a rewritten module lists in ``FileResult.requires`` the client module and library it imports,
also when the result comes from the content cache) -> ``with_generated``, after every file:
one result per module to create or extend, with the clients every requiring module needs.

That result is a ``FileResult`` like any other (``created`` when the file is new), so
``--diff`` prints it (``--- /dev/null`` / ``+++ b/pkg/_http_client.py``, which ``git apply``
creates), ``--check`` counts it as a file that would change, and json, sarif and markdown
reports list it, with one site that names the modules that import it. In place, it is written
after the modules (atomically: a new file is linked into place only if the name is still
free) and only for modules that were written. A second run finds the module, recognises it as
ours, and has nothing to add: no result.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Dict, Iterable, Iterator, List, Sequence, Set

from .sites import FIXED, SAFE, Site
from .engine import CHANGED, ERROR, WRITE, FileResult, Settings
from .linediff import unified_diff
from .share.mockpatch import held_paths, test_results
from .share.package_client import EXPORTS, PackageClient, plan_layout, render
from .sources import SourceError, create_atomic, write_atomic
from .style import style_for

CODEMOD = "share-session"


def plan_run(settings: Settings, files: Sequence[str]) -> Settings:
    """``settings`` with the package plan when share-session's ``package`` strategy runs."""
    if CODEMOD not in settings.codemods:
        return settings
    options = settings.options.get(CODEMOD, {})
    if options.get("client") or options.get("session-scope", "package") != "package":
        return settings
    keep = options.get("keep-cookies", False)
    if isinstance(keep, str):
        keep = keep.strip().lower() in ("1", "true", "yes", "on")
    return replace(settings, packages=plan_layout(files, bool(keep)))


def with_generated(results: Iterable[FileResult], settings: Settings) -> Iterator[FileResult]:
    """``results`` as they come, then the client modules they need."""
    done: List[FileResult] = []
    held = held_paths(settings)  # test files whose patches move: their result comes last
    for result in results:
        done.append(result)
        if os.path.realpath(result.path) not in held:
            yield result
    yield from generated_results(done, settings)
    yield from test_results(done, settings)  # the tests' patches moved with the calls


def generated_results(results: Sequence[FileResult], settings: Settings) -> List[FileResult]:
    layout = settings.packages
    if layout is None:
        return []
    needs: Dict[str, Set[str]] = {}
    users: Dict[str, List[str]] = {}
    for result in results:
        if result.status != CHANGED or (settings.mode == WRITE and not result.written):
            continue
        for path, library in result.requires:
            needs.setdefault(path, set()).add(library)
            if result.path not in users.setdefault(path, []):
                users[path].append(result.path)
    out = []
    for path in sorted(needs):
        client = layout.by_path(path)
        if client is None:
            continue
        result = _module_result(client, needs[path], users[path], settings, layout.keep_cookies)
        if result is not None:
            out.append(result)
    return out


def _module_result(
    client: PackageClient, libraries: Set[str], users: List[str], settings: Settings, keep_cookies: bool
) -> "FileResult | None":
    have = {lib for lib, name in EXPORTS.items() if name in client.defines}
    if libraries <= have:
        return None  # the module exists and defines them all: nothing to do
    imports = style_for(client.path).imports
    new_text = render(sorted(have | libraries), keep_cookies, client.package, client.module, imports)
    old_text = ""
    if client.exists:
        try:
            with open(client.path, encoding="utf-8") as handle:
                old_text = handle.read()
        except OSError as exc:
            return _failed(client.path, f"cannot read: {exc.strerror or exc}")
    shown = ", ".join(users[:3]) + (f" and {len(users) - 3} more" if len(users) > 3 else "")
    verb = "extended" if client.exists else "created"
    site = Site(
        CODEMOD,
        1,
        1,
        FIXED,
        f"{verb} the package's shared client module, imported by {len(users)} module(s): {shown}",
        SAFE,
    )
    result = FileResult(
        path=client.path,
        status=CHANGED,
        sites=[site],
        applied=[CODEMOD],
        diff=_diff(old_text, new_text, client.path, client.exists),
        old_text=old_text,
        new_text=new_text,
        new_bytes=new_text.encode("utf-8"),
        created=not client.exists,
    )
    if settings.mode == WRITE:
        # The package may lie above the run's roots (a run over a subpackage): its directory,
        # found from real paths, is where the module goes.
        roots = tuple(settings.roots) + (client.directory,) if settings.roots else ()
        try:
            if client.exists:
                write_atomic(client.path, result.new_bytes or b"", roots)
            else:
                create_atomic(client.path, result.new_bytes or b"", roots)
            result.written = True
        except SourceError as exc:
            return _failed(client.path, exc.reason, users)
        except OSError as exc:
            return _failed(client.path, f"cannot write: {exc.strerror or exc}", users)
    return result


def _diff(old: str, new: str, path: str, exists: bool) -> str:
    diff = unified_diff(old, new, path)
    if exists:
        return diff
    _, _, body = diff.partition("\n")
    _, _, body = body.partition("\n")
    name = path if os.path.isabs(path) else f"b/{path}"
    return f"--- /dev/null\n+++ {name}\n{body}"


def _failed(path: str, reason: str, users: Sequence[str] = ()) -> FileResult:
    if users:
        reason += f" (the modules that import it, {', '.join(users)}, were rewritten: restore them or create it)"
    return FileResult(path=path, status=ERROR, error=reason, created=True)
