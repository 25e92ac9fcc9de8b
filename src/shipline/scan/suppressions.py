"""The suppressions file: findings the team has looked at, each with a reason and an expiry.

    suppressions:
      - fingerprint: 3f2a9c0d1e4b5a6978c1d2e3f4a5b6c7
        rule: shipline.python.pickle        # optional, for the reader
        reason: the cache is written by this service only
        expires: 2027-03-31

An expired suppression no longer hides its finding, and fails the gate with a message
saying which one expired and when.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shipline import validation, yamlfile
from shipline.errors import InputError, Problem
from shipline.manifest import SuppressionsFile


@dataclass(frozen=True)
class Suppressions:
    """The fingerprints still suppressed (with their reasons), and a problem for each expired one."""

    active: Mapping[str, str] = field(default_factory=dict)
    expired: tuple[Problem, ...] = ()


def load(path: Path, display: str, today: dt.date) -> Suppressions:
    """Read and check the suppressions file; no file means no suppressions."""
    if not path.exists():
        return Suppressions()
    doc = yamlfile.load(path, display)
    if doc.data is None:
        return Suppressions()
    if not isinstance(doc.data, dict):
        raise InputError(problems=[Problem(display, 1, 1, f"a suppressions file is a mapping with a suppressions: list, got {validation.kind(doc.data)}")])
    parsed = validation.validate(SuppressionsFile, doc)
    active: dict[str, str] = {}
    expired: list[Problem] = []
    for i, item in enumerate(parsed.suppressions):
        if item.expires < today:
            expired.append(
                doc.problem(
                    ("suppressions", i, "expires"),
                    f"the suppression of {item.fingerprint} expired on {item.expires.isoformat()} ({item.reason}); "
                    "fix the finding, or renew the suppression with a new expires date",
                )
            )
        else:
            active[item.fingerprint] = item.reason
    return Suppressions(active, tuple(expired))
