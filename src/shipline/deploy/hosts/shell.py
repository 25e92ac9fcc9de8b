"""One long-lived shell per host: a command costs a round trip on an open channel, not a new SSH session.

Each ``ssh host -- command``, even through the master connection, opens a session:
sshd forks and starts the login's shell, which cost 250-900 ms per command on the
loaded 2-core machine the benchmarks run on, against about 30 ms for the same command
written to a shell that is already running there. The restore path (is the old slot
alive, does it serve) and every save of the deploy state are such commands, so they
go through this shell.

The shell reads its commands from the channel, one request at a time; each command
runs in its own ``sh -c`` with stdin from ``/dev/null`` (or from its input, sent
inside the request), its output and errors to files of a private directory, then one line
``MARK exit-code output-bytes error-bytes`` followed by those bytes comes back.
Requests are sent only after the previous answer, so the shell never reads ahead
into anything meant for a command.

The shell is ``sh``, started by the login's shell, so it has the environment the
login's startup files export (PATH above all) without running them for every
command: a Debian bash started by sshd runs ``~/.bashrc`` each time, which took
270 ms per command on the benchmark machine. Commands sent to a host are POSIX sh.
"""

from __future__ import annotations

import os
import secrets
import select
import shlex
import subprocess
import threading
import time
from pathlib import Path

# input sent inside the request (shell-quoted text); larger or binary input opens its own session
INPUT_MAX = 64 * 1024
SETUP = 'd="${TMPDIR:-/tmp}/shipline-shell.$$"; rm -rf "$d"; mkdir -m 700 "$d" && trap \'rm -rf "$d"\' EXIT && echo "%s ready"\n'


class ShellLost(Exception):
    """The shell stopped answering (the reason); whether the last command ran is unknown."""


class ShellTimeout(ShellLost):
    """No answer within the command's time."""


def carries(input: bytes | None) -> bool:
    """Whether ``input`` can travel inside a request: small UTF-8 text without NUL bytes."""
    if input is None:
        return True
    if len(input) > INPUT_MAX or b"\0" in input:
        return False
    try:
        input.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class RemoteShell:
    """``sh`` on the host, fed requests over one SSH session; one command at a time (`lock`)."""

    def __init__(self, argv: list[str], errors: Path, timeout: float) -> None:
        """Start ``argv`` (ssh ... host -- exec sh) and wait up to ``timeout`` seconds for the shell to be ready."""
        self.mark = f"shipline-{secrets.token_hex(8)}"
        self.lock = threading.Lock()
        self.errors = errors
        with open(errors, "wb") as err:
            self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
        self._buffer = b""
        try:
            self._send((SETUP % self.mark).encode())
            if self._line(time.monotonic() + timeout) != f"{self.mark} ready":
                raise ShellLost("the shell on the host did not start")
        except ShellLost:
            self.close()
            raise

    @property
    def alive(self) -> bool:
        """Whether the session still runs."""
        return self.process.poll() is None

    def run(self, command: str, input: bytes | None, timeout: float) -> subprocess.CompletedProcess[bytes]:
        """Run ``command`` in its own ``sh -c``; its exit code, output and errors. `ShellLost` when no answer comes in ``timeout``."""
        files = '>"$d/o" 2>"$d/e"'
        # new files each time: a process the command left behind writes to its own, not the next command's
        request = 'rm -f "$d/o" "$d/e"; '
        if input is None:
            request += f"sh -c {shlex.quote(command)} </dev/null {files}"
        else:
            request += f"printf %s {shlex.quote(input.decode('utf-8'))} | sh -c {shlex.quote(command)} {files}"
        request += f'; r=$?; echo "{self.mark} $r $(wc -c <"$d/o") $(wc -c <"$d/e")"; cat "$d/o" "$d/e"\n'
        deadline = time.monotonic() + timeout
        try:
            self._send(request.encode())
            fields = self._line(deadline).split()
            if len(fields) != 4 or fields[0] != self.mark or not all(f.isdigit() for f in fields[1:]):
                raise ShellLost(f"unexpected answer from the shell: {' '.join(fields)[:100]}")
            code, out, err = (int(f) for f in fields[1:])
            data = self._exactly(out + err, deadline)
        except ShellLost:
            self.close()
            raise
        return subprocess.CompletedProcess(command, code, data[:out], data[out:])

    def _send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(data)
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            raise ShellLost(self._why()) from None

    def _fill(self, deadline: float) -> None:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise ShellTimeout("no answer in time")
        chunk = os.read(fd, 65536)
        if not chunk:
            raise ShellLost(self._why())
        self._buffer += chunk

    def _line(self, deadline: float) -> str:
        while b"\n" not in self._buffer:
            self._fill(deadline)
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode(errors="replace")

    def _exactly(self, size: int, deadline: float) -> bytes:
        while len(self._buffer) < size:
            self._fill(deadline)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _why(self) -> str:
        try:
            self.process.wait(2)
        except subprocess.TimeoutExpired:
            return "the shell's session closed"
        lines = [ln for ln in self.errors.read_text(errors="replace").splitlines() if ln.strip()]
        return lines[-1].strip() if lines else f"the shell's session ended (ssh exited {self.process.returncode})"

    def close(self) -> None:
        """End the session: the shell reads the end of its input, removes its directory and exits."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            try:
                self.process.stdin.close()
            except OSError:
                pass
        try:
            self.process.wait(2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        if self.process.stdout is not None:
            self.process.stdout.close()
