"""Findings, rules and shipline's one severity scale."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Most severe first. "none" is only a --fail-on value: never fail.
SEVERITIES = ("critical", "high", "medium", "low")
FAIL_ON = (*SEVERITIES, "none")
_RANK = {name: len(SEVERITIES) - i for i, name in enumerate(SEVERITIES)}

# SARIF has three levels; code scanning ranks security alerts by security-severity.
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}


def rank(severity: str) -> int:
    """A number that orders severities: critical highest; 0 for ``none``."""
    return _RANK.get(severity, 0)


def at_or_above(severity: str, threshold: str) -> bool:
    """Whether ``severity`` reaches ``threshold`` (never, when the threshold is ``none``)."""
    return threshold != "none" and rank(severity) >= rank(threshold)


@dataclass(frozen=True)
class Rule:
    """What a finding's rule says, for SARIF's rule metadata."""

    id: str
    tool: str
    name: str
    message: str
    severity: str
    cwes: tuple[str, ...] = ()
    help_uri: str = ""
    covers: tuple[str, ...] = ()  # rule ids of other tools that report the same thing

    @property
    def cwe_ids(self) -> set[str]:
        """``{"CWE-78"}`` from entries such as ``"CWE-78: Improper Neutralization..."``."""
        return {m.upper() for c in self.cwes for m in re.findall(r"(?i)CWE-\d+", c)}


@dataclass
class Finding:
    """One result of one rule at one place; ``path`` is relative to the scan root, POSIX style."""

    rule: Rule
    path: str
    line: int
    col: int
    end_line: int
    end_col: int
    message: str
    also: list[str] = field(default_factory=list)  # rules of other tools merged into this one
    fingerprint: str = ""

    @property
    def severity(self) -> str:
        """The rule's severity on shipline's scale."""
        return self.rule.severity

    @property
    def where(self) -> str:
        """``path:line`` for tables and messages."""
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Note:
    """A file a scanner could not read, or that was skipped: a note in the SARIF's
    ``invocations`` and in the summary, never a crash."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"
