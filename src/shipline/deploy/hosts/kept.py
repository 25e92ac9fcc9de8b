"""What a run needs from earlier runs, kept on the hosts: a GitHub-hosted runner starts empty.

The state file is written to every host after each save on the runner and read back
from the first host that has it before each load, so the next run (on another runner)
knows which slot is live and can undo an interrupted one. A release counts as kept when
the runner or every host still has it, so a rollback from a fresh runner starts the
previous release from the hosts' copies. Runs take turns through a lock on every host,
besides the runner's own (`shipline.deploy.hosts.lock`).
"""

from __future__ import annotations

import contextlib
import shlex
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from shipline.deploy.hosts.fleet import FleetSlots, _each
from shipline.deploy.hosts.remote import RemoteSlots
from shipline.deploy.hosts.ssh import SshError
from shipline.deploy.releases import ReleaseStore
from shipline.deploy.state import State, StateStore, write_atomically


class HostsStateStore(StateStore):
    """The environment's state on the runner and on every host."""

    def __init__(self, state_dir: Path, environment: str, slots: FleetSlots) -> None:
        super().__init__(state_dir, environment)
        self.slots = slots
        # only the lock's holder writes the runner's copy: a reader (the watchdog, a status) that
        # copied a host's file there could put back the state a save had just replaced on the
        # runner and was still sending to the hosts
        self.locked = False

    def _remote(self, member: RemoteSlots) -> str:
        return shlex.quote(f"{member.dir}/{self.environment}.state.json")

    @contextlib.contextmanager
    def lock(self, timeout: float, operation: str, waiting: Callable[[str], None] = lambda holder: None) -> Iterator[None]:
        """This runner's lock, then the environment's lock on every host (`shipline.deploy.hosts.lock`), within ``timeout`` in all."""
        from shipline.deploy.hosts.lock import hosts_lock

        started = time.monotonic()
        with super().lock(timeout, operation, waiting):
            left = max(0.0, timeout - (time.monotonic() - started))
            with hosts_lock(self.slots.members, self.environment, operation, left, waiting):
                self.locked = True
                try:
                    yield
                finally:
                    self.locked = False

    def load(self) -> State:
        """The first host's copy (the newest any run saved), else the runner's; copied to the runner by the lock's holder only."""
        for member in self.slots.members:
            try:
                text = member.connection.run(f"cat {self._remote(member)} 2>/dev/null").stdout
            except SshError:
                continue
            if text.strip():
                if not self.locked:
                    return self.parse(text.decode("utf-8", errors="replace"), f"{member.host.label}:{member.dir}/{self.environment}.state.json")
                # rewritten only when it changed: its mtime marks the last progress (the watchdog reads it)
                if not self.path.exists() or self.path.read_bytes() != text:
                    self.dir.mkdir(parents=True, exist_ok=True)
                    write_atomically(self.path, text.decode("utf-8", errors="replace"))
                break
        return super().load()

    def save(self, state: State) -> None:
        """On the runner, then on every host; `SshError` only when no host took it."""
        super().save(state)
        data = self.path.read_bytes()

        def upload(member: RemoteSlots) -> None:
            target = self._remote(member)
            member.connection.check(f"cat > {target}.tmp && mv {target}.tmp {target}", input=data)

        results = _each(self.slots.members, upload)
        if all(isinstance(r, BaseException) for r in results):
            raise SshError(f"the deploy state could not be saved on any host: {results[0]}")


class HostsReleases(ReleaseStore):
    """Releases on the runner, or kept on every host."""

    def __init__(self, store: ReleaseStore, slots: FleetSlots):
        super().__init__(store.root, store.source, store.artifact, store.skip)
        self.slots = slots

    def exists(self, version: str) -> bool:
        """On the runner, or on every host."""
        if super().exists(version):
            return True
        found = _each(self.slots.members, lambda m: m.connection.run(f"test -d {shlex.quote(m.release_dir(version))}").returncode == 0)
        return all(r is True for r in found)
