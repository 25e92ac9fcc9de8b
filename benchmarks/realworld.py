"""The real-project corpus end to end: init, generate, check and a pull request through act.

    .venv/bin/python benchmarks/realworld.py [NAME ...]

For every project in tests/corpus/ (or the ones named): a git repository with the
project on a pull-request branch, then ``shipline init``, ``generate``, ``check`` and
``act --event pull_request`` (the matrix entries whose Python is installed here), all
untouched after init. Prints a Markdown table: what was detected, each step's result,
the jobs that failed, and, where the pipeline cannot pass here, why (from the
project's expected.yml).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import corpus_support as corpus  # noqa: E402

SHIPLINE = [sys.executable, "-m", "shipline"]


def _run(args: list[str], cwd: Path, env_home: Path) -> subprocess.CompletedProcess[str]:
    env = {**__import__("os").environ, "XDG_CACHE_HOME": str(env_home)}
    return subprocess.run([*SHIPLINE, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=1800)


def _mark(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def project_row(name: str, work: Path) -> list[str]:
    """One table row for ``name``."""
    repo = corpus.prepare(name, work)
    cache = work / "cache"
    init = _run(["init", "--format", "json"], repo, cache)
    detected = json.loads(init.stdout).get("projects", []) if init.returncode == 0 else []
    languages = ", ".join(f"{p['path']}: {p['language']}" if len(detected) > 1 else p["language"] for p in detected)
    runtimes = "; ".join(" ".join(p["runtimes"]) or "-" for p in detected)
    managers = ", ".join(p["package_manager"] or "-" for p in detected)
    generate = _run(["generate"], repo, cache)
    check = _run(["check"], repo, cache)
    corpus.commit(repo, "shipline init and generate")
    started = time.monotonic()
    act = _run(["act", "-W", ".github/workflows/shipline-pipeline.yml", "--event", "pull_request", "--format", "json", *corpus.installed_matrix(repo)], repo, cache)
    seconds = time.monotonic() - started
    try:
        report = json.loads(act.stdout)
        failed = [j["id"] for j in report["jobs"] if j["result"] not in ("success", "skipped")]
    except ValueError:
        failed = ["(no report)"]
    green = act.returncode == 0
    expected = corpus.expected(name)
    verdict = "green" if green else f"red: {', '.join(failed) or act.stderr.strip()[-80:]}"
    why = "" if green else expected.get("why", "(not explained)")
    surprise = "" if (expected.get("act") == "green") == green else " **(unexpected)**"
    return [name, languages, runtimes, managers, _mark(init.returncode == 0), _mark(generate.returncode == 0), _mark(check.returncode == 0), f"{verdict}{surprise} ({seconds:.0f} s)", why]


def main(argv: list[str] | None = None) -> int:
    """Print the corpus table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="corpus projects (default: all)")
    args = parser.parse_args(argv)
    names = args.names or corpus.names()
    header = ["project", "languages", "runtimes", "package manager", "init", "generate", "check", "act (pull request)", "why not green here"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    with tempfile.TemporaryDirectory(prefix="shipline-realworld-") as tmp:
        for name in names:
            row = project_row(name, Path(tmp) / name)
            print("| " + " | ".join(row) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
