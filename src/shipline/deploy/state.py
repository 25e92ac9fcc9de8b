"""Per-environment deploy state: one JSON file, written atomically, under a lock.

The state file says which slot is live and which version it runs, what a deploy in
progress is doing (``pending``), and the history of deployments. A deploy records
``pending`` before it touches a slot or the router, so a run killed at any point
leaves enough behind for the next `deploy` or `rollback` to converge: traffic back on
the last promoted slot, the half-started one stopped.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from shipline.errors import LockTimeout

COLORS = ("blue", "green")
HISTORY_LIMIT = 100


def other(color: str) -> str:
    """The slot that is not ``color``."""
    return "green" if color == "blue" else "blue"


def now_iso(at: float | None = None) -> str:
    """A UTC timestamp people and JSON tools both read."""
    return datetime.datetime.fromtimestamp(time.time() if at is None else at, datetime.UTC).isoformat(timespec="seconds")


@dataclass
class State:
    """What shipline knows about one environment."""

    environment: str
    active: str | None = None
    version: str | None = None
    previous: dict[str, Any] | None = None  # {"color", "version"}: where a rollback goes
    pending: dict[str, Any] | None = None  # the operation in progress, if a run died mid-way
    history: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> State:
        """Read a state file's content; unknown keys are ignored for forward compatibility."""
        known = {k: data[k] for k in ("environment", "active", "version", "previous", "pending", "history") if k in data}
        return cls(**known)

    def record(self, **entry: Any) -> None:
        """Append a deployment to the history (version, time, result, reason...)."""
        self.history.append({"time": now_iso(), **entry})
        del self.history[:-HISTORY_LIMIT]

    @property
    def last(self) -> dict[str, Any] | None:
        """The newest history entry."""
        return self.history[-1] if self.history else None


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that a reader or a crash sees the old or the new file, never half of one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)


class StateStore:
    """The state file and lock file of one environment under ``state_dir``."""

    def __init__(self, state_dir: Path, environment: str):
        self.dir = state_dir
        self.environment = environment
        self.path = state_dir / f"{environment}.json"
        self.lock_path = state_dir / f"{environment}.lock"

    def load(self) -> State:
        """The current state; a fresh one when the environment was never deployed."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return State(self.environment)
        return State.from_json(data)

    def save(self, state: State) -> None:
        """Write the state atomically (temp file, fsync, rename)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, json.dumps(asdict(state), indent=2, sort_keys=True) + "\n")

    def holder(self) -> str:
        """Who holds the lock, as the holder wrote it into the lock file."""
        try:
            info = json.loads(self.lock_path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            info = {}
        if not info:
            return "an unknown process"
        return f"pid {info.get('pid')} on {info.get('host')} ({info.get('operation')}, since {info.get('since')})"

    @contextlib.contextmanager
    def lock(self, timeout: float, operation: str) -> Iterator[None]:
        """Hold the environment's lock; wait up to ``timeout`` seconds, then raise `LockTimeout` naming the holder.

        ``flock`` is released by the kernel when its holder dies, even by SIGKILL, so a
        killed deploy never leaves the environment locked.
        """
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise LockTimeout(
                            f'environment "{self.environment}" is locked by {self.holder()}; gave up after {timeout:g}s '
                            f"(lock_timeout); wait for it to finish and run again"
                        ) from None
                    time.sleep(0.1)
            info = {"pid": os.getpid(), "host": socket.gethostname(), "since": now_iso(), "operation": operation}
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info).encode(), 0)
            try:
                yield
            finally:
                os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
