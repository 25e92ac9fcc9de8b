"""What a deploy gives its slots and leaves behind: a clean environment, state outside the checkout, no job held for a kept slot."""

from __future__ import annotations

import json
import subprocess
import sys

from shipline.deploy.slots import tagged_groups
from tests.deploy_support import APP, live_versions, site_with, wait_until
from tests.helpers import run_cli
from tests.test_deploy_release import deploy


def test_slots_and_hooks_get_a_clean_environment_plus_what_the_manifest_lists(tmp_path):
    with site_with("haproxy", tmp_path) as site:
        seen = site.root / "seen"
        start = f"env > {seen}-$VERSION.env; FAULTS_FILE={site.root / 'faults.json'} exec {sys.executable} {APP}"
        site.manifest(
            slots={"blue": {"port": site.blue, "start": start}, "green": {"port": site.green, "start": start}},
            env={"APP_MODE": "production"},
            pass_env=["DATABASE_URL"],
            on_rollback=[f"env > {seen}-hook.env"],
        )
        secrets = {"GITHUB_TOKEN": "ghs_secret", "AWS_SECRET_ACCESS_KEY": "aws_secret", "DATABASE_URL": "postgres://db/app"}
        result = run_cli("deploy", "--env", "prod", "--version", "v1", cwd=site.root, env=secrets)
        assert result.code == 0, result.err
        site.faults({"v2": {"error_share": 1}})
        result = run_cli("deploy", "--env", "prod", "--version", "v2", cwd=site.root, env=secrets)
        assert result.code == 1, result.err
        for name in ("v1", "v2", "hook"):
            env = dict(line.split("=", 1) for line in (tmp_path / "site" / f"seen-{name}.env").read_text().splitlines() if "=" in line)
            assert "GITHUB_TOKEN" not in env and "AWS_SECRET_ACCESS_KEY" not in env, name
            assert (env["APP_MODE"], env["DATABASE_URL"]) == ("production", "postgres://db/app"), name
            assert "PATH" in env


def test_state_lives_outside_the_checkout_by_default(tmp_path):
    with site_with("haproxy", tmp_path) as site:
        site.manifest(state_dir=None)
        xdg = tmp_path / "xdg"
        result = run_cli("deploy", "--env", "prod", "--version", "v1", cwd=site.root, env={"XDG_STATE_HOME": str(xdg)})
        try:
            assert result.code == 0, result.err
            state_dir = xdg / "shipline" / "demo"
            assert json.loads((state_dir / "prod.json").read_text())["version"] == "v1"
            assert (state_dir / "prod.releases" / "v1").is_dir()
            assert not (site.root / ".shipline").exists()
            status = run_cli("status", "--env", "prod", cwd=site.root, env={"XDG_STATE_HOME": str(xdg)})
            assert status.code == 0 and "version v1" in status.out
        finally:
            run_cli("stop", "--env", "prod", cwd=site.root, env={"XDG_STATE_HOME": str(xdg)})


def test_a_kept_old_slot_stops_in_the_background_without_holding_the_job_or_the_lock(tmp_path):
    with site_with("haproxy", tmp_path) as site:
        site.manifest(keep_previous_for=2)
        assert deploy(site, "v1")[0] == 0
        code, out, err = deploy(site, "v2")
        assert code == 0, err
        # the deploy has returned: the old slot is still kept, and the lock is free for the next run
        blue = f"SHIPLINE_SLOT={site.state_dir.resolve() / 'prod.blue'}".encode()
        assert tagged_groups(blue), "the old slot is kept for an instant rollback"
        assert site.state()["pending"]["op"] == "retire"
        early = run_cli("stop", "--env", "prod", "--retired", "--format", "json", cwd=site.root)
        assert early.code == 0 and json.loads(early.out)["stopped"] == [], "not before its time"
        wait_until(lambda: not tagged_groups(blue) and site.state()["pending"] is None, timeout=30, what="the background retirement")
        assert live_versions(site.proxy.port) == {"v2"}


def test_a_deploy_waiting_for_the_lock_says_whom_it_waits_for(tmp_path):
    with site_with("haproxy", tmp_path) as site:
        site.manifest(analysis={"interval": 0.5, "count": 8})
        first = subprocess.Popen(site.cli("deploy", "--env", "prod", "--version", "v1"), cwd=site.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            wait_until(lambda: (site.state_dir / "prod.json").exists() and (json.loads((site.state_dir / "prod.json").read_text()).get("pending") or {}).get("phase") == "analysis", timeout=30, what="the first deploy")
            result = run_cli("deploy", "--env", "prod", "--version", "v2", cwd=site.root)
            assert result.code == 2
            assert f"waiting for the lock of prod, held by pid {first.pid}" in result.out + result.err
            assert "deploy v1" in result.out + result.err
        finally:
            first.communicate(timeout=60)
