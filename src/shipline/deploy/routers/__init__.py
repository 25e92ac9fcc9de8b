"""Routers: what moves traffic between the blue and green slots.

One small Protocol, one module per router, one registry. The manifest's router
``type`` names a key of `ROUTERS` (a test keeps the two in step).
"""

from __future__ import annotations

from typing import Protocol

from shipline import manifest

from shipline.deploy.routers.command import CommandRouter
from shipline.deploy.routers.haproxy import HaproxyRouter
from shipline.deploy.routers.nginx import NginxRouter
from shipline.deploy.slots import Slots


class Router(Protocol):
    """Moves traffic between slots. Weights are percentages per color, summing to 100.

    Built from the manifest's ``deploy.router`` and the environment's `Slots` (ports,
    the environment hooks get, the service directory).
    """

    def __init__(self, config: manifest.Router, slots: Slots) -> None:
        """``config``: the manifest's router section (each router takes its own ``type``)."""

    def validate(self) -> None:
        """Check the router is reachable and configured for the slots, changing nothing (raises `RouterConfigError`)."""

    def current(self) -> dict[str, int] | None:
        """The weights the router applies now, or None when it cannot tell."""

    def set_weights(self, weights: dict[str, int]) -> None:
        """Apply ``weights`` (raises `RouterError`, leaving the previous routing in place)."""

    def switch(self, color: str) -> None:
        """Send all traffic to ``color``."""


ROUTERS: dict[str, type[Router]] = {
    "command": CommandRouter,
    "haproxy": HaproxyRouter,
    "nginx": NginxRouter,
}


def make_router(config: manifest.Router, slots: Slots) -> Router:
    """The router the manifest's ``deploy.router`` asks for."""
    return ROUTERS[config.type](config, slots)
