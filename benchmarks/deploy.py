"""Deploy benchmarks against real haproxy, nginx and app processes on 127.0.0.1.

    .venv/bin/python benchmarks/deploy.py [--switches 10] [--clients 4]

1. Failed requests during ``--switches`` blue-green deploys (each one: start the new
   version, health, smoke, switch, analysis, stop the old slot) under keep-alive load,
   per router (haproxy, nginx) and per client: locust ``HttpUser`` and raw
   ``http.client`` connections reused across requests.
2. Time from the start of a fault to traffic restored on the old version, against the
   goal interval x (failure_limit + 1) + 1 s, for three faults of the new version: 50%
   errors from its first request, dying after its first 3 requests (dies after
   traffic), and 4 s of added latency. Measured twice: by clients polling the live
   entry point every 10 ms (from the sending of the first request that reached the
   faulty version to the first of an unbroken run of old-version answers), and on the
   engine's own timeline (from the switch to the new slot to the switch back).
3. The same for a canary at 50% judged by the probe and by the prometheus provider
   (haproxy's exporter scraped every second), goal + the scrape interval for the latter.

    .venv/bin/python benchmarks/deploy.py --restore-only    # part 2 only

3. Two hosts over SSH (two sshd on loopback, each with its own haproxy): time from a
   fault of the new version on the second host to traffic restored on every host (each
   run, then the median and spread) with the SSH round trips each host took on the way
   back, and the per-host overhead of SSH (a command in the host's shell and in a
   session of its own; a whole blue-green deploy to one and two hosts against the same
   deploy on this machine; round trips and seconds of SSH per host per deploy, from
   the $SHIPLINE_SSH_TRACE log).

    .venv/bin/python benchmarks/deploy.py --hosts-only      # part 3 only

Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.deploy_support import site_with  # noqa: E402

LOCUSTFILE = """
from locust import HttpUser, constant, task


class Client(HttpUser):
    wait_time = constant(0.005)

    @task
    def home(self):
        self.client.get("/")
"""
FAST_ANALYSIS = {"interval": 0.2, "count": 1, "probe": {"requests": 5, "concurrency": 1, "timeout": 2}}


def deploy(site, version: str) -> int:
    """One `shipline deploy` in a fresh process, as CI would run it."""
    done = subprocess.run(site.cli("deploy", "--env", "prod", "--version", version), cwd=site.root, capture_output=True, text=True, timeout=120)
    return done.returncode


class RawClients:
    """Threads reusing one http.client connection each; reconnecting after a failure."""

    def __init__(self, port: int, clients: int):
        self.port = port
        self.stop = threading.Event()
        self.requests = self.failures = 0
        self.kinds: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]

    def _run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        while not self.stop.is_set():
            try:
                conn.request("GET", "/")
                resp = conn.getresponse()
                resp.read()
                failed = resp.status >= 500
                kind = f"HTTP {resp.status}"
            except (OSError, http.client.HTTPException) as err:
                failed = True
                kind = type(err).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            with self.lock:
                self.requests += 1
                self.failures += failed
                if failed:
                    self.kinds[kind] += 1
            time.sleep(0.005)
        conn.close()

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(10)

    def counts(self) -> tuple[int, int, str]:
        return self.requests, self.failures, ", ".join(f"{k} x{n}" for k, n in self.kinds.items())


class LocustClients:
    """locust headless with HttpUser, stopped after the switches; counts from its CSV."""

    def __init__(self, port: int, clients: int, tmp: Path):
        self.tmp = tmp
        (tmp / "locustfile.py").write_text(textwrap.dedent(LOCUSTFILE))
        self.argv = [
            str(Path(sys.executable).parent / "locust"), "-f", str(tmp / "locustfile.py"), "--headless",
            "-u", str(clients), "-r", str(clients), "-t", "600s", "--host", f"http://127.0.0.1:{port}",
            "--csv", str(tmp / "locust"), "--only-summary",
        ]  # fmt: skip

    def __enter__(self):
        self.proc = subprocess.Popen(self.argv, cwd=self.tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(3)  # users spawned and connections open before the first switch
        return self

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def counts(self) -> tuple[int, int, str]:
        with open(self.tmp / "locust_stats.csv", newline="") as f:
            row = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
        with open(self.tmp / "locust_failures.csv", newline="") as f:
            kinds = ", ".join(f"{r['Error'][:60]} x{r['Occurrences']}" for r in csv.DictReader(f))
        return int(row["Request Count"]), int(row["Failure Count"]), kinds


def switches_under_load(kind: str, client: str, switches: int, clients: int) -> tuple[int, int, str, int]:
    """(requests, failed requests, what failed, deploys that did not exit 0)."""
    with tempfile.TemporaryDirectory() as d, site_with(kind, Path(d)) as site:
        site.manifest("blue-green", analysis=FAST_ANALYSIS)
        assert deploy(site, "v0") == 0, "the first deploy failed"
        load = RawClients(site.proxy.port, clients) if client == "http.client" else LocustClients(site.proxy.port, clients, Path(d))
        bad = 0
        with load:
            for n in range(1, switches + 1):
                bad += deploy(site, f"v{n}") != 0
            time.sleep(0.5)
        requests, failures, kinds = load.counts()
        return requests, failures, kinds, bad


FAULTS = {"50% errors": {"error_share": 0.5}, "dies after traffic": {"exit_after": 3}, "+4 s latency": {"latency_ms": 4000}}
POLLERS = 4  # a poller stuck 4 s on the slow version must not blind the measurement


def time_to_restore(kind: str, interval: float, failure_limit: int, fault: dict) -> tuple[float, float]:
    """(seconds users saw the fault, seconds on the engine's timeline from the switch to the switch back)."""
    with tempfile.TemporaryDirectory() as d, site_with(kind, Path(d)) as site:
        analysis = {"interval": interval, "count": failure_limit + 3, "failure_limit": failure_limit, "probe": {"requests": 10, "concurrency": 2, "timeout": 5}}
        site.manifest("blue-green", analysis=analysis)
        assert deploy(site, "v1") == 0
        site.faults({"v2": fault})
        seen: list[tuple[float, int, str]] = []
        stop = threading.Event()

        def poll() -> None:
            while not stop.is_set():
                conn = http.client.HTTPConnection("127.0.0.1", site.proxy.port, timeout=10)
                sent = time.time()
                try:
                    conn.request("GET", "/")
                    resp = conn.getresponse()
                    resp.read()
                    seen.append((sent, resp.status, resp.getheader("X-App-Version", "")))
                except (OSError, http.client.HTTPException):
                    seen.append((sent, 0, ""))
                finally:
                    conn.close()
                time.sleep(0.01)

        pollers = [threading.Thread(target=poll, daemon=True) for _ in range(POLLERS)]
        for poller in pollers:
            poller.start()
        done = subprocess.run(site.cli("deploy", "--env", "prod", "--version", "v2"), cwd=site.root, capture_output=True, text=True, timeout=120)
        # pollers stuck on the faulty version (haproxy retrying a dead server) must come back and see the old one again
        after = time.time()
        limit = time.monotonic() + 15
        while sum(1 for t, status, _ in list(seen) if t > after and status == 200) < 10 * POLLERS and time.monotonic() < limit:
            time.sleep(0.1)
        stop.set()
        for poller in pollers:
            poller.join(15)
        assert done.returncode == 1, "the faulty version was not rolled back"
        switches = [e["at"] for e in json.loads(done.stdout)["timeline"] if e["kind"] == "switch"]
        seen.sort()
        bad = [t for t, status, version in seen if status != 200 or version != "v1"]
        restored = next(t for t, _, _ in seen if t > bad[-1])
        return restored - bad[0], switches[-1] - switches[0]


def _poll_all(ports: list[int], seen: list[tuple[float, int, int, str]], stop: threading.Event) -> None:
    while not stop.is_set():
        for n, port in enumerate(ports):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            sent = time.time()
            try:
                conn.request("GET", "/")
                resp = conn.getresponse()
                resp.read()
                seen.append((sent, n, resp.status, resp.getheader("X-App-Version", "")))
            except (OSError, http.client.HTTPException):
                seen.append((sent, n, 0, ""))
            finally:
                conn.close()
        time.sleep(0.01)


def _trace(path: Path) -> list[dict]:
    """The round trips a run timed into $SHIPLINE_SSH_TRACE."""
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _spread(values: list[float], unit: str = "s", scale: float = 1.0) -> str:
    import statistics

    fmt = (lambda v: f"{v * scale:.0f} {unit}") if unit == "ms" else (lambda v: f"{v * scale:.2f} {unit}")
    return f"{fmt(statistics.median(values))} ({fmt(min(values))} to {fmt(max(values))})"


def two_hosts(runs: int) -> None:
    """Part 3: restore time on every host after a fault on the second one, and what SSH costs per host."""
    import statistics

    from shipline.deploy.hosts.ssh import TRACE_ENV, Connection, Credentials, Endpoint, Keyring
    from tests.ssh_support import fleet

    def timed_deploy(root: Path, env: dict, version: str, trace: Path | None = None) -> tuple[float, int]:
        extra = {TRACE_ENV: str(trace)} if trace else {}
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "shipline", "deploy", "--env", "prod", "--version", version, "--format", "json"], cwd=root, env={**os.environ, **env, **extra}, capture_output=True, text=True, timeout=300)
        return time.perf_counter() - start, done.returncode

    print("\n### Two hosts over SSH: a fault on the second host\n")
    print("| run | users saw it for (any host) | engine timeline (switch to switch back) | SSH round trips on the way back, per host (time) | hosts back on v1 |")
    print("|---|---|---|---|---|")
    users, engine = [], []
    for run in range(runs):
        with tempfile.TemporaryDirectory() as d, fleet(Path(d)) as f:
            f.manifest(analysis={"interval": 1.0, "count": 3, "failure_limit": 0, "probe": {"requests": 10, "concurrency": 2, "timeout": 5}})
            assert timed_deploy(f.root, f.env, "v1")[1] == 0
            f.hosts[1].faults({"v2": {"error_share": 0.5}})
            trace = Path(d) / "trace.jsonl"
            seen: list[tuple[float, int, int, str]] = []
            stop = threading.Event()
            poller = threading.Thread(target=_poll_all, args=([h.proxy.port for h in f.hosts], seen, stop), daemon=True)
            poller.start()
            done = subprocess.run([sys.executable, "-m", "shipline", "deploy", "--env", "prod", "--version", "v2", "--format", "json"], cwd=f.root, env={**os.environ, **f.env, TRACE_ENV: str(trace)}, capture_output=True, text=True, timeout=300)
            time.sleep(0.5)
            stop.set()
            poller.join(15)
            assert done.returncode == 1, "the fault on the second host was not rolled back"
            timeline = json.loads(done.stdout)["timeline"]
            switches = [e["at"] for e in timeline if e["kind"] == "switch"]
            failed = next(e["at"] for e in timeline if e["kind"] == "measurement" and e["data"]["status"] == "failed")
            seen.sort()
            bad = [t for t, _, status, version in seen if status != 200 or version != "v1"]
            restored = next(t for t, _, _, _ in seen if t > bad[-1])
            back = sum(1 for h in f.hosts if {v for _, n, s, v in seen[-20:] if n == f.hosts.index(h)} == {"v1"})
            # from the failed measurement to traffic back: what each host's SSH cost on the way back
            way_back = [r for r in _trace(trace) if failed <= r["start"] <= switches[-1]]
            per_host = ", ".join(f"{h.name} {sum(1 for r in way_back if r['host'] == h.name)} ({sum(r['seconds'] for r in way_back if r['host'] == h.name) * 1000:.0f} ms)" for h in f.hosts)
            users.append(restored - bad[0])
            engine.append(switches[-1] - switches[0])
            print(f"| {run + 1} | {restored - bad[0]:.2f} s | {switches[-1] - switches[0]:.2f} s | {per_host} | {back} of {len(f.hosts)} |", flush=True)
    print(f"| median (min to max) | {_spread(users)} | {_spread(engine)} | | |")

    print("\n### Per-host overhead of SSH\n")
    with tempfile.TemporaryDirectory() as d, fleet(Path(d)) as f:
        entry = f.hosts[0].manifest_entry()
        conn = Connection(Endpoint(entry["host"], entry["user"], entry["port"], "web1"), Keyring(Credentials.from_env(f.env)))
        start = time.perf_counter()
        conn.connect()
        handshake = time.perf_counter() - start
        in_shell, in_session = [], []
        conn.run("true")  # the host's shell started
        for _ in range(20):
            start = time.perf_counter()
            conn.run("true")
            in_shell.append(time.perf_counter() - start)
            start = time.perf_counter()
            conn._ssh([entry["host"], "--", "true"])  # a session of its own, as every command opened before the shell
            in_session.append(time.perf_counter() - start)
        conn.close()
        conn.keyring.close()
        one_host, two, one_trips, two_trips = [], [], [], []
        for n in range(runs):
            f.manifest(hosts=[f.hosts[0].manifest_entry()])
            trace = Path(d) / f"one-{n}.jsonl"
            one_host.append(timed_deploy(f.root, f.env, f"a{n}", trace)[0])
            one_trips.append(_trace(trace))
        (f.root / "state").rename(f.root / f"state-one-{time.time_ns()}")
        for h in f.hosts:
            for state in h.dir.glob("prod.state.json"):
                state.unlink()
            h.stop_slots()
        f.manifest()
        for n in range(runs):
            trace = Path(d) / f"two-{n}.jsonl"
            two.append(timed_deploy(f.root, f.env, f"b{n}", trace)[0])
            two_trips.append(_trace(trace))
    local = []
    with tempfile.TemporaryDirectory() as d, site_with("haproxy", Path(d)) as site:
        site.manifest("blue-green", analysis={"interval": 0.3, "count": 2, "max_p95_ms": 1000, "probe": {"requests": 10, "concurrency": 2, "timeout": 2}})
        for n in range(runs):
            start = time.perf_counter()
            deploy(site, f"c{n}")
            local.append(time.perf_counter() - start)
    med = statistics.median

    def per_host(trips: list[list[dict]], hosts: int) -> tuple[float, float]:
        """Round trips and seconds of SSH per host per deploy (median over the runs)."""
        return med([len(t) / hosts for t in trips]), med([sum(r["seconds"] for r in t) / hosts for t in trips])

    one_n, one_s = per_host(one_trips, 1)
    two_n, two_s = per_host(two_trips, 2)
    print("| measure | median (min to max) | ratio to this machine |")
    print("|---|---|---|")
    print(f"| SSH handshake (master connection) | {handshake * 1000:.0f} ms | |")
    print(f"| one command in the host's shell | {_spread(in_shell, 'ms', 1000)} | |")
    print(f"| one command in an SSH session of its own | {_spread(in_session, 'ms', 1000)} | |")
    print(f"| blue-green deploy on this machine | {_spread(local)} | 1.00 |")
    print(f"| blue-green deploy to one host over SSH | {_spread(one_host)} | {med(one_host) / med(local):.2f} |")
    print(f"| blue-green deploy to two hosts over SSH | {_spread(two)} | {med(two) / med(local):.2f} |")
    print(f"| SSH per host per deploy, one host | {one_n:.0f} round trips, {one_s:.2f} s | |")
    print(f"| SSH per host per deploy, two hosts | {two_n:.0f} round trips, {two_s:.2f} s | |")
    print(f"| per-host overhead of SSH (one-host deploy minus this machine's) | {med(one_host) - med(local):.2f} s | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--switches", type=int, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--restore-only", action="store_true", help="only the time to restore after a fault")
    parser.add_argument("--fault", action="append", choices=list(FAULTS), help="only these faults (default: all)")
    parser.add_argument("--router", action="append", choices=["haproxy", "nginx"], help="only these routers (default: both)")
    parser.add_argument("--hosts-only", action="store_true", help="only the two-host case over SSH")
    parser.add_argument("--host-runs", type=int, default=3, help="runs of each two-host measurement")
    args = parser.parse_args()
    if args.hosts_only:
        two_hosts(args.host_runs)
        return
    if not args.restore_only:
        print(f"### Failed requests during {args.switches} blue-green deploys under keep-alive load ({args.clients} clients)\n")
        print("| router | client | requests | failed | failed share | deploys not promoted | failures |")
        print("|---|---|---|---|---|---|---|")
        for kind in ("haproxy", "nginx"):
            for client in ("locust HttpUser", "http.client"):
                requests, failures, kinds, bad = switches_under_load(kind, client, args.switches, args.clients)
                print(f"| {kind} | {client} | {requests} | {failures} | {failures / max(requests, 1):.3%} | {bad} | {kinds or '-'} |", flush=True)
    print("\n### Time from the start of a fault to traffic restored\n")
    print("| router | fault | interval | failure_limit | goal | users saw it for | engine timeline | within goal |")
    print("|---|---|---|---|---|---|---|---|")
    for kind in args.router or ("haproxy", "nginx"):
        for name, fault in FAULTS.items():
            if args.fault and name not in args.fault:
                continue
            for interval, limit in ((1.0, 0), (1.0, 1), (0.5, 2)):
                goal = interval * (limit + 1) + 1
                users, engine = time_to_restore(kind, interval, limit, fault)
                ok = "yes" if max(users, engine) <= goal else "NO"
                print(f"| {kind} | {name} | {interval:g} s | {limit} | {goal:.1f} s | {users:.2f} s | {engine:.2f} s | {ok} |", flush=True)


# -- canary analysis: the prometheus provider next to the probe -------------------------
# python benchmarks/deploy.py --only prometheus runs this section alone.


def canary_time_to_rollback(provider: str, interval: float, failure_limit: int) -> tuple[float, str]:
    """Seconds from the faulty canary's first answer a client sees to the first of an unbroken run of old answers; and the reason."""
    import json

    from tests.prometheus_support import monitored_site

    with tempfile.TemporaryDirectory() as d, monitored_site(Path(d)) as (site, prometheus):
        site.manifest("canary", canary_steps=[50, 100])
        assert deploy(site, "v1") == 0
        analysis = {"provider": provider, "interval": interval, "count": failure_limit + 2, "failure_limit": failure_limit, "max_error_rate": "10%"}
        analysis["probe"] = {"requests": 10, "concurrency": 2, "timeout": 2}
        analysis["prometheus"] = {"url": prometheus.url, "window": "4s", "settle": "1.5s"}
        site.manifest("canary", canary_steps=[50, 100], analysis=analysis)
        site.faults({"v2": {"error_share": 0.5}})
        seen: list[tuple[float, int, str]] = []
        stop = threading.Event()

        def poll() -> None:  # the users: their traffic is what Prometheus sees
            deadline = time.monotonic() + 120
            while not stop.is_set() and time.monotonic() < deadline:
                conn = http.client.HTTPConnection("127.0.0.1", site.proxy.port, timeout=5)
                try:
                    conn.request("GET", "/")
                    resp = conn.getresponse()
                    resp.read()
                    seen.append((time.monotonic(), resp.status, resp.getheader("X-App-Version", "")))
                except (OSError, http.client.HTTPException):
                    seen.append((time.monotonic(), 0, ""))
                finally:
                    conn.close()
                time.sleep(0.01)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        time.sleep(2)  # Prometheus has the old version's traffic before the canary starts
        done = subprocess.run(site.cli("deploy", "--env", "prod", "--version", "v2"), cwd=site.root, capture_output=True, text=True, timeout=120)
        time.sleep(0.3)
        stop.set()
        poller.join(10)
        assert done.returncode == 1, f"the faulty canary was not rolled back: {done.stderr[-500:]}"
        bad = [t for t, status, version in seen if status != 200 or version != "v1"]
        restored = next(t for t, _, _ in seen if t > bad[-1])
        return restored - bad[0], json.loads(done.stdout)["reason"]


def prometheus_section() -> None:
    """The canary rollback table: probe and prometheus providers side by side."""
    print("\n### Canary with 50% errors: time from its first answer to traffic restored, probe vs prometheus\n")
    print("| provider | interval | failure_limit | goal | measured | reason |")
    print("|---|---|---|---|---|---|")
    for interval, limit in ((1.0, 0), (1.0, 1)):
        for provider in ("probe", "prometheus"):
            scrape = 1.0 if provider == "prometheus" else 0.0
            goal = interval * (limit + 1) + scrape + 1
            took, reason = canary_time_to_rollback(provider, interval, limit)
            print(f"| {provider} | {interval:g} s | {limit} | {goal:.1f} s | {took:.2f} s | {reason[:90]} |", flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["--only", "prometheus"]:
        prometheus_section()
    elif "--hosts-only" in sys.argv:
        main()
    else:
        main()
        prometheus_section()
