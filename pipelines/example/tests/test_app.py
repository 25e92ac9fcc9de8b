"""Tests of the example service against a real server on 127.0.0.1."""

from __future__ import annotations

import json
import sys
import threading
import unittest
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import app  # noqa: E402


class ServerTest(unittest.TestCase):
    rate = 0.0

    def setUp(self) -> None:
        self.server = app.serve(0, "1.2.3", self.rate)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def tearDown(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def get(self, path: str) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=5) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())


class HealthyTest(ServerTest):
    def test_healthz_reports_version(self) -> None:
        self.assertEqual(self.get("/healthz"), (200, {"status": "ok", "version": "1.2.3"}))

    def test_root_greets(self) -> None:
        status, body = self.get("/")
        self.assertEqual(status, 200)
        self.assertEqual(body["version"], "1.2.3")

    def test_unknown_path_is_404(self) -> None:
        self.assertEqual(self.get("/nope")[0], 404)


class FaultTest(ServerTest):
    rate = 0.5

    def test_half_of_root_requests_fail_and_healthz_stays_up(self) -> None:
        statuses = [self.get("/")[0] for _ in range(10)]
        self.assertEqual(statuses.count(500), 5)
        self.assertEqual(self.get("/healthz")[0], 200)


class FaultSwitchTest(unittest.TestCase):
    def test_applies_only_in_its_environment(self) -> None:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "fault.json"
            self.assertEqual(app.load_fault(path, "production"), 0.0)
            path.write_text('{"error_rate": 0.5, "environment": "production"}')
            self.assertEqual(app.load_fault(path, "production"), 0.5)
            self.assertEqual(app.load_fault(path, "staging"), 0.0)


if __name__ == "__main__":
    unittest.main()
