"""Command-line flags and the manifest's ``load_test`` section, resolved into one `Plan`.

Flags win over the manifest; the manifest's defaults fill the rest. Every run gets a
time bound, and ``load_test.max_duration`` caps it.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from shipline import validation
from shipline.errors import InputError
from shipline.loadtest.gates import METRICS, Limits
from shipline.loadtest.records import EndpointRecord
from shipline.manifest import Environment, LoadTest, parse_duration, parse_fraction

GENERIC_LOCUSTFILE = Path(__file__).with_name("generic_locustfile.py")

Role = Literal["local", "master", "worker"]
CHECK_INTERVAL_S = 1.0  # how often abort limits are checked during a run
MS_FLAGS = {
    "p50_ms": "--p50-ms",
    "p90_ms": "--p90-ms",
    "p95_ms": "--p95-ms",
    "p99_ms": "--p99-ms",
    "p99_9_ms": "--p99.9-ms",
    "avg_ms": "--avg-ms",
    "max_ms": "--max-ms",
}


@dataclass(frozen=True)
class Options:
    """The flags of `shipline loadtest`, as typed on the command line (None: not given)."""

    host: str | None = None
    locustfile: str | None = None
    users: int | None = None
    spawn_rate: float | None = None
    run_time: str | None = None
    processes: str | None = None
    p50_ms: float | None = None
    p90_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    p99_9_ms: float | None = None
    avg_ms: float | None = None
    max_ms: float | None = None
    max_error_rate: str | None = None
    max_exception_rate: str | None = None
    min_rps: float | None = None
    abort_on_fail: str | None = None
    delay_abort: str | None = None
    baseline: str | None = None
    update_baseline: bool = False
    report_dir: str = "shipline-loadtest"
    env: str | None = None
    allow_host: bool = False
    master: bool = False
    worker: bool = False
    master_host: str = "127.0.0.1"
    master_port: int = 5557
    expect_workers: int | None = None


@dataclass(frozen=True)
class Plan:
    """Everything one run needs, checked."""

    host: str
    locustfile: Path
    generic: bool  # the generic locustfile, driven by ``endpoints``
    endpoints: list[EndpointRecord]
    users: int
    spawn_rate: float
    run_time: float
    processes: int
    report_dir: Path
    limits: Limits
    endpoint_limits: dict[tuple[str, str], Limits]
    max_p95_increase: float
    max_rps_decrease: float
    baseline: Path | None
    update_baseline: bool
    environment: str | None = None
    role: Role = "local"
    p95_noise_ms: float = 5.0
    master_host: str = "127.0.0.1"
    master_port: int = 5557
    expect_workers: int = 1
    abort_limits: dict[str, float] = field(default_factory=dict)  # checked during the run; the first breach stops it
    delay_abort: float = 10.0
    check_interval: float = CHECK_INTERVAL_S


def _duration(flag: str, value: str) -> float:
    """A duration flag: ``30s``, ``5m``, or a plain number of seconds (``-t 30``)."""
    try:
        return parse_duration(float(value) if _is_number(value) else value)
    except ValueError as err:
        raise InputError(f"{flag} {value}: {err}") from None


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _processes(value: str | int) -> int:
    if value == "auto":
        return os.cpu_count() or 1
    try:
        count = int(value)
    except ValueError:
        count = 0
    if count < 1:
        raise InputError(f'--processes "{value}": expected a number of processes from 1 up, or auto')
    return count


def _share(flag: str, value: str) -> float:
    try:
        return parse_fraction(float(value) if _is_number(value) else value)
    except ValueError as err:
        raise InputError(f"{flag} {value}: {err}") from None


def _limits(load_test: LoadTest, opts: Options) -> Limits:
    """The overall limits: the manifest's SLO, with the flags given on top."""
    given: dict[str, float] = {}
    for name, flag in MS_FLAGS.items():
        value = getattr(opts, name)
        if value is not None:
            if not value > 0:  # also refuses nan
                raise InputError(f"{flag} {value:g}: expected milliseconds above 0 (no response takes 0 ms)")
            given[name] = value
    if opts.min_rps is not None:
        if not opts.min_rps >= 0:
            raise InputError(f"--min-rps {opts.min_rps:g}: expected a number of 0 or more")
        given["min_rps"] = opts.min_rps
    if opts.max_error_rate is not None:
        given["error_rate"] = _share("--max-error-rate", opts.max_error_rate)
    if opts.max_exception_rate is not None:
        given["exception_rate"] = _share("--max-exception-rate", opts.max_exception_rate)
    return replace(Limits.from_slo(load_test.slo), **given)


def _abort_limits(load_test: LoadTest, opts: Options, limits: Limits) -> dict[str, float]:
    """The limits to check during the run: ``--abort-on-fail`` (or load_test.abort_on_fail) among those set."""
    names: list[str] = list(load_test.abort_on_fail)
    if opts.abort_on_fail is not None:
        names = [] if opts.abort_on_fail.strip() == "none" else [n.strip() for n in opts.abort_on_fail.split(",") if n.strip()]
        unknown = [n for n in names if n not in METRICS]
        if unknown:
            raise InputError(f"--abort-on-fail {opts.abort_on_fail}: unknown limit {unknown[0]!r}; expected none or a list of: {', '.join(METRICS)}")
    set_limits = limits.given()
    return {name: set_limits[name] for name in names if name in set_limits}


def endpoint_records(load_test: LoadTest) -> list[EndpointRecord]:
    """The endpoints as the generic locustfile reads them (JSON-ready)."""
    out: list[EndpointRecord] = []
    for e in load_test.endpoints:
        statuses = e.expect_status if isinstance(e.expect_status, list) else [e.expect_status]
        out.append(
            {
                "name": e.name or e.path,
                "path": e.path,
                "method": e.method,
                "weight": e.weight,
                "headers": dict(e.headers),
                "body": e.body,
                "expect_status": statuses,
            }
        )
    return out


def _endpoint_limits(load_test: LoadTest) -> dict[tuple[str, str], Limits]:
    """Per-endpoint SLOs, keyed like locust's stats: (method, request name)."""
    return {(e.method, e.name or e.path): Limits.from_slo(e.slo, only_given=True) for e in load_test.endpoints if e.slo is not None}


def resolve(opts: Options, load_test: LoadTest, environment: Environment | None, cwd: Path) -> Plan:
    """Turn flags and the manifest into a `Plan`, or raise `InputError` naming the bad value."""
    if opts.master and opts.worker:
        raise InputError("--master and --worker exclude each other: a process is one or the other")
    role: Role = "master" if opts.master else "worker" if opts.worker else "local"
    host = opts.host or (environment.url if environment else None)
    if host is None and role != "worker":
        raise InputError("no host to load-test: pass --host URL, or --env NAME of an environment in the manifest")

    users = opts.users if opts.users is not None else load_test.users
    if users < 1:
        raise InputError(f"--users {users}: a load test needs at least 1 user")
    spawn_rate = opts.spawn_rate if opts.spawn_rate is not None else load_test.spawn_rate
    if spawn_rate <= 0:
        raise InputError(f"--spawn-rate {spawn_rate:g}: expected users per second above 0")

    run_time = _duration("--run-time", opts.run_time) if opts.run_time is not None else load_test.duration
    cap = load_test.max_duration
    given = f"--run-time {opts.run_time}" if opts.run_time is not None else f"load_test.duration {run_time:g}s"
    if run_time <= 0:
        message = f"{given}: a load test needs a time bound above 0s"
        raise InputError(message) if opts.run_time is not None else validation.error_at(load_test, "duration", message)
    if run_time > cap:
        # located at the manifest value that is off: the duration, or the cap a flag ran into
        raise validation.error_at(load_test, "max_duration" if opts.run_time is not None else "duration", f"{given}: {run_time:g}s is over load_test.max_duration {cap:g}s")
    run_time = float(max(1, math.ceil(run_time)))  # locust counts whole seconds

    processes = _processes(opts.processes if opts.processes is not None else load_test.processes)
    if processes > 1 and role == "master":
        raise InputError("--processes forks workers on this machine; a --master waits for --worker processes instead")
    if opts.expect_workers is not None and (role != "master" or opts.expect_workers < 1):
        raise InputError(f"--expect-workers {opts.expect_workers}: only with --master, and at least 1")

    locustfile_name = opts.locustfile or load_test.locustfile
    if locustfile_name:
        locustfile = cwd / locustfile_name
        if not locustfile.is_file():
            message = f'locustfile "{locustfile_name}" not found (relative to {cwd})'
            raise InputError(message) if opts.locustfile else validation.error_at(load_test, "locustfile", message)
    else:
        locustfile = GENERIC_LOCUSTFILE

    if opts.update_baseline and not opts.baseline:
        raise InputError("--update-baseline needs --baseline FILE: the file to write")

    limits = _limits(load_test, opts)
    return Plan(
        host=host or "",
        locustfile=locustfile,
        generic=not locustfile_name,
        endpoints=endpoint_records(load_test),
        users=users,
        spawn_rate=spawn_rate,
        run_time=run_time,
        processes=processes,
        report_dir=cwd / opts.report_dir,
        limits=limits,
        endpoint_limits=_endpoint_limits(load_test),
        max_p95_increase=load_test.regression.max_p95_increase,
        max_rps_decrease=load_test.regression.max_rps_decrease,
        p95_noise_ms=load_test.regression.p95_noise_ms,
        baseline=cwd / opts.baseline if opts.baseline else None,
        update_baseline=opts.update_baseline,
        environment=environment.name if environment else None,
        role=role,
        master_host=opts.master_host,
        master_port=opts.master_port,
        expect_workers=opts.expect_workers or 1,
        abort_limits=_abort_limits(load_test, opts, limits),
        delay_abort=_duration("--delay-abort", opts.delay_abort) if opts.delay_abort is not None else load_test.delay_abort,
    )
