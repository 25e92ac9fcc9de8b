"""environments[].runs_on: the environment's deploy, rollback and smoke run on its own runner.

The jobs of an environment with a self-hosted runner carry its labels and nothing else
does; actionlint is told about the labels (``.github/actionlint.yaml``) so the workflows
stay lint-clean; `shipline act` runs a job with those labels on this machine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from shipline.generate import lint
from shipline.generate.starter import Project, starter
from tests.helpers import build_file_tree, run_cli
from tests.test_act_localrun import git

ROOT = Path(__file__).resolve().parents[1]
LABELS = ["self-hosted", "linux", "inventory-staging"]
MANIFEST = """
version: 1
kit: {repository: shipline/shipline, ref: eb1f9713e935d89a921ede2011cf30be7bd4b2f7}
project: {name: inventory, language: python, runtime: "3.12"}
environments:
  - name: staging
    url: https://staging.example.com
    runs_on: [self-hosted, linux, inventory-staging]
    deploy:
      router: {type: haproxy, admin_socket: /run/haproxy/admin.sock}
      slots: {blue: {port: 8001}, green: {port: 8002}}
  - name: production
    url: https://example.com
    deploy:
      router: {type: command, switch: ./switch.sh}
      slots: {blue: {port: 8001}, green: {port: 8002}}
"""


def _jobs(root: Path, name: str) -> dict:
    return YAML(typ="safe").load((root / ".github/workflows" / name).read_text())["jobs"]


def test_deploy_smoke_and_rollback_jobs_run_on_the_environments_runner_only(tmp_path):
    build_file_tree(tmp_path, {"shipline.yml": MANIFEST})
    assert run_cli("generate", cwd=tmp_path).code == 0
    pipeline = _jobs(tmp_path, "shipline-pipeline.yml")
    assert pipeline["deploy-staging"]["runs-on"] == LABELS
    assert [s["id"] for s in pipeline["deploy-staging"]["steps"] if s.get("id") in ("deploy", "smoke")] == ["deploy", "smoke"]
    assert pipeline["deploy-production"]["runs-on"] == "ubuntu-latest"
    assert {pipeline[j]["runs-on"] for j in ("build", "test", "scan")} == {"ubuntu-latest"}
    rollback = _jobs(tmp_path, "shipline-rollback.yml")
    assert rollback["rollback-staging"]["runs-on"] == LABELS
    assert rollback["rollback-production"]["runs-on"] == "ubuntu-latest"
    config = YAML(typ="safe").load((tmp_path / ".github/actionlint.yaml").read_text())
    assert config == {"self-hosted-runner": {"labels": ["inventory-staging"]}}


def test_workflows_with_a_self_hosted_runner_lint_clean(tmp_path):
    build_file_tree(tmp_path, {"shipline.yml": MANIFEST})
    assert run_cli("generate", cwd=tmp_path).code == 0
    workflows = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / ".github/workflows").glob("*.yml"))
    assert lint.actionlint(lint.find_tool("actionlint", {}) or "actionlint", tmp_path, workflows, {}) == []
    assert lint.zizmor(lint.find_tool("zizmor", {}) or "zizmor", tmp_path / ".github", ROOT / "zizmor.yml", {}) == []
    # without the config, actionlint rejects the label: the config is what makes it pass
    (tmp_path / ".github/actionlint.yaml").unlink()
    problems = lint.actionlint(lint.find_tool("actionlint", {}) or "actionlint", tmp_path, workflows, {})
    assert problems and all("inventory-staging" in p.message for p in problems)


def test_an_existing_actionlint_config_gains_the_missing_label_and_keeps_its_comments(tmp_path):
    own = "# our runners\nself-hosted-runner:\n  labels:\n    - gpu  # the big one\n"
    build_file_tree(tmp_path, {"shipline.yml": MANIFEST, ".github/actionlint.yaml": own})
    assert run_cli("generate", cwd=tmp_path).code == 0
    text = (tmp_path / ".github/actionlint.yaml").read_text()
    assert text.startswith("# our runners\n") and "- gpu  # the big one" in text
    assert YAML(typ="safe").load(text)["self-hosted-runner"]["labels"] == ["gpu", "inventory-staging"]
    assert run_cli("generate", "--check", cwd=tmp_path).code == 0


def test_the_starter_manifest_says_where_a_local_router_deploys_from():
    text = starter([Project(name="app", language="python", path=".", runtime="3.12")], "app")
    assert "#     runs_on: [self-hosted, staging]" in text
    assert "runs_on: [self-hosted," in (ROOT / "README.md").read_text()


@pytest.mark.act
def test_shipline_act_runs_a_self_hosted_job_on_this_machine(tmp_path):
    marker = tmp_path / "ran"
    workflow = f"""
    on: push
    jobs:
      deploy-staging:
        runs-on: [self-hosted, linux, inventory-staging]
        steps:
          - run: echo "$RUNNER_OS" > {marker}
    """
    root = build_file_tree(tmp_path / "repo", {".github/workflows/d.yml": workflow})
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    listed = run_cli("act", "--list", cwd=root)
    assert "inventory-staging" in listed.out and "-> host" in listed.out
    result = run_cli("act", "--format", "json", cwd=root, env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert result.code == 0, result.out + result.err
    assert json.loads(result.out)["jobs"][0]["result"] == "success"
    # an unmapped label makes act skip the job with exit 0: the marker proves it ran
    assert marker.read_text().strip() == "Linux"


def test_deploy_and_rollback_steps_of_an_environment_with_hosts_get_the_ssh_secrets_through_env(tmp_path):
    text = MANIFEST.replace("    runs_on: [self-hosted, linux, inventory-staging]\n", "    hosts: [{host: web1.example.com, user: deploy}]\n")
    build_file_tree(tmp_path, {"shipline.yml": text})
    assert run_cli("generate", cwd=tmp_path).code == 0
    secrets = {"SHIPLINE_SSH_KEY": "${{ secrets.SHIPLINE_SSH_KEY }}", "SHIPLINE_SSH_KNOWN_HOSTS": "${{ secrets.SHIPLINE_SSH_KNOWN_HOSTS }}"}
    steps = {s["id"]: s for s in _jobs(tmp_path, "shipline-pipeline.yml")["deploy-staging"]["steps"]}
    assert steps["deploy"]["env"] == secrets and steps["rollback-on-smoke-failure"]["env"] == secrets
    assert "env" not in steps["smoke"]
    (rollback,) = [s for s in _jobs(tmp_path, "shipline-rollback.yml")["rollback-staging"]["steps"] if s["id"] == "rollback"]
    assert rollback["env"] == secrets
    production = {s["id"]: s for s in _jobs(tmp_path, "shipline-pipeline.yml")["deploy-production"]["steps"]}
    assert "env" not in production["deploy"]
