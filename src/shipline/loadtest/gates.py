"""SLO gates: measured figures against limits, overall and per endpoint.

A breach names the scope, the metric, the measured value and the limit, e.g.
``GET /search: p95 812 ms is over the limit of 300 ms``.
"""

from __future__ import annotations

from dataclasses import dataclass

from shipline.loadtest.results import EndpointStats, RunStats
from shipline.manifest import Slo

OVERALL = "overall"


@dataclass(frozen=True)
class Limits:
    """The SLO one scope must meet; None: not gated."""

    p95_ms: float | None = None
    p99_ms: float | None = None
    error_rate: float | None = None
    min_rps: float | None = None

    @classmethod
    def from_slo(cls, slo: Slo, only_given: bool = False) -> Limits:
        """Limits from a manifest SLO; ``only_given`` keeps only the fields the manifest sets."""
        given = slo.model_fields_set if only_given else set(Slo.model_fields)
        return cls(**{name: getattr(slo, name) for name in ("p95_ms", "p99_ms", "error_rate", "min_rps") if name in given})


def fmt_ms(value: float) -> str:
    """Milliseconds for people: ``812 ms``, ``4.5 ms``."""
    return f"{value:.0f} ms" if value >= 100 else f"{value:.3g} ms"


def fmt_share(value: float) -> str:
    """A share as a percentage: ``2.5%``."""
    return f"{value * 100:.3g}%"


def fmt_rps(value: float) -> str:
    """Requests per second: ``1234.5 req/s``."""
    return f"{value:.1f} req/s"


@dataclass(frozen=True)
class Check:
    """One gate: a metric of one scope against its limit."""

    scope: str
    metric: str
    measured: float
    limit: float
    passed: bool
    unit: str  # "ms", "share", "rps", "count"
    kind: str = "slo"  # or "regression"

    def _show(self, value: float) -> str:
        return {"ms": fmt_ms, "share": fmt_share, "rps": fmt_rps}.get(self.unit, lambda v: f"{v:g}")(value)

    @property
    def measured_text(self) -> str:
        """The measured value with its unit."""
        return self._show(self.measured)

    @property
    def limit_text(self) -> str:
        """The limit with its unit and direction."""
        return ("at least " if self.metric in ("rps", "requests") else "at most ") + self._show(self.limit)

    def describe(self) -> str:
        """One line for people, saying what was measured against what."""
        if self.metric == "requests":
            return f"{self.scope}: no request completed"
        if self.kind == "regression":
            return f"{self.scope}: {self.metric} {self.measured_text}, allowed {self.limit_text}"
        side = "under" if self.metric == "rps" else "over"
        verdict = f"is {side} the limit of" if not self.passed else "within the limit of"
        return f"{self.scope}: {self.metric} {self.measured_text} {verdict} {self._show(self.limit)}"

    def as_dict(self) -> dict:
        """JSON form, for the summary file and --format json."""
        return {
            "kind": self.kind,
            "scope": self.scope,
            "metric": self.metric,
            "measured": round(self.measured, 6),
            "limit": self.limit,
            "passed": self.passed,
        }


def _scope_checks(scope: str, stats: EndpointStats, limits: Limits) -> list[Check]:
    checks = []
    if limits.p95_ms is not None:
        checks.append(Check(scope, "p95", stats.p95_ms, limits.p95_ms, stats.p95_ms <= limits.p95_ms, "ms"))
    if limits.p99_ms is not None:
        checks.append(Check(scope, "p99", stats.p99_ms, limits.p99_ms, stats.p99_ms <= limits.p99_ms, "ms"))
    if limits.error_rate is not None:
        checks.append(Check(scope, "error rate", stats.error_rate, limits.error_rate, stats.error_rate <= limits.error_rate, "share"))
    if limits.min_rps is not None:
        checks.append(Check(scope, "rps", stats.rps, limits.min_rps, stats.rps >= limits.min_rps, "rps"))
    return checks


def slo_checks(run: RunStats, limits: Limits, endpoint_limits: dict[tuple[str, str], Limits]) -> tuple[list[Check], list[str]]:
    """Every SLO check, and warnings for endpoint SLOs no request was made for."""
    if run.total.requests == 0:
        return [Check(OVERALL, "requests", 0, 1, False, "count")], []
    checks = _scope_checks(OVERALL, run.total, limits)
    warnings = []
    by_key = {(e.method, e.name): e for e in run.endpoints}
    for (method, name), endpoint_limit in endpoint_limits.items():
        stats = by_key.get((method, name))
        if stats is None:
            warnings.append(f"no {method} request named {name!r} was made; its SLO was not checked")
            continue
        checks += _scope_checks(f"{method} {name}", stats, endpoint_limit)
    return checks, warnings
