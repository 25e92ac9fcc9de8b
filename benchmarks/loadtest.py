"""Load-test benchmarks: what `shipline loadtest` costs over raw locust, and --processes 2.

    .venv/bin/python benchmarks/loadtest.py [--rounds 6] [--seconds 10] [--users 10] [--processes-rounds 0]

Starts nginx on 127.0.0.1 answering 1 kB from memory, then, in one run:

1. Alternates (ABC then CBA) raw `locust --headless`, the same locust with shipline's
   probe loaded beside the locustfile (exact response times, pending requests, the
   abort check), and `shipline loadtest`, with the same user class (a FastHttpUser
   requesting ``/``), users, output flags and server, ``--rounds`` times each, and
   reports the min, median and max requests per second of each and of the rounds'
   ratios to raw locust (goal: at least 0.9), and the CPU time each side (with its
   children) spent per request, which a loaded machine disturbs less than throughput.
2. With ``--processes-rounds N``, alternates `shipline loadtest --processes 1` and
   ``--processes 2`` and reports the gain.

Requests per second are computed the same way for both sides, from locust's own
``--json-file`` (requests over the time from the first to the last request). Each
round's ratio is taken between neighbouring runs, which a shared machine's changing
load disturbs least. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from shipline.loadtest import PROBE_CONFIG_ENV  # noqa: E402
from shipline.loadtest.runner import PROBE  # noqa: E402
from tests.loadtest_support import static_nginx  # noqa: E402

LOCUSTFILE = """\
from locust import FastHttpUser, task


class Reader(FastHttpUser):
    @task
    def index(self):
        self.client.get("/")
"""


def figures_of(report_dir: Path, cpu_s: float) -> tuple[float, float]:
    """Requests per second from locust's own JSON report (alike for both sides), and CPU microseconds per request."""
    entries = json.loads((report_dir / "locust.json").read_text())
    requests = sum(e["num_requests"] for e in entries)
    span = max(e["last_request_timestamp"] for e in entries) - min(e["start_time"] for e in entries) if entries else 0
    if not requests or span <= 0:
        raise SystemExit(f"no results in {report_dir}")
    return requests / span, cpu_s / requests * 1e6


def _timed(argv: list[str], cwd: Path, seconds: int, env: dict[str, str] | None = None) -> float:
    """Run ``argv``; the CPU seconds it and its children used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL, timeout=seconds + 120, env=env)
    if done.returncode not in (0, 1):  # 1: some requests failed, which the figures show
        raise SystemExit(f"{argv[2]} exited with {done.returncode}: {done.stderr.decode()[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run_shipline(tmp: Path, host: str, users: int, seconds: int, processes: int, n: int) -> tuple[float, float]:
    out = tmp / f"shipline-{processes}-{n}"
    argv = [sys.executable, "-m", "shipline", "loadtest", "--host", host, "-f", str(tmp / "locustfile.py"), "--users", str(users),
            "--spawn-rate", str(users), "--run-time", f"{seconds}s", "--processes", str(processes), "--report-dir", str(out),
            "--p95-ms", "100000"]  # fmt: skip
    return figures_of(out, _timed(argv, tmp, seconds))


def run_locust(tmp: Path, host: str, users: int, seconds: int, n: int, probe: bool = False) -> tuple[float, float]:
    """Raw locust with shipline's output flags; with ``probe``, shipline's probe loaded beside the locustfile."""
    out = tmp / f"locust-{'probe-' if probe else ''}{n}"
    out.mkdir()
    files = str(tmp / "locustfile.py") + (f",{PROBE}" if probe else "")
    argv = [sys.executable, "-m", "locust", "-f", files, "--headless", "--host", host, "--users", str(users),
            "--spawn-rate", str(users), "--run-time", f"{seconds}s", "--only-summary", "--stop-timeout", "1",
            "--csv", str(out / "locust"), "--csv-full-history", "--html", str(out / "report.html"),
            "--json-file", str(out / "locust")]  # fmt: skip
    env = dict(os.environ)
    if probe:
        config = out / "probe-config.json"
        config.write_text(json.dumps({"out": str(out / "probe.json"), "parent_pid": os.getpid(), "abort_limits": {"error_rate": 0.05}, "delay_abort_s": 10}))
        env[PROBE_CONFIG_ENV] = str(config)
    return figures_of(out, _timed(argv, tmp, seconds, env))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--processes-rounds", type=int, default=0)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--users", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shipline-bench-loadtest-") as name:
        tmp = Path(name)
        tmp.chmod(0o755)  # nginx's workers run as an unprivileged user when started by root
        (tmp / "locustfile.py").write_text(LOCUSTFILE)
        with static_nginx(tmp) as host:
            raw, probed, ours, one, two = [], [], [], [], []
            for n in range(args.rounds):  # ABC then CBA: whatever drifts over two rounds hits every side alike
                sides = [lambda: raw.append(run_locust(tmp, host, args.users, args.seconds, n)),
                         lambda: probed.append(run_locust(tmp, host, args.users, args.seconds, n, probe=True)),
                         lambda: ours.append(run_shipline(tmp, host, args.users, args.seconds, 1, n))]  # fmt: skip
                for measure in sides if n % 2 == 0 else reversed(sides):
                    measure()
            for n in range(args.processes_rounds):
                pair = [lambda: one.append(run_shipline(tmp, host, args.users, args.seconds, 1, n + args.rounds)),
                        lambda: two.append(run_shipline(tmp, host, args.users, args.seconds, 2, n))]  # fmt: skip
                for measure in pair if n % 2 == 0 else reversed(pair):
                    measure()
    med = statistics.median
    print(f"nginx answering 1 kB from memory on 127.0.0.1, FastHttpUser, {args.users} users, {args.seconds} s per run, "
          f"{args.rounds} rounds, order ABC then CBA, {os.cpu_count()} cores\n")  # fmt: skip
    print("| run | req/s min | median | max | CPU µs per request min | median | max |\n|---|---|---|---|---|---|---|")
    rows = [("raw `locust --headless`", raw), ("locust with shipline's probe", probed), ("`shipline loadtest`", ours)]
    if one:
        rows += [("`shipline loadtest --processes 1`", one), ("`shipline loadtest --processes 2`", two)]
    for label, runs in rows:
        rps, cpu = [r for r, _ in runs], [c for _, c in runs]
        print(f"| {label} | {min(rps):,.0f} | {med(rps):,.0f} | {max(rps):,.0f} | {min(cpu):.0f} | {med(cpu):.0f} | {max(cpu):.0f} |")
    for side, runs in (("locust with the probe", probed), ("shipline loadtest", ours)):
        for label, index, goal in (("req/s", 0, "at least 0.9"), ("CPU per request", 1, "")):
            pairs = [o[index] / r[index] for o, r in zip(runs, raw)]
            each = ", ".join(f"{p:.2f}" for p in pairs)
            print(
                f"\n{side} / raw locust, {label}, per round: min {min(pairs):.2f}, median {med(pairs):.2f}, max {max(pairs):.2f} ({each})"
                + (f" (goal: {goal})" if goal else "")
            )
    if one:
        gains = [t[0] / o[0] for t, o in zip(two, one)]
        print(f"\n--processes 2 / --processes 1, req/s: median of the rounds' ratios {med(gains):.2f}")
    print(f"\nload average after the runs: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
