"""The timeline of a deploy and the seam other parts of shipline hook onto.

A strategy emits `Event`s through a `Timeline`; every `Listener` registered on it
sees each event as it happens (the terminal log, GitHub Deployments, incident
issues...). A listener that raises never changes the course of a deploy: traffic
safety comes first, so its failure is recorded as a ``listener-error`` event.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Event:
    """One thing that happened, when, and the figures that go with it."""

    kind: str
    message: str
    at: float
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A plain dict for the state file and ``--format json``."""
        return {"kind": self.kind, "message": self.message, "at": self.at, "data": self.data}


class Listener(Protocol):
    """Anything that wants to follow a deploy as it happens."""

    def on_event(self, event: Event) -> None:
        """Called once per event, in order, from the deploying thread."""


class Timeline:
    """Records events and fans them out to listeners."""

    def __init__(self, listeners: list[Listener] | None = None, clock: Callable[[], float] = time.time) -> None:
        self.events: list[Event] = []
        self.listeners = list(listeners or [])
        self._clock = clock

    def emit(self, kind: str, message: str, **data: Any) -> Event:
        """Record an event and tell every listener."""
        event = Event(kind, message, self._clock(), data)
        self.events.append(event)
        for listener in self.listeners:
            try:
                listener.on_event(event)
            except Exception as err:  # a broken listener must not strand traffic mid-switch
                failure = Event("listener-error", f"{type(listener).__name__} failed on {kind}: {err}", self._clock())
                self.events.append(failure)
        return event
