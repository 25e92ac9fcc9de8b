"""A run's figures read back into `RunStats`.

The final figures come from the probe's file (``probe.json``, see `probe`): every
response time kept exactly, requests pending at the stop, the run's wall time, an
early abort. The probe rewrites it once a second, so a run cut short still leaves
what it measured so far (``final`` false). The figures over time come from locust's
``--csv`` stats history (one row a second), for the charts.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from shipline.loadtest.records import Abort, GeneratorShare, ProcessTimes
from shipline.loadtest.tally import EndpointTally, RequestCounts, exception_rate


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
    def probe(self) -> Path:
        return self.dir / "probe.json"

    @property
    def probe_config(self) -> Path:
        return self.dir / "probe-config.json"

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
        return [self.json, self.html, self.log, self.summary, self.probe, *csvs]


@dataclass(frozen=True)
class EndpointStats(RequestCounts):
    """Final figures of one request name (or of all of them: ``Aggregated``)."""

    method: str
    name: str
    requests: int
    failures: int
    pending: int  # still waiting for an answer at the stop (counted as failures)
    dropped: int  # connections closed by the server without an answer (counted as failures)
    rps: float
    avg_ms: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    p99_9_ms: float
    max_ms: float

    @classmethod
    def from_tally(cls, method: str, name: str, tally: EndpointTally, duration_s: float) -> EndpointStats:
        """The figures of ``tally`` over a run of ``duration_s`` wall-clock seconds."""
        figures = tally.figures(duration_s)
        return cls(
            method=method,
            name=name,
            requests=tally.requests,
            failures=tally.failures,
            pending=tally.pending,
            dropped=tally.dropped,
            rps=figures["min_rps"],
            avg_ms=figures["avg_ms"],
            p50_ms=figures["p50_ms"],
            p90_ms=figures["p90_ms"],
            p95_ms=figures["p95_ms"],
            p99_ms=figures["p99_ms"],
            p99_9_ms=figures["p99_9_ms"],
            max_ms=figures["max_ms"],
        )

    @property
    def label(self) -> str:
        """``GET /path`` as the reports show it."""
        return f"{self.method} {self.name}".strip()

    def figure(self, name: str) -> float:
        """The figure a limit called ``name`` is checked against (``p95_ms``, ``error_rate``, ``min_rps``...)."""
        return self.rps if name == "min_rps" else self.error_rate if name == "error_rate" else float(getattr(self, name))

    def as_dict(self) -> dict[str, object]:
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
    duration_s: float  # wall time from the first user started to the stop
    exceptions: list[tuple[int, str]]  # (count, message) of errors raised by user code
    final: bool = True  # False: the run was cut short and these are the last figures written
    aborted: Abort | None = None  # when and why an abort limit stopped the run early
    generator: GeneratorShare | None = None  # how busy the most loaded locust process was: busy_share, wait_share

    @property
    def exception_count(self) -> int:
        """Errors raised by the locustfile's own code."""
        return sum(n for n, _ in self.exceptions)

    @property
    def exception_rate(self) -> float:
        """Raised errors over requests plus raised errors."""
        return exception_rate(self.exception_count, self.total.requests)


def _history(path: Path) -> list[Sample]:
    """Per-second rps (from the growth of the request count) and the recent p95."""
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r.get("Name") == "Aggregated"]
    samples: list[Sample] = []
    start: int | None = None  # the first row's second
    prev_t = prev_n = 0
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


def _generator(processes: dict[str, ProcessTimes]) -> GeneratorShare | None:
    """The busiest load-generating process: the share of the run it was on a CPU or waiting for one."""
    shares: list[GeneratorShare] = [
        {"busy_share": (p["cpu_s"] + p["wait_s"]) / p["wall_s"], "wait_share": p["wait_s"] / p["wall_s"]} for p in processes.values() if p.get("wall_s", 0) > 0
    ]
    return max(shares, key=lambda s: s["busy_share"], default=None)


def read(files: ReportFiles, with_history: bool = True) -> RunStats | None:
    """The run's figures, or None when the probe wrote none (locust never started its users).

    ``with_history`` False skips the per-second history, for progress while the run goes on.
    """
    try:
        doc = json.loads(files.probe.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    duration = float(doc["duration_s"])
    total = EndpointTally()
    endpoints = []
    for entry in doc["endpoints"]:
        tally = EndpointTally.from_json(entry)
        total.merge(tally)
        endpoints.append(EndpointStats.from_tally(entry["method"], entry["name"], tally, duration))
    return RunStats(
        total=EndpointStats.from_tally("", "Aggregated", total, duration),
        endpoints=sorted(endpoints, key=lambda s: (s.name, s.method)),
        history=_history(files.history) if with_history else [],
        duration_s=duration,
        exceptions=[(int(n), str(m)) for n, m in doc["exceptions"]],
        final=bool(doc["final"]),
        aborted=doc.get("aborted"),
        generator=_generator(doc.get("generators") or {}),
    )
