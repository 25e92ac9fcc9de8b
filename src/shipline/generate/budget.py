"""How long a deploy can take: the worst time to promote and the worst time to roll back.

Pure arithmetic over an environment's deploy settings, shared by `shipline plan`, the
generator (deploy jobs' ``timeout-minutes``) and anything else that must bound a
deploy. The model, with Argo Rollouts' analysis semantics:

- The new slot has up to ``health_timeout`` to become healthy; if it never does, the
  deploy rolls back then, before any traffic moved.
- After every traffic step (blue-green has one step, 100%; canary one per entry of
  ``canary_steps``) the analysis takes ``count`` measurements, ``interval`` apart. A
  measurement sends ``probe.requests`` requests, ``probe.concurrency`` at a time, each
  allowed ``probe.timeout`` (the prometheus provider: ``settle``, then its queries,
  each allowed ``prometheus.timeout``).
- The analysis fails as soon as more than ``failure_limit`` measurements failed.

Worst time to promote: the new version is healthy at the last moment and every
measurement of every step takes its full time. Worst time to roll back: the version
becomes healthy at the last moment, passes every step but the last in full, then
fails ``failure_limit + 1`` measurements in a row there. (A version that never gets
healthy rolls back sooner, at ``health_timeout``.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shipline.manifest import Deploy


@dataclass(frozen=True)
class TimeBudget:
    """Seconds, worst case, from the start of a deploy."""

    steps: int
    measurement: float
    analysis: float
    promote: float
    rollback: float


def measurement_seconds(deploy: Deploy) -> float:
    """The longest one measurement can take: its requests in waves, each wave timing out (or, from Prometheus, its wait and queries)."""
    if deploy.analysis.provider == "prometheus":
        from shipline.monitor.promql import queries

        # ``settle``, then one query per figure for each of up to two targets (canary and stable)
        prom = deploy.analysis.prometheus
        return prom.settle + 2 * len(queries(prom, deploy.router.type, live=False)) * prom.timeout
    probe = deploy.analysis.probe
    return math.ceil(probe.requests / probe.concurrency) * probe.timeout


def budget(deploy: Deploy) -> TimeBudget:
    """The worst times to promote and to roll back for one environment's deploy settings."""
    a = deploy.analysis
    steps = len(deploy.canary_steps) if deploy.strategy == "canary" else 1
    m = measurement_seconds(deploy)
    analysis = a.count * m + (a.count - 1) * a.interval
    failing = min(a.failure_limit + 1, a.count)
    detect = failing * m + (failing - 1) * a.interval
    promote = deploy.health_timeout + steps * analysis
    rollback = deploy.health_timeout + (steps - 1) * analysis + detect
    return TimeBudget(steps=steps, measurement=m, analysis=analysis, promote=promote, rollback=rollback)


def minutes(seconds: float) -> int:
    """Whole minutes, rounded up."""
    return max(1, math.ceil(seconds / 60))


def human(seconds: float) -> str:
    """``45s``, ``3m 20s`` or ``1h 5m``."""
    s = int(math.ceil(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60}s" if s % 60 else f"{s // 60}m"
    return f"{s // 3600}h {(s % 3600) // 60}m"
