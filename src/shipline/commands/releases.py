"""`shipline releases --env NAME`: the releases kept on disk and which slot runs which."""

from __future__ import annotations

import argparse

from shipline.context import Context
from shipline.errors import EXIT_OK

HELP = "list an environment's kept releases and the slots running them"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--env."""
    parser.add_argument("--env", required=True, metavar="NAME", help="the environment from the manifest")


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Read the release directory, the state and the slots' pid files; change nothing."""
    from shipline.commands.deploy import target
    from shipline.deploy.releases import ReleaseStore
    from shipline.deploy.slots import Slots
    from shipline.deploy.state import COLORS, StateStore, now_iso

    _, env, cwd, paths = target(ctx, args)
    state = StateStore(paths.state_dir, env.name).load()
    slots = Slots(env.deploy, paths.state_dir, env.name, cwd, ctx.environ)
    running = {c: slots.running_version(c) for c in COLORS}
    previous = state.previous.version if state.previous else None
    rows, data = [], []
    for release in ReleaseStore(paths.releases_dir, cwd, env.deploy.artifact).list():
        on = [c for c, v in running.items() if v == release.version]
        role = "live" if release.version == state.version else "previous" if release.version == previous else ""
        rows.append([release.version, now_iso(release.made), role, ", ".join(on) or "-", str(release.path)])
        data.append({"version": release.version, "made": now_iso(release.made), "role": role or None, "slots": on, "path": str(release.path)})
    r = ctx.reporter
    r.info(f"environment {env.name}: {len(rows)} release(s) in {paths.releases_dir} (keep_releases {env.deploy.keep_releases})")
    if rows:
        r.table(["version", "unpacked", "role", "running on", "path"], rows)
    r.result(environment=env.name, releases_dir=str(paths.releases_dir), releases=data)
    return EXIT_OK
