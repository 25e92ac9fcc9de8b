"""Prometheus recording and alerting rules from the SLOs, one group per service and environment.

Recording rules give the error ratio (and, with a histogram, the slow-request ratio)
over each window the alerts read. Alerts, each with severity, service, environment,
a summary and a runbook link:

- P0 ``ShiplineDown``: nothing serves the environment for 30 s;
- P1 ``ShiplineErrorBudgetBurnFast`` (page: 14.4x over 1 h and 5 m) and
  ``ShiplineErrorRateHigh`` (over the analysis's max_error_rate for 5 m);
- P2 ``ShiplineLatencyHigh`` (over max_p95_ms for 5 m) and
  ``ShiplineLatencyBudgetBurnFast`` (page);
- P3 ``ShiplineErrorBudgetBurnSlow`` and ``ShiplineLatencyBudgetBurnSlow``
  (ticket: 6x over 6 h and 30 m);
- P4 ``ShiplineErrorRateElevated``: over monitoring.warning_error_rate for 10 m.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shipline.monitor.slo import PAGE, TICKET, WINDOWS, Watched


@dataclass(frozen=True)
class Alert:
    """One alerting rule, before it becomes YAML."""

    name: str
    severity: str
    expr: str
    summary: str
    for_: str = "0s"
    labels: dict[str, str] = field(default_factory=dict)

    def rule(self, runbook: str) -> dict[str, Any]:
        """The rule as Prometheus reads it."""
        rule: dict[str, Any] = {"alert": self.name, "expr": self.expr}
        if self.for_ != "0s":
            rule["for"] = self.for_
        rule["labels"] = {"severity": self.severity, **self.labels}
        rule["annotations"] = {"summary": self.summary, "runbook_url": f"{runbook}#{self.name.lower()}"}
        return rule


def pct(share: float) -> str:
    """``99.9%`` from 0.999."""
    return f"{share * 100:.6g}%"


def _recorded(ratio: str, w: Watched, window: str) -> str:
    return f'shipline:{ratio}:rate{window}{{service="{w.service}",environment="{w.environment}"}}'


def error_ratio(w: Watched, window: str) -> str:
    """The recorded error ratio of ``w`` over ``window``."""
    return _recorded("error_ratio", w, window)


def slow_ratio(w: Watched, window: str) -> str:
    """The recorded share of slow requests of ``w`` over ``window``."""
    return _recorded("slow_ratio", w, window)


def recordings(w: Watched) -> list[dict[str, Any]]:
    """Error ratios (and slow-request ratios, with a histogram) over every window the alerts use."""
    out = [{"record": f"shipline:error_ratio:rate{win}", "expr": f"{w.requests(win, errors=True)} / {w.requests(win)}", "labels": w.labels} for win in WINDOWS]
    for win in WINDOWS:
        slow = w.slow_share(win)
        if slow:
            out.append({"record": f"shipline:slow_ratio:rate{win}", "expr": slow, "labels": w.labels})
    return out


@dataclass(frozen=True)
class Budget:
    """One objective's error budget, as its burn-rate alerts read it."""

    family: str  # names the alerts: Shipline{family}BudgetBurn{Fast,Slow}
    ratio: Callable[[Watched, str], str]  # the recorded ratio that spends the budget
    objective: float  # the share of requests that must be good
    what: str  # how the summary names the budget
    windows_in_summary: bool


def burn_alert(w: Watched, budget: Budget, pair: tuple[str, str, float, str], severity: str) -> Alert:
    """The multiwindow burn-rate alert of ``budget`` for one pair (PAGE or TICKET): both windows over the rate."""
    long, short, rate, kind = pair
    threshold = f"{rate * (1 - budget.objective):.6g}"
    windows = f" ({long} and {short})" if budget.windows_in_summary else ""
    return Alert(
        f"Shipline{budget.family}BudgetBurn{'Fast' if kind == 'page' else 'Slow'}",
        severity,
        f"{budget.ratio(w, long)} > {threshold} and {budget.ratio(w, short)} > {threshold}",
        f"{w.service} in {w.environment} is burning its {budget.what} {rate:g}x too fast{windows}",
        labels={**w.labels, "window": kind},
    )


def alerts(w: Watched) -> list[Alert]:
    """Every alert of one service in one environment."""
    where = f"{w.service} in {w.environment}"
    errors = Budget("Error", error_ratio, w.availability, f"{pct(w.availability)} availability error budget", True)
    out = [
        Alert("ShiplineDown", "P0", f"({w.up()} or vector(0)) == 0", f"{where}: nothing is serving requests", "30s", w.labels),
        burn_alert(w, errors, PAGE, "P1"),
        Alert(
            "ShiplineErrorRateHigh",
            "P1",
            f"{error_ratio(w, '5m')} > {w.max_error_rate:.6g}",
            f"{where}: over {pct(w.max_error_rate)} of requests fail (5m)",
            "1m",
            w.labels,
        ),
        burn_alert(w, errors, TICKET, "P3"),
        Alert(
            "ShiplineErrorRateElevated",
            "P4",
            f"{error_ratio(w, '10m')} > {w.warning_error_rate:.6g}",
            f"{where}: over {pct(w.warning_error_rate)} of requests fail (10m)",
            "1m",
            w.labels,
        ),
    ]
    latency = w.latency_p95() or w.latency_average()
    if latency:
        figure = "p95" if w.latency_p95() else "average response time"
        out.insert(
            3,
            Alert("ShiplineLatencyHigh", "P2", f"{latency} > {w.max_latency_s:.6g}", f"{where}: {figure} over {w.max_latency_s:g}s (5m)", "5m", w.labels),
        )
    if w.latency_histogram:
        slow = Budget("Latency", slow_ratio, w.latency, f"latency budget ({pct(w.latency)} of requests under {w.latency_threshold_s:g}s)", False)
        out.insert(4, burn_alert(w, slow, PAGE, "P2"))
        out.append(burn_alert(w, slow, TICKET, "P3"))
    return out


def rule_groups(watched: list[Watched], runbook: str) -> dict[str, Any]:
    """The whole rules file: for each pair, a recording group and an alerting group."""
    groups = []
    for w in watched:
        groups.append({"name": f"shipline-{w.key}-slo", "rules": recordings(w)})
        groups.append({"name": f"shipline-{w.key}-alerts", "rules": [a.rule(runbook) for a in alerts(w)]})
    return {"groups": groups}
