"""generate on disk: determinism, the header, stale files, --check drift, dependabot."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shipline.generate import files, writer
from tests.helpers import build_file_tree, run_cli

PIPELINES = Path(__file__).resolve().parents[1] / "pipelines"
WF = files.WORKFLOWS


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copy(PIPELINES / "python-service" / "shipline.yml", tmp_path / "shipline.yml")
    return tmp_path


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_manifest_same_bytes(repo: Path, tmp_path_factory):
    other = tmp_path_factory.mktemp("again")
    shutil.copy(repo / "shipline.yml", other / "shipline.yml")
    assert run_cli("generate", cwd=repo).code == 0
    assert run_cli("generate", cwd=other).code == 0
    assert _tree(repo) == _tree(other)
    first = _tree(repo)
    assert run_cli("generate", cwd=repo).code == 0
    assert _tree(repo) == first


def test_every_generated_workflow_starts_with_the_header(repo: Path):
    run_cli("generate", cwd=repo)
    written = sorted((repo / WF).glob("shipline-*.yml"))
    assert [p.name for p in written] == ["shipline-pipeline.yml", "shipline-rollback.yml"]
    for path in written:
        assert path.read_text().splitlines()[0] == writer.header("shipline.yml").rstrip("\n")


def test_stale_generated_file_is_removed_and_others_are_kept(repo: Path):
    build_file_tree(repo, {f"{WF}/shipline-old-service.yml": "name: old\n", f"{WF}/mine.yml": "name: mine\n"})
    result = run_cli("generate", cwd=repo)
    assert result.code == 0
    assert "removed .github/workflows/shipline-old-service.yml" in result.out
    assert not (repo / WF / "shipline-old-service.yml").exists()
    assert (repo / WF / "mine.yml").read_text() == "name: mine\n"


def test_dropping_environments_removes_the_rollback_workflow(repo: Path):
    run_cli("generate", cwd=repo)
    text = (repo / "shipline.yml").read_text()
    (repo / "shipline.yml").write_text(text[: text.index("environments:")])
    assert run_cli("generate", cwd=repo).code == 0
    assert not (repo / WF / "shipline-rollback.yml").exists()


def test_check_is_clean_after_generate(repo: Path):
    run_cli("generate", cwd=repo)
    result = run_cli("generate", "--check", cwd=repo)
    assert result.code == 0, result.out + result.err


def test_check_shows_a_hand_edit_as_a_diff_and_writes_nothing(repo: Path):
    run_cli("generate", cwd=repo)
    path = repo / WF / "shipline-pipeline.yml"
    path.write_text(path.read_text().replace("timeout-minutes: 30", "timeout-minutes: 99", 1))
    edited = path.read_text()
    result = run_cli("generate", "--check", cwd=repo)
    assert result.code == 1
    assert "--- a/.github/workflows/shipline-pipeline.yml" in result.out
    assert "-    timeout-minutes: 99" in result.out and "+    timeout-minutes: 30" in result.out
    assert "shipline-pipeline.yml differs from what the manifest gives" in result.err
    assert path.read_text() == edited


def test_check_reports_stale_and_missing_files(repo: Path):
    run_cli("generate", cwd=repo)
    (repo / WF / "shipline-rollback.yml").unlink()
    (repo / WF / "shipline-gone.yml").write_text("name: gone\n")
    result = run_cli("generate", "--check", cwd=repo)
    assert result.code == 1
    assert "+++ /dev/null" in result.out and "-name: gone" in result.out
    assert "shipline-gone.yml is stale" in result.err
    assert "shipline-rollback.yml is missing" in result.err
    assert (repo / WF / "shipline-gone.yml").exists()


def test_bad_manifest_writes_nothing(repo: Path):
    (repo / "shipline.yml").write_text((repo / "shipline.yml").read_text().replace("language: python", "language: pyhton"))
    result = run_cli("generate", cwd=repo)
    assert result.code == 2
    assert 'shipline.yml:12:13: unknown language "pyhton"' in result.err
    assert not (repo / ".github").exists()


def test_check_json_lists_the_drifted_files(repo: Path):
    import json

    result = run_cli("generate", "--check", "--format", "json", cwd=repo)
    assert result.code == 1
    doc = json.loads(result.out)
    assert doc["drift"] is True
    assert f"{WF}/shipline-pipeline.yml" in doc["files"]


def test_dependabot_is_written_when_absent(repo: Path):
    run_cli("generate", cwd=repo)
    text = (repo / files.DEPENDABOT).read_text()
    assert "package-ecosystem: github-actions" in text


def test_dependabot_entry_is_added_to_an_existing_file_keeping_comments(repo: Path):
    build_file_tree(
        repo,
        {
            files.DEPENDABOT: """
                version: 2
                updates:
                  # Python packages, weekly
                  - package-ecosystem: pip
                    directory: /
                    schedule:
                      interval: weekly
            """
        },
    )
    assert run_cli("generate", cwd=repo).code == 0
    text = (repo / files.DEPENDABOT).read_text()
    assert "# Python packages, weekly" in text
    assert "package-ecosystem: pip" in text and "package-ecosystem: github-actions" in text
    assert run_cli("generate", "--check", cwd=repo).code == 0


def test_dependabot_with_a_github_actions_entry_is_left_alone(repo: Path):
    mine = "version: 2\nupdates:\n  - package-ecosystem: github-actions\n    directory: /\n    schedule: {interval: daily}\n"
    build_file_tree(repo, {files.DEPENDABOT: mine})
    run_cli("generate", cwd=repo)
    assert (repo / files.DEPENDABOT).read_text() == mine


def test_a_manifest_with_another_name_is_named_in_header_and_inputs(repo: Path):
    (repo / "shipline.yml").rename(repo / "ci.yml")
    assert run_cli("generate", "-m", "ci.yml", cwd=repo).code == 0
    text = (repo / WF / "shipline-pipeline.yml").read_text()
    assert text.startswith("# Generated by shipline from ci.yml.")
    assert "manifest: ci.yml" in text


def test_atomic_write_leaves_no_temporary_files(tmp_path: Path):
    files.write_atomic(tmp_path / "a" / "b.yml", "x: 1\n")
    files.write_atomic(tmp_path / "a" / "b.yml", "x: 2\n")
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["b.yml"]
    assert (tmp_path / "a" / "b.yml").read_text() == "x: 2\n"
