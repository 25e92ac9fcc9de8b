"""Automatic rollback after traffic moved, invalid router configs, and `shipline rollback`."""

from __future__ import annotations

import json
import socket

import pytest

from tests.deploy_support import live_versions, site_with
from tests.test_deploy_release import deploy, released
from tests.helpers import run_cli


@pytest.fixture(params=["haproxy", "nginx"])
def site(request, tmp_path):
    with site_with(request.param, tmp_path) as s:
        yield s


def assert_back_on_v1(site, out, words):
    assert out["result"] == "rolled-back"
    assert words in out["reason"], out["reason"]
    assert live_versions(site.proxy.port) == {"v1"}
    state = site.state()
    assert (state["active"], state["version"], state["pending"]) == ("blue", "v1", None)
    assert state["history"][-1]["result"] == "rolled-back"
    assert not (site.state_dir / "prod.green.pid").exists(), "the new slot is stopped"


@pytest.mark.parametrize("strategy", ["blue-green", "canary"])
def test_error_spike_after_the_switch_rolls_back(site, strategy):
    released(site, strategy, on_rollback=["echo \"$FAILED_VERSION -> $VERSION on $COLOR: $REASON\" > rolled-back.txt"])
    site.faults({"v2": {"error_share": 0.5}})
    code, out, err = deploy(site, "v2")
    assert code == 1
    assert_back_on_v1(site, out, "error rate 50.0% over 5.0%")
    measured = [e for e in out["timeline"] if e["kind"] == "measurement"]
    assert measured and measured[-1]["data"]["status"] == "failed"
    assert (site.root / "rolled-back.txt").read_text().startswith("v2 -> v1 on blue: ")
    if strategy == "canary":
        assert "canary at 5%" in out["reason"]


@pytest.mark.parametrize("strategy", ["blue-green", "canary"])
def test_latency_breach_rolls_back(site, strategy):
    # all probe requests at once, so a measurement of the slow version ends within its deadline (the next
    # measurement's time + 0.5 s) and is judged on its p95; a version too slow to measure in time is test_deploy_faults' case
    released(site, strategy, analysis={"probe": {"requests": 4, "concurrency": 4, "timeout": 2}})
    site.faults({"v2": {"latency_ms": 400}})
    code, out, err = deploy(site, "v2")
    assert code == 1
    assert_back_on_v1(site, out, "ms over 250 ms")


def test_canary_aborted_at_25_percent(site):
    released(site, "canary")
    # 2 measurements x 10 probe requests pass at 5%; every later request to / fails.
    site.faults({"v2": {"errors_after": 20}})
    code, out, err = deploy(site, "v2")
    assert code == 1
    assert_back_on_v1(site, out, "canary at 25%")
    steps = [e["data"]["step"] for e in out["timeline"] if e["kind"] == "weights"]
    assert steps == [5, 25]
    back = [e for e in out["timeline"] if e["kind"] == "switch"][-1]
    assert back["data"]["weights"] == {"blue": 100}


def test_invalid_router_config_changes_nothing(site):
    released(site)
    bad = dict(site.proxy.router)
    if site.proxy.kind == "haproxy":
        bad["servers"] = {"blue": "blue", "green": "gren"}
        words = 'no server "gren"'
    else:
        bad["upstream"] = "backend"  # nginx.conf proxies to "app", which the include would no longer define
        words = "nginx -t rejected"
    before = site.proxy.files.get("upstream") and site.proxy.files["upstream"].read_text()
    site.manifest(router=bad)
    code, out, err = deploy(site, "v2")
    assert code == 2
    assert words in err and "deploy.router" in err
    assert live_versions(site.proxy.port) == {"v1"}
    state = site.state()
    assert (state["active"], state["version"], state["pending"]) == ("blue", "v1", None)
    assert len(state["history"]) == 1
    assert not (site.state_dir / "prod.green.pid").exists(), "nothing was started"
    if before:
        assert site.proxy.files["upstream"].read_text() == before


def test_rollback_command_restarts_the_previous_version(site):
    released(site, on_rollback=["echo \"$VERSION $REASON\" > hook.txt"])
    assert deploy(site, "v2")[0] == 0
    result = run_cli("rollback", "--env", "prod", "--reason", "bad numbers", cwd=site.root)
    assert result.code == 0, result.err
    assert live_versions(site.proxy.port) == {"v1"}
    state = site.state()
    assert (state["active"], state["version"], state["previous"], state["pending"]) == ("blue", "v1", None, None)
    assert state["history"][-1]["result"] == "rolled-back"
    assert (site.root / "hook.txt").read_text().strip() == "v1 bad numbers"
    assert not (site.state_dir / "prod.green.pid").exists()
    again = run_cli("rollback", "--env", "prod", cwd=site.root)
    assert again.code == 2 and "no previous version" in again.err
    status = run_cli("status", "--env", "prod", cwd=site.root)
    assert status.code == 0 and "live slot blue, version v1" in status.out
    assert f"router ({site.proxy.kind}): blue 100%, green 0%" in status.out and "warning" not in status.err


def test_a_rollback_the_router_does_not_follow_is_reported_failed_with_the_state_unchanged(tmp_path, monkeypatch):
    # the admin socket answers, but the weights it is sent never change what haproxy serves
    # (as with a socket of another haproxy than the one serving): the rollback must not claim v1 is live
    from shipline.deploy.routers.haproxy import HaproxyRouter

    with site_with("haproxy", tmp_path) as site:
        released(site)
        assert deploy(site, "v2")[0] == 0
        monkeypatch.setattr(HaproxyRouter, "set_weights", lambda self, weights: None)
        result = run_cli("rollback", "--env", "prod", "--reason", "bad numbers", "--format", "json", cwd=site.root)
        out = json.loads(result.out)
        assert (result.code, out["result"]) == (1, "failed"), result.out + result.err
        assert "the router sends" in out["reason"] and "not all traffic to blue" in out["reason"], out["reason"]
        assert live_versions(site.proxy.port) == {"v2"}
        state = site.state()
        assert (state["active"], state["version"], state["pending"]) == ("green", "v2", None)
        assert state["previous"] == {"color": "blue", "version": "v1"}  # a later rollback can still go there
        assert not (site.state_dir / "prod.blue.pid").exists(), "the slot traffic never reached is stopped"


def test_status_shows_router_weights_and_warns_when_they_drift_from_the_state(tmp_path):

    with site_with("haproxy", tmp_path) as site:
        released(site)
        # someone moves traffic by hand, behind shipline's back
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(site.proxy.router["admin_socket"])
            s.sendall(b"set server app/green weight 50\n")
            s.recv(4096)
        status = run_cli("status", "--env", "prod", "--format", "json", cwd=site.root)
        assert status.code == 0, status.err
        assert "the router does not send all traffic to the live slot blue" in status.err
        assert json.loads(status.out)["router_weights"] == {"blue": 100, "green": 50}
