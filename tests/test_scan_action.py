"""actions/security-scan through act: a clean tree passes, a new HIGH finding fails at its line; no upload under act."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.act_harness import run_workflow, uses
from tests.helpers import build_file_tree

pytestmark = [pytest.mark.act, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]

# the repository@SHA that action.yml pins, read from it so a pin bump needs no test change
_PIN = re.search(r"uses: (github/codeql-action)/upload-sarif@([0-9a-f]{40})", (ROOT / "actions/security-scan/action.yml").read_text())
UPLOAD_SARIF = f"{_PIN[1]}@{_PIN[2]}"

WORKFLOW = f"""
on: push
jobs:
  clean:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - id: scan
        uses: {uses("security-scan")}
        with:
          working-directory: clean
  risky:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - id: scan
        uses: {uses("security-scan")}
        with:
          working-directory: risky
          fail-on: high
          sarif-file: reports/scan.sarif
"""

# act resolves every action a job may use before it starts, so upload-sarif needs a
# local folder even though the step is skipped; if it ran, it would say so.
UPLOAD_STANDIN = {
    "upload-sarif/action.yml": """\
        name: upload-sarif stand-in
        description: Says that it ran.
        inputs:
          sarif_file:
            description: the SARIF file
        runs:
          using: composite
          steps:
            - shell: bash
              run: echo "upload-sarif stand-in ran"
        """
}

FILES = {
    "clean/shipline.yml": "version: 1\nproject: {name: calc, language: python}\n",
    "clean/app.py": "def add(a, b):\n    return a + b\n",
    "risky/app.py": "def calc(expr):\n    return eval(expr)\n",
}


def test_security_scan_action_passes_clean_and_fails_on_new_high(tmp_path):
    standin = build_file_tree(tmp_path / "codeql-action", UPLOAD_STANDIN)
    run = run_workflow(tmp_path, WORKFLOW, files=FILES, actions={UPLOAD_SARIF: standin})

    assert run.jobs["clean"].result == "success", run.explain()
    out = run.step("scan", job="clean").outputs
    assert (out["critical"], out["high"], out["medium"], out["low"], out["new-findings"]) == ("0", "0", "0", "0", "0")
    assert out["sarif-file"].endswith("clean/shipline.sarif")
    assert out["sarif-category"] == "shipline-scan"

    assert run.jobs["risky"].result == "failure", run.explain()
    out = run.step("scan", job="risky").outputs
    assert (out["high"], out["new-findings"]) == ("1", "1")
    assert out["sarif-file"].endswith("risky/reports/scan.sarif")
    # the annotation is at the line, relative to the repository root
    assert "::error file=risky/app.py,line=2,col=12,title=high%3A shipline.python.eval-exec::" in run.text
    assert "### Security scan ❌" in run.summary
    # the upload to code scanning is skipped under act, even after a failed gate
    assert "Main Upload SARIF to code scanning" not in run.text
    assert "upload-sarif stand-in ran" not in run.text
