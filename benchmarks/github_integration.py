"""GitHub integration benchmarks against the local fake GitHub (tests/fake_github.py).

    .venv/bin/python benchmarks/github_integration.py [--deploys 3] [--history 200]

1. API requests each operation makes (machine-independent: each one is a round trip
   to GitHub): a promoted deploy, an automatic rollback with its incident, a manual
   rollback, the pull request summary posted then updated, `shipline dora`.
2. What recording adds to a blue-green deploy against real haproxy: median wall time
   of ``--deploys`` deploys with GitHub configured over the same without, one run.
3. `shipline dora` over ``--history`` deployments: requests and seconds per deployment.

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


def dora_history(tmp: Path, size: int) -> list[list[str]]:
    fake = FakeGitHub().start()
    try:
        from shipline.github import client
        from shipline.github.deployments import GitHubDeployments
        from shipline.report import Reporter

        gh = client.GitHub(client.settings_from_environ(fake.env()), Reporter(stdout=open("/dev/null", "w")))  # noqa: SIM115
        for n in range(size):
            fake.add_commit(f"{n + 1:040x}", f"2026-11-{1 + n * 20 // size:02d}T0{n % 8}:00:00Z")
            fake.at(f"2026-11-{1 + n * 20 // size:02d}T09:{n % 60:02d}:00Z")
            rec = GitHubDeployments(gh, Reporter(stdout=open("/dev/null", "w")))  # noqa: SIM115
            rec.start("production", str(n), f"{n + 1:040x}", None)
            rec.finish(n % 10 != 0)
        before = len(fake.requests)
        started = time.perf_counter()
        result = run_cli("dora", "--since", "2026-11-01", "--until", "2026-11-30", "--format", "json", cwd=tmp, env=fake.env())
        took = time.perf_counter() - started
        assert result.code == 0, result.err
        requests = len(fake.requests) - before
        return [[str(size), str(requests), f"{requests / size:.2f}", f"{took:.2f}", f"{took / size * 1000:.1f}"]]
    finally:
        fake.stop()


def table(headers: list[str], rows: list[list[str]]) -> str:
    from shipline.report import markdown_table

    return markdown_table(headers, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deploys", type=int, default=3)
    parser.add_argument("--history", type=int, default=200)
    args = parser.parse_args()
    from shipline.commands import COMMANDS

    COMMANDS.setdefault("pr-comment", "shipline.commands.pr_comment")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print(table(["operation", "GitHub API requests"], requests_per_operation(root)))
        print(table(["blue-green deploy", "median s", "ratio"], recording_overhead(root, args.deploys)))
        print(table(["deployments", "requests", "requests/deployment", "dora s", "ms/deployment"], dora_history(root, args.history)))


if __name__ == "__main__":
    main()
