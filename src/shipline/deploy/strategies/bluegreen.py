"""Blue-green: switch all traffic at once, then watch the live entry point."""

from __future__ import annotations

from shipline.deploy.analysis import Decision, analyze
from shipline.deploy.strategies.base import StrategyRun


class BlueGreen:
    """One switch, one analysis through the environment's URL."""

    def shift(self, run: StrategyRun, new: str, old: str | None) -> Decision:
        """Switch to ``new`` and analyse what users get."""
        run.set_phase("switching")
        run.router.switch(new)
        run.timeline.emit("switch", f"traffic switched to {new}", color=new, weights={new: 100})
        run.set_phase("analysis")
        return analyze(
            run.provider,
            run.analysis,
            {"live": run.live_url},
            "live",
            run.timeline,
            f"after the switch to {new}",
            check=lambda: run.slots.serving_problem(new),
            controls=run.controls,
            progress_deadline=run.deploy.progress_deadline,
        )
