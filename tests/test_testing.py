"""The test backend (JUnit XML, coverage, failure locations) and `shipline test`, in-process with real pytest."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from shipline import testing
from shipline.errors import InputError, ToolError
from shipline import manifest
from shipline.manifest import Project

from tests.helpers import build_file_tree, run_cli

# pytest's xunit2 output has no file/line attributes: the location comes from the traceback
XUNIT2 = """\
<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="4" failures="1" errors="1" skipped="1">
  <testcase classname="tests.test_app" name="test_ok" time="0.010"/>
  <testcase classname="tests.test_app" name="test_sum" time="1.500">
    <failure message="assert 3 == 4">def test_sum():
&gt;       assert add(1, 2) == 4
E       assert 3 == 4

tests/test_app.py:7: AssertionError</failure>
  </testcase>
  <testcase classname="tests.test_app" name="test_db" time="0.200">
    <error message="failed on setup with &quot;ConnectionError&quot;">Traceback (most recent call last):
  File "/usr/lib/python3/site.py", line 40, in connect
  File "tests/test_app.py", line 12, in db
ConnectionError</error>
  </testcase>
  <testcase classname="tests.test_app" name="test_later" time="0.000">
    <skipped message="not yet"/>
  </testcase>
</testsuite></testsuites>
"""

# a suite as other tools write it: one <testsuite> root, file attribute, no traceback
JEST = """\
<testsuite name="jest" tests="1" failures="1">
  <testcase classname="adds" name="adds numbers" time="0.004" file="src/sum.test.js" line="3">
    <failure message="expected 4, received 3"/>
  </testcase>
</testsuite>
"""


def test_read_junit_locates_failures_from_tracebacks(tmp_path):
    build_file_tree(tmp_path, {"junit.xml": XUNIT2, "tests/test_app.py": "# test\n"})
    cases = testing.read_junit(tmp_path / "junit.xml", tmp_path)
    by_name = {c.name: c for c in cases}
    assert [c.outcome for c in cases] == ["passed", "failed", "error", "skipped"]
    assert (by_name["test_sum"].file, by_name["test_sum"].line) == ("tests/test_app.py", 7)
    assert (by_name["test_db"].file, by_name["test_db"].line) == ("tests/test_app.py", 12)
    assert by_name["test_sum"].message == "assert 3 == 4"
    assert by_name["test_later"].message == "not yet"
    assert by_name["test_sum"].title == "tests.test_app.test_sum"


def test_read_junit_single_suite_with_file_attributes(tmp_path):
    build_file_tree(tmp_path, {"junit.xml": JEST})
    (case,) = testing.read_junit(tmp_path / "junit.xml", tmp_path)
    assert (case.outcome, case.file, case.line) == ("failed", "src/sum.test.js", 4)  # attributes count from 0
    run = testing.TestRun(1, 0.1, [case])
    assert run.count("failed") == 1 and run.failures == [case]


def test_unreadable_junit_is_a_tool_error(tmp_path):
    build_file_tree(tmp_path, {"junit.xml": "<testsuite"})
    with pytest.raises(ToolError, match="cannot read"):
        testing.read_junit(tmp_path / "junit.xml", tmp_path)


def test_read_coverage(tmp_path):
    build_file_tree(tmp_path, {"coverage.xml": '<coverage line-rate="0.8125" branch-rate="0"></coverage>\n', "bad.xml": "<nope"})
    assert testing.read_coverage(tmp_path / "coverage.xml") == 81.25
    assert testing.read_coverage(tmp_path / "bad.xml") is None


def test_plans(tmp_path):
    (tmp_path / "test_a.py").write_text("def test_a():\n    pass\n")
    python = Project(name="a", language="python")
    plan = testing.plan(python, manifest.Test(), tmp_path, env=os.environ, python=sys.executable)
    assert plan.argv[1:5] == ["-m", "pytest", "--junitxml=.shipline/test-results/junit.xml", "-o"]
    assert "--cov" in plan.argv  # pytest-cov is installed in the test environment
    custom = testing.plan(python, manifest.Test(command="make test", junit="out/junit.xml"), tmp_path, env={})
    assert (custom.argv, custom.junit) == (["bash", "-c", "make test"], tmp_path / "out/junit.xml")
    assert testing.plan(Project(name="a", language="go"), manifest.Test(), tmp_path, env={}).argv == ["go", "test", "./..."]
    node = Project(name="a", language="node")
    (tmp_path / "package.json").write_text('{"scripts": {"test": "echo \\"Error: no test specified\\" && exit 1"}}')
    with pytest.raises(InputError, match="no tests to run by default"):
        testing.plan(node, manifest.Test(), tmp_path, env={})
    (tmp_path / "package.json").write_text('{"scripts": {"test": "vitest run"}, "packageManager": "pnpm@9.12.0"}')
    assert testing.plan(node, manifest.Test(), tmp_path, env={}).argv == ["pnpm", "test"]


def test_unittest_project_runs_unittest(tmp_path):
    """A project whose tests import only unittest is tested with unittest, not pytest it does not install."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("import unittest\n\n\nclass T(unittest.TestCase):\n    def test_x(self):\n        pass\n")
    plan = testing.plan(Project(name="a", language="python"), manifest.Test(), tmp_path, env={}, python="python3")
    assert plan.argv == ["python3", "-m", "unittest", "discover", "-v", "-s", "tests", "-t", "."]


def test_has_pytest_cov_is_false_without_it(tmp_path):
    assert testing.has_pytest_cov(sys.executable, tmp_path, os.environ)
    assert not testing.has_pytest_cov("/bin/false", tmp_path, os.environ)


PROJECT = {
    "app.py": "def add(a, b):\n    return a + b\n\n\ndef unused():\n    return 0\n",
    "tests/test_app.py": "from app import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n",
}


def _env(tmp_path: Path) -> dict[str, str]:
    # the project's Python is the one running these tests: it has pytest and pytest-cov
    return {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "GITHUB_OUTPUT": str(tmp_path / "out.txt"), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}


def test_cli_green_with_coverage(tmp_path):
    build_file_tree(tmp_path, {**PROJECT, "shipline.yml": "version: 1\nproject: {name: a, language: python}\ntest: {coverage_min: 50}\n"})
    res = run_cli("test", cwd=tmp_path, env=_env(tmp_path))
    assert res.code == 0, res.out + res.err
    outputs = dict(line.split("=", 1) for line in (tmp_path / "out.txt").read_text().splitlines())
    assert (outputs["passed"], outputs["failed"], outputs["skipped"]) == ("1", "0", "0")
    assert 50 <= float(outputs["coverage"]) < 100
    summary = (tmp_path / "summary.md").read_text()
    assert "### Tests passed (python)" in summary and "#### Slowest tests" in summary


def test_cli_coverage_below_minimum_says_by_how_much(tmp_path):
    build_file_tree(tmp_path, {**PROJECT, "shipline.yml": "version: 1\nproject: {name: a, language: python}\ntest: {coverage_min: 99.5}\n"})
    res = run_cli("test", "--format", "json", cwd=tmp_path, env=_env(tmp_path))
    assert res.code == 1
    coverage = json.loads(res.out)["coverage"]
    assert f"coverage {coverage:g}% is {99.5 - coverage:.2f} points below the minimum 99.5%" in res.err


def test_cli_failure_annotation_and_custom_command(tmp_path):
    build_file_tree(
        tmp_path,
        {
            "app.py": PROJECT["app.py"],
            "tests/test_app.py": "from app import add\n\n\ndef test_add():\n    assert add(1, 2) == 4, 'math'\n",
            "shipline.yml": "version: 1\nproject: {name: a, language: python}\ntest:\n  command: python -m pytest -q --junitxml=r/j.xml\n  junit: r/j.xml\n",
        },
    )
    res = run_cli("test", "--format", "github", cwd=tmp_path, env=_env(tmp_path))
    assert res.code == 1
    assert "::error file=tests/test_app.py,line=5,title=tests.test_app.test_add failed::AssertionError: math\n" in res.out
    assert "::error title=tests failed::1 test failed" in res.out


def test_cli_coverage_min_without_coverage_is_bad_input(tmp_path):
    build_file_tree(tmp_path, {**PROJECT, "shipline.yml": "version: 1\nproject: {name: a, language: python}\ntest: {command: 'true', coverage_min: 80}\n"})
    res = run_cli("test", cwd=tmp_path, env=_env(tmp_path))
    assert res.code == 2
    assert "test.coverage_min is set but the test command wrote no coverage report; write Cobertura XML to coverage.xml" in res.err


def test_cli_coverage_min_without_pytest_cov_fails_before_running(tmp_path):
    build_file_tree(tmp_path, {**PROJECT, "shipline.yml": "version: 1\nproject: {name: a, language: python}\ntest: {coverage_min: 80}\n"})
    # a python without site-packages: no pytest-cov (nor pytest)
    build_file_tree(tmp_path, {"bin/python": f'#!/bin/sh\nexec {sys.executable} -S "$@"\n'})
    (tmp_path / "bin/python").chmod(0o755)
    res = run_cli("test", cwd=tmp_path, env={"PATH": f"{tmp_path}/bin:/usr/bin:/bin"})
    assert res.code == 2
    assert "has no pytest-cov to measure coverage: install it next to pytest" in res.err


def test_cli_command_failing_without_report(tmp_path):
    build_file_tree(tmp_path, {"shipline.yml": "version: 1\nproject: {name: a, language: go}\ntest: {command: 'exit 4', junit: j.xml}\n"})
    res = run_cli("test", cwd=tmp_path, env=_env(tmp_path))
    assert res.code == 1
    assert "the test command exited with code 4" in res.err
    assert "wrote no JUnit XML at j.xml" in res.err
