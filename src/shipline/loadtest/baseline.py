"""Baseline regression: this run against the last accepted one.

A baseline is the JSON summary of an earlier run (``summary.json`` in the report
directory has the same shape), so the pipeline can keep the default branch's last
report as an artifact and compare every later run with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from shipline.errors import InputError
from shipline.loadtest.gates import OVERALL, Check
from shipline.loadtest.results import RunStats

SUMMARY_KIND = "shipline-loadtest-summary"
# a generator process busy (on a CPU or waiting for one) this share of the run had no capacity to spare
GENERATOR_SATURATED = 0.9


@dataclass(frozen=True)
class Baseline:
    """The figures a run is compared with."""

    p95_ms: float
    rps: float
    users: int | None


def load(path: Path, display: str) -> Baseline:
    """Read a baseline written by ``--update-baseline`` (or a run's ``summary.json``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        total = data["total"]
        return Baseline(p95_ms=float(total["p95_ms"]), rps=float(total["rps"]), users=data.get("users"))
    except OSError as err:
        raise InputError(f"{display}: cannot read the baseline: {err.strerror}") from None
    except (ValueError, KeyError, TypeError) as err:
        raise InputError(f"{display}: not a shipline load-test baseline ({type(err).__name__}: {err}); write one with --update-baseline") from None


def save(path: Path, summary: dict) -> None:
    """Write ``summary`` as the new baseline, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    partial.replace(path)


def generator_starved(run: RunStats) -> str | None:
    """Why the load generator, not the service, set this run's pace; None when it had CPU to spare.

    With a fixed number of closed-loop users, the load offered is whatever the
    generator manages to send: when its busiest process spent most of the run on a
    CPU or waiting for one, throughput measures the runner, not the service.
    """
    g = run.generator
    if not g or g["busy_share"] < GENERATOR_SATURATED:
        return None
    return f"busy {g['busy_share']:.0%} of the run, {g['wait_share']:.0%} of it waiting for a CPU"


def compare(run: RunStats, baseline: Baseline, max_p95_increase: float, max_rps_decrease: float, p95_noise_ms: float = 5.0) -> tuple[list[Check], list[str]]:
    """p95 may grow, and rps fall, by at most the given shares of the baseline's; and warnings.

    A p95 that grew by no more than ``p95_noise_ms`` passes whatever the share: at a
    few milliseconds, +200% is noise, not a regression. An rps drop while the load
    generator was saturated is reported as the generator not keeping up, not as a
    regression of the service.
    """
    checks, warnings = [], []
    # a fast service's baseline p95 can be a fraction of a millisecond: growth is measured from 1 ms at least
    reference = max(baseline.p95_ms, 1.0)
    growth = max(run.total.p95_ms, reference) / reference - 1
    within = growth <= max_p95_increase or run.total.p95_ms - baseline.p95_ms <= p95_noise_ms
    checks.append(Check(OVERALL, f"p95 growth over the baseline's {baseline.p95_ms:g} ms", growth, max_p95_increase, within, "share", "regression"))
    if baseline.rps > 0:
        drop = 1 - run.total.rps / baseline.rps
        metric = f"rps drop from the baseline's {baseline.rps:.1f} req/s"
        starved = generator_starved(run) if drop > max_rps_decrease else None
        if starved:
            warnings.append(f"{metric}: {drop:.0%}, but the load generator could not keep up ({starved}); not counted as a regression of the service")
        checks.append(Check(OVERALL, metric, drop, max_rps_decrease, drop <= max_rps_decrease or starved is not None, "share", "regression"))
    return checks, warnings
