"""`shipline act`: --list, problems reported before act starts, a failing run named, nothing left running."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from shipline import processes
from tests.helpers import build_file_tree, run_cli
from tests.test_act_localrun import git

PIPELINE = """
name: pipeline
on: [push, pull_request]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo building
  test:
    needs: build
    runs-on: ubuntu-latest
    services:
      redis:
        image: redis
    steps:
      - name: Unit tests
        run: |
          echo "AssertionError: 1 != 2"
          exit 1
  deploy:
    needs: test
    runs-on: ubuntu-latest
    steps:
      - run: echo never
"""


def repo(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "repo"
    build_file_tree(root, files)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    return root


def test_list_shows_jobs_and_how_they_run_without_running_them(tmp_path):
    root = repo(tmp_path, {".github/workflows/p.yml": PIPELINE})
    result = run_cli("act", "--list", cwd=root)
    assert result.code == 0, result.err
    assert "deploy" in result.out and "Unit tests" not in result.out
    assert "ubuntu-latest -> host" in result.out
    # services: is reported up front, at its line, not silently skipped
    assert ".github/workflows/p.yml:11:5: warning: act cannot run this here" in result.err


def test_unknown_job_and_bad_pairs_are_bad_input(tmp_path):
    root = repo(tmp_path, {".github/workflows/p.yml": PIPELINE})
    result = run_cli("act", "-j", "deplyo", cwd=root)
    assert result.code == 2 and 'no job "deplyo"' in result.err and "build, deploy, test" in result.err
    result = run_cli("act", "--secret", "=hunter2", cwd=root)
    assert result.code == 2 and '--secret "=hunter2": expected NAME=VALUE' in result.err


def test_action_without_offline_stand_in_is_refused_before_act_starts(tmp_path):
    text = PIPELINE.replace("- run: echo building", "- uses: acme/deploy-action@v3")
    root = repo(tmp_path, {".github/workflows/p.yml": text})
    result = run_cli("act", cwd=root)
    assert result.code == 2
    assert ".github/workflows/p.yml:7:15: acme/deploy-action@v3: act would fetch it from github.com" in result.err


def _processes_with(marker: str) -> list[int]:
    return [p.pid for p in processes.live_processes() if marker in (processes.cmdline(p.pid) or "")]


@pytest.mark.act
def test_failing_run_names_the_job_and_step_skips_what_needs_it_and_leaves_nothing_running(tmp_path):
    marker = f"shipline-act-test-{os.getpid()}"
    # build leaves a background process behind in act's session; shipline act must stop it
    text = PIPELINE.replace("- run: echo building", f"- run: (exec -a {marker} sleep 300) & echo building")
    root = repo(tmp_path, {".github/workflows/p.yml": text})
    result = run_cli("act", "--format", "json", cwd=root, env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    try:
        assert result.code == 1, result.err
        report = json.loads(result.out)
        jobs = {j["id"]: j for j in report["jobs"]}
        assert jobs["build"]["result"] == "success"
        failed = [s["name"] for s in jobs["test"]["steps"] if s["result"] == "failure"]
        assert jobs["test"]["result"] == "failure" and failed == ["Unit tests"]
        (unit_tests,) = [s for s in jobs["test"]["steps"] if s["result"] == "failure"]
        assert any("AssertionError: 1 != 2" in line for line in unit_tests["output"]), unit_tests
        assert report["not_run"] == ["deploy"]
        assert 'job pipeline/test failed at step "Unit tests"' in result.err
        assert _processes_with(marker) == []
    finally:
        for pid in _processes_with(marker):
            os.kill(pid, 9)


@pytest.mark.act
def test_dispatch_inputs_reach_the_job_and_secrets_never_show(tmp_path):
    text = """
    on:
      workflow_dispatch:
        inputs:
          who:
            description: who
            required: true
    jobs:
      greet:
        runs-on: ubuntu-latest
        steps:
          - name: Greet
            env:
              WHO: ${{ inputs.who }}
              TOKEN: ${{ secrets.DEPLOY_TOKEN }}
            run: |
              echo "hello $WHO with $TOKEN"
              test "$WHO" = octocat && test "$TOKEN" = hunter2-secret
    """
    root = repo(tmp_path, {".github/workflows/d.yml": text})
    result = run_cli(
        "act", "--event", "workflow_dispatch", "--input", "who=octocat", "--secret", "DEPLOY_TOKEN=hunter2-secret", cwd=root, env={"XDG_CACHE_HOME": str(tmp_path / "cache")}
    )
    # act may drop the output of a step that ends at once, so the step itself checks what it got
    assert result.code == 0, result.out + result.err
    assert "hunter2-secret" not in result.out + result.err


MULTI_LINE_SECRET = """
on: push
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - name: Print the key
        env:
          KEY: ${{ secrets.DEPLOY_KEY }}
        run: |
          echo "$KEY"
          echo "$KEY" | sed -n 2p
          exit 1
"""


@pytest.mark.act
def test_a_multi_line_secret_named_from_the_environment_never_shows_not_even_line_by_line(tmp_path):
    # act masks a secret's whole value, but a step's output arrives a line at a time
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nQyNTUxOQAAACCl27aUfapQ\n-----END OPENSSH PRIVATE KEY-----\n"
    root = repo(tmp_path, {".github/workflows/d.yml": MULTI_LINE_SECRET})
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "DEPLOY_KEY": key}
    for fmt in ("text", "github", "json"):
        result = run_cli("act", "--secret", "DEPLOY_KEY", "--format", fmt, cwd=root, env=env)
        assert result.code == 1, result.out + result.err
        shown = result.out + result.err
        assert "exit status 1" in shown and "***" in shown  # the failing step's output is shown, masked
        assert all(line not in shown.replace("::add-mask::" + line, "") for line in key.splitlines()[1:3]), shown


@pytest.mark.act
def test_secrets_a_job_reads_but_not_given_are_named_before_the_run(tmp_path):
    root = repo(tmp_path, {".github/workflows/d.yml": MULTI_LINE_SECRET})
    result = run_cli("act", cwd=root, env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert "warning: job show reads DEPLOY_KEY, not given: act runs it with empty values; pass --secret DEPLOY_KEY" in result.err, result.out + result.err
    result = run_cli("act", "--secret", "DEPLOY_KEY=x", cwd=root, env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert "not given" not in result.out + result.err


def test_a_secret_named_from_an_environment_variable_that_is_not_set_is_bad_input(tmp_path):
    root = repo(tmp_path, {".github/workflows/d.yml": MULTI_LINE_SECRET})
    result = run_cli("act", "--secret", "DEPLOY_KEY", cwd=root)
    assert result.code == 2
    assert '--secret "DEPLOY_KEY": no environment variable DEPLOY_KEY to take its value from' in result.err


ONE_JOB = """
name: pipeline
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      version: ${{ steps.v.outputs.version }}
    steps:
      - uses: acme/compile-action@v1
      - id: v
        run: echo "version=1.2.3" >> "$GITHUB_OUTPUT"
  deploy:
    needs: build
    if: needs.build.result == 'success'
    runs-on: ubuntu-latest
    steps:
      - env:
          VERSION: ${{ needs.build.outputs.version }}
        run: test "$VERSION" = local
"""


def test_one_job_runs_alone_with_stand_in_results_of_what_it_needs(tmp_path):
    """-j deploy runs deploy only: build (and its action with no stand-in) is neither run nor fetched."""
    root = repo(tmp_path, {".github/workflows/p.yml": ONE_JOB})
    result = run_cli("act", "-j", "deploy", "--format", "json", cwd=root, env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert result.code == 0, result.out + result.err
    report = json.loads(result.out)
    assert [(j["id"], j["result"]) for j in report["jobs"]] == [("deploy", "success")]
    # the step checked it was given the stand-in version
    # the job that has the action is the one that runs: refused before act starts, with the way out
    result = run_cli("act", "-j", "build", cwd=root)
    assert result.code == 2
    assert "acme/compile-action@v1: act would fetch it from github.com" in result.err
    assert "replace the step with a run: step" in result.err
