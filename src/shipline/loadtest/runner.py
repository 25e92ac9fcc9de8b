"""Locust in a subprocess: headless, bounded in time, stopped cleanly on Ctrl-C.

A subprocess rather than locust as a library: locust patches the standard library
with gevent on import, and its ``--processes`` forking and its shutdown (which
writes the reports) are built around its own main. Locust runs in a session of its
own so that a terminal's Ctrl-C reaches shipline only; shipline then sends it one
SIGINT, which makes locust stop its users and still write every report. The probe
(`probe`) is loaded beside the locustfile: it counts what shipline gates on, and
kills locust when shipline dies, however it dies.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from shipline import processes
from shipline.errors import ToolError
from shipline.loadtest import ENDPOINTS_ENV, PROBE_CONFIG_ENV, results
from shipline.loadtest.plan import Plan
from shipline.loadtest.records import ProbeConfig
from shipline.loadtest.results import ReportFiles

PROBE = Path(__file__).with_name("probe.py")
POLL_S = 0.5
PROGRESS_EVERY_S = 1.0
START_ALLOWANCE_S = 60  # start-up, spawning and writing reports, beyond --run-time
WORKERS_WAIT_S = 120  # how long a master waits for its --expect-workers
STOP_GRACE_S = 20  # after SIGINT, before SIGKILL


@dataclass(frozen=True)
class Progress:
    """How far a run is, for a progress bar or a log line."""

    elapsed_s: float
    run_time_s: float
    requests: int
    rps: float
    failures: int = 0
    p95_ms: float | None = None


@dataclass(frozen=True)
class Outcome:
    """How the locust process ended."""

    returncode: int
    interrupted: bool
    elapsed_s: float


def locust_argv(plan: Plan, files: ReportFiles) -> list[str]:
    """The locust command line for ``plan``."""
    argv = [sys.executable, "-m", "locust", "-f", f"{plan.locustfile},{PROBE}", "--only-summary"]
    if plan.role == "worker":
        argv += ["--worker", "--master-host", plan.master_host, "--master-port", str(plan.master_port)]
        return argv + (["--processes", str(plan.processes)] if plan.processes > 1 else [])
    argv += [
        "--headless",
        "--host", plan.host,
        "--users", str(plan.users),
        "--spawn-rate", f"{plan.spawn_rate:g}",
        "--run-time", f"{plan.run_time:.0f}s",
        "--stop-timeout", "1",
        "--csv", str(files.csv_prefix),
        "--csv-full-history",
        "--html", str(files.html),
        "--json-file", str(files.json_prefix),
    ]  # fmt: skip
    if plan.role == "master":
        argv += [
            "--master",
            "--master-bind-port", str(plan.master_port),
            "--expect-workers", str(plan.expect_workers),
            "--expect-workers-max-wait", str(WORKERS_WAIT_S),
        ]  # fmt: skip
    elif plan.processes > 1:
        # locust's forked workers meet their master on 5557 of every interface unless told otherwise:
        # two such runs on one machine would collide, or swap workers
        port = str(processes.free_port())
        argv += ["--processes", str(plan.processes), "--master-bind-host", "127.0.0.1", "--master-bind-port", port, "--master-port", port]
    return argv


def _progress(files: ReportFiles, elapsed: float, run_time: float) -> Progress:
    """The run so far, from the probe's last snapshot (nothing yet before the users start)."""
    stats = results.read(files, with_history=False)
    if stats is None:
        return Progress(elapsed, run_time, 0, 0.0)
    total = stats.total
    return Progress(elapsed, run_time, total.requests, total.rps, total.failures, total.p95_ms if total.requests else None)


def probe_config(plan: Plan, files: ReportFiles) -> ProbeConfig:
    """What the probe inside locust needs: where to write, which limits abort the run, who its parent is."""
    return {
        "out": str(files.probe),
        "parent_pid": os.getpid(),
        "abort_limits": plan.abort_limits,
        "delay_abort_s": plan.delay_abort,
        "check_interval_s": plan.check_interval,
    }


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def _stop(proc: subprocess.Popen[bytes]) -> int:
    """SIGINT (locust writes its reports), then SIGKILL after a grace period or a second Ctrl-C."""
    _signal_group(proc, signal.SIGINT)
    try:
        return proc.wait(STOP_GRACE_S)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        _signal_group(proc, signal.SIGKILL)
        return proc.wait()


def time_bound(plan: Plan, max_duration: float) -> float:
    """Seconds after which shipline stops locust whatever it is doing."""
    if plan.role == "worker":
        return max_duration + WORKERS_WAIT_S + START_ALLOWANCE_S
    wait = WORKERS_WAIT_S if plan.role == "master" else 0
    return plan.run_time + wait + START_ALLOWANCE_S


def run(
    plan: Plan,
    files: ReportFiles,
    bound_s: float,
    environ: Mapping[str, str],
    on_progress: Callable[[Progress], None] | None = None,
) -> Outcome:
    """Run locust for ``plan`` in ``environ``; its output goes to the log in the report directory."""
    if importlib.util.find_spec("locust") is None:
        raise ToolError("locust", "not installed; it comes with shipline's loadtest extra: pip install 'shipline[loadtest]'")
    files.dir.mkdir(parents=True, exist_ok=True)
    for stale in files.run_outputs():
        stale.unlink(missing_ok=True)
    env = dict(environ)
    files.probe_config.write_text(json.dumps(probe_config(plan, files)) + "\n", encoding="utf-8")
    env[PROBE_CONFIG_ENV] = str(files.probe_config)
    if plan.generic:
        files.endpoints.write_text(json.dumps(plan.endpoints, indent=2) + "\n", encoding="utf-8")
        env[ENDPOINTS_ENV] = str(files.endpoints)
    start = time.monotonic()
    interrupted = False
    next_progress = 0.0
    with files.log.open("wb") as log, processes.sigterm_as_interrupt():
        try:
            proc = subprocess.Popen(locust_argv(plan, files), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        except OSError as err:
            raise ToolError("locust", f"could not start: {err}") from None
        try:
            while True:
                try:
                    code = proc.wait(POLL_S)
                    break
                except subprocess.TimeoutExpired:
                    pass
                elapsed = time.monotonic() - start
                if elapsed > bound_s:
                    _stop(proc)
                    raise ToolError("locust", f"still running {elapsed:.0f}s after start, past its time bound; stopped it (log: {files.log})")
                if on_progress is not None and elapsed >= next_progress:
                    next_progress = elapsed + PROGRESS_EVERY_S  # the probe writes once a second
                    on_progress(_progress(files, elapsed, plan.run_time))
        except KeyboardInterrupt:
            interrupted = True
            code = _stop(proc)
        finally:
            if proc.poll() is None:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
    return Outcome(returncode=code, interrupted=interrupted, elapsed_s=time.monotonic() - start)
