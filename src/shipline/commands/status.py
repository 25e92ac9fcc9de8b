"""`shipline status --env NAME`: the live slot, its version, the last deploy and the history.

Exit 1 when users are not served: the live slot's process is gone, no longer holds
its port, or fails its health check (a bad or dead release: redeploy or roll back);
or the router sends no traffic to a healthy live slot (the router lost its state, as
haproxy does on a restart without a server-state-file: `shipline router sync`).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from shipline.context import Context
from shipline.errors import EXIT_GATE_FAILED, EXIT_OK

if TYPE_CHECKING:
    from shipline.deploy.slots import Slots
    from shipline.manifest import Environment

HELP = "show an environment's live slot, version and deploy history"
HISTORY_ROWS = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--env."""
    parser.add_argument("--env", required=True, metavar="NAME", help="the environment from the manifest")


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Read the state file (no lock needed: it is replaced atomically) and show it."""
    from shipline.commands.deploy import target
    from shipline.deploy.slots import Slots
    from shipline.deploy.state import StateStore
    from shipline.report import markdown_table

    _, env, cwd, paths = target(ctx, args)
    state = StateStore(paths.state_dir, env.name).load()
    slots = Slots(env.deploy, paths.state_dir, env.name, cwd, ctx.environ)
    last = state.last
    r = ctx.reporter
    r.info(f"environment {env.name}: live slot {state.active or '(none)'}, version {state.version or '(none)'}")
    running = {c: slots.running_version(c) for c in ("blue", "green")}
    r.info("slots: " + ", ".join(f"{c} {v or 'stopped'}" for c, v in running.items()))
    weights, unreadable = _router_weights(env, slots)
    r.info(f"router ({env.deploy.router.type}): " + (", ".join(f"{c} {w}%" for c, w in weights.items()) if weights is not None else unreadable or ""))
    serving = _serving_problem(env, slots, state.active) if state.active else None
    lost = not serving and state.active is not None and weights is not None and not weights.get(state.active)
    if serving:
        r.error(f"the live {state.active} slot ({state.version}) does not serve: {serving}; deploy a fixed version or `shipline rollback --env {env.name}`", title="shipline status")
    elif lost:
        r.error(
            f"the router sends no traffic to the live {state.active} slot ({state.version}), which is healthy: the router lost its state "
            f"(restarted without a server-state-file?); `shipline router sync --env {env.name}` restores it, no rollback needed",
            title="shipline status",
        )
    if state.pending and state.pending.interrupted:
        r.warning(f"an operation did not finish: {state.pending.describe()}; the next deploy or rollback converges from it")
    elif not lost and weights is not None and state.active and not _all_to(weights, state.active):
        r.warning(
            f"the router does not send all traffic to the live slot {state.active} ({', '.join(f'{c} {w}%' for c, w in weights.items())}); "
            "was it changed by hand? `shipline rollback` or the next deploy puts it back in step"
        )
    rows = [[h.time, h.operation, h.version or "", h.color or "", h.result, h.reason] for h in state.history[-HISTORY_ROWS:]]
    headers = ["time", "operation", "version", "slot", "result", "reason"]
    if rows:
        r.table(headers, rows)
    r.output("active-color", state.active or "")
    r.output("version", state.version or "")
    r.output("result", last.result if last else "")
    r.output("reason", last.reason if last else "")
    r.summary(f"## {env.name}: {state.version or 'nothing'} live on {state.active or 'no slot'}\n\n" + (markdown_table(headers, rows) if rows else ""))
    pending = state.to_json()["pending"]
    r.result(
        environment=env.name, active_color=state.active, version=state.version, pending=pending, slots=running, router_weights=weights,
        serving=serving is None, router_lost=lost, problem=serving, history=state.to_json()["history"],
    )
    return EXIT_GATE_FAILED if serving or lost else EXIT_OK


def _serving_problem(env: Environment, slots: Slots, color: str) -> str | None:
    """Why the live slot does not serve, or None: its own process holds its port and answers the health check."""
    from shipline.deploy.health import wait_healthy

    problem = slots.serving_problem(color)
    if problem:
        return problem
    health = wait_healthy(slots.health_url(color), timeout=2.0)
    return None if health.ok else health.reason


def _all_to(weights: dict[str, int], color: str) -> bool:
    """Whether ``weights`` (relative, as haproxy's are) send every request to ``color``."""
    return weights.get(color, 0) > 0 and all(w == 0 for c, w in weights.items() if c != color)


def _router_weights(env: Environment, slots: Slots) -> tuple[dict[str, int] | None, str | None]:
    """The weights the router applies now, or why they cannot be read."""
    from shipline.deploy.routers import make_router
    from shipline.deploy.routers.base import RouterError

    try:
        weights = make_router(env.deploy.router, slots).current()
    except (RouterError, OSError) as err:
        return None, f"unreadable ({err})"
    return (weights, None) if weights is not None else (None, "cannot report its weights")
