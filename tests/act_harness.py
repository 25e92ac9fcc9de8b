"""Run a workflow that uses shipline's actions through real act, offline, on this machine.

    from tests.act_harness import run_workflow, uses

    run = run_workflow(tmp_path, f'''
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v5
              - id: build
                uses: {uses("build")}
    ''', files={"shipline.yml": "..."})
    assert run.ok, run.explain()
    assert run.step("build").outputs["version"] == "1.2.3"
    assert "::error file=tests/test_x.py,line=3" in run.text

What it does:

- makes ``tmp_path/repo``, a git repository with an ``origin`` remote on
  ``acme/app`` (so ``GITHUB_REPOSITORY`` is right), writes ``files`` and the workflow
  as ``.github/workflows/test.yml``, and commits them;
- maps ``shipline/shipline@v1`` (see `uses`) to a snapshot of this working tree with
  ``--local-repository``; the snapshot leaves out ``.venv`` and other ignored
  folders, because act copies the mapped folder for every ``uses:`` step and copying
  the 500 MB virtualenv made each run ~50 s slower;
- points ``actions/setup`` at the virtualenv running the tests (``SHIPLINE_VENV``:
  it has shipline installed editable from this tree), so no run installs shipline;
- runs ``act EVENT --json`` in host mode with the offline flags (act found and its
  argv built by `shipline.localrun`, as `shipline act` does) and reads every line
  (its own reader, because tests need every log line and the steps' outputs, where
  `shipline.localrun.jsonlog` keeps a short tail per step for people).

`ActRun` gives each job's and step's result, the outputs steps set (as act logs
``::set-output::``), and every log line, so tests can assert on ``::error``
annotations, and each job's summary (act logs what a step appends to
``$GITHUB_STEP_SUMMARY`` as ``Summary - ...``; `ActRun.summary` collects it).
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shipline import processes
from shipline.localrun import jsonlog
from shipline.localrun.binary import find_act
from shipline.localrun.command import ActOptions, command

from tests.helpers import build_file_tree, free_port

ROOT = Path(__file__).resolve().parents[1]
KIT = "shipline/shipline"
KIT_REF = "v1"
REPOSITORY = "acme/app"
ACT_TIMEOUT = 300

_SUMMARY_MARK = "Summary - "
_SNAPSHOT_IGNORE_ANYWHERE = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", ".pytest_cache", ".hypothesis", ".benchmarks")
# build/ and dist/ only at the top: actions/build and src/shipline/build are the kit's own
_SNAPSHOT_IGNORE_TOP = {"build", "dist"}


def _snapshot_ignore(folder: str, names: list[str]) -> set[str]:
    ignored = set(_SNAPSHOT_IGNORE_ANYWHERE(folder, names))
    if Path(folder) == ROOT:
        ignored |= _SNAPSHOT_IGNORE_TOP & set(names)
    return ignored


def uses(action: str) -> str:
    """``shipline/shipline/actions/ACTION@v1``: how a test workflow refers to one of the kit's actions."""
    return f"{KIT}/actions/{action}@{KIT_REF}"


@functools.cache
def kit_snapshot() -> Path:
    """A copy of this working tree without the virtualenv and caches, made once per session."""
    folder = Path(tempfile.mkdtemp(prefix="shipline-kit-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    target = folder / "kit"
    shutil.copytree(ROOT, target, ignore=_snapshot_ignore, symlinks=True)
    return target


@dataclass
class StepRun:
    """One workflow step (its Main stage): result, outputs it set, its log lines."""

    id: str
    name: str
    result: str = "skipped"
    outputs: dict[str, str] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)


@dataclass
class JobRun:
    """One job: result and its steps by id (the step's ``id:``, or its index)."""

    id: str
    result: str = "not run"
    steps: dict[str, StepRun] = field(default_factory=dict)


@dataclass
class ActRun:
    """What one act run did."""

    returncode: int
    jobs: dict[str, JobRun]
    log: list[str]  # every line act printed for the jobs, in order
    stderr: str

    @property
    def ok(self) -> bool:
        """act succeeded and every job it started did."""
        return self.returncode == 0 and bool(self.jobs) and all(j.result == "success" for j in self.jobs.values())

    @property
    def text(self) -> str:
        """The whole log as one string."""
        return "\n".join(self.log)

    @property
    def summary(self) -> str:
        """What the steps appended to the job summary, in order."""
        return "\n".join(line.split(_SUMMARY_MARK, 1)[1] for line in self.log if _SUMMARY_MARK in line)

    def step(self, step_id: str, job: str | None = None) -> StepRun:
        """The step with ``id: step_id`` (in ``job``, or in the only job that has it)."""
        found = [j.steps[step_id] for j in self.jobs.values() if step_id in j.steps and job in (None, j.id)]
        if len(found) != 1:
            raise KeyError(f"step {step_id!r} found {len(found)} times; jobs: {sorted(self.jobs)}\n{self.explain()}")
        return found[0]

    def explain(self) -> str:
        """A readable account of the run for assertion messages."""
        lines = [f"act exit code {self.returncode}"]
        for job in self.jobs.values():
            lines.append(f"job {job.id}: {job.result}")
            lines += [f"  step {s.id} ({s.name}): {s.result} outputs={s.outputs}" for s in job.steps.values()]
        lines += ["--- log ---", *self.log[-150:], "--- act stderr ---", self.stderr[-3000:]]
        return "\n".join(lines)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args], cwd=repo, check=True, capture_output=True)


def make_repo(root: Path, workflow_yaml: str, files: Mapping[str, str | bytes] | None = None) -> Path:
    """A committed git repository with an ``origin`` remote, ``files`` and the workflow."""
    repo = root / "repo"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "remote", "add", "origin", f"https://github.com/{REPOSITORY}.git")
    build_file_tree(repo, dict(files or {}))
    build_file_tree(repo, {".github/workflows/test.yml": workflow_yaml})
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "test repository")
    return repo


def _act_environ(secrets: Mapping[str, str]) -> dict[str, str]:
    # act must not pick up the GitHub variables of whatever runs the tests
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "ACTIONS_", "RUNNER_"))}
    environ.update(secrets)
    return environ


def parse_json_lines(text: str) -> tuple[dict[str, JobRun], list[str]]:
    """Jobs (by ``jobID``) and every log line, from ``act --json`` output, read by shipline's own reader."""
    log = jsonlog.Log(tail=None, transcript=[])
    for line in text.splitlines():
        log.feed(line)
    jobs: dict[str, JobRun] = {}
    for job in log.jobs.values():
        run = jobs.setdefault(job.id, JobRun(job.id))
        run.result = job.result
        for step in job.steps:
            if step.stage == "Main":
                run.steps[step.id] = StepRun(step.id, step.name, step.result, step.outputs, step.output)
    return jobs, log.other + log.transcript


def run_workflow(
    tmp_path: Path,
    workflow_yaml: str,
    *,
    files: Mapping[str, str | bytes] | None = None,
    event: str = "push",
    env: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    actions: Mapping[str, Path] | None = None,
    timeout: float = ACT_TIMEOUT,
) -> ActRun:
    """Run ``workflow_yaml`` (dedented) through act in a fresh repository under ``tmp_path``.

    ``env`` sets workflow-level variables (``--env``); ``secrets`` are passed by name
    and read by act from its environment; ``actions`` maps other remote actions
    (``owner/repo@ref``) to local folders (``actions/checkout`` needs none: act copies
    the repository for it).
    """
    repo = make_repo(tmp_path, textwrap.dedent(workflow_yaml).lstrip("\n"), files)
    step_env = {"SHIPLINE_VENV": str(Path(sys.prefix))}
    step_env.update(env or {})
    opts = ActOptions(
        act=find_act(),
        event=event,
        local_repositories={f"{KIT}@{KIT_REF}": kit_snapshot(), **(actions or {})},
        secrets=dict(secrets or {}),
        env=step_env,
        artifact_dir=tmp_path / "artifacts",
        artifact_port=free_port(),
        action_cache=tmp_path / "act-cache",
    )
    proc = subprocess.Popen(
        command(opts), cwd=repo, env=_act_environ(secrets or {}), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        err += f"\n(act killed after {timeout:.0f}s)"
    finally:
        processes.stop_group(proc.pid, grace=5)  # anything a step left running in act's session
    jobs, log = parse_json_lines(out)
    return ActRun(proc.returncode, jobs, log, err)
