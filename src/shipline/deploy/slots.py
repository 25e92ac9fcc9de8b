"""Blue and green slots: start a version as a daemon, find it again, stop it.

A slot's ``start`` command runs in a new session, so the app outlives the deploy
command (and a deploy killed with SIGKILL); its pid goes into a pid file in the state
dir together with the process start time, so a later run never signals a recycled pid.
Stopping signals the whole process group (a shell and the app it started), or runs the
user's ``stop`` hook instead.

A slot runs inside its release directory with a clean environment: PATH, HOME, LANG
and TZ, then ``deploy.env`` and the names in ``deploy.pass_env``; CI secrets such as
GITHUB_TOKEN never reach it unless the manifest passes them on purpose. A slot is
serving only while its own process group holds the listening socket of its port.
"""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from shipline import manifest, processes
from shipline.deploy.state import now_iso, write_atomically

STOP_GRACE = 10.0
# what every slot and hook inherits from the deploy's own environment
BASE_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME", "SHELL")


def port_holders(port: int, groups: set[int] | None = None) -> list[int]:
    """Pids listening on ``port``; only those in process ``groups`` when given."""
    holders = sorted(processes.listening_pids(port))
    if groups is None:
        return holders
    return [pid for pid in holders if (info := processes.proc_stat(pid)) is not None and info.pgid in groups]


def answers(host: str, port: int) -> bool:
    """Something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _start_ticks(pid: int) -> float | None:
    info = processes.proc_stat(pid)
    return info.started if info else None


def tagged_groups(tag: bytes) -> set[int]:
    """Process groups of live processes whose environment holds ``tag`` (``NAME=value``)."""
    name, _, value = tag.decode().partition("=")
    return {p.pgid for p in processes.live_processes() if (processes.environ(p.pid) or {}).get(name) == value}


@dataclass(frozen=True)
class Daemon:
    """A started slot as its pid file records it."""

    pid: int
    ticks: float | None  # start time (psutil create_time): a pid reused later does not match
    version: str | None
    started: str
    release: str | None = None

    def alive(self) -> bool:
        """The same process (pid and start time) is still there, or its group lives on."""
        if self.ticks is not None and _start_ticks(self.pid) == self.ticks:
            info = processes.proc_stat(self.pid)
            if info and not info.zombie:
                return True
        return processes.group_alive(self.pid)


class SlotError(Exception):
    """A slot's start or stop command failed."""


class SlotSet(Protocol):
    """The blue and green slots as the engine and strategies drive them: `Slots` on this machine, or every host's at once."""

    def config(self, color: str) -> manifest.Slot:
        """The manifest's slot for ``color``."""

    def url(self, color: str) -> str:
        """The slot's own base URL, bypassing the router."""

    def health_url(self, color: str) -> str:
        """The slot's health check URL."""

    def base_env(self) -> dict[str, str]:
        """The environment every slot process and hook starts from."""

    def running_version(self, color: str) -> str | None:
        """The version the slot runs, or None when it is not running."""

    def daemon(self, color: str) -> Daemon | None:
        """The slot's process record, if it has one."""

    def groups(self, color: str) -> set[int]:
        """Live process groups of the slot."""

    def exited(self, color: str) -> int | None:
        """The exit code of a slot this run started once it has exited, else None (also when it cannot be known)."""

    def start(self, color: str, version: str | None, release: Path | None = None) -> None:
        """Start ``version`` on the slot (raises `SlotError`)."""

    def serving_problem(self, color: str) -> str | None:
        """Why the slot cannot be serving, or None."""

    def stop(self, color: str) -> None:
        """Stop the slot."""

    def log_tail(self, color: str, lines: int = 10) -> str:
        """The slot's last log lines."""


class Slots:
    """Starts and stops the blue and green slots of one environment."""

    def __init__(self, deploy: manifest.Deploy, state_dir: Path, environment: str, cwd: Path, environ: Mapping[str, str]):
        self.deploy = deploy
        self.dir = state_dir
        self.environment = environment
        self.cwd = cwd
        self.environ = dict(environ)
        self._children: dict[str, subprocess.Popen[bytes]] = {}

    def config(self, color: str) -> manifest.Slot:
        """The manifest's slot for ``color``."""
        if color not in ("blue", "green"):
            raise ValueError(f"no slot named {color!r}: blue or green")
        return self.deploy.slots.blue if color == "blue" else self.deploy.slots.green

    def url(self, color: str) -> str:
        """The slot's own base URL, bypassing the router."""
        slot = self.config(color)
        return f"http://{slot.host}:{slot.port}"

    def health_url(self, color: str) -> str:
        """Where the slot reports its health."""
        return self.config(color).health_url or self.url(color) + self.deploy.health_path

    def base_env(self) -> dict[str, str]:
        """What every slot and hook gets: the basics, ``deploy.pass_env`` and ``deploy.env``; nothing else of the caller's."""
        env = {k: self.environ[k] for k in (*BASE_ENV, *self.deploy.pass_env) if k in self.environ}
        env.update(self.deploy.env)
        return env

    def env(self, color: str, version: str | None, weight: int | None = None) -> dict[str, str]:
        """The environment of the slot's commands and hooks."""
        env = self.base_env()
        env.update(COLOR=color, PORT=str(self.config(color).port), VERSION=version or "", SHIPLINE_ENVIRONMENT=self.environment)
        if weight is not None:
            env["WEIGHT"] = str(weight)
        return env

    def tag(self, color: str) -> str:
        """``SHIPLINE_SLOT=...`` in a daemon's environment: finds it even when a run was killed before writing its pid file."""
        return f"SHIPLINE_SLOT={self.dir.resolve() / f'{self.environment}.{color}'}"

    def pid_file(self, color: str) -> Path:
        return self.dir / f"{self.environment}.{color}.pid"

    def log_file(self, color: str) -> Path:
        """Where the slot's output goes."""
        return self.dir / f"{self.environment}.{color}.log"

    def daemon(self, color: str) -> Daemon | None:
        """The slot's process as recorded, or None."""
        try:
            return Daemon(**json.loads(self.pid_file(color).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    def running_version(self, color: str) -> str | None:
        """The version the slot runs, when shipline started it and it is still alive."""
        daemon = self.daemon(color)
        return daemon.version if daemon and daemon.alive() else None

    def release(self, color: str) -> str | None:
        """The release directory the slot runs from, when shipline started it and it is alive."""
        daemon = self.daemon(color)
        return daemon.release if daemon and daemon.alive() else None

    def groups(self, color: str) -> set[int]:
        """Process groups of the slot: the recorded daemon's and any tagged with the slot."""
        groups = tagged_groups(self.tag(color).encode())
        daemon = self.daemon(color)
        if daemon and daemon.alive():
            groups.add(daemon.pid)
        return groups

    def serving_problem(self, color: str) -> str | None:
        """None when the slot's own process is alive and holds its listening port; else what is wrong.

        Slots without a start command are not shipline's processes, so only their port is checked.
        """
        slot = self.config(color)
        if not slot.start:
            return None if answers(slot.host, slot.port) else f"nothing listens on {slot.host}:{slot.port}"
        code = self.exited(color)
        if code is not None:
            return f"the {color} slot's process exited with code {code}"
        groups = self.groups(color)
        if not groups:
            return f"the {color} slot's process is not running"
        if not port_holders(slot.port, groups):
            others = port_holders(slot.port)
            held = f"held by pid {', '.join(map(str, others))}, not the slot's process" if others else "not listened on"
            return f"port {slot.port} of the {color} slot is {held}"
        return None

    def start(self, color: str, version: str | None, release: Path | None = None) -> None:
        """Stop whatever runs in the slot, then start ``version`` there as a daemon, inside ``release``.

        Raises `SlotError` when another process already holds the slot's port.
        """
        slot = self.config(color)
        self.stop(color)
        if not slot.start:
            return
        if answers(slot.host, slot.port):
            holders = port_holders(slot.port)
            who = f" (pid {', '.join(map(str, holders))})" if holders else ""
            raise SlotError(f"port {slot.port} on {slot.host} is already taken by another process{who}; the {color} slot cannot listen there")
        self.dir.mkdir(parents=True, exist_ok=True)
        env = self.env(color, version)
        name, value = self.tag(color).split("=", 1)
        env[name] = value
        with open(self.log_file(color), "wb") as log:
            child = subprocess.Popen(  # nosec B602 - the user's own start command from their manifest
                slot.start,
                shell=True,
                cwd=release or self.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._children[color] = child
        record = {"pid": child.pid, "ticks": _start_ticks(child.pid), "version": version, "started": now_iso(), "release": str(release) if release else None}
        write_atomically(self.pid_file(color), json.dumps(record) + "\n")

    def exited(self, color: str) -> int | None:
        """The exit code of a slot this run started, once it has exited (a crash at start)."""
        child = self._children.get(color)
        return child.poll() if child else None

    def stop(self, color: str) -> None:
        """Stop the slot: the user's stop hook, or SIGTERM to its process group (SIGKILL after a grace period)."""
        slot = self.config(color)
        daemon = self.daemon(color)
        if slot.stop:
            version = daemon.version if daemon else None
            done = subprocess.run(slot.stop, shell=True, cwd=self.cwd, env=self.env(color, version), capture_output=True, text=True)  # nosec B602 - the user's own hook from their manifest
            if done.returncode != 0:
                raise SlotError(f"stop hook of the {color} slot exited {done.returncode}: {done.stderr.strip()[-300:]}")
        else:
            for pgid in self.groups(color):
                processes.stop_group(pgid, grace=STOP_GRACE, reap=self._reap)
        child = self._children.pop(color, None)
        if child is not None:
            child.poll()  # reap our own child so it leaves no zombie
        self.pid_file(color).unlink(missing_ok=True)

    def _reap(self) -> None:
        """Wait on the slots this process started itself, so they leave no zombies."""
        for child in self._children.values():
            child.poll()

    def log_tail(self, color: str, lines: int = 10) -> str:
        """The last lines the slot printed, to explain a crash."""
        try:
            text = self.log_file(color).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])
