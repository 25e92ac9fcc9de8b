"""A deploy killed with SIGKILL mid-switch, then a re-run; two deploys at once."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import stat
import subprocess
import sys
import time

from shipline.deploy.slots import tagged_groups
from tests.deploy_support import APP, NGINX, live, live_versions, site_with, wait_until
from tests.helpers import run_cli
from tests.test_deploy_release import deploy, released


def _spawn(site, version: str) -> subprocess.Popen:
    """A deploy in its own process group, as a CI runner would start (and cancel) it."""
    return subprocess.Popen(site.cli("deploy", "--env", "prod", "--version", version), cwd=site.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _phase(site) -> str | None:
    try:
        return (site.state().get("pending") or {}).get("phase")
    except (OSError, ValueError):
        return None


def _version_on(port: int) -> str | None:
    try:
        return live(port)[1]
    except OSError:
        return None


def _kill(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)


@contextlib.contextmanager
def deploying_v2(site, **manifest):
    """v1 live, then a deploy of v2 running in the background (killed at the end if still running)."""
    released(site)
    site.manifest(**manifest)
    proc = _spawn(site, "v2")
    try:
        yield proc
    finally:
        if proc.poll() is None:
            _kill(proc)


def _in_analysis(site) -> None:
    wait_until(lambda: _phase(site) == "analysis", timeout=30, what="the switch")


def test_sigkill_during_analysis_then_rerun_haproxy(tmp_path):
    with site_with("haproxy", tmp_path) as site:
        with deploying_v2(site, analysis={"interval": 1, "count": 30}) as proc:
            _in_analysis(site)
            _kill(proc)
        # The deploy is dead mid-way: traffic is on the new, healthy slot and the state says so.
        assert live_versions(site.proxy.port) == {"v2"}
        assert site.state()["pending"]["version"] == "v2"
        site.manifest()
        code, out, err = deploy(site, "v3")
        assert code == 0, err
        assert live_versions(site.proxy.port) == {"v3"}
        state = site.state()
        assert (state["active"], state["version"], state["pending"]) == ("green", "v3", None)
        assert [h["result"] for h in state["history"]] == ["promoted", "interrupted", "promoted"]
        assert out["timeline"][0]["kind"] == "recover"
        assert not (site.state_dir / "prod.blue.pid").exists()


def test_sigkill_during_nginx_reload_then_rollback_and_rerun(tmp_path):
    with site_with("nginx", tmp_path) as site:
        marker = tmp_path / "reloading"
        slow = tmp_path / "slow-nginx"
        # Holds the reload back until the test has killed the deploy mid-switch.
        slow.write_text(f'#!/bin/sh\ncase " $* " in *" reload "*) touch {marker}; sleep 30;; esac\nexec {NGINX} "$@"\n')
        slow.chmod(slow.stat().st_mode | stat.S_IXUSR)
        released(site)
        site.manifest(router={**site.proxy.router, "nginx": str(slow)})
        proc = _spawn(site, "v2")
        try:
            wait_until(marker.exists, timeout=30, what="the reload")
        finally:
            _kill(proc)
        # The new include was checked but never loaded: traffic is still on v1.
        assert live_versions(site.proxy.port) == {"v1"}
        assert site.state()["pending"]["phase"] == "switching"
        site.manifest()
        result = run_cli("rollback", "--env", "prod", "--format", "json", cwd=site.root)
        assert result.code == 0, result.err
        assert "interrupted" in json.loads(result.out)["reason"]
        assert live_versions(site.proxy.port) == {"v1"}
        state = site.state()
        assert (state["active"], state["version"], state["pending"]) == ("blue", "v1", None)
        assert '"blue": 100' in site.proxy.files["upstream"].read_text()
        assert not (site.state_dir / "prod.green.pid").exists()
        code, out, err = deploy(site, "v3")
        assert code == 0, err
        assert live_versions(site.proxy.port) == {"v3"}


def test_second_deploy_waits_then_exits_2_naming_the_holder(tmp_path):
    with site_with("haproxy", tmp_path) as site:
        with deploying_v2(site, analysis={"interval": 0.5, "count": 8}) as first:
            _in_analysis(site)
            code, out, err = deploy(site, "v3")
            assert code == 2
            assert f"locked by pid {first.pid}" in err and "deploy v2" in err
            _, first_err = first.communicate(timeout=60)
            assert first.returncode == 0, first_err
        assert live_versions(site.proxy.port) == {"v2"}
        assert [h["version"] for h in site.state()["history"]] == ["v1", "v2"]
        status, version = live(site.proxy.port)
        assert (status, version) == (200, "v2")


def test_sigterm_puts_traffic_back_before_exiting(tmp_path):
    with site_with("haproxy", tmp_path) as site:
        with deploying_v2(site, analysis={"interval": 1, "count": 30}) as proc:
            _in_analysis(site)
            proc.send_signal(signal.SIGTERM)  # a cancelled CI job
            proc.communicate(timeout=30)
        assert proc.returncode == 130
        assert live_versions(site.proxy.port) == {"v1"}
        state = site.state()
        assert (state["active"], state["version"], state["pending"]) == ("blue", "v1", None)
        assert state["history"][-1]["result"] == "interrupted"
        assert not (site.state_dir / "prod.green.pid").exists()


def test_rollback_while_the_old_slot_is_kept_is_instant_and_sticks(tmp_path):
    with site_with("haproxy", tmp_path) as site:
        with deploying_v2(site, keep_previous_for=3) as proc:
            blue_pid = json.loads((site.state_dir / "prod.blue.pid").read_text())["pid"]
            wait_until(lambda: (site.state().get("pending") or {}).get("op") == "retire", timeout=30, what="the promotion")
            result = run_cli("rollback", "--env", "prod", cwd=site.root)
            assert result.code == 0, result.err
            assert live_versions(site.proxy.port) == {"v1"}
            _, err = proc.communicate(timeout=30)
            assert proc.returncode == 0, err
        # the waiting deploy saw the rollback and left the blue slot (the same process) running
        assert json.loads((site.state_dir / "prod.blue.pid").read_text())["pid"] == blue_pid
        assert live_versions(site.proxy.port) == {"v1"}
        assert site.state()["active"] == "blue"


def test_a_slot_started_without_a_pid_file_is_still_found_and_stopped(tmp_path):
    with site_with("haproxy", tmp_path) as site:
        released(site)
        # as if a deploy was killed between starting the green slot and writing its pid file
        slot = f"SHIPLINE_SLOT={site.state_dir.resolve() / 'prod.green'}"
        stray = subprocess.Popen(
            ["env", slot, f"PORT={site.green}", "VERSION=stray", sys.executable, str(APP)], start_new_session=True, stdout=subprocess.DEVNULL
        )
        try:
            wait_until(lambda: _version_on(site.green) == "stray", what="the stray slot")
            code, out, err = deploy(site, "v2")
            assert code == 0, err
            assert stray.wait(10) is not None
            assert live_versions(site.proxy.port) == {"v2"}
        finally:
            if stray.poll() is None:
                _kill(stray)


def test_sigkill_at_random_points_always_leaves_a_healthy_slot_and_converges(tmp_path):
    rng = random.Random(6)  # fixed: the same kill points on every run
    with site_with("haproxy", tmp_path) as site:
        released(site)
        site.manifest(analysis={"interval": 0.3, "count": 3})
        for n in range(2, 10):
            proc = _spawn(site, f"v{n}")
            time.sleep(rng.uniform(0.3, 2.5))  # from start-up to the retirement of the old slot
            _kill(proc)
            statuses = {live(site.proxy.port)[0] for _ in range(10)}
            assert statuses == {200}, f"after a kill at v{n}, the entry point answered {statuses}"
        code, out, err = deploy(site, "v10")
        assert code == 0, err
        assert live_versions(site.proxy.port) == {"v10"}
        state = site.state()
        assert (state["version"], state["pending"]) == ("v10", None)
        idle = "blue" if state["active"] == "green" else "green"
        assert not tagged_groups(f"SHIPLINE_SLOT={site.state_dir.resolve() / f'prod.{idle}'}".encode()), "the idle slot is stopped"
