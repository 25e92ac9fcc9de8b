"""Services that are broken in ways that look healthy to a naive gate, each against a real server on 127.0.0.1.

Every run is a few seconds at most: a hung endpoint, a locustfile that raises, dropped
connections, a p95 just over its gate, an error storm that must stop the run early.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import build_file_tree, run_cli
from tests.loadtest_support import LoadServer

pytestmark = pytest.mark.slow

SHORT = ("--users", "2", "--spawn-rate", "10", "--run-time", "3s")


def summary(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "shipline-loadtest" / "summary.json").read_text())


def failed_checks(doc: dict) -> list[tuple[str, str]]:
    return [(c["scope"], c["metric"]) for c in doc["checks"] if not c["passed"]]


def test_a_hung_endpoint_counts_as_failures_and_the_rate_is_over_wall_time(tmp_path):
    endpoints = "".join(f"\n                    - {{path: /e{i}}}" for i in range(9))
    build_file_tree(
        tmp_path,
        {
            "shipline.yml": f"""
                version: 1
                project: {{name: shop, language: python}}
                load_test:
                  slo: {{p95_ms: 5000, error_rate: 100%}}
                  endpoints:{endpoints}
                    - {{path: /hang, slo: {{p95_ms: 1000}}}}
            """
        },
    )
    with LoadServer() as server:
        res = run_cli("loadtest", "--host", server.url, "--users", "4", "--spawn-rate", "100", "--run-time", "3", "--min-rps", "50", cwd=tmp_path)
    assert res.code == 1, res.out + res.err
    doc = summary(tmp_path)
    assert doc["duration_s"] >= 2.5  # the wall time of the run, not the span of the answered requests
    hang = next(e for e in doc["endpoints"] if e["name"] == "/hang")
    assert hang["pending"] >= 1 and hang["failures"] == hang["requests"] == hang["pending"]
    assert doc["total"]["pending"] == hang["pending"] and doc["total"]["failures"] >= hang["pending"]
    assert doc["total"]["rps"] == pytest.approx(doc["total"]["requests"] / doc["duration_s"], rel=0.01)
    assert set(failed_checks(doc)) == {("overall", "rps"), ("GET /hang", "requests")}
    assert "GET /hang: no request completed" in res.err
    assert "rps" in res.err and "is under the limit of 50.0 req/s" in res.err


LOCUSTFILE_RAISING = """
from locust import FastHttpUser, constant, task


class Raising(FastHttpUser):
    wait_time = constant(0.05)

    @task
    def browse(self):
        self.client.get("/")
        raise ValueError("the page lost its basket")
"""


def test_a_locustfile_that_raises_fails_the_gate_unless_a_share_is_allowed(tmp_path):
    build_file_tree(tmp_path, {"locustfile.py": LOCUSTFILE_RAISING})
    with LoadServer() as server:
        res = run_cli("loadtest", "--host", server.url, "-f", "locustfile.py", *SHORT, cwd=tmp_path)
        assert res.code == 1, res.out + res.err
        assert "overall: exception rate" in res.err and "is over the limit of 0%" in res.err
        assert "ValueError: the page lost its basket" in res.err
        assert failed_checks(summary(tmp_path)) == [("overall", "exception rate")]
        allowed = run_cli("loadtest", "--host", server.url, "-f", "locustfile.py", *SHORT, "--max-exception-rate", "60%", cwd=tmp_path)
    assert allowed.code == 0, allowed.out + allowed.err


@pytest.mark.parametrize("user_class", ["FastHttpUser", "HttpUser"])
def test_dropped_connections_are_failures_whatever_the_user_class(tmp_path, user_class):
    build_file_tree(
        tmp_path,
        {
            "locustfile.py": f"""
                from locust import {user_class}, constant, task


                class Browser({user_class}):
                    wait_time = constant(0)

                    @task
                    def home(self):
                        self.client.get("/")
            """
        },
    )
    with LoadServer(drop_share=0.1) as server:
        res = run_cli("loadtest", "--host", server.url, "-f", "locustfile.py", *SHORT, "--max-error-rate", "0.05", cwd=tmp_path)
    assert res.code == 1, res.out + res.err
    total = summary(tmp_path)["total"]
    assert total["dropped"] > 0 and total["failures"] >= total["dropped"]
    assert 0.05 < total["error_rate"] < 0.2  # one request in ten, not retried out of sight
    assert "overall: error rate" in res.err and "is over the limit of 5%" in res.err


def test_a_p95_just_over_the_gate_fails_it(tmp_path):
    # every answer takes 300 ms plus a little: locust's buckets would call that 300 ms and pass
    with LoadServer(delay=0.3) as server:
        res = run_cli("loadtest", "--host", server.url, *SHORT, "--p95-ms", "300", "--format", "json", cwd=tmp_path)
    assert res.code == 1, res.err
    doc = json.loads(res.out)
    p95 = next(c for c in doc["checks"] if c["metric"] == "p95")
    assert 300 < p95["measured"] < 900 and not p95["passed"]  # above the bucket, however loaded the machine
    assert 300 < doc["total"]["p50_ms"] <= doc["total"]["p95_ms"] <= doc["total"]["max_ms"]


def test_an_error_storm_stops_the_run_at_the_first_check_after_the_warm_up(tmp_path):
    with LoadServer(fail_share=1.0) as server:
        res = run_cli("loadtest", "--host", server.url, "--users", "2", "--run-time", "60s", "--delay-abort", "1s", cwd=tmp_path)
    assert res.code == 1, res.out + res.err
    doc = summary(tmp_path)
    aborted = doc["aborted"]
    assert aborted["after_warmup_s"] == 1 and aborted["check_interval_s"] == 1
    assert aborted["at_s"] <= 1 + 2 * 1  # warm-up plus two check intervals
    assert aborted["reason"].startswith("error_rate 1 breached the limit of 0.05")
    assert doc["duration_s"] < 10 and doc["result"] == "failed"
    assert "Load test aborted" in res.err and "stopped early at" in res.err


def test_no_abort_runs_the_whole_time(tmp_path):
    with LoadServer(fail_share=1.0) as server:
        res = run_cli("loadtest", "--host", server.url, "--users", "2", "--run-time", "5", "--delay-abort", "1s", "--abort-on-fail", "none", cwd=tmp_path)
    assert res.code == 1
    doc = summary(tmp_path)
    assert doc["aborted"] is None and doc["duration_s"] > 1 + 2 * 1


def test_progress_lines_appear_in_a_log(tmp_path):
    with LoadServer() as server:
        res = run_cli("loadtest", "--host", server.url, "--users", "2", "--run-time", "6", cwd=tmp_path)
    assert res.code == 0, res.err
    lines = [line for line in res.out.splitlines() if line.startswith("progress ")]
    assert lines and "s/6s: " in lines[0] and " requests, " in lines[0] and "errors 0%, p95 " in lines[0]


def test_the_final_stats_csv_holds_every_request(tmp_path):
    with LoadServer() as server:
        res = run_cli("loadtest", "--host", server.url, *SHORT, cwd=tmp_path)
    assert res.code == 0, res.err
    rows = (tmp_path / "shipline-loadtest" / "locust_stats.csv").read_text().splitlines()
    aggregated = next(r for r in rows if r.startswith(",Aggregated,")).split(",")
    assert int(aggregated[2]) == summary(tmp_path)["total"]["requests"] > 0


@pytest.mark.parametrize(("delay", "users"), [(0.0, 20), (0.4, 4)], ids=["fast", "slow"])
def test_a_healthy_service_has_no_failures_at_the_stop(tmp_path, delay, users):
    # at the stop, locust kills a waiting user a moment after deciding to: the kill lands in the
    # request that user has just sent, which is no timeout; a request already on its way gets
    # the stop's grace to finish
    build_file_tree(
        tmp_path,
        {
            "locustfile.py": """
                from locust import FastHttpUser, between, task


                class Browser(FastHttpUser):
                    wait_time = between(0.001, 0.005)

                    @task
                    def home(self):
                        self.client.get("/")
            """
        },
    )
    with LoadServer(delay=delay) as server:
        load = ("--users", str(users), "--spawn-rate", "100", "--run-time", "2", "--max-error-rate", "0")
        res = run_cli("loadtest", "--host", server.url, "-f", "locustfile.py", *load, cwd=tmp_path)
    total = summary(tmp_path)["total"]
    assert (res.code, total["pending"], total["failures"]) == (0, 0, 0), res.out + res.err
    assert total["requests"] >= users
