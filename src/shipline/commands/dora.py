"""`shipline dora`: the four keys of DORA from an environment's GitHub deployments."""

from __future__ import annotations

import argparse
import re
from datetime import datetime, timedelta, timezone

from shipline.context import Context
from shipline.errors import InputError

HELP = "DORA metrics (deployment frequency, lead time, change failure rate, time to restore) from GitHub deployments"

_SPAN = re.compile(r"^(\d+)([hdw])$")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--repo, --env, --since, --until (--format markdown prints a Markdown table)."""
    parser.add_argument("--repo", metavar="OWNER/NAME", help="the repository (default: $GITHUB_REPOSITORY)")
    parser.add_argument("--env", default="production", metavar="NAME", help="the deployment environment (default: production)")
    parser.add_argument("--since", default="30d", metavar="SPAN|DATE", help="start of the window: 30d, 12h, 2w or a date such as 2026-11-01 (default: 30d)")
    parser.add_argument("--until", default=None, metavar="DATE", help="end of the window (default: now)")


def parse_when(value: str, now: datetime, flag: str) -> datetime:
    """A span back from ``now`` (``30d``, ``12h``, ``2w``) or an ISO date/time, in UTC."""
    if m := _SPAN.match(value.strip()):
        return now - timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f'{flag} "{value}" is neither a span (30d, 12h, 2w) nor a date (2026-11-01 or 2026-11-01T09:00:00Z)') from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def rows(report) -> list[list[str]]:
    """One row per key: metric, value, band."""
    b = report.bands()
    rate = report.change_failure_rate
    return [
        ["deployment frequency", f"{report.successful} successful ({report.per_day:.2f}/day)", b["deployment_frequency"] or "n/a"],
        ["lead time for changes", f"median {_duration(report.lead_time_median)}, p90 {_duration(report.lead_time_p90)}", b["lead_time"] or "n/a"],
        ["change failure rate", "n/a" if rate is None else f"{rate:.1%} ({report.failed} of {report.successful + report.failed})", b["change_failure_rate"] or "n/a"],
        ["time to restore", f"median {_duration(report.time_to_restore_median)} ({len(report.restore_times)} restores)", b["time_to_restore"] or "n/a"],
    ]


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Fetch the history, compute the keys, report them."""
    from shipline.github import client, dora, history
    from shipline.report import markdown_table

    repository = client.check_repository(args.repo) if args.repo else None
    now = datetime.now(timezone.utc)
    until = parse_when(args.until, now, "--until") if args.until else now
    since = parse_when(args.since, until, "--since")
    if since >= until:
        raise InputError(f"--since ({since:%Y-%m-%d %H:%M}) must be before --until ({until:%Y-%m-%d %H:%M})")
    gh = client.require(ctx.environ, ctx.reporter, "`shipline dora`", repository)
    report = dora.compute(history.fetch(gh, args.env, since, until), since, until)

    headers = ["metric", "value", "band"]
    title = f"DORA metrics: {gh.settings.repository} {args.env}, {since:%Y-%m-%d} to {until:%Y-%m-%d}"
    markdown = f"### {title}\n\n" + markdown_table(headers, rows(report))
    ctx.reporter.summary(markdown)
    ctx.reporter.info(title)
    ctx.reporter.table(headers, rows(report))
    ctx.reporter.result(
        repository=gh.settings.repository,
        environment=args.env,
        since=since.isoformat(),
        until=until.isoformat(),
        deployments=report.deployments,
        successful=report.successful,
        failed=report.failed,
        deployments_per_day=report.per_day,
        lead_time_median_seconds=report.lead_time_median,
        lead_time_p90_seconds=report.lead_time_p90,
        change_failure_rate=report.change_failure_rate,
        time_to_restore_median_seconds=report.time_to_restore_median,
        restores=len(report.restore_times),
        bands=report.bands(),
    )
    for name, value in report.bands().items():
        ctx.reporter.output(name.replace("_", "-"), value or "")
    return 0
