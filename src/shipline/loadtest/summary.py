"""What a run reports: the JSON summary (also the baseline format) and the job summary.

The job summary has a verdict, a table with a row per endpoint, the gates, and two
mermaid ``xychart-beta`` charts: requests per second and p95 over the run.
"""

from __future__ import annotations

from collections.abc import Sequence

from shipline.loadtest.baseline import SUMMARY_KIND
from shipline.loadtest.gates import Check, fmt_ms, fmt_rps, fmt_share
from shipline.loadtest.plan import Plan
from shipline.loadtest.records import Abort
from shipline.loadtest.results import RunStats, Sample
from shipline.report import markdown_table

MAX_CHART_POINTS = 60
ENDPOINT_HEADERS = ("Endpoint", "Requests", "Failures", "Pending at stop", "Error rate", "req/s", "avg", "p50", "p95", "p99", "p99.9", "Max")
VERDICT = {"passed": "passed ✅", "failed": "failed ❌", "interrupted": "interrupted ⚠️"}


def endpoint_rows(run: RunStats) -> list[list[str]]:
    """A row per endpoint, then the total."""
    rows: list[list[str]] = []
    for s in [*run.endpoints, run.total]:
        label = "**Total**" if s is run.total else s.label
        times = [fmt_ms(t) for t in (s.avg_ms, s.p50_ms, s.p95_ms, s.p99_ms, s.p99_9_ms, s.max_ms)]
        rows.append([label, str(s.requests), str(s.failures), str(s.pending), fmt_share(s.error_rate), f"{s.rps:.1f}", *times])
    return rows


def check_rows(checks: Sequence[Check]) -> list[list[str]]:
    """A row per gate."""
    return [[c.scope, c.metric, c.measured_text, c.limit_text, "pass" if c.passed else "FAIL"] for c in checks]


def to_json(plan: Plan, run: RunStats, checks: Sequence[Check], result: str) -> dict[str, object]:
    """The JSON summary written to the report directory and used as a baseline."""
    return {
        "kind": SUMMARY_KIND,
        "version": 1,
        "result": result,
        "host": plan.host,
        "environment": plan.environment,
        "users": plan.users,
        "run_time_s": plan.run_time,
        "duration_s": round(run.duration_s, 3),
        "total": run.total.as_dict(),
        "endpoints": [e.as_dict() for e in run.endpoints],
        "checks": [c.as_dict() for c in checks],
        "history": [{"second": s.second, "users": s.users, "rps": round(s.rps, 3), "p95_ms": s.p95_ms} for s in run.history],
        "exceptions": [{"count": n, "message": m} for n, m in run.exceptions],
        "partial": not run.final,
        "aborted": run.aborted,
        "generator": run.generator,
    }


def abort_text(aborted: Abort) -> str:
    """Why and when a run stopped early."""
    return (
        f"stopped early at {aborted['at_s']:.1f}s: {aborted['reason']} "
        f"(checked every {aborted['check_interval_s']:g}s after a {aborted['after_warmup_s']:g}s warm-up)"
    )


def _downsample(history: Sequence[Sample]) -> list[Sample]:
    step = max(1, -(-len(history) // MAX_CHART_POINTS))
    return list(history[::step])


def _chart(title: str, axis: str, xs: Sequence[int], ys: Sequence[float]) -> str:
    values = ", ".join(f"{y:.1f}" for y in ys)
    labels = ", ".join(str(x) for x in xs)
    return f'```mermaid\nxychart-beta\n    title "{title}"\n    x-axis "seconds" [{labels}]\n    y-axis "{axis}"\n    line [{values}]\n```\n'


def charts(history: Sequence[Sample]) -> str:
    """Mermaid charts of rps and p95 over time (empty when the run was too short)."""
    points = _downsample(history)
    if len(points) < 2:
        return ""
    xs = [p.second for p in points]
    out = _chart("Requests per second", "req/s", xs, [p.rps for p in points])
    timed = [(p.second, p.p95_ms) for p in points if p.p95_ms is not None]
    if len(timed) >= 2:
        out += "\n" + _chart("p95 response time over the last 10 s", "ms", [second for second, _ in timed], [p95 for _, p95 in timed])
    return out


def markdown(plan: Plan, run: RunStats, checks: Sequence[Check], result: str, report_dir: str) -> str:
    """The job summary of one run."""
    where = f" on {plan.environment}" if plan.environment else ""
    lines = [
        f"### Load test{where}: {VERDICT[result]}",
        "",
        f"`{plan.host}` · {plan.users} users · {run.duration_s:.1f} s of {plan.run_time:.0f} s · "
        f"{run.total.requests} requests · {fmt_rps(run.total.rps)} · p95 {fmt_ms(run.total.p95_ms)} · "
        f"errors {fmt_share(run.total.error_rate)}",
        "",
        markdown_table(ENDPOINT_HEADERS, endpoint_rows(run)),
    ]
    if run.aborted:
        lines[3:3] = [f"**{abort_text(run.aborted)}**", ""]
    if checks:
        lines += ["#### Gates", "", markdown_table(("Scope", "Metric", "Measured", "Limit", "Result"), check_rows(checks))]
    chart = charts(run.history)
    if chart:
        lines += ["#### Over time", "", chart]
    if run.exceptions:
        lines += ["#### Errors raised by the locustfile", "", markdown_table(("Count", "Message"), [[n, m] for n, m in run.exceptions])]
    lines.append(f"Locust's HTML report and CSV files are in `{report_dir}` (uploaded as an artifact by the pipeline).")
    return "\n".join(lines) + "\n"
