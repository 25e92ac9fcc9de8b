"""Every third-party action a generated workflow uses, pinned by commit SHA.

The one list: the writer adds the ``# vX.Y.Z`` comment from here, dependabot keeps
these current in users' repositories, and `shipline act` maps exactly these refs to
offline stand-ins. Each SHA is the commit the tag points at upstream.
"""

from __future__ import annotations

from typing import NamedTuple


class Pin(NamedTuple):
    """A commit SHA and the release tag it was published as."""

    sha: str
    version: str


PINS: dict[str, Pin] = {
    "actions/checkout": Pin("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": Pin("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/setup-node": Pin("820762786026740c76f36085b0efc47a31fe5020", "v7.0.0"),
    "actions/setup-go": Pin("b7ad1dad31e06c5925ef5d2fc7ad053ef454303e", "v7.0.0"),
    "actions/upload-artifact": Pin("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/download-artifact": Pin("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "actions/cache/restore": Pin("27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
    "actions/cache/save": Pin("27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
}


def ref(action: str) -> str:
    """``owner/repo[/path]@SHA`` for a pinned action."""
    return f"{action}@{PINS[action].sha}"

