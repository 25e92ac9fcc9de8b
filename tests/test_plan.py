"""shipline plan: which jobs run and why, and the deploy time budgets."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from shipline.generate import budget, files
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
    assert all(ok for job, (ok, _) in jobs.items() if job != "pr-summary")
    # the summary comment is for pull requests: its if: skips it on a push, and so does the plan
    assert jobs["pr-summary"] == (False, "only on pull_request")
    assert "after build, load-test-staging" in jobs["deploy-production"][1]
    assert 'GitHub environment "production"' in jobs["deploy-production"][1]


def test_monorepo_runs_only_the_changed_service_and_the_required_check():
    jobs = runs(plan("monorepo", "--event", "pull_request", "--changed", "services/web/src/app.js", "README.md"))
    running = {k for k, (ok, _) in jobs.items() if ok}
    # the repository scan runs whatever changed: nothing outside the services escapes the gate
    assert running == {"changes", "repository-scan", "web-build", "web-test", "web-scan", "shipline-required", "pr-summary"}
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


EVENTS = ("pull_request", "push", "workflow_dispatch")
EXAMPLES = sorted(p.parent.name for p in PIPELINES.glob("*/shipline.yml"))


def _holds(expression: str, event: str, branch: str) -> bool:
    """A generated ``if:`` evaluated as GitHub would, with every service changed and every input choosing the job."""
    e = re.sub(r"inputs\.[\w-]+ == '[^']*'", "True", expression)
    e = re.sub(r"needs\.[\w-]+\.outputs\.[\w-]+", "'true'", e)
    e = e.replace("always()", "True").replace("github.event_name", repr(event)).replace("github.ref", repr(f"refs/heads/{branch}"))
    e = e.replace("&&", " and ").replace("||", " or ")
    assert re.fullmatch(r"[\sA-Za-z_'()=/-]*", e.replace("True", "")), f"unexpected expression: {expression}"
    return bool(eval(e))  # noqa: S307 - the generator's own expressions, checked above


def _workflow_runs(folder: Path, event: str, branch: str) -> dict[str, bool]:
    """Which jobs the generated workflows run for ``event``, read from their on: and if: alone."""
    out: dict[str, bool] = {}
    for path in sorted((folder / files.WORKFLOWS).glob(files.GENERATED_GLOB)):
        workflow = YAML(typ="safe").load(path.read_text())
        triggered = event in workflow["on"]
        for job_id, job in workflow["jobs"].items():
            expression = str(job["if"]) if isinstance(job.get("if"), str) else "True"
            needs_ok = all(out.get(n, False) for n in job.get("needs", [])) or "always()" in expression
            out[job_id] = triggered and needs_ok and _holds(expression, event, branch)
    return out


@pytest.mark.parametrize("event", EVENTS)
@pytest.mark.parametrize("name", EXAMPLES)
def test_plan_agrees_with_the_generated_conditions(name, event):
    """The plan and the workflows' own on:/if: give the same jobs for every event."""
    folder = PIPELINES / name
    planned = {j["job"]: j["runs"] for j in plan(name, "--event", event)["jobs"]}
    from shipline.manifest import load

    generated = _workflow_runs(folder, event, load(folder / "shipline.yml").pipeline.default_branch)
    assert {k: v for k, v in generated.items() if v} == {k: v for k, v in planned.items() if v}
