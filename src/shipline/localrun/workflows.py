"""What act needs to know about a repository's workflows before it runs them.

Reads `.github/workflows/*.yml` (or the files named with ``-W``) with the safe YAML
loader and collects the ``runs-on`` labels (each needs ``-P LABEL=-self-hosted``),
every remote ``uses:`` reference (each needs a local stand-in or act goes to the
network), and the features act cannot run on the host (``services:``,
``container:``), located at file:line:col so they are reported before the run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shipline import yamlfile
from shipline.errors import InputError, Problem

_SECRET_REF = re.compile(r"\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)")
# owner/repo[/path]@ref; local (./x) and docker:// references are not remote actions.
_REMOTE_USES = re.compile(r"^(?P<owner>[A-Za-z0-9_.-]+)/(?P<repo>[A-Za-z0-9_.-]+)(?P<path>/[^@]*)?@(?P<ref>\S+)$")


@dataclass(frozen=True, order=True)
class ActionRef:
    """A remote action as a workflow names it: ``owner/repo[/path]@ref``."""

    owner: str
    repo: str
    path: str  # "" or "sub/dir" inside the repository
    ref: str

    @property
    def repository(self) -> str:
        """``owner/repo``."""
        return f"{self.owner}/{self.repo}"

    @property
    def key(self) -> str:
        """``owner/repo@ref``: the key act's ``--local-repository`` matches exactly."""
        return f"{self.repository}@{self.ref}"

    def __str__(self) -> str:
        sub = f"/{self.path}" if self.path else ""
        return f"{self.repository}{sub}@{self.ref}"


def parse_uses(value: str) -> ActionRef | None:
    """The remote action ``value`` names, or None for ``./local`` and ``docker://`` steps."""
    m = _REMOTE_USES.match(value.strip())
    if not m:
        return None
    return ActionRef(m["owner"], m["repo"], (m["path"] or "").strip("/"), m["ref"])


@dataclass(frozen=True)
class Job:
    """One job of one workflow."""

    workflow: str  # the workflow's display path
    id: str
    name: str
    needs: tuple[str, ...]
    events: tuple[str, ...] = ()  # what triggers its workflow
    uses: tuple[ActionRef, ...] = ()  # the remote actions (or reusable workflow) it uses
    secrets: tuple[str, ...] = ()  # the secrets it reads (secrets.NAME), GITHUB_TOKEN aside


@dataclass
class Workflows:
    """Everything gathered from a set of workflow files."""

    files: list[Path] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    labels: set[str] = field(default_factory=set)
    uses: dict[ActionRef, Problem] = field(default_factory=dict)  # each ref -> where it is first used
    unsupported: list[Problem] = field(default_factory=list)
    events: set[str] = field(default_factory=set)


def workflow_files(root: Path, selected: Path | None = None, display: Callable[[Path], str] = str) -> list[Path]:
    """The workflow files act would read: ``selected`` (a file or folder) or `.github/workflows/`."""
    where = selected if selected is not None else root / ".github" / "workflows"
    if where.is_file():
        return [where]
    if not where.is_dir():
        raise InputError(problems=[Problem(display(where), 0, 0, 'no workflows here; write them with "shipline generate" or name one with -W')])
    files = sorted(p for p in where.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())
    if not files:
        raise InputError(problems=[Problem(display(where), 0, 0, 'no workflow files (*.yml) here; write them with "shipline generate"')])
    return files


def _secrets(job: dict[str, Any]) -> tuple[str, ...]:
    """Every ``secrets.NAME`` the job reads, in order; ``GITHUB_TOKEN`` is act's own."""
    names = _SECRET_REF.findall(json.dumps(job, default=str))
    return tuple(n for n in dict.fromkeys(names) if n.upper() != "GITHUB_TOKEN")


def _labels(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    if isinstance(value, dict):  # runs-on: {group: ..., labels: [...]}
        return _labels(value.get("labels"))
    return []


def _events(on: Any) -> list[str]:
    if isinstance(on, str):
        return [on]
    if isinstance(on, (list, dict)):
        return [str(e) for e in on]
    return []


def _collect_steps(doc: yamlfile.Document, steps: Any, where: yamlfile.Path_, found: Workflows) -> list[ActionRef]:
    refs = []
    for n, step in enumerate(steps if isinstance(steps, list) else []):
        if isinstance(step, dict) and isinstance(step.get("uses"), str):
            ref = parse_uses(step["uses"])
            if ref is not None:
                refs.append(ref)
                found.uses.setdefault(ref, doc.problem(where + (n, "uses"), f"uses {ref}"))
    return refs


def read_workflow(doc: yamlfile.Document, found: Workflows) -> None:
    """Add one loaded workflow document to ``found``."""
    data = doc.data if isinstance(doc.data, dict) else {}
    events = tuple(_events(data.get("on", data.get(True))))
    found.events.update(events)
    jobs = data.get("jobs")
    for job_id, job in (jobs or {}).items() if isinstance(jobs, dict) else ():
        if not isinstance(job, dict):
            continue
        needs = job.get("needs", [])
        needs = (needs,) if isinstance(needs, str) else tuple(str(n) for n in needs or ())
        refs = _collect_steps(doc, job.get("steps"), ("jobs", job_id, "steps"), found)
        found.labels.update(_labels(job.get("runs-on")))
        if "services" in job:
            found.unsupported.append(
                doc.problem(("jobs", job_id, "services"), f'job "{job_id}" has services: act ignores them on the host; start them yourself before `shipline act`', key=True)
            )
        if "container" in job:
            found.unsupported.append(doc.problem(("jobs", job_id, "container"), f'job "{job_id}" runs in a container: act cannot run it without Docker', key=True))
        if isinstance(job.get("uses"), str):  # a reusable workflow
            ref = parse_uses(job["uses"])  # owner/repo/.github/workflows/x.yml@ref; ./local ones give None
            if ref is not None:
                refs.append(ref)
                found.uses.setdefault(ref, doc.problem(("jobs", job_id, "uses"), f"uses {job['uses']}"))
        found.jobs.append(Job(doc.file, str(job_id), str(job.get("name") or job_id), needs, events, tuple(refs), _secrets(job)))


def read_action(doc: yamlfile.Document, found: Workflows) -> list[ActionRef]:
    """Add the remote actions a composite ``action.yml`` uses to ``found``, and return them."""
    runs = doc.data.get("runs") if isinstance(doc.data, dict) else None
    return _collect_steps(doc, runs.get("steps"), ("runs", "steps"), found) if isinstance(runs, dict) else []


def scan(files: list[Path], display: Callable[[Path], str] = str) -> Workflows:
    """Read every workflow in ``files``; ``display`` turns a path into the name used in messages."""
    found = Workflows(files=list(files))
    for path in files:
        read_workflow(yamlfile.load(path, display(path)), found)
    return found
