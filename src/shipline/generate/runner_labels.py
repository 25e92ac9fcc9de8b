"""``.github/actionlint.yaml``: the self-hosted runner labels the workflows use.

actionlint rejects a ``runs-on`` label it does not know ([runner-label]) unless the
repository's actionlint config lists it. `shipline generate` writes that config when
an environment names its own runner (``runs_on``), and adds missing labels to a config
the team already has, keeping their comments.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from pathlib import Path

from shipline import yamlfile
from shipline.errors import InputError
from shipline.generate import writer
from shipline.generate.model import Workflow

ACTIONLINT_CONFIG = ".github/actionlint.yaml"
HEAD = "# Written by shipline generate when missing, and yours to edit: the labels of your self-hosted runners, so actionlint accepts them.\n"
# labels actionlint knows already: GitHub-hosted images and the labels every self-hosted runner gets
_KNOWN = re.compile(r"^(ubuntu|windows|macos)-[\w.-]+$|^(self-hosted|linux|windows|macos|x64|arm|arm64)$", re.IGNORECASE)


def self_hosted_labels(workflows: Iterable[Workflow]) -> list[str]:
    """Every ``runs-on`` label actionlint would not know, in first-seen order."""
    labels: dict[str, None] = {}
    for workflow in workflows:
        for job in workflow.jobs:
            for label in [job.runs_on] if isinstance(job.runs_on, str) else job.runs_on:
                if not _KNOWN.match(label) and "${{" not in label:
                    labels[label] = None
    return list(labels)


def config_text(root: Path, labels: list[str]) -> str | None:
    """The actionlint config listing ``labels``, or None when nothing needs writing."""
    if not labels:
        return None
    path = root / ACTIONLINT_CONFIG
    y = writer.yaml()
    if not path.exists():
        buf = io.StringIO()
        y.dump({"self-hosted-runner": {"labels": labels}}, buf)
        return HEAD + buf.getvalue()
    doc = yamlfile.load(path, ACTIONLINT_CONFIG)
    data = y.load(path.read_text(encoding="utf-8")) if isinstance(doc.data, dict) else None
    if data is None:
        raise InputError(problems=[doc.problem((), "expected a mapping in actionlint.yaml")])
    runner = data.setdefault("self-hosted-runner", {})
    if not isinstance(runner, dict) or not isinstance(runner.setdefault("labels", []), list):
        raise InputError(problems=[doc.problem(("self-hosted-runner",), "expected self-hosted-runner: {labels: [...]} in actionlint.yaml")])
    missing = [label for label in labels if label not in runner["labels"]]
    if not missing:
        return None
    runner["labels"].extend(missing)
    buf = io.StringIO()
    y.dump(data, buf)  # round-trip so the team's comments and layout survive
    return buf.getvalue()
