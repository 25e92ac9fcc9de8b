"""`shipline stop --env NAME`: stop both slots of an environment.

The state keeps which version was live, so `status` reports it as not serving and the
next deploy or rollback starts it again from its release. The router is left alone.
"""

from __future__ import annotations

import argparse

from shipline.context import Context
from shipline.errors import EXIT_OK

HELP = "stop an environment's blue and green slots"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--env."""
    parser.add_argument("--env", required=True, metavar="NAME", help="the environment from the manifest")


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Stop the slots under the environment's lock."""
    from shipline.commands.deploy import engine

    stopped = engine(ctx, args, follow=False).run_stop()
    ctx.reporter.info(f"environment {args.env}: stopped {', '.join(stopped) or 'nothing (no slot was running)'}")
    ctx.reporter.result(environment=args.env, stopped=stopped)
    return EXIT_OK
