"""actions/security-scan through act: a clean tree passes, a new HIGH finding fails at its line; no upload under act."""

from __future__ import annotations

import pytest

from shipline.localrun.standins import STANDINS_DIR
from tests.act_harness import run_workflow, uses

pytestmark = [pytest.mark.act, pytest.mark.slow]

UPLOAD_SARIF = "github/codeql-action@8aad20d150bbac5944a9f9d289da16a4b0d87c1e"  # the SHA action.yml pins

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

FILES = {
    "clean/shipline.yml": "version: 1\nproject: {name: calc, language: python}\n",
    "clean/app.py": "def add(a, b):\n    return a + b\n",
    "risky/app.py": "def calc(expr):\n    return eval(expr)\n",
}


def test_security_scan_action_passes_clean_and_fails_on_new_high(tmp_path):
    run = run_workflow(tmp_path, WORKFLOW, files=FILES, actions={UPLOAD_SARIF: STANDINS_DIR / "github" / "codeql-action"})

    assert run.jobs["clean"].result == "success", run.explain()
    out = run.step("scan", job="clean").outputs
    assert (out["critical"], out["high"], out["medium"], out["low"], out["new-findings"]) == ("0", "0", "0", "0", "0")
    assert out["sarif-file"].endswith("clean/shipline.sarif")

    assert run.jobs["risky"].result == "failure", run.explain()
    out = run.step("scan", job="risky").outputs
    assert (out["high"], out["new-findings"]) == ("1", "1")
    assert out["sarif-file"].endswith("risky/reports/scan.sarif")
    # the annotation is at the line, relative to the repository root
    assert "::error file=risky/app.py,line=2,col=12,title=high%3A shipline.python.eval-exec::" in run.text
    assert "### Security scan ❌" in run.summary
    # the upload to code scanning is skipped under act, even after a failed gate
    assert "Main Upload SARIF to code scanning" not in run.text
