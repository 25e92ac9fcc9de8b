"""The generated scrape config, haproxy exporter frontend and rules, run for real: haproxy, Prometheus and an app answering half 500s."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.deploy_support import APP, start_haproxy, wait_until
from tests.helpers import free_port, run_cli
from tests.prometheus_support import Load, run_prometheus

pytestmark = pytest.mark.slow


def test_generated_config_scrapes_haproxy_per_server_and_the_error_alert_goes_pending(tmp_path):
    blue, green, exporter = free_port(), free_port(), free_port()
    manifest = {
        "version": 1,
        "project": {"name": "shop", "language": "python"},
        "monitoring": {"haproxy_exporter": f"127.0.0.1:{exporter}", "scrape_interval": "1s", "alertmanager": f"127.0.0.1:{free_port()}"},
        "environments": [
            {
                "name": "prod",
                "url": "http://127.0.0.1:8080",
                "deploy": {
                    "router": {"type": "haproxy", "admin_socket": str(tmp_path / "haproxy.sock")},
                    "slots": {"blue": {"port": blue}, "green": {"port": green}},
                },
            }
        ],
    }
    (tmp_path / "shipline.yml").write_text(json.dumps(manifest))
    assert run_cli("monitor", cwd=tmp_path).code == 0
    out = tmp_path / "monitoring"
    app = subprocess.Popen(
        [sys.executable, str(APP)],
        env={**os.environ, "PORT": str(blue), "VERSION": "v1", "APP_ERROR_SHARE": "0.5"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    proxy = start_haproxy(tmp_path, blue, green, extra=(out / "haproxy-exporter.cfg").read_text())
    prometheus = None
    try:
        prometheus = run_prometheus(tmp_path, out / "prometheus.yml")
        with Load(proxy.port, max_requests=3000, max_seconds=60):
            wait_until(
                lambda: prometheus.scraped('ALERTS{alertname="ShiplineErrorRateHigh",alertstate="pending",severity="P1",environment="prod"}'),
                timeout=40,
                what="the P1 alert",
            )
        assert prometheus.scraped('haproxy_server_http_responses_total{proxy="app",server="blue",code="5xx"} > 0'), "per-server series from the exporter"
        assert prometheus.scraped('haproxy_server_weight{proxy="app",server="green"}'), "the green server too"
        assert prometheus.scraped('shipline:error_ratio:rate5m{service="shop",environment="prod"} > 0.3')
        assert not prometheus.scraped('ALERTS{alertname="ShiplineDown"}'), "blue is up: no outage"
    finally:
        if prometheus is not None:
            prometheus.stop()
        proxy.stop()
        app.terminate()
        app.wait(5)
