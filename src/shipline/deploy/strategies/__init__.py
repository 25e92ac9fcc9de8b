"""Strategies: how traffic moves to a new, already healthy slot, and when to stop.

A strategy shifts traffic and analyses it; the engine owns everything around that
(lock, state, starting slots, promotion, rollback). One registry, keyed like the
manifest's ``deploy.strategy``.
"""

from __future__ import annotations

from typing import Protocol

from shipline.deploy.analysis import Decision
from shipline.deploy.strategies.base import StrategyRun
from shipline.deploy.strategies.bluegreen import BlueGreen
from shipline.deploy.strategies.canary import Canary


class Strategy(Protocol):
    """Moves traffic from ``old`` (None on a first deploy) to ``new`` and returns the analysis decision."""

    def shift(self, run: StrategyRun, new: str, old: str | None) -> Decision:
        """Shift traffic and analyse; the engine rolls back when the decision says so."""


STRATEGIES: dict[str, type[Strategy]] = {"blue-green": BlueGreen, "canary": Canary}
