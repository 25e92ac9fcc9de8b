"""DORA figures from a history recorded through the deployment recorder, checked by hand."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import datetime, timezone

import pytest

from shipline.github import client, dora, history
from shipline.github.deployments import GitHubDeployments
from shipline.report import Reporter
from tests.helpers import run_cli

H = 3600.0
SINCE = datetime(2026, 11, 1, tzinfo=timezone.utc)
UNTIL = datetime(2026, 11, 11, tzinfo=timezone.utc)


def sha(n: int) -> str:
    return f"{n:040x}"


def connect(fake, **knobs) -> client.GitHub:
    settings = dataclasses.replace(client.settings_from_environ(fake.env()), retries=2, backoff=0.01, **knobs)
    return client.GitHub(settings, Reporter(stdout=io.StringIO()))


def deploy(fake, gh, commit: str, created: str, done: str, outcome: str = "success") -> GitHubDeployments:
    """One deploy: created at ``created``; at ``done`` it succeeds, fails or is rolled back."""
    recorder = GitHubDeployments(gh, Reporter(stdout=io.StringIO()))
    fake.at(created)
    recorder.start("production", commit[:7], commit, "https://shop.example.com")
    fake.at(done)
    if outcome == "rolled-back":
        recorder.rolled_back("production", "error rate 12% over 5%")
    else:
        recorder.finish(outcome == "success", "" if outcome == "success" else "health check failed")
    return recorder


@pytest.fixture
def history_in_fake(fake_github):
    """The history the expected figures below were computed from by hand.

    D0 (before the window) ships c0. D1 ships c1, c2 (lead 28 h, 24 h). D2 ships c3 and
    is rolled back after 30 min; D1 is restored 10 min later. D3 ships c3, c4 (50 h,
    3 h). D4 redeploys c4 and fails; D5 ships c5 two days later (26 h). D6 is after
    the window.
    """
    f = fake_github
    f.add_commit(sha(0), "2026-10-20T00:00:00Z")
    f.add_commit(sha(1), "2026-11-01T06:00:00Z")
    f.add_commit(sha(2), "2026-11-01T10:00:00Z")
    f.add_commit(sha(3), "2026-11-03T10:00:00Z")
    f.add_commit(sha(4), "2026-11-05T09:00:00Z")
    f.add_commit(sha(5), "2026-11-07T08:00:00Z")
    gh = connect(f)
    deploy(f, gh, sha(0), "2026-10-25T10:00:00Z", "2026-10-25T11:00:00Z")
    deploy(f, gh, sha(2), "2026-11-02T09:00:00Z", "2026-11-02T10:00:00Z")
    rolled = GitHubDeployments(gh, Reporter(stdout=io.StringIO()))
    f.at("2026-11-04T09:00:00Z")
    rolled.start("production", "c3", sha(3), "https://shop.example.com")
    f.at("2026-11-04T09:30:00Z")
    rolled._status(rolled.current, "failure", "rolled back: error rate 12% over 5%")
    f.at("2026-11-04T09:40:00Z")
    rolled._status(rolled.previous, "success", "restored by rollback: error rate 12% over 5%")
    deploy(f, gh, sha(4), "2026-11-05T11:00:00Z", "2026-11-05T12:00:00Z")
    deploy(f, gh, sha(4), "2026-11-06T09:00:00Z", "2026-11-06T10:00:00Z", outcome="failure")
    deploy(f, gh, sha(5), "2026-11-08T09:00:00Z", "2026-11-08T10:00:00Z")
    deploy(f, gh, sha(5), "2026-11-12T09:00:00Z", "2026-11-12T10:00:00Z")
    return f


def test_four_keys_match_the_hand_computed_history(history_in_fake):
    gh = connect(history_in_fake, per_page=2)  # seven deployments: several pages
    report = dora.compute(history.fetch(gh, "production", SINCE, UNTIL), SINCE, UNTIL)

    assert (report.deployments, report.successful, report.failed) == (5, 3, 2)
    assert report.per_day == pytest.approx(0.3)
    assert sorted(report.lead_times) == [3 * H, 24 * H, 26 * H, 28 * H, 50 * H]
    assert report.lead_time_median == 26 * H
    assert report.lead_time_p90 == 50 * H
    assert report.change_failure_rate == pytest.approx(0.4)
    assert report.restore_times == [600.0, 48 * H]
    assert report.time_to_restore_median == (600 + 48 * H) / 2
    assert report.bands() == {"deployment_frequency": "high", "lead_time": "high", "change_failure_rate": "low", "time_to_restore": "medium"}
    pages = [r for r in history_in_fake.calls("GET", r"/repos/acme/shop/deployments") if r.query.get("page")]
    assert pages, "the deployments list was not followed past its first page"


def test_dora_command_reports_json_and_markdown(history_in_fake, tmp_path):
    env = history_in_fake.env()
    argv = ("dora", "--repo", "acme/shop", "--since", "2026-11-01", "--until", "2026-11-11")
    result = run_cli(*argv, "--format", "json", cwd=tmp_path, env=env)
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["change_failure_rate"] == pytest.approx(0.4)
    assert data["lead_time_p90_seconds"] == 50 * H
    assert data["bands"]["time_to_restore"] == "medium"

    summary = tmp_path / "summary.md"
    result = run_cli(*argv, "--format", "markdown", cwd=tmp_path, env={**env, "GITHUB_STEP_SUMMARY": str(summary)})
    assert result.code == 0, result.err
    assert result.out.startswith("### DORA metrics: acme/shop production")
    assert "| change failure rate | 40.0% (2 of 5) | low |" in result.out
    assert "| lead time for changes | median 26.0 h, p90 2.1 d | high |" in summary.read_text()
    assert history_in_fake.token not in result.out + result.err


@pytest.mark.parametrize(
    ("metric", "value", "expected"),
    [
        ("deployment_frequency", 1.0, "elite"),
        ("deployment_frequency", 1 / 7, "high"),
        ("deployment_frequency", 1 / 31, "low"),
        ("lead_time", 3600 * 24, "elite"),
        ("lead_time", 3600 * 24 * 31, "low"),
        ("change_failure_rate", 0.05, "elite"),
        ("change_failure_rate", 0.151, "low"),
        ("time_to_restore", 3601, "high"),
        ("time_to_restore", None, None),
    ],
)
def test_bands_at_their_edges(metric, value, expected):
    assert dora.band(metric, value) == expected


def test_dora_without_a_token_says_what_to_set(tmp_path):
    result = run_cli("dora", "--repo", "acme/shop", cwd=tmp_path)
    assert result.code == 2
    assert "set GITHUB_TOKEN" in result.err
    bad = run_cli("dora", "--since", "a month", cwd=tmp_path, env={"GITHUB_TOKEN": "x", "GITHUB_REPOSITORY": "a/b"})
    assert bad.code == 2 and '--since "a month" is neither a span' in bad.err
