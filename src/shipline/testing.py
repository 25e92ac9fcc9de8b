"""Run a project's tests and read what they did: JUnit XML, coverage, the failing lines.

`plan(project, test, ...)` picks the command: the manifest's ``test.command``, else the
language plugin's default (python: pytest writing JUnit XML, plus coverage when
pytest-cov is installed in the project's Python, or unittest where the project's tests
use only it; node: its package manager's ``test``; go: ``go test ./...``).
`run(plan)` runs it and returns a `TestRun`; `read_junit(path)` parses JUnit XML with
junitparser, so any tool that writes JUnit (jest-junit, gotestsum...) is understood.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from shipline import validation
from shipline.errors import InputError, ToolError
from shipline.languages import ProjectFiles, get
from shipline.manifest import Project, Test

RESULTS_DIR = ".shipline/test-results"
SLOWEST = 5
# pytest's "tests/test_app.py:12: AssertionError" and Python's 'File "x.py", line 12'
_TRACEBACK_LINE = re.compile(r'^\s*([^\s:"]+\.py):(\d+):|File "([^"]+\.py)", line (\d+)', re.MULTILINE)


@dataclass(frozen=True)
class Plan:
    """The command to run and where its reports will be."""

    argv: list[str]
    cwd: Path
    junit: Path | None
    coverage_xml: Path | None
    display: str


@dataclass(frozen=True)
class Case:
    """One test case from JUnit XML."""

    name: str
    classname: str
    seconds: float
    outcome: str  # passed, failed, error, skipped
    message: str = ""
    details: str = ""
    file: str | None = None
    line: int | None = None

    @property
    def title(self) -> str:
        """``classname.name``, or the name alone."""
        return f"{self.classname}.{self.name}" if self.classname else self.name


@dataclass
class TestRun:
    """What a test command did."""

    returncode: int
    seconds: float
    cases: list[Case] = field(default_factory=list)
    coverage: float | None = None  # line coverage in percent
    junit_found: bool = False

    def count(self, *outcomes: str) -> int:
        """How many cases ended in one of ``outcomes``."""
        return sum(1 for c in self.cases if c.outcome in outcomes)

    @property
    def failures(self) -> list[Case]:
        """Failed and errored cases."""
        return [c for c in self.cases if c.outcome in ("failed", "error")]

    def slowest(self, n: int = SLOWEST) -> list[Case]:
        """The ``n`` slowest cases, slowest first."""
        return sorted(self.cases, key=lambda c: c.seconds, reverse=True)[:n]


def has_pytest_cov(python: str, cwd: Path, env: Mapping[str, str]) -> bool:
    """Whether the project's Python can load pytest-cov (coverage is measured only then)."""
    try:
        # find_spec, not import: importing pytest-cov loads coverage and costs ten times more
        code = "import importlib.util, sys; sys.exit(importlib.util.find_spec('pytest_cov') is None)"
        probe = subprocess.run([python, "-c", code], cwd=cwd, env=dict(env), capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def plan(project: Project, test: Test, cwd: Path, *, env: Mapping[str, str], python: str = "python") -> Plan:
    """The command for ``test`` in ``cwd``: the manifest's own, or the language's default.

    ``python`` is the project's interpreter as found on ``env``'s PATH.
    """
    results = cwd / RESULTS_DIR
    if test.command:
        junit = cwd / test.junit if test.junit else None
        coverage: Path | None = cwd / "coverage.xml"
        return Plan(["bash", "-c", test.command], cwd, junit, coverage, test.command)
    argv = get(project.language).test_command(ProjectFiles(cwd), python)
    if argv is None:
        raise validation.error_at(
            project, "language", f'the {project.language} project in {project.working_directory or "."} has no tests to run by default; set test.command in the manifest, or test.enabled: false'
        )
    junit = cwd / test.junit if test.junit else None
    coverage = None
    if argv[1:3] == ["-m", "pytest"]:
        junit = results / "junit.xml"
        # xunit1 adds file and line attributes to each test case
        argv = [*argv, f"--junitxml={RESULTS_DIR}/junit.xml", "-o", "junit_family=xunit1"]
        if has_pytest_cov(python, cwd, env):
            coverage = results / "coverage.xml"
            argv += ["--cov", f"--cov-report=xml:{RESULTS_DIR}/coverage.xml", "--cov-report=term"]
    return Plan(argv, cwd, junit, coverage, shlex.join(argv))


def _fresh(path: Path | None, since: float) -> bool:
    return path is not None and path.is_file() and path.stat().st_mtime >= since - 1


def run(plan: Plan, *, env: Mapping[str, str], stdout: int | IO[str] | None = None) -> TestRun:
    """Run the plan's command (its output goes to ``stdout``) and read its reports."""
    for report in (plan.junit, plan.coverage_xml):
        if report is not None:
            report.parent.mkdir(parents=True, exist_ok=True)
    started = time.time()
    try:
        proc = subprocess.run(plan.argv, cwd=plan.cwd, env=dict(env), stdout=stdout, stderr=subprocess.STDOUT if stdout else None)
    except FileNotFoundError:
        raise InputError(f"cannot run the test command: {plan.argv[0]} is not installed or not on PATH") from None
    result = TestRun(proc.returncode, time.time() - started)
    if plan.junit is not None and _fresh(plan.junit, started):
        result.cases = read_junit(plan.junit, plan.cwd)
        result.junit_found = True
    if plan.coverage_xml is not None and _fresh(plan.coverage_xml, started):
        result.coverage = read_coverage(plan.coverage_xml)
    return result


def _location(case_elem: Mapping[str, str] | Any, classname: str, details: str, root: Path) -> tuple[str | None, int | None]:
    """Where a test failed: the innermost traceback frame in the test's file, else its JUnit attributes."""
    file = case_elem.get("file")
    if not file and classname:
        guess = classname.replace(".", "/") + ".py"
        file = guess if (root / guess).is_file() else None
    frames = [(a or c, int(b or d)) for a, b, c, d in _TRACEBACK_LINE.findall(details)]
    in_test_file = [fr for fr in frames if file and Path(fr[0]).as_posix().endswith(Path(file).as_posix())]
    if in_test_file:
        return file, in_test_file[-1][1]
    if frames and not file:
        return frames[-1]
    line = case_elem.get("line")
    # pytest's xunit1 line attribute counts from 0
    return file, (int(line) + 1 if line and line.isdigit() else None)


def read_junit(path: Path, root: Path) -> list[Case]:
    """Every test case in a JUnit XML file; ``root`` resolves test files for annotations."""
    from junitparser import Error, Failure, JUnitXml, Skipped, TestSuite

    try:
        xml = JUnitXml.fromfile(str(path))
    except Exception as err:  # junitparser raises lxml or ElementTree errors
        raise ToolError("junit", f"cannot read {path}: {err}") from None
    suites = [xml] if isinstance(xml, TestSuite) else list(xml)
    cases = []
    for suite in suites:
        for case in suite:
            outcome, message, details = "passed", "", ""
            for res in case.result:
                if isinstance(res, (Failure, Error)):
                    outcome = "failed" if isinstance(res, Failure) else "error"
                    message, details = res.message or "", res.text or ""
                elif isinstance(res, Skipped):
                    outcome, message = "skipped", res.message or ""
            file, line = (None, None)
            if outcome in ("failed", "error"):
                file, line = _location(case._elem, case.classname or "", details, root)
            cases.append(Case(case.name or "", case.classname or "", float(case.time or 0), outcome, message, details, file, line))
    return cases


def read_coverage(path: Path) -> float | None:
    """Line coverage in percent from a Cobertura XML report (coverage.py, jest, gocover-cobertura)."""
    # the report was just written by the project's own coverage tool in this job
    from xml.etree import ElementTree  # nosec B405

    try:
        rate = ElementTree.parse(path).getroot().get("line-rate")  # nosec B314
    except (ElementTree.ParseError, OSError):
        return None
    return round(float(rate) * 100, 2) if rate is not None else None


def repo_path(file: str, cwd: Path, workspace: Path | None) -> str:
    """A test file as the repository sees it (annotations are relative to the workspace)."""
    path = Path(file)
    if not path.is_absolute():
        path = cwd / path
    base = workspace or cwd
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return os.path.relpath(path, base)
