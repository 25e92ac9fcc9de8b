"""Canary: raise the new slot's weight step by step, analysing canary and stable apart.

Each step measures the canary and the stable slot directly (bypassing the router), so
the canary is judged on its own requests: absolute thresholds, plus the optional
relative one (canary p95 at most stable p95 times a factor).
"""

from __future__ import annotations

from shipline.deploy.analysis import Decision, analyze
from shipline.deploy.strategies.bluegreen import BlueGreen


class Canary:
    """Weights from ``canary_steps``; the first failed step ends the run."""

    def shift(self, run, new: str, old: str | None) -> Decision:
        """Walk the steps; return the first decision that does not promote, else the last."""
        if old is None:  # nothing to compare with on a first deploy
            return BlueGreen().shift(run, new, old)
        decision = None
        for step in run.deploy.canary_steps:
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
            )
            if not decision.promote:
                return decision
        return decision
