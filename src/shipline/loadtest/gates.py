"""SLO gates: measured figures against limits, overall and per endpoint.

A breach names the scope, the metric, the measured value and the limit, e.g.
``GET /search: p95 812 ms is over the limit of 300 ms``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from shipline.loadtest.results import EndpointStats, RunStats
from shipline.loadtest.tally import within
from shipline.manifest import Slo

OVERALL = "overall"


# limit name -> (the metric as reports name it, its unit)
METRICS = {
    "p50_ms": ("p50", "ms"),
    "p90_ms": ("p90", "ms"),
    "p95_ms": ("p95", "ms"),
    "p99_ms": ("p99", "ms"),
    "p99_9_ms": ("p99.9", "ms"),
    "avg_ms": ("avg", "ms"),
    "max_ms": ("max", "ms"),
    "error_rate": ("error rate", "share"),
    "exception_rate": ("exception rate", "share"),
    "min_rps": ("rps", "rps"),
}
RUN_WIDE = ("exception_rate",)  # raised errors belong to no endpoint


@dataclass(frozen=True)
class Limits:
    """The SLO one scope must meet; None: not gated."""

    p50_ms: float | None = None
    p90_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    p99_9_ms: float | None = None
    avg_ms: float | None = None
    max_ms: float | None = None
    error_rate: float | None = None
    exception_rate: float | None = None
    min_rps: float | None = None

    @classmethod
    def from_slo(cls, slo: Slo, only_given: bool = False) -> Limits:
        """Limits from a manifest SLO; ``only_given`` keeps only the fields the manifest sets."""
        given = slo.model_fields_set if only_given else set(Slo.model_fields)
        return cls(**{name: getattr(slo, name) for name in METRICS if name in given})

    def given(self) -> dict[str, float]:
        """The limits that are set, by name."""
        return {name: value for name in METRICS if (value := getattr(self, name)) is not None}


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

    def as_dict(self) -> dict[str, object]:
        """JSON form, for the summary file and --format json."""
        return {
            "kind": self.kind,
            "scope": self.scope,
            "metric": self.metric,
            "measured": round(self.measured, 6),
            "limit": self.limit,
            "passed": self.passed,
        }


def _scope_checks(scope: str, stats: EndpointStats, limits: Limits, exception_rate: float = 0.0) -> list[Check]:
    checks = []
    for name, limit in limits.given().items():
        metric, unit = METRICS[name]
        measured = exception_rate if name == "exception_rate" else stats.figure(name)
        checks.append(Check(scope, metric, measured, limit, within(name, measured, limit), unit))
    return checks


def _no_answer(scope: str) -> Check:
    return Check(scope, "requests", 0, 1, False, "count")


def slo_checks(run: RunStats, limits: Limits, endpoint_limits: dict[tuple[str, str], Limits]) -> tuple[list[Check], list[str]]:
    """Every SLO check, and warnings for endpoints without an SLO that got no answer.

    A scope whose requests all went unanswered fails: no figure of it can be trusted.
    Raised errors are gated only once some were raised, so a clean run lists no such check.
    """
    if run.total.completed == 0:
        return [_no_answer(OVERALL)], []
    if not run.exception_count:
        limits = replace(limits, exception_rate=None)
    checks = _scope_checks(OVERALL, run.total, limits, run.exception_rate)
    warnings = []
    by_key = {(e.method, e.name): e for e in run.endpoints}
    for (method, name), endpoint_limit in endpoint_limits.items():
        stats = by_key.get((method, name))
        if stats is None or stats.completed == 0:
            checks.append(_no_answer(f"{method} {name}"))
            continue
        checks += _scope_checks(f"{method} {name}", stats, endpoint_limit)
    for stats in run.endpoints:
        if stats.completed == 0 and (stats.method, stats.name) not in endpoint_limits:
            warnings.append(f"{stats.label}: no request got an answer ({stats.pending} still pending when the run stopped)")
    return checks, warnings
