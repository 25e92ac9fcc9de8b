"""actions/deploy and actions/rollback through act, against real haproxy and app processes."""

from __future__ import annotations

import json

import pytest

from tests.act_harness import run_workflow, uses
from tests.deploy_support import live_versions, site_with

pytestmark = [pytest.mark.act, pytest.mark.slow]

WORKFLOW = f"""
on: push
jobs:
  ship:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - id: v1
        uses: {uses("deploy")}
        with:
          environment: prod
          version: v1
      - id: v2
        continue-on-error: true
        uses: {uses("deploy")}
        with:
          environment: prod
          version: v2
      - id: v3
        uses: {uses("deploy")}
        with:
          environment: prod
          version: v3
      - id: back
        uses: {uses("rollback")}
        with:
          environment: prod
          reason: checking the rollback action
"""


def test_deploy_and_rollback_actions(tmp_path):
    with site_with("haproxy", tmp_path / "site") as site:
        site.faults({"v2": {"error_share": 0.5}})
        # the state lives outside act's workspace so the test can check it and stop the slots
        site.manifest("blue-green", state_dir=str(site.state_dir))
        run = run_workflow(tmp_path, WORKFLOW, files={"shipline.yml": (site.root / "shipline.yml").read_text()})
        assert run.jobs["ship"].result == "success", run.explain()
        expected = {"active-color": "blue", "version": "v1", "result": "promoted", "reason": run.step("v1").outputs["reason"], "incident-url": "", "deployment-id": ""}
        assert run.step("v1").outputs == expected
        v2 = run.step("v2")
        assert v2.result == "failure" and v2.outputs["result"] == "rolled-back", run.explain()
        assert "error rate 50.0% over 5.0%" in v2.outputs["reason"]
        assert (run.step("v3").outputs["active-color"], run.step("v3").outputs["version"]) == ("green", "v3")
        assert (run.step("back").outputs["active-color"], run.step("back").outputs["version"]) == ("blue", "v1")
        assert "::error title=deploy rolled-back::" in run.text
        assert "xychart-beta" in run.summary and "### Timeline" in run.summary
        assert live_versions(site.proxy.port) == {"v1"}
        state = json.loads((site.state_dir / "prod.json").read_text())
        assert [h["result"] for h in state["history"]] == ["promoted", "rolled-back", "promoted", "rolled-back"]
