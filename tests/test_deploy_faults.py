"""Faults a deploy must survive without lying or hurting users, under an independent keep-alive client through haproxy.

Each case ends on a healthy version with the state, the router and `status` agreeing,
and no failed request through haproxy apart from the faulty version's own errors.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from tests.deploy_support import APP, KeepAliveClient, kill_groups, live, live_versions, site_with, start_haproxy, wait_until
from tests.helpers import run_cli
from tests.test_deploy_release import deploy, released


def cli(site, *args: str):
    result = run_cli(*args, "--env", "prod", "--format", "json", cwd=site.root)
    return result.code, (json.loads(result.out) if result.out.strip() else {}), result.err


def _spawn(site, *args: str) -> subprocess.Popen:
    return subprocess.Popen(site.cli(*args, "--env", "prod"), cwd=site.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _pending(site) -> dict:
    try:
        return site.state().get("pending") or {}
    except (OSError, ValueError):
        return {}


def assert_agree(site, color: str, version: str) -> None:
    """State, router, slots and `status` all say ``version`` is live on ``color``."""
    state = site.state()
    assert (state["active"], state["version"], state["pending"]) == (color, version, None)
    assert live_versions(site.proxy.port) == {version}
    code, out, err = cli(site, "status")
    assert code == 0, err
    assert (out["active_color"], out["version"], out["serving"], out["router_lost"]) == (color, version, True, False)


@pytest.fixture
def site(tmp_path):
    with site_with("haproxy", tmp_path) as s:
        yield s


def test_repeated_rollback_after_sigterm_ends_on_the_previous_version(site):
    released(site)
    assert deploy(site, "v2")[0] == 0
    site.faults({"v1": {"start_delay": 30}})  # the rollback's restart of v1 hangs until it is cancelled
    with KeepAliveClient(site.proxy.port) as users:
        proc = _spawn(site, "rollback")
        wait_until(lambda: _pending(site).get("op") == "rollback", timeout=30, what="the rollback to start v1")
        proc.send_signal(signal.SIGTERM)  # a cancelled CI job
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        state = site.state()
        assert (state["active"], state["version"], state["pending"]) == ("green", "v2", None)
        assert state["history"][-1]["result"] == "interrupted"
        assert not (site.state_dir / "prod.blue.pid").exists(), "the half-started slot was stopped"
        site.faults({})
        code, out, err = cli(site, "rollback")
        assert code == 0, err
        assert (out["active_color"], out["active_version"]) == ("blue", "v1")
    assert users.failures() == []
    assert_agree(site, "blue", "v1")


def test_identical_ports_are_refused_before_anything_starts(site):
    site.manifest()
    config = json.loads((site.root / "shipline.yml").read_text())
    config["environments"][0]["deploy"]["slots"]["green"]["port"] = site.blue
    (site.root / "shipline.yml").write_text(json.dumps(config))
    code, out, err = deploy(site, "v1")
    assert code == 2
    assert "shipline.yml" in err and "slots" in err and f"both listen on 127.0.0.1:{site.blue}" in err
    assert "Traceback" not in err
    assert not list(site.state_dir.glob("*.pid")) if site.state_dir.exists() else True


def test_a_port_taken_before_start_fails_before_traffic_moves(site):
    released(site)
    # a stranger, not one of shipline's slots, already answers health checks on the green port
    stranger = subprocess.Popen([sys.executable, str(APP)], env={**os.environ, "PORT": str(site.green), "VERSION": "stranger"}, start_new_session=True)
    try:
        wait_until(lambda: _answers(site.green), what="the stranger")
        with KeepAliveClient(site.proxy.port) as users:
            code, out, err = deploy(site, "v2")
        assert code == 1, err
        assert out["result"] == "failed"
        assert f"port {site.green} on 127.0.0.1 is already taken by another process (pid {stranger.pid})" in out["reason"]
        assert not any(e["kind"] == "switch" for e in out["timeline"]), "traffic never moved"
        assert stranger.poll() is None, "shipline does not kill what it did not start"
        assert users.failures() == [] and {a.version for a in users.answers} == {"v1"}
        assert_agree(site, "blue", "v1")
    finally:
        kill_groups([stranger.pid])
        stranger.wait(10)


def _answers(port: int) -> bool:
    try:
        return live(port)[0] == 200
    except OSError:
        return False


def test_status_exits_1_when_the_live_slot_does_not_serve_and_stop_stops_it(site):
    released(site)
    assert_agree(site, "blue", "v1")
    pid = json.loads((site.state_dir / "prod.blue.pid").read_text())["pid"]
    kill_groups([pid])
    wait_until(lambda: not _answers(site.blue), what="the slot to die")
    code, out, err = cli(site, "status")
    assert code == 1
    assert "the live blue slot (v1) does not serve" in err and out["serving"] is False
    # a deploy after that starts from the state as it is
    assert deploy(site, "v2")[0] == 0
    code, out, err = cli(site, "stop")
    assert code == 0, err
    assert sorted(out["stopped"]) == ["green"]
    assert not list(site.state_dir.glob("*.pid")) and not _answers(site.green)
    assert cli(site, "status")[0] == 1
    assert site.state()["version"] == "v2", "stop keeps what was live"


def test_rollback_runs_the_code_that_was_deployed_under_the_old_version(site):
    code_file = site.root / "CODE"
    code_file.write_text("A\n")
    site.manifest(keep_releases=2)
    assert deploy(site, "v1")[0] == 0
    code_file.write_text("B\n")  # the checkout moves on
    assert deploy(site, "v2")[0] == 0
    assert _code(site) == "B"
    code, out, err = cli(site, "rollback")
    assert code == 0, err
    assert _code(site) == "A" and live_versions(site.proxy.port) == {"v1"}
    code, out, err = cli(site, "releases")
    assert code == 0, err
    roles = {r["version"]: (r["role"], r["slots"]) for r in out["releases"]}
    assert roles == {"v1": ("live", ["blue"]), "v2": (None, [])}
    # a kept release is reused as it is, even though the checkout changed
    code_file.write_text("C\n")
    assert deploy(site, "v2")[0] == 0 and _code(site) == "B"
    assert deploy(site, "v3")[0] == 0 and _code(site) == "C"
    kept = {r["version"] for r in cli(site, "releases")[1]["releases"]}
    assert kept == {"v2", "v3"}, "keep_releases 2 removed v1"


def _code(site) -> str:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", site.proxy.port, timeout=5)
    try:
        conn.request("GET", "/")
        resp = conn.getresponse()
        resp.read()
        return resp.getheader("X-App-Code", "")
    finally:
        conn.close()


@pytest.mark.parametrize("fault", [{"exit_after": 3}, {"latency_ms": 4000}], ids=["dies-after-traffic", "4s-latency"])
def test_a_dead_or_slow_version_is_rolled_back_within_the_measurement_bound(site, fault):
    interval, failure_limit = 1.0, 0
    released(site, analysis={"interval": interval, "count": 5, "failure_limit": failure_limit})
    site.faults({"v2": fault})
    with KeepAliveClient(site.proxy.port) as users:
        code, out, err = deploy(site, "v2")
    assert code == 1 and out["result"] == "rolled-back", err
    switches = [e for e in out["timeline"] if e["kind"] == "switch"]
    to_new, back = switches[0], switches[-1]
    assert (to_new["data"]["color"], back["data"]["color"]) == ("green", "blue")
    # the engine's own record: users were on the bad version for no more measurements than
    # failure_limit allows (its wall-clock time is benchmarks/deploy.py's to measure)
    measured = [e for e in out["timeline"] if e["kind"] == "measurement" and to_new["at"] <= e["at"] <= back["at"]]
    assert len(measured) == failure_limit + 1, out["timeline"]
    assert measured[-1]["data"]["status"] == "failed", measured[-1]
    if "latency_ms" in fault:  # judged at the measurement's deadline, not after the slow answers
        assert "(the measurement deadline)" in measured[-1]["data"]["reason"], measured[-1]
    # users saw errors only while the faulty version had traffic (or as it was stopped)
    assert users.failures(outside=(to_new["at"], out["finished"])) == [], (to_new["at"], out["finished"], users.failures())
    assert_agree(site, "blue", "v1")


@pytest.mark.parametrize(
    "content",
    ['{"active": "blue", "version": "v1", "hist', "", "[]", '{"active": "blue", "version": "v1", "previous": null, "pending": null, "history": null}'],
    ids=["truncated", "empty", "list", "history-null"],
)
def test_a_corrupt_state_file_is_exit_2_naming_it_before_anything_changes(site, content):
    released(site)
    path = site.state_dir / "prod.json"
    path.write_text(content)
    with KeepAliveClient(site.proxy.port) as users:
        for command in (("deploy", "--version", "v2"), ("rollback",), ("status",), ("router", "sync"), ("stop",)):
            code, out, err = cli(site, *command)
            assert code == 2, (command, err)
            assert str(path) in err and "corrupt" in err and "Traceback" not in err
    assert path.read_text() == content, "the file is left for a person to look at"
    assert users.failures() == [] and {a.version for a in users.answers} == {"v1"}
    assert not (site.state_dir / "prod.green.pid").exists()


def test_a_haproxy_restart_keeps_the_weights_and_router_sync_restores_lost_ones(tmp_path):
    with site_with("haproxy", tmp_path, server_state=True) as site:
        released(site)
        assert deploy(site, "v2")[0] == 0  # green, while haproxy.cfg says blue 100, green 0
        history = site.state()["history"]
        router_dir = site.proxy.files["config"].parent
        site.proxy.stop()
        site.proxy = start_haproxy(router_dir, site.blue, site.green, port=site.proxy.port, server_state=True)
        assert live_versions(site.proxy.port) == {"v2"}, "the server-state-file brought the weights back"
        # without the file, haproxy starts from its config: all traffic to the stopped blue slot
        site.proxy.files["state"].unlink()
        site.proxy.stop()
        site.proxy = start_haproxy(router_dir, site.blue, site.green, port=site.proxy.port, server_state=True)
        assert live_versions(site.proxy.port, 3) == {"503"}
        code, out, err = cli(site, "status")
        assert code == 1 and out["router_lost"] is True and out["serving"] is True
        assert "`shipline router sync --env prod` restores it, no rollback needed" in err
        code, out, err = cli(site, "router", "sync")
        assert code == 0, err
        assert out["router_weights"] == {"blue": 0, "green": 100}
        assert site.state()["history"] == history, "sync changes no version"
        assert_agree(site, "green", "v2")


def test_a_stopped_nginx_is_caught_before_a_slot_starts(tmp_path):
    with site_with("nginx", tmp_path) as site:
        released(site)
        site.proxy.stop()
        code, out, err = deploy(site, "v2")
        assert code == 2
        assert "nginx is not running" in err and "deploy.router" in err
        assert not (site.state_dir / "prod.green.pid").exists()
        assert site.state()["version"] == "v1" and site.state()["pending"] is None


def test_health_answered_by_another_version_fails_when_the_version_header_is_configured(site):
    released(site, version_header="X-App-Version")
    # the new slot's start command runs an app that says it is someone else
    stale = f"VERSION=stale FAULTS_FILE={site.root / 'faults.json'} exec {sys.executable} {APP}"
    site.manifest(version_header="X-App-Version", slots={"blue": {"port": site.blue, "start": stale}, "green": {"port": site.green, "start": stale}}, health_timeout=1)
    code, out, err = deploy(site, "v2")
    assert code == 1 and out["result"] == "failed"
    assert "with X-App-Version: stale, not v2" in out["reason"]
    assert_agree(site, "blue", "v1")


def test_a_command_router_whose_check_fails_is_caught_before_a_slot_starts(site):
    from tests.test_deploy_release import HOOK

    sock = site.proxy.router["admin_socket"]
    answers = f"{sys.executable} -c 'import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' {sock}"
    router = {"type": "command", "switch": f"{sys.executable} {HOOK} {sock} switch", "check": answers}
    released(site, router=router)
    site.proxy.stop()
    code, out, err = deploy(site, "v2")
    assert code == 2
    assert "the router's check hook exited 1, so the router is not up" in err and "ConnectionRefusedError" in err and "deploy.router" in err
    assert not (site.state_dir / "prod.green.pid").exists()
