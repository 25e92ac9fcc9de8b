"""Hosts for the SSH deploy tests: a real OpenSSH server per host on 127.0.0.1.

Each host is one ``sshd -D -f CONFIG`` on a free loopback port with its own host key
and authorized_keys, a directory of its own (releases, slots, logs) and its own
haproxy. Hosts share the machine's loopback, so each listens on its own address
(127.0.0.2, 127.0.0.3, ...): the same slot ports on every host, as on real servers.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from shipline import processes
from tests.deploy_support import APP, NGINX, Proxy, _listening, slots, start_haproxy, start_nginx, wait_until, write_manifest
from tests.helpers import free_port

SSHD = "/usr/sbin/sshd"


def keygen(path: Path) -> str:
    """A new ed25519 key pair at ``path``; the public key line."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "shipline-test", "-f", str(path)], check=True)
    return path.with_suffix(".pub").read_text().strip()


@dataclass
class Host:
    """One server: its sshd, its directory, the address its slots and haproxy listen on."""

    name: str
    root: Path
    address: str
    ssh_port: int
    process: subprocess.Popen
    known_hosts_line: str
    proxy: Proxy | None = None

    @property
    def dir(self) -> Path:
        """Releases, pid files and slot logs on this host."""
        return self.root / "shipline"

    def manifest_entry(self) -> dict:
        entry = {"name": self.name, "host": "127.0.0.1", "port": self.ssh_port, "user": pwd.getpwuid(os.getuid()).pw_name, "address": self.address, "dir": str(self.dir)}
        if self.proxy is not None:
            entry["url"] = f"http://127.0.0.1:{self.proxy.port}"
        return entry

    def faults(self, faults: dict) -> None:
        """The faults this host's slots read at start ({"v2": {"error_share": 1}})."""
        (self.dir / "faults.json").write_text(json.dumps(faults))

    def slot_groups(self) -> list[int]:
        """Process groups of the slots running on this host, from its pid files."""
        groups = []
        for path in self.dir.glob("*.pid"):
            with contextlib.suppress(ValueError, OSError, IndexError):
                groups.append(int(path.read_text().split()[0]))
        return groups

    def running_versions(self) -> set[str]:
        """VERSION of every live process a slot of this host started (its environment names this host's directory)."""
        versions = set()
        for environ in Path("/proc").glob("[0-9]*/environ"):
            with contextlib.suppress(OSError):
                env = dict(item.split("=", 1) for item in environ.read_bytes().decode(errors="replace").split("\0") if "=" in item)
                if env.get("SHIPLINE_HOST_DIR") == str(self.dir):
                    versions.add(env.get("VERSION", ""))
        return versions

    def stop_slots(self) -> None:
        """Kill the slots running on this host."""
        for pgid in self.slot_groups():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        for path in self.dir.glob("*.pid"):
            path.unlink()

    def stop(self) -> None:
        self.stop_slots()
        if self.proxy is not None:
            self.proxy.stop()
        processes.stop_group(self.process.pid, grace=5, reap=self.process.poll)
        self.process.wait(5)


def start_sshd(root: Path, name: str, address: str, client_public_key: str) -> Host:
    """``sshd -D`` on a free port of 127.0.0.1 with its own host key and authorized_keys, logging to ``root/sshd.log``."""
    root.mkdir(parents=True, exist_ok=True)
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation directory
    host_key = root / "host_key"
    public = keygen(host_key)
    (root / "authorized_keys").write_text(client_public_key + "\n")
    os.chmod(root / "authorized_keys", 0o600)
    port = free_port()
    config = root / "sshd_config"
    config.write_text(textwrap.dedent(f"""\
        Port {port}
        ListenAddress 127.0.0.1
        HostKey {host_key}
        AuthorizedKeysFile {root / "authorized_keys"}
        PidFile {root / "sshd.pid"}
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        UsePAM no
        StrictModes no
        PermitRootLogin prohibit-password
        AllowTcpForwarding yes
        AllowStreamLocalForwarding yes
        MaxSessions 50
        MaxStartups 50
        LogLevel ERROR
        """))
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=open(root / "sshd.log", "ab"), start_new_session=True)
    wait_until(lambda: _answers(port), what=f"sshd of {name}")
    line = f"[127.0.0.1]:{port} {' '.join(public.split()[:2])}"
    return Host(name, root, address, port, proc, line)


def _answers(port: int) -> bool:
    return _listening(port)


def start_host_haproxy(host: Host, blue: int, green: int, port: int | None = None) -> Proxy:
    """haproxy of ``host``: its frontend on a free port of 127.0.0.1 (or ``port``), backend "app" with the host's blue
    (weight 100) and green (0); a restart loads the server-state file "haproxy/servers.state" when it is there."""
    root = host.dir / "haproxy"  # the manifest's admin_socket "haproxy/admin.sock" is relative to the host's dir
    root.mkdir(exist_ok=True)
    host.proxy = start_haproxy(root, blue, green, port, server_state=True, address=host.address, socket_name="admin.sock", state_name="servers.state", retries=False)
    return host.proxy


def start_host_nginx(host: Host, blue: int, green: int) -> Proxy:
    """nginx of ``host``: listening on a free port of 127.0.0.1, upstream "app" in an include file, all traffic on blue."""
    root = host.dir / "nginx"  # the manifest's paths "nginx/..." are relative to the host's dir
    root.mkdir(exist_ok=True)
    host.proxy = start_nginx(root, blue, green, address=host.address)
    host.proxy.router = {"type": "nginx", "upstream_file": "nginx/upstream.conf", "config": "nginx/nginx.conf", "nginx": NGINX}
    return host.proxy


@dataclass
class Fleet:
    """Hosts sharing one deploy key, and a manifest directory on the runner that deploys to them."""

    root: Path
    hosts: list[Host]
    key: Path
    blue: int
    green: int
    env: dict[str, str] = field(default_factory=dict)

    def manifest(self, strategy: str = "blue-green", analysis: dict | None = None, hosts: list[dict] | None = None, **environment) -> None:
        # each host has its own faults file in its directory: the same command reads a different one per host
        start = f'FAULTS_FILE="$SHIPLINE_HOST_DIR/faults.json" exec {sys.executable} {APP}'
        proxy = self.hosts[0].proxy
        deploy = {
            "strategy": strategy,
            "router": proxy.router if proxy and proxy.kind == "nginx" else {"type": "haproxy", "admin_socket": "haproxy/admin.sock"},
            "slots": slots(self.blue, self.green, start),
            "health_timeout": 10,
            "lock_timeout": 1,
            "state_dir": "state",
            "canary_steps": [50, 100],
            "env": {},
            "pass_env": [],
            "analysis": {"interval": 1.0, "count": 2, "max_p95_ms": 1000, "probe": {"requests": 6, "concurrency": 2, "timeout": 2}, **(analysis or {})},
        }
        write_manifest(
            self.root,
            {
                "name": "prod",
                "url": f"http://127.0.0.1:{proxy.port}" if proxy else "http://127.0.0.1:9",
                "hosts": hosts if hosts is not None else [h.manifest_entry() for h in self.hosts],
                **environment,
                "deploy": deploy,
            },
        )

    def state(self) -> dict:
        return json.loads((self.root / "state" / "prod.json").read_text())


@contextlib.contextmanager
def fleet(tmp: Path, count: int = 2, with_haproxy: bool = True, router: str = "haproxy") -> Iterator[Fleet]:
    """``count`` hosts (sshd + haproxy, or nginx, each) and a runner directory ``tmp/runner`` whose secrets reach them; all stopped after."""
    key = tmp / "deploy_key"
    public = keygen(key)
    blue, green = free_port(), free_port()
    hosts: list[Host] = []
    try:
        for n in range(count):
            host = start_sshd(tmp / f"host{n + 1}", f"web{n + 1}", f"127.0.0.{n + 2}", public)
            hosts.append(host)
            host.dir.mkdir()
            host.faults({})
            if with_haproxy:
                (start_host_nginx if router == "nginx" else start_host_haproxy)(host, blue, green)
        runner = tmp / "runner"
        runner.mkdir()
        env = {
            "SHIPLINE_SSH_KEY": key.read_text(),
            "SHIPLINE_SSH_KNOWN_HOSTS": "\n".join(h.known_hosts_line for h in hosts) + "\n",
        }
        yield Fleet(runner, hosts, key, blue, green, env)
    finally:
        for host in hosts:
            host.stop()


def wait_for(predicate, what: str, timeout: float = 10.0) -> None:
    """`wait_until`, for the SSH tests."""
    wait_until(predicate, timeout, what)
