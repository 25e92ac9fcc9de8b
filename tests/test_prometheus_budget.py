"""A deploy judged by Prometheus is budgeted for its wait and its queries, not for probe requests it never sends."""

from __future__ import annotations

from shipline import manifest
from shipline.generate.budget import budget


def environment(analysis: dict) -> manifest.Environment:
    return manifest.Environment.model_validate(
        {
            "name": "prod",
            "url": "http://127.0.0.1:8080",
            "deploy": {
                "strategy": "canary",
                "canary_steps": [50, 100],
                "router": {"type": "haproxy", "admin_socket": "/tmp/admin.sock"},
                "slots": {"blue": {"port": 8001}, "green": {"port": 8002}},
                "analysis": {"count": 2, "interval": 10, "failure_limit": 0, **analysis},
            },
        }
    )


def test_each_measurement_costs_settle_plus_every_query_timing_out():
    env = environment({"provider": "prometheus", "prometheus": {"settle": "30s", "timeout": "5s"}, "probe": {"requests": 1, "timeout": 1}})
    spent = budget(env.deploy)
    assert spent.measurement == 30 + 2 * 3 * 5  # canary and stable, three figures each (requests, errors, p95)
    assert spent.rollback == env.deploy.health_timeout + (2 * 60 + 10) + 60


def test_the_environment_is_bound_to_its_prometheus_settings():
    env = environment({"provider": "prometheus"})
    assert env.deploy.analysis.prometheus.environment is env
