"""The ``http-codemods`` command: options in, engine run, report out. Nothing else lives here.

- ``commands.py``: the click declarations (every option and its help) of both commands;
- ``args.py``: what click hands them, as typed values;
- ``resolve.py``: configuration and options to the engine's settings (``excludes.py``: the
  path globs of --force-exclude and per-file-ignores);
- ``run.py``: the run over files or standard input; ``batch_run.py``: ``http-codemods batch``;
- ``output.py``: the codemod list, the report of a run, the summary and the exit status.
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence

from .commands import batch_command, command

__all__ = ["batch_command", "command", "main"]


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = list(argv) if argv is not None else sys.argv[1:]
    if args[:1] == ["batch"]:  # a directory named "batch": write ./batch
        batch_command.main(args=args[1:], prog_name="http-codemods batch")
        return
    command.main(args=args, prog_name="http-codemods")
