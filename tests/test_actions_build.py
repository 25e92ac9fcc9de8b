"""actions/build through act: a python build and a container build pass with their outputs; a broken build fails."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from tests.act_harness import run_workflow, uses

pytestmark = [pytest.mark.act, pytest.mark.slow]

PYDEMO = {f"py/{p.name}": p.read_text(encoding="utf-8") for p in (Path(__file__).parent / "projects" / "pydemo").iterdir() if p.is_file()}

FAKE_DOCKER = """\
#!/usr/bin/env bash
# stands in for docker (no engine here): records its arguments, answers `image inspect`
echo "$*" >> "$GITHUB_WORKSPACE/docker-calls.log"
if [[ "$1 $2" == "image inspect" ]]; then echo "sha256:$(printf '%064d' 7)"; fi
"""

WORKFLOW = f"""
on: push
jobs:
  python:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - name: Use the test Python (stands in for setup-python)
        run: echo "$TEST_PYTHON_BIN" >> "$GITHUB_PATH"
      - id: build
        uses: {uses("build")}
        with:
          working-directory: py
      - id: sums
        name: Digests as sha256sum sees them
        run: cd py && sha256sum dist/*
  container:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - name: Fake docker on PATH
        run: |
          mkdir -p "$RUNNER_TEMP/fake" && cp fake-docker "$RUNNER_TEMP/fake/docker"
          chmod +x "$RUNNER_TEMP/fake/docker" && echo "$RUNNER_TEMP/fake" >> "$GITHUB_PATH"
      - id: build
        uses: {uses("build")}
        with:
          working-directory: img
          version: 2.0.0+rc1
      - id: calls
        run: cat docker-calls.log
  broken:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - id: build
        uses: {uses("build")}
        with:
          manifest: broken.yml
"""

FILES = {
    "py/shipline.yml": "version: 1\nproject: {name: demo, language: python}\n",
    **PYDEMO,
    "img/shipline.yml": "version: 1\nproject: {name: web, language: container}\nbuild: {image: ghcr.io/acme/web}\n",
    "img/Dockerfile": "FROM scratch\n",
    "fake-docker": FAKE_DOCKER,
    "broken.yml": "version: 1\nproject: {name: demo, language: go}\nbuild:\n  command: echo compiling; exit 3\n",
}


def test_build_action_outputs_and_failure(tmp_path):
    # the Python running the tests has `build`: it plays the project's Python
    run = run_workflow(tmp_path, WORKFLOW, files=FILES, env={"TEST_PYTHON_BIN": str(Path(sys.executable).parent)})

    assert run.jobs["python"].result == "success", run.explain()
    out = run.step("build", job="python").outputs
    assert out["version"] == "1.2.3"
    assert json.loads(out["artifacts"]) == ["dist/demo-1.2.3-py3-none-any.whl", "dist/demo-1.2.3.tar.gz"]
    digests = json.loads(out["digests"])
    for line in run.step("sums").log:  # sha256sum's own lines: "<hex>  dist/<file>"
        if m := re.match(r"([0-9a-f]{64})\s+(\S+)", line):
            assert digests[m.group(2)] == m.group(1)
    assert len(digests) == 2

    assert run.jobs["container"].result == "success", run.explain()
    out = run.step("build", job="container").outputs
    calls = "\n".join(run.step("calls").log)
    sha = re.search(r"ghcr.io/acme/web:([0-9a-f]{40})", calls)
    assert sha, calls
    assert "--tag ghcr.io/acme/web:2.0.0-rc1" in calls  # '+' is not allowed in a docker tag
    assert out["version"] == "2.0.0+rc1"
    assert json.loads(out["artifacts"]) == [f"ghcr.io/acme/web:{sha.group(1)}", "ghcr.io/acme/web:2.0.0-rc1"]
    assert set(json.loads(out["digests"]).values()) == {"0" * 63 + "7"}

    assert run.jobs["broken"].result == "failure", run.explain()
    assert "::error title=build failed::`echo compiling; exit 3` exited with code 3" in run.text
    assert not run.ok
