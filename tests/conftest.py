"""Fixtures for every test; the network guard is autouse."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import pytest

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
