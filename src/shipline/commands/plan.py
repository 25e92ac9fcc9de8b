"""`shipline plan`: which jobs would run and why, and each environment's time budget."""

from __future__ import annotations

import argparse
import dataclasses

from shipline.context import Context
from shipline.errors import EXIT_OK

HELP = "show which jobs would run for an event and why, and each environment's worst time to promote and to roll back"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--event`` and ``--changed``."""
    parser.add_argument("--event", choices=("push", "pull_request", "workflow_dispatch"), default="push", help="the event to plan for (default: push to the default branch)")
    parser.add_argument("--changed", nargs="+", metavar="PATH", default=None, help="paths the change touches (monorepos: decides which services run)")


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Print the plan as tables (or JSON)."""
    from shipline.generate import budget, planner

    manifest = ctx.load_manifest(args.manifest)
    name = ctx.path(args.manifest).name
    jobs = planner.plan_jobs(manifest, name, args.event, args.changed, ctx.path(args.manifest).parent)
    budgets = planner.budgets(manifest)
    what = {"pull_request": "a pull request", "push": f"a push to {manifest.pipeline.default_branch}"}.get(args.event, "a manual run (workflow_dispatch)")
    ctx.reporter.info(f"On {what}:")
    ctx.reporter.table(["job", "runs", "why"], [[j.job, "yes" if j.runs else "no", j.why] for j in jobs])
    rows = [[b.service, b.environment, b.strategy, b.steps, budget.human(b.promote), budget.human(b.rollback)] for b in budgets]
    if rows:
        ctx.reporter.info("")
        ctx.reporter.info("Time budget per deploy (worst case, from the analysis settings):")
        ctx.reporter.table(["service", "environment", "strategy", "steps", "promote", "roll back"], rows)
    ctx.reporter.result(
        event=args.event,
        jobs=[dataclasses.asdict(j) for j in jobs],
        budgets=[dataclasses.asdict(b) for b in budgets],
    )
    return EXIT_OK
