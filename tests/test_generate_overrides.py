"""Overrides by job and step id: each kind, and unknown ids located at the override."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import build_file_tree, run_cli

BASE = """
version: 1
kit: {ref: eb1f9713e935d89a921ede2011cf30be7bd4b2f7}
project: {name: orders, language: python}
environments:
  - name: staging
    url: https://staging.example.com
    deploy:
      router: {type: command, switch: ./switch.sh}
      slots: {blue: {port: 8001}, green: {port: 8002}}
overrides:
"""


def generate(tmp_path: Path, overrides: str) -> tuple[int, str, dict]:
    """Generate with ``overrides`` appended; the exit code, stderr and the pipeline's jobs."""
    from ruamel.yaml import YAML

    build_file_tree(tmp_path, {"shipline.yml": BASE.lstrip("\n") + overrides})
    result = run_cli("generate", cwd=tmp_path)
    path = tmp_path / ".github/workflows/shipline-pipeline.yml"
    jobs = YAML(typ="safe").load(path.read_text())["jobs"] if path.exists() else {}
    return result.code, result.err, jobs


def step(job: dict, step_id: str) -> dict:
    return next(s for s in job["steps"] if s["id"] == step_id)


def test_job_env_runs_on_and_timeout(tmp_path: Path):
    code, err, jobs = generate(
        tmp_path,
        "  - job: test\n    env: {PYTEST_ADDOPTS: -x}\n    runs_on: [self-hosted, linux]\n    timeout_minutes: 45\n",
    )
    assert code == 0, err
    assert jobs["test"]["env"] == {"PYTEST_ADDOPTS": "-x"}
    assert jobs["test"]["runs-on"] == ["self-hosted", "linux"]
    assert jobs["test"]["timeout-minutes"] == 45
    assert jobs["build"]["runs-on"] == "ubuntu-latest"


def test_step_with_and_env_are_merged(tmp_path: Path):
    code, err, jobs = generate(tmp_path, "  - job: scan\n    step: scan\n    with: {fail-on: critical}\n    env: {SEMGREP_TIMEOUT: '60'}\n")
    assert code == 0, err
    scan = step(jobs["scan"], "scan")
    assert scan["with"]["fail-on"] == "critical"
    assert "baseline-ref" in scan["with"]
    assert scan["env"] == {"SEMGREP_TIMEOUT": "60"}


def test_steps_added_before_and_after_a_named_step(tmp_path: Path):
    code, err, jobs = generate(
        tmp_path,
        """\
  - job: deploy-staging
    step: deploy
    before: {id: warm-up, run: ./warm-up.sh}
    after:
      id: notify
      name: Tell the team
      run: |
        echo deployed
        ./notify.sh
""",
    )
    assert code == 0, err
    ids = [s["id"] for s in jobs["deploy-staging"]["steps"]]
    assert ids.index("warm-up") == ids.index("deploy") - 1
    assert ids.index("notify") == ids.index("deploy") + 1
    assert step(jobs["deploy-staging"], "notify")["run"] == "echo deployed\n./notify.sh\n"
    text = (tmp_path / ".github/workflows/shipline-pipeline.yml").read_text()
    assert "run: |\n          echo deployed\n" in text


def test_a_step_can_be_dropped(tmp_path: Path):
    code, err, jobs = generate(tmp_path, "  - job: deploy-staging\n    step: smoke\n    remove: true\n")
    assert code == 0, err
    assert "smoke" not in [s["id"] for s in jobs["deploy-staging"]["steps"]]


def test_rollback_jobs_can_be_overridden_too(tmp_path: Path):
    code, err, _ = generate(tmp_path, "  - job: rollback-staging\n    timeout_minutes: 5\n")
    assert code == 0, err
    assert "timeout-minutes: 5" in (tmp_path / ".github/workflows/shipline-rollback.yml").read_text()


@pytest.mark.parametrize(
    ("override", "where", "message"),
    [
        ("  - job: tset\n    env: {A: b}\n", "11:10", 'unknown job "tset" (did you mean "test"?); expected one of: build, test, scan, deploy-staging, pr-summary, rollback-staging'),
        ("  - job: test\n    step: tests\n    env: {A: b}\n", "12:11", 'unknown step "tests" in job test (did you mean "test"?); expected one of: checkout, setup-runtime, test'),
        ("  - job: build\n    step: checkout\n    before: {id: build, run: make}\n", "13:13", 'job build already has a step "build"'),
        ("  - job: build\n    step: checkout\n    runs_on: big\n", "11:5", "overrides[0]: runs_on applies to the whole job: remove step: checkout"),
        ("  - job: build\n    with: {a: b}\n", "11:5", "overrides[0]: with needs a step: add step: ID"),
    ],
)
def test_bad_override_is_located_and_lists_what_exists(tmp_path: Path, override: str, where: str, message: str):
    code, err, _ = generate(tmp_path, override)
    assert code == 2
    assert f"shipline.yml:{where}: " in err and message in err, err
    assert not (tmp_path / ".github").exists()
