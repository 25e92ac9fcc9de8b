"""Promote or roll back from measurements, with Argo Rollouts' semantics.

``count`` measurements, ``interval`` apart (the first at once). Each is successful,
failed, inconclusive, or an error (the provider could not measure). The run stops as
failed as soon as failed measurements exceed ``failure_limit``, and as an error as
soon as consecutive errors exceed ``consecutive_error_limit``. After ``count``
measurements it is inconclusive if any measurement was, an error if none could be
taken (Argo calls that successful; nothing was judged, so shipline does not promote),
else successful. Failed and error roll back; inconclusive rolls back unless
``analysis.inconclusive`` is promote.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shipline import manifest
from shipline.deploy.controls import Controls, wait
from shipline.deploy.events import Timeline
from shipline.deploy.providers import MeasurementError, MetricProvider, Sample
from shipline.monitor.promql import holds


GRACE = 0.5  # seconds a measurement may run past the time the next one is scheduled


def measurement_deadline(scheduled: float, interval: float, settle: float = 0.0) -> float:
    """Seconds the measurement scheduled at ``scheduled`` (monotonic) may still take: until the next one's time plus `GRACE`.

    Counted from when it really starts: a runner that fell behind its schedule (a loaded
    CI machine, a stalled thread) must not shorten the target's time and fail a healthy
    version. A provider that waits ``settle`` seconds on purpose before its figures exist
    (for scrapes to catch up) gets that much longer.
    """
    return max(scheduled, time.monotonic()) + interval + settle + GRACE - time.monotonic()


def measure_within(provider: MetricProvider, targets: dict[str, str], deadline: float) -> dict[str, Sample] | None:
    """The provider's figures, or None when it has none within ``deadline`` seconds.

    The provider runs in a daemon thread: one stuck on a dead socket is left behind
    (its own timeouts end it) instead of holding the deploy.
    """
    measured: list[dict[str, Sample]] = []
    failed: list[BaseException] = []  # handed back to the deploying thread

    def work() -> None:
        try:
            measured.append(provider.measure(targets))
        except BaseException as err:
            failed.append(err)

    worker = threading.Thread(target=work, name="measurement", daemon=True)
    worker.start()
    worker.join(deadline)
    if worker.is_alive():
        return None
    if failed:
        raise failed[0]
    return measured[0]


@dataclass(frozen=True)
class Measurement:
    """One round of figures and what it meant."""

    phase: str
    index: int
    at: float
    status: str  # successful | failed | inconclusive | error
    reason: str
    samples: dict[str, Sample] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Plain data for the state, the summary and JSON output."""
        return {
            "phase": self.phase,
            "index": self.index,
            "at": self.at,
            "status": self.status,
            "reason": self.reason,
            "samples": {k: s.to_json() for k, s in self.samples.items()},
        }


@dataclass(frozen=True)
class Decision:
    """The verdict of one analysis run, with the reason and the figures behind it."""

    promote: bool
    outcome: str  # successful | failed | error | inconclusive
    reason: str
    measurements: list[Measurement]


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def judge(samples: dict[str, Sample], analysis: manifest.Analysis, judged: str, baseline: str | None) -> tuple[str, str]:
    """Status and reason of one measurement of target ``judged`` (against ``baseline``, for canaries)."""
    sample = samples[judged]
    if sample.requests == 0:
        return "inconclusive", f"{judged}: {sample.unmeasured or 'no requests were measured'}"
    failures = []
    for name, condition in analysis.success_conditions():
        value = sample.metrics.get(name)
        if value is None:
            return "inconclusive", f'{judged}: metric "{name}" has no value, so "{condition}" cannot be judged'
        if not holds(condition, value):
            failures.append(f'{judged} metric "{name}" = {value:g} fails "{condition}"')
    if sample.error_rate > analysis.max_error_rate:
        failures.append(f"{judged} error rate {_pct(sample.error_rate)} over {_pct(analysis.max_error_rate)}")
    if sample.p95_ms is not None and sample.p95_ms > analysis.max_p95_ms:
        failures.append(f"{judged} p95 {sample.p95_ms:.0f} ms over {analysis.max_p95_ms:g} ms")
    if baseline and analysis.relative_p95_factor and sample.p95_ms is not None:
        stable = samples[baseline]
        if stable.p95_ms is None:
            if not failures:
                return "inconclusive", f"{baseline} answered no request successfully, so {judged} cannot be compared with it"
        elif sample.p95_ms > stable.p95_ms * analysis.relative_p95_factor:
            failures.append(f"{judged} p95 {sample.p95_ms:.0f} ms over {baseline} p95 {stable.p95_ms:.0f} ms x {analysis.relative_p95_factor:g}")
    if failures:
        return "failed", "; ".join(failures) + _hosts_over(samples, analysis, judged)
    p95 = f", p95 {sample.p95_ms:.0f} ms" if sample.p95_ms is not None else ""
    return "successful", f"{judged} error rate {_pct(sample.error_rate)}{p95}"


def _hosts_over(samples: dict[str, Sample], analysis: manifest.Analysis, judged: str) -> str:
    """`` (on web2)``: the hosts whose own figures of ``judged`` (samples ``JUDGED@HOST``) break an absolute limit."""
    prefix = f"{judged}@"
    over = [
        name.removeprefix(prefix)
        for name, s in samples.items()
        if name.startswith(prefix) and (s.error_rate > analysis.max_error_rate or (s.p95_ms is not None and s.p95_ms > analysis.max_p95_ms))
    ]
    return f" (on {', '.join(over)})" if over else ""


def _measure_once(provider: MetricProvider, analysis: manifest.Analysis, targets: dict[str, str], judged: str, baseline: str | None, phase: str, index: int, deadline: float, check: Callable[[], str | None]) -> Measurement:
    """One measurement: failed at once when ``check`` finds the target dead, or when the deadline passes."""
    dead = check()
    if dead:
        return Measurement(phase, index, time.time(), "failed", f"{judged}: {dead}")
    try:
        samples = measure_within(provider, targets, deadline)
    except MeasurementError as err:
        return Measurement(phase, index, time.time(), "error", str(err))
    if samples is None:
        why = check() or f"no figures within {deadline:.2f}s (the measurement deadline): it stopped answering or is too slow"
        return Measurement(phase, index, time.time(), "failed", f"{judged}: {why}")
    status, reason = judge(samples, analysis, judged, baseline)
    return Measurement(phase, index, time.time(), status, reason, samples)


def operator_decision(action: str, by: str, phase: str, measurements: list[Measurement]) -> Decision:
    """The decision an operator's abort, promote or promote --full stands for."""
    if action == "abort":
        return Decision(False, "aborted", f"{phase}: aborted by {by} (shipline abort)", measurements)
    if action == "promote-full":
        return Decision(True, "promoted-full", f"{phase}: promoted by {by}, remaining steps skipped (shipline promote --full)", measurements)
    return Decision(True, "promoted", f"{phase}: promoted by {by} (shipline promote)", measurements)


def analyze(
    provider: MetricProvider,
    analysis: manifest.Analysis,
    targets: dict[str, str],
    judged: str,
    timeline: Timeline,
    phase: str,
    baseline: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
    check: Callable[[], str | None] = lambda: None,
    controls: Controls | None = None,
    progress_deadline: float = 600.0,
) -> Decision:
    """Measure ``targets`` ``analysis.count`` times and decide; every measurement goes on the timeline.

    ``check`` says why the judged target cannot be serving (its process died), or None.
    ``controls``: an operator's abort or promote ends the analysis between measurements.
    """
    measurements: list[Measurement] = []
    failed = inconclusive = consecutive_errors = 0
    start = time.monotonic() + analysis.initial_delay
    for index in range(analysis.count):
        pause = start + index * analysis.interval - time.monotonic()
        if controls is None:
            if pause > 0:
                sleep(pause)
        else:
            action, req = wait(controls, max(0.0, pause), time.monotonic() + max(0.0, pause) + 1)
            if req is not None:
                return operator_decision(action, req.by, phase, measurements)
        deadline = measurement_deadline(start + index * analysis.interval, analysis.interval, provider.settle)
        m = _measure_once(provider, analysis, targets, judged, baseline, phase, index + 1, deadline, check)
        consecutive_errors = consecutive_errors + 1 if m.status == "error" else 0
        failed += m.status == "failed"
        inconclusive += m.status == "inconclusive"
        measurements.append(m)
        timeline.emit("measurement", f"{phase}: measurement {m.index}/{analysis.count} {m.status}: {m.reason}", **m.to_json())
        if failed > analysis.failure_limit:
            return Decision(False, "failed", f"{phase}: {m.reason} ({failed} failed measurement(s), failure_limit {analysis.failure_limit})", measurements)
        if consecutive_errors > analysis.consecutive_error_limit:
            return Decision(False, "error", f"{phase}: {consecutive_errors} consecutive measurement errors (consecutive_error_limit {analysis.consecutive_error_limit}): {m.reason}", measurements)
        if controls is not None and analysis.inconclusive_limit is not None and inconclusive > analysis.inconclusive_limit:
            return _paused_for_a_person(controls, timeline, phase, inconclusive, analysis.inconclusive_limit, progress_deadline, measurements)
    if inconclusive:
        promote = analysis.inconclusive == "promote"
        verb = "promoting" if promote else "rolling back"
        why = next(m.reason for m in reversed(measurements) if m.status == "inconclusive")
        return Decision(promote, "inconclusive", f"{phase}: {inconclusive} inconclusive measurement(s), the last: {why}; {verb} (analysis.inconclusive: {analysis.inconclusive})", measurements)
    passed = [m for m in measurements if m.status == "successful"]
    errors = len(measurements) - len(passed)  # failed and inconclusive ones returned above
    if not passed:  # every measurement was an error: nothing was judged, so nothing may be promoted
        return Decision(False, "error", f"{phase}: none of {len(measurements)} measurement(s) could be taken, the last: {measurements[-1].reason}", measurements)
    counted = f"{len(passed)} measurement(s) passed"
    if errors:
        counted = f"{len(passed)} of {len(measurements)} measurement(s) passed, {errors} error(s) within consecutive_error_limit {analysis.consecutive_error_limit}"
    return Decision(True, "successful", f"{phase}: {counted} ({passed[-1].reason})", measurements)


def _paused_for_a_person(controls: Controls, timeline: Timeline, phase: str, inconclusive: int, limit: int, progress_deadline: float, measurements: list[Measurement]) -> Decision:
    """Argo's inconclusiveLimit: hold the weights until someone promotes or aborts, at most ``progress_deadline``."""
    timeline.emit(
        "paused",
        f"{phase}: {inconclusive} inconclusive measurement(s), over inconclusive_limit {limit}: paused until `shipline promote` or `shipline abort` "
        f"(progress_deadline {progress_deadline:g}s)",
        reason="inconclusive",
    )
    action, req = wait(controls, None, time.monotonic() + progress_deadline)
    if req is not None:
        return operator_decision(action, req.by, phase, measurements)
    return Decision(False, "failed", f"{phase}: paused for a person past progress_deadline {progress_deadline:g}s with {inconclusive} inconclusive measurement(s)", measurements)
