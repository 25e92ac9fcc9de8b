"""The Prometheus provider on SSH hosts: queries checked before anything moves, and each target templated
with the color and version of the slot it measures, although the runner reaches that slot through a
forwarded port.

Prometheus scrapes a small exporter of the test's own whose series carry ``color`` and ``version``
labels, so a query templated with the wrong color or an empty version finds no series.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest

from tests.deploy_support import live_versions
from tests.helpers import free_port, run_cli
from tests.prometheus_support import start_prometheus
from tests.ssh_support import fleet

pytestmark = pytest.mark.slow

EXPOSITION = b"""\
# TYPE shipline_test_requests gauge
shipline_test_requests{color="blue",version="v1"} 120
shipline_test_requests{color="green",version="v2"} 80
# TYPE shipline_test_errors gauge
shipline_test_errors{color="blue"} 0
shipline_test_errors{color="green"} 0
"""


class _Exposition(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(EXPOSITION)))
        self.end_headers()
        self.wfile.write(EXPOSITION)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def monitored_hosts(tmp_path) -> Iterator[tuple]:
    """Two SSH hosts with v1 live (deployed with the probe), and Prometheus scraping the test's exporter."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _Exposition)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    (tmp_path / "prom").mkdir()
    prometheus = start_prometheus(tmp_path / "prom", [f"127.0.0.1:{server.server_address[1]}"])
    try:
        with fleet(tmp_path) as hosts:  # tmp_path itself: haproxy's admin socket path must stay short
            hosts.manifest(strategy="canary", canary_hosts=1)
            assert run_cli("deploy", "--env", "prod", "--version", "v1", cwd=hosts.root, env=hosts.env).code == 0
            yield hosts, prometheus
    finally:
        prometheus.stop()
        server.shutdown()
        server.server_close()


def analysis(url: str, requests_query: str) -> dict:
    return {
        "provider": "prometheus",
        "prometheus": {
            "url": url,
            "window": "4s",
            "settle": 0,
            "timeout": 2,
            "metrics": [
                {"name": "requests", "measures": "requests", "query": requests_query},
                {"name": "errors", "measures": "errors", "query": 'sum(shipline_test_errors{color="{{ color }}"})'},
            ],
        },
    }


# finds a series only when templated with the color and version of the slot it measures
LABELLED = 'sum(shipline_test_requests{color="{{ color }}",version="{{ version }}"})'
# valid PromQL that only the server can reject: two series end up with the same labels
DUPLICATE_SERIES = 'sum(label_replace(label_replace(shipline_test_requests, "color", "x", "", ""), "version", "y", "", ""))'


def deploy(hosts, version: str) -> tuple[int, dict, str]:
    result = run_cli("deploy", "--env", "prod", "--version", version, "--format", "json", cwd=hosts.root, env=hosts.env)
    return result.code, (json.loads(result.out) if result.out.strip().startswith("{") else {}), result.err


def test_targets_get_their_slots_color_and_version(monitored_hosts):
    hosts, prometheus = monitored_hosts
    hosts.manifest(strategy="canary", canary_hosts=1, analysis=analysis(prometheus.url, LABELLED))
    code, out, err = deploy(hosts, "v2")
    assert code == 0 and out["result"] == "promoted", err + json.dumps(out, indent=1)
    measured = [e["data"]["samples"] for e in out["timeline"] if e["kind"] == "measurement"]
    assert measured and all(m["canary"]["requests"] == 80 for m in measured), measured
    assert all(m["stable"]["requests"] == 120 for m in measured if "stable" in m), measured
    assert [live_versions(h.proxy.port) for h in hosts.hosts] == [{"v2"}, {"v2"}]


def test_a_rejected_query_stops_the_deploy_first(monitored_hosts):
    hosts, prometheus = monitored_hosts
    hosts.manifest(strategy="canary", canary_hosts=1, analysis=analysis(prometheus.url, DUPLICATE_SERIES))
    code, out, err = deploy(hosts, "v2")
    assert code == 2, err + json.dumps(out, indent=1)
    assert "shipline.yml:" in err and "Prometheus rejected metric" in err and '"requests"' in err
    assert [live_versions(h.proxy.port) for h in hosts.hosts] == [{"v1"}, {"v1"}]
    assert hosts.state()["version"] == "v1" and hosts.state()["pending"] is None
