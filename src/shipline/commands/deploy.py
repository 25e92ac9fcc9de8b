"""`shipline deploy --env NAME [--version V]`: blue-green or canary, with automatic rollback.

Outputs: active-color, version, result, reason. Exit 0 when promoted, 1 when rolled
back or the new version failed before taking traffic, 2 for bad input (including a
router whose config does not work, and a lock held past lock_timeout).

`listeners()` is the seam for anything that follows a deploy as it happens (GitHub
Deployments, incident issues): each gets every timeline event.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

from shipline.context import Context
from shipline.errors import EXIT_GATE_FAILED, EXIT_OK, InputError
from shipline.report import Reporter

if TYPE_CHECKING:  # the deploy machinery loads only when a command runs
    from shipline import manifest
    from shipline.deploy.engine import Engine
    from shipline.deploy.events import Event, Listener
    from shipline.deploy.paths import DeployPaths
    from shipline.deploy.result import DeployResult
    from shipline.deploy.state import Pending

HELP = "deploy a version to an environment (blue-green or canary), rolling back by itself"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--env and --version."""
    parser.add_argument("--env", required=True, metavar="NAME", help="the environment from the manifest")
    parser.add_argument("--version", default=None, metavar="V", help="the version to ship (default: the commit, $GITHUB_SHA or git HEAD)")


class LogListener:
    """Prints each event as it happens; warnings become annotations under GitHub."""

    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter
        self.start: float | None = None

    def on_event(self, event: Event) -> None:
        """One line per event, timed from the first one."""
        self.start = self.start or event.at
        if event.kind == "warning":
            self.reporter.warning(event.message, title="shipline deploy")
        else:
            self.reporter.info(f"[+{event.at - self.start:5.1f}s] {event.kind}: {event.message}")


def listeners(ctx: Context, args: argparse.Namespace, environment: manifest.Environment, service: str = "") -> list[Listener]:
    """Everyone who follows this run's events (``service``: the monorepo service, else empty)."""
    from shipline.github.listener import for_deploy

    return [LogListener(ctx.reporter), for_deploy(ctx.environ, ctx.reporter, environment, service)]


def _default_version(ctx: Context) -> str:
    sha = ctx.environ.get("GITHUB_SHA", "")
    if sha:
        return sha[:12]
    try:
        done = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ctx.cwd, capture_output=True, text=True, timeout=30)
    except OSError:
        done = None
    if done is not None and done.returncode == 0 and done.stdout.strip():
        return done.stdout.strip()
    raise InputError("no version to deploy: pass --version (or run inside a git checkout)")


def target(ctx: Context, args: argparse.Namespace) -> tuple[manifest.ServiceConfig, manifest.Environment, Path, DeployPaths]:
    """The service, the ``--env`` environment, the service directory and the environment's deploy paths."""
    from shipline.deploy.paths import deploy_paths

    loaded = ctx.load_manifest(args.manifest)
    service = loaded.service(args.service)
    environment = service.environment(args.env)
    cwd = ctx.path(service.path)
    project = f"{loaded.project.name}.{service.name}" if loaded.services else loaded.project.name
    return service, environment, cwd, deploy_paths(environment, project, cwd, ctx.environ)


def engine(ctx: Context, args: argparse.Namespace, follow: bool = True) -> Engine:
    """The deploy engine for ``--env``, from the manifest (exit 2 on a corrupt state file, before anything changes).

    ``follow``: GitHub listeners too (deploy, rollback), or only the log (operator commands).
    """
    from shipline.deploy.engine import Engine

    service, environment, cwd, paths = target(ctx, args)
    if environment.hosts:  # the deploy key never shows, whatever a host or ssh prints
        from shipline.deploy.hosts.ssh import KEY_ENV

        ctx.reporter.mask(ctx.environ.get(KEY_ENV, ""))
    monorepo_service = service.name if len(ctx.load_manifest(args.manifest).resolved_services()) > 1 else ""
    followers: list[Listener] = listeners(ctx, args, environment, monorepo_service) if follow else [LogListener(ctx.reporter)]
    deployer = Engine(environment, service.smoke, cwd, ctx.environ, paths, followers)
    if environment.hosts:  # the SSH connections close with the command
        ctx.cleanup.callback(deployer.fleet.close)
    return deployer


def report_result(ctx: Context, result: DeployResult, analysis: manifest.Analysis | None) -> int:
    """Outputs, job summary and JSON for a deploy or rollback; the exit code."""
    from shipline.deploy import summary

    r = ctx.reporter
    r.output("active-color", result.active_color or "")
    r.output("version", result.active_version or "")
    r.output("result", result.result)
    r.output("reason", result.reason)
    r.summary(summary.markdown(result, analysis))
    r.result(**result.to_json())
    if result.ok:
        r.info(f"{result.operation} {result.result}: {result.active_version} live on {result.active_color}")
        return EXIT_OK
    r.error(result.reason, title=f"{result.operation} {result.result}")
    return EXIT_GATE_FAILED


def background(ctx: Context, args: argparse.Namespace, deployer: Engine, name: str, *command: str) -> Path:
    """Start ``shipline COMMAND --env E`` detached from this job (its own session), logging beside the state; the log."""
    import sys

    argv = [sys.executable, "-m", "shipline", *command, "--env", args.env, "-m", str(ctx.path(args.manifest))]
    if args.service:
        argv += ["--service", args.service]
    log = deployer.store.dir / f"{args.env}.{name}.log"
    env = deployer.slots.base_env()  # where the state lives, and nothing secret
    env.update({k: v for k, v in ctx.environ.items() if k in ("XDG_STATE_HOME", "SHIPLINE_STATE_HOME", "PYTHONPATH")})
    if deployer.environment.hosts:  # it reaches the hosts over SSH with the run's own key, for as long as it lives
        from shipline.deploy.hosts.ssh import KEY_ENV, KNOWN_HOSTS_ENV

        env.update({k: v for k, v in ctx.environ.items() if k in (KEY_ENV, KNOWN_HOSTS_ENV)})
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        subprocess.Popen(argv, cwd=ctx.cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return log


def retire_in_background(ctx: Context, args: argparse.Namespace, deployer: Engine) -> None:
    """Start `shipline stop --retired` detached, to stop the kept old slot when ``keep_previous_for`` is up."""
    pending = deployer.state.pending
    if pending is None or pending.op != "retire":
        return
    log = background(ctx, args, deployer, "retire", "stop", "--retired", "--after", f"{max(0.0, (pending.after or 0) - time.time()):.3f}")
    deployer.timeline.emit("keep", f"the old {pending.color} slot stops in the background in {deployer.deploy.keep_previous_for:g}s (log: {log})", color=pending.color)


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Deploy and report; a kept old slot is retired in the background, not by this job."""
    from shipline.deploy.providers.prometheus import preflight

    version = args.version or _default_version(ctx)
    deployer = engine(ctx, args)
    preflight(deployer.provider)  # a bad query or an unreachable Prometheus stops the deploy before traffic moves

    def watchdog(pending: Pending) -> None:
        # should this run die (SIGKILL, a lost runner), traffic returns to the stable slot after progress_deadline
        background(ctx, args, deployer, "watchdog", "rollback", "--watch", repr(pending.started))

    deployer.watchdog = watchdog
    result = deployer.run_deploy(version)
    if result.ok and deployer.deploy.keep_previous_for > 0:
        retire_in_background(ctx, args, deployer)
    return report_result(ctx, result, deployer.analysis)
