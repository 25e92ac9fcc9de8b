"""Reading locust's files, the gates and the job summary, without running locust."""

from __future__ import annotations

import json
from collections import Counter

from shipline.loadtest import baseline, gates, results, summary
from shipline.loadtest.plan import Plan
from shipline.manifest import Slo
from tests.helpers import build_file_tree


def entry(name: str, times: dict[int, int], failures: int = 0, method: str = "GET") -> dict:
    n = sum(times.values())
    return {
        "name": name,
        "method": method,
        "start_time": 1000.0,
        "last_request_timestamp": 1010.0,
        "num_requests": n,
        "num_none_requests": 0,
        "num_failures": failures,
        "total_response_time": float(sum(t * c for t, c in times.items())),
        "max_response_time": float(max(times)),
        "response_times": {str(t): c for t, c in times.items()},
    }


HISTORY = """\
Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size
1000,0,,Aggregated,0,0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,0,0,0,0,0,0,0
1001,2,GET,/,0,0,5,5,5,5,5,6,6,6,6,6,6,100,0,5,5,1,6,2
1001,2,,Aggregated,0,0,5,5,5,5,5,6,6,6,6,6,6,100,0,5,5,1,6,2
1003,2,,Aggregated,0,0,5,5,5,5,5,8,8,8,8,8,8,300,0,5,5,1,8,2
"""


def read_run(tmp_path, entries) -> results.RunStats:
    build_file_tree(tmp_path, {"locust.json": json.dumps(entries), "locust_stats_history.csv": HISTORY})
    stats = results.read(results.ReportFiles(tmp_path))
    assert stats is not None
    return stats


def test_percentiles_follow_locust_on_a_histogram():
    times = Counter({t: 1 for t in range(1, 101)})  # 1..100 ms, one request each
    assert results.percentile(times, 100, 0.95) == 96
    assert results.percentile(times, 100, 0.50) == 51
    assert results.percentile(Counter({10: 99, 500: 1}), 100, 0.99) == 500
    assert results.percentile(Counter(), 0, 0.95) == 0


def test_stats_are_merged_into_a_total_and_history_becomes_per_second_rates(tmp_path):
    stats = read_run(tmp_path, [entry("/", {5: 90, 50: 10}), entry("/items", {20: 100}, failures=5, method="POST")])
    assert [e.label for e in stats.endpoints] == ["GET /", "POST /items"]
    assert stats.total.requests == 200 and stats.total.failures == 5
    assert stats.total.rps == 20.0 and stats.duration_s == 10.0
    assert stats.endpoints[0].p95_ms == 50 and stats.endpoints[1].error_rate == 0.05
    assert [(s.second, s.rps, s.p95_ms) for s in stats.history] == [(1, 100.0, 6.0), (3, 100.0, 8.0)]


def test_no_json_means_locust_never_measured(tmp_path):
    assert results.read(results.ReportFiles(tmp_path)) is None


def test_gates_overall_and_per_endpoint(tmp_path):
    stats = read_run(tmp_path, [entry("/", {5: 100}), entry("/slow", {400: 100}, failures=10)])
    limits = gates.Limits(p95_ms=300, error_rate=0.01, min_rps=100)
    only_p95 = gates.Limits.from_slo(Slo(p95_ms=100), only_given=True)
    assert only_p95 == gates.Limits(p95_ms=100)  # the default error rate is not imposed on an endpoint
    checks, warnings = gates.slo_checks(stats, limits, {("GET", "/slow"): only_p95, ("GET", "/gone"): only_p95})
    failed = [c.describe() for c in checks if not c.passed]
    assert failed == [
        "overall: p95 400 ms is over the limit of 300 ms",
        "overall: error rate 5% is over the limit of 1%",
        "overall: rps 20.0 req/s is under the limit of 100.0 req/s",
        "GET /slow: p95 400 ms is over the limit of 100 ms",
    ]
    assert warnings == ["no GET request named '/gone' was made; its SLO was not checked"]


def test_no_request_at_all_fails(tmp_path):
    stats = read_run(tmp_path, [])
    checks, _ = gates.slo_checks(stats, gates.Limits(), {})
    assert [(c.passed, c.describe()) for c in checks] == [(False, "overall: no request completed")]


def test_regression_against_a_baseline(tmp_path):
    stats = read_run(tmp_path, [entry("/", {120: 100})])  # p95 120 ms, 10 req/s
    base = baseline.Baseline(p95_ms=100, rps=20, users=2)
    checks = baseline.compare(stats, base, max_p95_increase=0.2, max_rps_decrease=0.2)
    assert [(c.passed, round(c.measured, 3)) for c in checks] == [(True, 0.2), (False, 0.5)]
    assert checks[1].describe() == "overall: rps drop from the baseline's 20.0 req/s 50%, allowed at most 20%"


def test_a_sub_millisecond_baseline_is_compared_from_1_ms(tmp_path):
    # locust rounds percentiles to whole milliseconds, so a fast service's baseline p95 is 0
    base = baseline.Baseline(p95_ms=0, rps=10, users=2)
    slow = baseline.compare(read_run(tmp_path, [entry("/", {50: 100})]), base, max_p95_increase=0.2, max_rps_decrease=0.9)
    assert [(c.passed, round(c.measured, 3)) for c in slow][0] == (False, 49.0)
    fast = baseline.compare(read_run(tmp_path, [entry("/", {1: 100})]), base, max_p95_increase=0.2, max_rps_decrease=0.9)
    assert fast[0].passed and fast[0].measured == 0


def test_p95_growth_within_the_noise_floor_passes(tmp_path):
    base = baseline.Baseline(p95_ms=1, rps=10, users=2)
    stats = read_run(tmp_path, [entry("/", {4: 100})])  # +300%, but 3 ms
    assert baseline.compare(stats, base, max_p95_increase=0.2, max_rps_decrease=0.9, p95_noise_ms=5)[0].passed
    assert not baseline.compare(stats, base, max_p95_increase=0.2, max_rps_decrease=0.9, p95_noise_ms=2)[0].passed


def test_the_summary_has_a_table_gates_and_charts(tmp_path):
    stats = read_run(tmp_path, [entry("/", {5: 100})])
    plan = Plan(
        host="http://127.0.0.1:1", locustfile=tmp_path, generic=True, endpoints=[], users=2, spawn_rate=1, run_time=10,
        processes=1, report_dir=tmp_path, limits=gates.Limits(), endpoint_limits={}, max_p95_increase=0.2,
        max_rps_decrease=0.2, baseline=None, update_baseline=False, environment="staging",
    )  # fmt: skip
    checks, _ = gates.slo_checks(stats, gates.Limits(p95_ms=100), {})
    md = summary.markdown(plan, stats, checks, "passed", "shipline-loadtest")
    assert md.startswith("### Load test on staging: passed")
    assert "| GET / | 100 | 0 | 0% | 10.0 | 5 ms | 5 ms | 5 ms | 5 ms |" in md
    assert "| overall | p95 | 5 ms | at most 100 ms | pass |" in md
    assert md.count("xychart-beta") == 2 and 'x-axis "seconds" [1, 3]' in md and "line [100.0, 100.0]" in md
    doc = summary.to_json(plan, stats, checks, "passed")
    assert baseline.load(write(tmp_path / "b.json", doc), "b.json") == baseline.Baseline(p95_ms=5, rps=10, users=2)


def write(path, doc):
    path.write_text(json.dumps(doc))
    return path


def test_the_progress_bar_redraws_one_line():
    import io

    from shipline.loadtest.progress import ProgressBar
    from shipline.loadtest.runner import Progress

    out = io.StringIO()
    bar = ProgressBar(out)
    bar.update(Progress(elapsed_s=5, run_time_s=10, requests=1234, rps=246.8))
    bar.update(Progress(elapsed_s=10, run_time_s=10, requests=2468, rps=246.8))
    bar.close()
    text = out.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n")
    assert "[###############---------------]    5s/10s      1,234 requests     246.8 req/s" in text
    assert "[" + "#" * 30 + "]" in text


def test_no_percentile_is_over_the_measured_maximum(tmp_path):
    rounded = entry("/", {150: 10}) | {"max_response_time": 146.2}  # locust stores 146 ms as 150
    stats = read_run(tmp_path, [rounded])
    assert stats.total.p99_ms == stats.total.max_ms == 146.2


def test_the_live_tail_reads_requests_and_rate_as_locust_appends(tmp_path):
    from shipline.loadtest.runner import _HistoryTail

    path = tmp_path / "locust_stats_history.csv"
    lines = HISTORY.splitlines(keepends=True)
    path.write_text("".join(lines[:4]))
    tail = _HistoryTail(path)
    tail.poll()
    assert (tail.requests, tail.rps) == (100, 100.0)
    path.write_text("".join(lines) + "1004,2,,Aggre")  # a row locust has not finished writing
    tail.poll()
    assert (tail.requests, tail.rps) == (300, 100.0)
