"""`shipline dora`: the four keys of DORA from an environment's GitHub deployments."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING
import re
from datetime import datetime, timedelta, timezone

from shipline.context import Context
from shipline.errors import InputError

if TYPE_CHECKING:
    from shipline.github.dora import Report

HELP = "DORA metrics (deployment frequency, lead time, change failure rate, time to restore) from GitHub deployments and incidents"

_SPAN = re.compile(r"^(\d+)([hdw])$")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--repo, --env, --since, --until (--service: one service of a monorepo; --format markdown adds weekly charts)."""
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


def rows(report: Report) -> list[list[str]]:
    """One row per key: metric, value, band."""
    b = report.bands()
    rate = report.change_failure_rate
    unrestored = f", {report.unrestored} not restored yet" if report.unrestored else ""
    return [
        ["deployment frequency", f"{report.live} went live ({report.per_day:.2f}/day, {report.frequency_bucket})", b["deployment_frequency"] or "n/a"],
        ["lead time for changes", f"median {_duration(report.lead_time_median)}, p90 {_duration(report.lead_time_p90)}", b["lead_time"] or "n/a"],
        ["change failure rate", "n/a" if rate is None else f"{rate:.1%} ({report.failed_changes} of {report.live})", b["change_failure_rate"] or "n/a"],
        ["time to restore", f"median {_duration(report.time_to_restore_median)} ({len(report.restore_times)} restores{unrestored})", b["time_to_restore"] or "n/a"],
        ["failed before taking traffic", f"{report.pre_live_failures} (not production failures)", ""],
    ]


def _chart(title: str, axis: str, weeks: list[str], values: list[float], kind: str = "bar") -> str:
    """A mermaid xychart of one key, week by week (GitHub renders mermaid in Markdown)."""
    top = max([*values, 1.0])
    numbers = ", ".join(f"{v:g}" for v in values)
    labels = ", ".join(f'"{w}"' for w in weeks)
    return "\n".join(["```mermaid", "xychart-beta", f'    title "{title}"', f"    x-axis [{labels}]", f'    y-axis "{axis}" 0 --> {top * 1.1:.3g}', f"    {kind} [{numbers}]", "```"])


def trends(weekly: list[Report]) -> str:
    """The four keys week by week as charts; a week without data shows 0."""
    weeks = [w.since.strftime("%m-%d") for w in weekly]

    def hours(value: float | None) -> float:
        return round(value / 3600, 2) if value is not None else 0.0

    charts = [
        _chart("Deployments per week", "deployments", weeks, [float(w.live) for w in weekly]),
        _chart("Lead time for changes, weekly median (h)", "hours", weeks, [hours(w.lead_time_median) for w in weekly], "line"),
        _chart("Change failure rate per week (%)", "percent", weeks, [round(100 * (w.change_failure_rate or 0.0), 1) for w in weekly]),
        _chart("Time to restore, weekly median (h)", "hours", weeks, [hours(w.time_to_restore_median) for w in weekly], "line"),
    ]
    return "#### Weekly trends\n\n" + "\n\n".join(charts) + "\n"


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
    found = history.fetch(gh, args.env, since, until, args.service)
    report = dora.compute(found.deployments, since, until, found.incidents)
    weekly = dora.weekly(found.deployments, since, until, found.incidents)

    headers = ["metric", "value", "band"]
    who = f"{args.env} ({args.service})" if args.service else args.env
    title = f"DORA metrics: {gh.settings.repository} {who}, {since:%Y-%m-%d} to {until:%Y-%m-%d}"
    markdown = f"### {title}\n\n" + markdown_table(headers, rows(report)) + "\n" + trends(weekly)
    ctx.reporter.summary(markdown)
    ctx.reporter.info(title)
    ctx.reporter.table(headers, rows(report))
    ctx.reporter.result(
        repository=gh.settings.repository,
        environment=args.env,
        service=args.service,
        since=since.isoformat(),
        until=until.isoformat(),
        live=report.live,
        failed_changes=report.failed_changes,
        pre_live_failures=report.pre_live_failures,
        deployments_per_day=report.per_day,
        frequency_bucket=report.frequency_bucket,
        lead_times_seconds=report.lead_times,
        lead_time_median_seconds=report.lead_time_median,
        lead_time_p90_seconds=report.lead_time_p90,
        change_failure_rate=report.change_failure_rate,
        restore_times_seconds=report.restore_times,
        time_to_restore_median_seconds=report.time_to_restore_median,
        unrestored=report.unrestored,
        incidents=len(found.incidents),
        bands=report.bands(),
        weekly=[
            {
                "since": w.since.isoformat(),
                "live": w.live,
                "lead_time_median_seconds": w.lead_time_median,
                "change_failure_rate": w.change_failure_rate,
                "time_to_restore_median_seconds": w.time_to_restore_median,
            }
            for w in weekly
        ],
    )
    for name, value in report.bands().items():
        ctx.reporter.output(name.replace("_", "-"), value or "")
    return 0
