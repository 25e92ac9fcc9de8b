"""actions/smoke-test through act against real HTTP servers on 127.0.0.1: healthy passes; a 500 and a server that is down fail, named."""

from __future__ import annotations

import socket

import pytest

from tests.act_harness import run_workflow, uses
from tests.smoke_server import serve

pytestmark = [pytest.mark.act, pytest.mark.slow]

WORKFLOW = f"""
on: push
jobs:
  healthy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - id: smoke
        uses: {uses("smoke-test")}
        with:
          base-url: ${{{{ env.LIVE_URL }}}}
          junit-file: reports/smoke.xml
      - id: junit
        run: cat reports/smoke.xml
  broken:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - id: smoke
        uses: {uses("smoke-test")}
        env:
          API_TOKEN: tok-5ecret-123
        with:
          base-url: ${{{{ env.LIVE_URL }}}}
          checks-file: broken-checks.yml
  down:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - id: smoke
        uses: {uses("smoke-test")}
        with:
          base-url: ${{{{ env.DOWN_URL }}}}
"""

FILES = {
    "shipline.yml": """\
        version: 1
        project: {name: web, language: python}
        smoke:
          deadline: 2s
          retry_interval: 0.5
          checks:
            - name: health
              path: /healthz
              json_equals: {status: ok, "checks.db": up}
            - name: home page
              path: /
              body_contains: Welcome
              max_latency_ms: 5000
        """,
    "broken-checks.yml": """\
        - name: api
          path: /broken
          headers: {Authorization: "Bearer ${API_TOKEN}"}
        """,
}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_smoke_action_passes_and_names_failed_checks(tmp_path):
    with serve() as live:
        env = {"LIVE_URL": live, "DOWN_URL": f"http://127.0.0.1:{_closed_port()}"}
        run = run_workflow(tmp_path, WORKFLOW, files=FILES, env=env)

    assert run.jobs["healthy"].result == "success", run.explain()
    out = run.step("smoke", job="healthy").outputs
    assert (out["passed"], out["failed"], out["junit-file"]) == ("2", "0", "reports/smoke.xml")
    junit = "\n".join(run.step("junit").log)
    assert 'tests="2"' in junit and 'failures="0"' in junit
    assert "### Smoke checks passed: 2 of 2" in run.text

    assert run.jobs["broken"].result == "failure", run.explain()
    assert run.step("smoke", job="broken").outputs["failed"] == "1"
    assert "title=smoke check api failed::GET " in run.text
    # the server echoes the Authorization header into its 500 page: it must stay masked
    assert "expected status 200, got status 500: internal error for Bearer ***" in run.text
    assert "tok-5ecret-123" not in run.text

    assert run.jobs["down"].result == "failure", run.explain()
    assert "title=smoke check health failed::" in run.text
    assert "title=smoke check home page failed::" in run.text
    assert "got no answer (Connection refused)" in run.text
