"""`shipline stop --env NAME`: stop both slots of an environment.

The state keeps which version was live, so `status` reports it as not serving and the
next deploy or rollback starts it again from its release. The router is left alone.

`--retired [--after SECONDS]` stops only the old slot a promotion kept
(``keep_previous_for``), once its time is up: what a promoted deploy starts in the
background instead of holding its job and the environment's lock.
"""

from __future__ import annotations

import argparse

from shipline.context import Context
from shipline.errors import EXIT_OK

HELP = "stop an environment's blue and green slots"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--env."""
    parser.add_argument("--env", required=True, metavar="NAME", help="the environment from the manifest")
    parser.add_argument("--retired", action="store_true", help="stop only the old slot kept after a promotion, once keep_previous_for has passed")
    parser.add_argument("--after", type=float, default=0.0, metavar="SECONDS", help="with --retired: wait this long first")


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Stop the slots under the environment's lock."""
    import time

    from shipline.commands.deploy import engine

    if args.retired:
        time.sleep(max(0.0, args.after))
        retired = engine(ctx, args, follow=False).run_retire()
        ctx.reporter.result(environment=args.env, stopped=[retired] if retired else [])
        return EXIT_OK
    stopped = engine(ctx, args, follow=False).run_stop()
    ctx.reporter.info(f"environment {args.env}: stopped {', '.join(stopped) or 'nothing (no slot was running)'}")
    ctx.reporter.result(environment=args.env, stopped=stopped)
    return EXIT_OK
