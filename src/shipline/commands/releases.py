"""`shipline releases --env NAME`: the releases kept on disk and which slot runs which.

For an environment with ``hosts``: the releases each host keeps, read over SSH (exit 1
when a host cannot be reached, naming it), besides any the runner still has.
"""

from __future__ import annotations

import argparse

from shipline.context import Context
from shipline.errors import EXIT_GATE_FAILED, EXIT_OK

HELP = "list an environment's kept releases and the slots running them"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--env."""
    parser.add_argument("--env", required=True, metavar="NAME", help="the environment from the manifest")


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Read the release directories, the state and the slots' pid files; change nothing."""
    from shipline.commands.deploy import target
    from shipline.deploy import inventory
    from shipline.deploy.releases import ReleaseStore
    from shipline.deploy.slots import Slots
    from shipline.deploy.state import StateStore

    _, env, cwd, paths = target(ctx, args)
    r = ctx.reporter
    if env.hosts:
        from shipline.deploy.hosts.ssh import KEY_ENV
        from shipline.deploy.hosts.status import inspect_hosts

        r.mask(ctx.environ.get(KEY_ENV, ""))
        state, machines = inspect_hosts(env, cwd, ctx.environ, paths, check=False)
        runner_slots: list[inventory.SlotRow] = []  # the slots run on the hosts
    else:
        state = StateStore(paths.state_dir, env.name).load()
        runner_slots = inventory.slot_table(Slots(env.deploy, paths.state_dir, env.name, cwd, ctx.environ))
        machines = []
    local = ReleaseStore(paths.releases_dir, cwd, env.deploy.artifact).list()
    rows = inventory.release_rows(local, runner_slots, state)
    if rows or not env.hosts:
        r.info(f"environment {env.name}: {len(rows)} release(s) in {paths.releases_dir} (keep_releases {env.deploy.keep_releases})")
        if rows:
            r.table(inventory.RELEASE_HEADERS, [row.cells() for row in rows])
    for machine in machines:
        if machine.unreachable:
            r.error(f"host {machine.name} is unreachable, so its releases are unknown: {machine.unreachable}", title="shipline releases")
            continue
        r.info(f"host {machine.name}: {len(machine.releases)} release(s)")
        if machine.releases:
            r.table(inventory.RELEASE_HEADERS, [row.cells() for row in machine.releases])
    r.result(environment=env.name, releases_dir=str(paths.releases_dir), releases=[row.to_json() for row in rows])
    if env.hosts:
        r.result(
            hosts=[
                {"host": m.name, "reachable": m.unreachable is None, "unreachable": m.unreachable, "releases": [x.to_json() for x in m.releases]}
                for m in machines
            ]
        )
    return EXIT_GATE_FAILED if any(m.unreachable for m in machines) else EXIT_OK
