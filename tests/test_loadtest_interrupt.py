"""Ctrl-C (or a cancelled CI job's SIGTERM) stops a load test cleanly and still writes what was measured (exit 130)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from tests.loadtest_support import LoadServer

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stop_signal_ends_the_run_and_keeps_the_reports(tmp_path, sig):
    report = tmp_path / "shipline-loadtest"
    history = report / "locust_stats_history.csv"
    with LoadServer() as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "shipline", "loadtest", "--host", server.url, "--users", "2", "--run-time", "60s"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            for _ in range(100):  # until locust has measured a few seconds (at most ~30 s)
                if history.is_file() and history.read_text().count("Aggregated") >= 3:
                    break
                time.sleep(0.3)
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 130, out + err
    data = json.loads((report / "summary.json").read_text())
    assert data["result"] == "interrupted"
    assert data["total"]["requests"] > 0
    assert (report / "report.html").is_file()
    assert "load test interrupted" in out
