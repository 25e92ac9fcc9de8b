"""The private directory of one run's SSH key, known-hosts lines and control sockets.

It lives under ``$XDG_RUNTIME_DIR`` when there is one (the user's own tmpfs: the key
never reaches a disk, and the directory goes at logout), else in the temp directory.
The run that made it records itself there (pid, start time and machine) and removes
it at exit; a run killed by SIGKILL cannot, so every run first removes the directories
of runs on this machine that are no longer alive.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
from pathlib import Path

from shipline import processes

PREFIX = "shipline-ssh-"
OWNER = "owner"
# control sockets inside must fit a Unix socket path (108 bytes) with ssh's own suffix
BASE_MAX = 40
SAME_START = 1.0  # seconds: a pid whose process started later than this is another process


def _bases(runtime_dir: str | None) -> list[Path]:
    """Where a run directory may go, the preferred first: short enough, existing and writable."""
    found = []
    for candidate in (runtime_dir, tempfile.gettempdir(), "/tmp"):
        if candidate and len(candidate) <= BASE_MAX and os.path.isdir(candidate) and os.access(candidate, os.W_OK | os.X_OK):
            path = Path(candidate)
            if path not in found:
                found.append(path)
    return found or [Path("/tmp")]


def _abandoned(path: Path) -> bool:
    """Whether ``path`` is this user's run directory and the run that made it is gone."""
    try:
        if path.is_symlink() or not path.is_dir() or path.stat().st_uid != os.getuid():
            return False
        pid, started, machine = (path / OWNER).read_text(encoding="utf-8").split()
        if machine != socket.gethostname():  # a container sharing the directory: its pids are not ours to judge
            return False
        owner = processes.proc_stat(int(pid))
        return owner is None or owner.zombie or abs(owner.started - float(started)) > SAME_START
    except (OSError, ValueError):  # no owner yet (being made), or not a run directory
        return False


def remove_abandoned(runtime_dir: str | None) -> list[Path]:
    """Remove the run directories, and the keys in them, of runs no longer alive; the ones removed."""
    removed = []
    for base in _bases(runtime_dir):
        for path in sorted(base.glob(PREFIX + "*")):
            if _abandoned(path):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def make(runtime_dir: str | None) -> Path:
    """A new run directory (mode 0700) recording this process as its owner; those of dead runs are removed first."""
    remove_abandoned(runtime_dir)
    path = Path(tempfile.mkdtemp(prefix=PREFIX, dir=_bases(runtime_dir)[0]))
    me = processes.proc_stat(os.getpid())
    with contextlib.suppress(OSError):
        (path / OWNER).write_text(f"{os.getpid()} {me.started if me else 0.0} {socket.gethostname()}\n", encoding="utf-8")
    return path
