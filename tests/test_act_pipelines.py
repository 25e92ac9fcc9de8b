"""Generated pipelines run end to end through `shipline act`: real act, haproxy, slots, locust.

The example app passes every stage, then a release with a production-only fault is
rolled back by the canary analysis; a release whose unit tests fail stops at Test
and deploys nothing. These are the slowest tests of the suite: keep them few.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import free_port, run_cli
from tests.prometheus_support import Load, start_prometheus
from tests.test_act_localrun import git

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "pipelines" / "example"
RUN_DIR = "/tmp/shipline-example"  # the example's manifest and haproxy.cfg name it
PORTS = (18100, 18101, 18102, 18110, 18111, 18112, 18120)  # 18120: haproxy's exporter
EXAMPLE_PROMETHEUS = "http://127.0.0.1:18130"  # the manifest's; the tests' Prometheus listens on a free port
PIPELINE_JOBS = {"build", "test", "scan", "deploy-staging", "load-test-staging", "deploy-production"}

pytestmark = [pytest.mark.act, pytest.mark.slow]


class Placement:
    """Where this test puts the example: its own run directory and free ports for the example's fixed ones.

    The example names /tmp/shipline-example and ports 18100-18120 so that a person can
    run it by hand; the tests move it, so that suites running side by side never meet.
    """

    def __init__(self, tmp_path: Path):
        self.run_dir = tmp_path / "run"
        self.ports = {port: free_port() for port in PORTS}

    def port(self, example_port: int) -> int:
        return self.ports[example_port]

    def apply(self, text: str) -> str:
        """``text`` (the example's manifest or haproxy.cfg) with this placement's directory and ports."""
        text = text.replace(RUN_DIR, str(self.run_dir))
        # one pass: a new port may be one of the example's own numbers, which must not be replaced again
        ports = "|".join(map(str, self.ports))
        return re.sub(rf"\b(?:{ports})\b", lambda m: str(self.ports[int(m.group())]), text)


@pytest.fixture
def place(tmp_path) -> Placement:
    return Placement(tmp_path)


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def bindable(port: int) -> bool:
    """Whether a server could bind ``port`` now, as haproxy and the slots will."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def healthz(port: int) -> dict:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
        return json.loads(resp.read())


def example_repo(tmp_path: Path, place: Placement, extra: dict[str, str] | None = None, prometheus: str = EXAMPLE_PROMETHEUS) -> Path:
    """The example in a fresh git repository at ``place``, generated for the Python this machine has, judged by the ``prometheus`` URL."""
    repo = tmp_path / "example"
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns(".github", "__pycache__"))
    here = "%d.%d" % sys.version_info[:2]
    manifest = repo / "shipline.yml"
    text = manifest.read_text().replace('runtime: "3.11"', f'runtime: "{here}"').replace(EXAMPLE_PROMETHEUS, prometheus)
    manifest.write_text(place.apply(text))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "example")
    # a second commit, so the push has a parent to scan against (as after any first push)
    for rel, text in (extra or {}).items():
        (repo / rel).write_text(text)
    assert run_cli("generate", cwd=repo).code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "generate the workflows")
    return repo


def stop_deployed_slots(place: Placement) -> None:
    """Stop the slots the deploys started (daemons in sessions of their own), as shipline's deploy does."""
    from shipline import manifest
    from shipline.deploy.slots import Slots

    placed = place.run_dir / "shipline.yml"
    placed.write_text(place.apply((EXAMPLE / "shipline.yml").read_text()))
    for env in manifest.load(placed).environments:
        slots = Slots(env.deploy, Path(env.deploy.state_dir), env.name, place.run_dir, {})
        for color in ("blue", "green"):
            slots.stop(color)


@pytest.fixture
def haproxy(tmp_path, place):
    """haproxy in front of staging and production, as the example's haproxy.cfg says (moved to ``place``)."""
    busy = [p for p in place.ports.values() if not bindable(p)]
    if busy:
        pytest.fail(f"ports {busy} on 127.0.0.1 are in use")
    place.run_dir.mkdir(parents=True)
    config = tmp_path / "haproxy.cfg"
    config.write_text(place.apply((EXAMPLE / "haproxy.cfg").read_text()))
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    log = tmp_path / "haproxy.log"
    proc = subprocess.Popen([binary, "-db", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=log.open("wb"), start_new_session=True)
    proc.log = log  # for assertion messages: haproxy_note()
    proc.admin_socket = place.run_dir / "haproxy.sock"
    try:
        # ready means answering: the socket file exists before haproxy accepts on it
        deadline = time.monotonic() + 10
        while not (admin_answers(place.run_dir / "haproxy.sock") and listening(place.port(18100)) and listening(place.port(18110))):
            assert proc.poll() is None and time.monotonic() < deadline, "haproxy did not start:\n" + log.read_text()
            time.sleep(0.05)
        yield proc
    finally:
        stop_deployed_slots(place)
        proc.terminate()
        proc.wait(timeout=10)
        assert [p for p in place.ports.values() if listening(p)] == [], "something is still listening on the example's ports"


@pytest.fixture
def prometheus(tmp_path, place, haproxy):
    """Prometheus on a free loopback port scraping the example's haproxy exporter every second, and production's users."""
    (tmp_path / "prometheus").mkdir()
    server = start_prometheus(tmp_path / "prometheus", [f"127.0.0.1:{place.port(18120)}"])
    try:
        # production's canaries are judged by the traffic they take: bounded, like every load loop
        with Load(place.port(18110), max_requests=60_000, max_seconds=900, pause=0.02):
            yield server
    finally:
        server.stop()


def admin_answers(sock: Path) -> bool:
    """Whether haproxy's admin socket accepts a command."""
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(1)
            s.connect(str(sock))
            s.sendall(b"show info\n")
            return b"Name: HAProxy" in s.recv(4096)
    except OSError:
        return False


def haproxy_note(proc: subprocess.Popen) -> str:
    """haproxy's own account, for a failed deploy's assertion message."""
    alive = "running" if proc.poll() is None else f"exited with {proc.returncode}"
    return f"\nhaproxy: {alive}; admin socket answers: {admin_answers(proc.admin_socket)}\n{proc.log.read_text()[-2000:]}"


def act(repo: Path, tmp_path: Path) -> tuple[int, dict]:
    result = run_cli("act", "--format", "json", cwd=repo, env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert result.out.strip(), result.err
    return result.code, json.loads(result.out)


def explain(report: dict) -> str:
    """Each job's result, and the output of every failed step, for an assertion message."""
    lines = []
    for job in report["jobs"]:
        lines.append(f"{job['id']}: {job['result']}")
        for step in job["steps"]:
            if step["result"] == "failure":
                lines += [f"  step {step['name']!r} failed:"] + [f"    {line}" for line in step.get("output", [])]
    return "\n".join(lines + [f"not run: {report['not_run']}"])


def results(report: dict) -> dict[str, str]:
    """The result of each stage of the pipeline (jobs for other events left out)."""
    every = {j["id"]: j["result"] for j in report["jobs"]} | {name: "not run" for name in report["not_run"]}
    return {name: result for name, result in every.items() if name in PIPELINE_JOBS}


def test_example_passes_every_stage_then_the_canary_rolls_back_a_faulty_release(tmp_path, place, haproxy, prometheus):
    repo = example_repo(tmp_path, place, prometheus=prometheus.url)
    code, report = act(repo, tmp_path)
    assert (code, results(report)) == (0, dict.fromkeys(PIPELINE_JOBS, "success")), explain(report) + haproxy_note(haproxy)
    first = healthz(place.port(18110))["version"]
    assert first and healthz(place.port(18100))["version"] == first

    (repo / "fault.json").write_text('{"error_rate": 0.5, "environment": "production"}')
    git(repo, "add", "fault.json")
    git(repo, "commit", "-qm", "a config that breaks production")
    code, report = act(repo, tmp_path)
    assert code == 1
    assert results(report) == dict.fromkeys(PIPELINE_JOBS - {"deploy-production"}, "success") | {"deploy-production": "failure"}, explain(report) + haproxy_note(haproxy)
    production = next(j for j in report["jobs"] if j["id"] == "deploy-production")
    assert [s["name"] for s in production["steps"] if s["result"] == "failure"] == ["Deploy to production"]
    assert healthz(place.port(18110))["version"] == first  # rolled back by itself
    assert "canary error rate" in json.dumps(production), "the prometheus provider judged the canary: " + explain(report)
    assert healthz(place.port(18100))["version"] != first  # staging took the release: the fault is production-only


def test_failing_unit_test_stops_the_pipeline_at_test_and_deploys_nothing(tmp_path, place):
    broken = "import unittest\n\n\nclass Broken(unittest.TestCase):\n    def test_fails(self):\n        self.assertEqual(1, 2)\n"
    repo = example_repo(tmp_path, place, {"tests/test_broken.py": broken})
    code, report = act(repo, tmp_path)
    assert code == 1
    assert results(report) == {
        "build": "success",
        "test": "failure",
        "scan": "success",
        "deploy-staging": "not run",
        "load-test-staging": "not run",
        "deploy-production": "not run",
    }, explain(report)
    test_job = next(j for j in report["jobs"] if j["id"] == "test")
    assert [s["name"] for s in test_job["steps"] if s["result"] == "failure"] == ["Test"]
