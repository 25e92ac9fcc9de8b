"""Fingerprints that survive lines moving.

A finding's fingerprint hashes its rule, its file and the code it points at (each
line stripped, runs of white space folded), plus its rank among findings of the same
rule on identical code in that file. Line numbers are left out on purpose: code
added above a finding, or the finding's block moved, changes no fingerprint; editing
the flagged code itself does.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable

from shipline.scan.model import Finding

KEY = "shipline/v1"  # the partialFingerprints key in SARIF

_SPACE = re.compile(r"\s+")


def snippet(lines: list[str], finding: Finding) -> str:
    """The flagged code, normalized: each line stripped, white space runs folded."""
    chosen = lines[finding.line - 1 : max(finding.end_line, finding.line)]
    return "\n".join(_SPACE.sub(" ", line.strip()) for line in chosen)


def assign(findings: Iterable[Finding], read: Callable[[str], list[str]]) -> None:
    """Set ``fingerprint`` on each finding; ``read(path)`` gives the file's lines.

    Findings are taken in file order so that the occurrence index is stable.
    """
    seen: Counter[str] = Counter()
    for finding in sorted(findings, key=lambda f: (f.path, f.line, f.col, f.rule.id)):
        key = "\0".join((finding.rule.id, finding.path, snippet(read(finding.path), finding)))
        index = seen[key]
        seen[key] += 1
        finding.fingerprint = hashlib.sha256(f"{key}\0{index}".encode()).hexdigest()[:32]
