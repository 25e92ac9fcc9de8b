"""`shipline abort --env NAME`: stop the running deploy and put all traffic back on the stable slot.

Argo Rollouts' abort: the running deploy sees the request between measurements (or
in a pause), routes every request back to the stable slot, stops the new one and
ends as rolled back. Exit 2 when no deploy is running.
"""

from __future__ import annotations

import argparse

from shipline.context import Context
from shipline.errors import EXIT_OK, InputError

HELP = "abort the running deploy of an environment: traffic back on the stable slot"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--env."""
    parser.add_argument("--env", required=True, metavar="NAME", help="the environment from the manifest")


def request(ctx: Context, args: argparse.Namespace, action: str) -> int:
    """Leave ``action`` for the deploy running on ``--env``; exit 2 when none runs."""
    from shipline import processes
    from shipline.commands.deploy import target
    from shipline.deploy.controls import Controls, operator
    from shipline.deploy.state import StateStore

    _, env, _, paths = target(ctx, args)
    pending = StateStore(paths.state_dir, env.name).load().pending
    if pending is None or pending.op != "deploy" or not pending.pid or not processes.proc_stat(pending.pid):
        raise InputError(f'environment "{env.name}" has no deploy running to {action.split("-")[0]}')
    req = Controls(paths.state_dir, env.name).request(action, operator())
    ctx.reporter.info(f"asked the deploy of {pending.version} (pid {pending.pid}, {pending.phase}) to {action.replace('-full', ' --full')}")
    ctx.reporter.result(environment=env.name, action=action, version=pending.version, pid=pending.pid, phase=pending.phase, at=req.at)
    return EXIT_OK


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Ask the running deploy to abort."""
    return request(ctx, args, "abort")
