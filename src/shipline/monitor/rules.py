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


def error_ratio(w: Watched, window: str) -> str:
    """The recorded error ratio of ``w`` over ``window``."""
    return f'shipline:error_ratio:rate{window}{{service="{w.service}",environment="{w.environment}"}}'


def slow_ratio(w: Watched, window: str) -> str:
    """The recorded share of slow requests of ``w`` over ``window``."""
    return f'shipline:slow_ratio:rate{window}{{service="{w.service}",environment="{w.environment}"}}'


def recordings(w: Watched) -> list[dict[str, Any]]:
    """Error ratios (and slow-request ratios, with a histogram) over every window the alerts use."""
    out = [{"record": f"shipline:error_ratio:rate{win}", "expr": f"{w.requests(win, errors=True)} / {w.requests(win)}", "labels": w.labels} for win in WINDOWS]
    for win in WINDOWS:
        slow = w.slow_share(win)
        if slow:
            out.append({"record": f"shipline:slow_ratio:rate{win}", "expr": slow, "labels": w.labels})
    return out


def _burn(ratio: Callable[[Watched, str], str], w: Watched, budget: float, pair: tuple[str, str, float, str]) -> str:
    long, short, rate, _ = pair
    threshold = f"{rate * budget:.6g}"
    return f"{ratio(w, long)} > {threshold} and {ratio(w, short)} > {threshold}"


def alerts(w: Watched) -> list[Alert]:
    """Every alert of one service in one environment."""
    where = f"{w.service} in {w.environment}"
    budget = 1 - w.availability
    out = [
        Alert("ShiplineDown", "P0", f"({w.up()} or vector(0)) == 0", f"{where}: nothing is serving requests", "30s", w.labels),
        Alert(
            "ShiplineErrorBudgetBurnFast",
            "P1",
            _burn(error_ratio, w, budget, PAGE),
            f"{where} is burning its {pct(w.availability)} availability error budget {PAGE[2]:g}x too fast (1h and 5m)",
            labels={**w.labels, "window": "page"},
        ),
        Alert(
            "ShiplineErrorRateHigh",
            "P1",
            f"{error_ratio(w, '5m')} > {w.max_error_rate:.6g}",
            f"{where}: over {pct(w.max_error_rate)} of requests fail (5m)",
            "1m",
            w.labels,
        ),
        Alert(
            "ShiplineErrorBudgetBurnSlow",
            "P3",
            _burn(error_ratio, w, budget, TICKET),
            f"{where} is burning its {pct(w.availability)} availability error budget {TICKET[2]:g}x too fast (6h and 30m)",
            labels={**w.labels, "window": "ticket"},
        ),
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
        slow_budget = 1 - w.latency
        what = f"latency budget ({pct(w.latency)} of requests under {w.latency_threshold_s:g}s)"
        out.insert(
            4,
            Alert(
                "ShiplineLatencyBudgetBurnFast",
                "P2",
                _burn(slow_ratio, w, slow_budget, PAGE),
                f"{where} is burning its {what} {PAGE[2]:g}x too fast",
                labels={**w.labels, "window": "page"},
            ),
        )
        out.append(
            Alert(
                "ShiplineLatencyBudgetBurnSlow",
                "P3",
                _burn(slow_ratio, w, slow_budget, TICKET),
                f"{where} is burning its {what} {TICKET[2]:g}x too fast",
                labels={**w.labels, "window": "ticket"},
            )
        )
    return out


def rule_groups(watched: list[Watched], runbook: str) -> dict[str, Any]:
    """The whole rules file: for each pair, a recording group and an alerting group."""
    groups = []
    for w in watched:
        groups.append({"name": f"shipline-{w.key}-slo", "rules": recordings(w)})
        groups.append({"name": f"shipline-{w.key}-alerts", "rules": [a.rule(runbook) for a in alerts(w)]})
    return {"groups": groups}
