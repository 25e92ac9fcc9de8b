"""`shipline loadtest` against real servers on 127.0.0.1 with real locust; every run a few seconds."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import build_file_tree, run_cli
from tests.loadtest_support import LoadServer, closed_port

pytestmark = pytest.mark.slow

SHORT = ("--users", "2", "--spawn-rate", "10", "--run-time", "3s")


def loadtest(tmp_path: Path, host: str, *flags: str, env: dict | None = None):
    return run_cli("loadtest", "--host", host, *SHORT, *flags, cwd=tmp_path, env=env)


def summary(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "shipline-loadtest" / "summary.json").read_text())


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def test_a_run_within_its_slos_passes_and_writes_every_report(tmp_path):
    gh = {"GITHUB_OUTPUT": str(tmp_path / "out.txt"), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    with LoadServer() as server:
        res = loadtest(tmp_path, server.url, "--p95-ms", "2000", "--max-error-rate", "1%", "--min-rps", "1", env=gh)
    assert res.code == 0, res.out + res.err
    report = tmp_path / "shipline-loadtest"
    for name in ("report.html", "summary.json", "locust_stats.csv", "locust_stats_history.csv", "locust_failures.csv"):
        assert (report / name).is_file(), name
    data = summary(tmp_path)
    assert data["result"] == "passed"
    assert data["total"]["requests"] > 0 and data["total"]["failures"] == 0
    assert {c["metric"] for c in data["checks"]} == {"p95", "error rate", "rps"}
    out = outputs(tmp_path / "out.txt")
    assert out["result"] == "passed" and float(out["rps"]) > 0 and out["report-dir"] == "shipline-loadtest"
    md = (tmp_path / "summary.md").read_text()
    assert "| GET / |" in md and "xychart-beta" in md and "Requests per second" in md


def test_an_injected_delay_breaches_the_p95_slo(tmp_path):
    with LoadServer(delay=0.05) as server:
        res = loadtest(tmp_path, server.url, "--p95-ms", "20")
    assert res.code == 1, res.out + res.err
    assert "SLO breached: overall: p95" in res.err and "is over the limit of 20 ms" in res.err
    assert summary(tmp_path)["result"] == "failed"


def test_a_failing_share_breaches_the_error_rate_slo(tmp_path):
    with LoadServer(fail_share=0.5) as server:
        res = loadtest(tmp_path, server.url, "--max-error-rate", "10%", "--format", "json")
    assert res.code == 1, res.err
    doc = json.loads(res.out)
    assert doc["result"] == "failed"
    breach = [c for c in doc["checks"] if not c["passed"]]
    assert [(c["scope"], c["metric"], c["limit"]) for c in breach] == [("overall", "error rate", 0.1)]
    assert 0.4 < breach[0]["measured"] < 0.6
    assert "error rate 50% is over the limit of 10%" in res.err


def test_a_slower_run_than_the_baseline_fails_the_regression_gate(tmp_path):
    baseline = "perf/baseline.json"
    with LoadServer() as fast:
        first = loadtest(tmp_path, fast.url, "--baseline", baseline, "--update-baseline")
    assert first.code == 0, first.out + first.err
    assert "baseline written to perf/baseline.json" in first.out
    assert json.loads((tmp_path / baseline).read_text())["result"] == "passed"
    with LoadServer(delay=0.05) as slow:
        second = loadtest(tmp_path, slow.url, "--baseline", baseline)
    assert second.code == 1, second.out + second.err
    assert "Regression: overall: p95 growth over the baseline's" in second.err
    assert "Regression: overall: rps drop from the baseline's" in second.err
    assert [c["kind"] for c in summary(tmp_path)["checks"] if not c["passed"]] == ["regression", "regression"]


def test_a_missing_baseline_warns_and_still_gates_on_slos(tmp_path):
    with LoadServer() as server:
        res = loadtest(tmp_path, server.url, "--baseline", "nothing-yet.json")
    assert res.code == 0, res.err
    assert "no baseline at nothing-yet.json; the regression check was skipped" in res.err


def test_the_generic_locustfile_requests_the_manifest_endpoints(tmp_path):
    build_file_tree(
        tmp_path,
        {
            "shipline.yml": """
                version: 1
                project: {name: shop, language: python}
                load_test:
                  users: 2
                  duration: 3s
                  slo: {p95_ms: 5000, error_rate: 100%}
                  endpoints:
                    - {path: /, weight: 3}
                    - name: create item
                      path: /items
                      method: POST
                      headers: {X-Shop: "yes", Content-Type: application/json}
                      body: '{"sku": 7}'
                      expect_status: 201
                    - {path: /status/404, expect_status: [404]}
                    - {name: wrong status, path: /status/202}
                    - {path: /slow, slo: {p95_ms: 10}}
            """
        },
    )
    with LoadServer(slow_delay=0.05) as server:
        res = run_cli("loadtest", "--host", server.url, cwd=tmp_path)
        seen = list(server.seen)
    assert res.code == 1, res.out + res.err
    endpoints = {(e["method"], e["name"]): e for e in summary(tmp_path)["endpoints"]}
    assert set(endpoints) == {("GET", "/"), ("POST", "create item"), ("GET", "/status/404"), ("GET", "wrong status"), ("GET", "/slow")}
    assert endpoints[("GET", "/status/404")]["failures"] == 0  # expected, so not an error
    assert endpoints[("POST", "create item")]["failures"] == 0
    wrong = endpoints[("GET", "wrong status")]
    assert wrong["failures"] == wrong["requests"] > 0  # 202 where 200 was expected
    assert endpoints[("GET", "/")]["requests"] > endpoints[("GET", "/slow")]["requests"]
    posts = [s for s in seen if s[0] == "POST"]
    assert posts and posts[0][1] == "/items" and posts[0][2]["X-Shop"] == "yes" and posts[0][3] == b'{"sku": 7}'
    # only the endpoint with its own SLO breaches it; the overall SLO passes
    assert "SLO breached: GET /slow: p95" in res.err and "over the limit of 10 ms" in res.err
    assert "overall: p95" not in res.err


def test_two_processes_share_the_load_and_report_together(tmp_path):
    # locust's own meeting port for its forked workers, taken (here, or by another run on this machine)
    with socket.socket() as taken, LoadServer() as server:
        with contextlib.suppress(OSError):
            taken.bind(("127.0.0.1", 5557))
            taken.listen()
        res = loadtest(tmp_path, server.url, "--processes", "2")
    assert res.code == 0, res.out + res.err
    assert summary(tmp_path)["total"]["requests"] > 0
    log = (tmp_path / "shipline-loadtest" / "locust.log").read_text()
    assert "2 workers" in log or "(index 1)" in log, log[-2000:]


def test_a_master_gates_on_the_results_of_its_workers(tmp_path):
    port = str(closed_port())
    worker_dir = tmp_path / "worker"
    worker_dir.mkdir()
    with LoadServer() as server:
        worker = subprocess.Popen(
            [sys.executable, "-m", "shipline", "loadtest", "--worker", "--master-port", port],
            cwd=worker_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            res = loadtest(tmp_path, server.url, "--master", "--expect-workers", "1", "--master-port", port)
            worker_out, _ = worker.communicate(timeout=60)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
    assert res.code == 0, res.out + res.err
    assert summary(tmp_path)["total"]["requests"] > 0
    assert worker.returncode == 0, worker_out
    assert "locust worker of 127.0.0.1:" in worker_out
