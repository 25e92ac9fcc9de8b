"""Process groups and SIGTERM, shared by deploy slots, locust and act."""

import os
import signal
import socket
import subprocess
import sys

import pytest

from shipline import processes


def test_stop_group_stops_the_whole_group_and_escalates_to_sigkill():
    # a parent that ignores SIGTERM and a child that ignores it too: only SIGKILL ends them
    child = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
    script = (
        "import signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"c = subprocess.Popen([sys.executable, '-c', {child!r}], stdout=subprocess.PIPE); c.stdout.readline(); "
        "print('ready', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    processes.stop_group(proc.pid, grace=0.3, reap=lambda: proc.poll())
    assert proc.wait(timeout=5) == -signal.SIGKILL
    # nothing of the group runs on (the grandchild may stay a zombie until init reaps it)
    assert not processes.group_alive(proc.pid)


def test_stop_group_of_a_gone_group_returns_at_once():
    proc = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    proc.wait()
    processes.stop_group(proc.pid, grace=5)


def test_sigterm_becomes_keyboard_interrupt_inside_the_block_only():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt):
        with processes.sigterm_as_interrupt():
            os.kill(os.getpid(), signal.SIGTERM)
            signal.pause()
    assert signal.getsignal(signal.SIGTERM) is before


def test_children_and_groups_count_live_processes_not_zombies():
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    try:
        os.waitid(os.P_PID, dead.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped: a zombie
        assert live.pid in processes.children(os.getpid())
        assert dead.pid not in processes.children(os.getpid())
        assert processes.group_alive(live.pid) and not processes.group_alive(dead.pid)
    finally:
        live.kill()
        live.wait()
        dead.wait()


def test_environment_command_line_and_start_time_come_from_psutil():
    script = "import time; print('ready', flush=True); time.sleep(30)"
    proc = subprocess.Popen([sys.executable, "-c", script, "marker-arg"], env={**os.environ, "SHIPLINE_PROBE": "yes"}, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"  # past exec: the environment is the child's own
        assert processes.environ(proc.pid)["SHIPLINE_PROBE"] == "yes"
        assert processes.cmdline(proc.pid).endswith("marker-arg")
        info = processes.proc_stat(proc.pid)
        assert info.ppid == os.getpid() and not info.zombie and info.started == processes.proc_stat(proc.pid).started
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    assert processes.proc_stat(proc.pid) is None and processes.environ(proc.pid) is None


def test_no_module_reads_proc_directly():
    """/proc is Linux's; psutil reads processes on macOS too (processes.py alone reads the one figure psutil lacks, with a fallback)."""
    from pathlib import Path

    src = Path(processes.__file__).parent
    offenders = [str(p.relative_to(src)) for p in src.rglob("*.py") if p.name != "processes.py" and ('"/proc' in p.read_text() or "'/proc" in p.read_text())]
    assert offenders == []


def test_a_free_port_is_below_the_range_outgoing_connections_use():
    # an outgoing connection could take a port from that range before whoever asked for it binds it
    start = processes._ephemeral_start()
    picks = {processes.free_port() for _ in range(20)}
    assert all(max(1024, start - processes.FREE_PORT_SPAN) <= p < start for p in picks), (start, picks)
    assert len(picks) > 1  # spread, so that runs side by side rarely pick the same one
    with socket.socket() as taken:
        port = processes.free_port()
        taken.bind(("127.0.0.1", port))
        taken.listen()
        assert port not in {processes.free_port() for _ in range(50)}
