"""Operator controls on a running canary, with Argo Rollouts' semantics: pause steps, promote, abort."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.deploy_support import KeepAliveClient, live_versions, site_with, wait_until
from tests.helpers import run_cli
from tests.test_deploy_release import deploy, released


def _phase(site) -> str | None:
    try:
        return (site.state().get("pending") or {}).get("phase")
    except (OSError, ValueError):
        return None


@pytest.mark.parametrize("action, code, version", [(("promote",), 0, "v2"), (("abort",), 1, "v1"), (("promote", "--full"), 0, "v2")])
def test_a_canary_paused_until_promoted_is_promoted_or_aborted_by_a_person(tmp_path, action, code, version):
    with site_with("haproxy", tmp_path) as site:
        released(site, "canary")
        site.manifest("canary", canary_steps=[10, {"pause": "promote"}, 50, 100])
        with KeepAliveClient(site.proxy.port) as users:
            proc = subprocess.Popen(site.cli("deploy", "--env", "prod", "--version", "v2"), cwd=site.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                wait_until(lambda: _phase(site) == "paused at 10%", timeout=30, what="the pause")
                asked = run_cli(*action, "--env", "prod", cwd=site.root)
                assert asked.code == 0, asked.err
                out, err = proc.communicate(timeout=60)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.communicate()
        assert proc.returncode == code, err
        result = json.loads(out)
        assert "by " in result["reason"] or action == ("promote",)
        steps = [e["data"]["step"] for e in result["timeline"] if e["kind"] == "weights"]
        assert steps == {"promote": [10, 50, 100], "abort": [10], "--full": [10, 100]}[action[-1]]
        assert users.failures() == []
        assert live_versions(site.proxy.port) == {version}
        assert site.state()["version"] == version and site.state()["pending"] is None


def test_abort_and_promote_without_a_running_deploy_are_exit_2(tmp_path):
    with site_with("haproxy", tmp_path) as site:
        released(site)
        for command in ("abort", "promote"):
            result = run_cli(command, "--env", "prod", cwd=site.root)
            assert result.code == 2 and "has no deploy running" in result.err
        assert not (site.state_dir / "prod.control").exists()
        assert deploy(site, "v2")[0] == 0
