"""`shipline loadtest`: locust, headless, gated on SLOs and a baseline.

    shipline loadtest --host http://127.0.0.1:8000 --users 20 --run-time 30s --p95-ms 300

Defaults come from the manifest's ``load_test`` section; without a manifest, a
loopback ``--host`` runs with the built-in defaults and any other host needs
``--allow-host``. The host is an environment's URL only when that environment says
``allow_load_test: true``. Exit 1 names each breached SLO or regression; exit 2 for an
unreachable host, a broken locustfile, zero users; 130 when interrupted, after
writing what was measured.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from shipline.context import Context
from shipline.loadtest.plan import MS_FLAGS

if TYPE_CHECKING:
    from shipline.loadtest.session import Verdict
    from shipline.manifest import Environment, LoadTest

HELP = "load-test a running service with locust; gate on SLOs and a baseline"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of issue 5; every one defaults to the manifest's load_test section."""
    parser.add_argument("--host", metavar="URL", help="base URL to load (default: the URL of --env or load_test.environment)")
    parser.add_argument(
        "-f", "--locustfile", metavar="FILE", help="locustfile (default: load_test.locustfile, else the generic one driven by load_test.endpoints)"
    )
    parser.add_argument("-u", "--users", type=int, metavar="N", help="concurrent users")
    parser.add_argument("-r", "--spawn-rate", type=float, metavar="R", help="users started per second")
    parser.add_argument("-t", "--run-time", metavar="DURATION", help="how long to run: 30 (seconds), 30s, 5m (capped by load_test.max_duration)")
    parser.add_argument("--processes", metavar="N|auto", help="locust processes on this machine (auto: one per core)")
    slo = parser.add_argument_group("SLO gates (override load_test.slo)")
    for name, flag in MS_FLAGS.items():
        what = {"avg_ms": "average response time", "max_ms": "slowest response"}.get(name, f"{flag[2:-3]} response time")
        slo.add_argument(flag, dest=name, type=float, metavar="X", help=f"maximum {what} in ms (exact, from every response)")
    slo.add_argument("--max-error-rate", metavar="R", help="maximum share of failed requests, pending ones at the stop included: 0.01 or 1%%")
    slo.add_argument("--max-exception-rate", metavar="R", help="maximum share of task runs that raised an error in the locustfile: 0.01 or 1%% (default 0)")
    slo.add_argument("--min-rps", type=float, metavar="X", help="minimum requests per second, over the wall time of the run")
    slo.add_argument(
        "--abort-on-fail",
        metavar="LIMITS",
        help="limits checked every second during the run, comma-separated (error_rate, p95_ms...) or none; the first breach stops the run (default: load_test.abort_on_fail, error_rate)",
    )
    slo.add_argument("--delay-abort", metavar="DURATION", help="warm-up before --abort-on-fail limits are checked (default: load_test.delay_abort, 10s)")
    base = parser.add_argument_group("baseline regression (limits: load_test.regression)")
    base.add_argument("--baseline", metavar="FILE", help="JSON summary of an earlier run to compare with; skipped with a warning when missing")
    base.add_argument(
        "--update-baseline", action="store_true", help="write this run to --baseline when every gate passes (a regression is not taken as the new normal)"
    )
    parser.add_argument(
        "--report-dir", default="shipline-loadtest", metavar="DIR", help="where locust's HTML and CSVs and summary.json go (default: shipline-loadtest)"
    )
    parser.add_argument("--env", metavar="NAME", help="environment whose URL to load (it must allow load tests)")
    parser.add_argument("--allow-host", action="store_true", help="allow a host that is none of the manifest's environment URLs (loopback needs no flag)")
    dist = parser.add_argument_group("runs across machines")
    dist.add_argument("--master", action="store_true", help="coordinate --worker processes and gate on their combined results")
    dist.add_argument("--worker", action="store_true", help="generate load for a --master (no gates, no reports)")
    dist.add_argument("--master-host", default="127.0.0.1", metavar="HOST", help="where the master listens (for --worker)")
    dist.add_argument("--master-port", type=int, default=5557, metavar="PORT", help="the master's port (default: 5557)")
    dist.add_argument("--expect-workers", type=int, metavar="N", help="workers the master waits for before starting (default: 1)")


def _manifest_section(args: argparse.Namespace, ctx: Context) -> tuple[LoadTest, list[Environment], Environment | None]:
    """The load_test section, the environments, and the chosen environment.

    Without a manifest file a run needs --host and uses the built-in defaults.
    """
    from shipline import validation
    from shipline.errors import InputError
    from shipline.manifest import LoadTest

    if not ctx.path(args.manifest).is_file() and args.manifest == "shipline.yml":
        if args.env:
            raise InputError(f"--env {args.env} needs a manifest, and there is no {args.manifest} here")
        return LoadTest(), [], None
    service = ctx.load_manifest(args.manifest).service(args.service)
    if not service.load_test.enabled:
        return service.load_test, [], None
    if args.env:
        environment = service.environment(args.env)
    elif args.host or args.worker:  # a worker loads the host its master names
        environment = None
    else:
        environment = service.load_test_environment
    if environment is not None and not environment.allow_load_test:
        raise validation.error_at(environment, "allow_load_test", f'environment "{environment.name}" does not allow load tests; set allow_load_test: true on it in the manifest if that is really meant')
    return service.load_test, service.environments, environment


def _report(verdict: Verdict, ctx: Context) -> int:
    from shipline.errors import EXIT_GATE_FAILED, EXIT_INTERRUPTED, EXIT_OK
    from shipline.loadtest.gates import fmt_ms, fmt_rps, fmt_share
    from shipline.loadtest.summary import ENDPOINT_HEADERS, abort_text, endpoint_rows, markdown

    r, stats, report_dir = ctx.reporter, verdict.stats, ctx.display(verdict.files.dir)
    r.table(ENDPOINT_HEADERS, [[str(c).strip("*") for c in row] for row in endpoint_rows(stats)])
    for check in verdict.checks:
        if check.passed:
            r.info(f"pass: {check.describe()}")
        else:
            r.error(check.describe(), title="Regression" if check.kind == "regression" else "SLO breached")
    for warning in verdict.warnings:
        r.warning(warning)
    if stats.aborted:
        r.error(abort_text(stats.aborted), title="Load test aborted")
    for count, message in stats.exceptions[:5]:
        r.warning(f"the locustfile raised {count}x: {message}")
    if verdict.baseline_written and verdict.plan.baseline is not None:
        r.info(f"baseline written to {ctx.display(verdict.plan.baseline)}")
    r.info(
        f"load test {verdict.result}: {stats.total.requests} requests, {fmt_rps(stats.total.rps)}, "
        f"p95 {fmt_ms(stats.total.p95_ms)}, errors {fmt_share(stats.total.error_rate)}; reports in {report_dir}/"
    )
    r.summary(markdown(verdict.plan, stats, verdict.checks, verdict.result, report_dir))
    for name, value in (
        ("result", verdict.result),
        ("rps", f"{stats.total.rps:.2f}"),
        ("p95-ms", f"{stats.total.p95_ms:g}"),
        ("error-rate", f"{stats.total.error_rate:.6g}"),
        ("report-dir", report_dir),
    ):
        r.output(name, value)
    r.result(**verdict.summary, report_dir=report_dir)
    return {"passed": EXIT_OK, "failed": EXIT_GATE_FAILED}.get(verdict.result, EXIT_INTERRUPTED)


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Resolve the plan, check the target, run locust, gate, report."""
    from shipline.loadtest import runner, session
    from shipline.loadtest.plan import Options, resolve
    from shipline.loadtest.progress import progress_display

    opts = Options(**{name: getattr(args, name) for name in Options.__dataclass_fields__})
    load_test, environments, environment = _manifest_section(args, ctx)
    if not load_test.enabled:
        ctx.reporter.info("load_test.enabled is false in the manifest: nothing to load-test")
        ctx.reporter.output("result", "skipped")
        ctx.reporter.result(result="skipped")
        return 0
    plan = resolve(opts, load_test, environment, ctx.cwd)
    if plan.role != "worker":
        plan = session.check_target(plan, environments, opts.allow_host)
    r = ctx.reporter
    what = "the generic locustfile" if plan.generic else ctx.display(plan.locustfile)
    if plan.role == "worker":
        r.info(f"locust worker of {plan.master_host}:{plan.master_port} with {what}")
    else:
        r.info(f"load-testing {plan.host} with {what}: {plan.users} users for {plan.run_time:.0f}s")
    show = progress_display(r.stdout, r.format == "text", r.info)
    try:
        verdict = session.execute(plan, runner.time_bound(plan, load_test.max_duration), ctx.display, ctx.environ, show.update if show else None)
    finally:
        if show:
            show.close()
    return 0 if verdict is None else _report(verdict, ctx)
