"""`shipline rollback --env NAME [--reason TEXT]`: put the previous version back.

Undoes an interrupted deploy if there is one, else switches traffic to the previous
slot (restarting the previous version there if it was stopped) and runs the
on_rollback hooks. Outputs: active-color, version (and result, reason).
"""

from __future__ import annotations

import argparse

from shipline.commands.deploy import engine, report_result
from shipline.context import Context
from shipline.errors import EXIT_OK

HELP = "roll an environment back to its previous version"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--env and --reason."""
    parser.add_argument("--env", required=True, metavar="NAME", help="the environment from the manifest")
    parser.add_argument("--reason", default="manual rollback", metavar="TEXT", help="why, for the history and the hooks")
    parser.add_argument(
        "--watch", type=float, default=None, metavar="STARTED",
        help="watchdog of the deploy that started at STARTED: recover only if its process dies and it makes no progress for progress_deadline",
    )


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Roll back and report."""
    deployer = engine(ctx, args)
    if args.watch is not None:
        recovered = deployer.run_watch(args.watch)
        ctx.reporter.result(environment=args.env, recovered=recovered, active_color=deployer.state.active, version=deployer.state.version)
        return EXIT_OK
    return report_result(ctx, deployer.run_rollback(args.reason), deployer.analysis)
