"""shipline.localrun without act: workflows read, actions mapped, argv built, --json parsed, events from git."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from shipline.errors import InputError, Problem
from shipline.generate import pins
from shipline.localrun import actionmap, event, jsonlog, workflows
from shipline.localrun.command import ActOptions, command
from shipline.localrun.workflows import parse_uses
from tests.helpers import build_file_tree

WORKFLOW = """
name: ci
on: [push, pull_request]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - uses: actions/setup-python@0123456789012345678901234567890123456789
      - uses: shipline/shipline/actions/setup@v1
      - uses: ./local-action
  db:
    needs: build
    runs-on: [self-hosted, linux]
    services:
      postgres:
        image: postgres
    steps:
      - run: echo hi
  boxed:
    runs-on: ubuntu-22.04
    container: python:3.12
    steps:
      - uses: github/codeql-action/upload-sarif@abc
"""


def scan(tmp_path: Path, text: str = WORKFLOW) -> workflows.Workflows:
    build_file_tree(tmp_path, {".github/workflows/ci.yml": text})
    files = workflows.workflow_files(tmp_path)
    return workflows.scan(files, lambda p: str(p.relative_to(tmp_path)))


def test_scan_collects_labels_uses_jobs_and_what_act_cannot_do(tmp_path):
    found = scan(tmp_path)
    assert found.labels == {"ubuntu-latest", "self-hosted", "linux", "ubuntu-22.04"}
    assert [(j.id, j.needs) for j in found.jobs] == [("build", ()), ("db", ("build",)), ("boxed", ())]
    assert found.events == {"push", "pull_request"}
    assert {str(r) for r in found.uses} == {
        "actions/checkout@v5",
        "actions/setup-python@0123456789012345678901234567890123456789",
        "shipline/shipline/actions/setup@v1",
        "github/codeql-action/upload-sarif@abc",
    }
    located = [str(p) for p in found.unsupported]
    assert located[0].startswith(".github/workflows/ci.yml:14:5: ") and "services" in located[0]
    assert located[1].startswith(".github/workflows/ci.yml:21:5: ") and "container" in located[1]


def test_parse_uses_keys_sub_paths_by_repository():
    ref = parse_uses("actions/cache/restore@27d5ce7f107fe9357f9df03efb73ab90386fccae")
    assert (ref.repository, ref.path, ref.key) == ("actions/cache", "restore", "actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae")
    assert parse_uses("./local") is None
    assert parse_uses("docker://alpine:3") is None


def test_no_workflows_is_bad_input_naming_the_fix(tmp_path):
    with pytest.raises(InputError, match="shipline generate"):
        workflows.workflow_files(tmp_path)


def test_every_pinned_action_of_the_generator_has_a_stand_in():
    for action, pin in pins.PINS.items():
        ref = parse_uses(f"{action}@{pin.sha}")
        if ref.repository in actionmap.BUILT_IN:
            continue
        mapping = actionmap.map_actions({ref: Problem("w.yml", 1, 1, "")}, "shipline/shipline", None)
        assert mapping.unmapped == [], action
        assert mapping.repositories == {ref.key: actionmap.STANDINS[ref.repository]}
        assert (actionmap.STANDINS[ref.repository] / ref.path / "action.yml").is_file()


def test_unknown_remote_action_and_missing_kit_action_are_reported_where_used(tmp_path, repo_root):
    found = scan(tmp_path, WORKFLOW.replace("actions/setup@v1", "actions/nope@v1").replace("github/codeql-action/upload-sarif@abc", "acme/thing@v2"))
    mapping = actionmap.map_actions(found.uses, "shipline/shipline", repo_root)
    messages = sorted(str(p) for p in mapping.unmapped)
    assert messages[0].startswith(".github/workflows/ci.yml:") and 'acme/thing@v2: act would fetch it from github.com' in messages[0]
    assert 'the kit has no action "nope"; it has: ' in messages[1] and "setup" in messages[1]


def test_command_runs_every_label_on_the_host_offline(tmp_path):
    argv = command(
        ActOptions(
            act=Path("/x/act"),
            event="pull_request",
            labels={"ubuntu-latest", "linux"},
            local_repositories={"shipline/shipline@v1": tmp_path},
            secrets={"TOKEN": "s3cret"},
            inputs={"reason": "x"},
            artifact_port=4567,
        )
    )
    text = " ".join(argv)
    assert argv[:3] == ["/x/act", "pull_request", "--json"]
    assert "-P linux=-self-hosted -P ubuntu-latest=-self-hosted" in text
    assert f"--local-repository shipline/shipline@v1={tmp_path}" in text
    assert "--no-cache-server" in argv and "--artifact-server-addr 127.0.0.1" in text and "--artifact-server-port 4567" in text
    assert "-s TOKEN" in text and "s3cret" not in text  # the value goes through act's environment only
    assert "--input reason=x" in text


def test_json_log_gives_jobs_steps_results_and_the_failing_output():
    lines = [
        {"job": "ci/a   ", "jobID": "a", "step": "Set up job", "stepid": ["--setup-job"], "stepResult": "success", "msg": "ok"},
        {"job": "ci/a   ", "jobID": "a", "step": "Build", "stepID": ["build"], "stage": "Main", "msg": "compiling\n", "raw_output": True},
        {"job": "ci/a   ", "jobID": "a", "step": "Build", "stepID": ["build", "0"], "stage": "Main", "stepResult": "failure", "msg": "inner"},
        {"job": "ci/a   ", "jobID": "a", "step": "Build", "stepID": ["build"], "stage": "Main", "stepResult": "failure", "executionTime": 2_500_000_000, "msg": "x"},
        {"job": "ci/a   ", "jobID": "a", "jobResult": "failure", "msg": "Job failed"},
        {"level": "warning", "msg": "no docker"},
    ]
    log = jsonlog.parse([json.dumps(r) for r in lines] + ["not json"])
    job = log.jobs["ci/a"]
    assert (job.id, job.result) == ("a", "failure")
    step = job.failed_step
    assert (step.name, step.seconds, step.output[0]) == ("Build", 2.5, "compiling")
    assert log.messages == ["no docker"] and log.other == ["not json"]


def test_json_log_reads_step_outputs_and_keeps_everything_when_asked():
    base = {"job": "ci/a", "jobID": "a", "step": "Build", "stepID": ["build"], "stage": "Main"}
    lines = [dict(base, msg="::set-output:: version=1.2.3")]
    lines += [dict(base, msg=f"line {n}\n", raw_output=True) for n in range(100)]
    lines += [dict(base, stepID=["build", "0"], msg="::set-output:: inner=not the step's")]
    bounded = jsonlog.parse([json.dumps(r) for r in lines])
    everything = jsonlog.Log(tail=None, transcript=[])
    for r in lines:
        everything.feed(json.dumps(r))
    (step,) = bounded.jobs["ci/a"].steps
    assert step.outputs == {"version": "1.2.3"}
    assert len(step.output) == jsonlog.TAIL and step.output[-1] == "line 99"
    assert len(everything.jobs["ci/a"].steps[0].output) == 100
    assert everything.transcript[0] == "::set-output:: version=1.2.3" and "line 50" in everything.transcript


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def test_push_and_pull_request_payloads_come_from_git(tmp_path):
    build_file_tree(tmp_path, {"a.txt": "1", "b.txt": "1"})
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "first")
    first = git(tmp_path, "rev-parse", "HEAD")
    git(tmp_path, "checkout", "-qb", "feature")
    build_file_tree(tmp_path, {"a.txt": "2", "c.txt": "new"})
    (tmp_path / "b.txt").unlink()
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "change")
    head = git(tmp_path, "rev-parse", "HEAD")

    push = event.push_payload(tmp_path, "main")
    assert (push["before"], push["after"], push["ref"]) == (first, head, "refs/heads/feature")
    commit = push["head_commit"]
    assert (commit["added"], commit["modified"], commit["removed"]) == (["c.txt"], ["a.txt"], ["b.txt"])

    pr = event.pull_request_payload(tmp_path, "main")["pull_request"]
    assert pr["base"] == {"ref": "main", "sha": first} and pr["head"] == {"ref": "feature", "sha": head}
    assert pr["changed_files"] == 3

    git(tmp_path, "checkout", "-q", "main")
    first_push = event.push_payload(tmp_path, "main")
    assert first_push["before"] == event.ZERO_SHA and first_push["head_commit"]["added"] == ["a.txt", "b.txt"]


def test_event_outside_git_is_bad_input(tmp_path):
    with pytest.raises(InputError, match="not a git repository"):
        event.push_payload(tmp_path, "main")


@pytest.mark.parametrize("example", sorted(p.parent.name for p in (Path(__file__).resolve().parents[1] / "pipelines").glob("*/shipline.yml")))
def test_every_example_pipeline_runs_offline_under_act(example, repo_root):
    from shipline.localrun import prepare

    root = repo_root / "pipelines" / example
    for event_name in ("push", "pull_request", "workflow_dispatch"):
        plan = prepare(root, event=event_name)
        assert plan.mapping.unmapped == [], (example, event_name)
