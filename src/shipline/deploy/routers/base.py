"""What every router shares: its errors and the shape of a full switch."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from shipline import manifest


class RouterError(Exception):
    """The router refused a change; the routing before the call is still in place."""


class RouterConfigError(RouterError):
    """The router's configuration does not work with the manifest (found before any change)."""


class SlotView(Protocol):
    """What a router that writes its own files needs of the slots: where the service lives and each slot's address.

    `shipline.deploy.slots.Slots` is one; slots on another host provide the same.
    """

    @property
    def environment(self) -> str: ...

    @property
    def cwd(self) -> Path: ...

    @property
    def deploy(self) -> manifest.Deploy: ...

    def config(self, color: str) -> manifest.Slot:
        """The manifest's slot for ``color``."""


def all_to(color: str) -> dict[str, int]:
    """Weights that send every request to ``color``."""
    return {"blue": 100 if color == "blue" else 0, "green": 100 if color == "green" else 0}


def raise_first(weights: dict[str, int]) -> list[tuple[str, int]]:
    """Weights in the order to apply them: the rising ones first, so that no instant has every slot at 0."""
    return sorted(weights.items(), key=lambda kv: kv[1] == 0)
