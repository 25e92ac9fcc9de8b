"""The workflow model and writer, and the monorepo's changes script run for real."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from shipline import manifest as schema
from shipline.generate import pins, writer
from shipline.generate.model import Grant, Job, Step, Workflow
from shipline.generate.pipeline import build_workflows, matches, path_filter

PIPELINES = Path(__file__).resolve().parents[1] / "pipelines"


def test_a_job_cannot_be_made_without_permissions():
    with pytest.raises(TypeError):
        Job(id="x", name="x", steps=[])  # type: ignore[call-arg]


def test_writer_keeps_on_literal_runs_and_comments():
    job = Job(
        id="hello",
        name="Hello",
        permissions=[Grant("contents", "read", "check out the code")],
        steps=[Step.pinned("checkout", "Check out", "actions/checkout"), Step(id="say", name="Say", run="echo one\necho two")],
    )
    text = writer.to_yaml(Workflow("shipline-x.yml", "x", {"push": None}, [job]), "shipline.yml")
    assert text.startswith(writer.header("shipline.yml"))
    assert "\non:\n  push:\n" in text
    assert "\npermissions: {}\n" in text
    assert "      contents: read  # check out the code\n" in text
    pin = pins.PINS["actions/checkout"]
    assert f"uses: actions/checkout@{pin.sha}  # {pin.version}\n" in text
    assert "run: |\n          echo one\n          echo two\n" in text
    assert YAML(typ="safe").load(text)["on"] == {"push": None}


def test_every_pin_is_a_full_sha_with_a_version_tag():
    for name, pin in pins.PINS.items():
        assert len(pin.sha) == 40 and int(pin.sha, 16) >= 0, name
        assert pin.version.startswith("v") and pin.version.count(".") == 2, name


def test_monorepo_jobs_are_gated_on_their_service_and_required_waits_for_ci():
    m = schema.load(PIPELINES / "monorepo" / "shipline.yml")
    pipeline = build_workflows(m).workflows[0]
    assert pipeline.jobs[0].id == "changes"
    assert pipeline.job("web-build").to_data()["if"] == "needs.changes.outputs.web == 'true'"
    deploy = pipeline.job("api-deploy-production").to_data()
    assert deploy["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/trunk'"
    assert deploy["concurrency"] == {"group": "shipline-deploy-api-production", "cancel-in-progress": False}
    required = pipeline.job("shipline-required")
    assert required.to_data()["if"] == "always()" and required.permissions == []
    assert not any("deploy" in n for n in required.needs)
    assert {"api-scan", "web-test", "worker-build"} <= set(required.needs)


def test_path_filter_matching():
    svc = schema.load(PIPELINES / "monorepo" / "shipline.yml").service("api")
    f = path_filter(svc, "shipline.yml")
    assert matches(f, "services/api/app.py") and matches(f, "./shipline.yml")
    assert not matches(f, "services/apiv2/app.py") and not matches(f, "docs/shipline.yml")


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True, timeout=30).stdout.strip()


def _changed_outputs(repo: Path, script: str, base: str) -> set[str]:
    out = repo / "github_output"
    out.write_text("")
    env = {"PATH": os.environ["PATH"], "BASE_SHA": base, "GITHUB_SHA": _git(repo, "rev-parse", "HEAD"), "GITHUB_OUTPUT": str(out)}
    subprocess.run(["bash", "-e", "-c", script], cwd=repo, env=env, check=True, timeout=30)
    return {line.split("=")[0] for line in out.read_text().splitlines() if line.endswith("=true")}


def test_changes_script_finds_the_changed_services_in_a_real_repository(tmp_path: Path):
    m = schema.load(PIPELINES / "monorepo" / "shipline.yml")
    script = build_workflows(m).workflows[0].job("changes").step("diff").run
    _git(tmp_path, "init", "-q")
    for folder in ("services/api", "services/web", "services/worker"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "README").write_text("x\n")
    (tmp_path / "shipline.yml").write_text("version: 1\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "one")
    base = _git(tmp_path, "rev-parse", "HEAD")
    (tmp_path / "services/web/README").write_text("y\n")
    (tmp_path / "services/apiv2").mkdir()
    (tmp_path / "services/apiv2/README").write_text("not api\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "two")
    assert _changed_outputs(tmp_path, script, base) == {"web"}
    (tmp_path / "shipline.yml").write_text("version: 1\n# changed\n")
    _git(tmp_path, "commit", "-q", "-am", "three")
    assert _changed_outputs(tmp_path, script, base) == {"api", "web", "worker"}
    # no base (first push of a branch): everything counts as changed
    assert _changed_outputs(tmp_path, script, "0" * 40) == {"api", "web", "worker"}
