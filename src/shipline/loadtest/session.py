"""One load test from plan to verdict: safety, locust, results, gates, baseline.

Returns a `Verdict` for the command to report; prints nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from shipline.errors import ToolError
from shipline.loadtest import baseline, diagnose, gates, results, runner, safety, summary
from shipline.loadtest.plan import Plan
from shipline.loadtest.tally import EndpointTally
from shipline.manifest import Environment


@dataclass
class Verdict:
    """What a run measured and what the gates said."""

    plan: Plan
    stats: results.RunStats
    checks: list[gates.Check]
    result: str  # passed, failed or interrupted
    summary: dict[str, object]
    files: results.ReportFiles
    warnings: list[str] = field(default_factory=list)
    baseline_written: bool = False


def check_target(plan: Plan, environments: Sequence[Environment], allow_host: bool) -> Plan:
    """Refuse a host the manifest does not allow, and an unreachable one; name its environment."""
    matched = safety.check_host(plan.host, environments, allow_host)
    safety.preflight(plan.host)
    if plan.environment is None and matched is not None:
        return replace(plan, environment=matched.name)
    return plan


def _regression(plan: Plan, stats: results.RunStats, display: Callable[[Path], str]) -> tuple[list[gates.Check], list[str]]:
    if plan.baseline is None:
        return [], []
    if not plan.baseline.is_file():
        if plan.update_baseline:
            return [], []
        return [], [f"no baseline at {display(plan.baseline)}; the regression check was skipped (write one with --update-baseline)"]
    base = baseline.load(plan.baseline, display(plan.baseline))
    warnings = []
    if base.users is not None and base.users != plan.users:
        warnings.append(f"the baseline ran {base.users} users and this run {plan.users}; rps and latency may not compare")
    checks, more = baseline.compare(stats, base, plan.max_p95_increase, plan.max_rps_decrease, plan.p95_noise_ms)
    return checks, warnings + more


def execute(
    plan: Plan,
    bound_s: float,
    display: Callable[[Path], str],
    environ: Mapping[str, str],
    on_progress: Callable[[runner.Progress], None] | None = None,
) -> Verdict | None:
    """Run locust for ``plan`` and judge it; None for a worker, which only generates load."""
    files = results.ReportFiles(plan.report_dir)
    outcome = runner.run(plan, files, bound_s, environ, on_progress)
    if plan.role == "worker":
        if outcome.returncode not in (0, 1) and not outcome.interrupted:
            raise ToolError("locust", f"worker exited with code {outcome.returncode} (log: {display(files.log)})")
        return None
    stats = results.read(files)
    if stats is None and outcome.interrupted:  # stopped before the users started: a summary of nothing
        stats = results.RunStats(results.EndpointStats.from_tally("", "Aggregated", EndpointTally(), 0.0), [], [], 0.0, [], final=False)
    if stats is None:
        log = files.log.read_text(encoding="utf-8", errors="replace") if files.log.is_file() else ""
        raise diagnose.startup_failure(log, outcome.returncode, plan.locustfile, display(plan.locustfile))
    checks, warnings = gates.slo_checks(stats, plan.limits, plan.endpoint_limits)
    regression, more = _regression(plan, stats, display)
    if not stats.final and not outcome.interrupted:
        more.append(f"locust stopped without its final figures (exit code {outcome.returncode}); these are the last it reported")
    verdict = Verdict(plan, stats, checks + regression, "passed", {}, files, warnings + more)
    if outcome.interrupted:
        verdict.result = "interrupted"
    elif stats.aborted or not stats.final or any(not c.passed for c in verdict.checks):
        verdict.result = "failed"
    verdict.summary = summary.to_json(plan, stats, verdict.checks, verdict.result)
    files.summary.write_text(json.dumps(verdict.summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if plan.update_baseline and plan.baseline is not None and verdict.result == "passed":
        baseline.save(plan.baseline, verdict.summary)
        verdict.baseline_written = True
    return verdict
