"""The job summary of a deploy: outcome, timeline, and mermaid charts of the analysis."""

from __future__ import annotations

import re

from shipline import manifest
from shipline.deploy.result import DeployResult
from shipline.report import markdown_table

ICONS = {"promoted": "✅", "rolled-back": "↩️", "failed": "❌"}


def _offset(result: DeployResult, at: float) -> str:
    return f"+{at - result.started:.1f}s"


def timeline_rows(result: DeployResult) -> list[list[str]]:
    """``[time offset, event, message]`` per event."""
    return [[_offset(result, e.at), e.kind, e.message] for e in result.events]


def _series(result: DeployResult, field: str, scale: float) -> dict[str, list[float]]:
    series: dict[str, list[float]] = {}
    measured = [m for m in result.measurements if m.get("samples")]
    for i, m in enumerate(measured):
        for target, sample in m["samples"].items():
            value = sample.get(field)
            series.setdefault(target, [0.0] * len(measured))[i] = round((value or 0) * scale, 1)
    return series


def _labels(result: DeployResult) -> list[str]:
    """One x-axis label per measurement: the canary step and number, or just the number."""
    labels = []
    for m in result.measurements:
        if m.get("samples"):
            step = re.search(r"(\d+%)", m["phase"])
            labels.append(f"{step.group(1)} #{m['index']}" if step else f"#{m['index']}")
    return labels


def mermaid_chart(result: DeployResult, field: str, title: str, scale: float = 1.0, limit: float | None = None) -> str:
    """An ``xychart-beta`` line chart of one figure per measurement; the limit as a bar."""
    series = _series(result, field, scale)
    if not series:
        return ""
    n = len(next(iter(series.values())))
    top = max([v for values in series.values() for v in values] + [(limit or 0) * scale]) * 1.1 or 1
    names = ", ".join(series)
    lines = ["```mermaid", "xychart-beta", f'    title "{title} ({names}{"; bars: limit" if limit is not None else ""})"']
    lines.append("    x-axis [" + ", ".join(f'"{label}"' for label in _labels(result)) + "]")
    lines.append(f'    y-axis "{title}" 0 --> {top:.1f}')
    if limit is not None:
        lines.append("    bar [" + ", ".join(f"{limit * scale:.1f}" for _ in range(n)) + "]")
    for values in series.values():
        lines.append("    line [" + ", ".join(f"{v:.1f}" for v in values) + "]")
    lines.append("```")
    return "\n".join(lines)


def markdown(result: DeployResult, analysis: manifest.Analysis | None = None) -> str:
    """The whole job summary section for one deploy or rollback."""
    icon = ICONS.get(result.result, "")
    out = [
        f"## {icon} {result.operation.capitalize()} to {result.environment}: {result.result}",
        "",
        markdown_table(
            ["environment", "strategy", "version", "result", "live slot", "live version"],
            [[result.environment, result.strategy, result.version or "", result.result, result.active_color or "", result.active_version or ""]],
        ),
        f"**Reason:** {result.reason}",
        "",
        "### Timeline",
        "",
        markdown_table(["time", "event", "detail"], timeline_rows(result)),
    ]
    if result.measurements:
        out += ["### Analysis", ""]
        err_limit = analysis.max_error_rate if analysis else None
        p95_limit = analysis.max_p95_ms if analysis else None
        out.append(mermaid_chart(result, "error_rate", "error rate %", 100, err_limit))
        out.append("")
        out.append(mermaid_chart(result, "p95_ms", "p95 ms", 1, p95_limit))
        rows = []
        for m in result.measurements:
            first = True
            for target, s in m.get("samples", {}).items():
                p95 = "–" if s["p95_ms"] is None else s["p95_ms"]
                rows.append([m["phase"] if first else "", m["index"] if first else "", target, s["requests"], f"{s['error_rate'] * 100:.1f}%", p95, m["status"] if first else ""])
                first = False
            if first:
                rows.append([m["phase"], m["index"], "", "", "", "", f"{m['status']}: {m['reason']}"])
        out += ["", markdown_table(["phase", "#", "target", "requests", "errors", "p95 ms", "status"], rows)]
    return "\n".join(out)
