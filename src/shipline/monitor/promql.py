"""PromQL templates: ``{{ name }}`` placeholders, the queries shipline needs no help for, and their checks.

The default queries read haproxy's built-in exporter. A slot (canary or stable) is one
server of the environment's backend; the live entry point is the whole backend.
haproxy exports no latency percentiles, only an average response time: it stands in for
p95 (a lower bound, so a breach it shows is real). That average is a sliding one over
1024 requests that starts from zero (``sum -= sum / 1024; sum += t``), so a server that
has answered k requests shows about ``t * (1 - (1023/1024)^k)``: 2 ms for 14 answers
of 150 ms. The queries divide that back out, or a fresh canary would look fast.
"""

from __future__ import annotations

import json
import operator
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shipline import validation
from shipline.manifest import PROMETHEUS_MEASURES, PROMQL_VARIABLES, Environment, PrometheusAnalysis

PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]*)\s*\}\}")
PROMTOOL_FAILURE = re.compile(r'rule (\d+), "[^"]*": could not parse expression: (.*)$')
REQUIRED = ("requests", "errors")
CONDITION = re.compile(r"^\s*result\s*(<=|>=|==|!=|<|>)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")
COMPARISONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne}

_DECAY = 1023 / 1024  # haproxy's sliding average keeps this much of its sum per request
_SERVER = '{proxy="{{ backend }}",server="{{ server }}"'
_BACKEND = '{proxy="{{ backend }}"'


def haproxy_response_seconds(level: str, selector: str, by: str = "") -> str:
    """haproxy's average response time of a ``server`` or ``backend``, its start-up damping divided out."""
    group = f" by ({by})" if by else ""
    average = f"max{group} (haproxy_{level}_response_time_average_seconds{{{selector}}})"
    return f"{average} / (1 - {_DECAY} ^ sum{group} (haproxy_{level}_http_responses_total{{{selector}}}))"


SLOT_DEFAULTS = {
    "requests": f"sum(increase(haproxy_server_http_responses_total{_SERVER}}}[{{{{ window }}}}]))",
    "errors": f'sum(increase(haproxy_server_http_responses_total{_SERVER},code="5xx"}}[{{{{ window }}}}]))',
    "p95_ms": "1000 * " + haproxy_response_seconds("server", _SERVER[1:]),
}
LIVE_DEFAULTS = {
    "requests": f"sum(increase(haproxy_backend_http_responses_total{_BACKEND}}}[{{{{ window }}}}]))",
    "errors": f'sum(increase(haproxy_backend_http_responses_total{_BACKEND},code="5xx"}}[{{{{ window }}}}]))',
    "p95_ms": "1000 * " + haproxy_response_seconds("backend", _BACKEND[1:]),
}


def promql_duration(seconds: float) -> str:
    """``30s``, ``5m``, ``1500ms``: a PromQL range for ``seconds``."""
    if seconds >= 1 and float(seconds).is_integer():
        return f"{int(seconds)}s"
    return f"{max(1, round(seconds * 1000))}ms"


def render(query: str, variables: dict[str, str]) -> str:
    """``query`` with every placeholder replaced (unknown ones are caught when the manifest loads)."""
    return PLACEHOLDER.sub(lambda m: variables.get(m.group(1), m.group(0)), query)


def unknown_variables(query: str) -> list[str]:
    """Placeholders in ``query`` that are not template variables."""
    return [name for name in PLACEHOLDER.findall(query) if name not in PROMQL_VARIABLES]


def parse_condition(condition: str) -> tuple[str, float] | None:
    """(operator, threshold) of a ``success`` condition such as ``result < 0.05``; None when it is not one."""
    match = CONDITION.match(condition)
    return (match.group(1), float(match.group(2))) if match else None


def holds(condition: str, value: float) -> bool:
    """Whether ``value`` meets a condition `parse_condition` accepts."""
    parsed = parse_condition(condition)
    if parsed is None:
        raise ValueError(f"not a condition: {condition}")
    op, threshold = parsed
    return bool(COMPARISONS[op](value, threshold))


def queries(settings: PrometheusAnalysis, router_type: str, live: bool) -> dict[str, tuple[str, str, str]]:
    """Figure -> (metric name, query template, where in the manifest): the manifest's metrics over the defaults."""
    out: dict[str, tuple[str, str, str]] = {}
    if router_type == "haproxy":
        defaults = LIVE_DEFAULTS if live else SLOT_DEFAULTS
        out = {measure: (f"haproxy-{measure.replace('_', '-')}", query, "url") for measure, query in defaults.items()}
    for i, metric in enumerate(settings.metrics):
        if metric.measures:
            out[metric.measures] = (metric.name, metric.query, f"metrics.{i}.query")
    return out


def template_problems(env: Environment, at: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(location, message) for every query the ``prometheus`` provider of ``env`` cannot use."""
    settings = env.deploy.analysis.prometheus
    allowed = ", ".join(f"{{{{ {v} }}}}" for v in PROMQL_VARIABLES)
    seen: dict[str, str] = {}
    for i, metric in enumerate(settings.metrics):
        for name in unknown_variables(metric.query):
            hint = validation.did_you_mean(name, PROMQL_VARIABLES)
            yield (*at, "metrics", i, "query"), f'metric "{metric.name}": unknown template variable "{{{{ {name} }}}}"{hint}; expected one of: {allowed}'
        if metric.measures and metric.measures in seen:
            yield (*at, "metrics", i, "measures"), f'metrics "{seen[metric.measures]}" and "{metric.name}" both measure {metric.measures}; keep one'
        if metric.measures:
            seen[metric.measures] = metric.name
        if metric.success is not None and parse_condition(metric.success) is None:
            yield (
                (*at, "metrics", i, "success"),
                f'metric "{metric.name}": success "{metric.success}" is not a condition; expected "result OP NUMBER" with OP one of {" ".join(COMPARISONS)}, e.g. "result < 0.05"',
            )
        if not metric.measures and metric.success is None:
            yield (*at, "metrics", i), f'metric "{metric.name}" neither measures a figure nor has a success condition; give measures (one of {", ".join(PROMETHEUS_MEASURES)}) or success'
    if not any(unknown_variables(m.query) for m in settings.metrics):
        for i, detail in syntax_errors([m.query for m in settings.metrics]):
            yield (*at, "metrics", i, "query"), f'metric "{settings.metrics[i].name}": the query is not PromQL: {detail}'
    router = env.deploy.router.type
    missing = [m for m in REQUIRED if m not in queries(settings, router, live=False)]
    if missing:
        yield (
            (*at,),
            (
                f"the prometheus provider has default queries only for the haproxy router, and this environment's router is {router}: "
                f"add metrics measuring {' and '.join(missing)} (measures: one of {', '.join(PROMETHEUS_MEASURES)})"
            ),
        )


def syntax_errors(templates: list[str]) -> list[tuple[int, str]]:
    """(index, parser message) for each template that is not PromQL once filled in, by promtool's own parser; none without promtool."""
    promtool = shutil.which("promtool")
    if not promtool or not templates:
        return []
    sample = {name: "x" for name in PROMQL_VARIABLES} | {"window": "30s"}
    rules = [{"record": f"shipline_query_{i}", "expr": render(t, sample)} for i, t in enumerate(templates)]
    with tempfile.TemporaryDirectory(prefix="shipline-promql-") as tmp:
        path = Path(tmp) / "queries.yml"
        path.write_text(json.dumps({"groups": [{"name": "queries", "rules": rules}]}), encoding="utf-8")
        done = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    found = (PROMTOOL_FAILURE.search(line) for line in (done.stdout + done.stderr).splitlines())
    return [(int(m.group(1)) - 1, m.group(2)) for m in found if m]
