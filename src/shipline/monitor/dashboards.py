"""Grafana dashboards, one per service, built with Grafana's own SDK (grafana-foundation-sdk).

A row per environment: request rate, error rate and latency per slot (blue/green,
and version where the app labels it), the SLO burn rates the alerts read, and
deploy annotations where the router's weights change.
"""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import common, dashboard, prometheus, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import LegendDisplayMode, LegendPlacement, SortOrder, TooltipDisplayMode
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from shipline.monitor.promql import haproxy_response_seconds
from shipline.monitor.rules import error_ratio, slow_ratio
from shipline.monitor.slo import PAGE, TICKET, Watched

DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")


def _panel(title: str, unit: str, queries: list[tuple[str, str]], description: str = "") -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .title(title)
        .unit(unit)
        .datasource(DATASOURCE)
        .height(8)
        .span(12)
        .line_width(1)
        .fill_opacity(10)
        # blue and green side by side in one tooltip, and a legend that names them
        .tooltip(common.VizTooltipOptions().mode(TooltipDisplayMode.MULTI).sort(SortOrder.DESCENDING))
        .legend(common.VizLegendOptions().display_mode(LegendDisplayMode.LIST).placement(LegendPlacement.BOTTOM).show_legend(True))
    )
    if description:
        panel = panel.description(description)
    for i, (expr, legend) in enumerate(queries):
        panel = panel.with_target(prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(chr(ord("A") + i)))
    return panel


def _slot_panels(w: Watched) -> list[timeseries.Panel]:
    if w.backend is not None:
        sel = f'proxy="{w.backend}"'
        total = f"sum by (server) (rate(haproxy_server_http_responses_total{{{sel}}}[1m]))"
        errors = f'sum by (server) (rate(haproxy_server_http_responses_total{{{sel},code="5xx"}}[1m]))'
        latency = [("1000 * " + haproxy_response_seconds("server", sel, by="server"), "{{server}} average")]
        legend = "{{server}}"
    else:
        sel = f'service="{w.service}",environment="{w.environment}"'
        total = f"sum by (color, version) (rate(http_requests_total{{{sel}}}[1m]))"
        errors = f'sum by (color, version) (rate(http_requests_total{{{sel},code=~"5.."}}[1m]))'
        latency = []
        legend = "{{color}} {{version}}"
    if w.latency_histogram:
        sel = f'service="{w.service}",environment="{w.environment}"'
        latency += [
            (
                f"1000 * histogram_quantile({q}, sum by (le, color, version) (rate({w.latency_histogram}_bucket{{{sel}}}[1m])))",
                f"p{int(q * 100)} {{{{color}}}} {{{{version}}}}",
            )
            for q in (0.5, 0.95, 0.99)
        ]
    panels = [
        _panel(f"{w.environment}: requests per slot", "reqps", [(total, legend)]),
        _panel(f"{w.environment}: error rate per slot", "percentunit", [(f"{errors} / {total}", legend)]),
    ]
    if latency:
        panels.append(
            _panel(f"{w.environment}: latency per slot", "ms", latency, "haproxy exports an average response time; percentiles come from the app's histogram")
        )
    return panels


def _burn_panel(w: Watched) -> timeseries.Panel:
    budget = 1 - w.availability
    queries = [(f"{error_ratio(w, win)} / {budget:.6g}", f"errors {win}") for win in (PAGE[0], PAGE[1], TICKET[0], TICKET[1])]
    if w.latency_histogram:
        queries += [(f"{slow_ratio(w, win)} / {1 - w.latency:.6g}", f"slow {win}") for win in (PAGE[0], PAGE[1])]
    note = f"1 spends the budget exactly over the SLO period; pages above {PAGE[2]:g} (1h and 5m), tickets above {TICKET[2]:g} (6h and 30m)"
    return _panel(f"{w.environment}: SLO burn rate", "none", queries, note)


def _deploys(w: Watched) -> dashboard.AnnotationQuery:
    if w.backend is not None:
        expr = f'changes(haproxy_server_weight{{proxy="{w.backend}"}}[1m]) > 0'
    else:
        expr = f'changes(process_start_time_seconds{{service="{w.service}",environment="{w.environment}"}}[1m]) > 0'
    return dashboard.AnnotationQuery().name(f"Deploys to {w.environment}").datasource(DATASOURCE).enable(True).icon_color("blue").expr(expr)


def build(service: str, watched: list[Watched], header: str) -> dashboard.Dashboard:
    """The dashboard builder for one service's environments."""
    board = (
        dashboard.Dashboard(f"shipline: {service}")
        .uid(f"shipline-{service}"[:40])
        .description(header.lstrip("# ").strip())
        .tags(["shipline", service])
        .refresh("10s")
        .time("now-3h", "now")
        .with_variable(dashboard.DatasourceVariable("datasource").label("Prometheus").type("prometheus"))
    )
    for w in watched:
        board = board.with_row(dashboard.Row(w.environment))
        for panel in [*_slot_panels(w), _burn_panel(w)]:
            board = board.with_panel(panel)
        board = board.annotation(_deploys(w))
    return board


def to_json(board: dashboard.Dashboard) -> str:
    """The dashboard as Grafana imports it."""
    return to_json_model(board.build())


def to_json_model(model: Any) -> str:
    """JSON text of a built dashboard model."""
    return json.dumps(model, cls=JSONEncoder, indent=2, sort_keys=True) + "\n"


def dashboards(watched: list[Watched], header: str) -> dict[str, str]:
    """Service name -> dashboard JSON."""
    services = dict.fromkeys(w.service for w in watched)
    return {s: to_json(build(s, [w for w in watched if w.service == s], header)) for s in services}


def load(text: str) -> Any:
    """A dashboard JSON read back into the SDK's model, its queries typed (Prometheus) rather than opaque."""
    from grafana_foundation_sdk.cog.plugins import register_default_plugins
    from grafana_foundation_sdk.models.dashboard import Dashboard

    register_default_plugins()
    return Dashboard.from_json(json.loads(text))
