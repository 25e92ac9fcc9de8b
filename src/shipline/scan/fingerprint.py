"""Fingerprints that survive lines moving.

A finding's fingerprint hashes its rule, its file and the line it points at
(stripped, runs of white space folded), plus its rank among findings of the same
rule on identical lines in that file. Line numbers are left out on purpose: code
added above a finding, or the finding's block moved, changes no fingerprint; editing
the flagged code itself does.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shipline.scan import gitdiff
from shipline.scan.model import Finding

KEY = "shipline/v1"  # the partialFingerprints key in SARIF

_SPACE = re.compile(r"\s+")


def snippet(lines: list[str], finding: Finding) -> str:
    """The flagged line, normalized: stripped, white space runs folded.

    Only the finding's own line: a finding spanning a block (a dict holding a secret)
    must not change when another line of the block does.
    """
    line = lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""
    return _SPACE.sub(" ", line.strip())


@dataclass(frozen=True)
class History:
    """What changed in the files since a commit: each file's name then (renames), and
    the lines added since (a copied line is new, the line it was copied from is not)."""

    names: Mapping[str, str] = field(default_factory=dict)  # path now -> path at the commit
    added: Mapping[str, frozenset[int]] = field(default_factory=dict)

    @classmethod
    def since(cls, repo: Path, commit: str, paths: Sequence[str]) -> History:
        """The history of ``paths`` since ``commit``, from git."""
        change = gitdiff.changes(repo, commit)
        names = {new: old for old, new in change.renamed.items()}
        return cls(names, gitdiff.added_lines(repo, commit, paths))


def fingerprints(findings: Sequence[Finding], read: Callable[[str], list[str]], history: History | None = None, *, old_names: bool = False) -> list[str]:
    """The fingerprint of each of ``findings`` (same order); ``read(path)`` gives a file's lines.

    The occurrence index among findings of one rule on identical lines counts lines that
    were there before (per ``history``) first, then in file order, so copying a flagged
    line leaves the original's fingerprint alone. With ``old_names`` the files are named
    as they were at ``history``'s commit (to compare with a baseline written then).
    """
    history = history or History()
    keys = []
    for finding in findings:
        path = history.names.get(finding.path, finding.path) if old_names else finding.path
        keys.append("\0".join((finding.rule.id, path, snippet(read(finding.path), finding))))
    order = sorted(range(len(findings)), key=lambda i: (keys[i], findings[i].line in history.added.get(findings[i].path, ()), findings[i].line, findings[i].col))
    seen: Counter[str] = Counter()
    out = [""] * len(findings)
    for i in order:
        out[i] = hashlib.sha256(f"{keys[i]}\0{seen[keys[i]]}".encode()).hexdigest()[:32]
        seen[keys[i]] += 1
    return out


def assign(findings: Sequence[Finding], read: Callable[[str], list[str]], history: History | None = None) -> None:
    """Set ``fingerprint`` on each finding (see `fingerprints`)."""
    for finding, value in zip(findings, fingerprints(findings, read, history), strict=True):
        finding.fingerprint = value
