"""GitHub integration benchmarks against the local fake GitHub (tests/fake_github.py).

    .venv/bin/python benchmarks/github_integration.py [--deploys 3] [--days 90] [--per-day 5]

1. API requests each operation makes (machine-independent: each one is a round trip
   to GitHub): a promoted deploy, an automatic rollback with its incident, a manual
   rollback, the pull request summary posted then updated, `shipline dora`.
2. What recording adds to a blue-green deploy against real haproxy: median wall time
   of ``--deploys`` deploys with GitHub configured over the same without, one run.
3. `shipline dora` over ``--days`` days at ``--per-day`` deploys a day (every tenth
   rolled back after going live, one in thirty failing before taking traffic, an
   incident a fortnight, and the deployment GitHub Actions makes for each
   ``environment:`` job): requests, seconds, and the share of a GITHUB_TOKEN's
   hourly budget (1,000 requests an hour per repository).

Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.deploy_support import site_with  # noqa: E402
from tests.fake_github import FakeGitHub  # noqa: E402
from tests.helpers import run_cli  # noqa: E402

SHA = "d" * 40


def counted(fake: FakeGitHub, action) -> int:
    before = len(fake.requests)
    action()
    return len(fake.requests) - before


def deploy(site, env, version: str) -> float:
    started = time.perf_counter()
    result = run_cli("deploy", "--env", "prod", "--version", version, "--format", "json", cwd=site.root, env=env)
    took = time.perf_counter() - started
    assert result.code in (0, 1), result.err
    return took


def requests_per_operation(tmp: Path) -> list[list[str]]:
    fake = FakeGitHub().start()
    try:
        fake.add_commit(SHA, "2026-11-01T08:00:00Z")
        env = fake.env(GITHUB_SHA=SHA)
        rows = []
        with site_with("haproxy", tmp / "ops") as site:
            site.manifest("blue-green")
            manifest = json.loads((site.root / "shipline.yml").read_text())
            manifest["environments"][0]["incidents"] = {"enabled": True}
            (site.root / "shipline.yml").write_text(json.dumps(manifest))
            rows.append(["first deploy (promoted)", counted(fake, lambda: deploy(site, env, "v1"))])
            rows.append(["deploy replacing a live one (promoted)", counted(fake, lambda: deploy(site, env, "v2"))])
            site.faults({"v3": {"error_share": 0.5}})
            rows.append(["automatic rollback + incident opened", counted(fake, lambda: deploy(site, env, "v3"))])
            rows.append(["automatic rollback + incident commented", counted(fake, lambda: deploy(site, env, "v3"))])
            rows.append(["manual rollback", counted(fake, lambda: run_cli("rollback", "--env", "prod", cwd=site.root, env=env))])
        fake.add_pull(1)
        results = tmp / "results"
        results.mkdir()
        run_cli("pr-comment", "record", "build", "--status", "passed", cwd=results)
        rows.append(["pull request summary, first post", counted(fake, lambda: run_cli("pr-comment", "post", "--pr", "1", cwd=results, env=env))])
        run_cli("pr-comment", "record", "test", "--status", "passed", cwd=results)
        rows.append(["pull request summary, update", counted(fake, lambda: run_cli("pr-comment", "post", "--pr", "1", cwd=results, env=env))])
        return [[name, str(n)] for name, n in rows]
    finally:
        fake.stop()


def recording_overhead(tmp: Path, deploys: int) -> list[list[str]]:
    fake = FakeGitHub().start()
    try:
        fake.add_commit(SHA, "2026-11-01T08:00:00Z")
        times: dict[str, list[float]] = {"without GitHub": [], "recording to GitHub": []}
        with site_with("haproxy", tmp / "overhead") as site:
            site.manifest("blue-green")
            for n in range(deploys):  # interleaved, so both see the same machine load
                times["without GitHub"].append(deploy(site, {}, f"a{n}"))
                times["recording to GitHub"].append(deploy(site, fake.env(GITHUB_SHA=SHA), f"b{n}"))
        base = statistics.median(times["without GitHub"])
        return [[name, f"{statistics.median(t):.2f}", f"{statistics.median(t) / base:.3f}"] for name, t in times.items()]
    finally:
        fake.stop()


BUDGET = 1000  # a GITHUB_TOKEN's requests an hour per repository (GitHub's REST rate limits)


def lay_out_history(fake: FakeGitHub, days: int, per_day: int) -> None:
    """``days`` of deployments at ``per_day`` a day, written straight into the fake."""
    from datetime import datetime, timedelta, timezone

    from shipline.github import incidents
    from tests.fake_github import Api

    api = Api(fake)
    start = datetime(2026, 8, 1, tzinfo=timezone.utc)
    live = None
    n = 0
    for day in range(days):
        for slot in range(per_day):
            n += 1
            at = start + timedelta(days=day, hours=9 + slot * 2)
            sha = fake.add_commit(f"{n:040x}", (at - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ"))
            fake.at(at - timedelta(minutes=1))
            actions, _ = api.create_deployment({}, {"ref": sha, "environment": "production"})  # the job's own
            fake.at(at)
            payload = {"tool": "shipline", "service": "", "environment": "production", "version": str(n), "key": str(n)}
            made, _ = api.create_deployment({}, {"ref": sha, "environment": "production", "payload": payload})
            api.create_status({}, {"state": "in_progress", "auto_inactive": False}, str(made["id"]))
            fake.at(at + timedelta(minutes=10))
            if n % 30 == 0:
                api.create_status({}, {"state": "failure", "description": "health check failed", "auto_inactive": False}, str(made["id"]))
                continue
            api.create_status({}, {"state": "success", "description": "live", "auto_inactive": False}, str(made["id"]))
            api.create_status({}, {"state": "success"}, str(actions["id"]))
            if n % 10 == 0 and live is not None:
                fake.at(at + timedelta(minutes=40))
                api.create_status({}, {"state": "failure", "description": "rolled back: error rate", "auto_inactive": False}, str(made["id"]))
                api.create_status({}, {"state": "success", "description": "restored by rollback: error rate", "auto_inactive": False}, str(live))
                continue
            live = made["id"]
        if day % 14 == 7:
            fake.at(start + timedelta(days=day, hours=20))
            api.create_issue({}, {"title": "incident", "body": incidents.marker("production") + "\n", "labels": ["incident", "P2"]})
            fake.at(start + timedelta(days=day, hours=21))
            api.edit_issue({}, {"state": "closed"}, str(len(fake.state.issues)))


def dora_history(tmp: Path, days: int, per_day: int) -> list[list[str]]:
    from datetime import datetime, timedelta, timezone

    fake = FakeGitHub().start()
    try:
        lay_out_history(fake, days, per_day)
        until = datetime(2026, 8, 1, tzinfo=timezone.utc) + timedelta(days=days)
        before = len(fake.requests)
        started = time.perf_counter()
        argv = ("dora", "--since", f"{days}d", "--until", until.strftime("%Y-%m-%d"), "--format", "json")
        result = run_cli(*argv, cwd=tmp, env=fake.env())
        took = time.perf_counter() - started
        assert result.code == 0, result.err
        data = json.loads(result.out)
        requests = len(fake.requests) - before
        size = data["live"] + data["pre_live_failures"]
        return [[f"{days} days x {per_day}/day", str(len(fake.state.deployments)), str(size), str(requests), f"{requests / BUDGET:.0%}", f"{took:.2f}"]]
    finally:
        fake.stop()


def budget(operations: list[list[str]], per_day: int) -> list[list[str]]:
    """What a day of recording costs against the hourly budget, at its busiest hour."""
    by_name = {name: int(n) for name, n in operations}
    deploy, rollback = by_name["deploy replacing a live one (promoted)"], by_name["automatic rollback + incident opened"]
    return [
        ["one deploy", str(deploy), f"{deploy / BUDGET:.1%}"],
        ["one automatic rollback with its incident", str(rollback), f"{rollback / BUDGET:.1%}"],
        [f"{per_day} deploys in one hour (the worst case of {per_day}/day)", str(deploy * per_day), f"{deploy * per_day / BUDGET:.1%}"],
    ]


def table(headers: list[str], rows: list[list[str]]) -> str:
    from shipline.report import markdown_table

    return markdown_table(headers, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deploys", type=int, default=3)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--per-day", type=int, default=5)
    args = parser.parse_args()
    from shipline.commands import COMMANDS

    COMMANDS.setdefault("pr-comment", "shipline.commands.pr_comment")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        operations = requests_per_operation(root)
        print(table(["operation", "GitHub API requests"], operations))
        print(table(["in an hour", "requests", f"share of {BUDGET}/h"], budget(operations, args.per_day)))
        print(table(["blue-green deploy", "median s", "ratio"], recording_overhead(root, args.deploys)))
        headers = ["dora over", "deployments in GitHub", "shipline's in the window", "requests", f"share of {BUDGET}/h", "seconds"]
        print(table(headers, dora_history(root, args.days, args.per_day)))


if __name__ == "__main__":
    main()
