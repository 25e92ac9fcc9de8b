"""Process groups and signals, shared by every backend that runs something long.

Deploy slots, locust and act each run in a session of their own so that everything
they start can be stopped together (found through psutil, on Linux and macOS alike,
which also tells zombies from live processes); a cancelled CI job sends SIGTERM,
which must stop them as cleanly as Ctrl-C does.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil


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

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@dataclass(frozen=True)
class ProcessInfo:
    """What shipline needs to know of one process."""

    pid: int
    ppid: int
    pgid: int
    zombie: bool
    started: float  # seconds since the epoch: with the pid, tells a process from a later one


def _info(process: psutil.Process) -> ProcessInfo | None:
    try:
        with process.oneshot():
            return ProcessInfo(process.pid, process.ppid(), os.getpgid(process.pid), process.status() == psutil.STATUS_ZOMBIE, process.create_time())
    except (psutil.Error, OSError):
        return None


def proc_stat(pid: int) -> ProcessInfo | None:
    """The process ``pid``, or None when there is none."""
    try:
        return _info(psutil.Process(pid))
    except psutil.Error:
        return None


def live_processes() -> Iterator[ProcessInfo]:
    """Every live process (zombies left out)."""
    for process in psutil.process_iter():
        info = _info(process)
        if info is not None and not info.zombie:
            yield info


def environ(pid: int) -> dict[str, str] | None:
    """The environment ``pid`` started with, or None when it cannot be read (gone, or not ours)."""
    try:
        environment: dict[str, str] = psutil.Process(pid).environ()
        return environment
    except (psutil.Error, OSError):
        return None


def cmdline(pid: int) -> str | None:
    """The command line of ``pid`` as one string, or None."""
    try:
        return " ".join(psutil.Process(pid).cmdline())
    except (psutil.Error, OSError):
        return None


def listening_ports(pid: int) -> set[int]:
    """TCP ports process ``pid`` holds a listening socket on (inherited ones too, as nginx workers do)."""
    try:
        connections = psutil.Process(pid).net_connections(kind="tcp")
    except (psutil.Error, OSError):
        return set()
    return {c.laddr.port for c in connections if c.status == psutil.CONN_LISTEN and c.laddr}


EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
FREE_PORT_SPAN = 16384  # how far below the ephemeral range a free port is looked for
_PORT_PICKS = random.SystemRandom()  # the OS's randomness: a seeded `random` would give two runs the same ports


def _ephemeral_start() -> int:
    """The first port the kernel hands to outgoing connections (Linux's setting, else IANA's 49152)."""
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 49152


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now, below the ephemeral range.

    The kernel's own pick (bind to port 0) comes from the range it also hands to
    outgoing connections, so on a busy machine a connection can take the port before
    whoever asked for it binds it. Below that range only a listener can.
    """
    start = _ephemeral_start()
    low = max(1024, start - FREE_PORT_SPAN)
    for _ in range(200):
        port = _PORT_PICKS.randrange(low, start)
        if _bindable(port):
            return port
    with socket.socket() as s:  # a span this full is unheard of: the kernel's pick then
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening_pids(port: int) -> set[int]:
    """Pids holding a listening TCP socket on ``port`` (any address) in this network namespace."""
    return {c.pid for c in psutil.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid}


def cpu_and_wait_seconds() -> tuple[float, float]:
    """(seconds on a CPU, seconds waiting for one) of this process so far.

    The wait (time runnable but not running: a starved load generator) has no psutil
    reading; Linux's schedstat gives it, elsewhere it reads 0.
    """
    try:
        on_cpu, waiting, _ = Path("/proc/self/schedstat").read_text().split()
        return int(on_cpu) / 1e9, int(waiting) / 1e9
    except (OSError, ValueError):
        return time.process_time(), 0.0


def group_alive(pgid: int) -> bool:
    """Whether a live process is left in process group ``pgid``."""
    return any(p.pgid == pgid for p in live_processes())


def children(pid: int) -> set[int]:
    """The live processes whose parent is ``pid``."""
    return {p.pid for p in live_processes() if p.ppid == pid}


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
