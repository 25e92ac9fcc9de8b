"""No path around the security gate in a monorepo, through `shipline act --event pull_request`.

Each service's scan covers its own folder, so a pull request that changes nothing in
any service runs none of them. The repository scan covers the rest: a pull request
that only adds a workflow with a script injection, or a vulnerable script outside
every service, fails it, and with it the always-running required check.
Real act, git, semgrep and bandit; one act run per case.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import build_file_tree, run_cli
from tests.test_act_localrun import git
from tests.test_act_pipelines import explain

pytestmark = [pytest.mark.act, pytest.mark.slow]

MANIFEST = """\
version: 1
project:
  name: shop
  language: python
services:
  - name: api
    path: services/api
    test:
      enabled: false
  - name: worker
    path: services/worker
    test:
      enabled: false
"""
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
VULNERABLE_SCRIPT = """\
import subprocess
import sys


def main():
    subprocess.call("tar czf backup.tgz " + sys.argv[1], shell=True)
"""
CASES = {
    "workflow": (".github/workflows/greet.yml", INJECTION_WORKFLOW, "shipline.github-actions.template-injection"),
    "script": ("scripts/backup.py", VULNERABLE_SCRIPT, "shell"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_change_outside_every_service_fails_the_required_check(tmp_path: Path, case: str):
    repo = tmp_path / "shop"
    build_file_tree(
        repo,
        {
            "shipline.yml": MANIFEST,
            "services/api/app.py": "def handler():\n    return 'ok'\n",
            "services/worker/worker.py": "def run():\n    return 1\n",
        },
    )
    assert run_cli("generate", cwd=repo).code == 0
    git(repo, "init", "-q", "-b", "main")
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
