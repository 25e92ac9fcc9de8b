"""Operator controls of a running deploy, with Argo Rollouts' semantics.

`shipline abort` and `shipline promote` do not take the environment's lock (the
running deploy holds it): they write a request into ``<env>.control`` beside the
state, and the deploy reads it between measurements and while it pauses.

- abort: traffic back to the stable slot at once, the new one stopped (rolled back).
- promote: end the current pause, or the current step's analysis, as passed.
- promote --full: skip every remaining step and analysis; promote now.

A deploy pauses at a canary ``pause`` step (for a duration, or until promote) and when
inconclusive measurements exceed ``analysis.inconclusive_limit`` (until promote, or
abort). No pause outlasts ``progress_deadline``: then the deploy rolls back by itself.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shipline.deploy.state import now_iso, write_atomically

ACTIONS = ("abort", "promote", "promote-full")
POLL = 0.1


@dataclass(frozen=True)
class Request:
    """What an operator asked of the running deploy."""

    action: str  # abort | promote | promote-full
    by: str
    at: str


class Controls:
    """The control file of one environment."""

    def __init__(self, state_dir: Path, environment: str):
        self.path = state_dir / f"{environment}.control"

    def request(self, action: str, by: str) -> Request:
        """Leave ``action`` for the running deploy."""
        req = Request(action, by, now_iso())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, json.dumps(req.__dict__) + "\n")
        return req

    def take(self, wanted: tuple[str, ...] = ACTIONS) -> Request | None:
        """The pending request if it is one of ``wanted``, consumed; else None (an unreadable file counts as none)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            req = Request(str(data["action"]), str(data.get("by", "")), str(data.get("at", "")))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if req.action not in wanted:
            return None
        self.path.unlink(missing_ok=True)
        return req

    def clear(self) -> None:
        """Forget a request left from an earlier run."""
        self.path.unlink(missing_ok=True)


def operator() -> str:
    """Who is asking, for the timeline."""
    user = os.environ.get("GITHUB_ACTOR") or os.environ.get("USER") or "someone"
    return f"{user} (pid {os.getpid()})"


def wait(controls: Controls, seconds: float | None, deadline: float, sleep: Callable[[float], None] = time.sleep) -> tuple[str, Request | None]:
    """Pause ``seconds`` (None: until promoted), never past ``deadline`` (monotonic).

    Returns ("done", None) when the pause ran out, ("promote"|"promote-full"|"abort", request)
    when an operator acted, ("deadline", None) when the progress deadline came first.
    """
    start = time.monotonic()
    while True:
        req = controls.take()
        if req is not None:
            return req.action, req
        now = time.monotonic()
        if seconds is not None and now - start >= seconds:
            return "done", None
        if now >= deadline:
            return "deadline", None
        sleep(POLL)
