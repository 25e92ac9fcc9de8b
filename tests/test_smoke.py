"""The smoke backend and `shipline smoke`, in-process, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import socket

import pytest
from junitparser import JUnitXml

from shipline import smoke
from shipline.errors import InputError
from shipline.manifest import SmokeCheck

from tests.helpers import build_file_tree, run_cli
from tests.smoke_server import serve


@pytest.fixture
def server():
    with serve() as url:
        yield url


def _down_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _one(url: str, check: SmokeCheck, deadline: float = 0) -> smoke.CheckResult:
    return smoke.run_checks(url, [check], deadline=deadline, retry_interval=0.05).results[0]


def test_passing_checks(server):
    checks = [
        SmokeCheck(path="/healthz", json_equals={"status": "ok", "checks.db": "up", "items.1": 2}),
        SmokeCheck(name="home", path="/", body_contains="Welcome", max_latency_ms=5000),
        SmokeCheck(path="/broken", expect_status=[500, 503]),
        SmokeCheck(path="/", method="HEAD"),
    ]
    report = smoke.run_checks(server, checks, deadline=1, retry_interval=0.1)
    assert report.ok, report
    assert [r.name for r in report.results] == ["GET /healthz", "home", "GET /broken", "HEAD /"]
    assert all(r.attempts == 1 for r in report.results)


@pytest.mark.parametrize(
    ("check", "expected", "got"),
    [
        (SmokeCheck(path="/broken"), "status 200", "status 500: internal error for anonymous"),
        (SmokeCheck(path="/", body_contains="Goodbye"), 'body containing "Goodbye"', 'body "<h1>Welcome</h1>"'),
        (SmokeCheck(path="/healthz", json_equals={"checks.db": "down"}), 'checks.db = "down"', 'checks.db = "up"'),
        (SmokeCheck(path="/healthz", json_equals={"checks.cache": "up"}), 'checks.cache = "up"', "no field checks.cache"),
        (SmokeCheck(path="/", json_equals={"a": 1}), "a JSON body", 'body "<h1>Welcome</h1>"'),
        (SmokeCheck(path="/slow", max_latency_ms=50), "latency <= 50 ms", "latency "),
    ],
)
def test_failing_check_says_what_was_expected_and_what_came_back(server, check, expected, got):
    result = _one(server, check)
    assert not result.passed
    assert result.expected == expected
    assert result.got.startswith(got)


def test_retries_until_the_service_answers(server):
    result = _one(server, SmokeCheck(path="/flaky"), deadline=10)
    assert result.passed
    assert result.attempts == 3  # 503 twice, then 200


def test_down_server_is_reported_not_raised():
    result = _one(_down_url(), SmokeCheck(path="/healthz"))
    assert not result.passed
    assert result.got == "no answer (Connection refused)"
    assert result.latency_ms is None


class FakeClock(smoke.Clock):
    """Time that only moves when the checks sleep (requests take no time)."""

    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []
        super().__init__(now=lambda: self.t, sleep=self._sleep)

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


def test_backoff_doubles_up_to_a_cap_and_stops_at_the_deadline():
    clock = FakeClock()
    report = smoke.run_checks(_down_url(), [SmokeCheck(path="/")], deadline=30, retry_interval=1, clock=clock)
    assert clock.sleeps == [1, 2, 4, 8, 8, 6.5]  # capped at 8x the interval; the last wait leaves the last try half a second
    assert report.results[0].attempts == 7


def test_expand_env_fills_headers_and_lists_secrets():
    checks = [SmokeCheck(path="/", headers={"Authorization": "Bearer ${TOKEN}", "X-Trace": "${TRACE}", "Accept": "text/html", "X-Api-Key": "k1"})]
    expanded, secrets = smoke.expand_env(checks, {"TOKEN": "t0k", "TRACE": "abc"})
    assert expanded[0].headers == {"Authorization": "Bearer t0k", "X-Trace": "abc", "Accept": "text/html", "X-Api-Key": "k1"}
    assert set(secrets) == {"t0k", "Bearer t0k", "abc", "k1"}
    with pytest.raises(InputError, match=r"header Authorization uses \$\{TOKEN\}, which is not set"):
        smoke.expand_env(checks, {"TRACE": "abc"})


def test_junit_has_one_case_per_check_and_failures(server, tmp_path):
    report = smoke.run_checks(server, [SmokeCheck(path="/"), SmokeCheck(name="api", path="/broken")], deadline=0, retry_interval=0.1)
    smoke.write_junit(report, tmp_path / "out" / "smoke.xml")
    suite = next(iter(JUnitXml.fromfile(str(tmp_path / "out" / "smoke.xml"))))
    assert (suite.tests, suite.failures) == (2, 1)
    cases = {c.name: c for c in suite}
    assert cases["api"].result[0].message.startswith("expected status 200, got status 500")


def test_checks_file_errors_are_located(tmp_path):
    build_file_tree(tmp_path, {"checks.yml": "- path: /ok\n- path: no-slash\n  expect_status: 99\n"})
    with pytest.raises(InputError) as err:
        smoke.load_checks(tmp_path / "checks.yml", "checks.yml")
    lines = err.value.lines()
    assert any(line.startswith("checks.yml:2:9: ") and '"no-slash"' in line for line in lines), lines
    assert any(line.startswith("checks.yml:3:18: ") for line in lines), lines
    build_file_tree(tmp_path, {"empty.yml": "{}\n"})
    with pytest.raises(InputError, match="expected a non-empty YAML list of checks"):
        smoke.load_checks(tmp_path / "empty.yml", "empty.yml")


MANIFEST = """\
    version: 1
    project: {name: web, language: python}
    smoke:
      deadline: 0.5
      retry_interval: 0.1
      checks:
        - name: health
          path: /healthz
          headers: {Authorization: "Bearer ${SMOKE_TOKEN}"}
    environments:
      - name: staging
        url: URL
        deploy:
          router: {type: command, switch: "true"}
          slots: {blue: {port: 8001}, green: {port: 8002}}
    """


def test_cli_passes_with_env_url_outputs_and_masking(server, tmp_path):
    build_file_tree(tmp_path, {"shipline.yml": MANIFEST.replace("URL", server)})
    out_file, summary = tmp_path / "out.txt", tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(out_file), "GITHUB_STEP_SUMMARY": str(summary), "SMOKE_TOKEN": "sekrit"}
    res = run_cli("smoke", "--env", "staging", "--junit", "smoke.xml", cwd=tmp_path, env=env)
    assert res.code == 0, res.out + res.err
    assert "::add-mask::sekrit\n" in res.out
    assert out_file.read_text() == "passed=1\nfailed=0\njunit-file=smoke.xml\n"
    assert "### Smoke checks passed: 1 of 1" in summary.read_text()
    assert (tmp_path / "smoke.xml").is_file()


def test_an_environment_on_several_hosts_is_checked_on_each_host_naming_the_failing_one(server, tmp_path):
    # the environment's url answers (the first host behind it); the second host's own entry point does not
    hosts = f"""\
        hosts:
          - {{name: web1, host: web1.example.com, user: deploy, url: "{server}"}}
          - {{name: web2, host: web2.example.com, user: deploy, url: "{_down_url()}"}}
"""
    text = MANIFEST.replace("URL", server).replace("        deploy:\n", hosts + "        deploy:\n", 1)
    build_file_tree(tmp_path, {"shipline.yml": text})
    env = {"SMOKE_TOKEN": "sekrit"}
    res = run_cli("smoke", "--env", "staging", "--junit", "smoke.xml", "--format", "json", cwd=tmp_path, env=env)
    assert res.code == 1, res.out + res.err
    doc = json.loads(res.out)
    assert (doc["passed"], doc["failed"]) == (1, 1)
    assert [(h["name"], [c["passed"] for c in h["checks"]]) for h in doc["hosts"]] == [("web2", [False])]
    assert "error: smoke check health failed on host web2: GET http://127.0.0.1:" in res.err
    assert [suite.name for suite in JUnitXml.fromfile(str(tmp_path / "smoke.xml"))] == ["smoke", "smoke web2"]
    # the generated smoke step gives the url and the environment: the hosts are checked all the same
    res = run_cli("smoke", "--base-url", server, "--env", "staging", cwd=tmp_path, env=env)
    assert res.code == 1 and "on host web2" in res.err
    assert "1 of 2 smoke checks passed against " + server + " and on host(s) web2" in res.out


def test_cli_fails_naming_each_check(server, tmp_path):
    build_file_tree(tmp_path, {"checks.yml": "- {name: api, path: /broken}\n- {path: /}\n"})
    res = run_cli("smoke", "--base-url", server, "--checks", "checks.yml", "--deadline", "0", "--format", "json", cwd=tmp_path)
    assert res.code == 1
    doc = json.loads(res.out)
    assert (doc["passed"], doc["failed"]) == (1, 1)
    assert "error: smoke check api failed: GET " in res.err
    assert "expected status 200, got status 500" in res.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--checks", "c.yml"], "say where the service is: --base-url URL, or --env NAME"),
        (["--base-url", "localhost:80", "--checks", "c.yml"], '--base-url "localhost:80" must start with http:// or https://'),
        (["--base-url", "http://127.0.0.1:1", "--checks", "c.yml", "--deadline", "soon"], "--deadline: expected a duration"),
        (["--env", "prod", "--checks", "c.yml"], "--env prod needs the manifest"),
    ],
)
def test_cli_bad_input_exits_2(tmp_path, argv, message):
    build_file_tree(tmp_path, {"c.yml": "- path: /\n"})
    res = run_cli("smoke", *argv, cwd=tmp_path)
    assert res.code == 2
    assert message in res.err


def test_cli_disabled_smoke_checks_nothing(tmp_path):
    build_file_tree(tmp_path, {"shipline.yml": "version: 1\nproject: {name: web, language: go}\nsmoke: {enabled: false}\n"})
    res = run_cli("smoke", "--base-url", _down_url(), cwd=tmp_path)
    assert res.code == 0
    assert "smoke tests are disabled" in res.out


def test_hanging_checks_never_run_past_the_deadline():
    # a listening socket that never accepts: connections open, no answer ever comes
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(32)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        checks = [SmokeCheck(path=f"/check/{i}") for i in range(10)]
        report = smoke.run_checks(url, checks, deadline=2, retry_interval=0.5)
    assert not report.ok and all(r.attempts == 1 for r in report.results)
    assert all(r.got.startswith("no answer") for r in report.results)
    # one after the other, ten one-second tries took 10 s; side by side they end near the
    # 2 s deadline (the bound is loose: a loaded machine must not make this a timing test)
    assert report.duration < 6, report.duration
