"""Where Prometheus reads from: haproxy's built-in exporter (per backend and per server) and, where needed, the slots."""

from __future__ import annotations

from typing import Any

from shipline.manifest import Manifest
from shipline.monitor.promql import promql_duration

RULES = "rules.yml"


def prometheus_config(manifest: Manifest) -> dict[str, Any]:
    """A prometheus.yml: the rules, the Alertmanager, the haproxy exporter and the app slots that export their own metrics."""
    monitoring = manifest.monitoring
    every = promql_duration(monitoring.scrape_interval)
    jobs: list[dict[str, Any]] = []
    services = manifest.resolved_services()
    if any(env.deploy.router.type == "haproxy" for s in services for env in s.environments):
        jobs.append({"job_name": "shipline-haproxy", "metrics_path": "/metrics", "static_configs": [{"targets": [monitoring.haproxy_exporter]}]})
    slots = []
    for service in services:
        for env in service.environments:
            if env.deploy.router.type == "haproxy" and not monitoring.latency_histogram:
                continue  # haproxy counts this environment's traffic already
            for color in ("blue", "green"):
                slot = getattr(env.deploy.slots, color)
                labels = {"service": service.name, "environment": env.name, "color": color}
                slots.append({"targets": [f"{slot.host}:{slot.port}"], "labels": labels})
    if slots:
        jobs.append({"job_name": "shipline-slots", "metrics_path": "/metrics", "static_configs": slots})
    return {
        "global": {"scrape_interval": every, "evaluation_interval": every},
        "rule_files": [RULES],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [monitoring.alertmanager]}]}]},
        "scrape_configs": jobs,
    }


def haproxy_exporter(manifest: Manifest) -> str | None:
    """The haproxy frontend that serves its Prometheus exporter, for haproxy.cfg; None without an haproxy router."""
    if not any(env.deploy.router.type == "haproxy" for s in manifest.resolved_services() for env in s.environments):
        return None
    return (
        "# Add to haproxy.cfg (haproxy 2.4+ built with USE_PROMEX=1): per-backend and per-server metrics, blue and green.\n"
        "frontend shipline-metrics\n"
        f"    bind {manifest.monitoring.haproxy_exporter}\n"
        "    mode http\n"
        "    no log\n"
        "    http-request use-service prometheus-exporter if { path /metrics }\n"
    )
