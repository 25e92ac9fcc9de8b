"""`shipline promote --env NAME [--full]`: move the running deploy on.

Argo Rollouts' promote: ends the current pause (a ``pause`` step, or a pause for
inconclusive measurements) or the current step's analysis, as passed; ``--full``
skips every remaining step and analysis and promotes now. Exit 2 when no deploy is
running.
"""

from __future__ import annotations

import argparse

from shipline.commands.abort import request
from shipline.context import Context

HELP = "promote the running deploy of an environment past its current pause or step (--full: all of them)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--env and --full."""
    parser.add_argument("--env", required=True, metavar="NAME", help="the environment from the manifest")
    parser.add_argument("--full", action="store_true", help="skip every remaining step and analysis")


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Ask the running deploy to promote."""
    return request(ctx, args, "promote-full" if args.full else "promote")
