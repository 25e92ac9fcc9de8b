"""The example service: a small stdlib web server that shipline builds, tests and deploys.

    PORT=8000 VERSION=1.0.0 python3 app.py

``GET /healthz`` answers ``{"status": "ok", "version": ...}``; ``GET /`` a greeting.
``fault.json`` beside this file is a fault switch for demos: ``{"error_rate": 0.5,
"environment": "production"}`` makes that share of ``/`` requests answer 500 when
the service runs in that environment (``APP_ENV``, else ``SHIPLINE_ENVIRONMENT``, which
shipline's deploy sets): a bad config that only production has. /healthz
stays healthy, so only an analysis of real traffic can catch it.
"""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FAULT_FILE = Path(__file__).with_name("fault.json")


def load_fault(path: Path, environment: str) -> float:
    """The share of ``/`` requests to fail in ``environment``, from the fault switch file."""
    try:
        fault = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return 0.0
    if fault.get("environment") not in (None, environment):
        return 0.0
    return float(fault.get("error_rate", 0.0))


class Faults:
    """Fails exactly ``rate`` of the calls, spread evenly (no randomness: demos repeat)."""

    def __init__(self, rate: float):
        self.rate = rate
        self.count = 0
        self.lock = threading.Lock()

    def next_fails(self) -> bool:
        """Whether this call is one of those that fail."""
        with self.lock:
            n = self.count
            self.count += 1
        return int((n + 1) * self.rate) > int(n * self.rate)


def make_handler(version: str, faults: Faults) -> type[BaseHTTPRequestHandler]:
    """A request handler class serving ``version``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if self.path == "/healthz":
                self._send(200, {"status": "ok", "version": version})
            elif self.path == "/":
                if faults.next_fails():
                    self._send(500, {"error": "injected fault"})
                else:
                    self._send(200, {"hello": "world", "version": version})
            else:
                self._send(404, {"error": "not found"})

        do_HEAD = do_GET

        def log_message(self, format: str, *args) -> None:  # quiet: load tests make many requests
            pass

    return Handler


def serve(port: int, version: str, error_rate: float = 0.0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """A started server (call ``serve_forever`` or run it in a thread)."""
    server = ThreadingHTTPServer((host, port), make_handler(version, Faults(error_rate)))
    server.daemon_threads = True
    return server


def main() -> None:
    """Serve on $PORT until stopped."""
    port = int(os.environ.get("PORT", "8000"))
    version = os.environ.get("VERSION", "dev")
    rate = load_fault(FAULT_FILE, os.environ.get("APP_ENV") or os.environ.get("SHIPLINE_ENVIRONMENT", ""))
    server = serve(port, version, rate)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
