"""A one-line progress bar for terminals: time, requests and the current rate.

Time moves every half second; requests and rate follow locust's stats history,
which locust flushes to disk every few seconds.
"""

from __future__ import annotations

from typing import TextIO

from shipline.loadtest.runner import Progress

WIDTH = 30


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
        self.stream.write(f"\r[{bar}] {p.elapsed_s:4.0f}s/{p.run_time_s:.0f}s  {p.requests:>9,} requests  {p.rps:8.1f} req/s ")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """Finish the line."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False
