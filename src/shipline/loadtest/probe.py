"""Loaded by locust beside the locustfile (``-f locustfile,probe.py``): what shipline gates on.

Locust alone misses what makes a broken service look healthy, so inside every locust
process this module:

- counts every response time exactly (`tally.Histogram`), per endpoint, and the
  requests still without an answer after the stop's grace (locust's ``--stop-timeout``)
  as failed timeouts; a request started after the stop began is left out: locust's
  kill of a waiting user lands a moment later, inside the request the user has just
  sent, which says nothing about the service;
- makes a connection the server dropped a failure: geventhttpclient (FastHttpUser)
  otherwise resends an idempotent request on a new connection without a word;
- checks the abort limits once a second after the warm-up and stops the run at the
  first breach (k6's abortOnFail and delayAbortEval), recording when and why;
- measures the run over wall time, and how much the generator waited for a CPU;
- dies with its parent (PR_SET_PDEATHSIG, and a check right after) so that killing
  shipline, or its process group, leaves no load running;
- answers Ctrl-C even when started with SIGINT ignored (``cmd &`` in a script);
- rewrites locust's CSV files when the users have stopped, so that they hold the last second too.

Workers send their counts to the master with locust's own reports; the master (or
the only process) writes everything to the JSON file named in its configuration
once a second and at the end. Without ``SHIPLINE_LOADTEST_PROBE`` set it does nothing.
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gevent import GreenletExit  # type: ignore[import-untyped]  # gevent ships no type information

from shipline import processes
from shipline.loadtest import PROBE_CONFIG_ENV
from shipline.loadtest.records import Abort, ProcessTimes
from shipline.loadtest.tally import EndpointTally, breaches

if TYPE_CHECKING:
    from locust.event import EventHook

PR_SET_PDEATHSIG = 1
SNAPSHOT_INTERVAL_S = 1.0
MIN_REQUESTS_TO_ABORT = 20  # a breach on fewer requests is noise, not a confirmed failure
_IMPORT_PID = os.getpid()


class StillPending(Exception):
    """A request that had no answer when the run stopped: a timeout."""


def _die_with_parent(expected_parent: int) -> None:
    """Have the kernel kill this process when its parent dies, and die now if it already has."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the parent's stop still reaches locust
        return
    if os.getppid() != expected_parent:
        os.kill(os.getpid(), signal.SIGKILL)


class Probe:
    """The counts of one locust process, and on the master (or alone) the run's file."""

    def __init__(self, config: dict[str, Any]):
        self.config = config
        self.endpoints: dict[tuple[str, str], EndpointTally] = {}
        self.exceptions: Counter[str] = Counter()
        self.generators: dict[str, ProcessTimes] = {}  # per load-generating process: cpu/wait/wall seconds
        self.started_wall: float | None = None
        self.started: float | None = None
        self.stopped: float | None = None
        self.cpu_start = (0.0, 0.0)
        self.aborted: Abort | None = None
        self.environment: Any = None  # locust's Environment, once it exists
        self.stopping_at: float | None = None  # monotonic time the stop began, in this process

    def on_test_stopping(self, **_kwargs: Any) -> None:
        if self.stopping_at is None:
            self.stopping_at = time.monotonic()

    def cut_off_by_the_stop(self, started: float) -> bool:
        """Whether a request started at ``started`` (monotonic) and killed now was sent only after the stop began."""
        return self.stopping_at is not None and started >= self.stopping_at

    # -- counting, in every process that generates load

    def on_request(self, request_type: str, name: str, response_time: float | None, exception: BaseException | None = None, **_kwargs: Any) -> None:
        key = (request_type, name)
        tally = self.endpoints.get(key)
        if tally is None:
            tally = self.endpoints[key] = EndpointTally()
        tally.record(response_time or 0.0, exception is not None)
        if isinstance(exception, StillPending):
            tally.pending += 1
        elif exception is not None and _is_dropped(exception):
            tally.dropped += 1

    def on_user_error(self, user_instance: Any, exception: BaseException, tb: Any, **_kwargs: Any) -> None:
        self.exceptions[f"{type(exception).__name__}: {exception}"] += 1

    def generator_figures(self) -> ProcessTimes:
        """CPU, CPU-wait and wall seconds of this process since the run started."""
        cpu, wait = processes.cpu_and_wait_seconds()
        wall = time.monotonic() - self.started if self.started is not None else 0.0
        return {"cpu_s": cpu - self.cpu_start[0], "wait_s": wait - self.cpu_start[1], "wall_s": wall}

    # -- worker to master

    def on_report_to_master(self, client_id: str, data: dict[str, Any], **_kwargs: Any) -> None:
        data["shipline"] = {
            "endpoints": [[str(m), str(n), t.to_json()] for (m, n), t in self.endpoints.items()],
            "exceptions": dict(self.exceptions),
            "generator": self.generator_figures() if self.started is not None else None,
        }
        self.endpoints, self.exceptions = {}, Counter()

    def on_worker_report(self, client_id: str, data: dict[str, Any], **_kwargs: Any) -> None:
        report = data.get("shipline")
        if not report:
            return
        for method, name, tally in report["endpoints"]:
            self.endpoints.setdefault((method, name), EndpointTally()).merge(EndpointTally.from_json(tally))
        self.exceptions.update(report["exceptions"])
        if report["generator"]:
            self.generators[str(client_id)] = report["generator"]

    # -- the run, on the master or the only process

    def on_test_start(self, environment: Any, **_kwargs: Any) -> None:
        if self.started is not None:
            return
        self.started_wall, self.started = time.time(), time.monotonic()
        self.cpu_start = processes.cpu_and_wait_seconds()
        if not _is_worker(environment):
            import gevent

            gevent.spawn(self._watch)

    def on_test_stop(self, environment: Any, **_kwargs: Any) -> None:
        if self.started is not None and self.stopped is None:
            self.stopped = time.monotonic()
            _rewrite_csv_files()

    def elapsed(self) -> float:
        """Wall seconds from the first user started to the stop (or now)."""
        if self.started is None:
            return 0.0
        return (self.stopped or time.monotonic()) - self.started

    def totals(self) -> EndpointTally:
        """Every endpoint's counts together."""
        total = EndpointTally()
        for tally in self.endpoints.values():
            total.merge(tally)
        return total

    def _abort_breach(self) -> str | None:
        limits = self.config.get("abort_limits") or {}
        total = self.totals()
        if not limits or total.requests < MIN_REQUESTS_TO_ABORT:
            return None
        found = breaches(total.figures(self.elapsed(), sum(self.exceptions.values())), limits)
        if not found:
            return None
        name, measured, limit = found[0]
        return f"{name} {measured:.6g} breached the limit of {limit:g}"

    def _watch(self) -> None:
        """Snapshots once a second; after the warm-up, stop at the first breach of an abort limit."""
        import gevent

        interval = float(self.config.get("check_interval_s", 1.0))
        warmup = float(self.config.get("delay_abort_s", 0.0))
        next_check = warmup
        while self.stopped is None:
            gevent.sleep(min(SNAPSHOT_INTERVAL_S, interval))
            self.write(final=False)
            if self.elapsed() < next_check or self.aborted:
                continue
            next_check = self.elapsed() + interval
            reason = self._abort_breach()
            if reason:
                self.aborted = {"at_s": round(self.elapsed(), 3), "reason": reason, "after_warmup_s": warmup, "check_interval_s": interval}
                self.write(final=False)
                self.environment.runner.quit()
                return

    def write(self, final: bool) -> None:
        """Write the run so far to the configured file, atomically (master or only process)."""
        path = self.config.get("out")
        if not path or self.started is None or _is_worker(self.environment):
            return
        from locust.runners import LocalRunner

        generators = dict(self.generators)
        if isinstance(self.environment.runner, LocalRunner):  # the only process generates the load
            generators["local"] = self.generator_figures()
        doc = {
            "final": final,
            "started_at": self.started_wall,
            "duration_s": self.elapsed(),
            "endpoints": [{"method": str(m), "name": str(n), **t.to_json()} for (m, n), t in self.endpoints.items()],
            "exceptions": [[count, message] for message, count in self.exceptions.most_common()],
            "aborted": self.aborted,
            "generators": generators,
        }
        partial = Path(path + ".partial")
        partial.write_text(json.dumps(doc), encoding="utf-8")
        partial.replace(path)

    def on_quit(self, **_kwargs: Any) -> None:
        self.on_test_stop(self.environment)
        self.write(final=True)


def _is_worker(environment: Any) -> bool:
    from locust.runners import WorkerRunner

    return environment is None or isinstance(environment.runner, WorkerRunner)


_DROPPED_SIGNS = ("connectionclosed", "connection closed", "remotedisconnected", "connection aborted", "connection reset")


def _is_dropped(exception: BaseException) -> bool:
    from geventhttpclient.response import HTTPConnectionClosed

    text = f"{type(exception).__name__} {exception}".lower()
    return isinstance(exception, (HTTPConnectionClosed, ConnectionError)) or any(sign in text for sign in _DROPPED_SIGNS)


def _track_pending(original: Callable[..., Any], probe: Probe) -> Callable[..., Any]:
    """Wrap a locust HTTP client's ``request``: a request the stop found waiting, and killed, is reported as a failure."""

    @functools.wraps(original)
    def request(self: Any, method: str, url: str, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        try:
            return original(self, method, url, name, *args, **kwargs)
        except GreenletExit:
            if probe.cut_off_by_the_stop(started):
                raise
            waited = time.monotonic() - started
            self.request_event.fire(
                request_type=method,
                name=name or url,
                response_time=waited * 1000,
                response_length=0,
                response=None,
                context={},
                url=url,
                exception=StillPending(f"timeout: no answer after {waited:.1f}s, still pending when the run stopped"),
            )
            raise

    return request


_CSV_WRITERS: list[Any] = []


def _remember_csv_writer(original: Callable[..., None]) -> Callable[..., None]:
    """Keep locust's CSV writer at hand, to write its files once more when the users have stopped."""

    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        _CSV_WRITERS.append(self)

    return __init__


def _rewrite_csv_files() -> None:
    """Locust rewrites ``_stats.csv`` once a second and its JSON report then clears the entries: write the final figures now."""
    for w in _CSV_WRITERS:
        for handle, writer, columns, rows in (
            (w.requests_csv_filehandle, w.requests_csv_writer, w.requests_csv_columns, w._requests_data_rows),
            (w.failures_csv_filehandle, w.failures_csv_writer, w.failures_columns, w._failures_data_rows),
            (w.exceptions_csv_filehandle, w.exceptions_csv_writer, w.exceptions_columns, w._exceptions_data_rows),
        ):
            if not handle.closed:
                handle.seek(0)
                handle.truncate()
                writer.writerow(columns)
                rows(writer)
                handle.flush()


def _refuse_taskless_users(environment: Any) -> None:
    empty = [cls.__name__ for cls in environment.user_classes if not getattr(cls, "tasks", None)]
    if empty:
        sys.stderr.write(f"shipline-probe: user class without tasks: {', '.join(empty)}\n")
        sys.stderr.flush()
        os._exit(2)


def _listen(hook: EventHook, handler: Callable[..., None]) -> None:
    hook.add_listener(handler)  # type: ignore[no-untyped-call]  # locust leaves EventHook.add_listener unannotated


def install(config: dict[str, Any]) -> Probe:
    """Hook the probe into locust (called once, when locust loads this file)."""
    import geventhttpclient.client
    from locust import events
    from locust.clients import HttpSession
    from locust.contrib.fasthttp import FastHttpSession
    from locust.stats import StatsCSVFileWriter

    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    _die_with_parent(int(config["parent_pid"]))
    geventhttpclient.client._may_retry_after_send_error = lambda method: False
    probe = Probe(config)
    # patched on the classes, for every session and writer locust makes
    setattr(HttpSession, "request", _track_pending(HttpSession.request, probe))
    setattr(FastHttpSession, "request", _track_pending(FastHttpSession.request, probe))
    setattr(StatsCSVFileWriter, "__init__", _remember_csv_writer(StatsCSVFileWriter.__init__))

    def on_init(environment: Any, **_kwargs: Any) -> None:
        probe.environment = environment
        if os.getpid() != _IMPORT_PID:  # a worker forked by --processes: its parent is locust
            _die_with_parent(_IMPORT_PID)
        _refuse_taskless_users(environment)

    _listen(events.init, on_init)
    _listen(events.request, probe.on_request)
    _listen(events.user_error, probe.on_user_error)
    _listen(events.report_to_master, probe.on_report_to_master)
    _listen(events.worker_report, probe.on_worker_report)
    _listen(events.test_start, probe.on_test_start)
    _listen(events.test_stopping, probe.on_test_stopping)
    _listen(events.test_stop, probe.on_test_stop)
    _listen(events.quit, probe.on_quit)
    return probe


if os.environ.get(PROBE_CONFIG_ENV):
    with open(os.environ[PROBE_CONFIG_ENV], encoding="utf-8") as _f:
        PROBE = install(json.load(_f))
