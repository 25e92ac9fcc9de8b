"""The committed baseline: findings the team has accepted, by fingerprint.

``shipline scan --update-baseline`` writes it; every later scan treats the findings
listed there as old. Sorted and indented so that its diff in a pull request reads
well.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from shipline.errors import InputError, Problem
from shipline.scan import fingerprint, gitdiff
from shipline.scan.model import Finding

VERSION = 1


def write(path: Path, findings: Sequence[Finding]) -> None:
    """Write the baseline file for ``findings``."""
    entries = [
        {"fingerprint": f.fingerprint, "rule": f.rule.id, "path": f.path, "line": f.line, "severity": f.severity}
        for f in sorted(findings, key=lambda f: (f.path, f.line, f.rule.id, f.fingerprint))
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": VERSION, "findings": entries}, indent=2) + "\n", encoding="utf-8")


def read(path: Path, display: str) -> set[str]:
    """The fingerprints in a baseline file; none when there is no file."""
    if not path.exists():
        return set()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(problems=[Problem(display, 0, 0, f"cannot read the scan baseline: {err}")]) from None
    except json.JSONDecodeError as err:
        raise InputError(problems=[Problem(display, err.lineno, err.colno, f"not JSON: {err.msg}; regenerate it with `shipline scan --update-baseline`")]) from None
    entries = data.get("findings") if isinstance(data, dict) and data.get("version") == VERSION else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries):
        raise InputError(problems=[Problem(display, 1, 1, f'not a shipline scan baseline (expected {{"version": {VERSION}, "findings": [{{"fingerprint": ...}}]}}); regenerate it with `shipline scan --update-baseline`')])
    return {e["fingerprint"] for e in entries}


def history(root: Path, path: Path, paths: Sequence[str]) -> fingerprint.History | None:
    """What changed in ``paths`` since the baseline file at ``path`` was committed (renames,
    added lines); None when it is not committed as it is, or there is no git."""
    top = gitdiff.toplevel(root)
    if top is None or not path.resolve().is_relative_to(top.resolve()):
        return None
    commit = gitdiff.committed_at(root, path.resolve().relative_to(top.resolve()).as_posix())
    return fingerprint.History.since(root, commit, paths) if commit else None


def accepted(findings: Sequence[Finding], fingerprints: set[str], read: Callable[[str], list[str]], since: fingerprint.History | None) -> set[str]:
    """The current fingerprints of the ``findings`` that the baseline file lists.

    The file was written at some commit (``since``: what changed after it): files
    renamed since are matched under their names then, and a line copied since is new
    while the line it was copied from is not, as in the diff-aware scan.
    """
    if not fingerprints or not findings:
        return set()
    then = fingerprint.fingerprints(findings, read, since, old_names=True)
    return {f.fingerprint for f, old in zip(findings, then, strict=True) if old in fingerprints}
