"""A small HTTP server for load tests: keep-alive, an injected delay, a share of failures.

    with LoadServer(delay=0.05, fail_share=0.5) as server:
        run_cli("loadtest", "--host", server.url, ...)

Every request answers after ``delay`` seconds; the failing share (spread evenly, not
random, so tests are stable) answers 500, and the dropped share closes the connection
without answering. ``/slow`` always waits ``slow_delay``; ``/hang`` never answers
(until the server stops); ``/status/NNN`` answers NNN; POST answers 201. The last
requests are kept in ``seen`` so tests can check headers and bodies arrived, and
``count`` says how many arrived.
"""

from __future__ import annotations

import contextlib
import http.server
import math
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real service
    disable_nagle_algorithm = True  # headers and body leave together, no 40 ms stalls
    server: _Server

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        srv = self.server
        status = srv.next_status(self.command, self.path)
        srv.seen.append((self.command, self.path, dict(self.headers), body))
        if status == 0:  # dropped: the connection closes with no answer
            self.close_connection = True
            return
        if self.path.startswith("/hang"):
            srv.stopping.wait()
            self.close_connection = True
            return
        delay = srv.slow_delay if self.path.startswith("/slow") else srv.delay
        if delay:
            time.sleep(delay)
        payload = b"ok\n"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format, *args):  # quiet: tests read results, not access logs
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, delay: float, fail_share: float, slow_delay: float, drop_share: float):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.delay, self.fail_share, self.slow_delay, self.drop_share = delay, fail_share, slow_delay, drop_share
        self.stopping = threading.Event()
        self.count = 0
        self.lock = threading.Lock()
        self.seen: deque = deque(maxlen=200)

    def next_status(self, method: str, path: str) -> int:
        with self.lock:
            self.count += 1
            n = self.count
        if path.startswith("/status/"):
            return int(path.rsplit("/", 1)[1])
        if math.floor(n * self.drop_share) != math.floor((n - 1) * self.drop_share):
            return 0
        if math.floor(n * self.fail_share) != math.floor((n - 1) * self.fail_share):
            return 500
        return 201 if method == "POST" else 200


class LoadServer:
    """A threaded HTTP server on 127.0.0.1 for the length of a ``with`` block."""

    def __init__(self, delay: float = 0.0, fail_share: float = 0.0, slow_delay: float = 0.05, drop_share: float = 0.0):
        self.httpd = _Server(delay, fail_share, slow_delay, drop_share)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def seen(self) -> deque:
        return self.httpd.seen

    def __enter__(self) -> LoadServer:
        self.thread.start()
        return self

    @property
    def count(self) -> int:
        return self.httpd.count

    def __exit__(self, *exc) -> None:
        self.httpd.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


STATIC_HTTP = """\
keepalive_requests 1000000;
server {{
    listen 127.0.0.1:{port};
    location / {{ return 200 "{body}"; }}
}}
"""


@contextlib.contextmanager
def static_nginx(tmp: Path, preexec_fn: Callable[[], None] | None = None) -> Iterator[str]:
    """nginx answering 1 kB from memory on a free loopback port: a server much faster than locust.

    From memory, so that its workers (an unprivileged user when root starts nginx) read no file.
    """
    from tests.deploy_support import unprivileged_nginx
    from tests.helpers import free_port

    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(unprivileged_nginx(tmp, STATIC_HTTP.format(port=port, body="x" * 1024), worker_connections=1024, error_log="error.log"))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp)], start_new_session=True, stderr=subprocess.DEVNULL, preexec_fn=preexec_fn)
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("nginx did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
