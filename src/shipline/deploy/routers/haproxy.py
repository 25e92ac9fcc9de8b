"""haproxy: weights through the runtime API on the admin socket; no reload, no dropped request.

The backend must list one server per slot (``server blue 127.0.0.1:8001 weight 100``);
`validate` checks their ports against the manifest's slots.

Weights set on the runtime API live only in the running haproxy. With
``server_state_file`` (the file haproxy's ``server-state-file`` names, loaded through
``load-server-state-from-file global``), every change is followed by a dump of
``show servers state`` into it, so a restart or reload comes back with the weights
shipline last set instead of the config's.
"""

from __future__ import annotations

import socket

from shipline import manifest
from shipline.deploy.routers.base import RouterConfigError, RouterError, SlotView, all_to, raise_first
from shipline.deploy.state import write_atomically

TIMEOUT = 5.0


class HaproxyRouter:
    """A backend's blue and green servers, weighted through ``set server ... weight``."""

    def __init__(self, config: manifest.HaproxyRouter, slots: SlotView) -> None:
        self.config = config
        self.slots = slots
        self.socket_path = str(slots.cwd / config.admin_socket)
        self.state_file = slots.cwd / config.server_state_file if config.server_state_file else None

    def _command(self, line: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(TIMEOUT)
            sock.connect(self.socket_path)
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode(errors="replace").strip()

    def _servers(self) -> dict[str, dict[str, str]]:
        """``show servers state BACKEND`` as {server name: {column: value}}."""
        try:
            text = self._command(f"show servers state {self.config.backend}")
        except OSError as err:
            raise RouterConfigError(f"cannot talk to haproxy on its admin socket {self.socket_path}: {err}") from None
        lines = text.splitlines()
        header = next((ln[2:].split() for ln in lines if ln.startswith("# ")), None)
        if header is None:
            raise RouterConfigError(f'haproxy has no backend "{self.config.backend}": {text[:200]}')
        rows = [dict(zip(header, ln.split())) for ln in lines if ln and not ln.startswith("#") and len(ln.split()) > 3]
        return {row["srv_name"]: row for row in rows}

    def validate(self) -> None:
        """The socket answers, the backend has both servers, and they point at the slots' ports."""
        servers = self._servers()
        for color, name in self.config.servers.items():
            row = servers.get(name)
            if row is None:
                known = ", ".join(sorted(servers)) or "(none)"
                raise RouterConfigError(f'haproxy backend "{self.config.backend}" has no server "{name}" for the {color} slot; it has: {known}')
            port = self.slots.config(color).port
            if row.get("srv_port") != str(port):
                raise RouterConfigError(f'haproxy server {self.config.backend}/{name} listens on port {row.get("srv_port")}, but the {color} slot is on port {port}')

    def current(self) -> dict[str, int] | None:
        """The servers' weights, 0 for one in maintenance."""
        servers = self._servers()
        weights: dict[str, int] = {}
        for color, name in self.config.servers.items():
            row = servers.get(name)
            if row is None:
                return None
            weights[color] = 0 if row.get("srv_admin_state", "0") != "0" else int(row.get("srv_uweight", "0"))
        return weights

    def _set(self, lines: list[str]) -> None:
        """``lines`` in order over one connection (haproxy's interactive mode), each sent once the one
        before it was accepted: the first refusal stops the batch, so a weight is never lowered after
        the raise before it failed."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(TIMEOUT)
                sock.connect(self.socket_path)
                sock.sendall(b"prompt\n")
                _answer(sock)
                for n, line in enumerate(lines):
                    sock.sendall(line.encode() + b"\n")
                    answer = _answer(sock)
                    if answer:  # haproxy answers a successful `set server` with an empty line
                        rest = "; ".join(lines[n + 1 :])
                        raise RouterError(f"haproxy refused `{line}`: {answer}" + (f" (not sent: {rest})" if rest else ""))
        except OSError as err:
            raise RouterError(f"haproxy admin socket {self.socket_path}: {err}") from None

    def set_weights(self, weights: dict[str, int]) -> None:
        """Raise the new weights first, then lower the others, in one connection; each command takes effect at once."""
        names: dict[str, str] = {color: name for color, name in self.config.servers.items()}
        lines = []
        for color, weight in raise_first(weights):
            server = f"{self.config.backend}/{names[color]}"
            if weight > 0:
                lines.append(f"set server {server} state ready")
            lines.append(f"set server {server} weight {weight}")
        self._set(lines)
        self._save_server_state()

    def _save_server_state(self) -> None:
        """Every backend's servers as haproxy reports them, where its next start reads them."""
        if self.state_file is None:
            return
        try:
            dump = self._command("show servers state")
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.state_file, dump + "\n")
        except OSError as err:
            raise RouterError(f"weights applied, but not saved to server_state_file {self.state_file}: {err}") from None

    def switch(self, color: str) -> None:
        """All traffic to ``color``."""
        self.set_weights(all_to(color))



def _answer(sock: socket.socket) -> str:
    """One answer in haproxy's interactive mode: what comes before the ``> `` prompt that ends it."""
    data = b""
    while not data.endswith(b"\n> "):
        chunk = sock.recv(65536)
        if not chunk:
            raise OSError("haproxy closed the admin socket")
        data += chunk
    return data[:-3].decode(errors="replace").strip()
