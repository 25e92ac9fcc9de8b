"""Locust's result files read back into `RunStats`.

The final figures come from ``--json-file`` (written at shutdown, with each entry's
histogram of response times, so any percentile is exact to locust's rounding); the
figures over time come from the ``--csv`` stats history (one row a second). Locust's
``_stats.csv`` is rewritten only once a second and may miss the last second, so it
is left for people to read.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class ReportFiles:
    """Where locust and shipline write a run's files in the report directory."""

    dir: Path

    @property
    def csv_prefix(self) -> Path:
        return self.dir / "locust"

    @property
    def json_prefix(self) -> Path:  # locust appends ".json"
        return self.dir / "locust"

    @property
    def json(self) -> Path:
        return self.dir / "locust.json"

    @property
    def history(self) -> Path:
        return self.dir / "locust_stats_history.csv"

    @property
    def exceptions(self) -> Path:
        return self.dir / "locust_exceptions.csv"

    @property
    def html(self) -> Path:
        return self.dir / "report.html"

    @property
    def log(self) -> Path:
        return self.dir / "locust.log"

    @property
    def endpoints(self) -> Path:
        return self.dir / "endpoints.json"

    @property
    def summary(self) -> Path:
        return self.dir / "summary.json"

    def run_outputs(self) -> list[Path]:
        """The files a run writes; cleared before it so that stale ones are never read or uploaded."""
        stem = self.csv_prefix.name
        csvs = [self.dir / f"{stem}_{part}.csv" for part in ("stats", "stats_history", "failures", "exceptions")]
        return [self.json, self.html, self.log, self.summary, *csvs]


@dataclass(frozen=True)
class EndpointStats:
    """Final figures of one request name (or of all of them: ``Aggregated``)."""

    method: str
    name: str
    requests: int
    failures: int
    rps: float
    avg_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @property
    def error_rate(self) -> float:
        """Failed requests over all requests (0 when there were none)."""
        return self.failures / self.requests if self.requests else 0.0

    @property
    def label(self) -> str:
        """``GET /path`` as the reports show it."""
        return f"{self.method} {self.name}".strip()

    def as_dict(self) -> dict:
        """JSON form, with the error rate."""
        return asdict(self) | {"error_rate": round(self.error_rate, 6)}


@dataclass(frozen=True)
class Sample:
    """One point of the over-time chart."""

    second: int  # since the start of the run
    users: int
    rps: float
    p95_ms: float | None


@dataclass(frozen=True)
class RunStats:
    """What one run measured."""

    total: EndpointStats
    endpoints: list[EndpointStats]
    history: list[Sample]
    duration_s: float
    exceptions: list[tuple[int, str]]  # (count, message) of errors raised by user code


def percentile(histogram: Counter[int], count: int, share: float) -> float:
    """The response time ``share`` of the requests finished within, as locust computes it.

    ``histogram`` maps a (rounded) response time to how many requests took it.
    """
    allowed_below = int(count * share)
    answer, below = 0, 0
    for time in sorted(histogram):
        if below > allowed_below:
            break
        answer = time
        below += histogram[time]
    return float(answer)


def _entry(method: str, name: str, rows: list[dict], duration: float) -> EndpointStats:
    histogram: Counter[int] = Counter()
    for row in rows:
        histogram.update({int(float(t)): n for t, n in row.get("response_times", {}).items()})
    requests = sum(r["num_requests"] for r in rows)
    timed = requests - sum(r.get("num_none_requests", 0) for r in rows)
    total_time = sum(r["total_response_time"] for r in rows)
    max_ms = max((r.get("max_response_time") or 0 for r in rows), default=0.0)

    def pct(share: float) -> float:
        # locust keeps times over 100 ms rounded (146 -> 150); no percentile is over the max
        return min(percentile(histogram, timed, share), max_ms)

    return EndpointStats(
        method=method,
        name=name,
        requests=requests,
        failures=sum(r["num_failures"] for r in rows),
        rps=requests / duration if duration > 0 else 0.0,
        avg_ms=total_time / timed if timed else 0.0,
        p50_ms=pct(0.50),
        p95_ms=pct(0.95),
        p99_ms=pct(0.99),
        max_ms=max_ms,
    )


def _history(path: Path) -> list[Sample]:
    """Per-second rps (from the growth of the request count) and the recent p95."""
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r.get("Name") == "Aggregated"]
    samples: list[Sample] = []
    start = prev_t = prev_n = None
    for row in rows:
        try:
            t, n = int(row["Timestamp"]), int(row["Total Request Count"])
        except (KeyError, ValueError):
            continue
        if start is None:
            start, prev_t, prev_n = t, t, n
            continue
        if t <= prev_t:
            continue
        p95 = row.get("95%", "N/A")
        samples.append(
            Sample(
                second=t - start,
                users=int(row.get("User Count") or 0),
                rps=(n - prev_n) / (t - prev_t),
                p95_ms=float(p95) if p95 not in ("N/A", "", "0") else None,
            )
        )
        prev_t, prev_n = t, n
    return samples


def _exceptions(path: Path) -> list[tuple[int, str]]:
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return [(int(r["Count"]), r["Message"]) for r in csv.DictReader(f) if r.get("Count", "").isdigit()]


def read(files: ReportFiles) -> RunStats | None:
    """The run's figures, or None when locust wrote no final stats (it never ran)."""
    if not files.json.is_file():
        return None
    entries = json.loads(files.json.read_text(encoding="utf-8") or "[]")
    starts = [e["start_time"] for e in entries if e.get("start_time")]
    ends = [e["last_request_timestamp"] for e in entries if e.get("last_request_timestamp")]
    duration = max(ends) - min(starts) if starts and ends else 0.0
    groups: dict[tuple[str, str], list[dict]] = {}
    for e in entries:
        groups.setdefault((e.get("method") or "", e["name"]), []).append(e)
    endpoints = sorted((_entry(m, n, rows, duration) for (m, n), rows in groups.items()), key=lambda s: (s.name, s.method))
    return RunStats(
        total=_entry("", "Aggregated", entries, duration),
        endpoints=endpoints,
        history=_history(files.history),
        duration_s=duration,
        exceptions=_exceptions(files.exceptions),
    )
