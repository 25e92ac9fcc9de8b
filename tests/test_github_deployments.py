"""Deployments and statuses through a deploy, a failed deploy and rollbacks."""

from __future__ import annotations

import io

from shipline.github import client
from shipline.github.deployments import GitHubDeployments, SkipRecording, recorder
from shipline.report import Reporter

URL = "https://shop.example.com"


def new_recorder(fake) -> GitHubDeployments:
    settings = client.settings_from_environ(fake.env(GITHUB_RUN_ID="99"))
    return GitHubDeployments(client.GitHub(settings, Reporter(stdout=io.StringIO())), Reporter(stdout=io.StringIO()))


def test_deploys_replace_each_other(fake_github):
    one = fake_github.add_commit("1" * 40, "2026-11-01T08:00:00Z")
    two = fake_github.add_commit("2" * 40, "2026-11-01T09:00:00Z")
    first = new_recorder(fake_github)
    first.start("production", "1.0.0", one, URL)
    first.finish(True)
    second = new_recorder(fake_github)
    second.start("production", "1.1.0", "main", URL)
    second.finish(True)

    d1, d2 = fake_github.state.deployments
    assert (d2["sha"], d2["ref"], d2["environment"], d2["production_environment"]) == (two, "main", "production", True)
    assert {k: d2["payload"][k] for k in ("version", "tool", "service")} == {"version": "1.1.0", "tool": "shipline", "service": ""}
    assert fake_github.statuses_of(d1["id"]) == ["in_progress", "success", "inactive"]
    assert fake_github.statuses_of(d2["id"]) == ["in_progress", "success"]
    live = fake_github.state.statuses[d2["id"]][-1]
    assert live["environment_url"] == URL
    assert live["log_url"] == f"{fake_github.url}/acme/shop/actions/runs/99"
    [create] = fake_github.calls("POST", r"/repos/acme/shop/deployments")[-1:]
    assert create.body["auto_merge"] is False and create.body["required_contexts"] == []


def test_failed_deploy_leaves_the_live_one_alone(fake_github):
    sha = fake_github.add_commit("1" * 40, "2026-11-01T08:00:00Z")
    ok = new_recorder(fake_github)
    ok.start("staging", "1.0.0", sha, URL)
    ok.finish(True)
    bad = new_recorder(fake_github)
    bad.start("staging", "1.0.1", sha, URL)
    bad.finish(False, "health check of green failed: " + "x" * 300)
    d1, d2 = fake_github.state.deployments
    assert fake_github.statuses_of(d1["id"]) == ["in_progress", "success"]
    assert fake_github.statuses_of(d2["id"]) == ["in_progress", "failure"]
    assert len(fake_github.state.statuses[d2["id"]][-1]["description"]) == 140


def test_automatic_rollback_fails_the_new_one_and_restores_the_old(fake_github):
    sha = fake_github.add_commit("1" * 40, "2026-11-01T08:00:00Z")
    live = new_recorder(fake_github)
    live.start("production", "1.0.0", sha, URL)
    live.finish(True)
    rolled = new_recorder(fake_github)
    rolled.start("production", "1.1.0", sha, URL)
    rolled.rolled_back("production", "error rate 12% over 5%")
    d1, d2 = fake_github.state.deployments
    assert fake_github.statuses_of(d2["id"]) == ["in_progress", "failure"]
    assert fake_github.state.statuses[d2["id"]][-1]["description"] == "rolled back: error rate 12% over 5%"
    assert fake_github.statuses_of(d1["id"]) == ["in_progress", "success", "success"]
    assert fake_github.state.statuses[d1["id"]][-1]["description"] == "restored by rollback: error rate 12% over 5%"


def test_manual_rollback_goes_back_to_the_previous_deployment(fake_github):
    sha = fake_github.add_commit("1" * 40, "2026-11-01T08:00:00Z")
    for version in ("1.0.0", "1.1.0"):
        rec = new_recorder(fake_github)
        rec.start("production", version, sha, URL)
        rec.finish(True)
    new_recorder(fake_github).rolled_back("production", "customers report errors")
    d1, d2 = fake_github.state.deployments
    assert fake_github.statuses_of(d2["id"]) == ["in_progress", "success", "failure"]
    assert fake_github.statuses_of(d1["id"]) == ["in_progress", "success", "inactive", "success"]


def test_without_github_it_says_once_and_goes_on():
    out = io.StringIO()
    rec = recorder(None, Reporter(stdout=out))
    assert isinstance(rec, SkipRecording)
    rec.start("production", "1.0.0", "main", URL)
    rec.finish(True)
    rec.rolled_back("production", "x")
    assert out.getvalue().count("GitHub deployments: not recorded") == 1


def service_recorder(fake, service: str) -> GitHubDeployments:
    settings = client.settings_from_environ(fake.env())
    return GitHubDeployments(client.GitHub(settings, Reporter(stdout=io.StringIO())), Reporter(stdout=io.StringIO()), service)


def test_services_sharing_an_environment_keep_their_own_records(fake_github):
    sha = fake_github.add_commit("3" * 40, "2026-11-01T08:00:00Z")
    for version in ("api-1", "web-1", "api-2", "web-2"):
        rec = service_recorder(fake_github, version.split("-")[0])
        rec.start("production", version, sha, URL)
        rec.finish(True)
    back = service_recorder(fake_github, "web")
    back.rolled_back("production", "checkout is slow", URL)

    api1, web1, api2, web2 = fake_github.state.deployments
    assert [d["environment"] for d in (api1, web1, api2, web2)] == ["production/api", "production/web"] * 2
    assert [d["payload"]["service"] for d in (api1, web1, api2, web2)] == ["api", "web"] * 2
    # each deploy replaced only its own service's previous deployment
    assert fake_github.statuses_of(api1["id"]) == ["in_progress", "success", "inactive"]
    assert fake_github.statuses_of(api2["id"]) == ["in_progress", "success"]
    # the rollback of web touched web's records only, and named the URL on the restore
    assert fake_github.statuses_of(web2["id"]) == ["in_progress", "success", "failure"]
    assert fake_github.statuses_of(web1["id"]) == ["in_progress", "success", "inactive", "success"]
    assert fake_github.state.statuses[web1["id"]][-1]["environment_url"] == URL
    assert back.deployment_id == web1["id"]


def test_deployments_github_actions_made_for_the_job_are_not_ours(fake_github):
    from tests.fake_github import Api

    sha = fake_github.add_commit("4" * 40, "2026-11-01T08:00:00Z")
    mine = new_recorder(fake_github)
    mine.start("production", "1.0", sha, URL)
    mine.finish(True)
    # the job's `environment: production` deployment, which Actions marks success with auto_inactive
    theirs, _ = Api(fake_github).create_deployment({}, {"ref": sha, "environment": "production"})
    Api(fake_github).create_status({}, {"state": "success"}, str(theirs["id"]))
    assert fake_github.statuses_of(mine.current.id)[-1] == "inactive"
    # a later rollback still finds shipline's live deployment and leaves Actions' alone
    back = new_recorder(fake_github)
    back.rolled_back("production", "bad", URL)
    assert fake_github.statuses_of(mine.current.id)[-1] == "failure"
    assert fake_github.statuses_of(theirs["id"]) == ["success"]
