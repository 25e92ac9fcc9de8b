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

from shipline.context import Context
from shipline.errors import EXIT_GATE_FAILED, EXIT_OK, InputError

HELP = "deploy a version to an environment (blue-green or canary), rolling back by itself"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--env and --version."""
    parser.add_argument("--env", required=True, metavar="NAME", help="the environment from the manifest")
    parser.add_argument("--version", default=None, metavar="V", help="the version to ship (default: the commit, $GITHUB_SHA or git HEAD)")


class LogListener:
    """Prints each event as it happens; warnings become annotations under GitHub."""

    def __init__(self, reporter):
        self.reporter = reporter
        self.start: float | None = None

    def on_event(self, event) -> None:
        """One line per event, timed from the first one."""
        self.start = self.start or event.at
        if event.kind == "warning":
            self.reporter.warning(event.message, title="shipline deploy")
        else:
            self.reporter.info(f"[+{event.at - self.start:5.1f}s] {event.kind}: {event.message}")


def listeners(ctx: Context, args: argparse.Namespace, environment, service: str = "") -> list:
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


def engine(ctx: Context, args: argparse.Namespace):
    """The deploy engine for ``--env``, from the manifest."""
    from shipline.deploy.engine import Engine

    manifest = ctx.load_manifest(args.manifest)
    service = manifest.service(args.service)
    environment = service.environment(args.env)
    monorepo_service = service.name if len(manifest.resolved_services()) > 1 else ""
    return Engine(environment, service.smoke, ctx.path(service.path), ctx.environ, listeners(ctx, args, environment, monorepo_service))


def report_result(ctx: Context, result, analysis) -> int:
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


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Deploy and report."""
    from shipline.deploy.providers.prometheus import preflight

    version = args.version or _default_version(ctx)
    deployer = engine(ctx, args)
    preflight(deployer.provider)  # a bad query or an unreachable Prometheus stops the deploy before traffic moves
    return report_result(ctx, deployer.run_deploy(version), deployer.analysis)
