"""Every third-party action a generated workflow uses, pinned by commit SHA.

The one list: the writer adds the ``# vX.Y.Z`` comment from here, dependabot keeps
these current in users' repositories, and `shipline act` maps exactly these refs to
offline stand-ins. Each SHA is the commit the tag points at upstream. The actions
every pipeline uses are listed here; a language's setup action is pinned in its own
module (`shipline.languages`) and joins the list from there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import NamedTuple, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Pin(NamedTuple):
    """A commit SHA and the release tag it was published as."""

    sha: str
    version: str


PIPELINE_PINS: dict[str, Pin] = {
    "actions/checkout": Pin("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/upload-artifact": Pin("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/download-artifact": Pin("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "actions/cache/restore": Pin("27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
    "actions/cache/save": Pin("27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
}


class Computed(Mapping[K, V]):
    """A read-only mapping recomputed on every read: a registry joined from plugins registered later."""

    def __init__(self, compute: Callable[[], dict[K, V]]) -> None:
        self._compute = compute

    def __getitem__(self, key: K) -> V:
        return self._compute()[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._compute())

    def __len__(self) -> int:
        return len(self._compute())


def _all_pins() -> dict[str, Pin]:
    """The pipeline's pins and every registered language's setup action."""
    from shipline.languages import setup_actions

    return {**PIPELINE_PINS, **{action: Pin(setup.sha, setup.release) for action, (_, setup) in setup_actions().items()}}


PINS: Mapping[str, Pin] = Computed(_all_pins)


def ref(action: str) -> str:
    """``owner/repo[/path]@SHA`` for a pinned action."""
    return f"{action}@{PINS[action].sha}"

