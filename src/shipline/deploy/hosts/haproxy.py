"""haproxy on a host: its runtime API through a forward of the admin socket, its server-state file on the host.

The weights are set through the forwarded socket as on one machine. With
``server_state_file``, the dump of ``show servers state`` after every change is
written on the host (over the one SSH connection), where that haproxy's next start
reads it, so a host's haproxy restarted after a deploy comes back with the weights
shipline last set.
"""

from __future__ import annotations

import posixpath
import shlex
from typing import TYPE_CHECKING

from shipline import manifest
from shipline.deploy.hosts.ssh import SshError
from shipline.deploy.routers.base import RouterError
from shipline.deploy.routers.haproxy import HaproxyRouter

if TYPE_CHECKING:
    from shipline.deploy.hosts.remote import RemoteSlots


class HostHaproxyRouter(HaproxyRouter):
    """`HaproxyRouter` with its socket forwarded to this runner and its server-state file kept on the host."""

    def __init__(self, config: manifest.HaproxyRouter, slots: RemoteSlots, local_socket: str) -> None:
        self.host_state_file = slots.path(config.server_state_file) if config.server_state_file else None
        super().__init__(config.model_copy(update={"admin_socket": local_socket, "server_state_file": None}), slots)
        self.host = slots

    def _command(self, line: str) -> str:
        with self.host.connection.timed(f"haproxy: {line}"):
            return super()._command(line)

    def _set(self, lines: list[str]) -> None:
        with self.host.connection.timed(f"haproxy: {'; '.join(lines)}"):
            super()._set(lines)

    def _save_server_state(self) -> None:
        """Every backend's servers as haproxy reports them, written atomically to the file on the host."""
        if self.host_state_file is None:
            return
        target = shlex.quote(self.host_state_file)
        where = f"{self.host.host.label}:{self.host_state_file}"
        try:
            dump = self._command("show servers state")
            done = self.host.connection.run(
                f"mkdir -p {shlex.quote(posixpath.dirname(self.host_state_file))} && cat > {target}.tmp && mv {target}.tmp {target}",
                input=(dump + "\n").encode(),
            )
        except (OSError, SshError) as err:
            raise RouterError(f"weights applied, but not saved to server_state_file {where}: {err}") from None
        if done.returncode != 0:
            raise RouterError(f"weights applied, but not saved to server_state_file {where}: {done.stderr.decode(errors='replace').strip()[-300:]}")
