"""Progress while locust runs: a bar redrawn in place on a terminal, a line every few seconds in CI logs.

Both read the probe's snapshot, which it rewrites once a second: requests so far,
the rate, errors and the p95 so far.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from shipline.loadtest.gates import fmt_ms, fmt_share
from shipline.loadtest.runner import Progress

WIDTH = 30
LINE_EVERY_S = 5.0  # in CI logs


def _figures(p: Progress) -> str:
    errors = fmt_share(p.failures / p.requests) if p.requests else "0%"
    p95 = fmt_ms(p.p95_ms) if p.p95_ms is not None else "-"
    return f"{p.requests:,} requests, {p.rps:.1f} req/s, errors {errors}, p95 {p95}"


class ProgressBar:
    """Redraws one line in place; `close` ends it so later output starts on a new line."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.drawn = False

    def update(self, p: Progress) -> None:
        """Draw ``p`` over the previous line."""
        done = min(1.0, p.elapsed_s / p.run_time_s) if p.run_time_s else 1.0
        filled = int(done * WIDTH)
        bar = "#" * filled + "-" * (WIDTH - filled)
        self.stream.write(f"\r[{bar}] {p.elapsed_s:4.0f}s/{p.run_time_s:.0f}s  {_figures(p)} ")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """Finish the line."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


class ProgressLines:
    """One log line every `LINE_EVERY_S` seconds, for logs that are not a terminal."""

    def __init__(self, emit: Callable[[str], None], every_s: float = LINE_EVERY_S):
        self.emit, self.every_s = emit, every_s
        self.next_at = every_s

    def update(self, p: Progress) -> None:
        """Write a line when the next one is due."""
        if p.elapsed_s < self.next_at:
            return
        self.next_at = p.elapsed_s + self.every_s
        self.emit(f"progress {p.elapsed_s:.0f}s/{p.run_time_s:.0f}s: {_figures(p)}")

    def close(self) -> None:
        """Nothing to finish: every line is whole."""


def progress_display(stream: TextIO, text: bool, emit: Callable[[str], None]) -> ProgressBar | ProgressLines | None:
    """The bar on a terminal, lines in a log; nothing when the output is JSON."""
    if not text:
        return None
    return ProgressBar(stream) if stream.isatty() else ProgressLines(emit)
