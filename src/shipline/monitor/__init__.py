"""Monitoring from the manifest's SLOs: Prometheus rules and their tests, Alertmanager routes, Grafana dashboards, scrape config."""
