"""`shipline status --env NAME`: the live slot, its version, the last deploy and the history.

Exit 1 when users are not served: the live slot's process is gone, no longer holds
its port, or fails its health check (a bad or dead release: redeploy or roll back);
or the router sends no traffic to a healthy live slot (the router lost its state, as
haproxy does on a restart without a server-state-file: `shipline router sync`).
For an environment with ``hosts``, the same per host, read over SSH: each host's
router, slots and releases, and exit 1 as well when a host cannot be reached.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipline.context import Context
from shipline.errors import EXIT_GATE_FAILED, EXIT_OK

if TYPE_CHECKING:
    from shipline.deploy.inventory import Machine
    from shipline.deploy.paths import DeployPaths
    from shipline.deploy.state import State
    from shipline.manifest import Environment

HELP = "show an environment's live slot, version and deploy history"
HISTORY_ROWS = 10
HOST_HEADERS = ["host", "reachable", "router", "live", "blue", "green", "releases"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--env."""
    parser.add_argument("--env", required=True, metavar="NAME", help="the environment from the manifest")


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Read the state file (no lock needed: it is replaced atomically) and show it."""
    from shipline.commands.deploy import target

    _, env, cwd, paths = target(ctx, args)
    if env.hosts:
        return _hosts(ctx, env, cwd, paths)
    return _local(ctx, env, cwd, paths)


def _local(ctx: Context, env: Environment, cwd: Path, paths: DeployPaths) -> int:
    """This runner's own slots and router."""
    from shipline.deploy import inventory
    from shipline.deploy.routers import make_router
    from shipline.deploy.slots import Slots
    from shipline.deploy.state import StateStore

    state = StateStore(paths.state_dir, env.name).load()
    slots = Slots(env.deploy, paths.state_dir, env.name, cwd, ctx.environ)
    rows = inventory.slot_table(slots, check=[state.active] if state.active else [])
    weights, unreadable = inventory.router_weights(lambda: make_router(env.deploy.router, slots))
    machine = inventory.Machine("", None, rows, weights, unreadable)
    r = ctx.reporter
    _headline(ctx, env, state)
    r.info("slots: " + ", ".join(f"{c} {v or 'stopped'}" for c, v in inventory.running(rows).items()))
    r.info(f"router ({env.deploy.router.type}): " + inventory.describe_weights(weights, unreadable))
    troubles = _troubles(ctx, env, state, [machine])
    _history(ctx, env, state, "")
    kinds = {kind for kind, _ in troubles}
    live = machine.slot(state.active) if state.active else None
    r.result(
        slots=inventory.running(rows),
        router_weights=weights,
        serving=inventory.NOT_SERVING not in kinds,
        router_lost=inventory.ROUTER_LOST in kinds,
        problem=live.problem if live else None,
    )
    return EXIT_GATE_FAILED if troubles else EXIT_OK


def _hosts(ctx: Context, env: Environment, cwd: Path, paths: DeployPaths) -> int:
    """Every host's router, slots and releases, over SSH."""
    from shipline.deploy import inventory
    from shipline.deploy.hosts.ssh import KEY_ENV
    from shipline.deploy.hosts.status import inspect_hosts
    from shipline.report import markdown_table

    r = ctx.reporter
    r.mask(ctx.environ.get(KEY_ENV, ""))
    state, machines = inspect_hosts(env, cwd, ctx.environ, paths, check=True)
    _headline(ctx, env, state)
    rows = [_host_row(m, env.deploy.router.type) for m in machines]
    r.table(HOST_HEADERS, rows)
    troubles = _troubles(ctx, env, state, machines)
    _history(ctx, env, state, "\n\n" + markdown_table(HOST_HEADERS, rows))
    reached = [m for m in machines if not m.unreachable]
    kinds = {kind for kind, _ in troubles}
    r.result(
        slots=_agreed([inventory.running(m.slots) for m in reached]),
        router_weights=_agreed([m.weights for m in reached]),
        serving=not kinds & {inventory.UNREACHABLE, inventory.NOT_SERVING},
        router_lost=inventory.ROUTER_LOST in kinds,
        problem=troubles[0][1] if troubles else None,
        hosts=[m.to_json(state.active, state.version) for m in machines],
    )
    return EXIT_GATE_FAILED if troubles else EXIT_OK


def _troubles(ctx: Context, env: Environment, state: State, machines: list[Machine]) -> list[tuple[str, str]]:
    """An error per machine whose users are not served, with what to do; warnings of an unfinished run or of drifted weights."""
    from shipline.deploy import inventory

    fixes = {
        inventory.UNREACHABLE: f"; `shipline doctor --env {env.name}` says what to change",
        inventory.NOT_SERVING: f"; deploy a fixed version or `shipline rollback --env {env.name}`",
        inventory.ROUTER_LOST: f" (restarted without a server-state-file?); `shipline router sync --env {env.name}` restores it, no rollback needed",
    }
    r = ctx.reporter
    troubles = []
    for machine in machines:
        trouble = machine.trouble(state.active, state.version)
        if trouble is not None:
            troubles.append(trouble)
            r.error(trouble[1] + fixes[trouble[0]], title="shipline status")
    if state.pending and state.pending.interrupted:
        r.warning(f"an operation did not finish: {state.pending.describe()}; the next deploy or rollback converges from it")
        return troubles
    for machine in machines:
        weights = machine.weights
        if machine.trouble(state.active, state.version) is None and weights is not None and state.active and not inventory.sends_all_to(weights, state.active):
            where = f" on host {machine.name}" if machine.name else ""
            r.warning(
                f"the router{where} does not send all traffic to the live slot {state.active} ({', '.join(f'{c} {w}%' for c, w in weights.items())}); "
                "was it changed by hand? `shipline rollback` or the next deploy puts it back in step"
            )
    return troubles


def _agreed(values: list[Any]) -> Any:
    """The value every host reports, or None when they differ (or none was reached)."""
    return values[0] if values and all(v == values[0] for v in values) else None


def _host_row(machine: Machine, router: str) -> list[str]:
    from shipline.deploy import inventory

    if machine.unreachable:
        return [machine.name, "no: " + machine.unreachable, "", "", "", "", ""]
    cells = {row.color: row.describe() for row in machine.slots}
    releases = ", ".join(r.version + (f" ({r.role})" if r.role else "") for r in machine.releases) or "-"
    weights = f"{router}: {inventory.describe_weights(machine.weights, machine.weights_note)}"
    return [machine.name, "yes", weights, inventory.live_color(machine.weights) or "-", cells.get("blue", ""), cells.get("green", ""), releases]


def _headline(ctx: Context, env: Environment, state: State) -> None:
    ctx.reporter.info(f"environment {env.name}: live slot {state.active or '(none)'}, version {state.version or '(none)'}")


def _history(ctx: Context, env: Environment, state: State, more_summary: str) -> None:
    """The history table, outputs, job summary and the state's part of the JSON result."""
    from shipline.report import markdown_table

    r = ctx.reporter
    last = state.last
    rows = [[h.time, h.operation, h.version or "", h.color or "", h.result, h.reason] for h in state.history[-HISTORY_ROWS:]]
    headers = ["time", "operation", "version", "slot", "result", "reason"]
    if rows:
        r.table(headers, rows)
    r.output("active-color", state.active or "")
    r.output("version", state.version or "")
    r.output("result", last.result if last else "")
    r.output("reason", last.reason if last else "")
    r.summary(
        f"## {env.name}: {state.version or 'nothing'} live on {state.active or 'no slot'}"
        + more_summary
        + "\n\n"
        + (markdown_table(headers, rows) if rows else "")
    )
    r.result(environment=env.name, active_color=state.active, version=state.version, pending=state.to_json()["pending"], history=state.to_json()["history"])
