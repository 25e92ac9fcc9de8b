"""The Alertmanager route tree: each severity to the receiver the manifest names; an outage silences the rest."""

from __future__ import annotations

from typing import Any

from shipline.manifest import INCIDENT_SEVERITIES, Monitoring

# How soon and how often each severity is told again: pages fast and often, tickets daily.
TIMING = {
    "P0": ("0s", "1m", "30m"),
    "P1": ("10s", "5m", "1h"),
    "P2": ("30s", "5m", "4h"),
    "P3": ("5m", "30m", "24h"),
    "P4": ("5m", "1h", "72h"),
}


def config(monitoring: Monitoring) -> dict[str, Any]:
    """A complete alertmanager.yml."""
    routes = []
    for severity in INCIDENT_SEVERITIES:
        wait, interval, repeat = TIMING[severity]
        routes.append(
            {
                "matchers": [f'severity="{severity}"'],
                "receiver": monitoring.receivers[severity],
                "group_wait": wait,
                "group_interval": interval,
                "repeat_interval": repeat,
            }
        )
    receivers = []
    for name in dict.fromkeys(monitoring.receivers[s] for s in INCIDENT_SEVERITIES):
        receiver: dict[str, Any] = {"name": name}
        if name in monitoring.webhooks:
            receiver["webhook_configs"] = [{"url": monitoring.webhooks[name], "send_resolved": True}]
        receivers.append(receiver)
    return {
        "route": {
            "receiver": monitoring.receivers["P4"],
            "group_by": ["alertname", "service", "environment"],
            "routes": routes,
        },
        "inhibit_rules": [
            {"source_matchers": ['severity="P0"'], "target_matchers": ['severity=~"P[1-4]"'], "equal": ["service", "environment"]},
        ],
        "receivers": receivers,
    }
