"""What a strategy may use of the deploy run: a small typed view, not the whole engine."""

from __future__ import annotations

from typing import Protocol

from shipline import manifest
from shipline.deploy.controls import Controls
from shipline.deploy.events import Timeline
from shipline.deploy.providers import MetricProvider
from shipline.deploy.routers import Router
from shipline.deploy.slots import SlotSet


class StrategyRun(Protocol):
    """The deploy run as a strategy sees it (the engine provides it)."""

    @property
    def deploy(self) -> manifest.Deploy: ...

    @property
    def analysis(self) -> manifest.Analysis: ...

    @property
    def live_url(self) -> str: ...

    @property
    def router(self) -> Router: ...

    @property
    def provider(self) -> MetricProvider: ...

    @property
    def slots(self) -> SlotSet: ...

    @property
    def controls(self) -> Controls: ...

    @property
    def timeline(self) -> Timeline: ...

    def set_phase(self, phase: str) -> None:
        """Record how far the pending operation got, before doing it."""
