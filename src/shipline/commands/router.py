"""`shipline router sync --env NAME`: give a router that lost its state the recorded weights.

After a haproxy restart without a server-state-file (or an nginx include put back by
hand), users may get errors while the live version is perfectly healthy. `sync`
sends all traffic to the live slot the state records; it starts, stops and rolls back
nothing.
"""

from __future__ import annotations

import argparse

from shipline.context import Context
from shipline.errors import EXIT_OK

HELP = "re-apply the recorded traffic weights to an environment's router (router sync)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The action (sync) and --env."""
    parser.add_argument("action", choices=["sync"], help="sync: re-apply the weights the state records")
    parser.add_argument("--env", required=True, metavar="NAME", help="the environment from the manifest")


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Apply the state's weights under the environment's lock."""
    from shipline.commands.deploy import engine

    deployer = engine(ctx, args, follow=False)
    weights = deployer.run_sync()
    ctx.reporter.result(environment=args.env, active_color=deployer.state.active, version=deployer.state.version, router_weights=weights)
    return EXIT_OK
