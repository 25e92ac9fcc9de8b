"""A tiny versioned HTTP app for deploy tests and benchmarks (stdlib only).

Environment: PORT, VERSION, COLOR, SLOT_HOST (the address to listen on, default 127.0.0.1), and fault switches, either directly or per
version from a JSON file named by FAULTS_FILE ({"v2": {"error_share": 0.5}}):

- crash: exit 3 at start
- fail_health: /healthz answers 503
- fail_smoke: /smoke answers 500
- error_share: this share of requests to / answer 500 (spread evenly, deterministic)
- latency_ms: added to every request to /
- errors_after: every request to / after this many answers 500
- start_delay: seconds to wait before listening (a slow start)
- exit_after: the process exits (code 9) after answering this many requests to /

Every answer names the version and color in X-App-Version and X-App-Color, and the
content of a file CODE in the working directory (the release), if any, in X-App-Code.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = os.environ.get("VERSION", "v0")
COLOR = os.environ.get("COLOR", "")
ENV_FAULTS = {
    "crash": os.environ.get("APP_CRASH"),
    "fail_health": os.environ.get("APP_FAIL_HEALTH"),
    "fail_smoke": os.environ.get("APP_FAIL_SMOKE"),
    "error_share": os.environ.get("APP_ERROR_SHARE"),
    "latency_ms": os.environ.get("APP_LATENCY_MS"),
    "errors_after": os.environ.get("APP_ERRORS_AFTER"),
    "exit_after": os.environ.get("APP_EXIT_AFTER"),
}
CODE = open("CODE", encoding="utf-8").read().strip() if os.path.exists("CODE") else ""


def load_faults() -> dict:
    faults = {k: v for k, v in ENV_FAULTS.items() if v}
    path = os.environ.get("FAULTS_FILE")
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            faults.update(json.load(f).get(VERSION, {}))
    return faults


FAULTS = load_faults()
_lock = threading.Lock()
_served = 0


def _next_is_error() -> bool:
    global _served
    with _lock:
        n = _served
        _served += 1
    share = float(FAULTS.get("error_share", 0) or 0)
    after = FAULTS.get("errors_after")
    if after is not None and n >= int(after):
        return True
    return int((n + 1) * share) > int(n * share)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def _send(self, status: int, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-App-Version", VERSION)
        self.send_header("X-App-Color", COLOR)
        self.send_header("X-App-Code", CODE)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._send(503 if FAULTS.get("fail_health") else 200, "ok\n")
        elif self.path == "/smoke":
            self._send(500 if FAULTS.get("fail_smoke") else 200, f"smoke {VERSION}\n")
        else:
            latency = float(FAULTS.get("latency_ms", 0) or 0)
            if latency:
                time.sleep(latency / 1000)
            if _next_is_error():
                self._send(500, f"error from {VERSION}\n")
            else:
                self._send(200, f"{VERSION} {COLOR}\n")
            after = FAULTS.get("exit_after")
            if after is not None and _served >= int(after):
                os._exit(9)

    def log_message(self, *args) -> None:
        pass


def main() -> None:
    if FAULTS.get("crash"):
        print(f"{VERSION}: crashing at start (fault)", file=sys.stderr)
        sys.exit(3)
    time.sleep(float(FAULTS.get("start_delay", 0) or 0))
    server = ThreadingHTTPServer((os.environ.get("SLOT_HOST", "127.0.0.1"), int(os.environ["PORT"])), Handler)
    server.daemon_threads = True
    print(f"{VERSION} ({COLOR}) listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
