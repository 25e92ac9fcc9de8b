"""The leftover-process guard sees only what this run started, so two suites can share a machine."""

from __future__ import annotations

import os
import subprocess
import sys

from tests import conftest


def _sleeper(env):
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], env=env)


def test_guard_sees_a_process_this_run_started(tmp_path):
    proc = _sleeper(dict(os.environ))
    try:
        assert proc.pid in conftest._our_processes("/nonexistent/")
    finally:
        proc.kill()
        proc.wait()


def test_guard_ignores_a_process_another_run_started():
    env = {k: v for k, v in os.environ.items() if k != "SHIPLINE_TEST_RUN"}
    env["SHIPLINE_TEST_RUN"] = "another-suite"
    proc = _sleeper(env)
    try:
        assert proc.pid not in conftest._our_processes("/nonexistent/")
    finally:
        proc.kill()
        proc.wait()


def test_guard_sees_a_clean_environment_process_in_this_runs_temporary_directory(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", str(tmp_path / "slot")], env={"PATH": os.environ["PATH"]})
    try:
        basetemp = str(tmp_path.parent.parent) + "/"
        assert proc.pid in conftest._our_processes(basetemp)
    finally:
        proc.kill()
        proc.wait()
