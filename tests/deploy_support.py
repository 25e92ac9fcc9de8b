"""Real haproxy, nginx and app processes on 127.0.0.1 for the deploy tests and benchmark."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from shipline import processes
from tests.helpers import free_port

APP = Path(__file__).parent / "apps" / "versioned_app.py"
HAPROXY = "/usr/sbin/haproxy"
NGINX = "/usr/sbin/nginx"


def wait_until(predicate, timeout: float = 10.0, what: str = "condition") -> None:
    """Poll ``predicate`` until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def live(port: int, path: str = "/") -> tuple[int, str]:
    """Status and version of one request through the entry point on a new connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status, resp.getheader("X-App-Version", "")
    finally:
        conn.close()


def live_versions(port: int, n: int = 10) -> set[str]:
    """The versions ``n`` requests through the entry point reached (errors as "STATUS")."""
    seen = set()
    for _ in range(n):
        status, version = live(port)
        seen.add(version if status == 200 else str(status))
    return seen


@dataclass
class Proxy:
    """A running haproxy or nginx in front of the blue and green ports."""

    kind: str
    port: int
    process: subprocess.Popen
    router: dict
    files: dict = field(default_factory=dict)

    def stop(self) -> None:
        # the whole session: a worker must never outlive its master (nginx's would keep the port)
        processes.stop_group(self.process.pid, grace=10, reap=self.process.poll)
        self.process.wait(5)


def start_haproxy(
    tmp: Path,
    blue: int,
    green: int,
    port: int | None = None,
    server_state: bool = False,
    extra: str = "",
    address: str = "127.0.0.1",
    socket_name: str = "haproxy.sock",
    state_name: str = "haproxy.state",
    retries: bool = True,
) -> Proxy:
    """haproxy with an admin socket and a backend "app" with servers blue (weight 100) and green (0); ``extra`` config appended.

    ``server_state``: a server-state-file (``tmp/state_name``) that the router saves weights to and a restart loads.
    ``address``: where the slots listen. ``retries`` False: a failed connection is not retried or redispatched.
    """
    port = port or free_port()
    sock = tmp / socket_name
    cfg = tmp / "haproxy.cfg"
    state_file = tmp / state_name
    text = textwrap.dedent(f"""\
        global
            stats socket {sock} level admin
        defaults
            mode http
            timeout connect 2s
            timeout client 30s
            timeout server 30s
        frontend fe
            bind 127.0.0.1:{port}
            default_backend app
        backend app
            server blue {address}:{blue} weight 100
            server green {address}:{green} weight 0
        """) + extra
    if retries:
        text = text.replace("    mode http\n", "    mode http\n    retries 3\n    option redispatch 1\n")
    if server_state:
        text = text.replace("defaults\n", f"    server-state-file {state_file}\ndefaults\n    load-server-state-from-file global\n")
    cfg.write_text(text)
    sock.unlink(missing_ok=True)
    proc = subprocess.Popen([HAPROXY, "-db", "-f", str(cfg)], stdout=subprocess.DEVNULL, stderr=open(tmp / "haproxy.log", "ab"), start_new_session=True)
    wait_until(lambda: sock.exists() and _listening(port), what="haproxy")
    router = {"type": "haproxy", "admin_socket": str(sock)}
    if server_state:
        router["server_state_file"] = str(state_file)
    return Proxy("haproxy", port, proc, router, {"config": cfg, "state": state_file})


def unprivileged_nginx(tmp: Path, http: str, worker_connections: int = 256, error_log: str = "nginx-error.log") -> str:
    """An nginx.conf that runs unprivileged-style (pid, logs and temp paths under ``tmp``) with ``http`` in its http block."""
    prologue = textwrap.dedent(f"""\
        worker_processes 1;
        daemon off;
        pid {tmp}/nginx.pid;
        error_log {tmp}/{error_log};
        events {{ worker_connections {worker_connections}; }}
        http {{
            access_log off;
            client_body_temp_path {tmp}/body;
            proxy_temp_path {tmp}/proxy;
            fastcgi_temp_path {tmp}/fastcgi;
            uwsgi_temp_path {tmp}/uwsgi;
            scgi_temp_path {tmp}/scgi;
        """)
    return prologue + textwrap.indent(textwrap.dedent(http), "    ") + "}\n"


def nginx_conf(tmp: Path, port: int, upstream_file: Path, upstream: str = "app") -> str:
    """An nginx.conf that runs unprivileged-style, proxying ``port`` to ``upstream`` (defined in ``upstream_file``)."""
    return unprivileged_nginx(
        tmp,
        f"""\
        include {upstream_file};
        server {{
            listen 127.0.0.1:{port};
            location / {{
                proxy_pass http://{upstream};
                proxy_http_version 1.1;
                proxy_set_header Connection "";
            }}
        }}
        """,
    )


def start_nginx(tmp: Path, blue: int, green: int, address: str = "127.0.0.1") -> Proxy:
    """nginx whose upstream "app" (slots on ``address``) lives in an include file, all traffic on blue at first."""
    port = free_port()
    upstream = tmp / "upstream.conf"
    upstream.write_text(f"upstream app {{\n    server {address}:{blue};\n    server {address}:{green} down;\n}}\n")
    conf = tmp / "nginx.conf"
    conf.write_text(nginx_conf(tmp, port, upstream))
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-e", str(tmp / "nginx-error.log")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wait_until(lambda: _listening(port), what="nginx")
    router = {"type": "nginx", "upstream_file": str(upstream), "config": str(conf), "nginx": NGINX}
    return Proxy("nginx", port, proc, router, {"config": conf, "upstream": upstream})


def slots(blue: int, green: int, start: str) -> dict:
    """The manifest's blue and green slots, both started by ``start``."""
    return {"blue": {"port": blue, "start": start}, "green": {"port": green, "start": start}}


def write_manifest(root: Path, environment: dict) -> None:
    """``root/shipline.yml``: project "demo" in python, a smoke check of /smoke, and ``environment`` as its only one."""
    config = {
        "version": 1,
        "project": {"name": "demo", "language": "python"},
        "smoke": {"checks": [{"path": "/smoke"}], "deadline": 1, "retry_interval": 0.2},
        "environments": [environment],
    }
    (root / "shipline.yml").write_text(json.dumps(config, indent=2))


@dataclass
class Site:
    """A manifest directory with an environment "prod" behind a proxy."""

    root: Path
    proxy: Proxy
    blue: int
    green: int

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    def state(self) -> dict:
        return json.loads((self.state_dir / "prod.json").read_text())

    def faults(self, faults: dict) -> None:
        (self.root / "faults.json").write_text(json.dumps(faults))

    def manifest(self, strategy: str = "blue-green", router: dict | None = None, analysis: dict | None = None, **deploy) -> None:
        start = f"FAULTS_FILE={self.root / 'faults.json'} exec {sys.executable} {APP}"
        environment = {
            "name": "prod",
            "url": f"http://127.0.0.1:{self.proxy.port}",
            "deploy": {
                "strategy": strategy,
                "router": router or self.proxy.router,
                "slots": slots(self.blue, self.green, start),
                "health_timeout": 5,
                "lock_timeout": 1,
                "state_dir": "state",
                "canary_steps": [5, 25, 50, 100],
                "analysis": {
                    "interval": 0.2,
                    "count": 2,
                    "max_p95_ms": 250,
                    "probe": {"requests": 10, "concurrency": 2, "timeout": 2},
                    **(analysis or {}),
                },
                **deploy,
            },
        }
        write_manifest(self.root, environment)

    def cli(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "shipline", *args, "--format", "json"]

    def slot_pids(self) -> list[int]:
        pids = []
        for f in self.state_dir.glob("*.pid"):
            with contextlib.suppress(ValueError, OSError):
                pids.append(json.loads(f.read_text())["pid"])
        return pids


def kill_groups(pids: list[int]) -> None:
    """Stop process groups a test left behind."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


@contextlib.contextmanager
def site_with(kind: str, tmp: Path, **proxy_options):
    """A Site (``tmp/site``) behind a fresh haproxy or nginx (files in ``tmp/router``); every process it or its deploys start is stopped after."""
    (tmp / "router").mkdir(parents=True, exist_ok=True)
    (tmp / "site").mkdir(parents=True, exist_ok=True)
    blue, green = free_port(), free_port()
    proxy = (start_haproxy if kind == "haproxy" else start_nginx)(tmp / "router", blue, green, **proxy_options)
    site = Site(tmp / "site", proxy, blue, green)
    site.faults({})
    started = []
    try:
        yield site
    finally:
        started = site.slot_pids() if site.state_dir.exists() else []
        site.proxy.stop()  # the one running now: a test may have restarted it
        for pid in started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
        kill_groups(started)


@dataclass
class Answer:
    """One request of the keep-alive client: when it was sent, its status (0: no answer) and the version that answered."""

    at: float
    status: int
    version: str


class KeepAliveClient:
    """An independent user: GETs through the entry point on one reused connection, in a thread, until stopped.

    Bounded: at most ``limit`` requests, ``pause`` seconds apart. A connection that
    breaks counts as a failed request (status 0) and is opened again.
    """

    def __init__(self, port: int, limit: int = 20_000, pause: float = 0.01):
        self.port, self.limit, self.pause = port, limit, pause
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        conn = None
        while not self._stop.is_set() and len(self.answers) < self.limit:
            conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            sent = time.time()
            try:
                conn.request("GET", "/")
                resp = conn.getresponse()
                resp.read()
                self.answers.append(Answer(sent, resp.status, resp.getheader("X-App-Version", "")))
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                self.answers.append(Answer(sent, 0, ""))
                conn.close()
                conn = None
            time.sleep(self.pause)
        if conn is not None:
            conn.close()

    def __enter__(self) -> KeepAliveClient:
        self._thread.start()
        wait_until(lambda: len(self.answers) >= 3, what="the keep-alive client's first answers")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(15)

    def failures(self, outside: tuple[float, float] | None = None) -> list[Answer]:
        """Failed requests (5xx or no answer); only those sent outside the (start, end) window when given."""
        bad = [a for a in self.answers if a.status == 0 or a.status >= 500]
        if outside is not None:
            bad = [a for a in bad if not outside[0] <= a.at <= outside[1]]
        return bad
