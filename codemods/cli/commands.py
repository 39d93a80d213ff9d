"""The two commands' declarations: every option, in ``--help``'s order, with its help text.
What they do is in ``run.py`` (and ``batch_run.py``); what click hands them is ``args.py``."""

from __future__ import annotations

from typing import Any

import click

from .. import __version__, config, registry
from ..report import FORMATS
from .args import BatchArgs, CommandArgs
from .batch_run import run_batch
from .resolve import BUDGETS
from .run import run_command


def codemod_options(func):
    """One ``--name`` option per codemod option declared in the registry."""
    seen = set()
    for cls in reversed(registry.CODEMODS):
        for option in reversed(cls.OPTIONS):
            if option.name in seen:
                continue
            seen.add(option.name)
            help_text = f"[{cls.NAME}] {option.help} (default: {option.default})"
            if isinstance(option.default, bool):
                func = click.option(f"--{option.name}", is_flag=True, default=None, help=help_text)(func)
            else:
                kind = click.Choice(option.choices) if option.choices else str
                func = click.option(f"--{option.name}", type=kind, default=None, help=help_text)(func)
    return func


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff; write nothing.")
@click.option("--check", is_flag=True, help="Write nothing; list what would change or needs review.")
@click.option("-i", "--interactive", is_flag=True, help="Show each hunk and ask whether to apply it.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Report format (json, sarif and markdown replace the text listing on stdout).",
)
@click.option(
    "--output", type=click.Path(dir_okay=False), help="Write the report (text: the stdout part) to FILE instead."
)
@click.option(
    "--select",
    multiple=True,
    help="Comma list of codemods to run instead of the configured ones (ALL for every one); repeatable.",
)
@click.option(
    "--extend-select",
    multiple=True,
    help="Comma list of codemods to run in addition to the configured ones; repeatable.",
)
@click.option("--ignore", multiple=True, help="Comma list of codemods not to run; repeatable.")
@click.option("--list", "list_codemods", is_flag=True, help="List the codemods and exit.")
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1, max=config.MAX_JOBS), help="Worker processes (default: all cores)."
)
@click.option(
    "--exclude", multiple=True, help="Glob (gitignore syntax) to skip, instead of the configured exclude; repeatable."
)
@click.option("--extend-exclude", multiple=True, help="Glob to skip in addition to the configured ones; repeatable.")
@click.option(
    "--force-exclude/--no-force-exclude",
    default=None,
    help="Apply the excludes to paths named on the command line too (pre-commit names every file).",
)
@click.option(
    "--file-time-limit",
    type=click.FloatRange(min=0),
    help=f"Seconds of CPU time one file may take; over it, the file is an error and the run goes on; 0: none (default: {BUDGETS['file-time-limit']:g}).",
)
@click.option(
    "--file-memory-limit",
    type=click.FloatRange(min=0),
    help=f"MB of memory a worker may use on one file; 0: none (default: {BUDGETS['file-memory-limit']:g}).",
)
@click.option(
    "--file-size-limit",
    type=click.FloatRange(min=0),
    help=f"MB above which a file is not processed (an error); 0: none (default: {BUDGETS['file-size-limit']:g}).",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    help="Directory of the results cache (default: $HTTP_CODEMODS_CACHE_DIR, the configured cache-dir, else ~/.cache/http-codemods).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the results cache.")
@click.option("--stdin-filename", help="The path to show in messages when reading '-'.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="pyproject.toml to read instead of the nearest one with a [tool.http-codemods] table.",
)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour diffs (auto: on a terminal, unless NO_COLOR is set).",
)
@click.option(
    "--unsafe-fixes/--no-unsafe-fixes",
    "unsafe_fixes",
    default=None,
    help="Also apply unsafe fixes: right in the usual case, each with one named hazard (default: the configuration's unsafe-fixes, else off: they are reported, 'fixable with --unsafe-fixes').",
)
@click.option(
    "--exit-zero", is_flag=True, help="Exit 0 even when files would change or sites need review (errors still exit 2)."
)
@click.option("--statistics", is_flag=True, help="Print counts per codemod instead of each site.")
@click.option("-q", "--quiet", is_flag=True, help="Print only diffs and errors.")
@click.option("-v", "--verbose", is_flag=True, help="List each file touched and each site fixed.")
@codemod_options
@click.version_option(__version__, prog_name="http-codemods")
def command(**params: Any) -> None:
    """Find and fix HTTP client misuse: unclosed responses and clients, no connection reuse,
    missing timeouts. PATHS default to the current directory; '-' reads standard input.

    `http-codemods batch --help`: the same over many git repositories, one branch each."""
    run_command(CommandArgs.of(params))


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("repos", nargs=-1, type=click.Path(file_okay=False))
@click.option(
    "--repos-file", type=click.Path(exists=True, dir_okay=False), help="File with one repository path per line."
)
@click.option("--select", help="Comma list of codemods to run (default: each repository's configuration).")
@click.option("--ignore", help="Comma list of codemods not to run.")
@click.option("--branch", help="Branch to create (default: http-codemods/<the codemods that changed something>).")
@click.option(
    "--conflict",
    type=click.Choice(["skip", "replace"]),
    default="skip",
    show_default=True,
    help="When the branch exists: skip the repository, or rebuild the branch from HEAD (and force-push it, with a lease).",
)
@click.option(
    "--message", help="Commit message (default: the codemods that changed something, counts, sites left for review)."
)
@click.option(
    "--test-cmd",
    help="Shell command run in each repository after the rewrite; on failure nothing is kept. Files it creates are removed.",
)
@click.option(
    "--test-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=3600,
    show_default=True,
    help="Seconds the test command may take.",
)
@click.option(
    "--allow-dirty", is_flag=True, help="Also process dirty trees (files with changes are left out) and detached HEADs."
)
@click.option(
    "--pr-body-dir",
    type=click.Path(file_okay=False),
    help="Write PR bodies here (REPO.md) instead of REPO/.git/http-codemods-pr.md.",
)
@click.option("--push", is_flag=True, help="Push the branch to --remote.")
@click.option("--remote", default="origin", show_default=True, help="Remote to push to.")
@click.option("--open-pr", is_flag=True, help="Push, then open a pull request with gh (when installed).")
@click.option("--draft", is_flag=True, help="Like --open-pr, as a draft pull request.")
@click.option(
    "--sleep",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help="Seconds to wait between two pushes (forge rate limits).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Repositories processed at a time (output order stays the order given).",
)
@click.option(
    "--jobs-per-repo",
    type=click.IntRange(min=1),
    help="Worker processes inside each repository (default: cores / --jobs).",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False),
    default=".http-codemods-batch.json",
    show_default=True,
    help="State file: each finished repository's outcome.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Finish an interrupted run: the repositories of the state file without an outcome (same options).",
)
@click.option(
    "--failed", "rerun_failed", is_flag=True, help="Rerun only the repositories the state file lists as failed."
)
@click.option("--unsafe-fixes", "unsafe_fixes", is_flag=True, help="Also apply unsafe fixes in each repository.")
@codemod_options
def batch_command(**params: Any) -> None:
    """Run the codemods over many git checkouts: for each REPO, a branch, a tested commit and
    a Markdown PR body, -j at a time. Ends with a table; exit status 1 if any repository failed.
    An interrupted run is finished with --resume; --failed reruns what failed."""
    run_batch(BatchArgs.of(params))
