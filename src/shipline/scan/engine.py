"""Run the scanners on a tree, or on what a change touched, and merge their findings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatch
from functools import cache
from pathlib import Path, PurePosixPath

from shipline.scan import fingerprint, gitdiff
from shipline.scan.merge import merge
from shipline.scan.model import Finding
from shipline.scan.tool import Settings
from shipline.scan.tools import SCANNERS


@dataclass
class Scan:
    """Merged, fingerprinted findings; the scanners that ran; what they could not read."""

    findings: list[Finding] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _reader(root: Path, rename: dict[str, str]):
    original = {new: old for old, new in rename.items()}

    @cache
    def read(path: str) -> list[str]:
        try:
            return (root / original.get(path, path)).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return []

    return read


def scan(root: Path, targets: Sequence[str], settings: Settings, *, rename: dict[str, str] | None = None) -> Scan:
    """Scan ``targets`` (relative to ``root``) with every enabled scanner.

    ``rename`` maps paths under ``root`` to the names findings should carry (the
    base side of a change, where a file had another name).
    """
    rename = rename or {}
    result = Scan()
    per_tool = []
    chosen: list[str] | None = None
    enabled = [s for s in SCANNERS.values() if s.enabled(settings)]
    if targets and not any(s.chooses_files for s in enabled):
        chosen = gitdiff.listed(root, targets)  # e.g. bandit alone: keep it out of ignored folders
    for name, scanner in SCANNERS.items():
        if scanner not in enabled:
            continue
        result.tools.append(name)
        if not targets:
            continue  # a change that touched no file under the scanned paths
        # The first scanner that picks files itself (semgrep: .gitignore, .semgrepignore,
        # excludes) picks them for the rest, so every tool scans the same files and
        # bandit never wanders into a virtualenv.
        output = scanner.scan(root, targets if chosen is None else chosen, settings)
        if chosen is None and output.scanned is not None:
            chosen = output.scanned
        for finding in output.findings:
            finding.path = rename.get(finding.path, finding.path)
        per_tool.append(output.findings)
        result.warnings += output.warnings
    result.findings = merge(per_tool)
    fingerprint.assign(result.findings, _reader(root, rename))
    return result


def _selected(path: str, targets: Sequence[str], exclude: Sequence[str]) -> bool:
    """Whether a changed file is under a target and not excluded.

    Scanners take a file named on their command line even when an ignore pattern
    matches it, so the diff-aware scan applies ``exclude`` itself, the way semgrep's
    --exclude does: a glob against the whole path or any one part of it.
    """
    p = PurePosixPath(path)
    if any(fnmatch(path, pattern) or any(fnmatch(part, pattern) for part in p.parts) for pattern in exclude):
        return False
    return any(t in (".", "") or p == PurePosixPath(t) or PurePosixPath(t) in p.parents for t in targets)


@dataclass
class DiffScan:
    """A diff-aware scan: the change's files now, and the fingerprints they had at the base."""

    head: Scan
    base_fingerprints: set[str]
    merge_base: str
    changed: list[str]


def scan_change(root: Path, targets: Sequence[str], settings: Settings, baseline_ref: str) -> DiffScan:
    """Scan only the files changed since the merge base with ``baseline_ref``, on both sides."""
    base = gitdiff.merge_base(root, baseline_ref)
    change = gitdiff.changes(root, base)
    head_files = sorted(p for p in change.head if _selected(p, targets, settings.exclude) and (root / p).is_file())
    base_files = sorted(p for p in change.base if _selected(change.renamed.get(p, p), targets, settings.exclude))
    head = scan(root, head_files, settings)
    with gitdiff.worktree(root, base, base_files) as tree:
        before = scan(tree, base_files, settings, rename=change.renamed)
    return DiffScan(head, {f.fingerprint for f in before.findings}, base, head_files)
