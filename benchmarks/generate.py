"""Start-up and generate time, as ratios to ``python -c pass`` measured in the same run.

    .venv/bin/python benchmarks/generate.py [--runs N]

Times three commands, each run N times in fresh processes (median):
``python -c pass`` (the floor), ``shipline --help`` and ``shipline generate`` of a
20-service monorepo manifest (three environments per service, canary production),
plus the in-process generate time of that manifest. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LANGUAGES = ("python", "node", "go", "container")


def manifest(services: int) -> str:
    """A monorepo manifest with ``services`` services, staging, load-test and production."""
    lines = [
        "version: 1",
        "kit: {ref: eb1f9713e935d89a921ede2011cf30be7bd4b2f7}",
        "project: {name: big, language: python}",
        "environments:",
    ]
    for n, env in enumerate(("staging", "preprod", "production")):
        lines += [
            f"  - name: {env}",
            f"    url: https://{env}.example.com",
            f"    allow_load_test: {str(n == 0).lower()}",
            f"    approval: {str(env == 'production').lower()}",
            "    deploy:",
            f"      strategy: {'canary' if env == 'production' else 'blue-green'}",
            "      router: {type: haproxy, admin_socket: /run/haproxy.sock}",
            "      slots: {blue: {port: 8001}, green: {port: 8002}}",
        ]
    lines.append("services:")
    for i in range(services):
        lines += [f"  - name: svc{i:02d}", f"    path: services/svc{i:02d}", f"    project: {{language: {LANGUAGES[i % 4]}}}"]
    return "\n".join(lines) + "\n"


def median_seconds(argv: list[str], cwd: Path, runs: int) -> float:
    """Median wall time of ``argv`` over ``runs`` fresh processes (after one warm-up)."""
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def in_process_seconds(path: Path, runs: int) -> float:
    """Median time to load, build and render the manifest without starting Python."""
    from shipline import manifest as schema
    from shipline.generate import files

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        files.render(schema.load(path), path.name)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--services", type=int, default=20)
    args = parser.parse_args()
    shipline = str(Path(sys.executable).parent / "shipline")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "shipline.yml").write_text(manifest(args.services))
        floor = median_seconds([sys.executable, "-c", "pass"], root, args.runs)
        help_ = median_seconds([shipline, "--help"], root, args.runs)
        generate = median_seconds([shipline, "generate"], root, args.runs)
        inproc = in_process_seconds(root / "shipline.yml", args.runs)
        lines = sum(len(p.read_text().splitlines()) for p in (root / ".github/workflows").glob("*.yml"))
    print(f"{args.services} services, {lines} lines of workflow; median of {args.runs} runs\n")
    print("| measurement | seconds | ratio to `python -c pass` |")
    print("|---|---|---|")
    for name, value in (
        ("`python -c pass` (floor)", floor),
        ("`shipline --help`", help_),
        (f"`shipline generate` ({args.services} services)", generate),
        ("generate in-process (load, build, render)", inproc),
    ):
        print(f"| {name} | {value:.3f} | {value / floor:.1f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
