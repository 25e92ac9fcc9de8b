"""Read ``act --json`` output: one JSON object per log line, into jobs and steps.

A line about a step carries ``job``, ``jobID``, ``step``, ``stepID`` (a list: one
entry for a workflow step, more for a step inside a composite action) and ``stage``
(Pre, Main, Post); the line that ends a step adds ``stepResult`` and
``executionTime`` (nanoseconds); the line that ends a job carries ``jobResult``.
Lines without ``job`` are act's own messages.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

TAIL = 40  # output lines kept per step, to show why a step failed


@dataclass
class Step:
    """One workflow step (composite actions' inner steps are folded into it)."""

    id: str
    name: str
    stage: str
    result: str = "running"
    seconds: float | None = None
    output: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)  # what the step set with $GITHUB_OUTPUT


@dataclass
class Job:
    """One job run (a matrix entry is a job of its own)."""

    id: str
    name: str
    result: str = "running"
    steps: list[Step] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # act's error lines, e.g. an action it could not load
    seconds: float | None = None  # wall time, measured as the lines arrive
    _t0: float = field(default_factory=time.monotonic, repr=False)

    def step(self, step_id: str, name: str, stage: str) -> Step:
        """The step with this id and stage, created on first sight."""
        for s in self.steps:
            if s.id == step_id and s.stage == stage:
                return s
        s = Step(step_id, name, stage)
        self.steps.append(s)
        return s

    @property
    def failed_step(self) -> Step | None:
        """The first step that failed, if any."""
        return next((s for s in self.steps if s.result == "failure"), None)


@dataclass
class Log:
    """Everything read from one act run."""

    jobs: dict[str, Job] = field(default_factory=dict)  # by act's job name (workflow/job [matrix])
    messages: list[str] = field(default_factory=list)  # act's own lines: warnings and errors
    other: list[str] = field(default_factory=list)  # lines that were not JSON
    tail: int | None = TAIL  # output lines kept per step and job errors; None keeps all
    transcript: list[str] | None = None  # when a list, every job line is appended, in order

    def _keep(self, lines: list[str], more: list[str]) -> None:
        lines.extend(more)
        if self.tail is not None:
            del lines[: -self.tail]

    def feed(self, line: str) -> Job | None:
        """Take one line of output; return the job whose result it settled, if it did."""
        line = line.rstrip("\n")
        if not line.strip():
            return None
        try:
            rec = json.loads(line)
        except ValueError:
            self.other.append(line)
            return None
        if not isinstance(rec, dict):
            self.other.append(line)
            return None
        return self._record(rec)

    def _record(self, rec: dict[str, Any]) -> Job | None:
        msg = str(rec.get("msg", "")).rstrip("\n")
        if "job" not in rec:
            if rec.get("level") in ("warning", "error", "fatal"):
                self.messages.append(msg)
            return None
        name = str(rec["job"]).strip()  # act pads names to align its text output
        job = self.jobs.get(name)
        if job is None:
            job = self.jobs[name] = Job(str(rec.get("jobID", name)), name)
        if self.transcript is not None:
            self.transcript.extend(msg.split("\n") if rec.get("raw_output") else [msg])
        if rec.get("level") == "error":
            self._keep(job.errors, [msg.strip()])
        if "jobResult" in rec:
            job.result = str(rec["jobResult"])
            job.seconds = time.monotonic() - job._t0
            return job
        if "step" not in rec:
            return None
        ids = rec.get("stepID") or rec.get("stepid") or [rec["step"]]
        step = job.step(str(ids[0]), str(rec["step"]), str(rec.get("stage", "")))
        if "stepResult" in rec and len(ids) == 1:
            step.result = str(rec["stepResult"])
            if "executionTime" in rec:
                step.seconds = rec["executionTime"] / 1e9
        elif len(ids) == 1 and "::set-output::" in msg:
            name, _, value = msg.split("::set-output::", 1)[1].strip().partition("=")
            step.outputs[name] = value
        elif rec.get("raw_output"):
            self._keep(step.output, msg.splitlines())
        elif (rec.get("level") == "error" or rec.get("stepResult") == "failure") and msg.strip() not in step.output[-1:]:
            # a composite action's failing inner step and the action itself both say it: keep one
            self._keep(step.output, [msg.strip()])
        return None


def parse(lines: Iterable[str]) -> Log:
    """A `Log` from every line of an ``act --json`` run."""
    log = Log()
    for line in lines:
        log.feed(line)
    return log
