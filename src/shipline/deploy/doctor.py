"""`shipline doctor`: can this runner deploy this environment? Each check says what to change.

On a runner next to the router (``runs_on``, or the demo's one machine): the user the
deploy runs as, the state and releases directories, the router's socket, file or hooks
and their permissions, and the slots' ports (free, or held by the slot itself). For an
environment with ``hosts``: the same per host, over SSH, after checking each host is
reachable with the key and known-hosts lines from the secrets.
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import socket
import stat
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from shipline import manifest, processes
from shipline.deploy.paths import DeployPaths
from shipline.deploy.routers import make_router
from shipline.deploy.routers.base import RouterError
from shipline.deploy.slots import Slots, answers, port_holders


@dataclass(frozen=True)
class Check:
    """One thing checked: what, whether it is fine, what was found, and what to change when it is not."""

    subject: str
    ok: bool
    detail: str
    fix: str = ""

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--format json``."""
        return asdict(self)


def _user() -> str:
    return pwd.getpwuid(os.getuid()).pw_name


def _owner(path: Path) -> str:
    st = path.stat()
    try:
        user = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        user = str(st.st_uid)
    try:
        import grp

        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    return f"mode {stat.S_IMODE(st.st_mode):04o}, owner {user}:{group}"


def check_dir(subject: str, path: Path, setting: str) -> Check:
    """A directory the deploy writes: there and writable, or creatable."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if os.access(existing, os.W_OK | os.X_OK) and existing.is_dir():
        found = f"{path} ({_owner(path)})" if existing == path else f"{path} (will be created under {existing})"
        return Check(subject, True, found)
    return Check(subject, False, f"{existing} is not writable by {_user()} ({_owner(existing)})", f"make it writable for {_user()} (chown) or set deploy.{setting} to a directory it owns")


def _haproxy_socket(socket_path: Path) -> Check | None:
    if not socket_path.exists():
        return Check("router", False, f"no haproxy admin socket at {socket_path}", f"is haproxy running with `stats socket {socket_path} level admin` in its global section?")
    if not stat.S_ISSOCK(socket_path.stat().st_mode):
        return Check("router", False, f"{socket_path} is not a socket", "point deploy.router.admin_socket at haproxy's `stats socket`")
    if not os.access(socket_path, os.R_OK | os.W_OK):
        return Check(
            "router",
            False,
            f"{_user()} cannot use the admin socket {socket_path} ({_owner(socket_path)})",
            f"give the socket a group {_user()} is in: `stats socket {socket_path} mode 660 group GROUP level admin`, then add {_user()} to GROUP",
        )
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.settimeout(2)
            probe.connect(str(socket_path))
        except ConnectionRefusedError:
            return Check("router", False, f"nothing answers on the admin socket {socket_path}: haproxy is not running (the file is left from a stopped one)", "start haproxy (systemctl start haproxy)")
        except OSError:
            return None  # the router's own validation says what is wrong
    return None


def _hook_problem(command: str | None, cwd: Path) -> str | None:
    if not command:
        return None
    program = shlex.split(command)[0] if command.strip() else ""
    if "/" in program:
        path = cwd / program
        if not path.exists():
            return f"{program} does not exist (relative to {cwd})"
        if not os.access(path, os.X_OK):
            return f"{program} is not executable (chmod +x {program})"
        return None
    return None if shutil.which(program) else f"{program} is not on PATH"


def check_router(environment: manifest.Environment, slots: Slots, cwd: Path) -> Check:
    """The router's socket, file or hooks, reachable and set up for the slots."""
    config = environment.deploy.router
    if config.type == "haproxy":
        problem = _haproxy_socket(cwd / config.admin_socket)
        if problem:
            return problem
    if config.type == "command":
        for name in ("switch", "set_weights"):
            hook = _hook_problem(getattr(config, name, None), cwd)
            if hook:
                return Check("router", False, f"the {name} hook: {hook}", "fix the command in deploy.router")
    if config.type == "nginx":
        target = cwd / config.upstream_file
        where = target if target.exists() else target.parent
        if not os.access(where, os.W_OK):
            return Check("router", False, f"{_user()} cannot write the upstream file {target} ({_owner(where)})", f"make {where} writable for {_user()}, or run the deploy as the user that owns it")
    try:
        make_router(config, slots).validate()
    except RouterError as err:
        return Check("router", False, f"{config.type}: {err}", "fix the router's configuration or deploy.router so they agree")
    return Check("router", True, f"{config.type} answers and is set up for the blue and green slots")


def check_ports(slots: Slots) -> list[Check]:
    """Each slot's port: free, or held by that slot's own process."""
    checks = []
    for color in ("blue", "green"):
        slot = slots.config(color)
        subject = f"port {slot.port} ({color} slot)"
        holders = port_holders(slot.port)
        if not holders and not answers(slot.host, slot.port):
            checks.append(Check(subject, True, "free"))
            continue
        own = port_holders(slot.port, slots.groups(color))
        if own:
            checks.append(Check(subject, True, f"held by the {color} slot (pid {', '.join(map(str, own))})"))
            continue
        who = ", ".join(f"pid {p} ({_cmdline(p)})" for p in holders) or "a process this user cannot see"
        checks.append(Check(subject, False, f"taken by {who}, not a slot of environment {slots.environment}", f"stop that process or give the {color} slot another port (deploy.slots.{color}.port)"))
    return checks


def _cmdline(pid: int) -> str:
    return (processes.cmdline(pid) or "?")[:80]


def runner_checks(paths: DeployPaths) -> list[Check]:
    """What every deploy needs on the runner: who it runs as, and where it keeps state and releases."""
    return [
        Check("runner user", True, f"{_user()} (uid {os.getuid()})"),
        check_dir("state directory", paths.state_dir, "state_dir"),
        check_dir("releases directory", paths.releases_dir, "releases_dir"),
    ]


def local_checks(environment: manifest.Environment, paths: DeployPaths, cwd: Path, environ: Mapping[str, str]) -> list[Check]:
    """Everything a deploy on this machine needs."""
    slots = Slots(environment.deploy, paths.state_dir, environment.name, cwd, environ)
    return runner_checks(paths) + [check_router(environment, slots, cwd)] + check_ports(slots)
