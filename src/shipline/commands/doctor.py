"""`shipline doctor --env NAME`: can this runner deploy there, and if not, what to change.

Checks, on this machine or on every host over SSH: the deploy user, the state and
releases directories, the router's socket, file or hooks and their permissions, the
slots' ports (free or held by the slots), SSH reachability. Exit 1 when a check fails.
"""

from __future__ import annotations

import argparse

from shipline.context import Context
from shipline.errors import EXIT_GATE_FAILED, EXIT_OK

HELP = "check that this runner (or the environment's hosts) can deploy an environment, and say what to change"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--env."""
    parser.add_argument("--env", required=True, metavar="NAME", help="the environment from the manifest")


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Run the checks and report each, with the fix for those that fail."""
    from shipline.commands.deploy import target
    from shipline.deploy.doctor import local_checks, runner_checks

    _, environment, cwd, paths = target(ctx, args)
    r = ctx.reporter
    if environment.hosts:
        from shipline.deploy.hosts.doctor import host_checks
        from shipline.deploy.hosts.ssh import KEY_ENV

        r.mask(ctx.environ.get(KEY_ENV, ""))
        checks = runner_checks(paths) + host_checks(environment, cwd, ctx.environ)
    else:
        checks = local_checks(environment, paths, cwd, ctx.environ)
    for check in checks:
        r.info(f"{'ok  ' if check.ok else 'FAIL'} {check.subject}: {check.detail}")
        if not check.ok:
            r.error(f"{check.subject}: {check.detail}; {check.fix}", title="shipline doctor")
    failed = [c for c in checks if not c.ok]
    r.info(f"environment {environment.name}: {len(checks) - len(failed)} of {len(checks)} checks passed")
    r.result(environment=environment.name, ok=not failed, checks=[c.to_json() for c in checks])
    return EXIT_GATE_FAILED if failed else EXIT_OK

