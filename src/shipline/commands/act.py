"""`shipline act`: run the generated workflows on this machine with act, offline, without Docker."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TYPE_CHECKING

from shipline.context import Context
from shipline.errors import EXIT_GATE_FAILED, EXIT_OK, InputError

if TYPE_CHECKING:
    from shipline.localrun import Plan

HELP = "run the workflows locally with act: no Docker, no network"
EVENTS = ("push", "pull_request", "workflow_dispatch")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `shipline act`."""
    parser.add_argument("-W", "--workflow", metavar="WORKFLOW", help="a workflow file or folder (default: .github/workflows)")
    parser.add_argument("-j", "--job", metavar="JOB", help="run only this job (and nothing it needs)")
    parser.add_argument("--event", choices=EVENTS, default="push", help="the event to simulate (default: push)")
    parser.add_argument("--input", action="append", default=[], metavar="K=V", help="a workflow_dispatch input (repeatable)")
    parser.add_argument(
        "--secret",
        action="append",
        default=[],
        metavar="NAME[=VALUE]",
        help="a secret (repeatable); NAME alone takes the value of the environment variable NAME, keeping it out of the command line; never shown in logs",
    )
    parser.add_argument("--matrix", action="append", default=[], metavar="K=V", help="run only the matrix entries with this value, e.g. runtime=3.12 (repeatable): the versions installed here")
    parser.add_argument("--list", action="store_true", help="list the jobs and how they would run, run nothing")


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, val = value.partition("=")
        if not sep or not name.strip():
            raise InputError(f'{flag} "{value}": expected NAME=VALUE')
        out[name.strip()] = val
    return out


def _secrets(values: list[str], environ: Mapping[str, str]) -> dict[str, str]:
    """``--secret NAME=VALUE``, or ``--secret NAME`` with the value of the environment variable NAME."""
    named = [v for v in values if "=" not in v]
    out = _pairs([v for v in values if "=" in v], "--secret")
    for name in named:
        if not name.strip() or name.strip() not in environ:
            raise InputError(f'--secret "{name}": no environment variable {name.strip() or "NAME"} to take its value from; set it, or give --secret NAME=VALUE')
        out[name.strip()] = environ[name.strip()]
    return out


def _warn_of_missing_secrets(ctx: Context, plan: Plan, event: str, job: str | None, given: Mapping[str, str]) -> None:
    """Name the secrets the jobs to run read but were not given: act runs them with empty values."""
    for j in plan.found.jobs:
        missing = [name for name in j.secrets if name not in given]
        if missing and event in j.events and job in (None, j.id):
            flags = " ".join(f"--secret {name}" for name in missing)
            ctx.reporter.warning(f"job {j.id} reads {', '.join(missing)}, not given: act runs it with empty values; pass {flags} (each from the environment variable of that name)")


def _kit(ctx: Context, manifest: str) -> tuple[str, str]:
    """The kit repository the workflows name and the default branch, from the manifest when there is one."""
    from shipline.manifest import Kit

    if ctx.path(manifest).is_file():
        manifest_ = ctx.load_manifest(manifest)
        return manifest_.kit.repository, manifest_.pipeline.default_branch
    return Kit().repository, "main"


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Plan, report what act cannot do here, run, show jobs and steps; exit 0 or 1 by the result."""
    from shipline import localrun
    from shipline.localrun import present

    inputs = _pairs(args.input, "--input")
    secrets = _secrets(args.secret, ctx.environ)
    matrix: dict[str, list[str]] = {}
    for pair in args.matrix:  # one key may come several times
        for key, value in _pairs([pair], "--matrix").items():
            matrix.setdefault(key, []).append(value)
    for value in secrets.values():
        ctx.reporter.mask(value)
    kit_repository, branch = _kit(ctx, args.manifest)
    workflow = ctx.path(args.workflow) if args.workflow else None
    selected = {"event": args.event, "job": args.job} if not args.list else {}
    plan = localrun.prepare(ctx.cwd, workflow, kit_repository=kit_repository, display=ctx.display, **selected)
    if args.job and args.job not in {j.id for j in plan.found.jobs}:
        names = ", ".join(sorted({j.id for j in plan.found.jobs}))
        raise InputError(f'no job "{args.job}" in the workflows; expected one of: {names}')
    for problem in plan.unsupported:
        ctx.reporter.warning(problem.message, file=problem.file, line=problem.line, col=problem.col, title="act cannot run this here")
    if args.list:
        for problem in plan.mapping.unmapped:
            ctx.reporter.warning(problem.message, file=problem.file, line=problem.line, col=problem.col, title="cannot run offline")
        ctx.reporter.table(*present.jobs_table(plan))
        ctx.reporter.info(present.mapping_line(plan))
        ctx.reporter.result(jobs=[{"workflow": j.workflow, "id": j.id, "name": j.name, "needs": list(j.needs)} for j in plan.found.jobs])
        return EXIT_OK
    _warn_of_missing_secrets(ctx, plan, args.event, args.job, secrets)
    if args.event not in plan.found.events:
        ctx.reporter.warning(f"no workflow here runs on {args.event}; on: {', '.join(sorted(plan.found.events)) or 'nothing'}")
    ctx.reporter.info(present.mapping_line(plan))
    result = localrun.run(
        plan,
        event=args.event,
        job=args.job,
        inputs=inputs,
        secrets=secrets,
        default_branch=branch,
        environ=ctx.environ,
        matrix=matrix,
        on_job=lambda job: ctx.reporter.info(present.job_line(job)),
    )
    present.report(ctx.reporter, result)
    return EXIT_OK if result.ok else EXIT_GATE_FAILED
