"""``shipline act -j JOB``: run that job alone, as ``--help`` says, not the jobs it needs.

act runs a selected job's ``needs`` first (build, test and scan before a deploy). The
job is copied into a workflow of its own without ``needs:``; what it read from the
jobs it needed gets stand-in values: every ``needs.X.result`` is ``success``, a
changed-service flag (``needs.X.outputs.Y == 'true'``) holds, and any other output
is the string ``local``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

STANDIN_OUTPUT = "local"
_FLAG = re.compile(r"needs\.[\w-]+\.outputs\.[\w-]+\s*==\s*'true'")
_OUTPUT = re.compile(r"needs\.[\w-]+\.outputs\.[\w-]+")
_RESULT = re.compile(r"needs\.[\w-]+\.result")


def _standins(value: Any) -> Any:
    """``value`` with every reference to a needed job's results replaced."""
    if isinstance(value, str):
        value = _FLAG.sub("true", value)
        value = _OUTPUT.sub(f"'{STANDIN_OUTPUT}'", value)
        return _RESULT.sub("'success'", value)
    if isinstance(value, dict):
        return {k: _standins(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_standins(v) for v in value]
    return value


def isolate(files: list[Path], job: str, into: Path) -> Path | None:
    """Write ``into``/NAME.yml holding only ``job`` of the workflow that has it; None if none has it."""
    yaml = YAML(typ="safe")
    for path in files:
        data = yaml.load(path.read_text(encoding="utf-8"))
        jobs = data.get("jobs") if isinstance(data, dict) else None
        if not isinstance(jobs, dict) or job not in jobs:
            continue
        alone = dict(jobs[job])
        alone.pop("needs", None)
        data["jobs"] = {job: _standins(alone)}
        into.mkdir(parents=True, exist_ok=True)
        out = into / path.name
        with out.open("w", encoding="utf-8") as f:
            YAML().dump(data, f)
        return out
    return None
