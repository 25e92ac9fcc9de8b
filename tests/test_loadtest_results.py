"""Reading locust's files, the gates and the job summary, without running locust."""

from __future__ import annotations

import json

from shipline.loadtest import baseline, gates, results, summary
from shipline.loadtest.tally import EndpointTally, Histogram, bucket
from shipline.loadtest.plan import Plan
from shipline.manifest import Slo
from tests.helpers import build_file_tree


def entry(name: str, times: dict[float, int], failures: int = 0, method: str = "GET", pending: int = 0) -> dict:
    """One endpoint as the probe writes it: response times (ms) and how many took each."""
    tally = EndpointTally()
    for ms, count in times.items():
        for _ in range(count):
            tally.record(ms, failed=failures > 0)
            failures -= 1
    tally.pending = pending
    return {"method": method, "name": name, **tally.to_json()}


HISTORY = """\
Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size
1000,0,,Aggregated,0,0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,0,0,0,0,0,0,0
1001,2,GET,/,0,0,5,5,5,5,5,6,6,6,6,6,6,100,0,5,5,1,6,2
1001,2,,Aggregated,0,0,5,5,5,5,5,6,6,6,6,6,6,100,0,5,5,1,6,2
1003,2,,Aggregated,0,0,5,5,5,5,5,8,8,8,8,8,8,300,0,5,5,1,8,2
"""


def probe_doc(entries, **extra) -> str:
    doc = {"final": True, "started_at": 1000.0, "duration_s": 10.0, "endpoints": entries, "exceptions": [], "aborted": None, "generators": {}}
    return json.dumps(doc | extra)


def read_run(tmp_path, entries, **extra) -> results.RunStats:
    build_file_tree(tmp_path, {"probe.json": probe_doc(entries, **extra), "locust_stats_history.csv": HISTORY})
    stats = results.read(results.ReportFiles(tmp_path))
    assert stats is not None
    return stats


def test_percentiles_are_exact_to_four_digits_and_never_below_the_truth():
    h = Histogram()
    for ms in range(1, 101):  # 1..100 ms, one request each
        h.record(ms)
    assert (h.percentile(0.95), h.percentile(0.50), h.percentile(1.0)) == (95, 50, 100)
    late = Histogram()
    for _ in range(95):
        late.record(100)
    for _ in range(5):
        late.record(3040)
    assert late.percentile(0.95) == 100 and late.percentile(0.96) == 3040  # locust's buckets make this 3000
    one = Histogram()
    one.record(300.0151)
    assert one.percentile(0.95) == 300.1  # rounded up: 300.0151 ms never passes a 300 ms gate
    assert Histogram().percentile(0.95) == 0
    assert bucket(999) == 999 and bucket(12_345) == 12_350 and bucket(3_040_001) == 3_041_000


def test_stats_are_merged_into_a_total_and_history_becomes_per_second_rates(tmp_path):
    stats = read_run(tmp_path, [entry("/", {5: 90, 50: 10}), entry("/items", {20: 100}, failures=5, method="POST")])
    assert [e.label for e in stats.endpoints] == ["GET /", "POST /items"]
    assert stats.total.requests == 200 and stats.total.failures == 5
    assert stats.total.rps == 20.0 and stats.duration_s == 10.0
    assert stats.endpoints[0].p95_ms == 50 and stats.endpoints[1].error_rate == 0.05
    assert [(s.second, s.rps, s.p95_ms) for s in stats.history] == [(1, 100.0, 6.0), (3, 100.0, 8.0)]


def test_no_probe_file_means_locust_never_measured(tmp_path):
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
        "GET /gone: no request completed",
    ]
    assert [c.describe() for c in checks if not c.passed][-1] == "GET /gone: no request completed"  # an SLO nothing answered for fails
    assert warnings == []


def test_no_request_at_all_fails(tmp_path):
    stats = read_run(tmp_path, [])
    checks, _ = gates.slo_checks(stats, gates.Limits(), {})
    assert [(c.passed, c.describe()) for c in checks] == [(False, "overall: no request completed")]


def test_regression_against_a_baseline(tmp_path):
    stats = read_run(tmp_path, [entry("/", {120: 100})])  # p95 120 ms, 10 req/s
    base = baseline.Baseline(p95_ms=100, rps=20, users=2)
    checks, _ = baseline.compare(stats, base, max_p95_increase=0.2, max_rps_decrease=0.2)
    assert [(c.passed, round(c.measured, 3)) for c in checks] == [(True, 0.2), (False, 0.5)]
    assert checks[1].describe() == "overall: rps drop from the baseline's 20.0 req/s 50%, allowed at most 20%"


def test_a_sub_millisecond_baseline_is_compared_from_1_ms(tmp_path):
    base = baseline.Baseline(p95_ms=0, rps=10, users=2)
    slow, _ = baseline.compare(read_run(tmp_path, [entry("/", {50: 100})]), base, max_p95_increase=0.2, max_rps_decrease=0.9)
    assert [(c.passed, round(c.measured, 3)) for c in slow][0] == (False, 49.0)
    fast, _ = baseline.compare(read_run(tmp_path, [entry("/", {1: 100})]), base, max_p95_increase=0.2, max_rps_decrease=0.9)
    assert fast[0].passed and fast[0].measured == 0


def test_p95_growth_within_the_noise_floor_passes(tmp_path):
    base = baseline.Baseline(p95_ms=1, rps=10, users=2)
    stats = read_run(tmp_path, [entry("/", {4: 100})])  # +300%, but 3 ms
    assert baseline.compare(stats, base, max_p95_increase=0.2, max_rps_decrease=0.9, p95_noise_ms=5)[0][0].passed
    assert not baseline.compare(stats, base, max_p95_increase=0.2, max_rps_decrease=0.9, p95_noise_ms=2)[0][0].passed


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
    assert "| GET / | 100 | 0 | 0 | 0% | 10.0 | 5 ms | 5 ms | 5 ms | 5 ms | 5 ms | 5 ms |" in md
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
    assert "[###############---------------]    5s/10s  1,234 requests, 246.8 req/s, errors 0%, p95 -" in text
    assert "[" + "#" * 30 + "]" in text


def test_progress_lines_for_logs_come_every_few_seconds():
    from shipline.loadtest.progress import ProgressLines
    from shipline.loadtest.runner import Progress

    lines: list[str] = []
    show = ProgressLines(lines.append, every_s=5)
    for second in range(13):
        show.update(Progress(elapsed_s=second, run_time_s=30, requests=100 * second, rps=100.0, failures=second, p95_ms=12.5))
    assert lines == [
        "progress 5s/30s: 500 requests, 100.0 req/s, errors 1%, p95 12.5 ms",
        "progress 10s/30s: 1,000 requests, 100.0 req/s, errors 1%, p95 12.5 ms",
    ]


def test_pending_requests_are_failures_and_the_rate_is_over_wall_time(tmp_path):
    stats = read_run(tmp_path, [entry("/", {1: 90}), entry("/hang", {5000: 2}, failures=2, pending=2)], duration_s=6.0)
    assert stats.total.rps == 92 / 6.0 and stats.total.pending == 2
    hang = stats.endpoints[1]
    assert (hang.name, hang.completed, hang.failures) == ("/hang", 0, 2)
    checks, warnings = gates.slo_checks(stats, gates.Limits(min_rps=50), {})
    assert [c.describe() for c in checks] == ["overall: rps 15.3 req/s is under the limit of 50.0 req/s"]
    assert warnings == ["GET /hang: no request got an answer (2 still pending when the run stopped)"]


def test_every_percentile_average_and_max_can_be_gated(tmp_path):
    stats = read_run(tmp_path, [entry("/", {10: 900, 20: 90, 300: 9, 2000: 1})])
    limits = gates.Limits(p50_ms=9, p90_ms=10, p99_ms=20, p99_9_ms=300, avg_ms=12, max_ms=1999)
    checks, _ = gates.slo_checks(stats, limits, {})
    assert [(c.metric, c.measured, c.passed) for c in checks] == [
        ("p50", 10, False), ("p90", 10, True), ("p99", 20, True), ("p99.9", 300, True), ("avg", 15.5, False), ("max", 2000, False),
    ]  # fmt: skip


def test_raised_errors_are_gated_once_some_were_raised(tmp_path):
    stats = read_run(tmp_path, [entry("/", {1: 99})], exceptions=[[1, "ValueError: boom"]])
    checks, _ = gates.slo_checks(stats, gates.Limits(exception_rate=0), {})
    assert [c.describe() for c in checks] == ["overall: exception rate 1% is over the limit of 0%"]
    allowed, _ = gates.slo_checks(stats, gates.Limits(exception_rate=0.05), {})
    assert allowed[0].passed
    clean, _ = gates.slo_checks(read_run(tmp_path, [entry("/", {1: 99})]), gates.Limits(exception_rate=0), {})
    assert clean == []


def test_an_rps_drop_of_a_saturated_generator_is_not_a_regression(tmp_path):
    base = baseline.Baseline(p95_ms=10, rps=200, users=2)
    starved = {"local": {"cpu_s": 5.0, "wait_s": 4.5, "wall_s": 10.0}}
    stats = read_run(tmp_path, [entry("/", {10: 500})], generators=starved)  # 50 req/s
    checks, warnings = baseline.compare(stats, base, max_p95_increase=0.2, max_rps_decrease=0.2)
    assert all(c.passed for c in checks)
    assert warnings == [
        "rps drop from the baseline's 200.0 req/s 75%: the load generator could not keep up (busy 95% of the run "
        "against 0% in the baseline, waiting for a CPU 45% against 0%); not counted as a regression of the service"
    ]
    idle = read_run(tmp_path, [entry("/", {10: 1000})], generators={"local": {"cpu_s": 1.0, "wait_s": 0.5, "wall_s": 10.0}})
    checks, warnings = baseline.compare(idle, base, max_p95_increase=0.2, max_rps_decrease=0.2)
    assert [c.passed for c in checks] == [True, False] and warnings == []
