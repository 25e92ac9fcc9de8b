"""Which jobs of the generated pipeline would run for an event, and why.

Reads the same `Condition` each job's ``if:`` is written from (`Condition.blocker`), and
the workflow's own ``on:`` triggers, so the plan and the workflow cannot disagree.
Pushes are taken to be to the default branch (the pipeline runs on no other);
``workflow_dispatch`` plans the rollback workflow, whose jobs run when chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

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


def plan_jobs(manifest: Manifest, manifest_name: str, event: str, changed: Sequence[str] | None, root: Path | None = None) -> list[JobPlan]:
    """Every job of the workflows ``event`` triggers, in order, with whether it runs and why."""
    built = build_workflows(manifest, manifest_name, root)
    services = _changed_services(built.filters, changed)
    branch = manifest.pipeline.default_branch
    out = []
    for workflow in built.workflows:
        if event not in workflow.on:
            if workflow is built.workflows[0]:
                out += [JobPlan(j.id, j.name, False, f"{workflow.filename} does not run on {event}") for j in workflow.jobs]
            continue
        runs: dict[str, bool] = {}
        for job in workflow.jobs:
            c = job.condition
            blocked = [n for n in job.needs if not runs.get(n, False)]
            blocker = c.blocker(event, services, branch)
            if blocker is not None:
                if c.service is not None and c.service in built.filters and c.service not in services:
                    blocker += f" (no changed path under {', '.join(p or 'everything' for p in built.filters[c.service])})"
                ok, why = False, blocker
            elif blocked and not c.always:
                ok, why = False, f"needs {', '.join(blocked)}, which does not run"
            elif c.always:
                ok, why = True, "always runs, so a required check never waits on skipped jobs"
            else:
                ok = True
                reasons = {"push": f"{event} to {branch}", "pull_request": "pull request"}.get(event, f"{event}")
                reasons_list = [reasons]
                if c.service is not None:
                    reasons_list.append(services[c.service])
                if job.needs:
                    reasons_list.append(f"after {', '.join(job.needs)}")
                if job.if_:
                    reasons_list.append(f"when {job.if_}")
                if job.environment:
                    reasons_list.append(f'waits for approval in GitHub environment "{job.environment.name}" when it has reviewers')
                why = "; ".join(reasons_list)
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
