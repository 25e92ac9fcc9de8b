"""`shipline test`: run the tests, annotate each failure at its line, gate on coverage."""

from __future__ import annotations

import argparse
from pathlib import Path

from shipline.context import Context
from shipline.errors import EXIT_GATE_FAILED, EXIT_OK

# the child writes straight to our stderr (a file descriptor, whatever sys.stderr is)
STDERR_FD = 2

HELP = "run the tests; annotate failures, summarise, gate on coverage"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--runtime-version."""
    parser.add_argument("--runtime-version", metavar="V", help="the runtime version under test (a matrix entry); shown in the summary")


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Run the test command, report the results, and fail on failed tests or low coverage."""
    from shipline import testing, validation
    from shipline.runtime import project_python
    from shipline.report import markdown_table

    service = ctx.load_manifest(args.manifest).service(args.service)
    cwd = ctx.path(service.project.working_directory)
    if not cwd.is_dir():
        raise validation.error_at(service.project, "working_directory", f'project.working_directory "{service.project.working_directory}" is not a directory')
    python = project_python(ctx.environ)
    env = {**ctx.environ, "PYTHONUNBUFFERED": "1"}
    plan = testing.plan(service.project, service.test, cwd, env=env, python=python)
    runtime = args.runtime_version or service.project.runtime or ""
    label = f"{service.project.language} {runtime}".strip()
    reporter = ctx.reporter
    if service.test.coverage_min is not None and plan.coverage_xml is None:
        raise validation.error_at(service.test, "coverage_min", f"test.coverage_min is set but {python} has no pytest-cov to measure coverage: install it next to pytest")
    with reporter.group(f"Tests ({label}): {plan.display}"):
        # in JSON mode stdout carries only the JSON document, so the tests talk on stderr
        result = testing.run(plan, env=env, stdout=STDERR_FD if reporter.format == "json" else None)

    workspace = Path(ctx.environ["GITHUB_WORKSPACE"]) if ctx.environ.get("GITHUB_WORKSPACE") else ctx.cwd
    passed, failed, skipped = result.count("passed"), result.count("failed", "error"), result.count("skipped")
    for case in result.failures:
        where = {}
        if case.file:
            where = {"file": testing.repo_path(case.file, cwd, workspace), "line": case.line}
        message = _first_line(case.message) or _first_line(case.details) or case.outcome
        reporter.error(message, title=f"{case.title} {case.outcome}", **where)

    problems = []
    if failed:
        problems.append(f"{failed} test{'s' if failed != 1 else ''} failed")
    elif result.returncode != 0:
        # no failure in the report but the command said no: collection errors, no tests, a crash
        problems.append(f"the test command exited with code {result.returncode}")
    if not result.junit_found and plan.junit is not None:
        reporter.warning(f"the test command wrote no JUnit XML at {ctx.display(plan.junit)}; counts are unknown")
    coverage_min = service.test.coverage_min
    if coverage_min is not None:
        if result.coverage is None:
            expected = ctx.display(plan.coverage_xml) if plan.coverage_xml else "coverage.xml"
            raise validation.error_at(service.test, "coverage_min", f"test.coverage_min is set but the test command wrote no coverage report; write Cobertura XML to {expected}")
        if result.coverage < coverage_min:
            problems.append(f"coverage {result.coverage:g}% is {coverage_min - result.coverage:.2f} points below the minimum {coverage_min:g}%")

    coverage_text = "" if result.coverage is None else f"{result.coverage:g}"
    line = f"{passed} passed, {failed} failed, {skipped} skipped in {result.seconds:.1f}s"
    if coverage_text:
        line += f"; coverage {coverage_text}%"
    reporter.info(line)
    summary = [f"### Tests {'failed' if problems else 'passed'} ({label})", "", line, ""]
    summary += [f"- :x: {p}" for p in problems]
    if result.failures:
        rows = [(c.title, c.outcome, testing.repo_path(c.file, cwd, workspace) + (f":{c.line}" if c.line else "") if c.file else "", _first_line(c.message)) for c in result.failures]
        summary += ["", "#### Failures", "", markdown_table(("test", "outcome", "where", "message"), rows)]
    if result.cases:
        slowest = [(c.title, f"{c.seconds:.2f}s", c.outcome) for c in result.slowest()]
        summary += ["", "#### Slowest tests", "", markdown_table(("test", "time", "outcome"), slowest)]
    reporter.summary("\n".join(summary))
    for problem in problems:
        reporter.error(problem, title="tests failed")

    reporter.output("passed", str(passed))
    reporter.output("failed", str(failed))
    reporter.output("skipped", str(skipped))
    reporter.output("coverage", coverage_text)
    reporter.result(
        passed=passed,
        failed=failed,
        skipped=skipped,
        coverage=result.coverage,
        returncode=result.returncode,
        failures=[{"test": c.title, "file": c.file, "line": c.line, "message": c.message} for c in result.failures],
    )
    return EXIT_GATE_FAILED if problems else EXIT_OK
