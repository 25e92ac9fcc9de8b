"""The real-project corpus: detection finds what each project declares; init, generate and check pass on all.

Two pull-request pipelines run through act here (the benchmark, benchmarks/realworld.py,
runs them all): a stdlib service with requirements-dev.txt and a flit library whose
build installs its backend from PyPI.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from shipline.generate import starter
from shipline.languages.node import Node
from shipline.languages.python import Python
from tests import corpus_support as corpus
from tests.helpers import run_cli
from tests.test_act_pipelines import explain
from tests.test_plan import EVENTS, _workflow_runs

TODAY = dt.date(2026, 12, 5)
NAMES = corpus.names()


@pytest.fixture(autouse=True)
def _pinned_day(monkeypatch):
    monkeypatch.setattr(Python, "today", TODAY)
    monkeypatch.setattr(Node, "today", TODAY)


def test_the_corpus_has_ten_shapes():
    assert len(NAMES) >= 10


@pytest.mark.parametrize("name", NAMES)
def test_detection_finds_what_the_project_declares(name):
    found = [starter.summary(p) for p in starter.detect(corpus.CORPUS / name / "repo")]
    got = [{k: p[k] for k in ("path", "language", "runtimes", "package_manager", "tests")} for p in found]
    assert got == corpus.expected(name)["projects"]


@pytest.mark.parametrize("name", NAMES)
def test_init_generate_check_and_plan_agree(name, tmp_path):
    repo = corpus.prepare(name, tmp_path)
    assert run_cli("init", cwd=repo).code == 0
    assert run_cli("generate", cwd=repo).code == 0
    result = run_cli("check", cwd=repo)
    assert result.code == 0, result.out + result.err
    for event in EVENTS:
        plan = run_cli("plan", "--format", "json", "--event", event, cwd=repo)
        planned = {j["job"] for j in json.loads(plan.out)["jobs"] if j["runs"]}
        assert planned == {j for j, ok in _workflow_runs(repo, event, "main").items() if ok}, event


@pytest.mark.act
@pytest.mark.slow
@pytest.mark.parametrize("name", ["stdlib-service", "itsdangerous"])
def test_pull_request_pipeline_is_green_untouched_after_init(name, tmp_path):
    repo = corpus.prepare(name, tmp_path)
    assert run_cli("init", cwd=repo).code == 0
    assert run_cli("generate", cwd=repo).code == 0
    corpus.commit(repo, "shipline init and generate")
    args = ["act", "-W", ".github/workflows/shipline-pipeline.yml", "--event", "pull_request", "--format", "json", *corpus.installed_matrix(repo)]
    result = run_cli(*args, cwd=repo, env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    report = json.loads(result.out)
    assert result.code == 0, explain(report) + result.err
    assert {j["id"] for j in report["jobs"]} >= {"build", "scan", "pr-summary"}
    assert any(j["id"].startswith("test") and j["result"] == "success" for j in report["jobs"]), explain(report)
