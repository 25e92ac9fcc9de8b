"""`promtool test rules` cases for the generated rules: each alert fires on a breach and stays silent when healthy.

Seven hours of one-minute samples (enough for the 6 h burn-rate window), read at 6 h 30 m.
A healthy pair answers every request fast and well; a breach answers half with 5xx,
slowly, with nothing up.
"""

from __future__ import annotations

from typing import Any

from shipline.monitor.rules import alerts
from shipline.monitor.slo import Watched

EVAL_AT = "6h30m"
SAMPLES = 420  # one a minute for seven hours
PER_MINUTE = 600


def _counter(per_minute: int) -> str:
    return f"0+{per_minute}x{SAMPLES}"


def _gauge(value: float) -> str:
    return f"{value:g}x{SAMPLES}"


def input_series(w: Watched, breach: bool) -> list[dict[str, str]]:
    """The series the rules of ``w`` read, healthy or in breach."""
    errors = PER_MINUTE // 2 if breach else 0
    series = []
    if w.backend is not None:
        sel = f'proxy="{w.backend}"'
        series += [
            {"series": f'haproxy_backend_http_responses_total{{{sel},code="2xx"}}', "values": _counter(PER_MINUTE - errors)},
            {"series": f'haproxy_backend_http_responses_total{{{sel},code="5xx"}}', "values": _counter(errors)},
            {"series": f'haproxy_backend_status{{{sel},state="UP"}}', "values": _gauge(0 if breach else 1)},
            {"series": f"haproxy_backend_response_time_average_seconds{{{sel}}}", "values": _gauge(w.max_latency_s * 2 if breach else 0.05)},
        ]
    else:
        sel = f'service="{w.service}",environment="{w.environment}"'
        series += [
            {"series": f'http_requests_total{{{sel},code="200"}}', "values": _counter(PER_MINUTE - errors)},
            {"series": f'http_requests_total{{{sel},code="500"}}', "values": _counter(errors)},
            {"series": f"up{{{sel}}}", "values": _gauge(0 if breach else 1)},
        ]
    if w.latency_histogram:
        sel = f'service="{w.service}",environment="{w.environment}"'
        fast = PER_MINUTE // 2 if breach else PER_MINUTE
        bound, far = f"{w.latency_threshold_s:g}", f"{w.max_latency_s * 4:g}"  # the slow half lies past both limits
        series += [
            {"series": f'{w.latency_histogram}_bucket{{{sel},le="{bound}"}}', "values": _counter(fast)},
            {"series": f'{w.latency_histogram}_bucket{{{sel},le="{far}"}}', "values": _counter(fast)},
            {"series": f'{w.latency_histogram}_bucket{{{sel},le="+Inf"}}', "values": _counter(PER_MINUTE)},
            {"series": f"{w.latency_histogram}_count{{{sel}}}", "values": _counter(PER_MINUTE)},
        ]
    return series


def source(w: Watched) -> tuple[str, ...]:
    """What ``w``'s traffic series are shared by: one haproxy backend can serve several services."""
    return ("haproxy", w.backend) if w.backend is not None else ("app", w.service, w.environment)


def _inputs(watched: list[Watched], breaching: set[tuple[str, ...]]) -> list[dict[str, str]]:
    seen: dict[str, dict[str, str]] = {}
    for w in watched:
        for series in input_series(w, breach=source(w) in breaching):
            seen.setdefault(series["series"], series)
    return list(seen.values())


def _expect(watched: list[Watched], runbook: str, firing: set[tuple[str, ...]]) -> list[dict[str, Any]]:
    expected: dict[str, list[dict[str, Any]]] = {}
    for w in watched:
        for alert in alerts(w):
            rule = alert.rule(runbook)
            fires = [{"exp_labels": rule["labels"], "exp_annotations": rule["annotations"]}] if source(w) in firing else []
            expected.setdefault(alert.name, []).extend(fires)
    return [{"eval_time": EVAL_AT, "alertname": name, "exp_alerts": fires} for name, fires in expected.items()]


def unit_tests(watched: list[Watched], runbook: str, rules_file: str) -> dict[str, Any]:
    """The whole ``promtool test rules`` file for ``rules_file`` beside it: one healthy case, one breach per source."""
    tests = [
        {
            "name": "every objective met: no alert",
            "interval": "1m",
            "input_series": _inputs(watched, set()),
            "alert_rule_test": _expect(watched, runbook, set()),
        }
    ]
    for key in dict.fromkeys(source(w) for w in watched):
        names = ", ".join(f"{w.service} in {w.environment}" for w in watched if source(w) == key)
        tests.append(
            {
                "name": f"{names}: every objective breached, every alert fires",
                "interval": "1m",
                "input_series": _inputs(watched, {key}),
                "alert_rule_test": _expect(watched, runbook, {key}),
            }
        )
    return {"rule_files": [rules_file], "evaluation_interval": "5m", "tests": tests}
