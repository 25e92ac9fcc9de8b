"""Baseline regression: this run against the last accepted one.

A baseline is the JSON summary of an earlier run (``summary.json`` in the report
directory has the same shape), so the pipeline can keep the default branch's last
report as an artifact and compare every later run with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from shipline.errors import InputError
from shipline.loadtest.gates import OVERALL, Check
from shipline.loadtest.results import RunStats

SUMMARY_KIND = "shipline-loadtest-summary"
# a generator process busy (on a CPU or waiting for one) this share of the run had no capacity to spare
GENERATOR_SATURATED = 0.8
# a generator that waited for a CPU this much more of the run than the baseline's did was starved
MORE_WAIT_THAN_BASELINE = 0.1


@dataclass(frozen=True)
class Baseline:
    """The figures a run is compared with."""

    p95_ms: float
    rps: float
    users: int | None
    generator_busy_share: float = 0.0  # share of the run its load generator was on a CPU or waiting for one
    generator_wait_share: float = 0.0  # share of the run its load generator waited for a CPU


def load(path: Path, display: str) -> Baseline:
    """Read a baseline written by ``--update-baseline`` (or a run's ``summary.json``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        total = data["total"]
        generator = data.get("generator") or {}
        busy, wait = float(generator.get("busy_share", 0.0)), float(generator.get("wait_share", 0.0))
        return Baseline(float(total["p95_ms"]), float(total["rps"]), data.get("users"), generator_busy_share=busy, generator_wait_share=wait)
    except OSError as err:
        raise InputError(f"{display}: cannot read the baseline: {err.strerror}") from None
    except (ValueError, KeyError, TypeError) as err:
        raise InputError(f"{display}: not a shipline load-test baseline ({type(err).__name__}: {err}); write one with --update-baseline") from None


def save(path: Path, summary: dict[str, object]) -> None:
    """Write ``summary`` as the new baseline, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    partial.replace(path)


def generator_starved(run: RunStats, baseline: Baseline) -> str | None:
    """Why the load generator, not the service, may have set these figures; None when it kept up.

    With a fixed number of closed-loop users, the load offered is whatever the
    generator manages to send, and the response times it measures include its own
    wait for a CPU. A generator busy (on a CPU or waiting for one) most of this run had
    no headroom: the throughput was its own; one that waited for a CPU much more than
    the baseline's measured its own delays too. A baseline whose generator was
    saturated only understates the service, so an idle generator now still judges it.
    """
    g = run.generator
    if not g:
        return None
    more_wait = g["wait_share"] - baseline.generator_wait_share
    if g["busy_share"] < GENERATOR_SATURATED and more_wait < MORE_WAIT_THAN_BASELINE:
        return None
    return (
        f"busy {g['busy_share']:.0%} of the run against {baseline.generator_busy_share:.0%} in the baseline, "
        f"waiting for a CPU {g['wait_share']:.0%} against {baseline.generator_wait_share:.0%}"
    )


def compare(run: RunStats, baseline: Baseline, max_p95_increase: float, max_rps_decrease: float, p95_noise_ms: float = 5.0) -> tuple[list[Check], list[str]]:
    """p95 may grow, and the throughput fall, by at most the given shares of the baseline's; and warnings.

    A p95 that grew by no more than ``p95_noise_ms`` passes whatever the share: at a
    few milliseconds, +200% is noise, not a regression. Throughput is judged only
    against load the generator could offer with room to spare: when it could not keep
    up (`generator_starved`), a worse figure is reported as that, in a warning, not as
    a regression of the service.
    """
    checks = []
    # a fast service's baseline p95 can be a fraction of a millisecond: growth is measured from 1 ms at least
    reference = max(baseline.p95_ms, 1.0)
    growth = max(run.total.p95_ms, reference) / reference - 1
    within = growth <= max_p95_increase or run.total.p95_ms - baseline.p95_ms <= p95_noise_ms
    checks.append(Check(OVERALL, f"p95 growth over the baseline's {baseline.p95_ms:g} ms", growth, max_p95_increase, within, "share", "regression"))
    if baseline.rps > 0:
        drop = 1 - run.total.rps / baseline.rps
        metric = f"rps drop from the baseline's {baseline.rps:.1f} req/s"
        checks.append(Check(OVERALL, metric, drop, max_rps_decrease, drop <= max_rps_decrease, "share", "regression"))
    worse = [c for c in checks if not c.passed]
    starved = generator_starved(run, baseline) if worse else None
    if starved is None:
        return checks, []
    figures = ", ".join(f"{c.metric} {c.measured_text}" for c in worse)
    warning = f"{figures}: the load generator could not keep up ({starved}); not counted as a regression of the service"
    return [replace(c, passed=True) for c in checks], [warning]
