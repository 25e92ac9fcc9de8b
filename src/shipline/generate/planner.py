"""Which jobs of the generated pipeline would run for an event, and why.

Reads the same `Condition` each job's ``if:`` is written from, so the plan and the
workflow cannot disagree. Pushes are taken to be to the default branch (the pipeline
runs on no other).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shipline.generate import budget
from shipline.generate.pipeline import build_workflows, matches
from shipline.manifest import Manifest


@dataclass(frozen=True)
class JobPlan:
    """One job: whether it runs and the reason."""

    job: str
    name: str
    runs: bool
    why: str


@dataclass(frozen=True)
class EnvBudget:
    """One environment's deploy time budget, in seconds."""

    service: str
    environment: str
    strategy: str
    steps: int
    promote: float
    rollback: float


def _changed_services(filters: dict[str, list[str]], changed: Sequence[str] | None) -> dict[str, str]:
    """service -> why it counts as changed; services that did not change are absent."""
    if changed is None:
        return {name: "every service counts as changed (no --changed given)" for name in filters}
    out = {}
    for name, filter_ in filters.items():
        hits = [p for p in changed if matches(filter_, p)]
        if hits:
            more = f" and {len(hits) - 1} more" if len(hits) > 1 else ""
            out[name] = f"{hits[0]}{more} changed"
    return out


def plan_jobs(manifest: Manifest, manifest_name: str, event: str, changed: Sequence[str] | None) -> list[JobPlan]:
    """Every pipeline job in order, with whether it runs for ``event`` and why."""
    built = build_workflows(manifest, manifest_name)
    pipeline = built.workflows[0]
    services = _changed_services(built.filters, changed)
    runs: dict[str, bool] = {}
    out = []
    branch = manifest.pipeline.default_branch
    for job in pipeline.jobs:
        c = job.condition
        blocked = [n for n in job.needs if not runs.get(n, False)]
        if c.always:
            ok, why = True, "always runs, so a required check never waits on skipped jobs"
        elif event not in c.events:
            ok, why = False, f"only on {' or '.join(c.events)} to {c.branch or branch}"
        elif c.service is not None and c.service not in services:
            filter_ = ", ".join(p or "everything" for p in built.filters[c.service])
            ok, why = False, f"{c.service} did not change (no changed path under {filter_})"
        elif blocked:
            ok, why = False, f"needs {', '.join(blocked)}, which does not run"
        else:
            ok = True
            reasons = [f"{event} to {branch}" if event == "push" else "pull request"]
            if c.service is not None:
                reasons.append(services[c.service])
            if job.needs:
                reasons.append(f"after {', '.join(job.needs)}")
            if job.environment:
                reasons.append(f'waits for approval in GitHub environment "{job.environment.name}" when it has reviewers')
            why = "; ".join(reasons)
        runs[job.id] = ok
        out.append(JobPlan(job.id, job.name, ok, why))
    return out


def budgets(manifest: Manifest) -> list[EnvBudget]:
    """The worst time to promote and to roll back, per service and environment."""
    out = []
    for svc in manifest.resolved_services():
        for env in svc.environments:
            b = budget.budget(env.deploy)
            out.append(EnvBudget(svc.name, env.name, env.deploy.strategy, b.steps, b.promote, b.rollback))
    return out
