"""The four keys of DORA, computed from a history of deployments.

- deployment frequency: successful deployments per day over the window;
- lead time for changes: from each commit to the first success of the deployment
  that shipped it (median and p90, nearest rank);
- change failure rate: deployments that failed or were rolled back, over those that
  finished;
- time to restore: from a failure status to the next success in the environment
  (median).

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

    @property
    def failed(self) -> bool:
        """Failed or rolled back at any point."""
        return any(s.state in FAILED_STATES for s in self.statuses)

    @property
    def succeeded_at(self) -> datetime | None:
        """When it first went live (None if it never did)."""
        times = [s.at for s in self.statuses if s.state == "success"]
        return min(times) if times else None

    @property
    def finished(self) -> bool:
        """It reached success, failure or error (an in-progress one is not counted)."""
        return self.failed or self.succeeded_at is not None


@dataclass(frozen=True)
class Report:
    """The four keys and their bands over one window."""

    since: datetime
    until: datetime
    deployments: int
    successful: int
    failed: int
    per_day: float
    lead_times: list[float] = field(default_factory=list)  # seconds, one per change
    restore_times: list[float] = field(default_factory=list)  # seconds, one per failure

    @property
    def lead_time_median(self) -> float | None:
        return statistics.median(self.lead_times) if self.lead_times else None

    @property
    def lead_time_p90(self) -> float | None:
        return percentile(self.lead_times, 0.9)

    @property
    def change_failure_rate(self) -> float | None:
        finished = self.successful + self.failed
        return self.failed / finished if finished else None

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


def restore_times(deployments: list[Deployment], since: datetime, until: datetime) -> list[float]:
    """Seconds from each failure (in the window) to the next success in the environment."""
    events = sorted((s.at, s.state) for d in deployments for s in d.statuses if s.state in (*FAILED_STATES, "success"))
    out, failing_since = [], None
    for at, state in events:
        if state in FAILED_STATES and failing_since is None and since <= at <= until:
            failing_since = at
        elif state == "success" and failing_since is not None:
            out.append((at - failing_since).total_seconds())
            failing_since = None
    return out


def compute(deployments: list[Deployment], since: datetime, until: datetime) -> Report:
    """The four keys of the deployments created in ``[since, until]``."""
    window = [d for d in deployments if since <= d.created_at <= until]
    successful = [d for d in window if d.finished and not d.failed]
    failed = [d for d in window if d.failed]
    lead_times = [
        (d.succeeded_at - t).total_seconds() for d in window if d.succeeded_at is not None for t in d.commit_times
    ]
    days = max((until - since) / timedelta(days=1), 1e-9)
    return Report(
        since=since,
        until=until,
        deployments=len(window),
        successful=len(successful),
        failed=len(failed),
        per_day=len(successful) / days,
        lead_times=lead_times,
        restore_times=restore_times(deployments, since, until),
    )
