"""shipline plan: which jobs run and why, and the deploy time budgets."""

from __future__ import annotations

import json
from pathlib import Path

from shipline.generate import budget
from shipline.manifest import Deploy
from tests.helpers import run_cli

PIPELINES = Path(__file__).resolve().parents[1] / "pipelines"


def plan(folder: str, *args: str) -> dict:
    result = run_cli("plan", "--format", "json", *args, cwd=PIPELINES / folder)
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    return doc


def runs(doc: dict) -> dict[str, tuple[bool, str]]:
    return {j["job"]: (j["runs"], j["why"]) for j in doc["jobs"]}


def test_pull_request_runs_ci_only():
    jobs = runs(plan("python-service", "--event", "pull_request"))
    assert {k for k, (ok, _) in jobs.items() if ok} == {"build", "test", "scan", "pr-summary"}
    assert jobs["deploy-production"] == (False, "only on push to main")


def test_push_runs_deploys_in_order_and_names_the_approval():
    jobs = runs(plan("python-service"))
    assert all(ok for ok, _ in jobs.values())
    assert "after build, load-test-staging" in jobs["deploy-production"][1]
    assert 'GitHub environment "production"' in jobs["deploy-production"][1]


def test_monorepo_runs_only_the_changed_service_and_the_required_check():
    jobs = runs(plan("monorepo", "--event", "pull_request", "--changed", "services/web/src/app.js", "README.md"))
    running = {k for k, (ok, _) in jobs.items() if ok}
    assert running == {"changes", "web-build", "web-test", "web-scan", "shipline-required", "pr-summary"}
    assert "services/web/src/app.js changed" in jobs["web-build"][1]
    assert jobs["api-build"][1].startswith("api did not change (no changed path under services/api/")


def test_monorepo_manifest_change_runs_every_service():
    jobs = runs(plan("monorepo", "--changed", "shipline.yml"))
    assert jobs["worker-deploy-production"][0] and jobs["api-deploy-production"][0]


def test_text_output_has_the_budget_table():
    result = run_cli("plan", cwd=PIPELINES / "python-service")
    assert result.code == 0
    assert "deploy-production  yes" in result.out
    assert "orders   production   canary      3      19m      15m" in result.out


def test_budget_arithmetic_blue_green_and_canary():
    base = {"router": {"type": "command", "switch": "x"}, "slots": {"blue": {"port": 1}, "green": {"port": 2}}}
    analysis = {"interval": 10, "count": 3, "failure_limit": 1, "probe": {"requests": 20, "concurrency": 2, "timeout": 5}}
    bg = budget.budget(Deploy.model_validate({**base, "health_timeout": 30, "analysis": analysis}))
    # one measurement: 10 waves of 2 requests, 5 s each; three of them, 10 s apart
    assert bg.measurement == 50
    assert bg.analysis == 3 * 50 + 2 * 10
    assert bg.promote == 30 + 170
    assert bg.rollback == 30 + (2 * 50 + 10)  # two failures in a row
    weighted = {"type": "command", "switch": "x", "set_weights": "y"}  # a canary needs a router that can weight
    canary = budget.budget(Deploy.model_validate({**base, "router": weighted, "strategy": "canary", "canary_steps": [10, 50, 100], "health_timeout": 30, "analysis": analysis}))
    assert canary.steps == 3
    assert canary.promote == 30 + 3 * 170
    assert canary.rollback == 30 + 2 * 170 + 110
    assert canary.rollback < canary.promote


def test_budget_counts_the_health_wait_and_formats_durations():
    d = Deploy.model_validate(
        {
            "router": {"type": "command", "switch": "x"},
            "slots": {"blue": {"port": 1}, "green": {"port": 2}},
            "health_timeout": "10m",
            "analysis": {"interval": 1, "count": 1, "probe": {"requests": 1, "timeout": 1}},
        }
    )
    assert budget.budget(d).rollback == 600 + 1
    assert budget.human(600) == "10m" and budget.human(61) == "1m 1s" and budget.human(3900) == "1h 5m"
