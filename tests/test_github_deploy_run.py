"""A whole blue-green run against real haproxy, recorded in the fake GitHub.

v1 goes live; v2 and then v3 fail their analysis (half their requests answer 500)
and are rolled back: each rollback is a failure status on its deployment and a
success on the restored one, the first opens an incident and the second comments on it.
"""

from __future__ import annotations

import json

from shipline.github.incidents import marker
from tests.deploy_support import live_versions, site_with
from tests.helpers import run_cli

SHA = "d" * 40


def deploy(site, env, version):
    result = run_cli("deploy", "--env", "prod", "--version", version, "--format", "json", cwd=site.root, env=env)
    return result.code, json.loads(result.out), result.err


def test_blue_green_with_rollbacks_is_recorded_and_opens_an_incident(fake_github, tmp_path):
    fake_github.add_commit(SHA, "2026-11-01T08:00:00Z")
    env = fake_github.env(GITHUB_SHA=SHA, GITHUB_RUN_ID="5")
    with site_with("haproxy", tmp_path) as site:
        site.manifest("blue-green")
        manifest = json.loads((site.root / "shipline.yml").read_text())
        manifest["environments"][0]["incidents"] = {"enabled": True}
        (site.root / "shipline.yml").write_text(json.dumps(manifest))

        code, out, err = deploy(site, env, "v1")
        assert code == 0, err
        site.faults({"v2": {"error_share": 0.5}, "v3": {"error_share": 0.5}})
        code, out, err = deploy(site, env, "v2")
        assert (code, out["result"]) == (1, "rolled-back"), err
        code, out, err = deploy(site, env, "v3")
        assert (code, out["result"]) == (1, "rolled-back"), err
        assert live_versions(site.proxy.port) == {"v1"}

    d1, d2, d3 = fake_github.state.deployments
    assert [d["payload"]["version"] for d in (d1, d2, d3)] == ["v1", "v2", "v3"]
    assert {d["environment"] for d in (d1, d2, d3)} == {"prod"} and {d["sha"] for d in (d1, d2, d3)} == {SHA}
    assert fake_github.statuses_of(d1["id"]) == ["in_progress", "success", "success", "success"]
    for failed in (d2, d3):
        assert fake_github.statuses_of(failed["id"]) == ["in_progress", "failure"]
        last = fake_github.state.statuses[failed["id"]][-1]
        assert last["description"].startswith("rolled back: ") and "error rate 50.0% over 5.0%" in last["description"]
    assert fake_github.state.statuses[d1["id"]][1]["environment_url"] == f"http://127.0.0.1:{site.proxy.port}"

    [issue] = fake_github.state.issues
    assert issue["title"] == "[P0] prod: automatic rollback of v2"  # 50% errors reach the default P0 rule
    assert issue["body"].startswith(marker("prod", deployment_id=d2["id"]))
    assert "| #1 live (after the switch to green): failed | error rate 50.0%" in issue["body"]
    assert "switch: traffic switched to green" in issue["body"] and "rolled-back: " in issue["body"]
    [comment] = fake_github.state.comments
    assert "Another automatic rollback" in comment["body"] and "v3" in comment["body"]


def test_a_github_refusal_warns_and_the_deploy_goes_on(fake_github, tmp_path):
    fake_github.add_commit(SHA, "2026-11-01T08:00:00Z")
    fake_github.fail("POST", r"/deployments$", 403)
    with site_with("haproxy", tmp_path) as site:
        site.manifest("blue-green")
        result = run_cli("deploy", "--env", "prod", "--version", "v1", cwd=site.root, env=fake_github.env(GITHUB_SHA=SHA))
        assert result.code == 0, result.err
        assert "`permissions: deployments: write`" in result.err
        assert "not recorded on GitHub: the deployment to prod and its statuses, and any incident; the deploy goes on" in result.err
        assert live_versions(site.proxy.port) == {"v1"}
    assert not fake_github.state.deployments


def test_manual_rollback_is_recorded_without_an_incident(fake_github, tmp_path):
    fake_github.add_commit(SHA, "2026-11-01T08:00:00Z")
    env = fake_github.env(GITHUB_SHA=SHA)
    with site_with("haproxy", tmp_path) as site:
        site.manifest("blue-green")
        for version in ("v1", "v2"):
            code, out, err = deploy(site, env, version)
            assert code == 0, err
        outputs = tmp_path / "outputs"
        back = run_cli("rollback", "--env", "prod", "--reason", "checkout is slow", cwd=site.root, env={**env, "GITHUB_OUTPUT": str(outputs)})
        assert back.code == 0, back.err
        assert live_versions(site.proxy.port) == {"v1"}
    d1, d2 = fake_github.state.deployments
    assert fake_github.statuses_of(d2["id"]) == ["in_progress", "success", "failure"]
    assert fake_github.statuses_of(d1["id"]) == ["in_progress", "success", "inactive", "success"]
    restore = fake_github.state.statuses[d1["id"]][-1]
    assert restore["description"] == "restored by rollback: checkout is slow"
    assert restore["environment_url"] == f"http://127.0.0.1:{site.proxy.port}"  # a manual rollback's success names the URL too
    assert f"deployment-id={d1['id']}" in outputs.read_text().splitlines()
    assert not fake_github.state.issues


def test_under_act_nothing_is_recorded_even_with_a_token(fake_github, tmp_path):
    # a local run's repository and pull request are simulated: it must not write to GitHub
    fake_github.add_commit(SHA, "2026-11-01T08:00:00Z")
    with site_with("haproxy", tmp_path) as site:
        site.manifest("blue-green")
        result = run_cli("deploy", "--env", "prod", "--version", "v1", cwd=site.root, env=fake_github.env(GITHUB_SHA=SHA, ACT="true"))
        assert result.code == 0, result.err
        assert "GitHub deployments: not recorded (a local run under act is not a deployment" in result.out
        assert live_versions(site.proxy.port) == {"v1"}
    assert not fake_github.state.deployments
    assert not fake_github.calls("POST", r".*")
