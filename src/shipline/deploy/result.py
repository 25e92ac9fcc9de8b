"""The outcome of a deploy or rollback: plain data with the timeline and measurements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shipline.deploy.events import Event

PROMOTED = "promoted"
ROLLED_BACK = "rolled-back"
FAILED = "failed"
INTERRUPTED = "interrupted"  # found in the history: a run that was killed


@dataclass
class DeployResult:
    """What happened to one environment, for outputs, the job summary and listeners."""

    environment: str
    operation: str  # deploy | rollback
    strategy: str
    version: str | None  # the version this run deployed (or rolled back to)
    result: str  # promoted | rolled-back | failed
    reason: str
    active_color: str | None
    active_version: str | None
    ok: bool  # the run did what it was asked: exit 0
    started: float
    finished: float
    events: list[Event] = field(default_factory=list)

    @property
    def measurements(self) -> list[dict[str, Any]]:
        """Every analysis measurement, in order."""
        return [e.data for e in self.events if e.kind == "measurement"]

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--format json``."""
        return {
            "environment": self.environment,
            "operation": self.operation,
            "strategy": self.strategy,
            "version": self.version,
            "result": self.result,
            "reason": self.reason,
            "active_color": self.active_color,
            "active_version": self.active_version,
            "started": self.started,
            "finished": self.finished,
            "timeline": [e.to_json() for e in self.events],
        }
