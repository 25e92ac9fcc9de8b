"""actions/test through act: a green suite gives its counts and coverage; a red one fails with an annotation at the failing line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.act_harness import run_workflow, uses

pytestmark = [pytest.mark.act, pytest.mark.slow]

WORKFLOW = f"""
on: push
jobs:
  green:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - name: Use the test Python (stands in for setup-python)
        run: echo "$TEST_PYTHON_BIN" >> "$GITHUB_PATH"
      - id: test
        uses: {uses("test")}
        with:
          working-directory: green
          runtime-version: "3.11"
  red:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - name: Use the test Python (stands in for setup-python)
        run: echo "$TEST_PYTHON_BIN" >> "$GITHUB_PATH"
      - id: test
        uses: {uses("test")}
        with:
          working-directory: red
"""

APP = "def add(a, b):\n    return a + b\n"
TESTS = """\
    import pytest

    from app import add


    def test_adds():
        assert add(2, 2) == 4


    def test_adds_negative():
        total = add(-1, -1)
        assert total == {expected}, "negative numbers"


    @pytest.mark.skip(reason="not yet")
    def test_later():
        pass
    """

FILES = {
    "green/shipline.yml": "version: 1\nproject: {name: calc, language: python}\ntest: {coverage_min: 80}\n",
    "green/app.py": APP,
    "green/tests/test_calc.py": TESTS.format(expected=-2),
    "red/shipline.yml": "version: 1\nproject: {name: calc, language: python}\n",
    "red/app.py": APP,
    "red/tests/test_calc.py": TESTS.format(expected=-3),
}


def test_test_action_counts_annotations_and_failure(tmp_path):
    # the Python running the tests has pytest and pytest-cov: it plays the project's Python
    run = run_workflow(tmp_path, WORKFLOW, files=FILES, env={"TEST_PYTHON_BIN": str(Path(sys.executable).parent)})

    assert run.jobs["green"].result == "success", run.explain()
    out = run.step("test", job="green").outputs
    assert (out["passed"], out["failed"], out["skipped"]) == ("2", "0", "1")
    assert float(out["coverage"]) >= 80
    assert "### Tests passed (python 3.11)" in run.text

    assert run.jobs["red"].result == "failure", run.explain()
    out = run.step("test", job="red").outputs
    assert (out["passed"], out["failed"], out["skipped"]) == ("1", "1", "1")
    # the annotation points at the failing assert, relative to the repository root
    assert "::error file=red/tests/test_calc.py,line=12,title=tests.test_calc.test_adds_negative failed::AssertionError: negative numbers" in run.text
    assert "| tests.test_calc.test_adds_negative | failed | red/tests/test_calc.py:12 | AssertionError: negative numbers |" in run.text
