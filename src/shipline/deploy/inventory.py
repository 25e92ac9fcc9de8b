"""What one machine holds for an environment: its slots, its router's weights, its releases.

`shipline status` and `shipline releases` read the same table, from this runner's own
slots or from each host's over SSH, so both commands agree on what runs where.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from shipline.deploy.releases import Release
from shipline.deploy.routers import Router
from shipline.deploy.routers.base import RouterError
from shipline.deploy.state import COLORS, State, now_iso

HEALTH_WAIT = 2.0
UNREACHABLE, NOT_SERVING, ROUTER_LOST = "unreachable", "not-serving", "router-lost"


class SlotReader(Protocol):
    """What the table reads of a machine's slots (local `Slots` and `RemoteSlots` alike)."""

    def running_version(self, color: str) -> str | None:
        """The version the slot runs, when it is alive."""
        ...

    def serving_problem(self, color: str) -> str | None:
        """Why the slot does not serve, or None."""
        ...

    def health_url(self, color: str) -> str:
        """The slot's health URL, from this runner."""
        ...


@dataclass(frozen=True)
class SlotRow:
    """One slot: the version it runs and, when asked, whether it serves."""

    color: str
    version: str | None
    problem: str | None = None  # why it does not serve
    checked: bool = False

    @property
    def serves(self) -> bool | None:
        """True or False when checked, None when not asked."""
        return (self.problem is None) if self.checked else None

    def describe(self) -> str:
        """``blue v1 (serves)``, ``green stopped``."""
        if self.version is None:
            return f"{self.color} stopped"
        return f"{self.color} {self.version}" + ("" if not self.checked else " (serves)" if self.problem is None else " (does not serve)")


def serving_problem(slots: SlotReader, color: str) -> str | None:
    """Why the slot does not serve, or None: its own process holds its port and answers the health check."""
    from shipline.deploy.health import wait_healthy

    problem = slots.serving_problem(color)
    if problem:
        return problem
    health = wait_healthy(slots.health_url(color), timeout=HEALTH_WAIT)
    return None if health.ok else health.reason


def slot_table(slots: SlotReader, check: Iterable[str] = (), check_running: bool = False) -> list[SlotRow]:
    """Both slots and their versions; whether they serve, for the colors in ``check`` (and every running one with ``check_running``)."""
    rows = []
    wanted = set(check)
    for color in COLORS:
        version = slots.running_version(color)
        if color in wanted or (check_running and version is not None):
            rows.append(SlotRow(color, version, serving_problem(slots, color), checked=True))
        else:
            rows.append(SlotRow(color, version))
    return rows


def running(rows: list[SlotRow]) -> dict[str, str | None]:
    """{color: version running there, or None}."""
    return {row.color: row.version for row in rows}


def router_weights(make: Callable[[], Router]) -> tuple[dict[str, int] | None, str | None]:
    """The weights the router applies now, or why they cannot be read."""
    try:
        weights = make().current()
    except (RouterError, OSError) as err:
        return None, f"unreadable ({err})"
    return (weights, None) if weights is not None else (None, "cannot report its weights")


def sends_all_to(weights: dict[str, int], color: str) -> bool:
    """Whether ``weights`` (relative, as haproxy's are) send every request to ``color``."""
    return weights.get(color, 0) > 0 and all(w == 0 for c, w in weights.items() if c != color)


def live_color(weights: dict[str, int] | None) -> str | None:
    """The color that takes every request, or None when traffic is split or unknown."""
    return next((c for c in COLORS if weights is not None and sends_all_to(weights, c)), None)


def describe_weights(weights: dict[str, int] | None, note: str | None) -> str:
    """``blue 100%, green 0%``, or why there are none."""
    return ", ".join(f"{c} {w}%" for c, w in weights.items()) if weights is not None else note or ""


@dataclass
class ReleaseRow:
    """A kept release: its role in the state and the slots that run it."""

    version: str
    made: float
    path: str
    role: str | None
    slots: list[str]

    def cells(self) -> list[str]:
        """The row of the releases table."""
        return [self.version, now_iso(self.made), self.role or "", ", ".join(self.slots) or "-", self.path]

    def to_json(self) -> dict[str, Any]:
        """The release in JSON output."""
        return {"version": self.version, "made": now_iso(self.made), "role": self.role, "slots": self.slots, "path": self.path}


RELEASE_HEADERS = ["version", "unpacked", "role", "running on", "path"]


def release_rows(releases: list[Release], rows: list[SlotRow], state: State) -> list[ReleaseRow]:
    """Each kept release with its role (live, previous) and the slots that run it."""
    previous = state.previous.version if state.previous else None
    on = running(rows)
    return [
        ReleaseRow(
            r.version,
            r.made,
            str(r.path),
            "live" if r.version == state.version else "previous" if r.version == previous else None,
            [c for c, v in on.items() if v == r.version],
        )
        for r in releases
    ]


@dataclass
class Machine:
    """One host as `status` and `releases` see it: reachable or not, its router, slots and releases."""

    name: str
    unreachable: str | None = None
    slots: list[SlotRow] = field(default_factory=list)
    weights: dict[str, int] | None = None
    weights_note: str | None = None
    releases: list[ReleaseRow] = field(default_factory=list)

    def slot(self, color: str) -> SlotRow | None:
        """The row of ``color``."""
        return next((row for row in self.slots if row.color == color), None)

    def trouble(self, live: str | None, version: str | None) -> tuple[str, str] | None:
        """Why users of this machine are not served by the live slot ``live`` running ``version``: (``unreachable``,
        ``not-serving`` or ``router-lost``, a message naming the host); None when they are."""
        if self.unreachable:
            return UNREACHABLE, f"host {self.name} is unreachable: {self.unreachable}"
        row = self.slot(live) if live else None
        if row is None:
            return None
        on = f"on host {self.name} " if self.name else ""
        if row.problem:
            return NOT_SERVING, f"{on}the live {live} slot ({version}) does not serve: {row.problem}"
        if self.weights is not None and not self.weights.get(row.color):
            return ROUTER_LOST, f"{on}the router sends no traffic to the live {live} slot ({version}), which is healthy: the router lost its state"
        return None

    def to_json(self, live: str | None, version: str | None) -> dict[str, Any]:
        """The host in JSON output."""
        return {
            "host": self.name,
            "reachable": self.unreachable is None,
            "unreachable": self.unreachable,
            "live_color": live_color(self.weights),
            "router_weights": self.weights,
            "slots": {row.color: {"version": row.version, "serves": row.serves, "problem": row.problem} for row in self.slots},
            "releases": [r.to_json() for r in self.releases],
            "problem": (self.trouble(live, version) or (None, None))[1],
        }
