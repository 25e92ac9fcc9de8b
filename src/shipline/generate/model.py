"""A typed model of a GitHub Actions workflow, as much of it as shipline writes.

Jobs must say what they may do: `Job.permissions` has no default, and every grant
carries the reason the writer prints beside it. `to_data()` gives plain, ordered
data; `shipline.generate.writer` turns it into YAML with the comments.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, TypedDict

from shipline.generate import pins

Level = Literal["read", "write"]


@dataclass(frozen=True)
class Grant:
    """One line of a job's ``permissions``, with the reason it is needed."""

    scope: str
    level: Level
    why: str


@dataclass
class Step:
    """One step; ``id`` is the stable name overrides address it by."""

    id: str
    name: str
    run: str | None = None
    uses: str | None = None
    with_: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    if_: str | None = None
    shell: str | None = None
    working_directory: str | None = None

    @classmethod
    def pinned(cls, id: str, name: str, action: str, with_: dict[str, Any] | None = None, **kw: Any) -> Step:
        """A step using a third-party action from `pins` at its SHA."""
        return cls(id=id, name=name, uses=pins.ref(action), with_=dict(with_ or {}), **kw)

    @property
    def pin_comment(self) -> str | None:
        """The release tag of a pinned action, for the ``# vX.Y.Z`` comment."""
        if not self.uses:
            return None
        name, _, sha = self.uses.partition("@")
        pin = pins.PINS.get(name)
        return pin.version if pin and pin.sha == sha else None

    def to_data(self) -> dict[str, Any]:
        """Plain data in the order GitHub's docs list the keys."""
        data: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.if_:
            data["if"] = self.if_
        if self.uses:
            data["uses"] = self.uses
        if self.with_:
            data["with"] = dict(self.with_)
        if self.env:
            data["env"] = dict(self.env)
        if self.shell:
            data["shell"] = self.shell
        if self.working_directory:
            data["working-directory"] = self.working_directory
        if self.run is not None:
            data["run"] = self.run
        return data


@dataclass(frozen=True)
class Deployment:
    """The GitHub environment a job runs in (reviewers approve it there)."""

    name: str
    url: str | None = None


@dataclass(frozen=True)
class Concurrency:
    """A concurrency group; deploys never cancel one in progress."""

    group: str
    cancel_in_progress: bool | str = False


@dataclass(frozen=True)
class Condition:
    """When a job runs, as data: the builder writes ``if:`` from it and `plan` reads it."""

    events: tuple[str, ...] | None = None  # None: every event the workflow runs on
    branch: str | None = None  # only on pushes to this branch
    service: str | None = None  # only when this service changed (monorepos)
    changes_job: str = "changes"
    output: str | None = None  # the changes job's output for ``service``
    always: bool = False  # run even when a needed job failed (the required check)

    def expression(self) -> str | None:
        """The job's ``if:`` expression, or None when it always runs."""
        parts = []
        if self.always:
            parts.append("always()")
        if self.events is not None:
            either = " || ".join(f"github.event_name == '{e}'" for e in self.events)
            parts.append(either if len(self.events) == 1 else f"({either})")
        if self.branch:
            parts.append(f"github.ref == 'refs/heads/{self.branch}'")
        if self.output:
            parts.append(f"needs.{self.changes_job}.outputs.{self.output} == 'true'")
        return " && ".join(parts) or None

    def blocker(self, event: str, changed: Collection[str], default_branch: str) -> str | None:
        """Why the job does not run for ``event`` (a push is to the default branch), or None when it may.

        The same fields `expression` writes, read the way GitHub evaluates them;
        ``always`` only decides whether a job waits for the jobs it needs to succeed.
        """
        if self.events is not None and event not in self.events:
            return f"only on {' or '.join(self.events)}" + (f" to {self.branch or default_branch}" if "push" in self.events else "")
        if self.branch and event == "push" and self.branch != default_branch:
            return f"only on pushes to {self.branch}"
        if self.service is not None and self.service not in changed:
            return f"{self.service} did not change"
        return None


@dataclass
class Job:
    """One job. ``permissions`` is required: an empty dict writes ``permissions: {}``."""

    id: str
    name: str
    permissions: list[Grant]
    steps: list[Step]
    runs_on: str | list[str] = "ubuntu-latest"
    timeout_minutes: int = 30
    needs: list[str] = field(default_factory=list)
    condition: Condition = field(default_factory=Condition)
    environment: Deployment | None = None
    concurrency: Concurrency | None = None
    matrix: dict[str, list[str]] | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    if_: str | None = None  # written as is, after the condition's expression

    def step(self, step_id: str) -> Step | None:
        """The step with this id, if there is one."""
        return next((s for s in self.steps if s.id == step_id), None)

    def to_data(self) -> dict[str, Any]:
        """Plain data in a readable order: what, when, where, with which rights, how."""
        data: dict[str, Any] = {"name": self.name}
        if self.needs:
            data["needs"] = list(self.needs)
        condition = " && ".join(e for e in (self.condition.expression(), self.if_) if e)
        if condition:
            data["if"] = condition
        data["runs-on"] = self.runs_on
        if self.environment:
            env: dict[str, Any] = {"name": self.environment.name}
            if self.environment.url:
                env["url"] = self.environment.url
            data["environment"] = env
        if self.concurrency:
            data["concurrency"] = {"group": self.concurrency.group, "cancel-in-progress": self.concurrency.cancel_in_progress}
        data["permissions"] = {g.scope: g.level for g in self.permissions}
        data["timeout-minutes"] = self.timeout_minutes
        if self.matrix:
            data["strategy"] = {"fail-fast": False, "matrix": {k: list(v) for k, v in self.matrix.items()}}
        if self.outputs:
            data["outputs"] = dict(self.outputs)
        if self.env:
            data["env"] = dict(self.env)
        data["steps"] = [s.to_data() for s in self.steps]
        return data


class DispatchInput(TypedDict):
    """One input of ``on: workflow_dispatch``, as GitHub's workflow syntax spells it."""

    description: str
    type: Literal["string", "choice", "boolean", "number", "environment"]
    required: bool
    options: NotRequired[list[str]]  # the choices of a ``choice`` input
    default: NotRequired[str]


@dataclass
class Workflow:
    """One workflow file: ``.github/workflows/<filename>``."""

    filename: str
    name: str
    on: dict[str, Any]
    jobs: list[Job]
    concurrency: Concurrency | None = None

    def job(self, job_id: str) -> Job | None:
        """The job with this id, if there is one."""
        return next((j for j in self.jobs if j.id == job_id), None)

    def to_data(self) -> dict[str, Any]:
        """Plain data; ``permissions: {}`` at the top so jobs grant only what they need."""
        data: dict[str, Any] = {"name": self.name, "on": self.on, "permissions": {}}
        if self.concurrency:
            data["concurrency"] = {"group": self.concurrency.group, "cancel-in-progress": self.concurrency.cancel_in_progress}
        data["jobs"] = {j.id: j.to_data() for j in self.jobs}
        return data
