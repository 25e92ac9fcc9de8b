"""The built-in ``probe`` provider: real HTTP requests, counting errors and timing them.

A request counts as an error when it cannot connect, times out, or answers 5xx.
Each target (the live entry point, or the canary and stable backends directly) is
probed with its own requests, so their figures never mix.

The requests run on daemon threads: when the analysis loop's deadline abandons a
measurement, nothing waits for them at exit.
"""

from __future__ import annotations

import http.client
import queue
import threading
import time

from shipline import manifest
from shipline.deploy.health import get
from shipline.deploy.providers.base import MeasurementError, Sample, percentile


class ProbeProvider:
    """``requests`` GETs of ``path`` per target, ``concurrency`` at a time."""

    settle = 0.0  # its figures exist as soon as its requests are answered
    sends_requests = True

    def __init__(self, probe: manifest.Probe) -> None:
        self.probe = probe

    def _one(self, url: str) -> tuple[bool, float]:
        start = time.perf_counter()
        try:
            status, _, _ = get(url, timeout=self.probe.timeout)
            ok = status < 500
        except (OSError, http.client.HTTPException):
            ok = False
        return ok, (time.perf_counter() - start) * 1000

    def _all(self, url: str) -> list[tuple[bool, float]]:
        """``requests`` GETs of ``url``, ``concurrency`` at a time."""
        todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        for n in range(self.probe.requests):
            todo.put(n)
        results: list[tuple[bool, float]] = []

        def worker() -> None:
            while True:
                try:
                    todo.get_nowait()
                except queue.Empty:
                    return
                results.append(self._one(url))

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(self.probe.concurrency, self.probe.requests))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results

    def measure(self, targets: dict[str, str]) -> dict[str, Sample]:
        """Figures per target name, from base URLs."""
        out = {}
        for name, base in targets.items():
            if not base.startswith(("http://", "https://")):
                raise MeasurementError(f"cannot probe {base!r}: not an http(s) URL")
            results = self._all(base.rstrip("/") + self.probe.path)
            latencies = [ms for ok, ms in results if ok]
            out[name] = Sample(
                target=name,
                requests=len(results),
                errors=sum(1 for ok, _ in results if not ok),
                p50_ms=percentile(latencies, 0.5),
                p95_ms=percentile(latencies, 0.95),
                p99_ms=percentile(latencies, 0.99),
            )
        return out
