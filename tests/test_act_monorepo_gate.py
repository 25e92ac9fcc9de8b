"""No path around the security gate in a monorepo, through `shipline act --event pull_request`.

Each service's scan covers its own folder, so a pull request that changes nothing in
any service runs none of them. The repository scan covers the rest: a pull request
that only adds a workflow with a script injection, or a vulnerable script outside
every service, fails it, and with it the always-running required check.
Real act, git, semgrep and bandit; one act run per case.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import build_file_tree, run_cli
from tests.monorepo_support import VULNERABLE_SCRIPT
from tests.test_act_localrun import git
from tests.test_act_pipelines import explain

pytestmark = [pytest.mark.act, pytest.mark.slow]

INJECTION_WORKFLOW = """\
name: greet
on: issues
permissions: {}
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - run: echo "Thanks for ${{ github.event.issue.title }}"
"""
CASES = {
    "workflow": (".github/workflows/greet.yml", INJECTION_WORKFLOW, "shipline.github-actions.template-injection"),
    "script": ("scripts/backup.py", VULNERABLE_SCRIPT, "shell"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_change_outside_every_service_fails_the_required_check(tmp_path: Path, shop: Callable[..., Path], case: str):
    no_tests = {"test": {"enabled": False}}
    repo = shop(api=no_tests, worker=no_tests)
    assert run_cli("generate", cwd=repo).code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "services")
    git(repo, "switch", "-qc", "change")
    path, text, rule = CASES[case]
    build_file_tree(repo, {path: text})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", f"add {path}")

    pipeline = ".github/workflows/shipline-pipeline.yml"
    result = run_cli("act", "-W", pipeline, "--event", "pull_request", "--format", "json", cwd=repo, env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    report = json.loads(result.out)
    jobs = {j["id"]: j["result"] for j in report["jobs"]}
    assert result.code == 1, explain(report)
    # no service changed: their jobs are skipped, the repository scan is not
    assert jobs["repository-scan"] == "failure", explain(report)
    assert jobs["shipline-required"] == "failure", explain(report)
    assert not any(j.startswith(("api-", "worker-")) and r == "success" for j, r in jobs.items()), explain(report)
    scan = next(j for j in report["jobs"] if j["id"] == "repository-scan")
    output = "\n".join(line for step in scan["steps"] for line in step.get("output", []))
    assert rule in output and path in output, output
