"""Load-test benchmarks: what `shipline loadtest` costs over raw locust, and --processes 2.

    .venv/bin/python benchmarks/loadtest.py [--rounds 3] [--seconds 10] [--users 10]

Starts nginx on 127.0.0.1 serving a small static file, then, in one run:

1. Alternates (in ABBA order) `shipline loadtest` and raw `locust --headless` with the same user
   class (a FastHttpUser requesting ``/``), users and server, ``--rounds`` times each,
   and reports the median requests per second of each and their ratio (goal: shipline
   at least 0.9 of raw locust).
2. Alternates `shipline loadtest --processes 1` and ``--processes 2`` and reports the
   gain.

Requests per second are computed the same way for both sides, from locust's
``--json-file`` (requests over the time from the first to the last request). Each
round's ratio is taken between neighbouring runs, which a shared machine's changing
load disturbs least. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from shipline.loadtest.results import ReportFiles, read  # noqa: E402
from tests.helpers import free_port  # noqa: E402

LOCUSTFILE = """\
from locust import FastHttpUser, task


class Reader(FastHttpUser):
    @task
    def index(self):
        self.client.get("/")
"""

NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        root {tmp}/www;
    }}
}}
"""


def start_nginx(tmp: Path) -> tuple[subprocess.Popen, str]:
    """nginx serving ``index.html`` (1 kB) on a free loopback port."""
    port = free_port()
    (tmp / "www").mkdir()
    (tmp / "www" / "index.html").write_text("x" * 1024)
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp)], start_new_session=True, stderr=subprocess.DEVNULL)
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("nginx did not start")


def rps_of(report_dir: Path) -> float:
    stats = read(ReportFiles(report_dir))
    if stats is None or stats.total.requests == 0:
        raise SystemExit(f"no results in {report_dir}")
    return stats.total.rps


def run_shipline(tmp: Path, host: str, users: int, seconds: int, processes: int, n: int) -> float:
    out = tmp / f"shipline-{processes}-{n}"
    argv = [sys.executable, "-m", "shipline", "loadtest", "--host", host, "-f", str(tmp / "locustfile.py"), "--users", str(users),
            "--spawn-rate", str(users), "--run-time", f"{seconds}s", "--processes", str(processes), "--report-dir", str(out),
            "--p95-ms", "100000"]  # fmt: skip
    subprocess.run(argv, cwd=tmp, check=True, capture_output=True, stdin=subprocess.DEVNULL, timeout=seconds + 120)
    return rps_of(out)


def run_locust(tmp: Path, host: str, users: int, seconds: int, n: int) -> float:
    out = tmp / f"locust-{n}"
    out.mkdir()
    argv = [sys.executable, "-m", "locust", "-f", str(tmp / "locustfile.py"), "--headless", "--host", host, "--users", str(users),
            "--spawn-rate", str(users), "--run-time", f"{seconds}s", "--only-summary", "--json-file", str(out / "locust")]  # fmt: skip
    subprocess.run(argv, cwd=tmp, check=True, capture_output=True, stdin=subprocess.DEVNULL, timeout=seconds + 120)
    return rps_of(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--users", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shipline-bench-loadtest-") as name:
        tmp = Path(name)
        tmp.chmod(0o755)  # nginx's workers run as an unprivileged user when started by root
        (tmp / "locustfile.py").write_text(LOCUSTFILE)
        nginx, host = start_nginx(tmp)
        try:
            raw, ours, one, two = [], [], [], []
            for n in range(args.rounds):  # ABBA order: whatever drifts over a round hits both sides alike
                pair = [lambda: raw.append(run_locust(tmp, host, args.users, args.seconds, n)),
                        lambda: ours.append(run_shipline(tmp, host, args.users, args.seconds, 1, n))]  # fmt: skip
                for measure in pair if n % 2 == 0 else reversed(pair):
                    measure()
            for n in range(args.rounds):
                pair = [lambda: one.append(run_shipline(tmp, host, args.users, args.seconds, 1, n + args.rounds)),
                        lambda: two.append(run_shipline(tmp, host, args.users, args.seconds, 2, n))]  # fmt: skip
                for measure in pair if n % 2 == 0 else reversed(pair):
                    measure()
        finally:
            os.killpg(nginx.pid, signal.SIGTERM)
            nginx.wait(10)
    med = statistics.median
    print(f"nginx static file on 127.0.0.1, FastHttpUser, {args.users} users, {args.seconds} s per run, "
          f"{args.rounds} alternating rounds, {os.cpu_count()} cores\n")  # fmt: skip
    print("| run | req/s (median) | each run |\n|---|---|---|")
    for label, values in (("raw `locust --headless`", raw), ("`shipline loadtest`", ours), ("`shipline loadtest --processes 1`", one), ("`shipline loadtest --processes 2`", two)):
        print(f"| {label} | {med(values):,.0f} | {', '.join(f'{v:,.0f}' for v in values)} |")
    pairs = [o / r for o, r in zip(ours, raw)]
    gains = [t / o for t, o in zip(two, one)]
    print(f"\nshipline / raw locust: {med(ours) / med(raw):.2f} of the medians, {med(pairs):.2f} median of the rounds' ratios (goal: at least 0.9)")
    print(f"--processes 2 / --processes 1: {med(two) / med(one):.2f} of the medians, {med(gains):.2f} median of the rounds' ratios")
    print(f"load average after the runs: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
