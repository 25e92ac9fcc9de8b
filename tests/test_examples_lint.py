"""Every example's workflows pass actionlint run from the kit's root, as its own CI and reviewers run it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_example_workflow_passes_actionlint_from_the_root():
    actionlint = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    assert actionlint, "actionlint is a dev dependency"
    workflows = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("pipelines/*/.github/workflows/*.yml"))
    assert workflows
    done = subprocess.run([actionlint, *workflows], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
