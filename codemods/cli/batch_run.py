"""``http-codemods batch``: the options checked and handed to ``codemods.batch``, which runs
each repository; ends with the table and the exit status."""

from __future__ import annotations

import sys

import click

from .. import engine
from .args import BatchArgs
from .resolve import resolve_selection


def run_batch(args: BatchArgs) -> None:
    from .. import batch

    all_repos = list(args.repos) + (batch.read_repos_file(args.repos_file) if args.repos_file else [])
    if args.resume and args.rerun_failed:
        raise click.UsageError("--resume and --failed cannot be combined")
    if not all_repos and not (args.resume or args.rerun_failed):
        raise click.UsageError("no repository given (REPO... or --repos-file FILE)")
    resolve_selection(args.select or "ALL", args.ignore, {})  # unknown names are a usage error
    opts = _options(args, batch)
    mode = "resume" if args.resume else "failed" if args.rerun_failed else "new"
    try:
        state, todo = batch.prepare(all_repos, opts, args.state_path, mode)
    except batch.StateError as exc:
        raise click.UsageError(str(exc))
    click.echo(f"state: {args.state_path} ({len(todo)} of {len(state.repos)} repositories to run)", err=True)
    outcomes = batch.run(state.repos, opts, click.echo, state, todo)
    click.echo("")
    click.echo(batch.table(outcomes))
    sys.exit(batch.exit_status(outcomes))


def _options(args: BatchArgs, batch):
    """``batch.Options``; the codemod options, --unsafe-fixes and the engine's -j (cores over
    --jobs unless --jobs-per-repo) go through to each repository's run."""
    inner_jobs = args.jobs_per_repo or max(1, engine.default_jobs() // args.jobs)
    unsafe = ["--unsafe-fixes"] if args.unsafe_fixes else []
    extra = batch.passthrough(args.codemod_values) + unsafe + ["-j", str(inner_jobs)]
    return batch.Options(
        select=args.select,
        ignore=args.ignore,
        branch=args.branch,
        message=args.message,
        test_cmd=args.test_cmd,
        allow_dirty=args.allow_dirty,
        pr_body_dir=args.pr_body_dir,
        push=args.push,
        remote=args.remote,
        open_pr=args.open_pr,
        draft=args.draft,
        conflict=args.conflict,
        test_timeout=args.test_timeout,
        jobs=args.jobs,
        sleep=args.sleep,
        extra_args=tuple(extra),
    )
