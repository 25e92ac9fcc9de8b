"""What each host of an environment holds, read over SSH for `shipline status` and `shipline releases`.

Every host is read at once; one that cannot be reached is reported as such, naming it,
and the others are still read. The state comes from the hosts (the runner may be a
fresh one), as a deploy reads it.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path

from shipline import manifest
from shipline.deploy.hosts.fleet import Fleet, _each
from shipline.deploy.hosts.remote import RemoteSlots, remote_router
from shipline.deploy.hosts.ssh import SshError
from shipline.deploy.inventory import Machine, release_rows, router_weights, slot_table
from shipline.deploy.paths import DeployPaths
from shipline.deploy.providers import make_provider
from shipline.deploy.releases import Release, ReleaseStore
from shipline.deploy.state import State, StateStore


def kept_releases(member: RemoteSlots) -> list[Release]:
    """The complete releases unpacked on the host, oldest first."""
    root = shlex.quote(f"{member.dir}/{member.environment}.releases")
    script = (
        f'cd {root} 2>/dev/null || exit 0; for d in *; do [ -d "$d" ] || continue; case "$d" in *.partial) continue;; esac; echo "$(stat -c %Y "$d") $d"; done'
    )
    releases = []
    for line in member.connection.check(script).splitlines():
        made, _, version = line.partition(" ")
        if version and made.isdigit():
            releases.append(Release(version, Path(member.release_dir(version)), float(made)))
    return sorted(releases, key=lambda r: (r.made, r.version))


def _inspect(member: RemoteSlots, router: manifest.Router, state: State, check: bool) -> Machine:
    try:
        member.connection.connect()
        live = [state.active] if check and state.active else []
        rows = slot_table(member, check=live, check_running=check)
        weights, note = router_weights(lambda: remote_router(router, member))
        releases = release_rows(kept_releases(member), rows, state)
    except SshError as err:
        return Machine(member.host.label, unreachable=str(err))
    return Machine(member.host.label, None, rows, weights, note, releases)


def inspect_hosts(environment: manifest.Environment, cwd: Path, environ: Mapping[str, str], paths: DeployPaths, check: bool) -> tuple[State, list[Machine]]:
    """The environment's state (from the hosts) and what every host holds; ``check``: whether each running slot serves."""
    fleet = Fleet(environment, cwd, environ, make_provider(environment.deploy.analysis))
    try:
        store, _ = fleet.kept(StateStore(paths.state_dir, environment.name), ReleaseStore(paths.releases_dir, cwd, environment.deploy.artifact))
        state = store.load()
        results = _each(fleet.slots.members, lambda m: _inspect(m, environment.deploy.router, state, check))
    finally:
        fleet.close()
    machines = []
    for result in results:
        if isinstance(result, BaseException):
            raise result
        machines.append(result)
    return state, machines
