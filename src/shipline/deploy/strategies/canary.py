"""Canary: raise the new slot's weight step by step, analysing canary and stable apart.

Each step measures the canary and the stable slot directly (bypassing the router), so
the canary is judged on its own requests: absolute thresholds, plus the optional
relative one (canary p95 at most stable p95 times a factor). A ``pause`` step holds
the weights for its duration, or until `shipline promote`; `shipline abort` ends any
step, `shipline promote --full` skips the rest.
"""

from __future__ import annotations

import time

from shipline.deploy.analysis import Decision, analyze, operator_decision
from shipline.deploy.controls import wait
from shipline.deploy.strategies.base import StrategyRun
from shipline.deploy.strategies.bluegreen import BlueGreen


class Canary:
    """Weights from ``canary_steps``; the first failed step ends the run."""

    def shift(self, run: StrategyRun, new: str, old: str | None) -> Decision:
        """Walk the steps; return the first decision that does not promote, else the last."""
        if old is None:  # nothing to compare with on a first deploy
            return BlueGreen().shift(run, new, old)
        decision = Decision(True, "successful", "no analysis ran", [])
        weight = 0
        for step in run.deploy.canary_steps:
            if not isinstance(step, int):
                paused = self._pause(run, step.pause, weight, new)
                if paused is None:
                    continue
                if not paused.promote or paused.outcome == "promoted-full":
                    return self._finish(run, paused, new, old)
                continue
            weight = step
            run.set_phase(f"canary {step}%")
            weights = {new: step, old: 100 - step}
            run.router.set_weights(weights)
            run.timeline.emit("weights", f"{step}% of traffic to {new} (canary), {100 - step}% to {old}", weights=weights, step=step)
            targets = {"canary": run.slots.url(new)}
            if step < 100:
                targets["stable"] = run.slots.url(old)
            decision = analyze(
                run.provider,
                run.analysis,
                targets,
                "canary",
                run.timeline,
                f"canary at {step}%",
                baseline="stable" if step < 100 else None,
                check=lambda: run.slots.serving_problem(new),
                controls=run.controls,
                progress_deadline=run.deploy.progress_deadline,
            )
            if not decision.promote or decision.outcome == "promoted-full":
                return self._finish(run, decision, new, old)
        return decision

    def _pause(self, run: StrategyRun, pause: float | str, weight: int, new: str) -> Decision | None:
        """Hold the weights; None when the pause simply ran out (or was promoted), else the operator's decision."""
        phase = f"paused at {weight}%"
        run.set_phase(phase)
        until = "until `shipline promote`" if pause == "promote" else f"for {pause:g}s"
        run.timeline.emit("paused", f"canary paused at {weight}% {until} (progress_deadline {run.deploy.progress_deadline:g}s)", step=weight)
        seconds = None if pause == "promote" else float(pause)
        action, req = wait(run.controls, seconds, time.monotonic() + run.deploy.progress_deadline)
        if action == "done" or action == "promote":
            run.timeline.emit("resumed", f"canary resumed at {weight}%" + (f" (promoted by {req.by})" if req else ""), step=weight)
            return None
        if req is not None:
            return operator_decision(action, req.by, phase, [])
        return Decision(False, "failed", f"{phase}: no promote within progress_deadline {run.deploy.progress_deadline:g}s", [])

    def _finish(self, run: StrategyRun, decision: Decision, new: str, old: str) -> Decision:
        """A promote --full goes straight to 100%; anything else is returned as it is."""
        if decision.outcome == "promoted-full":
            run.set_phase("canary 100%")
            run.router.set_weights({new: 100, old: 0})
            run.timeline.emit("weights", f"100% of traffic to {new} (promote --full)", weights={new: 100, old: 0}, step=100)
        return decision
