"""Real Prometheus and haproxy (with its built-in exporter) on 127.0.0.1, and bounded load through haproxy."""

from __future__ import annotations

import contextlib
import http.client
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shipline import processes
from tests.deploy_support import Proxy, Site, _listening, kill_groups, start_haproxy, wait_until
from tests.helpers import free_port

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"


def start_haproxy_with_exporter(tmp: Path, blue: int, green: int) -> Proxy:
    """haproxy like the deploy tests' (backend "app", blue 100, green 0) plus its Prometheus exporter on a port of its own."""
    metrics = free_port()
    exporter = f"frontend metrics\n    bind 127.0.0.1:{metrics}\n    http-request use-service prometheus-exporter if {{ path /metrics }}\n"
    proxy = start_haproxy(tmp, blue, green, extra=exporter)
    wait_until(lambda: _listening(metrics), what="haproxy's exporter")
    proxy.files["metrics_port"] = metrics
    return proxy


@dataclass
class Prometheus:
    """A Prometheus server scraping ``targets`` every second."""

    url: str
    process: subprocess.Popen

    def stop(self) -> None:
        """Stop the server and wait for it."""
        processes.stop_group(self.process.pid, grace=10, reap=self.process.poll)
        self.process.wait(5)

    def scraped(self, query: str) -> bool:
        """Whether an instant query returns at least one series."""
        try:
            with urllib.request.urlopen(f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": query}), timeout=2) as resp:
                return b'"result":[]' not in resp.read()
        except OSError:
            return False


def start_prometheus(tmp: Path, targets: list[str]) -> Prometheus:
    """Prometheus on a free loopback port, 1 s scrapes of ``targets`` (host:port), its data under ``tmp``."""
    config = tmp / "prometheus.yml"
    listed = ", ".join(f'"{t}"' for t in targets)
    config.write_text(
        f"global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: haproxy\n    static_configs:\n      - targets: [{listed}]\n"
    )
    return run_prometheus(tmp, config)


def run_prometheus(tmp: Path, config: Path) -> Prometheus:
    """Prometheus with ``config`` on a free loopback port, once it has scraped something."""
    port = free_port()
    proc = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=open(tmp / "prometheus.log", "wb"),
        start_new_session=True,
    )
    server = Prometheus(f"http://127.0.0.1:{port}", proc)
    try:
        wait_until(lambda: server.scraped("up == 1"), timeout=20, what="Prometheus scraping")
    except AssertionError:
        server.stop()
        raise AssertionError(f"Prometheus did not scrape: {(tmp / 'prometheus.log').read_text()[-2000:]}") from None
    return server


class Load:
    """GETs through the entry point on fresh connections from one thread, until stopped (bounded in count and time)."""

    def __init__(self, port: int, max_requests: int = 20_000, max_seconds: float = 90, pause: float = 0.005):
        self.port, self.max_requests, self.max_seconds, self.pause = port, max_requests, max_seconds, pause
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        while not self._stop.is_set() and self.sent < self.max_requests and time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn.request("GET", "/")
                conn.getresponse().read()
            conn.close()
            self.sent += 1
            time.sleep(self.pause)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


@contextlib.contextmanager
def monitored_site(tmp: Path) -> Iterator[tuple[Site, Prometheus]]:
    """A deploy Site behind haproxy with its exporter, and Prometheus scraping it; all stopped after."""
    tmp.mkdir(parents=True, exist_ok=True)
    blue, green = free_port(), free_port()
    proxy = start_haproxy_with_exporter(tmp, blue, green)
    site = Site(tmp, proxy, blue, green)
    site.faults({})
    prometheus = None
    try:
        prometheus = start_prometheus(tmp, [f"127.0.0.1:{proxy.files['metrics_port']}"])
        yield site, prometheus
    finally:
        started = site.slot_pids() if site.state_dir.exists() else []
        if prometheus is not None and prometheus.process.poll() is None:
            prometheus.stop()
        proxy.stop()
        kill_groups(started)
