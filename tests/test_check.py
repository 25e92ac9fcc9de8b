"""shipline check: manifest, drift and both linters, each able to fail it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shipline.generate import lint
from tests.helpers import run_cli

PIPELINES = Path(__file__).resolve().parents[1] / "pipelines"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copy(PIPELINES / "canary-command" / "shipline.yml", tmp_path / "shipline.yml")
    assert run_cli("generate", cwd=tmp_path).code == 0
    return tmp_path


def test_clean_repository_passes(repo: Path):
    result = run_cli("check", cwd=repo)
    assert result.code == 0, result.out + result.err
    assert "actionlint and zizmor: no findings" in result.out


def test_drift_fails(repo: Path):
    (repo / ".github/workflows/shipline-rollback.yml").write_text("name: edited\n")
    result = run_cli("check", cwd=repo)
    assert result.code == 1
    assert "shipline-rollback.yml differs" in result.err


def test_a_kit_ref_by_tag_is_allowed_for_the_kit_only(repo: Path):
    manifest = repo / "shipline.yml"
    manifest.write_text(manifest.read_text().replace("ref: eb1f9713e935d89a921ede2011cf30be7bd4b2f7", "ref: v1"))
    assert run_cli("generate", cwd=repo).code == 0
    result = run_cli("check", cwd=repo)
    assert result.code == 0, result.out + result.err
    assert 'kit.ref "v1" is a tag' in result.out
    # a third-party action on a moving tag is still a finding, located in the workflow
    manifest.write_text(manifest.read_text() + "  - job: build\n    step: build\n    after: {id: extra, uses: someone/action@v1}\n")
    assert run_cli("generate", cwd=repo).code == 0
    result = run_cli("check", cwd=repo)
    assert result.code == 1
    assert ".github/workflows/shipline-pipeline.yml:" in result.err
    assert "[zizmor/unpinned-uses]" in result.err


def test_a_repository_zizmor_config_wins_over_the_kit_policy(repo: Path):
    manifest = repo / "shipline.yml"
    manifest.write_text(manifest.read_text().replace("ref: eb1f9713e935d89a921ede2011cf30be7bd4b2f7", "ref: v1"))
    (repo / "zizmor.yml").write_text("rules:\n  unpinned-uses:\n    config:\n      policies:\n        \"*\": hash-pin\n")
    assert run_cli("generate", cwd=repo).code == 0
    result = run_cli("check", cwd=repo)
    assert result.code == 1
    assert "[zizmor/unpinned-uses]" in result.err


def test_an_override_that_breaks_the_workflow_is_an_actionlint_finding(repo: Path):
    manifest = repo / "shipline.yml"
    manifest.write_text(manifest.read_text() + "  - job: build\n    step: build\n    with: {version: '${{ steps.nope.outputs.v }}'}\n")
    result = run_cli("check", cwd=repo)
    assert result.code == 1
    assert "[actionlint]" in result.err and '"nope"' in result.err


def test_bad_manifest_is_exit_2(repo: Path):
    (repo / "shipline.yml").write_text("version: 2\n")
    assert run_cli("check", cwd=repo).code == 2


def test_missing_linters_are_reported_as_skipped(repo: Path, monkeypatch):
    monkeypatch.setattr(lint, "find_tool", lambda name, environ: None)
    result = run_cli("check", cwd=repo)
    assert result.code == 0
    assert "actionlint is not installed" in result.err and "zizmor is not installed" in result.err
