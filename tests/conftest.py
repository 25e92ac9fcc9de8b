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

# the one shared fake of the GitHub REST API, as the `fake_github` fixture; a monorepo, as `shop`
pytest_plugins = ["tests.fake_github", "tests.monorepo_support"]
# the corpus projects' own tests are data: their pipelines run them
collect_ignore = ["corpus"]

# The unit tests: modules that start no haproxy, nginx, act, semgrep, bandit or locust.
# `scripts/test -m "not slow"` runs only these (under a minute here); every test of any
# other module is marked slow. The whole suite stays the default.
UNIT_MODULES = {
    "test_actiondocs", "test_actions_lint", "test_actions_setup", "test_build", "test_check", "test_cli",
    "test_code_lint", "test_deploy_units", "test_error_formats", "test_generate_entrypoint", "test_generate_files",
    "test_generate_golden", "test_generate_lint", "test_generate_model", "test_generate_overrides", "test_github_comment",
    "test_github_deployments", "test_github_dora", "test_github_errors", "test_github_incidents", "test_hooks_and_scripts",
    "test_init", "test_install", "test_leftover_guard", "test_loadtest_results", "test_manifest", "test_manifest_errors",
    "test_manifest_fuzz", "test_monitor_command", "test_network_guard", "test_packaging", "test_plan", "test_prometheus_budget",
    "test_processes", "test_report",
    "test_scan_units", "test_smoke", "test_testing", "test_types",
}  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test outside `UNIT_MODULES` slow."""
    for item in items:
        if item.module is None or item.module.__name__.rpartition(".")[2] not in UNIT_MODULES:
            item.add_marker(pytest.mark.slow)


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


# Every process this run starts carries this tag in its environment; the leftover guard
# looks only for it (and for this run's temporary directory, which slots started with a
# clean environment still name), so suites running side by side never see each other.
RUN_TAG = f"SHIPLINE_TEST_RUN={os.getpid()}-{time.time_ns()}"
os.environ[RUN_TAG.split("=", 1)[0]] = RUN_TAG.split("=", 1)[1]


def _started_by_this_run(pid: int, basetemp: str) -> str | None:
    """The command line of ``pid`` when this run started it, else None."""
    environ, cmdline = processes.environ(pid), processes.cmdline(pid)
    if environ is None or cmdline is None:
        return None
    name, value = RUN_TAG.split("=", 1)
    ours = environ.get(name) == value or (basetemp and (any(basetemp in v for v in environ.values()) or basetemp in cmdline))
    return cmdline.strip() if ours else None


def _our_processes(basetemp: str) -> dict[int, str]:
    """pid -> command line of every live process this test run started."""
    found = {}
    for process in processes.live_processes():
        if process.pid != os.getpid() and (cmdline := _started_by_this_run(process.pid, basetemp)) is not None:
            found[process.pid] = cmdline
    return found


@pytest.fixture(scope="session", autouse=True)
def no_process_left_behind(tmp_path_factory):
    """Fail the run when a process the tests started outlives them (a leaked slot, proxy worker...)."""
    basetemp = str(tmp_path_factory.getbasetemp()) + "/"
    yield
    deadline = time.monotonic() + 5
    while (left := _our_processes(basetemp)) and time.monotonic() < deadline:
        time.sleep(0.2)
    if left:
        pytest.fail("processes left running after the tests:\n" + "\n".join(f"  {p}: {c}" for p, c in sorted(left.items())))
