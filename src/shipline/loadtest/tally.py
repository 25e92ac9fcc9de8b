"""Exact response-time tallies: what the probe counts inside locust and shipline gates on.

Locust keeps response times over 100 ms rounded to 10 ms (and over 1 s to 100 ms),
so a true p95 of 3,040 ms reads as 3,000 ms. A `Histogram` here keeps every response
time to four significant digits (1 µs below 10 ms), rounded up, like an HDR
histogram: a percentile is at most 0.1% above the true value and never below it.

This module is loaded inside locust too, so it imports nothing heavy.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from shipline.loadtest.records import TallyRecord

SIGNIFICANT_DIGITS = 4
PERCENTILES = {"p50_ms": 0.50, "p90_ms": 0.90, "p95_ms": 0.95, "p99_ms": 0.99, "p99_9_ms": 0.999}
# limits that a measured value may not exceed (the rest, min_rps, is a floor)
UPPER_LIMITS = (*PERCENTILES, "avg_ms", "max_ms", "error_rate", "exception_rate")
_EXACT_BELOW = 10**SIGNIFICANT_DIGITS


def bucket(micros: int) -> int:
    """``micros`` rounded up to `SIGNIFICANT_DIGITS` significant digits."""
    if micros < _EXACT_BELOW:
        return micros
    scale: int = 10 ** (len(str(micros)) - SIGNIFICANT_DIGITS)  # a non-negative power: an int
    return -(-micros // scale) * scale


@dataclass
class Histogram:
    """Response times in microseconds, bucketed to `SIGNIFICANT_DIGITS` digits."""

    counts: Counter[int] = field(default_factory=Counter)
    count: int = 0

    def record(self, ms: float) -> None:
        """Add one response time in milliseconds."""
        micros = math.ceil(ms * 1000)
        self.counts[micros if micros < _EXACT_BELOW else bucket(micros)] += 1
        self.count += 1

    def merge(self, other: Histogram) -> None:
        """Add every response time of ``other``."""
        self.counts.update(other.counts)
        self.count += other.count

    def percentile(self, share: float) -> float:
        """The response time in ms that ``share`` of the responses took at most (nearest rank); 0 when empty."""
        return self.percentiles([share])[0]

    def percentiles(self, shares: list[float]) -> list[float]:
        """`percentile` of each of ``shares`` (ascending), in one pass over the sorted times."""
        if not self.count:
            return [0.0] * len(shares)
        ranks = [max(1, math.ceil(share * self.count - 1e-9)) for share in shares]
        out: list[float] = []
        seen = 0
        for micros in sorted(self.counts):
            seen += self.counts[micros]
            while len(out) < len(ranks) and seen >= ranks[len(out)]:
                out.append(micros / 1000)
            if len(out) == len(ranks):
                break
        return out + [max(self.counts) / 1000] * (len(ranks) - len(out))

    def to_json(self) -> list[list[int]]:
        return [[k, v] for k, v in self.counts.items()]

    @classmethod
    def from_json(cls, pairs: list[list[int]]) -> Histogram:
        counts = Counter({int(k): int(v) for k, v in pairs})
        return cls(counts, sum(counts.values()))


def exception_rate(exceptions: int, requests: int) -> float:
    """Errors raised by user code over requests plus raised errors (0 when there were neither)."""
    return exceptions / (requests + exceptions) if requests + exceptions else 0.0


class RequestCounts:
    """What the counts of one request name give: the live tally and the final figures alike."""

    requests: int
    failures: int
    pending: int  # still waiting for an answer when the run stopped (counted as failures)

    @property
    def completed(self) -> int:
        """Requests that got an answer (or a connection error) before the run stopped."""
        return self.requests - self.pending

    @property
    def error_rate(self) -> float:
        """Failed requests over all requests (0 when there were none)."""
        return self.failures / self.requests if self.requests else 0.0


@dataclass
class EndpointTally(RequestCounts):
    """Everything counted for one (method, request name)."""

    requests: int = 0
    failures: int = 0
    pending: int = 0  # requests still waiting for an answer when the run stopped (counted as failures)
    dropped: int = 0  # connections the server closed without answering (counted as failures)
    total_ms: float = 0.0
    max_ms: float = 0.0
    histogram: Histogram = field(default_factory=Histogram)

    def record(self, ms: float, failed: bool) -> None:
        """Count one request that took ``ms``."""
        self.requests += 1
        self.failures += failed
        self.total_ms += ms
        self.max_ms = max(self.max_ms, ms)
        self.histogram.record(ms)

    def merge(self, other: EndpointTally) -> None:
        """Add ``other``'s counts (a worker's report)."""
        self.requests += other.requests
        self.failures += other.failures
        self.pending += other.pending
        self.dropped += other.dropped
        self.total_ms += other.total_ms
        self.max_ms = max(self.max_ms, other.max_ms)
        self.histogram.merge(other.histogram)

    def figures(self, duration_s: float, exceptions: int = 0) -> dict[str, float]:
        """Every gateable figure, keyed like the limits: p95_ms, avg_ms, error_rate, min_rps..."""
        # rounding up to four digits may pass the slowest answer, which is kept exactly
        values = self.histogram.percentiles(list(PERCENTILES.values()))
        out = {name: min(value, self.max_ms) for name, value in zip(PERCENTILES, values)}
        out["avg_ms"] = self.total_ms / self.requests if self.requests else 0.0
        out["max_ms"] = self.max_ms
        out["error_rate"] = self.error_rate
        out["exception_rate"] = exception_rate(exceptions, self.requests)
        out["min_rps"] = self.requests / duration_s if duration_s > 0 else 0.0
        return out

    def to_json(self) -> TallyRecord:
        return {
            "requests": self.requests,
            "failures": self.failures,
            "pending": self.pending,
            "dropped": self.dropped,
            "total_ms": self.total_ms,
            "max_ms": self.max_ms,
            "histogram": self.histogram.to_json(),
        }

    @classmethod
    def from_json(cls, data: TallyRecord) -> EndpointTally:
        return cls(
            requests=data["requests"],
            failures=data["failures"],
            pending=data["pending"],
            dropped=data["dropped"],
            total_ms=data["total_ms"],
            max_ms=data["max_ms"],
            histogram=Histogram.from_json(data["histogram"]),
        )


def within(name: str, measured: float, limit: float) -> bool:
    """Whether ``measured`` meets the limit called ``name`` (a ceiling, or for min_rps a floor)."""
    return measured <= limit if name in UPPER_LIMITS else measured >= limit


def breaches(figures: dict[str, float], limits: dict[str, float]) -> list[tuple[str, float, float]]:
    """(name, measured, limit) for every limit ``figures`` do not meet."""
    return [(name, figures[name], limit) for name, limit in limits.items() if not within(name, figures[name], limit)]
