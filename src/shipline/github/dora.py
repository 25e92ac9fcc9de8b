"""The four keys of DORA, computed from shipline's deployments and incident issues.

Definitions (sources in the README's "DORA metrics" section):

- **deployment frequency**: production deployments that went live (took traffic)
  in the window, per day, and Four Keys' bucket (daily, weekly, monthly, yearly);
- **lead time for changes**: from each commit to the moment the deployment that
  shipped it went live (median and p90, nearest rank);
- **change failure rate**: deployments that went live in the window and caused a
  failure (rolled back or failed after taking traffic, or named by an incident
  issue), over deployments that went live in the window;
- **time to restore**: for each such failure, from when it began (the failing
  deployment going live, or its incident opening if earlier, as Four Keys does) to
  the restore (the rollback, the incident's closing, or the next deployment going
  live, whichever comes first). A failure belongs to the window it began in; its
  restore is found wherever it falls. An incident issue tied to no deployment
  counts from its opening to its closing.

Deployments that failed before taking traffic are counted apart (``pre_live_failures``):
the pipeline stopped them, production never saw them.

Bands follow the Accelerate State of DevOps 2023 clusters, with the gaps between
them closed so that every figure falls in exactly one band (see `BANDS`).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

HOUR = 3600.0
DAY = 24 * HOUR
WEEK = 7 * DAY
MONTH = 30 * DAY

FAILED_STATES = ("failure", "error")

# metric -> [(band, limit)]: the first band whose test passes wins, else "low".
# Frequency is deployments per day (higher is better); the rest are "at most".
BANDS: dict[str, list[tuple[str, float]]] = {
    "deployment_frequency": [("elite", 1.0), ("high", 1 / 7), ("medium", 1 / 30)],
    "lead_time": [("elite", DAY), ("high", WEEK), ("medium", MONTH)],
    "change_failure_rate": [("elite", 0.05), ("high", 0.10), ("medium", 0.15)],
    "time_to_restore": [("elite", HOUR), ("high", DAY), ("medium", WEEK)],
}


@dataclass(frozen=True)
class Status:
    """One status a deployment went through."""

    state: str
    at: datetime
    description: str = ""


@dataclass(frozen=True)
class Deployment:
    """A deployment, its statuses (any order) and when each commit it shipped was made."""

    id: int
    sha: str
    created_at: datetime
    statuses: tuple[Status, ...]
    commit_times: tuple[datetime, ...] = ()
    service: str = ""

    @property
    def live_at(self) -> datetime | None:
        """When it went live and took traffic (its first success), or None if it never did."""
        times = [s.at for s in self.statuses if s.state == "success"]
        return min(times) if times else None

    @property
    def failed_live_at(self) -> datetime | None:
        """When it was rolled back or failed after going live (None if it never was)."""
        live = self.live_at
        if live is None:
            return None
        times = [s.at for s in self.statuses if s.state in FAILED_STATES and s.at >= live]
        return min(times) if times else None

    @property
    def failed_before_live(self) -> bool:
        """It failed without ever taking traffic."""
        return self.live_at is None and any(s.state in FAILED_STATES for s in self.statuses)


@dataclass(frozen=True)
class Incident:
    """An incident issue: opened, closed (or not yet), and the deployment that caused it, if named."""

    number: int
    opened: datetime
    closed: datetime | None = None
    deployment_id: int | None = None


@dataclass(frozen=True)
class Failure:
    """A failure in production: when it began, when service came back (None: not yet)."""

    began: datetime
    restored: datetime | None
    deployment_id: int | None = None
    incident: int | None = None

    @property
    def seconds(self) -> float | None:
        return (self.restored - self.began).total_seconds() if self.restored else None


@dataclass(frozen=True)
class Report:
    """The four keys and their bands over one window."""

    since: datetime
    until: datetime
    live: int  # production deployments that went live in the window
    failed_changes: int  # of those, the ones that caused a failure
    pre_live_failures: int  # failed before taking traffic: apart from the rate
    per_day: float
    frequency_bucket: str
    lead_times: list[float] = field(default_factory=list)  # seconds, one per change
    failures: list[Failure] = field(default_factory=list)  # begun in the window

    @property
    def restore_times(self) -> list[float]:
        return [f.seconds for f in self.failures if f.seconds is not None]

    @property
    def unrestored(self) -> int:
        return sum(1 for f in self.failures if f.restored is None)

    @property
    def lead_time_median(self) -> float | None:
        return statistics.median(self.lead_times) if self.lead_times else None

    @property
    def lead_time_p90(self) -> float | None:
        return percentile(self.lead_times, 0.9)

    @property
    def change_failure_rate(self) -> float | None:
        return self.failed_changes / self.live if self.live else None

    @property
    def time_to_restore_median(self) -> float | None:
        return statistics.median(self.restore_times) if self.restore_times else None

    def bands(self) -> dict[str, str | None]:
        """The band of each key; None where there is nothing to measure."""
        return {
            "deployment_frequency": band("deployment_frequency", self.per_day),
            "lead_time": band("lead_time", self.lead_time_median),
            "change_failure_rate": band("change_failure_rate", self.change_failure_rate),
            "time_to_restore": band("time_to_restore", self.time_to_restore_median),
        }


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least ``share`` of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


def band(metric: str, value: float | None) -> str | None:
    """``elite``, ``high``, ``medium`` or ``low`` for ``value`` of ``metric``."""
    if value is None:
        return None
    higher_is_better = metric == "deployment_frequency"
    for name, limit in BANDS[metric]:
        if (value >= limit) if higher_is_better else (value <= limit):
            return name
    return "low"


def buckets(start: datetime, end: datetime, span: timedelta) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` cut into spans of ``span`` from ``start`` (the last one may be shorter)."""
    out, at = [], start
    while at < end:
        out.append((at, min(at + span, end)))
        at += span
    return out


def frequency_bucket(live_times: list[datetime], since: datetime, until: datetime) -> str:
    """Four Keys' deployment frequency bucket.

    ``daily``: in the median week, deployments on at least 3 days; ``weekly``: the
    median week has a deployment; ``monthly``: the median 30 days have one; else ``yearly``.
    """
    weeks = buckets(since, until, timedelta(days=7))
    months = buckets(since, until, timedelta(days=30))
    days_per_week = [len({t.date() for t in live_times if a <= t < b}) for a, b in weeks]
    per_week = [sum(1 for t in live_times if a <= t < b) for a, b in weeks]
    per_month = [sum(1 for t in live_times if a <= t < b) for a, b in months]
    if days_per_week and statistics.median(days_per_week) >= 3:
        return "daily"
    if per_week and statistics.median(per_week) >= 1:
        return "weekly"
    if per_month and statistics.median(per_month) >= 1:
        return "monthly"
    return "yearly"


def _in(when: datetime | None, since: datetime, until: datetime) -> bool:
    return when is not None and since <= when < until


def failures(deployments: list[Deployment], incidents: list[Incident]) -> list[Failure]:
    """Every failure in production the history shows, whenever it began."""
    by_id = {d.id: d for d in deployments}
    tied: dict[int, list[Incident]] = {}
    for incident in incidents:
        if incident.deployment_id in by_id:
            tied.setdefault(incident.deployment_id, []).append(incident)
    out = []
    for d in deployments:
        live, failed = d.live_at, d.failed_live_at
        mine = tied.get(d.id, [])
        if live is None or (failed is None and not mine):
            continue
        began = min([live, *(i.opened for i in mine)])
        ends = [failed] if failed else []
        ends += [i.closed for i in mine if i.closed is not None]
        later = [o.live_at for o in deployments if o.service == d.service and o.live_at is not None and o.live_at > live]
        if later:
            ends.append(min(later))  # the next deployment going live restores service at the latest
        out.append(Failure(began, min(ends) if ends else None, d.id, mine[0].number if mine else None))
    out += [Failure(i.opened, i.closed, None, i.number) for i in incidents if i.deployment_id not in by_id]
    return out


def compute(deployments: list[Deployment], since: datetime, until: datetime, incidents: list[Incident] | None = None) -> Report:
    """The four keys of the window ``[since, until)`` from the whole history read for it."""
    incidents = incidents or []
    live = [d for d in deployments if _in(d.live_at, since, until)]
    caused = {i.deployment_id for i in incidents}
    failed_changes = [d for d in live if d.failed_live_at is not None or d.id in caused]
    lead_times = [(d.live_at - t).total_seconds() for d in live if d.live_at is not None for t in d.commit_times]
    days = max((until - since) / timedelta(days=1), 1e-9)
    live_times = [d.live_at for d in live if d.live_at is not None]
    return Report(
        since=since,
        until=until,
        live=len(live),
        failed_changes=len(failed_changes),
        pre_live_failures=sum(1 for d in deployments if d.failed_before_live and _in(d.created_at, since, until)),
        per_day=len(live) / days,
        frequency_bucket=frequency_bucket(live_times, since, until),
        lead_times=lead_times,
        failures=sorted((f for f in failures(deployments, incidents) if _in(f.began, since, until)), key=lambda f: f.began),
    )


def weekly(deployments: list[Deployment], since: datetime, until: datetime, incidents: list[Incident] | None = None) -> list[Report]:
    """The four keys of each week of the window, for the trend charts."""
    return [compute(deployments, a, b, incidents) for a, b in buckets(since, until, timedelta(days=7))]
