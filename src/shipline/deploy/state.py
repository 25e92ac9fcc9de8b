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
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from shipline.errors import InputError, LockTimeout

COLORS = ("blue", "green")
HISTORY_LIMIT = 100
WAIT_NOTICE = 30.0  # seconds between "still waiting for the lock" notices


def other(color: str) -> str:
    """The slot that is not ``color``."""
    return "green" if color == "blue" else "blue"


def now_iso(at: float | None = None) -> str:
    """A UTC timestamp people and JSON tools both read."""
    return datetime.datetime.fromtimestamp(time.time() if at is None else at, datetime.UTC).isoformat(timespec="seconds")


class StateFileError(InputError):
    """The state file cannot be trusted (exit 2, before anything changes)."""


def _expect(where: str, value: Any, kinds: tuple[type, ...], allowed: str) -> Any:
    if not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds:
        raise ValueError(f"{where} is {json.dumps(value)[:60]}, expected {allowed}")
    return value


def _color(where: str, value: Any, optional: bool = True) -> str | None:
    if value is None and optional:
        return None
    if value not in COLORS:
        raise ValueError(f"{where} is {json.dumps(value)[:60]}, expected blue or green" + (" or null" if optional else ""))
    return str(value)


def _text(where: str, value: Any) -> str | None:
    checked: str | None = _expect(where, value, (str, type(None)), "a string or null")
    return checked


@dataclass
class Previous:
    """Where a rollback goes: the slot and version that were live before the current one."""

    color: str
    version: str | None

    @classmethod
    def from_json(cls, data: Any) -> Previous | None:
        """Validated; None stays None."""
        if data is None:
            return None
        _expect("previous", data, (dict,), "an object or null")
        return cls(color=str(_color("previous.color", data.get("color"), optional=False)), version=_text("previous.version", data.get("version")))


PENDING_OPS = ("deploy", "rollback", "retire")


@dataclass
class Pending:
    """The operation in progress: written before it changes the world, cleared when it is done.

    ``op`` is deploy or rollback (interrupted: the next run recovers from it) or retire
    (the old slot, kept for an instant rollback, stops once ``after`` has passed).
    """

    op: str
    color: str
    version: str | None = None
    pid: int | None = None
    started: float | None = None
    phase: str | None = None
    after: float | None = None

    @classmethod
    def from_json(cls, data: Any) -> Pending | None:
        """Validated; None stays None."""
        if data is None:
            return None
        _expect("pending", data, (dict,), "an object or null")
        op = data.get("op")
        if op not in PENDING_OPS:
            raise ValueError(f"pending.op is {json.dumps(op)[:60]}, expected one of {', '.join(PENDING_OPS)}")
        number = (int, float, type(None))
        return cls(
            op=op,
            color=str(_color("pending.color", data.get("color"), optional=False)),
            version=_text("pending.version", data.get("version")),
            pid=_expect("pending.pid", data.get("pid"), (int, type(None)), "a process id or null"),
            started=_expect("pending.started", data.get("started"), number, "a time in seconds or null"),
            phase=_text("pending.phase", data.get("phase")),
            after=_expect("pending.after", data.get("after"), number, "a time in seconds or null"),
        )

    @property
    def interrupted(self) -> bool:
        """A deploy or rollback that did not finish (not a planned retirement)."""
        return self.op in ("deploy", "rollback")

    def describe(self) -> str:
        """For people: what was running, and how far it got."""
        return f"{self.op} of {self.version} (pid {self.pid}, {self.phase})"


HISTORY_FIELDS = ("time", "operation", "version", "color", "strategy", "result", "reason", "started", "active_color", "active_version")


@dataclass(frozen=True)
class HistoryEntry:
    """One deploy, rollback or stop, as the history keeps it."""

    time: str
    operation: str
    version: str | None
    color: str | None
    strategy: str | None
    result: str
    reason: str
    started: str | None  # when the run began (ISO); None when it is not known
    active_color: str | None
    active_version: str | None

    @classmethod
    def from_json(cls, where: str, data: Any) -> HistoryEntry:
        """One entry of a state file (raises ValueError saying which field is wrong); a field left out reads as empty."""
        _expect(where, data, (dict,), "an object")
        text = {key: _text(f"{where}.{key}", data.get(key)) for key in HISTORY_FIELDS if key != "started"}
        started = data.get("started")
        return cls(
            time=text["time"] or "",
            operation=text["operation"] or "",
            version=text["version"],
            color=text["color"],
            strategy=text["strategy"],
            result=text["result"] or "",
            reason=text["reason"] or "",
            started=None if started is None else str(started),
            active_color=text["active_color"],
            active_version=text["active_version"],
        )


def _history(data: Any) -> list[HistoryEntry]:
    _expect("history", data, (list,), "a list")
    return [HistoryEntry.from_json(f"history[{n}]", entry) for n, entry in enumerate(data)]


@dataclass
class State:
    """What shipline knows about one environment."""

    environment: str
    active: str | None = None
    version: str | None = None
    previous: Previous | None = None
    pending: Pending | None = None
    history: list[HistoryEntry] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: Any, environment: str) -> State:
        """Read a state file's content, validating every field (raises ValueError saying which); unknown keys are ignored."""
        _expect("the file", data, (dict,), "a JSON object")
        return cls(
            environment=environment,
            active=_color("active", data.get("active")),
            version=_text("version", data.get("version")),
            previous=Previous.from_json(data.get("previous")),
            pending=Pending.from_json(data.get("pending")),
            history=_history(data.get("history", [])),
        )

    def to_json(self) -> dict[str, Any]:
        """The file's content."""
        data = asdict(self)
        if self.pending is not None:
            data["pending"] = {k: v for k, v in data["pending"].items() if v is not None}
        return data

    def record(
        self,
        *,
        operation: str,
        result: str,
        reason: str,
        version: str | None = None,
        color: str | None = None,
        strategy: str | None = None,
        started: str | None = None,
        active_color: str | None = None,
        active_version: str | None = None,
    ) -> None:
        """Append a deployment to the history, stamped with the time now."""
        entry = HistoryEntry(now_iso(), operation, version, color, strategy, result, reason, started, active_color, active_version)
        self.history.append(entry)
        del self.history[:-HISTORY_LIMIT]

    @property
    def last(self) -> HistoryEntry | None:
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


def describe_holder(info: object) -> str:
    """``pid 42 on runner-2 (deploy v2, since ...)``, from the record a lock's holder writes."""
    if not isinstance(info, dict) or not info:
        return "an unknown process"
    return f"pid {info.get('pid')} on {info.get('host')} ({info.get('operation')}, since {info.get('since')})"


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
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return State(self.environment)
        except OSError as err:
            raise StateFileError(f"{self.path}: cannot read the deploy state: {err.strerror}") from None
        return self.parse(text, str(self.path))

    def parse(self, text: str, where: str) -> State:
        """The state in ``text``, read from ``where``; `StateFileError` naming it when it is corrupt."""
        try:
            return State.from_json(json.loads(text), self.environment)
        except ValueError as err:  # JSONDecodeError is a ValueError
            what = "empty" if not text.strip() else str(err)
            raise StateFileError(
                f"{where}: the deploy state of environment {self.environment!r} is corrupt ({what}); nothing was changed. "
                "Restore it from a backup, or move it away to start over (shipline then knows of no live version)"
            ) from None

    def save(self, state: State) -> None:
        """Write the state atomically (temp file, fsync, rename)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, json.dumps(state.to_json(), indent=2, sort_keys=True) + "\n")

    def holder(self) -> str:
        """Who holds the lock, as the holder wrote it into the lock file."""
        try:
            info = json.loads(self.lock_path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            info = {}
        return describe_holder(info)

    @contextlib.contextmanager
    def lock(self, timeout: float, operation: str, waiting: Callable[[str], None] = lambda holder: None) -> Iterator[None]:
        """Hold the environment's lock; wait up to ``timeout`` seconds, then raise `LockTimeout` naming the holder.

        ``waiting`` hears whom the run waits for, at once and every `WAIT_NOTICE` seconds.
        ``flock`` is released by the kernel when its holder dies, even by SIGKILL, so a
        killed deploy never leaves the environment locked.
        """
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + timeout
            notice = time.monotonic()
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= notice:
                        waiting(self.holder())
                        notice = time.monotonic() + WAIT_NOTICE
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
