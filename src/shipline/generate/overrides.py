"""Apply the manifest's ``overrides`` to generated workflows, by job and step id.

Ids, never list positions: an override keeps meaning the same step when shipline adds
steps around it. An id that does not exist is an error at the override, listing the
ids that do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from shipline import manifest as schema
from shipline.errors import InputError, Problem
from shipline.generate.model import Job, Step, Workflow
from shipline.validation import did_you_mean

Locate = Callable[[tuple[Any, ...], str], Problem]


def _unknown(what: str, value: str, known: Sequence[str], where: str = "") -> str:
    return f'unknown {what} "{value}"{where}{did_you_mean(value, known)}; expected one of: {", ".join(known)}'


def _step(added: schema.Step) -> Step:
    return Step(
        id=added.id,
        name=added.name or added.id,
        run=added.run,
        uses=added.uses,
        with_=dict(added.with_),
        env=dict(added.env),
        if_=added.if_,
        shell=added.shell or ("bash" if added.run is not None else None),
    )


def _apply_to_step(job: Job, o: schema.Override, at: Callable[[str, str], Problem]) -> list[Problem]:
    assert o.step is not None
    index = next((i for i, s in enumerate(job.steps) if s.id == o.step), None)
    if index is None:
        return [at("step", _unknown("step", o.step, [s.id for s in job.steps], f" in job {job.id}"))]
    step = job.steps[index]
    problems = []
    if o.remove:
        del job.steps[index]
        return []
    if o.with_:
        if step.uses is None:
            problems.append(at("with", f'step "{step.id}" runs a script; with: applies to steps that use an action'))
        step.with_.update(o.with_)
    step.env.update(o.env)
    for where, added, offset in (("before", o.before, 0), ("after", o.after, 1)):
        if added is None:
            continue
        if job.step(added.id):
            problems.append(at(where, f'job {job.id} already has a step "{added.id}"; give the new step another id'))
            continue
        position = job.steps.index(step) + offset
        job.steps.insert(position, _step(added))
    return problems


def apply(workflows: list[Workflow], overrides: Sequence[schema.Override], locate: Locate) -> None:
    """Change ``workflows`` in place; raise one `InputError` with every bad override."""
    jobs = {j.id: j for w in workflows for j in w.jobs}
    problems: list[Problem] = []
    for n, o in enumerate(overrides):

        def at(key: str, message: str, n: int = n) -> Problem:
            return locate(("overrides", n, key), message)

        job = jobs.get(o.job)
        if job is None:
            problems.append(at("job", _unknown("job", o.job, list(jobs))))
            continue
        if o.step is not None:
            problems += _apply_to_step(job, o, at)
            continue
        job.env.update(o.env)
        if o.runs_on is not None:
            job.runs_on = o.runs_on
        if o.timeout_minutes is not None:
            job.timeout_minutes = o.timeout_minutes
    if problems:
        raise InputError(problems=problems)
