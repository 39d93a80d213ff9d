"""The state file: the run's repositories, its options and each finished outcome, so that
``--resume`` skips what is done and ``--failed`` reruns only what failed."""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import uuid
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .. import __version__
from .model import FAILED, STATE_VERSION, Options, Outcome
from .push import wants_push


class StateError(Exception):
    pass


class State:
    """The run's repositories in order, its options, and each finished repository's outcome;
    rewritten atomically after every change."""

    def __init__(
        self,
        path: str,
        repos: Sequence[str],
        opts: Options,
        run_id: Optional[str] = None,
        outcomes: Optional[Dict[str, Dict[str, Any]]] = None,
    ) -> None:
        self.path = path
        self.repos = list(repos)
        self.options = opts.fingerprint()
        self.run_id = run_id or uuid.uuid4().hex
        self.outcomes: Dict[str, Dict[str, Any]] = dict(outcomes or {})

    @classmethod
    def load(cls, path: str) -> Dict[str, Any]:
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            raise StateError(f"no state file {path} (run without --resume/--failed first)")
        except (OSError, ValueError) as exc:
            raise StateError(f"cannot read the state file {path}: {exc}")
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise StateError(f"{path} is not a state file of this version of http-codemods batch")
        return data

    def record(self, outcome: Outcome) -> None:
        data = dataclasses.asdict(outcome)
        data.pop("earlier", None)
        self.outcomes[outcome.repo] = data
        self.save()

    def save(self) -> None:
        data = {
            "version": STATE_VERSION,
            "tool": f"http-codemods {__version__}",
            "run": self.run_id,
            "options": self.options,
            "repos": self.repos,
            "outcomes": self.outcomes,
        }
        directory = os.path.dirname(os.path.abspath(self.path))
        fd, tmp = tempfile.mkstemp(prefix=".state-", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)


def prepare(repos: Sequence[str], opts: Options, state_path: str, mode: str) -> Tuple[State, List[str]]:
    """The state to run with and the repositories still to run: ``mode`` is ``new``, ``resume``
    (everything not finished; same repositories and options) or ``failed`` (only the failed)."""
    repos = [os.path.abspath(r) for r in repos]
    if mode == "new":
        state = State(state_path, repos, opts)
        state.save()
        return state, list(repos)
    data = State.load(state_path)
    old_repos = data.get("repos") or []
    outcomes = data.get("outcomes") or {}
    if mode == "resume":
        if repos and repos != old_repos:
            raise StateError("--resume runs the repositories of the interrupted run: give none, or the same")
        differ = sorted(k for k, v in opts.fingerprint().items() if (data.get("options") or {}).get(k) != v)
        if differ:
            raise StateError(
                f"the interrupted run had other options ({', '.join(differ)}): repeat them, or start afresh without --resume"
            )
        state = State(state_path, old_repos, opts, data.get("run"), outcomes)
        todo = [r for r in old_repos if r not in outcomes or wants_push(Outcome.from_dict(outcomes[r]), opts)]
    else:
        if repos:
            raise StateError("--failed reruns the failed repositories of the state file: give no REPO")
        state = State(state_path, old_repos, opts, data.get("run"), outcomes)
        todo = [r for r in old_repos if (outcomes.get(r) or {}).get("status") == FAILED]
    state.save()
    return state, todo
