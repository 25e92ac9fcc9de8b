"""The shapes of the JSON records the load-test probe, the generic locustfile and the reports exchange."""

from __future__ import annotations

from typing import Required, TypedDict


class TallyRecord(TypedDict):
    """One endpoint's counts, as a worker sends them and the probe file holds them."""

    requests: int
    failures: int
    pending: int
    dropped: int
    total_ms: float
    max_ms: float
    histogram: list[list[int]]


class ProcessTimes(TypedDict):
    """CPU, CPU-wait and wall seconds of one load-generating process since the run started."""

    cpu_s: float
    wait_s: float
    wall_s: float


class GeneratorShare(TypedDict):
    """How busy the most loaded load-generating process was, as shares of the run."""

    busy_share: float
    wait_share: float


class Abort(TypedDict):
    """When and why an abort limit stopped the run early."""

    at_s: float
    reason: str
    after_warmup_s: float
    check_interval_s: float


class EndpointRecord(TypedDict, total=False):
    """One manifest endpoint as the generic locustfile reads it (only ``path`` is required)."""

    path: Required[str]
    name: str
    method: str
    weight: int
    headers: dict[str, str]
    body: str | None
    expect_status: list[int]


class ProbeConfig(TypedDict):
    """What the probe inside locust reads: where to write, which limits abort the run, who its parent is."""

    out: str
    parent_pid: int
    abort_limits: dict[str, float]
    delay_abort_s: float
    check_interval_s: float
