"""Run act once, offline and on this machine, and read its results.

`prepare()` reads the workflows and maps every remote action to a local folder
(reporting what cannot run before anything starts); `run()` executes act with
``--json`` in a new process session, feeds each line to `jsonlog.Log` and, when act
ends (or is interrupted), stops whatever it left behind in that session.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shipline import processes, yamlfile
from shipline.errors import InputError, Problem, ToolError
from shipline.localrun import event as events
from shipline.localrun import actionmap, jsonlog, onejob, workflows
from shipline.localrun.binary import find_act
from shipline.localrun.command import ActOptions, command

STOP_GRACE = 5.0


@dataclass
class Plan:
    """What a run will do, known before act starts."""

    root: Path
    files: list[Path]
    found: workflows.Workflows
    mapping: actionmap.Mapping
    kit_dir: Path | None

    @property
    def unsupported(self) -> list[Problem]:
        """``services:`` and ``container:`` jobs: act cannot run them here."""
        return self.found.unsupported


@dataclass
class Result:
    """What one act run did."""

    returncode: int
    log: jsonlog.Log
    not_run: list[workflows.Job] = field(default_factory=list)  # jobs act never started
    stderr: str = ""
    store: Path | None = None

    @property
    def ok(self) -> bool:
        """Every job that ran succeeded and act said so."""
        return self.returncode == 0 and all(j.result == "success" for j in self.log.jobs.values())

    @property
    def jobs(self) -> list[jsonlog.Job]:
        """The jobs act ran, in the order they started."""
        return list(self.log.jobs.values())


def prepare(
    root: Path,
    workflow: Path | None = None,
    kit_repository: str = "shipline/shipline",
    kit_dir: Path | None = None,
    display: Callable[[Path], str] = str,
    event: str | None = None,
    job: str | None = None,
) -> Plan:
    """Read the workflows under ``root`` and map their actions to local folders.

    With ``event`` (and ``job``), only the actions of the jobs act would run are
    mapped. Those that cannot run offline are in ``plan.mapping.unmapped``; `run`
    refuses to start while there are any.
    """
    files = workflows.workflow_files(root, workflow, display)
    found = workflows.scan(files, display)
    selected = [j for j in found.jobs if (event is None or event in j.events) and (job is None or j.id == job)]
    wanted = {ref for j in selected for ref in j.uses}
    kit_dir = kit_dir or actionmap.kit_source_dir()
    # The kit's composite actions use actions of their own (the kit's, third-party ones): map those too.
    pending = sorted(wanted)
    while kit_dir is not None and pending:
        ref = pending.pop()
        action = kit_dir / ref.path / "action.yml"
        if ref.repository.lower() == kit_repository.lower() and action.is_file():
            inner = set(workflows.read_action(yamlfile.load(action, display(action)), found)) - wanted
            wanted |= inner
            pending += sorted(inner)
    mapping = actionmap.map_actions({r: p for r, p in found.uses.items() if r in wanted}, kit_repository, kit_dir)
    return Plan(root, files, found, mapping, kit_dir)


def _slim_kit(kit_dir: Path, into: Path) -> Path:
    """A copy of the kit's actions and version file: act copies the folder it is given for every job."""
    into.mkdir(parents=True)
    shutil.copytree(kit_dir / "actions", into / "actions")
    if (kit_dir / "pyproject.toml").is_file():
        shutil.copy2(kit_dir / "pyproject.toml", into / "pyproject.toml")
    return into


def default_store(root: Path, environ: Mapping[str, str]) -> Path:
    """Where the stand-ins keep artifacts, caches and SARIF files for ``root``'s runs."""
    base = Path(environ.get("XDG_CACHE_HOME") or Path(environ.get("HOME") or Path.home()) / ".cache")
    resolved = root.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:8]
    return base / "shipline" / "act" / f"{resolved.name}-{digest}"


@contextlib.contextmanager
def _workspace() -> Iterator[Path]:
    tmp = Path(tempfile.mkdtemp(prefix="shipline-act-"))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(
    plan: Plan,
    *,
    event: str = "push",
    job: str | None = None,
    inputs: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    store: Path | None = None,
    default_branch: str = "main",
    timeout: float | None = None,
    environ: Mapping[str, str] | None = None,
    matrix: Mapping[str, list[str]] | None = None,
    on_line: Callable[[str], None] | None = None,
    on_job: Callable[[jsonlog.Job], None] | None = None,
) -> Result:
    """Run act for ``plan`` and return its jobs and steps.

    ``store`` keeps what the stand-ins save (artifacts, caches, SARIF); it is emptied
    of the previous run's artifacts first. ``on_line`` sees every raw line, ``on_job``
    every job as its result is known. Processes act leaves in its session are stopped.
    ``environ`` is act's environment (default: this process's), less GitHub's own
    variables: act sets those itself.
    """
    if plan.mapping.unmapped:
        raise InputError(problems=plan.mapping.unmapped)
    inputs, secrets = dict(inputs or {}), dict(secrets or {})
    environ = {k: v for k, v in (os.environ if environ is None else environ).items() if not k.startswith(("GITHUB_", "ACTIONS_", "RUNNER_"))}
    store = store or default_store(plan.root, environ)
    shutil.rmtree(store / "artifacts", ignore_errors=True)
    shutil.rmtree(store / "venvs", ignore_errors=True)  # setup-python's per-job virtualenvs
    store.mkdir(parents=True, exist_ok=True)
    with _workspace() as tmp:
        kit = _slim_kit(plan.kit_dir, tmp / "kit") if plan.mapping.kit and plan.kit_dir is not None else None  # kit actions map only when there is a kit
        repos = {key: (kit if kit is not None and folder == plan.kit_dir else folder) for key, folder in plan.mapping.repositories.items()}
        run_env = {
            "SHIPLINE_ACT_PYTHON": sys.executable,
            "SHIPLINE_ACT_STORE": str(store),
            # setup.sh uses this venv as is: nothing to install, nothing to download.
            "SHIPLINE_VENV": sys.prefix,
            **(env or {}),
        }
        selected = plan.files[0] if len(plan.files) == 1 else plan.files[0].parent
        if job is not None:
            # act would run the jobs it needs first; this runs it alone, with stand-in results
            selected = onejob.isolate(plan.files, job, tmp / "workflows") or selected
        opts = ActOptions(
            act=find_act(),
            event=event,
            workflows=selected,
            job=job,
            event_path=events.write_event(tmp / "event.json", event, plan.root, default_branch, inputs),
            labels=plan.found.labels or {"ubuntu-latest"},
            local_repositories=repos,
            inputs=inputs,
            secrets=secrets,
            env=run_env,
            action_cache=tmp / "act",
            artifact_dir=tmp / "artifact-server",
            artifact_port=processes.free_port(),
            default_branch=default_branch,
            matrix=dict(matrix or {}),
        )
        result = _execute(command(opts), plan.root, {**environ, **secrets}, timeout, on_line, on_job)
    result.store = store
    # jobs in the workflow's order (act reports them as they finish)
    order = {j.id: n for n, j in enumerate(plan.found.jobs)}
    result.log.jobs = dict(sorted(result.log.jobs.items(), key=lambda item: order.get(item[1].id, len(order))))
    started = {j.id for j in result.jobs}
    result.not_run = [j for j in plan.found.jobs if j.id not in started and event in j.events and (job is None or j.id == job)]
    return result


def _execute(
    argv: list[str],
    cwd: Path,
    environ: Mapping[str, str],
    timeout: float | None,
    on_line: Callable[[str], None] | None,
    on_job: Callable[[jsonlog.Job], None] | None,
) -> Result:
    """Run act in a session of its own, reading its JSON lines as they come; stop the session after."""
    log = jsonlog.Log()
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as err:
        try:
            proc = subprocess.Popen(argv, cwd=cwd, env=environ, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, text=True, start_new_session=True)
        except OSError as exc:
            raise ToolError("act", f"cannot start {argv[0]}: {exc.strerror}") from None
        timer, fired = None, threading.Event()
        if timeout is not None:

            def expire() -> None:
                fired.set()
                processes.stop_group(proc.pid, grace=STOP_GRACE)

            timer = threading.Timer(timeout, expire)
            timer.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if on_line:
                    on_line(line)
                done = log.feed(line)
                if done is not None and on_job:
                    on_job(done)
            code = proc.wait()
        finally:
            if timer is not None:
                timer.cancel()
            processes.stop_group(proc.pid, grace=STOP_GRACE)
            proc.wait()
        err.seek(0)
        stderr = err.read()
    if fired.is_set():
        stderr += f"\nact stopped after the {timeout:g}s timeout"
    return Result(code, log, stderr=stderr)
