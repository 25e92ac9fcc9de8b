"""The pull request summary: one comment, updated in place, never one per push."""

from __future__ import annotations

import json

from shipline.github.comment import MARKER
from tests.helpers import run_cli


def record(tmp_path, *argv):
    result = run_cli("pr-comment", "record", *argv, cwd=tmp_path)
    assert result.code == 0, result.err


def test_two_pushes_update_one_comment(fake_github, tmp_path):
    fake_github.add_pull(7)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "pull_request": {"number": 7}}))
    env = fake_github.env(GITHUB_EVENT_PATH=str(event), GITHUB_RUN_ID="42", GITHUB_SHA="a" * 40)

    record(tmp_path, "build", "--status", "passed", "--field", "artifacts=2")
    record(tmp_path, "scan", "--status", "failed", "--summary", "1 new high finding", "--link", "SARIF=https://example.com/s.sarif")
    first = run_cli("pr-comment", "post", cwd=tmp_path, env=env)
    assert first.code == 0, first.err
    assert "summary comment created" in first.out

    record(tmp_path, "scan", "--status", "passed", "--summary", "no new findings")
    record(tmp_path, "test", "--status", "success", "--field", "passed=41", "--field", "coverage=93%")  # a job result
    second = run_cli("pr-comment", "post", cwd=tmp_path, env=env)
    assert second.code == 0, second.err
    assert "summary comment updated" in second.out

    comments = fake_github.state.comments
    assert len(comments) == 1 and len(fake_github.calls("POST", r"/repos/acme/shop/issues/7/comments")) == 1
    body = comments[0]["body"]
    assert body.startswith(MARKER)
    assert "| ✅ test | passed |  | passed: 41, coverage: 93% |  |" in body
    assert "1 new high finding" not in body and "no new findings" in body
    assert body.index("build") < body.index("test") < body.index("scan")
    assert f"[workflow run]({fake_github.url}/acme/shop/actions/runs/42)" in body

    third = run_cli("pr-comment", "post", "--pr", "7", cwd=tmp_path, env=env)
    assert "summary comment unchanged" in third.out
    assert not fake_github.calls("PATCH", r".*")[1:], "an unchanged summary was written again"


def test_other_comments_are_left_alone(fake_github, tmp_path):
    fake_github.add_pull(3)
    fake_github.add_comment(3, "LGTM")
    record(tmp_path, "build", "--status", "passed")
    result = run_cli("pr-comment", "post", "--pr", "3", cwd=tmp_path, env=fake_github.env())
    assert result.code == 0, result.err
    assert [c["body"] for c in fake_github.state.comments][0] == "LGTM"
    assert len(fake_github.state.comments) == 2


def test_outside_a_pull_request_or_without_token_nothing_is_posted(fake_github, tmp_path):
    record(tmp_path, "build", "--status", "passed")
    assert "not a pull request event" in run_cli("pr-comment", "post", cwd=tmp_path, env=fake_github.env()).out
    assert "not posted (set GITHUB_TOKEN" in run_cli("pr-comment", "post", "--pr", "1", cwd=tmp_path).out
    assert not fake_github.requests


def test_bad_records_are_input_errors(tmp_path):
    assert run_cli("pr-comment", "record", "build", cwd=tmp_path).code == 2
    status = run_cli("pr-comment", "record", "build", "--status", "green", cwd=tmp_path)
    assert status.code == 2 and 'unknown status "green"; expected one of: passed, failed, skipped, success' in status.err
    bad = run_cli("pr-comment", "record", "build", "--status", "passed", "--field", "oops", cwd=tmp_path)
    assert bad.code == 2 and '--field "oops" is not NAME=VALUE' in bad.err
    (tmp_path / "shipline-results.json").write_text("[1, 2]")
    broken = run_cli("pr-comment", "record", "build", "--status", "passed", cwd=tmp_path)
    assert broken.code == 2 and "shipline-results.json: not a shipline results file" in broken.err


def test_a_comment_by_someone_else_with_the_marker_is_not_edited(fake_github, tmp_path):
    fake_github.add_pull(5)
    fake_github.add_comment(5, MARKER + "\nquoted from an old summary")
    record(tmp_path, "build", "--status", "passed")
    result = run_cli("pr-comment", "post", "--pr", "5", cwd=tmp_path, env=fake_github.env())
    assert result.code == 0, result.err and "summary comment created" in result.out
    theirs, mine = fake_github.state.comments
    assert theirs["body"].endswith("quoted from an old summary") and theirs["user"]["login"] == "octocat"
    assert mine["user"]["login"] == "github-actions[bot]" and "| ✅ build | passed |" in mine["body"]
    assert not fake_github.calls("PATCH", r".*")


def test_a_pull_request_from_a_fork_skips_the_comment_with_a_notice(fake_github, tmp_path):
    fake_github.add_pull(9)
    event = tmp_path / "event.json"
    pull = {"number": 9, "head": {"repo": {"full_name": "someone/shop"}}, "base": {"repo": {"full_name": "acme/shop"}}}
    event.write_text(json.dumps({"action": "opened", "pull_request": pull}))
    record(tmp_path, "build", "--status", "passed")
    env = fake_github.env(GITHUB_EVENT_PATH=str(event), GITHUB_EVENT_NAME="pull_request")
    fake_github.fail("POST", r"/issues/9/comments$", 403)  # what a read-only token would get
    result = run_cli("pr-comment", "post", cwd=tmp_path, env=env)
    assert result.code == 0, result.err
    assert "notice: pull request summary: not posted: pull request #9 comes from the fork someone/shop" in result.err
    assert not fake_github.requests
    # pull_request_target runs with a writable token: the comment is posted
    target = run_cli("pr-comment", "post", cwd=tmp_path, env={**env, "GITHUB_EVENT_NAME": "pull_request_target"})
    assert target.code == 2 and "`permissions: pull-requests: write`" in target.err  # the 403 above
