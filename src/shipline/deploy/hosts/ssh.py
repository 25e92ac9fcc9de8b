"""The OpenSSH client as shipline's transport to a host.

One master connection per host (``ControlMaster``) carries every command, upload and
forward of a run, so each costs a round trip, not a handshake. The private key and
the known-hosts entries come from the environment (CI secrets) and are written to a
private directory only for the run (`rundir`), never to argv or a log. Host keys are always
checked (``StrictHostKeyChecking=yes``): an unknown host is refused, never trusted on
first use.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from shipline import processes
from shipline.deploy.hosts import rundir
from shipline.deploy.hosts.shell import RemoteShell, ShellLost, ShellTimeout, carries
from shipline.errors import InputError, ToolError

KEY_ENV = "SHIPLINE_SSH_KEY"
KNOWN_HOSTS_ENV = "SHIPLINE_SSH_KNOWN_HOSTS"
# a file to append one JSON line per round trip to a host (what, when, how long): where a run's time goes
TRACE_ENV = "SHIPLINE_SSH_TRACE"
CONNECT_TIMEOUT = 10
COMMAND_TIMEOUT = 300
# an orphaned master (its deploy was killed) closes itself after this many idle seconds
PERSIST = 30


class SshError(ToolError):
    """A host could not be reached, or a command on it failed (exit 3 when nothing handles it)."""

    def __init__(self, message: str):
        super().__init__("ssh", message)
        self.detail = message

    def __str__(self) -> str:
        return self.detail


@dataclass(frozen=True)
class Endpoint:
    """Where to log in: ``user@host:port``, with the name messages use."""

    host: str
    user: str
    port: int = 22
    name: str = ""

    @property
    def label(self) -> str:
        """``name (user@host:port)``, or just the address."""
        address = f"{self.user}@{self.host}:{self.port}"
        return f"{self.name} ({address})" if self.name and self.name != self.host else address


@dataclass(frozen=True)
class Credentials:
    """The private key and known-hosts text, from secrets."""

    key: str
    known_hosts: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Credentials:
        """``$SHIPLINE_SSH_KEY`` and ``$SHIPLINE_SSH_KNOWN_HOSTS``; raises `InputError` naming what is missing."""
        missing = [name for name in (KEY_ENV, KNOWN_HOSTS_ENV) if not environ.get(name, "").strip()]
        if missing:
            raise InputError(f"{' and '.join(missing)} not set: give the deploy key and the hosts' known_hosts lines as secrets")
        return cls(environ[KEY_ENV], environ[KNOWN_HOSTS_ENV])


class Keyring:
    """The credentials as files only this user can read, for as long as the run lasts (see `rundir`)."""

    def __init__(self, credentials: Credentials, runtime_dir: str | None = None):
        self.dir = rundir.make(runtime_dir)
        self.key = self.dir / "key"
        self.known_hosts = self.dir / "known_hosts"
        for path, text in ((self.key, credentials.key), (self.known_hosts, credentials.known_hosts)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text.strip() + "\n")

    def close(self) -> None:
        """Remove the key from disk."""
        shutil.rmtree(self.dir, ignore_errors=True)


class Connection:
    """One host over one multiplexed OpenSSH connection."""

    def __init__(self, endpoint: Endpoint, keyring: Keyring, ssh: str = "ssh", trace: Path | None = None):
        self.endpoint = endpoint
        self.keyring = keyring
        self.ssh = ssh
        self.control = keyring.dir / f"{endpoint.host}-{endpoint.port}.ctl"
        self.open = False
        self.trace = trace
        self._shell: RemoteShell | None = None
        self._shell_lock = threading.Lock()
        self._shell_failed = False

    @contextlib.contextmanager
    def timed(self, what: str) -> Iterator[None]:
        """Time one round trip to the host into the trace file, when there is one."""
        if self.trace is None:
            yield
            return
        start, clock = time.time(), time.perf_counter()
        try:
            yield
        finally:
            line = json.dumps({"host": self.endpoint.name or self.endpoint.host, "what": what[:120], "start": round(start, 4), "seconds": round(time.perf_counter() - clock, 4)})
            with open(self.trace, "a", encoding="utf-8") as f:  # one short write per line: lines of parallel hosts do not mix
                f.write(line + "\n")

    def _options(self) -> list[str]:
        return [
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=yes",
            "-o", f"UserKnownHostsFile={self.keyring.known_hosts}",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", f"IdentityFile={self.keyring.key}",
            "-o", "IdentitiesOnly=yes",
            "-o", f"ConnectTimeout={CONNECT_TIMEOUT}",
            "-o", "ServerAliveInterval=5",
            "-o", "ServerAliveCountMax=3",
            "-o", "LogLevel=ERROR",
            "-o", f"ControlPath={self.control}",
            "-p", str(self.endpoint.port),
            "-l", self.endpoint.user,
        ]  # fmt: skip

    def _ssh(self, args: list[str], input: bytes | None = None, timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess[bytes]:
        argv = [self.ssh, *self._options(), *args]
        try:
            with self.timed(" ".join(args[-1:] if args[-2:-1] == ["--"] else args)):
                if input is None:
                    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
                return subprocess.run(argv, input=input, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise SshError(f"{self.endpoint.label}: no answer within {timeout:g}s") from None
        except FileNotFoundError:
            raise SshError(f"the OpenSSH client ({self.ssh}) is not installed on this runner") from None

    def connect(self) -> None:
        """Open the master connection; raises `SshError` saying why the host cannot be reached."""
        if self.open:
            return
        done = self._ssh(["-M", "-f", "-N", "-o", "ControlMaster=yes", "-o", f"ControlPersist={PERSIST}", self.endpoint.host], timeout=CONNECT_TIMEOUT + 10)
        if done.returncode != 0:
            raise SshError(f"cannot reach {self.endpoint.label}: {_last_line(done.stderr) or f'ssh exited {done.returncode}'}")
        self.open = True

    def _idle_shell(self) -> RemoteShell | None:
        """The host's shell, started on first use and locked for the caller; None while another thread uses it or when it cannot start."""
        with self._shell_lock:
            if self._shell is None or not self._shell.alive:
                if self._shell_failed:
                    return None
                errors = self.keyring.dir / f"{self.endpoint.host}-{self.endpoint.port}.shell.err"
                try:
                    with self.timed("shell: start"):
                        self._shell = RemoteShell([self.ssh, *self._options(), self.endpoint.host, "--", "exec sh"], errors, CONNECT_TIMEOUT + 10)
                except (ShellLost, OSError):
                    self._shell_failed = True  # this host's commands open a session each, as they always can
                    return None
            return self._shell if self._shell.lock.acquire(blocking=False) else None

    def run(self, command: str, input: bytes | None = None, timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess[bytes]:
        """Run a shell command on the host; its exit code, output and errors, as ssh hands them back.

        Through the host's running shell when it is free and the input fits in a request; else in a session of its own.
        """
        self.connect()
        shell = self._idle_shell() if carries(input) else None
        if shell is not None:
            try:
                with self.timed(f"shell: {command}"):
                    return shell.run(command, input, timeout)
            except ShellTimeout:
                raise SshError(f"{self.endpoint.label}: no answer within {timeout:g}s") from None
            except ShellLost as err:
                raise SshError(f"lost {self.endpoint.label}: {err}") from None
            finally:
                shell.lock.release()
        # in sh, as through the shell: a command behaves the same whichever way it went
        done = self._ssh([self.endpoint.host, "--", f"exec sh -c {shlex.quote(command)}"], input=input, timeout=timeout)
        if done.returncode == 255:  # ssh's own failure, not the command's
            self.open = False
            raise SshError(f"lost {self.endpoint.label}: {_last_line(done.stderr) or 'ssh exited 255'}")
        return done

    def spawn(self, command: str) -> subprocess.Popen[bytes]:
        """Start a shell command on the host that lives as long as its stdin stays open (pipes for stdin, stdout and stderr)."""
        self.connect()
        argv = [self.ssh, *self._options(), self.endpoint.host, "--", command]
        try:
            return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except FileNotFoundError:
            raise SshError(f"the OpenSSH client ({self.ssh}) is not installed on this runner") from None

    def check(self, command: str, input: bytes | None = None, timeout: float = COMMAND_TIMEOUT) -> str:
        """Run ``command``; its output, or `SshError` with its last line of errors."""
        done = self.run(command, input, timeout)
        if done.returncode != 0:
            raise SshError(f"{self.endpoint.label}: `{command[:80]}` exited {done.returncode}: {_last_line(done.stderr) or _last_line(done.stdout)}")
        return done.stdout.decode(errors="replace")

    def upload(self, local: Path, remote: str) -> bool:
        """Copy directory ``local`` to ``remote`` on the host (parents made), complete or not at all; False when it was there already."""
        target = shlex.quote(remote)
        partial = shlex.quote(f"{remote}.partial")
        script = (
            f"if [ -d {target} ]; then cat >/dev/null; echo kept; exit 0; fi; "
            f"rm -rf {partial} && mkdir -p {partial} && tar -C {partial} -xf - && mv {partial} {target} && echo uploaded"
        )
        # a kept release (a rollback, a slot started again on the way back) is found in one round trip, not sent to be dropped
        if self.run(f"test -d {target}").returncode == 0:
            return False
        if not local.is_dir():  # this runner no longer has it (a fresh one): the host's kept copy was the release
            raise SshError(f"{self.endpoint.label}: {remote} is not there, and this runner has no copy of it at {local}")
        archive = subprocess.run(["tar", "-C", str(local), "-cf", "-", "."], capture_output=True, check=False)
        if archive.returncode != 0:
            raise SshError(f"cannot pack {local}: {_last_line(archive.stderr)}")
        return self.check(script, input=archive.stdout).strip() == "uploaded"

    def _forward(self, spec: str) -> subprocess.CompletedProcess[bytes]:
        self.connect()
        return self._ssh(["-O", "forward", "-L", spec, self.endpoint.host], timeout=CONNECT_TIMEOUT)

    def forward_port(self, host: str, port: int) -> int:
        """A loopback port on this runner that reaches ``host:port`` as seen from the host."""
        for _ in range(3):  # OpenSSH cannot pick the local port itself; another process may take ours first
            local = processes.free_port()
            done = self._forward(f"127.0.0.1:{local}:{host}:{port}")
            if done.returncode == 0:
                return local
        raise SshError(f"{self.endpoint.label}: cannot forward a local port to {host}:{port}: {_last_line(done.stderr)}")

    def forward_socket(self, remote: str) -> Path:
        """A Unix socket on this runner that reaches the socket ``remote`` on the host."""
        local = self.keyring.dir / f"{self.endpoint.host}-{self.endpoint.port}-{len(list(self.keyring.dir.glob('*.sock')))}.sock"
        done = self._forward(f"{local}:{remote}")
        if done.returncode != 0:
            raise SshError(f"{self.endpoint.label}: cannot forward to the socket {remote}: {_last_line(done.stderr)}")
        return local

    def close(self) -> None:
        """Close the host's shell, the master connection and its forwards."""
        with self._shell_lock:
            if self._shell is not None:
                self._shell.close()
                self._shell = None
        if self.open:
            self._ssh(["-O", "exit", self.endpoint.host], timeout=CONNECT_TIMEOUT)
            self.open = False


def _last_line(data: bytes) -> str:
    lines = [ln for ln in data.decode(errors="replace").splitlines() if ln.strip()]
    return lines[-1].strip() if lines else ""
