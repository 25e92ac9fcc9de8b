"""Run the scanners on a tree, or on what a change touched, and merge their findings."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from shipline.scan import fingerprint, gitdiff, targets
from shipline.scan.merge import merge
from shipline.scan.model import Finding, Note
from shipline.scan.tool import Settings
from shipline.scan.tools import SCANNERS


@dataclass
class Scan:
    """Merged, fingerprinted findings; the scanners that ran; the files not (fully) read."""

    findings: list[Finding] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


def reader(root: Path, rename: Mapping[str, str]) -> Callable[[str], list[str]]:
    """``read(path)``: the lines of a file under ``root`` named ``path`` in the findings."""
    original = {new: old for old, new in rename.items()}

    @cache
    def read(path: str) -> list[str]:
        try:
            return (root / original.get(path, path)).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return []

    return read


def scan(root: Path, selection: targets.Selection, settings: Settings, *, rename: Mapping[str, str] | None = None, history: fingerprint.History | None = None) -> Scan:
    """Scan the files of ``selection`` (relative to ``root``) with every enabled scanner.

    ``rename`` maps paths under ``root`` to the names findings should carry (the
    base side of a change, where a file had another name); ``history`` says which
    lines are new, for fingerprints (see `fingerprint.assign`).
    """
    rename = rename or {}
    result = Scan(notes=list(selection.notes))
    per_tool = []
    for name, scanner in SCANNERS.items():
        if not scanner.enabled(settings):
            continue
        result.tools.append(name)
        findings = []
        for own, files, large in _batches(selection, settings):
            output = scanner.scan(root, files, large, own)
            findings += output.findings
            result.notes += output.notes
        for finding in findings:
            finding.path = rename.get(finding.path, finding.path)
        per_tool.append(findings)
    result.findings = merge(per_tool)
    result.notes = sorted(set(result.notes), key=lambda n: (n.path, n.message))
    fingerprint.assign(result.findings, reader(root, rename), history)
    return result


def _batches(selection: targets.Selection, settings: Settings) -> list[tuple[Settings, list[str], list[str]]]:
    """The selected files (and large ones) by the semgrep rules that hold for them: one batch
    unless a folder has rules of its own; none for a change that touched no scanned file."""
    batches: dict[tuple[str, ...], tuple[list[str], list[str]]] = {}
    for path in selection.files:
        batches.setdefault(settings.at(path).rules, ([], []))[0].append(path)
    for path in selection.large:
        batches.setdefault(settings.at(path).rules, ([], []))[1].append(path)
    return [(replace(settings, rules=rules), files, large) for rules, (files, large) in batches.items()]


def _folder_excludes(settings: Settings) -> list[tuple[str, tuple[str, ...]]]:
    return [(folder, own.exclude) for folder, own in settings.folders]


def scan_tree(root: Path, paths: Sequence[str], settings: Settings, history: Callable[[Sequence[str]], fingerprint.History | None] | None = None) -> Scan:
    """A full scan of ``paths`` (relative to ``root``); ``history(files)``, when given,
    says which lines of the chosen files are new (see `fingerprint.fingerprints`)."""
    chosen = targets.choose(root, paths, settings.exclude, folders=_folder_excludes(settings))
    return scan(root, chosen, settings, history=history(chosen.files + chosen.large) if history else None)


@dataclass
class DiffScan:
    """A diff-aware scan: the change's files now, and the fingerprints they had at the base."""

    head: Scan
    base_fingerprints: set[str]
    merge_base: str
    changed: list[str]


def scan_change(root: Path, paths: Sequence[str], settings: Settings, baseline_ref: str) -> DiffScan:
    """Scan only the files changed since the merge base with ``baseline_ref``, on both sides.

    The files are chosen by the same `targets.choose` as a full scan's, among the changed ones.
    """
    base = gitdiff.merge_base(root, baseline_ref)
    change = gitdiff.changes(root, base)
    head_files = targets.choose(root, paths, settings.exclude, among=change.head, folders=_folder_excludes(settings))
    ignored = targets.ignore(root, settings.exclude, _folder_excludes(settings))
    base_files = [p for p in change.base if targets.wanted(change.renamed.get(p, p), paths, ignored)]
    history = fingerprint.History(added=gitdiff.added_lines(root, base, head_files.files + head_files.large))
    head = scan(root, head_files, settings, history=history)
    with gitdiff.worktree(root, base, base_files) as tree:
        before = scan(tree, targets.select(tree, base_files), settings, rename=change.renamed)
    return DiffScan(head, {f.fingerprint for f in before.findings}, base, head_files.files + head_files.large)
