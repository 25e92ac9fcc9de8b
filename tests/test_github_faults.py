"""GitHub misbehaving as it really does: rate limits, a hanging server, 5xx after a write.

Recording on GitHub must never hold up or fail a healthy deploy: every wait goes
through the client's clock (replaced here by one that records instead of sleeping),
is capped, and a write whose answer was lost is looked for before it is made again.
"""

from __future__ import annotations

import dataclasses
import io
import json
from types import SimpleNamespace

import pytest

from shipline.errors import ToolError
from shipline.github import client, comment, incidents
from shipline.github.deployments import GitHubDeployments
from shipline.github.listener import GitHubListener
from shipline.report import Reporter
from tests.deploy_support import live_versions, site_with
from tests.helpers import run_cli

SHA = "e" * 40
DEPLOYMENTS = r"/repos/acme/shop/deployments$"
STATUSES = r"/repos/acme/shop/deployments/\d+/statuses$"


class RecordingClock:
    """The real time, but every sleep is written down instead of slept."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def now(self) -> float:
        return client.SystemClock().now()

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


@pytest.fixture
def clock(monkeypatch):
    recording = RecordingClock()
    monkeypatch.setattr(client, "CLOCK", recording)
    return recording


def connected(fake, **knobs) -> client.GitHub:
    settings = dataclasses.replace(client.settings_from_environ(fake.env()), backoff=0.01, **knobs)
    return client.GitHub(settings, Reporter(stdout=io.StringIO()))


def deploy(site, env):
    result = run_cli("deploy", "--env", "prod", "--version", "v1", "--format", "json", cwd=site.root, env=env)
    return result.code, json.loads(result.out), result.err


def test_a_rate_limit_reset_an_hour_away_does_not_hold_up_the_deploy(fake_github, clock, tmp_path):
    fake_github.add_commit(SHA, "2026-11-01T08:00:00Z")
    fake_github.primary_rate_limit("POST", DEPLOYMENTS, reset_in=3600)
    with site_with("haproxy", tmp_path) as site:
        site.manifest("blue-green")
        code, out, err = deploy(site, fake_github.env(GITHUB_SHA=SHA))
        assert (code, out["result"]) == (0, "promoted"), err
        assert live_versions(site.proxy.port) == {"v1"}
    assert clock.slept == []  # PyGithub alone sleeps 3,601 s here
    [warning] = [line for line in err.splitlines() if line.startswith("warning: GitHub")]
    assert "rate limit spent until its reset" in warning and "more than the 60 s shipline waits" in warning
    assert "not recorded on GitHub: the deployment to prod and its statuses, and any incident" in warning
    assert not fake_github.state.deployments


def test_a_long_retry_after_is_not_waited_and_the_outcome_is_named(fake_github, clock, tmp_path):
    fake_github.add_commit(SHA, "2026-11-01T08:00:00Z")
    fake_github.too_many("POST", STATUSES, retry_after=3600, times=1)
    with site_with("haproxy", tmp_path) as site:
        site.manifest("blue-green")
        code, out, err = deploy(site, fake_github.env(GITHUB_SHA=SHA))
        assert (code, out["result"]) == (0, "promoted"), err
    assert clock.slept == []
    assert "GitHub asks to wait 3600 s (retry-after 3600 s on 429)" in err
    [d] = fake_github.state.deployments
    assert fake_github.statuses_of(d["id"]) == []  # the 429 was on the first status: nothing more was sent
    assert len(fake_github.calls("POST", STATUSES)) == 1


def test_a_short_retry_after_is_waited_within_the_cap(fake_github, clock):
    gh = connected(fake_github)
    fake_github.add_commit(SHA, "2026-11-01T08:00:00Z")
    fake_github.too_many("POST", DEPLOYMENTS, retry_after=20, times=2)
    rec = GitHubDeployments(gh, Reporter(stdout=io.StringIO()))
    rec.start("production", "1.0", SHA, None)
    assert clock.slept == [20.0, 20.0]
    assert [r.status for r in fake_github.calls("POST", DEPLOYMENTS)] == [429, 429, 201]
    # the cap is for the whole run: a third wait of 20 s would pass 60 s
    fake_github.too_many("POST", STATUSES, retry_after=30)
    with pytest.raises(ToolError, match=r"wait 30 s .*more than the 60 s"):
        rec.finish(True)
    assert gh.waits.spent == 40.0 and gh.waits.refused == [(30.0, "retry-after 30 s on 429")]


def test_the_cap_is_configurable_and_checked(fake_github, clock, tmp_path):
    settings = client.settings_from_environ({**fake_github.env(), client.MAX_WAIT_VARIABLE: "5"})
    assert settings.max_wait == 5.0
    bad = run_cli("dora", cwd=tmp_path, env={**fake_github.env(), client.MAX_WAIT_VARIABLE: "an hour"})
    assert bad.code == 2 and 'SHIPLINE_GITHUB_MAX_WAIT="an hour" is not a number of seconds from 0 to 3600' in bad.err
    assert "Traceback" not in bad.err


def test_a_server_that_never_answers_costs_one_read_timeout(fake_github, clock):
    gh = connected(fake_github, read_timeout=0.3)
    fake_github.add_commit(SHA, "2026-11-01T08:00:00Z")
    fake_github.hang("GET", DEPLOYMENTS, times=5)
    rec = GitHubDeployments(gh, Reporter(stdout=io.StringIO()))
    with pytest.raises(ToolError) as caught:
        rec.start("production", "1.0", SHA, None)
    assert f"no answer from {fake_github.url} within 0.3 s while listing the deployments of production" in str(caught.value)
    assert "cannot" not in str(caught.value)
    assert len(fake_github.calls("GET", DEPLOYMENTS)) == 1  # not retried: another try could hang as long
    assert clock.slept == []


def test_a_refused_connection_says_cannot_connect(clock):
    settings = client.Settings(token="t", repository="acme/shop", api_url="http://127.0.0.1:9")  # the discard port
    rec = GitHubDeployments(client.GitHub(settings, Reporter(stdout=io.StringIO())), Reporter(stdout=io.StringIO()))
    with pytest.raises(ToolError, match=r"cannot connect to http://127.0.0.1:9 while listing .*: connection refused"):
        rec.start("production", "1.0", SHA, None)


def listener_for(gh, reporter, incidents_enabled=True) -> GitHubListener:
    environment = SimpleNamespace(
        name="production",
        url="https://shop.example.com",
        incidents=SimpleNamespace(enabled=incidents_enabled, labels=["incident"], rules=[], default_severity="P2"),
        deploy=SimpleNamespace(analysis=SimpleNamespace(max_error_rate=0.05, max_p95_ms=500.0)),
    )
    return GitHubListener(gh, reporter, environment, SHA)


def event(kind: str, at: float, **data):
    return SimpleNamespace(kind=kind, message=f"{kind} happened", at=at, data=data)


def test_a_hanging_github_gives_one_warning_and_the_deploy_goes_on(fake_github, clock):
    fake_github.add_commit(SHA, "2026-11-01T08:00:00Z")
    fake_github.hang("POST", DEPLOYMENTS)
    err = io.StringIO()
    listener = listener_for(connected(fake_github, read_timeout=0.3), Reporter(stdout=io.StringIO(), stderr=err))
    for e in [event("start", 1.0, previous_color="blue", version="v1"), event("promoted", 2.0), event("rolled-back", 3.0)]:
        listener.on_event(e)  # never raises
    [warning] = err.getvalue().splitlines()
    assert "no answer from" in warning and "within 0.3 s while creating a deployment" in warning
    assert warning.endswith("not recorded on GitHub: the deployment to production and its statuses, and any incident; the deploy goes on")
    assert len(fake_github.calls("POST", DEPLOYMENTS)) == 1 and not fake_github.calls("POST", STATUSES)


def test_a_5xx_after_the_deployment_was_created_makes_no_duplicate(fake_github, clock):
    fake_github.add_commit(SHA, "2026-11-01T08:00:00Z")
    fake_github.fail_after_write("POST", DEPLOYMENTS, 502)
    fake_github.fail_after_write("POST", STATUSES, 502)
    rec = GitHubDeployments(connected(fake_github), Reporter(stdout=io.StringIO()))
    rec.start("production", "1.0", SHA, None)
    rec.finish(True)
    [d] = fake_github.state.deployments
    assert rec.current.id == d["id"]
    assert fake_github.statuses_of(d["id"]) == ["in_progress", "success"]
    assert [r.status for r in fake_github.calls("POST", DEPLOYMENTS)] == [502]


def test_a_5xx_after_the_incident_was_opened_makes_no_second_one(fake_github, clock):
    fake_github.fail_after_write("POST", r"/issues$", 502)
    gh = connected(fake_github)
    incident = incidents.Incident(environment="production", severity="P1", reason="error rate 9%", version="v2", deployment_id=7)
    done, issue = incidents.open_or_comment(gh, incident)
    assert done == "opened" and len(fake_github.state.issues) == 1 and issue.number == 1
    fake_github.fail_after_write("POST", r"/issues/1/comments$", 503)
    incidents.open_or_comment(gh, incident)
    assert len(fake_github.state.comments) == 1


def test_a_5xx_after_the_summary_comment_was_posted_makes_no_second_one(fake_github, clock):
    fake_github.add_pull(12)
    fake_github.fail_after_write("POST", r"/issues/12/comments$", 502)
    done, note = comment.upsert(connected(fake_github), 12, comment.MARKER + "\nsummary\n")
    assert done == "created" and len(fake_github.state.comments) == 1
    assert note.id == fake_github.state.comments[0]["id"]
