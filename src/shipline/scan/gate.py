"""The gate: fail on a new finding at or above the threshold, or on an expired suppression."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shipline.errors import Problem
from shipline.scan.model import Finding, at_or_above
from shipline.scan.suppressions import Suppressions


@dataclass(frozen=True)
class Verdict:
    """Which findings are new, which of them fail the gate, and why it passed or not."""

    findings: tuple[Finding, ...]  # everything not suppressed
    new: tuple[Finding, ...]
    failing: tuple[Finding, ...]
    suppressed: tuple[Finding, ...]
    expired: tuple[Problem, ...]
    fail_on: str

    @property
    def passed(self) -> bool:
        """No new finding at or above the threshold, and no expired suppression (unless --fail-on none)."""
        return not self.failing and (self.fail_on == "none" or not self.expired)


def decide(findings: Sequence[Finding], baseline: set[str], suppressions: Suppressions, fail_on: str) -> Verdict:
    """Sort ``findings`` into old, new, suppressed and failing."""
    suppressed = tuple(f for f in findings if f.fingerprint in suppressions.active)
    shown = tuple(f for f in findings if f.fingerprint not in suppressions.active)
    new = tuple(f for f in shown if f.fingerprint not in baseline)
    failing = tuple(f for f in new if at_or_above(f.severity, fail_on))
    return Verdict(shown, new, failing, suppressed, suppressions.expired, fail_on)
