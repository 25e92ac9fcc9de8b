"""Deploying to several hosts over SSH: one release, one analysis, one rollback for every host.

Two real sshd on loopback stand for two servers, each with its own haproxy and slots
directory; an independent keep-alive client through each host's haproxy counts every
failed request.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from shipline import processes
from tests.deploy_support import KeepAliveClient, live_versions, wait_until
from tests.helpers import free_port, run_cli
from tests.ssh_support import fleet


@pytest.fixture
def hosts(tmp_path):
    with fleet(tmp_path) as f:
        if os.environ.get("SHIPLINE_SSH_TRACE"):  # where a failed run's time and commands went, per test
            f.env["SHIPLINE_SSH_TRACE"] = str(tmp_path / "ssh-trace.jsonl")
        yield f


def deploy(f, version: str, fmt: str = "json"):
    result = run_cli("deploy", "--env", "prod", "--version", version, "--format", fmt, cwd=f.root, env=f.env)
    return result, (json.loads(result.out) if fmt == "json" and result.out.strip().startswith("{") else None)


def served(f) -> list[set[str]]:
    return [live_versions(h.proxy.port) for h in f.hosts]


def _first(client: KeepAliveClient, version: str) -> float:
    return min(a.at for a in client.answers if a.version == version)


def test_blue_green_switches_every_host_with_no_failed_request(hosts):
    hosts.manifest()
    result, _ = deploy(hosts, "v1", fmt="github")
    assert result.code == 0, result.err + result.out
    # the deploy key is masked and never printed
    key_lines = [ln for ln in hosts.env["SHIPLINE_SSH_KEY"].splitlines() if ln.strip() and "PRIVATE KEY" not in ln]
    masked = [ln for ln in result.out.splitlines() if ln.startswith("::add-mask::")]
    assert masked and all(f"::add-mask::{ln}" in masked for ln in key_lines)
    rest = "\n".join(ln for ln in (result.out + result.err).splitlines() if not ln.startswith("::add-mask::"))
    assert not any(ln in rest for ln in key_lines)
    assert served(hosts) == [{"v1"}, {"v1"}]
    with KeepAliveClient(hosts.hosts[0].proxy.port) as one, KeepAliveClient(hosts.hosts[1].proxy.port) as two:
        result, doc = deploy(hosts, "v2")
        assert result.code == 0, result.err + result.out
    assert doc["result"] == "promoted" and doc["active_version"] == "v2"
    assert served(hosts) == [{"v2"}, {"v2"}]
    assert one.failures() == [] and two.failures() == []
    # one analysis for the whole fleet, measuring each host's own entry point too
    measured = [e["data"] for e in doc["timeline"] if e["kind"] == "measurement"]
    assert len(measured) == 2 and {"live@web1", "live@web2"} <= set(measured[0]["samples"])
    # the old slot is stopped on every host: only the live one remains
    assert [len(h.slot_groups()) for h in hosts.hosts] == [1, 1]


def test_a_fault_on_the_second_host_rolls_every_host_back(hosts):
    hosts.manifest()
    assert deploy(hosts, "v1")[0].code == 0
    hosts.hosts[1].faults({"v2": {"error_share": 1}})
    trace = hosts.root / "ssh-trace.jsonl"
    with KeepAliveClient(hosts.hosts[0].proxy.port) as one, KeepAliveClient(hosts.hosts[1].proxy.port) as two:
        result = run_cli("deploy", "--env", "prod", "--version", "v2", "--format", "json", cwd=hosts.root, env={**hosts.env, "SHIPLINE_SSH_TRACE": str(trace)})
        doc = json.loads(result.out)
    assert result.code == 1, result.err + result.out
    assert doc["result"] == "rolled-back" and doc["active_version"] == "v1"
    # on the way back each host is asked once whether the old slot's process lives (its health answer
    # proves it serves), and its router gets one batch, all through the host's running shell
    failed = next(e["at"] for e in doc["timeline"] if e["kind"] == "measurement" and e["data"]["status"] == "failed")
    back = next(e["at"] for e in doc["timeline"] if e["kind"] == "switch" and e["message"].startswith("traffic back"))
    way_back = [r for r in map(json.loads, trace.read_text().splitlines()) if failed <= r["start"] <= back]
    for host in ("web1", "web2"):
        mine = [r["what"] for r in way_back if r["host"] == host]
        assert sum(w.startswith("shell: alive()") for w in mine) == 1, mine
        assert sum(w.startswith("haproxy: set server") for w in mine) == 1, mine
        assert all(w.startswith(("shell: ", "haproxy: ", "-O forward")) for w in mine), mine
    assert "live error rate" in doc["reason"]
    assert served(hosts) == [{"v1"}, {"v1"}]
    assert one.failures() == []
    # the only failures the user saw are the faulty version's own answers
    assert two.failures() and all(a.status == 500 and a.version == "v2" for a in two.failures())
    assert [len(h.slot_groups()) for h in hosts.hosts] == [1, 1]
    # the faulty slot is stopped, not only forgotten: no process of v2 lives on any host
    assert [h.running_versions() for h in hosts.hosts] == [{"v1"}, {"v1"}]


def test_a_release_failing_its_smoke_checks_on_the_second_host_only_never_gets_traffic(hosts):
    hosts.manifest()
    assert deploy(hosts, "v1")[0].code == 0
    hosts.hosts[1].faults({"v2": {"fail_smoke": 1}})
    with KeepAliveClient(hosts.hosts[0].proxy.port) as one, KeepAliveClient(hosts.hosts[1].proxy.port) as two:
        result, doc = deploy(hosts, "v2")
    assert result.code == 1, result.err + result.out
    assert "smoke checks failed" in doc["reason"] and "on host web2" in doc["reason"] and "on host web1" not in doc["reason"], doc["reason"]
    assert not [e for e in doc["timeline"] if e["kind"] in ("switch", "weights")], doc["timeline"]
    assert served(hosts) == [{"v1"}, {"v1"}]
    assert {a.version for a in one.answers + two.answers} == {"v1"} and one.failures() == two.failures() == []
    assert [len(h.slot_groups()) for h in hosts.hosts] == [1, 1]


def test_an_unreachable_host_stops_the_deploy_before_traffic_moves(hosts):
    dead_port = free_port()
    entries = [h.manifest_entry() for h in hosts.hosts] + [{"name": "web3", "host": "127.0.0.1", "port": dead_port, "user": "root"}]
    hosts.manifest(hosts=entries)
    assert deploy(hosts, "v1")[0].code == 2
    hosts.manifest()
    assert deploy(hosts, "v1")[0].code == 0
    hosts.manifest(hosts=entries)
    groups = [h.slot_groups() for h in hosts.hosts]
    with KeepAliveClient(hosts.hosts[0].proxy.port) as one:
        result, _ = deploy(hosts, "v2", fmt="text")
    assert result.code == 2
    assert f"host web3 is unreachable, so nothing was changed on any host: cannot reach web3 (root@127.0.0.1:{dead_port})" in result.err
    assert served(hosts) == [{"v1"}, {"v1"}] and [h.slot_groups() for h in hosts.hosts] == groups
    assert {a.version for a in one.answers} == {"v1"} and one.failures() == []
    assert hosts.state()["version"] == "v1" and hosts.state()["pending"] is None


def test_canary_on_the_first_host_then_the_rest(hosts):
    hosts.manifest(strategy="canary")
    assert deploy(hosts, "v1")[0].code == 0
    with KeepAliveClient(hosts.hosts[0].proxy.port) as one, KeepAliveClient(hosts.hosts[1].proxy.port) as two:
        result, doc = deploy(hosts, "v2")
    assert result.code == 0, result.err + result.out
    assert served(hosts) == [{"v2"}, {"v2"}]
    assert one.failures() == [] and two.failures() == []
    # the canary host took v2 at 50% while the second host stayed on v1 until the last step
    switched = [e for e in doc["timeline"] if e["kind"] == "weights"]
    assert [e["data"]["step"] for e in switched] == [50, 100]
    # (an event is recorded just after its switch, so a client may see the switch a moment before the event's time)
    assert _first(one, "v2") < switched[1]["at"] and switched[0]["at"] < _first(two, "v2")


def test_a_canary_rollback_puts_every_host_back(hosts):
    hosts.manifest(strategy="canary", canary_hosts=1, max_parallel=2)
    assert deploy(hosts, "v1")[0].code == 0
    hosts.hosts[0].faults({"v2": {"error_share": 1}})
    result, doc = deploy(hosts, "v2")
    assert result.code == 1 and doc["result"] == "rolled-back", result.err + result.out
    assert served(hosts) == [{"v1"}, {"v1"}]
    assert [len(h.slot_groups()) for h in hosts.hosts] == [1, 1]


def _ssh_masters_of(port: int) -> list[int]:
    """The OpenSSH master connections to the sshd on ``port``."""
    found = []
    for info in processes.live_processes():
        argv = (processes.cmdline(info.pid) or "").split()
        if "ControlMaster=yes" in argv and str(port) in argv:
            found.append(info.pid)
    return found


def test_a_deploy_killed_mid_rollout_is_recovered_by_the_next_run(hosts, tmp_path):
    hosts.manifest()
    assert deploy(hosts, "v1")[0].code == 0
    hosts.manifest(analysis={"count": 30, "interval": 1.0})  # long enough to be killed during it
    runtime = Path(tempfile.mkdtemp(prefix="xdg-", dir="/tmp"))  # short: control sockets go in it
    hosts.env["XDG_RUNTIME_DIR"] = str(runtime)
    env = dict(os.environ, **hosts.env)
    try:
        with KeepAliveClient(hosts.hosts[0].proxy.port) as one, KeepAliveClient(hosts.hosts[1].proxy.port) as two:
            run = subprocess.Popen([sys.executable, "-m", "shipline", "deploy", "--env", "prod", "--version", "v2"], cwd=hosts.root, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "killed.log", "wb"))
            try:
                analysing = lambda: served(hosts) == [{"v2"}, {"v2"}] and (hosts.state()["pending"] or {}).get("phase") == "analysis"  # noqa: E731
                wait_until(lambda: analysing() or run.poll() is not None, timeout=30, what="both hosts on v2, under analysis")
            finally:
                assert run.poll() is None, (tmp_path / "killed.log").read_text()
            run.send_signal(signal.SIGKILL)
            run.wait(10)
            assert hosts.state()["pending"]["phase"] == "analysis"
            # the killed run could not remove its key: its directory is left, naming it as owner
            left = list(runtime.glob("shipline-ssh-*"))
            assert [(d / "owner").read_text().split()[0] for d in left] == [str(run.pid)] and (left[0] / "key").exists()
            hosts.manifest()  # the next run, with the usual analysis
            result, doc = deploy(hosts, "v3")
        assert result.code == 0, result.err + result.out
        assert any(e["kind"] == "recover" for e in doc["timeline"])
        assert list(runtime.glob("*")) == [], "the next run removed the dead run's key, and its own at exit"
        assert served(hosts) == [{"v3"}, {"v3"}]
        assert one.failures() == [] and two.failures() == []
        history = hosts.state()["history"]
        assert [h["result"] for h in history if h["version"] == "v2"] == ["interrupted"]
        assert [len(h.slot_groups()) for h in hosts.hosts] == [1, 1]
    finally:  # the killed run's ssh masters would close by themselves after ssh.PERSIST idle seconds
        for host in hosts.hosts:
            for pid in _ssh_masters_of(host.ssh_port):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(runtime, ignore_errors=True)


def test_a_fresh_runner_finds_the_state_and_releases_on_the_hosts(hosts):
    hosts.manifest()
    assert deploy(hosts, "v1")[0].code == 0
    assert deploy(hosts, "v2")[0].code == 0
    shutil.rmtree(hosts.root / "state")  # a GitHub-hosted runner starts with nothing
    with KeepAliveClient(hosts.hosts[0].proxy.port) as one, KeepAliveClient(hosts.hosts[1].proxy.port) as two:
        result = run_cli("rollback", "--env", "prod", "--format", "json", cwd=hosts.root, env=hosts.env)
    assert result.code == 0, result.err + result.out
    assert json.loads(result.out)["active_version"] == "v1"
    assert served(hosts) == [{"v1"}, {"v1"}]
    assert one.failures() == [] and two.failures() == []
    shutil.rmtree(hosts.root / "state")
    result, doc = deploy(hosts, "v3")
    assert result.code == 0, result.err + result.out
    for host in hosts.hosts:  # each host's copy of the state knows the release it replaced
        kept = json.loads((host.dir / "prod.state.json").read_text())
        assert (kept["version"], kept["previous"]["version"]) == ("v3", "v1"), kept
        assert kept["previous"]["color"] != doc["active_color"], kept
    assert served(hosts) == [{"v3"}, {"v3"}]
    assert [len(h.slot_groups()) for h in hosts.hosts] == [1, 1]


def test_nginx_on_each_host_is_driven_over_ssh(tmp_path):
    with fleet(tmp_path, router="nginx") as f:
        f.manifest()
        assert deploy(f, "v1")[0].code == 0
        f.hosts[1].faults({"v2": {"error_share": 1}})
        result, doc = deploy(f, "v2")
        assert result.code == 1 and doc["result"] == "rolled-back", result.err + result.out
        assert served(f) == [{"v1"}, {"v1"}]
        f.hosts[1].faults({})
        result, _ = deploy(f, "v3")
        assert result.code == 0, result.err + result.out
        assert served(f) == [{"v3"}, {"v3"}]
        # the second host's include names its own slots, written there by shipline
        upstream = (f.hosts[1].dir / "nginx" / "upstream.conf").read_text()
        assert upstream.count("server 127.0.0.3:") == 2 and "weight=100" in upstream and "# shipline-weights" in upstream


SWITCH_HOOK = """
import socket, sys
color = sys.argv[1]
for name, weight in ((color, 100), ("green" if color == "blue" else "blue", 0)):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(sys.argv[2])
        s.sendall(f"set server app/{name} weight {weight}\\n".encode())
        s.recv(1024)
open(sys.argv[3], "a").write(color + "\\n")
"""


def test_command_router_hooks_run_on_each_host(hosts):
    for host in hosts.hosts:
        (host.dir / "switch.py").write_text(SWITCH_HOOK)
    hosts.manifest()
    config = json.loads((hosts.root / "shipline.yml").read_text())
    hook = f'{sys.executable} "$SHIPLINE_HOST_DIR/switch.py" "$COLOR" "$SHIPLINE_HOST_DIR/haproxy/admin.sock" "$SHIPLINE_HOST_DIR/switched"'
    config["environments"][0]["deploy"]["router"] = {"type": "command", "switch": hook, "check": 'test -S "$SHIPLINE_HOST_DIR/haproxy/admin.sock"'}
    (hosts.root / "shipline.yml").write_text(json.dumps(config))
    assert deploy(hosts, "v1")[0].code == 0
    result, _ = deploy(hosts, "v2")
    assert result.code == 0, result.err + result.out
    assert served(hosts) == [{"v2"}, {"v2"}]
    assert [(h.dir / "switched").read_text().split() for h in hosts.hosts] == [["blue", "green"], ["blue", "green"]]
    (hosts.hosts[1].dir / "haproxy" / "admin.sock").rename(hosts.hosts[1].dir / "haproxy" / "moved.sock")
    result, _ = deploy(hosts, "v3", fmt="text")
    assert result.code == 2 and "check hook exited 1 on web2" in result.err
    assert served(hosts)[0] == {"v2"}


def test_a_hosts_router_commands_go_in_one_connection_and_stop_at_the_first_refusal(hosts):
    from shipline import manifest
    from shipline.deploy.hosts.fleet import Fleet
    from shipline.deploy.providers import make_provider
    from shipline.deploy.routers.base import RouterError

    hosts.manifest()
    assert deploy(hosts, "v1")[0].code == 0
    # the deploy returned success: every host serves the new version, and the runner's state names its color
    live = hosts.state()["active"]
    assert served(hosts) == [{"v1"}, {"v1"}] and live == "blue", (live, hosts.state()["pending"])
    environment = manifest.load(hosts.root / "shipline.yml").service(None).environment("prod")
    fleet = Fleet(environment, hosts.root, hosts.env, make_provider(environment.deploy.analysis))
    try:
        fleet.router.validate()
        first, second = fleet.router.routers
        assert first.current() == second.current() == {live: 100, "green" if live == "blue" else "blue": 0}
        weights = second.current()
        assert weights is not None and sorted(weights.values()) == [0, 100]
        blue = max(weights, key=weights.__getitem__)  # the color the hosts' haproxy serves, and the other one
        green = "green" if blue == "blue" else "blue"
        # a refusal in the middle: what came before it stays, nothing after it is sent
        with pytest.raises(RouterError, match=rf"refused `set server app/nosuch weight 1`: No such server.* \(not sent: set server app/{blue} weight 0\)"):
            second._set([f"set server app/{green} weight 7", "set server app/nosuch weight 1", f"set server app/{blue} weight 0"])
        assert second.current() == {blue: 100, green: 7}
        second._set([f"set server app/{green} weight 0"])
        # through the fleet: the host is named, and the host whose batch was refused keeps serving the old slot
        second.config = second.config.model_copy(update={"servers": {blue: blue, green: "nosuch"}})
        with pytest.raises(RouterError, match=rf"^on host web2: haproxy refused `set server app/nosuch state ready`.*not sent: set server app/nosuch weight 100; set server app/{blue} weight 0\)"):
            fleet.router.set_weights({green: 100, blue: 0})
        assert first.current() == {green: 100, blue: 0} and second.current() is None
        assert live_versions(hosts.hosts[1].proxy.port) == {"v1"}
    finally:
        fleet.close()


def test_a_reader_without_the_lock_never_puts_an_older_state_back_on_the_runner(tmp_path):
    """A deploy's save writes the runner's copy, then sends it to the hosts; a watchdog reading
    a host in between must not copy the older state back over the runner's."""
    import time

    from shipline import manifest
    from shipline.deploy.hosts.fleet import Fleet
    from shipline.deploy.hosts.kept import HostsStateStore
    from shipline.deploy.providers import make_provider
    from shipline.deploy.state import Pending, State, StateStore

    with fleet(tmp_path, with_haproxy=False) as f:
        f.manifest()
        environment = manifest.load(f.root / "shipline.yml").service(None).environment("prod")
        fleets = [Fleet(environment, f.root, f.env, make_provider(environment.deploy.analysis)) for _ in range(2)]
        try:
            deployer, watchdog = (HostsStateStore(f.root / "state", "prod", each.slots) for each in fleets)
            started = time.time()
            with deployer.lock(5, "deploy v1"):
                deployer.save(State("prod", pending=Pending(op="deploy", color="blue", version="v1", pid=os.getpid(), started=started, phase="analysis")))
                promoted = State("prod", active="blue", version="v1")
                StateStore.save(deployer, promoted)  # the save's first half: the runner's copy, not yet the hosts'
                seen = watchdog.load()
                assert seen.pending is not None and seen.pending.started == started  # the hosts' copy, as it is
                assert f.state()["active"] == "blue" and f.state()["pending"] is None, "the runner's copy went back"
                deployer.save(promoted)
            assert watchdog.load().active == "blue" and f.state()["active"] == "blue"
            # the lock's holder on a fresh runner still takes the hosts' copy
            shutil.rmtree(f.root / "state")
            with watchdog.lock(5, "rollback"):
                assert watchdog.load().active == "blue" and f.state()["active"] == "blue"
        finally:
            for each in fleets:
                each.close()


def _haproxy(host, *commands: str) -> None:
    """Commands on the admin socket of ``host``'s haproxy, as something else on that host would send them."""
    import socket

    for command in commands:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(host.dir / "haproxy" / "admin.sock"))
            s.sendall(command.encode() + b"\n")
            assert s.recv(1024).strip() == b"", command


def test_a_host_put_back_on_the_old_slot_during_the_analysis_is_never_reported_promoted(hosts, tmp_path):
    hosts.manifest()
    assert deploy(hosts, "v1")[0].code == 0
    old = hosts.state()["active"]
    new = "green" if old == "blue" else "blue"
    hosts.manifest(analysis={"count": 3, "interval": 1.0})  # time to change the second host's weights while it runs
    out = tmp_path / "deploy.json"
    with open(out, "wb") as stdout, open(tmp_path / "deploy.log", "wb") as stderr:
        argv = [sys.executable, "-m", "shipline", "deploy", "--env", "prod", "--version", "v2", "--format", "json"]
        run = subprocess.Popen(argv, cwd=hosts.root, env=dict(os.environ, **hosts.env), stdout=stdout, stderr=stderr)
        try:
            analysing = lambda: served(hosts) == [{"v2"}, {"v2"}] and (hosts.state()["pending"] or {}).get("phase") == "analysis"  # noqa: E731
            wait_until(lambda: analysing() or run.poll() is not None, timeout=30, what="both hosts on v2, under analysis")
            assert run.poll() is None, (tmp_path / "deploy.log").read_text()
            # the old slot still runs and answers well, so the analysis alone sees nothing wrong
            _haproxy(hosts.hosts[1], f"set server app/{old} weight 100", f"set server app/{new} weight 0")
        finally:
            code = run.wait(60)
    doc = json.loads(out.read_text())
    assert code == 1 and doc["result"] == "rolled-back" and doc["active_version"] == "v1", doc["reason"]
    assert doc["reason"].startswith("after the analysis, on host web2") and f"'{old}': 100" in doc["reason"], doc["reason"]
    assert served(hosts) == [{"v1"}, {"v1"}] and hosts.state()["active"] == old


def test_a_canary_broken_on_the_second_host_only_is_rolled_back(hosts):
    # the canary is judged on every host's new slot, not on the first host's alone
    hosts.manifest(strategy="canary", canary_hosts=1, max_parallel=2)
    assert deploy(hosts, "v1")[0].code == 0
    hosts.hosts[1].faults({"v2": {"error_share": 1}})
    result, doc = deploy(hosts, "v2")
    assert result.code == 1 and doc["result"] == "rolled-back", result.err + result.out
    assert "canary error rate" in doc["reason"] and "(on web2)" in doc["reason"], doc["reason"]
    assert served(hosts) == [{"v1"}, {"v1"}]
