"""A real HTTP server on 127.0.0.1 for smoke tests: healthy, broken and slow endpoints."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time
from collections.abc import Iterator


class _Handler(http.server.BaseHTTPRequestHandler):
    """``/healthz`` JSON, ``/`` a page, ``/broken`` a 500 echoing Authorization, ``/slow`` 300 ms, ``/flaky`` 503 twice."""

    flaky_calls = 0

    def _send(self, status: int, body: str, content_type: str = "text/plain") -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path == "/healthz":
            self._send(200, json.dumps({"status": "ok", "checks": {"db": "up"}, "items": [1, 2]}), "application/json")
        elif self.path == "/":
            self._send(200, "<h1>Welcome</h1>", "text/html")
        elif self.path == "/broken":
            self._send(500, f"internal error for {self.headers.get('Authorization', 'anonymous')}")
        elif self.path == "/slow":
            time.sleep(0.3)
            self._send(200, "slow")
        elif self.path == "/flaky":
            type(self).flaky_calls += 1
            self._send(503 if type(self).flaky_calls <= 2 else 200, "warming up")
        elif self.path == "/auth":
            ok = self.headers.get("Authorization") == "Bearer right"
            self._send(200 if ok else 401, "ok" if ok else "no")
        else:
            self._send(404, "not found")

    do_HEAD = do_GET
    do_POST = do_GET

    def log_message(self, *args) -> None:
        """Quiet: tests read results, not access logs."""


@contextlib.contextmanager
def serve() -> Iterator[str]:
    """Run the server on a free loopback port; yield its base URL; stop it after."""
    handler = type("Handler", (_Handler,), {"flaky_calls": 0})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
