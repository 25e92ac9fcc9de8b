"""The ``prometheus`` provider: a canary judged by what real traffic sees, read from Prometheus.

Each measurement runs one instant query per figure (requests, errors, latency) and
target, templated with the environment, the target (canary, stable or live), its color
and haproxy server, the backend and the window. The analysis then judges those figures
like the probe's: absolute thresholds, and canary against stable where the manifest
asks (``relative_p95_factor``); each named metric with a ``success`` condition is
judged by that condition (its value goes in ``Sample.metrics``). ``{{ version }}`` is
the version running on the target's slot.

Each measurement first waits ``settle``, so the scrapes it reads have seen the
traffic since the last weight change (Argo's ``initialDelay``, before every
measurement: a step's weights change right before its first one).

When Prometheus cannot be reached during an analysis, the measurement has no requests
(``Sample.unmeasured`` says why) and is inconclusive, so ``analysis.inconclusive`` decides (rollback by default). A query
Prometheus rejects is an error. `preflight` runs every query once before the deploy
touches anything, so a bad query or an unreachable server stops it as bad input.
"""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from shipline.deploy.providers.base import MeasurementError, Sample
from shipline.errors import InputError, Problem
from shipline.monitor import promql


class Unreachable(Exception):
    """Prometheus did not answer."""


class Rejected(Exception):
    """Prometheus answered that the query is wrong."""


class PrometheusProvider:
    """Figures per target from PromQL instant queries."""

    sends_requests = False  # Prometheus's figures already cover every host it scrapes

    def __init__(self, settings: Any):
        self.settings = settings
        self.environment = settings.environment
        self.base = settings.url.rstrip("/")
        self.settle: float = settings.settle  # waited before every measurement, for the scrapes to see its traffic
        self.versions: dict[str, str] = {}  # color -> the version running on it ({{ version }}), set before each analysis
        self.live_color = ""  # the color the live entry point serves
        self.slot_colors: dict[str, str] = {}  # each slot's URL, as the analysis measures it -> its color; set before each analysis

    # -- talking to Prometheus ------------------------------------------------------

    def query(self, expr: str) -> float | None:
        """The value of an instant query: the sum of its series, None for no series or NaN."""
        url = f"{self.base}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        try:
            with urllib.request.urlopen(url, timeout=self.settings.timeout) as resp:  # nosec B310 - the manifest's own Prometheus URL
                body = json.loads(resp.read())
        except urllib.error.HTTPError as err:
            try:
                detail = json.loads(err.read()).get("error", "")
            except ValueError:
                detail = ""
            if err.code in (400, 422):
                raise Rejected(detail or f"HTTP {err.code}") from None
            raise Unreachable(f"HTTP {err.code} from {self.base}") from None
        except (OSError, ValueError) as err:
            raise Unreachable(f"cannot reach Prometheus at {self.base}: {getattr(err, 'reason', err)}") from None
        result = body.get("data", {}).get("result")
        if body.get("data", {}).get("resultType") == "scalar":
            result = [{"value": result}]
        values = [float(series["value"][1]) for series in result or []]
        values = [v for v in values if not math.isnan(v)]
        return sum(values) if values else None

    # -- templating -----------------------------------------------------------------

    def _color_of(self, url: str) -> str:
        """The color of the slot at ``url`` (as the analysis measures it); "" for the live entry point."""
        return self.slot_colors.get(url, "")

    def variables(self, target: str, color: str) -> dict[str, str]:
        """Template variables for one target."""
        router = self.environment.deploy.router
        servers = getattr(router, "servers", {})
        return {
            "environment": self.environment.name,
            "target": target,
            "color": color,
            "server": servers.get(color, color) if color else "",
            "backend": getattr(router, "backend", getattr(router, "upstream", "")),
            "window": promql.promql_duration(self.settings.window),
            "version": self.versions.get(color or self.live_color, ""),
        }

    def _queries(self, target: str, color: str) -> dict[str, tuple[str, str, str]]:
        templates = promql.queries(self.settings, self.environment.deploy.router.type, live=not color)
        variables = self.variables(target, color)
        figures = {measure: (name, promql.render(query, variables), where) for measure, (name, query, where) in templates.items()}
        return figures | self._conditioned(variables)

    def _conditioned(self, variables: dict[str, str]) -> dict[str, tuple[str, str, str]]:
        """Queries of the metrics that measure no figure but have a success condition, keyed ``metric:NAME``."""
        return {
            f"metric:{m.name}": (m.name, promql.render(m.query, variables), f"metrics.{i}.query")
            for i, m in enumerate(self.settings.metrics)
            if m.success and not m.measures
        }

    # -- the provider ---------------------------------------------------------------

    def measure(self, targets: dict[str, str]) -> dict[str, Sample]:
        """Figures per target name; no requests (so inconclusive) when Prometheus does not answer."""
        time.sleep(self.settings.settle)
        out = {}
        for target, url in targets.items():
            figures: dict[str, float | None] = {}
            try:
                for measure, (name, expr, _) in self._queries(target, self._color_of(url)).items():
                    figures[measure] = self.query(expr)
            except Unreachable as err:
                return {t: Sample(t, 0, 0, None, None, None, unmeasured=f"Prometheus did not answer ({err})") for t in targets}
            except Rejected as err:
                raise MeasurementError(f'Prometheus rejected metric "{name}": {err}') from None
            out[target] = Sample(
                target=target,
                requests=round(figures.get("requests") or 0),
                errors=round(figures.get("errors") or 0),
                p50_ms=figures.get("p50_ms"),
                p95_ms=figures.get("p95_ms"),
                p99_ms=figures.get("p99_ms"),
                metrics={m.name: figures.get(m.measures or f"metric:{m.name}") for m in self.settings.metrics if m.success},
            )
        return out

    def preflight(self) -> None:
        """Run every query once for each target it will judge; an `InputError` located in the manifest otherwise."""
        problems = []
        for target, color in (("canary", "green"), ("stable", "blue"), ("live", "")):
            for measure, (name, expr, where) in self._queries(target, color).items():
                try:
                    self.query(expr)
                except Unreachable as err:
                    file, line, col = self.settings.locate("url")
                    raise InputError(problems=[Problem(file, line, col, f"{err}; start it, or fix analysis.prometheus.url ({self.settings.url})")]) from None
                except Rejected as err:
                    file, line, col = self.settings.locate(where)
                    problems.append(Problem(file, line, col, f'Prometheus rejected metric "{name}" ({measure}) for {target}: {err}; query: {expr}'))
        if problems:
            raise InputError(problems=sorted(set(problems)))


def _prometheus(provider: object) -> PrometheusProvider | None:
    """``provider`` itself, or the one it wraps (on hosts, the fleet's provider wraps the manifest's), when it is Prometheus."""
    inner = getattr(provider, "inner", provider)
    return inner if isinstance(inner, PrometheusProvider) else None


def label_versions(provider: object, versions: dict[str, str], live: str, slot_url: Callable[[str], str]) -> None:
    """Tell a Prometheus provider which version runs on each color (``{{ version }}``), which color is live and
    the URL the analysis measures each color's slot at (``slot_url``: on hosts, a port forwarded to the runner);
    others need nothing."""
    prometheus = _prometheus(provider)
    if prometheus is not None:
        prometheus.versions = {color: version for color, version in versions.items() if color}
        prometheus.live_color = live
        prometheus.slot_colors = {slot_url(color): color for color in ("blue", "green")}


def preflight(provider: object) -> None:
    """Check a Prometheus provider's queries and server before a deploy moves traffic; others need nothing."""
    prometheus = _prometheus(provider)
    if prometheus is not None:
        prometheus.preflight()
