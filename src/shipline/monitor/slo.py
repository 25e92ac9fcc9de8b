"""What to watch, per service and environment: where its traffic is counted and the objectives it must meet.

Behind the haproxy router the traffic is read from haproxy's built-in exporter (the
environment's backend); behind any other router from the app's own
``http_requests_total`` (labels service, environment, code). The latency SLO needs a
histogram of request seconds (``monitoring.latency_histogram``); haproxy exports only
an average response time, which drives the immediate latency alert.
"""

from __future__ import annotations

from dataclasses import dataclass

from shipline.manifest import Environment, Manifest, Monitoring, ServiceConfig
from shipline.monitor.promql import haproxy_response_seconds

# The SRE workbook's multiwindow, multi-burn-rate pairs: (long, short, burn rate, kind).
PAGE = ("1h", "5m", 14.4, "page")
TICKET = ("6h", "30m", 6.0, "ticket")
WINDOWS = ("5m", "10m", "30m", "1h", "6h")


@dataclass(frozen=True)
class Watched:
    """One service in one environment, with its objectives and thresholds."""

    service: str
    environment: str
    backend: str | None  # the haproxy backend, or None when the app exports its own counters
    availability: float
    latency: float
    latency_threshold_s: float
    latency_histogram: str | None
    max_error_rate: float
    max_latency_s: float
    warning_error_rate: float

    @property
    def labels(self) -> dict[str, str]:
        """The labels every rule of this pair carries."""
        return {"service": self.service, "environment": self.environment}

    @property
    def key(self) -> str:
        """``service-environment``: names files and rule groups."""
        return f"{self.service}-{self.environment}"

    def _app(self) -> str:
        return f'service="{self.service}",environment="{self.environment}"'

    def requests(self, window: str, errors: bool = False) -> str:
        """Requests (or 5xx answers) per second over ``window``."""
        if self.backend is not None:
            code = ',code="5xx"' if errors else ""
            return f'sum(rate(haproxy_backend_http_responses_total{{proxy="{self.backend}"{code}}}[{window}]))'
        code = ',code=~"5.."' if errors else ""
        return f"sum(rate(http_requests_total{{{self._app()}{code}}}[{window}]))"

    def up(self) -> str:
        """1 while something serves the environment, 0 (or no series) when nothing does."""
        if self.backend is not None:
            return f'max(haproxy_backend_status{{proxy="{self.backend}",state="UP"}})'
        return f"max(up{{{self._app()}}})"

    def latency_average(self) -> str | None:
        """Seconds per request, when the source has such a figure without a histogram."""
        if self.backend is not None:
            return haproxy_response_seconds("backend", f'proxy="{self.backend}"')
        return None

    def latency_p95(self) -> str | None:
        """The p95 in seconds from the histogram, over 5 minutes."""
        if not self.latency_histogram:
            return None
        return f"histogram_quantile(0.95, sum by (le) (rate({self.latency_histogram}_bucket{{{self._app()}}}[5m])))"

    def slow_share(self, window: str) -> str | None:
        """The share of requests slower than the latency threshold, over ``window``."""
        if not self.latency_histogram:
            return None
        h, le = self.latency_histogram, bucket_matcher(self.latency_threshold_s)
        return f'1 - (sum(rate({h}_bucket{{{self._app()},le=~"{le}"}}[{window}])) / sum(rate({h}_count{{{self._app()}}}[{window}])))'


def bucket_matcher(seconds: float) -> str:
    """A regex for the ``le`` label of a bucket bound, however the client spelled it (``3``, ``3.0``, ``0.50``)."""
    whole, _, frac = f"{seconds:.6f}".rstrip("0").partition(".")
    return f"{whole}(\\\\.{frac}0*)" if frac else f"{whole}(\\\\.0*)?"


def watched(manifest: Manifest) -> list[Watched]:
    """Every (service, environment) the manifest deploys, in order."""
    out = []
    for service in manifest.resolved_services():
        for env in service.environments:
            out.append(_watched(service, env, manifest.monitoring))
    return out


def _watched(service: ServiceConfig, env: Environment, monitoring: Monitoring) -> Watched:
    router = env.deploy.router
    analysis = env.deploy.analysis
    return Watched(
        service=service.name,
        environment=env.name,
        backend=router.backend if router.type == "haproxy" else None,
        availability=monitoring.availability,
        latency=monitoring.latency,
        latency_threshold_s=(service.load_test.slo.p95_ms or analysis.max_p95_ms) / 1000,
        latency_histogram=monitoring.latency_histogram,
        max_error_rate=analysis.max_error_rate,
        max_latency_s=analysis.max_p95_ms / 1000,
        warning_error_rate=monitoring.warning_error_rate,
    )
