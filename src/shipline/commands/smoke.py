"""`shipline smoke`: HTTP checks against a running service, retried until a deadline."""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING

from shipline.context import Context
from shipline.errors import EXIT_GATE_FAILED, EXIT_OK, InputError

if TYPE_CHECKING:
    from shipline.smoke import SmokeReport

HELP = "run the smoke checks against a running service"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--base-url, --env, --checks, --junit, --deadline."""
    parser.add_argument("--base-url", metavar="URL", help="where the service answers (default: the --env environment's url)")
    parser.add_argument("--env", metavar="NAME", help="the environment whose url to check")
    parser.add_argument("--checks", metavar="FILE", help="a YAML list of checks instead of the manifest's smoke.checks")
    parser.add_argument("--junit", metavar="FILE", help="write the results as JUnit XML here")
    parser.add_argument("--deadline", metavar="SECONDS", help="give up retrying after this long (default: smoke.deadline)")


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Run the checks, report each, fail (exit 1) naming every check that did not pass."""
    from shipline import manifest as schema
    from shipline import smoke, validation
    from shipline.report import markdown_table

    manifest_path = ctx.path(args.manifest)
    service = None
    # with --checks the manifest is optional, so a laptop can smoke-test any URL
    if args.checks is None or manifest_path.exists():
        service = ctx.load_manifest(args.manifest).service(args.service)
    settings = service.smoke if service else schema.Smoke()
    if not settings.enabled and args.checks is None:
        ctx.reporter.info("smoke tests are disabled (smoke.enabled: false); nothing to check")
        ctx.reporter.output("passed", "0")
        ctx.reporter.output("failed", "0")
        ctx.reporter.output("junit-file", "")
        return EXIT_OK
    base_url = args.base_url
    environment = None
    if args.env:
        if service is None:
            raise InputError(f"--env {args.env} needs the manifest, and {ctx.display(manifest_path)} does not exist")
        environment = service.environment(args.env)
        base_url = base_url or environment.url
    if not base_url:
        raise InputError("say where the service is: --base-url URL, or --env NAME for an environment's url")
    if not base_url.startswith(("http://", "https://")):
        raise InputError(f'--base-url "{base_url}" must start with http:// or https://')
    deadline = settings.deadline
    if args.deadline is not None:
        try:
            # a bare number on the command line means seconds, as it does in the manifest
            value = float(args.deadline) if args.deadline.replace(".", "", 1).isdigit() else args.deadline
            deadline = schema.parse_duration(value)
        except ValueError as err:
            raise InputError(f"--deadline: {err}") from None
    checks = smoke.load_checks(ctx.path(args.checks), args.checks) if args.checks else list(settings.checks)
    if not checks:
        message = "there are no smoke checks: add smoke.checks to the manifest or pass --checks FILE"
        raise InputError(message) if args.checks else validation.error_at(settings, "checks", message)

    checks, secrets = smoke.expand_env(checks, ctx.environ)
    reporter = ctx.reporter
    for secret in secrets:
        reporter.mask(secret)
    # an environment on several servers is checked at its url and at each host's own url too
    hosts = {h.url: h.label for h in environment.hosts if h.url and h.url != base_url} if environment else {}
    against = base_url + (f" and on host(s) {', '.join(hosts.values())}" if hosts else "")
    with reporter.group(f"Smoke checks against {against}"):
        reports = smoke.run_everywhere([("", base_url), *((name, url) for url, name in hosts.items())], checks, deadline=deadline, retry_interval=settings.retry_interval)
        headers, rows = _table(reports, f"{args.env} url" if hosts else None)
        reporter.table(headers, rows)
    junit = ""
    if args.junit:
        junit_path = ctx.path(args.junit)
        smoke.write_junit(reports, junit_path)
        junit = ctx.display(junit_path)
    for rep in reports:
        for r in rep.failed:
            on = f" on host {rep.where}" if rep.where else ""
            reporter.error(f"{r.method} {r.url}: expected {r.expected}, got {r.got}", title=f"smoke check {r.name} failed{on}")
    passed, total = sum(len(rep.passed) for rep in reports), sum(len(rep.results) for rep in reports)
    ok = all(rep.ok for rep in reports)
    reporter.info(f"{passed} of {total} smoke checks passed against {against} in {max(rep.duration for rep in reports):.1f}s")
    reporter.summary(f"### Smoke checks {'passed' if ok else 'failed'}: {passed} of {total} against {against}\n\n" + markdown_table(headers, rows))
    reporter.output("passed", str(passed))
    reporter.output("failed", str(total - passed))
    reporter.output("junit-file", junit)
    reporter.result(
        base_url=base_url,
        passed=passed,
        failed=total - passed,
        junit_file=junit or None,
        checks=[dataclasses.asdict(r) for r in reports[0].results],
        hosts=[{"name": rep.where, "base_url": rep.base_url, "checks": [dataclasses.asdict(r) for r in rep.results]} for rep in reports[1:]],
    )
    return EXIT_OK if ok else EXIT_GATE_FAILED


def _table(reports: list[SmokeReport], url_label: str | None) -> tuple[tuple[str, ...], list[tuple[object, ...]]]:
    """Headers and a row per check of every report; with ``url_label``, a first column says where (that label for the environment's url, else the host)."""
    rows = [
        (
            *((rep.where or url_label,) if url_label else ()),
            r.name,
            "pass" if r.passed else "FAIL",
            r.expected,
            r.got,
            "-" if r.latency_ms is None else f"{r.latency_ms:.0f} ms",
            r.attempts,
        )
        for rep in reports
        for r in rep.results
    ]
    return (*(("where",) if url_label else ()), "check", "result", "expected", "got", "latency", "attempts"), rows
