"""Process groups and signals, shared by every backend that runs something long.

Deploy slots, locust and act each run in a session of their own so that everything
they start can be stopped together (found through /proc, which also tells zombies
from live processes); a cancelled CI job sends SIGTERM, which must stop
them as cleanly as Ctrl-C does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path


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


def proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (state, ppid, pgrp, ...), or None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name is in parentheses and may itself hold spaces and ')'
    return raw[raw.rfind(")") + 2 :].split()


def live_processes() -> Iterator[tuple[int, list[str]]]:
    """Every live process (zombies left out) as (pid, `proc_stat` fields)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = proc_stat(int(entry.name))
            if stat and stat[0] != "Z":
                yield int(entry.name), stat


def group_alive(pgid: int) -> bool:
    """Whether a live process is left in process group ``pgid``."""
    return any(int(stat[2]) == pgid for _, stat in live_processes())


def children(pid: int) -> set[int]:
    """The live processes whose parent is ``pid``."""
    return {child for child, stat in live_processes() if int(stat[1]) == pid}


def stop_group(pgid: int, *, grace: float, reap: Callable[[], None] = lambda: None) -> None:
    """Stop process group ``pgid``: SIGTERM, up to ``grace`` seconds, then SIGKILL.

    ``reap`` lets the caller wait on its own children, so they leave no zombies behind.
    """
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            reap()
            if not group_alive(pgid):
                return
            time.sleep(0.05)
