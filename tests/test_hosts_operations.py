"""Operating an environment on SSH hosts: status and releases per host, the deploy lock on the hosts,
haproxy's server-state file on each host.

Two real sshd on loopback stand for two servers, each with its own haproxy (see ssh_support).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from shipline import manifest
from shipline.deploy.hosts.fleet import Fleet
from shipline.deploy.hosts import lock as lock_module
from shipline.deploy.hosts.lock import HostLock, hosts_lock
from shipline.deploy.providers import make_provider
from shipline.errors import LockTimeout
from tests.deploy_support import live_versions
from tests.helpers import free_port, run_cli
from tests.ssh_support import fleet, start_host_haproxy, wait_for


@pytest.fixture
def hosts(tmp_path):
    with fleet(tmp_path) as f:
        yield f


def _edit(f, change) -> None:
    config = json.loads((f.root / "shipline.yml").read_text())
    change(config["environments"][0])
    (f.root / "shipline.yml").write_text(json.dumps(config))


def cli(f, *args: str):
    result = run_cli(*args, "--env", "prod", "--format", "json", cwd=f.root, env=f.env)
    return result.code, (json.loads(result.out) if result.out.strip().startswith("{") else {}), result.err


def served(f) -> list[set[str]]:
    return [live_versions(h.proxy.port) for h in f.hosts]


def test_status_and_releases_report_every_host_and_a_restarted_haproxy_keeps_its_weights(hosts):
    hosts.manifest()
    _edit(hosts, lambda env: env["deploy"]["router"].update(server_state_file="haproxy/servers.state"))
    assert cli(hosts, "deploy", "--version", "v1")[0] == 0
    assert cli(hosts, "deploy", "--version", "v2")[0] == 0  # green, while each haproxy.cfg says blue 100, green 0
    # a host's haproxy restarts: it reads the weights shipline saved on that host
    web2 = hosts.hosts[1]
    web2.proxy.stop()
    start_host_haproxy(web2, hosts.blue, hosts.green, port=web2.proxy.port)
    assert served(hosts) == [{"v2"}, {"v2"}]

    code, out, err = cli(hosts, "status")
    assert code == 0, err
    assert (out["active_color"], out["version"], out["serving"], out["router_lost"]) == ("green", "v2", True, False)
    assert out["slots"] == {"blue": None, "green": "v2"} and out["router_weights"] == {"blue": 0, "green": 100}
    for host, name in zip(out["hosts"], ("web1", "web2")):
        assert (host["host"], host["reachable"], host["live_color"], host["problem"]) == (name, True, "green", None)
        assert host["slots"]["green"] == {"version": "v2", "serves": True, "problem": None}
        assert host["slots"]["blue"]["version"] is None
        assert {r["version"]: (r["role"], r["slots"]) for r in host["releases"]} == {"v1": ("previous", []), "v2": ("live", ["green"])}
    text = run_cli("status", "--env", "prod", cwd=hosts.root, env=hosts.env)
    assert text.code == 0 and "web2" in text.out and "green v2 (serves)" in text.out and "v1 (previous), v2 (live)" in text.out

    code, out, err = cli(hosts, "releases")
    assert code == 0, err
    assert [[r["version"] for r in h["releases"]] for h in out["hosts"]] == [["v1", "v2"], ["v1", "v2"]]
    assert out["hosts"][1]["releases"][1]["path"] == f"{web2.dir}/prod.releases/v2"

    # the live slot dies on one host: status names that host and exits 1
    for pgid in web2.slot_groups():
        os.killpg(pgid, signal.SIGKILL)
    code, out, err = cli(hosts, "status")
    assert code == 1 and out["serving"] is False
    assert "on host web2 the live green slot (v2) does not serve" in err and "web1" not in err
    assert [h["slots"]["green"]["serves"] for h in out["hosts"]] == [True, False]

    # a host that cannot be reached: named, the others still read
    dead = free_port()
    _edit(hosts, lambda env: env["hosts"].append({"name": "web3", "host": "127.0.0.1", "port": dead, "user": "root"}))
    code, out, err = cli(hosts, "status")
    assert code == 1
    assert f"host web3 is unreachable: cannot reach web3 (root@127.0.0.1:{dead})" in err
    assert [h["reachable"] for h in out["hosts"]] == [True, True, False]
    github = run_cli("status", "--env", "prod", "--format", "github", cwd=hosts.root, env=hosts.env)
    assert github.code == 1 and "::error title=shipline status::host web3 is unreachable" in github.out
    code, out, err = cli(hosts, "releases")
    assert code == 1 and "host web3 is unreachable" in err
    assert len(out["hosts"][0]["releases"]) == 2


def _spawn(f, root, version: str) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "shipline", "deploy", "--env", "prod", "--version", version, "--format", "json"]
    return subprocess.Popen(argv, cwd=root, env=dict(os.environ, **f.env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_runners_deploying_at_once_take_turns_through_the_hosts_lock(hosts, tmp_path):
    hosts.manifest()
    _edit(hosts, lambda env: env["deploy"].update(lock_timeout=120))
    assert cli(hosts, "deploy", "--version", "v1")[0] == 0
    # a second runner: its own checkout and its own (empty) state directory, so only the hosts are shared
    other = tmp_path / "runner2"
    other.mkdir()
    (other / "shipline.yml").write_text((hosts.root / "shipline.yml").read_text())
    runs = {"v2": _spawn(hosts, hosts.root, "v2"), "v3": _spawn(hosts, other, "v3")}
    docs, pids = {}, {v: p.pid for v, p in runs.items()}
    for version, run in runs.items():
        out, err = run.communicate(timeout=180)
        assert run.returncode == 0, err
        docs[version] = json.loads(out)
    waited = [v for v, doc in docs.items() if any(e["kind"] == "waiting" for e in doc["timeline"])]
    assert len(waited) == 1, "one run waited for the other"
    second, first = waited[0], ({"v2", "v3"} - set(waited)).pop()
    notice = next(e["message"] for e in docs[second]["timeline"] if e["kind"] == "waiting")
    assert f"held by pid {pids[first]} on {socket.gethostname()} (deploy {first}, since" in notice and "on host web" in notice
    # nothing interleaved: the second run started only after the first had finished
    start = next(e["at"] for e in docs[second]["timeline"] if e["kind"] == "start")
    assert start >= docs[first]["finished"]
    assert served(hosts) == [{second}, {second}]
    history = json.loads((hosts.hosts[0].dir / "prod.state.json").read_text())["history"]
    assert [(h["version"], h["result"]) for h in history] == [("v1", "promoted"), (first, "promoted"), (second, "promoted")]
    assert [len(h.slot_groups()) for h in hosts.hosts] == [1, 1]


def test_a_waiter_names_the_holder_and_takes_over_a_silent_one(tmp_path, monkeypatch):
    with fleet(tmp_path, count=1, with_haproxy=False) as f:
        f.manifest()
        environment = manifest.load(f.root / "shipline.yml").service(None).environment("prod")
        holder_fleet = Fleet(environment, f.root, f.env, make_provider(environment.deploy.analysis))
        waiter_fleet = Fleet(environment, f.root, f.env, make_provider(environment.deploy.analysis))
        try:
            # the holder took the lock and then fell silent (no heartbeat: a runner cut off from the host)
            holder = HostLock(holder_fleet.slots.members[0])
            assert holder.take(json.dumps({"pid": 4242, "host": "runner-a", "since": "T", "operation": "deploy v2"})) is None
            notices: list[str] = []
            with pytest.raises(LockTimeout, match=r'environment "prod" is locked on host web1 by pid 4242 on runner-a \(deploy v2, since T\)'):
                with hosts_lock(waiter_fleet.slots.members, "prod", "deploy v3", 0.0, notices.append):
                    pass
            assert notices == ["pid 4242 on runner-a (deploy v2, since T) on host web1"]
            lock_dir = f.hosts[0].dir
            assert json.loads((lock_dir / "prod.lock.owner").read_text().splitlines()[1])["pid"] == 4242
            # past the stale limit, the waiter ends the silent holder's shell on the host and takes the lock
            waiter = HostLock(waiter_fleet.slots.members[0], stale_after=1)
            wait_for(lambda: waiter.take(json.dumps({"pid": os.getpid(), "operation": "deploy v3"})) is None, "the stale lock taken over", timeout=15)
            assert holder.process is not None and holder.process.wait(10) is not None, "the silent holder's session ended"
            assert json.loads((lock_dir / "prod.lock.owner").read_text().splitlines()[1])["pid"] == os.getpid()
            waiter.release()
            assert not (lock_dir / "prod.lock.owner").exists()
            # released, the lock is free for the next run at once; a run that keeps beating is never taken for silent
            monkeypatch.setattr(lock_module, "HEARTBEAT", 0.2)
            with hosts_lock(waiter_fleet.slots.members, "prod", "deploy v4", 0.0, notices.append) as held:
                assert [lock.label for lock in held] == ["web1"] and len(notices) == 1
                late = HostLock(holder_fleet.slots.members[0], stale_after=1)
                time.sleep(2.5)
                assert late.take(json.dumps({"pid": 1})) is not None, "a beating holder keeps its lock"
        finally:
            holder_fleet.close()
            waiter_fleet.close()
