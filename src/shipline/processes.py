"""Process groups and signals, shared by every backend that runs something long.

Deploy slots, locust and act each run in a session of their own so that everything
they start can be stopped together; a cancelled CI job sends SIGTERM, which must stop
them as cleanly as Ctrl-C does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM (a cancelled CI job) into KeyboardInterrupt while the block runs.

    The code inside then takes its Ctrl-C path: a deploy puts traffic back, a load test
    writes what it measured. Signal handlers belong to the main thread, so elsewhere
    this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _group_exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_group(
    pgid: int,
    *,
    grace: float,
    alive: Callable[[int], bool] = _group_exists,
    reap: Callable[[], None] = lambda: None,
) -> None:
    """Stop process group ``pgid``: SIGTERM, up to ``grace`` seconds, then SIGKILL.

    ``alive`` tells whether anything is left (the default counts zombies as alive;
    a caller that can see /proc may do better); ``reap`` lets the caller wait on its
    own children so they leave no zombies behind.
    """
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            reap()
            if not alive(pgid):
                return
            time.sleep(0.05)
