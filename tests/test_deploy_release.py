"""Deploys against real haproxy and nginx: clean releases and new versions that must not take traffic."""

from __future__ import annotations

import json
import sys

import pytest

from tests.deploy_support import APP, live_versions, site_with
from tests.helpers import run_cli

HOOK = APP.parent / "haproxy_hook.py"


@pytest.fixture(params=["haproxy", "nginx"])
def site(request, tmp_path):
    with site_with(request.param, tmp_path) as s:
        yield s


def deploy(site, version: str):
    result = run_cli("deploy", "--env", "prod", "--version", version, "--format", "json", cwd=site.root)
    return result.code, (json.loads(result.out) if result.out.strip() else {}), result.err


def released(site, strategy: str = "blue-green", **kw):
    """v1 live on blue, ready for the scenario's v2."""
    site.manifest(strategy, **kw)
    code, out, err = deploy(site, "v1")
    assert code == 0, err
    assert live_versions(site.proxy.port) == {"v1"}


@pytest.mark.parametrize("strategy", ["blue-green", "canary"])
def test_clean_release_moves_all_traffic_and_stops_the_old_slot(site, strategy):
    released(site, strategy)
    code, out, err = deploy(site, "v2")
    assert code == 0, err
    assert out["result"] == "promoted" and out["active_color"] == "green"
    assert live_versions(site.proxy.port) == {"v2"}
    state = site.state()
    assert (state["active"], state["version"], state["pending"]) == ("green", "v2", None)
    assert state["previous"] == {"color": "blue", "version": "v1"}
    assert [h["result"] for h in state["history"]] == ["promoted", "promoted"]
    assert not (site.state_dir / "prod.blue.pid").exists(), "the old slot is stopped after promotion"
    kinds = [e["kind"] for e in out["timeline"]]
    if strategy == "canary":
        steps = [e["data"]["step"] for e in out["timeline"] if e["kind"] == "weights"]
        assert steps == [5, 25, 50, 100]
    assert kinds[-1] == "promoted" or "slot-stop" in kinds


def test_command_router_clean_release(tmp_path):
    with site_with("haproxy", tmp_path) as site:
        sock = site.proxy.router["admin_socket"]
        router = {"type": "command", "switch": f"{sys.executable} {HOOK} {sock} switch", "set_weights": f"{sys.executable} {HOOK} {sock} weight"}
        released(site, "blue-green", router=router)
        code, out, err = deploy(site, "v2")
        assert code == 0, err
        assert live_versions(site.proxy.port) == {"v2"}
        assert site.state()["active"] == "green"


@pytest.mark.parametrize(
    "fault, words",
    [
        ({"crash": True}, "exited with code 3"),
        ({"fail_health": True}, "not healthy within"),
        ({"fail_smoke": True}, "smoke checks failed"),
    ],
    ids=["crash-at-start", "fail-health", "fail-smoke"],
)
@pytest.mark.parametrize("strategy", ["blue-green", "canary"])
def test_a_bad_version_never_takes_traffic(site, strategy, fault, words):
    released(site, strategy, health_timeout=1.5)
    site.faults({"v2": fault})
    code, out, err = deploy(site, "v2")
    assert code == 1
    assert out["result"] == "failed" and words in out["reason"]
    assert live_versions(site.proxy.port) == {"v1"}
    state = site.state()
    assert (state["active"], state["version"], state["pending"]) == ("blue", "v1", None)
    assert state["history"][-1]["result"] == "failed"
    assert not (site.state_dir / "prod.green.pid").exists(), "the new slot is stopped"
    assert not any(e["kind"] in ("switch", "weights") for e in out["timeline"])
