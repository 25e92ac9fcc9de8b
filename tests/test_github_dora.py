"""DORA figures from a hand-laid history (tests/data/github_dora), checked against hand-computed answers.

The history holds what the definitions must tell apart: deploys that failed before
taking traffic, a rollback three hours after going live, a rollback after the
window's end, an incident naming the deployment that caused it, an incident with
no deployment, the deployments GitHub Actions makes for an ``environment:`` job,
and a second service with its own records.
"""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest

from shipline.github import client, dora, history, incidents
from shipline.report import Reporter
from tests.fake_github import Api, parse_time
from tests.helpers import run_cli

DATA = Path(__file__).parent / "data" / "github_dora"
EXPECTED = json.loads((DATA / "expected.json").read_text())
SINCE, UNTIL = (parse_time(t) for t in EXPECTED["window"])


def connect(fake, **knobs) -> client.GitHub:
    settings = dataclasses.replace(client.settings_from_environ(fake.env()), retries=2, backoff=0.01, **knobs)
    return client.GitHub(settings, Reporter(stdout=io.StringIO()))


def lay_out(fake) -> dict[str, int]:
    """history.json into the fake, in order; returns each deployment's id by name."""
    data = json.loads((DATA / "history.json").read_text())
    api = Api(fake)
    for sha, date in data["commits"]:
        fake.add_commit(sha, date)
    ids: dict[str, int] = {}
    for entry in data["deployments"]:
        if "later" not in entry:
            fake.at(entry["created"])
            payload = {} if entry.get("actions") else {"tool": "shipline", "service": entry["service"], "environment": "production", "version": entry["sha"], "key": entry["name"]}
            made, _ = api.create_deployment({}, {"ref": entry["sha"], "environment": entry["environment"], "payload": payload})
            ids[entry["name"]] = made["id"]
        for state, at, description in entry.get("statuses", entry.get("later", [])):
            fake.at(at)
            body = {"state": state, "description": description}
            if not entry.get("actions"):
                body["auto_inactive"] = False  # as shipline writes them; Actions keeps GitHub's default
            api.create_status({}, body, str(ids[entry["name"]]))
    for n, incident in enumerate(data["incidents"], start=1):
        fake.at(incident["opened"])
        body = incidents.marker(incident["environment"], "", ids.get(incident.get("deployment", ""))) + "\nan incident"
        api.create_issue({}, {"title": f"incident {n}", "body": body, "labels": ["incident", "P2"]})
        if incident.get("closed"):
            fake.at(incident["closed"])
            api.edit_issue({}, {"state": "closed"}, str(n))
    fake.at("2026-11-20T00:00:00Z")
    return ids


@pytest.fixture
def laid_out(fake_github):
    lay_out(fake_github)
    return fake_github


def test_four_keys_match_the_hand_computed_history(laid_out):
    want = EXPECTED["production"]
    gh = connect(laid_out, per_page=3)  # several pages of deployments
    found = history.fetch(gh, "production", SINCE, UNTIL)
    report = dora.compute(found.deployments, SINCE, UNTIL, found.incidents)
    assert (report.live, report.failed_changes, report.pre_live_failures) == (want["live"], want["failed_changes"], want["pre_live_failures"])
    assert report.per_day == pytest.approx(want["deployments_per_day"])
    assert report.frequency_bucket == want["frequency_bucket"]
    assert sorted(report.lead_times) == want["lead_times_seconds"]
    assert report.lead_time_median == want["lead_time_median_seconds"]
    assert report.lead_time_p90 == want["lead_time_p90_seconds"]
    assert report.change_failure_rate == want["change_failure_rate"]
    assert report.restore_times == want["restore_times_seconds"]
    assert report.time_to_restore_median == want["time_to_restore_median_seconds"]
    weeks = dora.weekly(found.deployments, SINCE, UNTIL, found.incidents)
    assert [w.live for w in weeks] == want["weekly_live"]
    assert [w.change_failure_rate for w in weeks] == pytest.approx(want["weekly_change_failure_rate"])
    assert [r for r in laid_out.calls("GET", r"/repos/acme/shop/deployments") if r.query.get("page")], "only the first page was read"
    assert not laid_out.calls("GET", r"/repos/acme/shop/compare/.*"), "commits were compared one deployment at a time"


def test_a_service_reads_only_its_own_records(laid_out):
    want = EXPECTED["production --service web"]
    found = history.fetch(connect(laid_out), "production", SINCE, UNTIL, service="web")
    report = dora.compute(found.deployments, SINCE, UNTIL, found.incidents)
    assert (report.live, report.failed_changes, report.pre_live_failures) == (want["live"], want["failed_changes"], want["pre_live_failures"])
    assert sorted(report.lead_times) == want["lead_times_seconds"]
    assert report.change_failure_rate == want["change_failure_rate"]
    assert report.restore_times == want["restore_times_seconds"]
    assert {d.service for d in found.deployments} == {"web"} and not found.incidents


def test_dora_command_reports_json_and_markdown_with_weekly_charts(laid_out, tmp_path):
    env = laid_out.env()
    argv = ("dora", "--repo", "acme/shop", "--since", "2026-11-02", "--until", "2026-11-16")
    result = run_cli(*argv, "--format", "json", cwd=tmp_path, env=env)
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert (data["live"], data["failed_changes"], data["pre_live_failures"]) == (6, 3, 2)
    assert data["time_to_restore_median_seconds"] == 9000 and data["incidents"] == 2
    assert [w["live"] for w in data["weekly"]] == [3, 3]
    web = json.loads(run_cli(*argv, "--service", "web", "--format", "json", cwd=tmp_path, env=env).out)
    assert (web["live"], web["failed_changes"]) == (2, 1)

    summary = tmp_path / "summary.md"
    result = run_cli(*argv, "--format", "markdown", cwd=tmp_path, env={**env, "GITHUB_STEP_SUMMARY": str(summary)})
    assert result.code == 0, result.err
    assert result.out.startswith("### DORA metrics: acme/shop production")
    assert "| change failure rate | 50.0% (3 of 6) | low |" in result.out
    assert "| failed before taking traffic | 2 (not production failures) |  |" in result.out
    assert "| deployment frequency | 6 went live (0.43/day, daily) | high |" in result.out
    charts = result.out.split("```mermaid")[1:]
    assert len(charts) == 4 and all("xychart-beta" in c for c in charts)
    assert 'x-axis ["11-02", "11-09"]' in charts[0] and "bar [3, 3]" in charts[0]
    assert "bar [66.7, 33.3]" in charts[2]
    assert "```mermaid" in summary.read_text()
    assert laid_out.token not in result.out + result.err


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
