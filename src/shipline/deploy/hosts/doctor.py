"""`shipline doctor` for an environment with ``hosts``: each host checked over SSH."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path

from shipline import manifest
from shipline.deploy.doctor import Check
from shipline.deploy.hosts.fleet import Fleet
from shipline.deploy.hosts.remote import RemoteSlots, remote_router
from shipline.deploy.hosts.ssh import SshError
from shipline.deploy.providers import make_provider
from shipline.deploy.routers.base import RouterError

TOOLS = ("sh", "tar", "setsid", "ps", "awk", "flock")
LISTEN = "0A"


def _listening(proc_net_tcp: str, port: int) -> bool:
    """Whether ``/proc/net/tcp``-style text has a socket listening on ``port``."""
    for row in proc_net_tcp.splitlines():
        fields = row.split()
        if len(fields) > 3 and fields[3] == LISTEN and ":" in fields[1]:
            try:
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    return True
            except ValueError:
                continue
    return False


def _router(member: RemoteSlots, config: manifest.Router) -> Check:
    if config.type == "haproxy":
        path = shlex.quote(member.path(config.admin_socket))
        state = member.connection.run(f'if [ ! -S {path} ]; then echo missing; elif [ -r {path} ] && [ -w {path} ]; then echo ok; else echo denied; ls -l {path}; fi').stdout.decode().split("\n", 1)
        if state[0] == "missing":
            return Check(f"router on {member.host.label}", False, f"no haproxy admin socket at {member.path(config.admin_socket)} on {member.host.label}", "start haproxy there with `stats socket PATH level admin`, or fix deploy.router.admin_socket")
        if state[0] == "denied":
            return Check(f"router on {member.host.label}", False, f"{member.host.user} cannot use the admin socket on {member.host.label}: {state[1].strip()}", f"`stats socket ... mode 660 group GROUP level admin` and add {member.host.user} to GROUP")
    try:
        remote_router(config, member).validate()
    except (RouterError, SshError) as err:
        return Check(f"router on {member.host.label}", False, f"on {member.host.label}: {err}", "fix the router's configuration on the host or deploy.router so they agree")
    return Check(f"router on {member.host.label}", True, f"{config.type} on {member.host.label} answers and is set up for the slots")


def _ports(member: RemoteSlots) -> list[Check]:
    tables = member.connection.run("cat /proc/net/tcp /proc/net/tcp6 2>/dev/null").stdout.decode(errors="replace")
    checks = []
    for color in ("blue", "green"):
        slot = member.config(color)
        subject = f"port {slot.port} ({color} slot) on {member.host.label}"
        if not _listening(tables, slot.port):
            checks.append(Check(subject, True, "free"))
        elif member.running_version(color):
            checks.append(Check(subject, True, f"held by the {color} slot ({member.running_version(color)})"))
        else:
            checks.append(Check(subject, False, "taken by a process that is not this environment's slot", f"stop it on the host, or give the {color} slot another port (deploy.slots.{color}.port)"))
    return checks


def _host(member: RemoteSlots, config: manifest.Router) -> list[Check]:
    subject = f"host {member.host.label}"
    try:
        member.connection.connect()
    except SshError as err:
        fix = (
            f"check host, port and user in the manifest; the key in SHIPLINE_SSH_KEY must be in ~{member.host.user}/.ssh/authorized_keys there, "
            f"and SHIPLINE_SSH_KNOWN_HOSTS must hold its host key (ssh-keyscan -p {member.host.port} {member.host.host})"
        )
        return [Check(subject, False, str(err), fix)]
    user = member.connection.check("id -un").strip()
    missing = member.connection.run(f"for t in {' '.join(TOOLS)}; do command -v $t >/dev/null || echo $t; done").stdout.decode().split()
    checks = [Check(subject, not missing, f"reachable over SSH; logs in as {user}" + (f"; missing: {', '.join(missing)}" if missing else ""), "install them on the host" if missing else "")]
    writable = member.connection.run(f"test -w {shlex.quote(member.dir)} && echo ok").stdout.decode().strip() == "ok"
    checks.append(Check(f"directory on {member.host.label}", writable, member.dir, "" if writable else f"make it writable for {user}, or set hosts[].dir"))
    return checks + [_router(member, config)] + _ports(member)


def host_checks(environment: manifest.Environment, cwd: Path, environ: Mapping[str, str]) -> list[Check]:
    """Every host of the environment, one after the other; the connections close after."""
    fleet = Fleet(environment, cwd, environ, make_provider(environment.deploy.analysis))
    checks = []
    for member in fleet.slots.members:
        checks += _host(member, environment.deploy.router)
    fleet.close()
    return checks
