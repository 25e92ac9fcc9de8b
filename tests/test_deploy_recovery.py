"""A deploy or rollback killed (SIGKILL) at every phase: the next command ends on the right version.

The command router's hooks sleep before they move traffic, so the switching phase
lasts long enough to be killed in; a slow start stretches the starting phase. One
independent keep-alive client runs through haproxy the whole time and never sees an
error: traffic only ever rests on healthy slots.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from tests.deploy_support import KeepAliveClient, live_versions, site_with, wait_until
from tests.helpers import run_cli
from tests.test_deploy_release import HOOK, deploy

SLOW = 1.5  # seconds a hook waits before it moves traffic


def _pending(site) -> dict:
    try:
        return site.state().get("pending") or {}
    except (OSError, ValueError):
        return {}


def _kill_at(site, phase: str, *command: str) -> None:
    """Run ``command`` in its own process group and SIGKILL the group once its pending phase is ``phase``."""
    proc = subprocess.Popen(site.cli(*command, "--env", "prod"), cwd=site.root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        wait_until(lambda: _pending(site).get("phase") == phase or proc.poll() is not None, timeout=30, what=f"phase {phase}")
        assert proc.poll() is None, f"{command} ended before {phase}: {proc.stderr.read().decode()}"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=10)
    assert _pending(site).get("phase") == phase


def _rollback(site) -> dict:
    result = run_cli("rollback", "--env", "prod", "--format", "json", cwd=site.root)
    assert result.code == 0, result.err
    return json.loads(result.out)


def _ends_on(site, color: str, version: str) -> None:
    state = site.state()
    assert (state["active"], state["version"], state["pending"]) == (color, version, None)
    assert live_versions(site.proxy.port) == {version}
    assert not (site.state_dir / f"prod.{'green' if color == 'blue' else 'blue'}.pid").exists(), "the other slot is stopped"


def test_a_kill_at_every_phase_of_deploy_and_rollback_is_recovered_by_the_next_command(tmp_path):
    with site_with("haproxy", tmp_path) as site:
        sock = site.proxy.router["admin_socket"]
        hook = f"sleep {SLOW} && {sys.executable} {HOOK} {sock}"
        site.manifest(router={"type": "command", "switch": f"{sys.executable} {HOOK} {sock} switch"})
        assert deploy(site, "v1")[0] == 0
        with KeepAliveClient(site.proxy.port) as users:
            site.manifest(router={"type": "command", "switch": f"{hook} switch", "set_weights": f"{hook} weight"}, analysis={"interval": 0.5, "count": 20})
            # a deploy of v2 killed in each phase; the next command (rollback) ends on v1, the last promoted version
            for phase, faults in (("starting", {"v2": {"start_delay": 30}}), ("switching", {}), ("analysis", {})):
                site.faults(faults)
                _kill_at(site, phase, "deploy", "--version", "v2")
                out = _rollback(site)
                assert "undid an interrupted deploy of v2" in out["reason"], (phase, out["reason"])
                _ends_on(site, "blue", "v1")
            site.faults({})
            site.manifest(router={"type": "command", "switch": f"{hook} switch"}, analysis={"interval": 0.2, "count": 1})
            assert deploy(site, "v2")[0] == 0
            # a rollback to v1 killed in each phase; the next rollback finishes it
            for phase, faults in (("starting", {"v1": {"start_delay": 30}}), ("switching", {})):
                site.faults(faults)
                _kill_at(site, phase, "rollback")
                site.faults({})
                out = _rollback(site)
                assert (out["active_color"], out["active_version"]) == ("blue", "v1"), phase
                _ends_on(site, "blue", "v1")
                history = [h["result"] for h in site.state()["history"][-2:]]
                assert history == ["interrupted", "rolled-back"], (phase, history)
                assert deploy(site, "v2")[0] == 0
        assert users.failures() == [], users.failures()[:5]


def test_a_killed_deploy_returns_traffic_to_the_stable_slot_after_the_progress_deadline_by_itself(tmp_path):
    with site_with("haproxy", tmp_path) as site:
        site.manifest(progress_deadline=1, analysis={"interval": 0.5, "count": 60})
        assert deploy(site, "v1")[0] == 0
        with KeepAliveClient(site.proxy.port) as users:
            _kill_at(site, "analysis", "deploy", "--version", "v2")
            assert live_versions(site.proxy.port) == {"v2"}, "traffic is on the unproven version"
            # no shipline command runs: the watchdog the deploy left behind acts
            wait_until(lambda: _pending(site) == {} and live_versions(site.proxy.port) == {"v1"}, timeout=30, what="the watchdog")
        _ends_on(site, "blue", "v1")
        assert site.state()["history"][-1]["result"] == "interrupted"
        assert users.failures() == []
