"""`shipline build`: build the project, output its artifacts, their digests and the version."""

from __future__ import annotations

import argparse
import subprocess

from shipline.context import Context
from shipline.errors import EXIT_GATE_FAILED, EXIT_OK

# the child writes straight to our stderr (a file descriptor, whatever sys.stderr is)
STDERR_FD = 2

HELP = "build the project; output artifacts, sha256 digests and the version"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--version."""
    parser.add_argument("--version", metavar="V", help="the version to build (default: pyproject.toml, package.json or git describe)")


def _commit_sha(ctx: Context) -> str:
    """GITHUB_SHA under Actions, else the checkout's HEAD, else empty."""
    if ctx.environ.get("GITHUB_SHA"):
        return ctx.environ["GITHUB_SHA"]
    try:
        proc = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ctx.cwd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Build, then report the artifacts as outputs, a table and the job summary."""
    from shipline import build, validation
    from shipline.report import markdown_table
    from shipline.runtime import project_python

    service = ctx.load_manifest(args.manifest).service(args.service)
    cwd = ctx.path(service.project.working_directory)
    if not cwd.is_dir():
        raise validation.error_at(service.project, "working_directory", f'project.working_directory "{service.project.working_directory}" is not a directory')
    version = build.resolve_version(args.version, cwd, service.project.language)
    spec = build.Spec(service.project, service.build, cwd, version, _commit_sha(ctx), project_python(ctx.environ))
    reporter = ctx.reporter
    try:
        with reporter.group(f"Build {service.name} {version} ({service.project.language})"):
            # in JSON mode stdout carries only the JSON document, so the build talks on stderr
            result = build.run(spec, env=ctx.environ, stdout=STDERR_FD if reporter.format == "json" else None)
    except build.BuildFailed as failed:
        reporter.error(str(failed), title="build failed")
        reporter.summary(f"### Build failed: {service.name} {version}\n\n`{failed.command}` exited with code {failed.returncode}.")
        reporter.result(version=version, failed_command=failed.command, returncode=failed.returncode)
        return EXIT_GATE_FAILED

    rows = [(a.path, "-" if a.size is None else f"{a.size:,} B", a.sha256 or "-") for a in result.artifacts]
    headers = ("artifact", "size", "sha256")
    if rows:
        reporter.table(headers, rows)
    else:
        reporter.info("no artifacts (declare them with build.artifacts in the manifest)")
    reporter.info(f"built {service.name} {version} in {result.seconds:.1f}s")
    summary = f"### Built {service.name} {version}\n\n" + "\n".join(f"- `{c}`" for c in result.commands) + "\n\n"
    summary += markdown_table(headers, rows) if rows else "No artifacts declared.\n"
    reporter.summary(summary)
    paths = [a.path for a in result.artifacts]
    digests = {a.path: a.sha256 for a in result.artifacts if a.sha256}
    reporter.output("artifacts", paths)
    reporter.output("digests", digests)
    reporter.output("version", version)
    reporter.result(version=version, artifacts=paths, digests=digests, commands=result.commands)
    return EXIT_OK
