"""What a metric provider measures: error rate and latency per target."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


class MeasurementError(Exception):
    """The provider could not measure at all (not the same as measuring errors)."""


@dataclass(frozen=True)
class Sample:
    """One target's figures over one measurement."""

    target: str
    requests: int
    errors: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    metrics: dict[str, float | None] = field(default_factory=dict)  # named metrics with a success condition
    unmeasured: str = ""  # why nothing could be measured (the metrics source was down), when so

    @property
    def error_rate(self) -> float:
        """Failed requests over all requests (0 when none were made)."""
        return self.errors / self.requests if self.requests else 0.0

    def to_json(self) -> dict[str, Any]:
        """Plain figures, rounded for people."""
        data = asdict(self)
        for key in ("metrics", "unmeasured"):
            if not data[key]:
                del data[key]
        data["error_rate"] = round(self.error_rate, 4)
        for key in ("p50_ms", "p95_ms", "p99_ms"):
            if data[key] is not None:
                data[key] = round(data[key], 1)
        return data


def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) by nearest rank; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q * len(ordered) + 0.5)))
    return ordered[rank - 1]
