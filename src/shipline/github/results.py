"""The results file each stage appends to, read by the pull request summary.

A small JSON document, ``{"stages": {STAGE: {...}}}``, one entry per stage (build,
test, scan, loadtest, deploy...): a status, a one-line summary, named figures and
links to reports. Recording a stage again replaces its entry, so a re-run job does not
repeat itself. Written atomically: stages of one job may record one after the other.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from shipline.errors import InputError

DEFAULT_FILE = "shipline-results.json"
STATUSES = ("passed", "failed", "skipped")
# a job's result as the workflow sees it (needs.JOB.result), so a summary job can pass it on
JOB_RESULTS = {"success": "passed", "failure": "failed", "cancelled": "skipped", "skipped": "skipped"}
ORDER = ("build", "test", "scan", "loadtest", "deploy", "smoke")


@dataclass(frozen=True)
class StageResult:
    """What one stage says about itself."""

    status: str
    summary: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)


def load(path: Path, display: str) -> dict[str, StageResult]:
    """The stages recorded in ``path`` (none when the file does not exist yet)."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        stages = data["stages"]
        return {name: StageResult(**entry) for name, entry in stages.items()}
    except (ValueError, KeyError, TypeError) as err:
        raise InputError(f'{display}: not a shipline results file ({type(err).__name__}: {err}); delete it or record into another with --results') from None


def record(path: Path, display: str, stage: str, result: StageResult) -> dict[str, StageResult]:
    """Add or replace ``stage`` in the results file; return every stage recorded.

    The status may also be a job result (success, failure, cancelled, skipped).
    """
    status = JOB_RESULTS.get(result.status, result.status)
    if status not in STATUSES:
        allowed = ", ".join([*STATUSES, *JOB_RESULTS])
        raise InputError(f'unknown status "{result.status}"; expected one of: {allowed}')
    stages = load(path, display)
    stages[stage] = replace(result, status=status)
    document = {"stages": {name: asdict(entry) for name, entry in stages.items()}}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=2)  # figures keep the order they were given in
    os.replace(tmp, path)
    return stages


def ordered(stages: dict[str, StageResult]) -> list[tuple[str, StageResult]]:
    """Stages in pipeline order; stages shipline does not know come last, by name."""
    rank = {name: n for n, name in enumerate(ORDER)}
    return sorted(stages.items(), key=lambda item: (rank.get(item[0], len(ORDER)), item[0]))


def parse_pairs(pairs: list[str], what: str) -> dict[str, str]:
    """``["key=value", ...]`` from repeated flags, or an `InputError` quoting the bad one."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f'{what} "{pair}" is not NAME=VALUE')
        out[key.strip()] = value.strip()
    return out
