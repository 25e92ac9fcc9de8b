"""Metric providers: where analysis gets its figures. One Protocol, one registry."""

from __future__ import annotations

from typing import Protocol

from shipline import manifest

from shipline.deploy.providers.base import MeasurementError, Sample
from shipline.deploy.providers.probe import ProbeProvider
from shipline.deploy.providers.prometheus import PrometheusProvider

__all__ = ["PROVIDERS", "MeasurementError", "MetricProvider", "Sample", "make_provider"]


class MetricProvider(Protocol):
    """Measures each target (name -> base URL) once; raises `MeasurementError` when it cannot.

    Built from its manifest section. The analysis loop gives every measurement a
    deadline (see `shipline.deploy.analysis`), so a provider needs none of its own.
    """

    # seconds each measurement waits on purpose before its figures exist (0 for none)
    settle: float
    # whether it measures a target by sending it requests, so that on several hosts each
    # host's copy of the target is measured; False when it reads figures that already cover
    # every host (Prometheus scrapes them all)
    sends_requests: bool

    def __init__(self, settings: manifest.Probe | manifest.PrometheusAnalysis) -> None:
        """``settings``: the manifest's ``analysis.<provider>`` section."""

    def measure(self, targets: dict[str, str]) -> dict[str, Sample]:
        """Figures per target name."""


PROVIDERS: dict[str, type[MetricProvider]] = {"probe": ProbeProvider, "prometheus": PrometheusProvider}


def make_provider(analysis: manifest.Analysis) -> MetricProvider:
    """The provider the manifest's ``analysis.provider`` names, with its settings."""
    settings = analysis.probe if analysis.provider == "probe" else analysis.prometheus
    return PROVIDERS[analysis.provider](settings)
