"""One host's slots and router, driven over SSH.

The host needs only a POSIX shell, ``tar``, ``setsid`` and what the release itself
needs. The release is unpacked under ``host.dir``; a slot runs there in its own session
(``setsid``), its pid, version and release in a pid file beside it. The runner reaches
the slots and haproxy's admin socket through forwards of the one SSH connection, so
health checks, smoke tests, analysis and the router speak to the host as if it were
local, whatever its firewall lets through.
"""

from __future__ import annotations

import http.client
import json
import shlex
import time
from collections.abc import Mapping
from pathlib import Path

from shipline import manifest
from shipline.deploy.health import get
from shipline.deploy.hosts.ssh import Connection, SshError
from shipline.deploy.routers import Router
from shipline.deploy.routers.base import RouterConfigError, RouterError, raise_first
from shipline.deploy.routers.nginx import MARKER, RELOAD_WAIT, NginxRouter
from shipline.deploy.slots import SlotError

STOP_GRACE = 10
# `serving_problem` right after `running_version` (the restore path asks both in a row) takes the
# process lookup running_version just made, when it is at most this old
RECHECK_AFTER = 1.0
# a process group is alive while one of its processes is not a zombie: an exited slot whose
# parent is an init that reaps slowly must not count as running
# a process holds a listening TCP socket: one of its fds is a socket whose inode /proc/net/tcp* lists in state LISTEN (0A);
# a process whose fds this user cannot read counts as not listening, as `processes.listening_ports` has it on one machine
LISTENS = (
    r"""listens() { i=$(for f in /proc/$1/fd/*; do readlink "$f"; done 2>/dev/null | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' '); """
    r"""[ -n "$i" ] && awk -v s=" $i" '$4 == "0A" && index(s, " " $10 " ") { f = 1 } END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null; }; """
)
GROUP_ALIVE = """alive() { ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'; }; """


def _env_prefix(env: Mapping[str, str]) -> str:
    """``env -i`` with exactly ``env``, plus the login's own HOME and PATH unless ``env`` sets them."""
    own = [f'{k}="${k}"' for k in ("HOME", "PATH") if k not in env]
    return " ".join(["env -i", *own, *(shlex.quote(f"{k}={v}") for k, v in sorted(env.items()))])


class RemoteSlots:
    """The blue and green slots of one environment on one host (the `Slots` interface, over SSH)."""

    def __init__(self, deploy: manifest.Deploy, host: manifest.Host, connection: Connection, environment: str, cwd: Path, environ: Mapping[str, str]):
        self.deploy = deploy
        self.host = host
        self.connection = connection
        self.environment = environment
        self.cwd = cwd
        self.environ = dict(environ)
        self._dir: str | None = None
        self._forwards: dict[str, int] = {}
        self._found: dict[str, tuple[float, tuple[int, str, str] | None]] = {}

    @property
    def dir(self) -> str:
        """``host.dir`` as an absolute path on the host (a relative one is under the login's home)."""
        if self._dir is None:
            where = self.host.dir.rstrip("/") or "/"
            self._dir = where if where.startswith("/") else self.connection.check(f"cd && mkdir -p {shlex.quote(where)} && cd {shlex.quote(where)} && pwd").strip()
        return self._dir

    def path(self, name: str) -> str:
        """A path of the manifest (an admin socket, an upload file) on the host: relative ones are under ``host.dir``."""
        return name if name.startswith("/") else f"{self.dir}/{name}"

    # -- what the host sees ---------------------------------------------------------

    def config(self, color: str) -> manifest.Slot:
        """The manifest's slot for ``color``, at the address it has on this host."""
        slot: manifest.Slot = getattr(self.deploy.slots, color)
        return slot.model_copy(update={"host": self.host.address}) if self.host.address else slot

    def _remote(self, name: str) -> str:
        return f"{self.dir}/{self.environment}.{name}"

    def release_dir(self, version: str) -> str:
        """Where ``version`` is unpacked on the host."""
        return f"{self.dir}/{self.environment}.releases/{version}"

    # -- what the runner sees -------------------------------------------------------

    def url(self, color: str) -> str:
        """The slot's base URL from the runner: a forwarded loopback port."""
        if color not in self._forwards:
            slot = self.config(color)
            self._forwards[color] = self.connection.forward_port(slot.host, slot.port)
        return f"http://127.0.0.1:{self._forwards[color]}"

    def color_of(self, url: str) -> str | None:
        """The color whose slot ``url`` (as `url` gave it) reaches; None for any other URL."""
        return next((color for color, port in self._forwards.items() if url == f"http://127.0.0.1:{port}"), None)

    def health_url(self, color: str) -> str:
        """The slot's health URL, through the forward."""
        return self.url(color) + self.deploy.health_path

    def base_env(self) -> dict[str, str]:
        """What every slot and hook gets on the host: ``deploy.pass_env`` and ``deploy.env``, and the host's own PATH."""
        env = {k: self.environ[k] for k in self.deploy.pass_env if k in self.environ}
        env.update(self.deploy.env)
        return env

    def env(self, color: str, version: str | None, weight: int | None = None) -> dict[str, str]:
        """The environment of the slot's commands and hooks on the host."""
        env = self.base_env()
        env.update(
            COLOR=color,
            PORT=str(self.config(color).port),
            VERSION=version or "",
            SHIPLINE_ENVIRONMENT=self.environment,
            SHIPLINE_HOST=self.host.label,
            SLOT_HOST=self.config(color).host,
            SHIPLINE_HOST_DIR=self.dir,
        )
        if weight is not None:
            env["WEIGHT"] = str(weight)
        return env

    # -- processes ------------------------------------------------------------------

    def _daemon(self, color: str) -> tuple[int, str, str] | None:
        """(process group, version, release) of the live slot on the host, or None."""
        pid_file = shlex.quote(self._remote(f"{color}.pid"))
        out = self.connection.run(GROUP_ALIVE + f'read pgid version release < {pid_file} 2>/dev/null && alive "$pgid" && echo "$pgid $version $release"').stdout
        fields = out.decode(errors="replace").split()
        return (int(fields[0]), fields[1], fields[2]) if len(fields) == 3 and fields[0].isdigit() else None

    def _just_found(self, color: str) -> tuple[int, str, str] | None:
        """The lookup `running_version` just made (used once, and only while fresh; no start or stop since), else a new one."""
        found = self._found.pop(color, None)
        if found is not None and time.monotonic() - found[0] < RECHECK_AFTER:
            return found[1]
        return self._daemon(color)

    def running_version(self, color: str) -> str | None:
        """The version the slot runs on the host, when it is alive."""
        daemon = self._daemon(color)
        self._found[color] = (time.monotonic(), daemon)
        return daemon[1] if daemon else None

    def daemon(self, color: str) -> tuple[int, str, str] | None:
        """The slot's process as its pid file on the host records it."""
        return self._daemon(color)

    def groups(self, color: str) -> set[int]:
        """The slot's live process group on the host."""
        daemon = self._daemon(color)
        return {daemon[0]} if daemon else set()

    def exited(self, color: str) -> int | None:
        """Unknown over SSH until the health check gives up: None."""
        return None

    def upload(self, version: str, release: Path) -> bool:
        """The release on the host (sent once; a kept one is reused); True when it was sent now."""
        return self.connection.upload(release, self.release_dir(version))

    def start(self, color: str, version: str | None, release: Path | None = None) -> None:
        """Stop whatever runs in the slot on the host, then start ``version`` there from its uploaded release."""
        slot = self.config(color)
        self.stop(color)
        if not slot.start:
            return
        if version is None or release is None:
            raise SlotError(f"no release to start on {self.host.label}")
        self.upload(version, release)
        where = self.release_dir(version)
        pid_file, log = shlex.quote(self._remote(f"{color}.pid")), shlex.quote(self._remote(f"{color}.log"))
        # a background job of a non-interactive shell is no group leader, so setsid makes $! its own session and group
        script = (
            f"cd {shlex.quote(where)} || exit 1; "
            f"{_env_prefix(self.env(color, version))} setsid sh -c {shlex.quote(slot.start)} > {log} 2>&1 < /dev/null & "
            f'echo "$! {version} {shlex.quote(where)}" > {pid_file}.tmp && mv {pid_file}.tmp {pid_file}'
        )
        done = self.connection.run(script)
        if done.returncode != 0:
            raise SlotError(f"on {self.host.label}: the {color} slot did not start: {done.stderr.decode(errors='replace').strip()[-300:]}")

    def serving_problem(self, color: str) -> str | None:
        """None when the slot's process lives on the host and answers its health check; else what is wrong."""
        slot = self.config(color)
        if slot.start and self._just_found(color) is None:  # that it answers, below, is asked for now
            return f"the {color} slot's process is not running on {self.host.label}"
        try:
            status, _, _ = get(self.health_url(color), timeout=5)
        except (OSError, http.client.HTTPException, SshError) as err:
            return f"the {color} slot on {self.host.label} does not answer: {err}"
        return None if status < 500 else f"the {color} slot on {self.host.label} answers its health check with {status}"

    def stop(self, color: str) -> None:
        """Stop the slot on the host: its stop hook, or SIGTERM to its process group (SIGKILL after a grace period)."""
        try:
            self._stop(color)
        finally:
            self._found.pop(color, None)  # whatever was found alive before may be gone now

    def _stop(self, color: str) -> None:
        slot = self.config(color)
        pid_file = shlex.quote(self._remote(f"{color}.pid"))
        if slot.stop:
            daemon = self._daemon(color)
            done = self.connection.run(f"{_env_prefix(self.env(color, daemon[1] if daemon else None))} sh -c {shlex.quote(slot.stop)}")
            if done.returncode != 0:
                raise SlotError(f"stop hook of the {color} slot on {self.host.label} exited {done.returncode}: {done.stderr.decode(errors='replace').strip()[-300:]}")
        else:
            script = GROUP_ALIVE + (
                # `kill -SIG -PGID` without `--`: dash's kill takes `--` for a pid and signals nothing
                f'if read pgid rest < {pid_file} 2>/dev/null; then kill -TERM "-$pgid" 2>/dev/null; n=0; '
                f'while alive "$pgid" && [ $n -lt {STOP_GRACE * 20} ]; do sleep 0.05; n=$((n+1)); done; '
                f'kill -KILL "-$pgid" 2>/dev/null; fi; rm -f {pid_file}'
            )
            self.connection.check(script)
            return
        self.connection.check(f"rm -f {pid_file}")

    def log_tail(self, color: str, lines: int = 10) -> str:
        """The last lines the slot printed on the host."""
        try:
            return self.connection.run(f"tail -n {lines} {shlex.quote(self._remote(f'{color}.log'))} 2>/dev/null").stdout.decode(errors="replace").strip()
        except SshError:
            return ""


class RemoteCommandRouter:
    """The command router's hooks, run on the host."""

    def __init__(self, config: manifest.CommandRouter, slots: RemoteSlots) -> None:
        self.config = config
        self.slots = slots

    def _run(self, hook: str, name: str, color: str, weight: int) -> None:
        env = self.slots.env(color, self.slots.running_version(color), weight)
        done = self.slots.connection.run(f"{_env_prefix(env)} sh -c {shlex.quote(hook)}")
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).decode(errors="replace").strip()[-300:]
            raise RouterError(f"the {name} hook on {self.slots.host.label} exited {done.returncode} (COLOR={color} WEIGHT={weight}): {detail}")

    def validate(self) -> None:
        """The ``check`` hook, when given, says on the host that the router is up."""
        check = getattr(self.config, "check", None)
        if check:
            env = {**self.slots.base_env(), "SHIPLINE_HOST": self.slots.host.label, "SHIPLINE_HOST_DIR": self.slots.dir}
            done = self.slots.connection.run(f"{_env_prefix(env)} sh -c {shlex.quote(check)}")
            if done.returncode != 0:
                detail = (done.stderr or done.stdout).decode(errors="replace").strip()[-300:]
                raise RouterConfigError(f"the router's check hook exited {done.returncode} on {self.slots.host.label}, so the router is not up: {detail}")

    def current(self) -> dict[str, int] | None:
        """Hooks cannot be asked."""
        return None

    def set_weights(self, weights: dict[str, int]) -> None:
        """The set_weights hook per color, rising weights first; or switch when one color takes everything."""
        if self.config.set_weights:
            for color, weight in raise_first(weights):
                self._run(self.config.set_weights, "set_weights", color, weight)
            return
        full = [c for c, w in weights.items() if w == 100]
        if not full:
            raise RouterError("this command router has no set_weights hook, so it can only switch all traffic")
        self.switch(full[0])

    def switch(self, color: str) -> None:
        """The switch hook."""
        self._run(self.config.switch, "switch", color, 100)


class RemoteNginxRouter:
    """The nginx router on the host: the include file written there, ``nginx -t`` and a graceful reload there."""

    def __init__(self, config: manifest.NginxRouter, slots: RemoteSlots) -> None:
        self.config = config
        self.slots = slots
        self.renderer = NginxRouter(config, slots)  # the include file's text is the same anywhere
        self.file = shlex.quote(slots.path(config.upstream_file))
        self.nginx = shlex.quote(config.nginx) + (f" -c {shlex.quote(slots.path(config.config))}" if config.config else "")

    def validate(self) -> None:
        """nginx is installed on the host and accepts its config."""
        done = self.slots.connection.run(f"{self.nginx} -t -q 2>&1")
        if done.returncode != 0:
            raise RouterConfigError(f"nginx -t fails on {self.slots.host.label}: {done.stdout.decode(errors='replace').strip()[-300:]}")

    def current(self) -> dict[str, int] | None:
        """The weights recorded in the include file on the host."""
        text = self.slots.connection.run(f"cat {self.file} 2>/dev/null").stdout.decode(errors="replace")
        for line in text.splitlines():
            if line.startswith(MARKER):
                return dict(json.loads(line[len(MARKER) :]))
        return None

    def set_weights(self, weights: dict[str, int]) -> None:
        """Write the include on the host, check it and reload; the previous include is put back when nginx refuses."""
        script = (
            f"f={self.file}; [ -f \"$f\" ] && cp -p \"$f\" \"$f.previous\"; cat > \"$f.tmp\" && mv \"$f.tmp\" \"$f\" || exit 5; "
            f"restore() {{ if [ -f \"$f.previous\" ]; then mv \"$f.previous\" \"$f\"; else rm -f \"$f\"; fi; }}; "
            f"{self.nginx} -t -q 2>&1 || {{ restore; exit 3; }}; "
            # the master's workers before the reload: the new config serves once a worker not among them runs
            f"pidf=$({self.nginx} -T 2>/dev/null | sed -n 's/^[[:space:]]*pid[[:space:]][[:space:]]*\\([^;]*\\);.*/\\1/p' | head -n 1); "
            f'm=$(cat "${{pidf:-/run/nginx.pid}}" 2>/dev/null); before=" $(ps -o pid= --ppid "$m" 2>/dev/null | tr -s " \\n" " ") "; '
            f"{self.nginx} -s reload 2>&1 || {{ restore; exit 4; }}; rm -f \"$f.previous\"; "
            # as on one machine: done once a new worker runs and no old one holds a listening socket (old ones
            # keep accepting for a moment), so every request from now on meets the new upstream
            f"{LISTENS}"
            f'n=0; while [ -n "$m" ] && [ $n -lt {int(RELOAD_WAIT * 20)} ]; do new=0; old=0; '
            f'for p in $(ps -o pid= --ppid "$m" 2>/dev/null); do case "$before" in *" $p "*) listens "$p" && old=1;; *) new=1;; esac; done; '
            f'[ $new = 1 ] && [ $old = 0 ] && exit 0; sleep 0.05; n=$((n+1)); done'
        )
        done = self.slots.connection.run(script, input=self.renderer.render(weights).encode())
        if done.returncode != 0:
            what = {3: "nginx -t rejected the new upstream file", 4: "nginx -s reload failed", 5: "the upstream file could not be written"}.get(done.returncode, "the change failed")
            raise RouterError(f"on {self.slots.host.label}: {what} (previous one restored): {done.stdout.decode(errors='replace').strip()[-300:]}")

    def switch(self, color: str) -> None:
        """All traffic to ``color``."""
        self.set_weights({"blue": 100 if color == "blue" else 0, "green": 100 if color == "green" else 0})


def remote_router(config: manifest.Router, slots: RemoteSlots) -> Router:
    """The router of ``config`` on the host: haproxy through a forward of its admin socket, nginx and command hooks over SSH."""
    if config.type == "haproxy":
        try:
            local = slots.connection.forward_socket(slots.path(config.admin_socket))
        except SshError as err:
            raise RouterConfigError(str(err)) from None
        from shipline.deploy.hosts.haproxy import HostHaproxyRouter

        return HostHaproxyRouter(config, slots, str(local))
    if config.type == "command":
        return RemoteCommandRouter(config, slots)
    return RemoteNginxRouter(config, slots)

