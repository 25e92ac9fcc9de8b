"""Ctrl-C (or a cancelled CI job's SIGTERM) stops a load test cleanly and still writes what was measured (exit 130).

And however shipline ends, no load keeps running: locust dies with it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from shipline import processes
from tests.loadtest_support import LoadServer

pytestmark = pytest.mark.slow


def start(tmp_path, url: str, *flags: str, ignore_sigint: bool = False, new_session: bool = False) -> subprocess.Popen:
    def prepare() -> None:
        # ignored: as `shipline ... &` in a script starts it; else as a terminal does, whatever this
        # suite inherited (a suite started in the background has SIGINT ignored, and so would shipline)
        signal.signal(signal.SIGINT, signal.SIG_IGN if ignore_sigint else signal.SIG_DFL)

    return subprocess.Popen(
        [sys.executable, "-m", "shipline", "loadtest", "--host", url, "--users", "2", "--run-time", "60s", *flags],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=prepare,
        start_new_session=new_session,
    )


def wait_for_requests(tmp_path, proc: subprocess.Popen) -> None:
    """Until the probe has counted answered requests and written them again (at most ~30 s)."""
    probe = tmp_path / "shipline-loadtest" / "probe.json"
    for _ in range(100):
        try:
            if any(e["requests"] for e in json.loads(probe.read_text())["endpoints"]):
                return
        except (OSError, ValueError, KeyError):
            pass
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.3)
    raise AssertionError("locust never answered")


def descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        kids = processes.children(todo.pop())
        found |= kids
        todo += kids
    return found


@pytest.mark.parametrize(
    ("sig", "ignore_sigint"),
    [(signal.SIGINT, False), (signal.SIGTERM, False), (signal.SIGTERM, True)],
    ids=["ctrl-c", "sigterm", "sigterm-with-sigint-ignored"],
)
def test_a_stop_signal_ends_the_run_and_keeps_every_report(tmp_path, sig, ignore_sigint):
    report = tmp_path / "shipline-loadtest"
    with LoadServer() as server:
        proc = start(tmp_path, server.url, ignore_sigint=ignore_sigint)
        try:
            wait_for_requests(tmp_path, proc)
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 130, out + err
    data = json.loads((report / "summary.json").read_text())
    assert data["result"] == "interrupted" and data["total"]["requests"] > 0
    assert data["partial"] is False  # locust stopped on shipline's SIGINT and wrote its final figures
    assert (report / "report.html").is_file()
    assert "load test interrupted" in out


@pytest.mark.parametrize("count", ["1", "2"], ids=["one-process", "two-processes"])
def test_killing_the_process_group_leaves_no_load_running(tmp_path, count):
    with LoadServer() as server:
        proc = start(tmp_path, server.url, "--processes", count, new_session=True)
        try:
            wait_for_requests(tmp_path, proc)
            locusts = descendants(proc.pid)
            assert len(locusts) >= int(count)
            os.killpg(proc.pid, signal.SIGKILL)  # a CI cancel: shipline gets no chance to stop anything
            proc.communicate(timeout=30)
            for _ in range(100):  # the kernel kills locust with its parent (at most ~10 s)
                alive = [pid for pid in locusts if (info := processes.proc_stat(pid)) is not None and not info.zombie]
                if not alive:
                    break
                time.sleep(0.1)
            assert alive == []
            time.sleep(0.5)  # answers to requests already in flight when locust died may still be counted
            before = server.count
            time.sleep(1)
            assert server.count == before  # nothing loads the target any more
        finally:
            for pid in [proc.pid, *locusts]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, UnboundLocalError):
                    pass


def test_a_locust_killed_mid_run_still_leaves_a_partial_summary(tmp_path):
    with LoadServer() as server:
        proc = start(tmp_path, server.url)
        try:
            wait_for_requests(tmp_path, proc)
            time.sleep(1.5)  # a snapshot or two after the first answers
            for pid in descendants(proc.pid):
                os.kill(pid, signal.SIGKILL)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 1, out + err
    data = json.loads((tmp_path / "shipline-loadtest" / "summary.json").read_text())
    assert data["partial"] is True and data["result"] == "failed" and data["total"]["requests"] > 0
    assert "locust stopped without its final figures" in err
