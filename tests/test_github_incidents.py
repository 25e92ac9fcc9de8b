"""Incidents: opened on a rollback, commented on while open, closed by hand."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

import pytest

from shipline.github import client, incidents
from shipline.manifest import Incidents, IncidentRule
from shipline.report import Reporter
from tests.helpers import build_file_tree, run_cli

MANIFEST = """
version: 1
project: {name: shop, language: python}
environments:
  - name: production
    url: https://shop.example.com
    deploy:
      router: {type: command, switch: "true"}
      slots:
        blue: {port: 8001}
        green: {port: 8002}
    incidents:
      enabled: true
      labels: [incident, production]
      default_severity: P3
"""


@pytest.mark.parametrize(
    ("error_rate", "p95_ms", "expected"),
    [
        (1.0, 200, "P0"),  # everything failing: an outage
        (0.12, 200, "P1"),
        (0.01, 4500, "P2"),
        (0.12, 4500, "P1"),  # the most severe rule that applies wins
        (0.01, 900, "P3"),  # no rule: the default
        (None, None, "P3"),
    ],
)
def test_severity_from_the_default_rules(error_rate, p95_ms, expected):
    rules = Incidents().rules
    assert incidents.severity(rules, "P3", error_rate, p95_ms)[0] == expected


def test_a_rule_with_two_thresholds_needs_both():
    rules = [IncidentRule(severity="P1", min_error_rate=0.05, min_p95_ms=1000)]
    assert incidents.severity(rules, "P4", 0.2, 500) == ("P4", "no rule matched: the default severity")
    assert incidents.severity(rules, "P4", 0.2, 1500)[0] == "P1"


def rollback_incident(version: str) -> incidents.Incident:
    t = lambda m: datetime(2026, 11, 4, 9, m, tzinfo=timezone.utc)  # noqa: E731
    return incidents.Incident(
        environment="production",
        severity="P1",
        reason="error rate 12.0% over the 5.0% limit after the switch",
        version=version,
        measurements=[incidents.Measurement("error rate", "12.0%", "5.0%"), incidents.Measurement("p95", "420 ms", "3000 ms")],
        timeline=[incidents.Event(t(2), "analysis 1/3 failed: error rate 12.0%"), incidents.Event(t(0), "switched traffic to green (1.4.0)"), incidents.Event(t(3), "rolled back to blue (1.3.9)")],
        rule="error rate at least 5.0%",
        labels=["incident", "production"],
    )


def test_rollback_opens_one_incident_then_comments_on_it(fake_github):
    gh = client.GitHub(client.settings_from_environ(fake_github.env()), Reporter(stdout=io.StringIO()))
    done, issue = incidents.open_or_comment(gh, rollback_incident("1.4.0"))
    assert done == "opened"
    [opened] = fake_github.state.issues
    assert opened["title"] == "[P1] production: automatic rollback of 1.4.0"
    assert {label["name"] for label in opened["labels"]} == {"incident", "production", "P1"}
    body = opened["body"]
    assert body.startswith(incidents.marker("production"))
    assert "| error rate | 12.0% | 5.0% |" in body
    assert body.index("switched traffic to green") < body.index("analysis 1/3 failed") < body.index("rolled back to blue")
    headings = [line for line in body.splitlines() if line.startswith("### ")]
    assert headings[-6:] == ["### Summary", "### Timeline", "### Root cause", "### Response analysis", "### Prevention", "### Action items"]

    done, again = incidents.open_or_comment(gh, rollback_incident("1.4.1"))
    assert (done, again.number) == ("commented", opened["number"])
    assert len(fake_github.state.issues) == 1
    [comment] = fake_github.state.comments
    assert "Another automatic rollback" in comment["body"] and "1.4.1" in comment["body"]


def test_an_incident_of_another_environment_is_not_reused(fake_github):
    gh = client.GitHub(client.settings_from_environ(fake_github.env()), Reporter(stdout=io.StringIO()))
    staging = incidents.Incident(environment="staging", severity="P2", reason="p95 4.5 s", labels=["incident", "production"])
    incidents.open_or_comment(gh, staging)
    done, _ = incidents.open_or_comment(gh, rollback_incident("1.4.0"))
    assert done == "opened" and len(fake_github.state.issues) == 2


def test_incident_command_opens_and_closes(fake_github, tmp_path):
    build_file_tree(tmp_path, {"shipline.yml": MANIFEST})
    env = fake_github.env(GITHUB_RUN_ID="7")
    opened = run_cli("incident", "open", "--env", "production", "--severity", "P2", "--title", "checkout errors", "--format", "json", cwd=tmp_path, env=env)
    assert opened.code == 0, opened.err
    assert json.loads(opened.out)["action"] == "opened"
    [issue] = fake_github.state.issues
    assert issue["title"] == "[P2] production: checkout errors"
    assert "set by hand" in issue["body"]

    closed = run_cli("incident", "close", "--env", "production", "--reason", "fixed in 1.4.2", cwd=tmp_path, env=env)
    assert closed.code == 0, closed.err
    assert issue["state"] == "closed" and issue["state_reason"] == "completed"
    assert "fixed in 1.4.2" in fake_github.state.comments[-1]["body"]
    assert "no open incident" in run_cli("incident", "close", "--env", "production", cwd=tmp_path, env=env).out


def test_incident_command_input_errors(fake_github, tmp_path):
    build_file_tree(tmp_path, {"shipline.yml": MANIFEST})
    unknown = run_cli("incident", "open", "--env", "prod", cwd=tmp_path, env=fake_github.env())
    assert unknown.code == 2 and 'unknown environment "prod"' in unknown.err
    severity = run_cli("incident", "open", "--env", "production", "--severity", "P9", cwd=tmp_path, env=fake_github.env())
    assert severity.code == 2 and "P9" in severity.err
    no_token = run_cli("incident", "open", "--env", "production", cwd=tmp_path)
    assert no_token.code == 2 and "needs GitHub: set GITHUB_TOKEN and GITHUB_REPOSITORY" in no_token.err


def test_the_command_offers_the_manifests_severities():
    from shipline.commands import incident
    from shipline.manifest import INCIDENT_SEVERITIES

    assert incident.SEVERITIES == INCIDENT_SEVERITIES == tuple(incidents.MEANING)


def _listener(fake):
    from types import SimpleNamespace

    from shipline.github.listener import GitHubListener

    environment = SimpleNamespace(
        name="production",
        url="https://shop.example.com",
        incidents=Incidents(enabled=True),
        deploy=SimpleNamespace(analysis=SimpleNamespace(max_error_rate=0.05, max_p95_ms=500.0)),
    )
    gh = client.GitHub(client.settings_from_environ(fake.env()), Reporter(stdout=io.StringIO()))
    return GitHubListener(gh, Reporter(stdout=io.StringIO()), environment, "f" * 40)


def _event(kind: str, hour: int, minute: int = 0, **data):
    from types import SimpleNamespace

    at = datetime(2026, 11, 4, hour, minute, tzinfo=timezone.utc).timestamp()
    return SimpleNamespace(kind=kind, message=f"{kind} at {hour}:{minute:02d}", at=at, data=data)


def test_an_incident_closes_itself_when_the_next_deploy_goes_live(fake_github):
    fake_github.add_commit("f" * 40, "2026-11-04T08:00:00Z")
    fake_github.at("2026-11-04T09:00:00Z")
    bad = _listener(fake_github)
    for e in (_event("start", 9, previous_color="blue", version="v2"), _event("rolled-back", 9, version="v2")):
        bad.on_event(e)
    [issue] = fake_github.state.issues
    failing = fake_github.state.deployments[0]["id"]
    assert incidents.read_marker(issue["body"]) == {"environment": "production", "deployment": str(failing)}
    assert issue["state"] == "open"

    fake_github.at("2026-11-04T12:00:00Z")
    good = _listener(fake_github)
    for e in (_event("start", 11, 50, previous_color="blue", version="v3"), _event("promoted", 12, version="v3")):
        good.on_event(e)
    assert issue["state"] == "closed" and issue["state_reason"] == "completed"
    [note] = [c["body"] for c in fake_github.state.comments]
    assert note.startswith("## Resolved")
    assert "**Time to restore:** 3 h 00 min 00 s (from 2026-11-04 09:00:00 to 2026-11-04 12:00:00 UTC)" in note
    assert "| 2026-11-04 12:00:00 | promoted: promoted at 12:00 |" in note


def test_a_manual_rollback_closes_an_incident_opened_by_hand(fake_github, tmp_path):
    build_file_tree(tmp_path, {"shipline.yml": MANIFEST})
    fake_github.at("2026-11-04T10:00:00Z")
    opened = run_cli("incident", "open", "--env", "production", "--reason", "checkout down", cwd=tmp_path, env=fake_github.env())
    assert opened.code == 0, opened.err
    fake_github.at("2026-11-04T10:30:00Z")
    back = _listener(fake_github)
    for e in (_event("start", 10, 29, operation="rollback"), _event("rolled-back", 10, 30)):
        back.on_event(e)
    [issue] = fake_github.state.issues
    assert issue["state"] == "closed"
    assert "**Time to restore:** 30 min 00 s" in fake_github.state.comments[-1]["body"]
    assert "rollback: rolled-back at 10:30" in fake_github.state.comments[-1]["body"]
