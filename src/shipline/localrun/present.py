"""How a local run is shown: the plan before, a line per job during, tables after."""

from __future__ import annotations

from shipline.errors import ToolError
from shipline.localrun import jsonlog, workflows
from shipline.localrun.runner import Plan, Result
from shipline.report import Reporter

MARK = {"success": "ok", "failure": "FAILED", "skipped": "skipped", "cancelled": "cancelled"}


def jobs_table(plan: Plan) -> tuple[list[str], list[list[str]]]:
    """Headers and rows listing every job (for ``--list``)."""
    rows = [[j.workflow, j.id, j.name, ", ".join(j.needs) or "-"] for j in plan.found.jobs]
    return ["workflow", "job", "name", "needs"], rows


def mapping_line(plan: Plan) -> str:
    """One line saying how the run stays on this machine."""
    labels = ", ".join(sorted(plan.found.labels)) or "ubuntu-latest"
    kit = f"kit actions from {plan.kit_dir}" if plan.mapping.kit else "no kit actions"
    standins = ", ".join(sorted({str(r) for r in plan.mapping.standins})) or "none"
    return f"act runs on this machine ({labels} -> host), {kit}; offline stand-ins: {standins}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def job_line(job: jsonlog.Job) -> str:
    """One line as a job finishes."""
    return f"job {job.name}: {MARK.get(job.result, job.result)} ({_seconds(job.seconds)})"


def _unescape(line: str) -> str:
    """A workflow command as people read it (``%25`` is ``%``, as the runner would show it)."""
    if "::" not in line:
        return line
    return line.replace("%0D", "").replace("%0A", " ").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def _shown(step: jsonlog.Step) -> bool:
    # act's bookkeeping steps and successful pre/post stages are noise in the table.
    if step.id in ("--setup-job", "--complete-job"):
        return step.result == "failure"
    return step.stage == "Main" or step.result == "failure"


def not_run_status(result: Result, job: workflows.Job) -> str:
    """``not run`` when a job it needs did not succeed, else ``skipped`` (its ``if:`` was false)."""
    succeeded = {j.id for j in result.jobs if j.result == "success"}
    return "skipped" if all(n in succeeded for n in job.needs) else "not run"


def steps_rows(result: Result) -> list[list[str]]:
    """A row per job and per shown step, then one per job that never started."""
    rows = []
    for job in result.jobs:
        rows.append([job.name, "", MARK.get(job.result, job.result), _seconds(job.seconds)])
        for step in job.steps:
            if _shown(step):
                stage = "" if step.stage == "Main" else f"{step.stage} "
                rows.append(["", stage + step.name.splitlines()[0][:70], MARK.get(step.result, step.result), _seconds(step.seconds)])
    for unstarted in result.not_run:
        rows.append([unstarted.id, "", not_run_status(result, unstarted), "-"])
    return rows


def report(reporter: Reporter, result: Result) -> None:
    """The jobs-and-steps table, why a step failed, what did not run, where the outputs are."""
    if not result.jobs:
        detail = "\n".join((result.log.messages + result.stderr.strip().splitlines())[-10:])
        if result.returncode != 0:
            raise ToolError("act", f"exited with {result.returncode} before any job ran:\n{detail}")
        reporter.warning("act ran no job: no workflow matched the event, or every job's if: was false")
        return
    reporter.table(["job", "step", "result", "time"], steps_rows(result))
    for job in result.jobs:
        step = job.failed_step
        if step is not None:
            with reporter.group(f"{job.name}: {step.name.splitlines()[0]} failed; its last output"):
                for line in step.output:
                    reporter.info(f"  {_unescape(line)}")
            reporter.error(f'job {job.name} failed at step "{step.name.splitlines()[0]}"')
        elif job.result != "success":
            reason = f": {job.errors[-1].splitlines()[0]}" if job.errors else ""
            reporter.error(f"job {job.name}: {job.result}{reason}")
    for status, why in (("not run", "a job they need did not succeed"), ("skipped", "their if: was false")):
        names = [j.id for j in result.not_run if not_run_status(result, j) == status]
        if names:
            reporter.info(f"{status} ({why}): {', '.join(names)}")
    if result.store is not None:
        reporter.info(f"artifacts, caches and SARIF kept by the stand-ins: {result.store}")
    reporter.summary("## shipline act\n\n" + _markdown(result))
    reporter.result(
        ok=result.ok,
        jobs=[
            {
                "name": j.name,
                "id": j.id,
                "result": j.result,
                "seconds": j.seconds,
                "steps": [
                    {"name": s.name, "stage": s.stage, "result": s.result, "seconds": s.seconds}
                    # a failed step carries the tail of its output: the why, for JSON readers too
                    | ({"output": [_unescape(line) for line in s.output]} if s.result == "failure" else {})
                    for s in j.steps
                ],
            }
            for j in result.jobs
        ],
        not_run=[j.id for j in result.not_run],
        skipped=[j.id for j in result.not_run if not_run_status(result, j) == "skipped"],
        store=str(result.store) if result.store else None,
    )


def _markdown(result: Result) -> str:
    """Jobs only (the steps are in the log), each with its share of the jobs' summed time."""
    from shipline.report import markdown_table

    total = sum(j.seconds or 0 for j in result.jobs) or 1.0
    rows = [[j.name, MARK.get(j.result, j.result), _seconds(j.seconds), f"{100 * (j.seconds or 0) / total:.0f}%"] for j in result.jobs]
    rows += [[j.name, not_run_status(result, j), "-", "-"] for j in result.not_run]
    return markdown_table(["job", "result", "time", "share"], rows)
