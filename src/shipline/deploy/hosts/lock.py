"""The deploy lock on every host: two runners deploying one environment to the same hosts take turns.

The runner's own lock (`StateStore.lock`) only keeps runs on one runner apart; two CI
jobs on two runners meet only on the hosts. So before anything changes, a run takes
``ENV.lock`` in ``host.dir`` on every host, in one order (by address) so two runs never
hold one host each. A host's lock is a ``flock`` held by a shell on the host for as long
as the run's SSH session to it lasts (over the master connection): when the run ends,
even by SIGKILL, its end of the session closes and the host's kernel releases the lock.
The holder is recorded beside it (``ENV.lock.owner``: the shell's pid, then the run's
pid, runner, operation and start), and a waiter names it. A runner that vanished
without closing its session (a dead network) stops its heartbeat: once the owner file
has not been touched for `STALE_AFTER` seconds, the next run ends that shell and takes
the lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shlex
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator

from shipline.deploy.hosts.remote import RemoteSlots
from shipline.deploy.hosts.ssh import CONNECT_TIMEOUT, SshError
from shipline.deploy.state import WAIT_NOTICE, describe_holder, now_iso
from shipline import validation
from shipline.errors import LockTimeout

HEARTBEAT = 5.0  # seconds between signs of life from the holder
STALE_AFTER = 60.0  # seconds without one before a waiter takes the lock over
POLL = 1.0
CLOSE_WAIT = 10.0


class HostLockError(Exception):
    """The lock file on a host cannot be taken: a tool missing, a directory not writable."""


def _script(path: str, owner: str, stale_after: float) -> str:
    """Take the flock on ``path`` or say who holds it; once taken, touch the owner file per line read, until stdin ends."""
    lock, record = shlex.quote(path), shlex.quote(f"{path}.owner")
    return (
        'command -v flock >/dev/null || { echo "flock (util-linux) is not installed" >&2; exit 72; }; '
        f'lock={lock}; owner={record}; mkdir -p "$(dirname "$lock")" && exec 9>>"$lock" || exit 70; '
        "if ! flock -n 9; then "
        'age=$(( $(date +%s) - $(stat -c %Y "$owner" 2>/dev/null || date +%s) )); holder=$(head -n 1 "$owner" 2>/dev/null); '
        f'if [ "$age" -gt {int(stale_after)} ] && [ -n "$holder" ]; then kill -KILL "$holder" 2>/dev/null; flock -w 5 9 && echo "stale $age" || {{ echo "busy $age"; tail -n +2 "$owner"; exit 0; }}; '
        'else echo "busy $age"; tail -n +2 "$owner" 2>/dev/null; exit 0; fi; fi; '
        f'{{ echo $$; printf "%s\\n" {shlex.quote(owner)}; }} > "$owner.tmp" && mv "$owner.tmp" "$owner" && echo locked || exit 71; '
        'while IFS= read -r _; do touch "$owner"; done; rm -f "$owner"'
    )


def describe(owner: str) -> str:
    """``pid 42 on runner-2 (deploy v2, since ...)``, as the runner's own lock names its holder."""
    try:
        return describe_holder(json.loads(owner))
    except ValueError:
        return describe_holder(None)


class HostLock:
    """The lock of one environment on one host."""

    def __init__(self, member: RemoteSlots, stale_after: float = STALE_AFTER) -> None:
        self.member = member
        self.label = member.host.label
        self.stale_after = stale_after
        self.process: subprocess.Popen[bytes] | None = None

    def take(self, owner: str) -> str | None:
        """Take the lock now if it is free (or stale); None when taken, else who holds it."""
        path = f"{self.member.dir}/{self.member.environment}.lock"
        process = self.member.connection.spawn(_script(path, owner, self.stale_after))
        out = _read_until(process, b"locked\n", time.monotonic() + CONNECT_TIMEOUT + 10)
        lines = out.decode(errors="replace").splitlines()
        if lines and lines[-1] == "locked":
            self.process = process  # after "stale AGE" when a silent holder was ended first
            return None
        _, err = _finish(process)
        if lines and lines[0].startswith("busy"):
            return describe("\n".join(lines[1:]))
        detail = err.decode(errors="replace").strip()[-300:] or f"exit {process.returncode}"
        if process.returncode == 255:  # ssh's own failure: the host, not the lock
            raise SshError(f"lost {self.label}: {detail}")
        raise HostLockError(f"cannot take the deploy lock in {path} on {self.label}: {detail}")

    def beat(self) -> None:
        """A sign of life: the holder on the host touches the owner file."""
        if self.process is not None and self.process.stdin is not None:
            with contextlib.suppress(OSError, ValueError):
                self.process.stdin.write(b"\n")
                self.process.stdin.flush()

    def release(self) -> None:
        """End the session that holds the lock: the shell on the host removes the owner file and exits."""
        if self.process is not None:
            _finish(self.process)
            self.process = None


def _read_until(process: subprocess.Popen[bytes], marker: bytes, deadline: float) -> bytes:
    """What the process printed until ``marker``, its end, or ``deadline``."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    out = b""
    while marker not in out and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        out += chunk
    return out


def _finish(process: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    """Close the process's stdin and collect what is left of its output; killed if it does not end."""
    try:
        return process.communicate(timeout=CLOSE_WAIT)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()


@contextlib.contextmanager
def hosts_lock(members: list[RemoteSlots], environment: str, operation: str, timeout: float, waiting: Callable[[str], None]) -> Iterator[list[HostLock]]:
    """Hold ``environment``'s lock on every host; wait up to ``timeout`` seconds in all, then raise `LockTimeout` naming the holder.

    ``waiting`` hears whom the run waits for (and on which host), at once and every `WAIT_NOTICE` seconds.
    An unreachable host stops the run here, named and located in the manifest, before anything changes (exit 2).
    """
    owner = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": now_iso(), "operation": operation})
    locks = [HostLock(m) for m in sorted(members, key=lambda m: (m.host.host, m.host.port))]
    deadline = time.monotonic() + timeout
    notice = time.monotonic()
    held: list[HostLock] = []
    stop = threading.Event()
    # beating from the start: a host's lock must not look silent while the run waits for the next host's
    threading.Thread(target=_heartbeat, args=(held, stop), daemon=True).start()
    try:
        for lock in locks:
            while True:
                try:
                    holder = lock.take(owner)
                except HostLockError as err:
                    raise validation.error_at(lock.member.host, None, f"{err}; `shipline doctor` checks the host") from None
                except SshError as err:
                    raise validation.error_at(lock.member.host, None, f"host {lock.label} is unreachable, so nothing was changed on any host: {err}") from None
                if holder is None:
                    held.append(lock)
                    break
                if time.monotonic() >= notice:
                    waiting(f"{holder} on host {lock.label}")
                    notice = time.monotonic() + WAIT_NOTICE
                if time.monotonic() >= deadline:
                    raise LockTimeout(
                        f'environment "{environment}" is locked on host {lock.label} by {holder}; gave up after {timeout:g}s '
                        "(lock_timeout); wait for it to finish and run again"
                    )
                time.sleep(POLL)
        yield held
    finally:
        stop.set()
        for lock in held:
            lock.release()


def _heartbeat(held: list[HostLock], stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT):
        for lock in list(held):
            lock.beat()
