"""What every router shares: its errors and the shape of a full switch."""

from __future__ import annotations


class RouterError(Exception):
    """The router refused a change; the routing before the call is still in place."""


class RouterConfigError(RouterError):
    """The router's configuration does not work with the manifest (found before any change)."""


def all_to(color: str) -> dict[str, int]:
    """Weights that send every request to ``color``."""
    return {"blue": 100 if color == "blue" else 0, "green": 100 if color == "green" else 0}


def raise_first(weights: dict[str, int]) -> list[tuple[str, int]]:
    """Weights in the order to apply them: the rising ones first, so that no instant has every slot at 0."""
    return sorted(weights.items(), key=lambda kv: kv[1] == 0)
