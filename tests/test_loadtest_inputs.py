"""Bad input to `shipline loadtest` is refused with exit 2 and a clear reason, before any long run."""

from __future__ import annotations

import pytest

from shipline.errors import InputError
from shipline.loadtest.safety import check_host, is_loopback
from shipline.manifest import Environment
from tests.helpers import build_file_tree, run_cli
from tests.loadtest_support import LoadServer, closed_port

MANIFEST = """
    version: 1
    project: {name: shop, language: python}
    environments:
      - name: staging
        url: http://127.0.0.1:{port}
        allow_load_test: true
        deploy: &deploy
          router: {type: command, switch: "true"}
          slots: {blue: {port: 9001}, green: {port: 9002}}
      - name: production
        url: https://shop.example.com
        deploy: *deploy
"""


def environments(port: int = 8080) -> list[Environment]:
    deploy = {"router": {"type": "command", "switch": "true"}, "slots": {"blue": {"port": 9001}, "green": {"port": 9002}}}
    return [
        Environment(name="staging", url=f"http://127.0.0.1:{port}", allow_load_test=True, deploy=deploy),
        Environment(name="production", url="https://shop.example.com", deploy=deploy),
    ]


def test_an_unreachable_host_fails_fast_with_the_connection_error(tmp_path):
    port = closed_port()
    res = run_cli("loadtest", "--host", f"http://127.0.0.1:{port}", "--run-time", "10m", cwd=tmp_path)
    assert res.code == 2
    assert f"cannot reach http://127.0.0.1:{port}: Connection refused" in res.err
    assert not (tmp_path / "shipline-loadtest").exists()  # locust never started


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "import locust\nimport no_such_module_here\n",
            "locustfile.py:2:1: the locustfile does not import: ModuleNotFoundError: No module named 'no_such_module_here'",
        ),
        ("from locust import FastHttpUser\n\nclass Helper:\n    pass\n", "locustfile.py: no user class found"),
        (
            "from locust import FastHttpUser\n\n\nclass Idle(FastHttpUser):\n    pass\n",
            "locustfile.py:4:1: user class Idle has no tasks: give it a method decorated with @task",
        ),
    ],
    ids=["does-not-import", "no-user-class", "no-tasks"],
)
def test_a_broken_locustfile_is_bad_input(tmp_path, source, expected):
    build_file_tree(tmp_path, {"locustfile.py": source, "shipline-loadtest/summary.json": '{"result": "passed"}'})
    with LoadServer() as server:
        res = run_cli("loadtest", "--host", server.url, "-f", "locustfile.py", "--run-time", "5s", cwd=tmp_path)
    assert res.code == 2, res.out + res.err
    assert f"shipline: error: {expected}" in res.err
    assert not (tmp_path / "shipline-loadtest" / "summary.json").exists()  # an earlier run's summary is not left to upload


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--users", "0"], "--users 0: a load test needs at least 1 user"),
        (["--run-time", "11m"], "--run-time 11m: 660s is over load_test.max_duration 600s"),
        (["--run-time", "soon"], "--run-time soon: expected a duration such as 30s"),
        (["--processes", "many"], '--processes "many": expected a number of processes from 1 up, or auto'),
        (["-f", "missing.py"], 'locustfile "missing.py" not found'),
        (["--update-baseline"], "--update-baseline needs --baseline FILE"),
        (["--max-error-rate", "150%"], "--max-error-rate 150%: a share must be between 0% and 100%"),
        (["--max-error-rate", "1.5"], "--max-error-rate 1.5: a share must be between 0% and 100%"),
        (["--max-exception-rate", "lots"], '--max-exception-rate lots: expected a share such as 5% or 0.05, got "lots"'),
        (["--p95-ms", "0"], "--p95-ms 0: expected milliseconds above 0"),
        (["--p99.9-ms", "-1"], "--p99.9-ms -1: expected milliseconds above 0"),
        (["--abort-on-fail", "p97_ms"], "--abort-on-fail p97_ms: unknown limit 'p97_ms'; expected none or a list of: p50_ms"),
        (["--delay-abort", "later"], "--delay-abort later: expected a duration such as 30s"),
        (["--master", "--worker"], "--master and --worker exclude each other"),
    ],
)
def test_bad_flags_are_refused_before_anything_runs(tmp_path, argv, expected):
    res = run_cli("loadtest", "--host", "http://127.0.0.1:9", *argv, cwd=tmp_path)
    assert res.code == 2
    assert expected in res.err, res.err


def test_a_host_that_is_no_environment_needs_allow_host(tmp_path):
    res = run_cli("loadtest", "--host", "https://someone-else.example.org", cwd=tmp_path)
    assert res.code == 2
    assert "pass --allow-host to load-test it anyway" in res.err


def test_an_environment_that_does_not_allow_load_tests_is_refused_even_with_allow_host(tmp_path):
    build_file_tree(tmp_path, {"shipline.yml": MANIFEST.replace("{port}", "8080")})
    for argv in (["--host", "https://shop.example.com/", "--allow-host"], ["--env", "production"]):
        res = run_cli("loadtest", *argv, cwd=tmp_path)
        assert res.code == 2, argv
        assert 'environment "production", which does not allow load tests' in res.err or 'environment "production" does not allow load tests' in res.err


def test_the_environment_url_is_the_default_host(tmp_path):
    with LoadServer() as server:
        port = server.url.rsplit(":", 1)[1]
        build_file_tree(tmp_path, {"shipline.yml": MANIFEST.replace("{port}", port)})
        res = run_cli("loadtest", "--users", "1", "--run-time", "2s", "--format", "json", cwd=tmp_path)
    assert res.code == 0, res.err
    assert '"environment": "staging"' in res.out and f'"host": "http://127.0.0.1:{port}"' in res.out


def test_check_host_rules():
    envs = environments()
    assert check_host("http://127.0.0.1:8080/", envs, allow_host=False).name == "staging"
    assert check_host("http://localhost:5000", envs, allow_host=False) is None  # loopback hurts no one
    assert check_host("https://other.example.org", envs, allow_host=True) is None
    with pytest.raises(InputError, match="pass --allow-host"):
        check_host("https://other.example.org", envs, allow_host=False)
    with pytest.raises(InputError, match="does not allow load tests"):
        check_host("https://SHOP.example.com:443/api", envs, allow_host=True)
    with pytest.raises(InputError, match='--host "ftp://x" is not a URL'):
        check_host("ftp://x", envs, allow_host=True)
    assert is_loopback("127.0.0.2") and is_loopback("[::1]") and not is_loopback("10.0.0.1")


def test_processes_auto_is_one_per_core_and_the_manifest_gives_defaults(tmp_path):
    import os

    from shipline.loadtest.plan import Options, resolve
    from shipline.manifest import LoadTest

    load_test = LoadTest(users=7, duration="45s", processes="auto", slo={"p99_ms": 900})
    plan = resolve(Options(host="http://127.0.0.1:1", p95_ms=250), load_test, None, tmp_path)
    assert plan.processes == (os.cpu_count() or 1)
    assert (plan.users, plan.run_time, plan.generic) == (7, 45.0, True)
    assert (plan.limits.p95_ms, plan.limits.p99_ms, plan.limits.error_rate) == (250, 900, 0.05)


def test_a_disabled_load_test_runs_nothing_and_says_so(tmp_path):
    build_file_tree(
        tmp_path, {"shipline.yml": MANIFEST.replace("{port}", "8080").replace("environments:", "load_test: {enabled: false}\n    environments:", 1)}
    )
    res = run_cli("loadtest", "--env", "production", cwd=tmp_path, env={"GITHUB_OUTPUT": str(tmp_path / "out.txt")})
    assert res.code == 0, res.err
    assert "load_test.enabled is false in the manifest: nothing to load-test" in res.out
    assert (tmp_path / "out.txt").read_text() == "result=skipped\n"


def test_flags_in_the_forms_the_help_gives_are_accepted(tmp_path):
    from shipline.loadtest.plan import Options, resolve
    from shipline.manifest import LoadTest

    plan = resolve(
        Options(
            host="http://127.0.0.1:1",
            run_time="30",
            max_error_rate="0.05",
            max_exception_rate="1%",
            p99_9_ms=800,
            abort_on_fail="error_rate,p99_9_ms",
            delay_abort="2",
        ),
        LoadTest(),
        None,
        tmp_path,
    )
    assert plan.run_time == 30.0  # -t 30 is 30 seconds
    assert (plan.limits.error_rate, plan.limits.exception_rate, plan.limits.p99_9_ms) == (0.05, 0.01, 800)
    assert plan.abort_limits == {"error_rate": 0.05, "p99_9_ms": 800} and plan.delay_abort == 2.0
    default = resolve(Options(host="http://127.0.0.1:1"), LoadTest(), None, tmp_path)
    assert default.abort_limits == {"error_rate": 0.05} and default.delay_abort == 10  # on for the error rate by default
    assert default.limits.exception_rate == 0


def test_an_exception_rate_on_an_endpoint_is_refused(tmp_path):
    build_file_tree(
        tmp_path,
        {"shipline.yml": "version: 1\nproject: {name: shop, language: python}\nload_test:\n  endpoints:\n    - {path: /, slo: {exception_rate: 1%}}\n"},
    )
    res = run_cli("loadtest", "--host", "http://127.0.0.1:9", cwd=tmp_path)
    assert res.code == 2
    assert "exception_rate applies to the whole run: set it in load_test.slo" in res.err
