"""`shipline status --env NAME`: the live slot, its version, the last deploy and the history."""

from __future__ import annotations

import argparse

from shipline.context import Context
from shipline.errors import EXIT_OK

HELP = "show an environment's live slot, version and deploy history"
HISTORY_ROWS = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--env."""
    parser.add_argument("--env", required=True, metavar="NAME", help="the environment from the manifest")


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Read the state file (no lock needed: it is replaced atomically) and show it."""
    from shipline.deploy.slots import Slots
    from shipline.deploy.state import StateStore
    from shipline.report import markdown_table

    service = ctx.load_manifest(args.manifest).service(args.service)
    env = service.environment(args.env)
    cwd = ctx.path(service.path)
    state_dir = cwd / env.deploy.state_dir
    state = StateStore(state_dir, env.name).load()
    slots = Slots(env.deploy, state_dir, env.name, cwd, ctx.environ)
    last = state.last or {}
    r = ctx.reporter
    r.info(f"environment {env.name}: live slot {state.active or '(none)'}, version {state.version or '(none)'}")
    running = {c: slots.running_version(c) for c in ("blue", "green")}
    r.info("slots: " + ", ".join(f"{c} {v or 'stopped'}" for c, v in running.items()))
    weights, unreadable = _router_weights(env, slots)
    r.info(f"router ({env.deploy.router.type}): " + (unreadable or ", ".join(f"{c} {w}%" for c, w in weights.items())))
    if state.pending:
        r.warning(f"an operation did not finish: {state.pending}; the next deploy or rollback converges from it")
    elif weights is not None and state.active and not _all_to(weights, state.active):
        r.warning(
            f"the router does not send all traffic to the live slot {state.active} ({', '.join(f'{c} {w}%' for c, w in weights.items())}); "
            "was it changed by hand? `shipline rollback` or the next deploy puts it back in step"
        )
    rows = [[h.get("time", ""), h.get("operation", ""), h.get("version", ""), h.get("color", ""), h.get("result", ""), h.get("reason", "")] for h in state.history[-HISTORY_ROWS:]]
    headers = ["time", "operation", "version", "slot", "result", "reason"]
    if rows:
        r.table(headers, rows)
    r.output("active-color", state.active or "")
    r.output("version", state.version or "")
    r.output("result", last.get("result", ""))
    r.output("reason", last.get("reason", ""))
    r.summary(f"## {env.name}: {state.version or 'nothing'} live on {state.active or 'no slot'}\n\n" + (markdown_table(headers, rows) if rows else ""))
    r.result(environment=env.name, active_color=state.active, version=state.version, pending=state.pending, slots=running, router_weights=weights, history=state.history)
    return EXIT_OK


def _all_to(weights: dict[str, int], color: str) -> bool:
    """Whether ``weights`` (relative, as haproxy's are) send every request to ``color``."""
    return weights.get(color, 0) > 0 and all(w == 0 for c, w in weights.items() if c != color)


def _router_weights(env, slots) -> tuple[dict[str, int] | None, str | None]:
    """The weights the router applies now, or why they cannot be read."""
    from shipline.deploy.routers import make_router
    from shipline.deploy.routers.base import RouterError

    try:
        weights = make_router(env.deploy.router, slots).current()
    except (RouterError, OSError) as err:
        return None, f"unreadable ({err})"
    return (weights, None) if weights is not None else (None, "cannot report its weights")
