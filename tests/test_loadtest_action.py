"""actions/load-test through act against a real server on 127.0.0.1: a pass writes the baseline, a breach fails, named."""

from __future__ import annotations

import pytest

from tests.act_harness import run_workflow, uses
from tests.loadtest_support import LoadServer

pytestmark = [pytest.mark.act, pytest.mark.slow]

WORKFLOW = f"""
on: push
jobs:
  load:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - id: pass
        uses: {uses("load-test")}
        with:
          host: ${{{{ env.LIVE_URL }}}}
          baseline-file: perf/baseline.json
          update-baseline: "true"
          report-dir: reports/load
      - id: files
        run: ls reports/load perf
      - id: breach
        continue-on-error: true
        uses: {uses("load-test")}
        with:
          manifest: strict.yml
          host: ${{{{ env.LIVE_URL }}}}
          report-dir: reports/strict
"""

MANIFEST = """\
    version: 1
    project: {name: web, language: python}
    load_test:
      users: 2
      duration: 4s  # long enough for a chart over time
      endpoints:
        - {path: /, weight: 2}
        - {name: items, path: /items, method: POST, expect_status: 201}
      slo: {p95_ms: 2000, error_rate: 1%}
    """


def test_load_test_action_gates_and_reports(tmp_path):
    files = {
        "shipline.yml": MANIFEST,
        "strict.yml": MANIFEST.replace("p95_ms: 2000", "p95_ms: 2000, min_rps: 100000000").replace("duration: 4s", "duration: 2s"),
    }
    with LoadServer() as server:
        run = run_workflow(tmp_path, WORKFLOW, files=files, env={"LIVE_URL": server.url})
    assert run.ok, run.explain()
    passed = run.step("pass").outputs
    assert passed["result"] == "passed", run.explain()
    assert float(passed["rps"]) > 0 and float(passed["error-rate"]) == 0 and passed["report-dir"] == "reports/load"
    listing = "\n".join(run.step("files").log)
    for name in ("report.html", "summary.json", "locust_stats.csv", "baseline.json"):
        assert name in listing, listing
    assert run.step("breach").result == "failure", run.explain()
    assert run.step("breach").outputs["result"] == "failed"
    assert "::error title=SLO breached::overall: rps" in run.text
    assert "| GET / |" in run.summary and "| POST items |" in run.summary and "xychart-beta" in run.summary
