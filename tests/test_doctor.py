"""`shipline doctor --env E`: each check against the real router, ports and hosts, with the fix when one fails."""

from __future__ import annotations

import json
import socket

from tests.deploy_support import site_with
from tests.helpers import free_port, run_cli
from tests.ssh_support import fleet


def doctor(root, env=None):
    result = run_cli("doctor", "--env", "prod", "--format", "json", cwd=root, env=env)
    return result.code, {c["subject"]: c for c in json.loads(result.out)["checks"]}


def test_a_runner_next_to_haproxy_passes_and_each_problem_names_its_fix(tmp_path):
    with site_with("haproxy", tmp_path) as site:
        site.manifest()
        code, checks = doctor(site.root)
        assert code == 0, checks
        assert {"runner user", "state directory", "releases directory", "router", f"port {site.blue} (blue slot)", f"port {site.green} (green slot)"} == set(checks)
        with socket.socket() as squatter:  # something else took the green slot's port
            squatter.bind(("127.0.0.1", site.green))
            squatter.listen()
            (site.root / "blocker").write_text("a file where the state directory's parent should be\n")
            site.manifest(state_dir="blocker/state")
            code, checks = doctor(site.root)
        assert code == 1
        port = checks[f"port {site.green} (green slot)"]
        assert not port["ok"] and "taken by pid" in port["detail"] and "deploy.slots.green.port" in port["fix"]
        assert checks[f"port {site.blue} (blue slot)"]["ok"]
        state = checks["state directory"]
        assert not state["ok"] and "deploy.state_dir" in state["fix"]
        site.proxy.stop()
        site.manifest()
        code, checks = doctor(site.root)
        assert code == 1 and not checks["router"]["ok"]
        assert "haproxy is not running" in checks["router"]["detail"] and "start haproxy" in checks["router"]["fix"]
        (site.proxy.files["config"].parent / "haproxy.sock").unlink()
        code, checks = doctor(site.root)
        assert "no haproxy admin socket at" in checks["router"]["detail"] and "stats socket" in checks["router"]["fix"]


def test_hosts_are_checked_over_ssh_and_an_unreachable_one_is_named(tmp_path):
    with fleet(tmp_path) as f:
        dead = free_port()
        f.manifest(hosts=[h.manifest_entry() for h in f.hosts] + [{"name": "web3", "host": "127.0.0.1", "port": dead, "user": "deploy"}])
        code, checks = doctor(f.root, f.env)
        assert code == 1
        assert checks["host web1"]["ok"] and "logs in as" in checks["host web1"]["detail"]
        assert checks["directory on web2"]["ok"] and checks[f"port {f.blue} (blue slot) on web2"]["ok"]
        assert checks["router on web1"]["ok"] and checks["router on web2"]["ok"]
        assert all(c["ok"] for subject, c in checks.items() if subject != "host web3")
        web3 = checks["host web3"]
        assert not web3["ok"] and f"127.0.0.1:{dead}" in web3["detail"] and f"ssh-keyscan -p {dead} 127.0.0.1" in web3["fix"]
