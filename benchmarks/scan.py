"""Security scan: a full scan against a diff-aware scan of a one-file change, and shipline's overhead.

    .venv/bin/python benchmarks/scan.py [--files N] [--lines N] [--repeat N]

Generates its own corpus: a git repository of N Python files (default 200 x 260
lines, 52,000 lines) with a few findings sprinkled in, committed on main; a branch
changes one file. Prints Markdown tables for docs/benchmarks.md, in CPU seconds
(steady on a busy machine) and in wall-clock seconds. Every figure is a ratio of
timings taken in the same run (medians, runs interleaved):

- `shipline scan --baseline-ref main` on the branch (merge base, changed files on
  both sides) against a full `shipline scan` of the tree;
- a full `shipline scan` against running `semgrep` (shipline's rules, JSON; both its
  default command line and the native one shipline uses) and `bandit -r` (JSON) by
  hand on the same tree.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from shipline.scan.semgrep import NATIVE, OFFLINE, builtin_rules  # noqa: E402

MODULE = '''\
"""Generated module {n}: plain code with the odd finding, as in a real service."""

import json
import os
import subprocess


class Service{n}:
    """A small service object."""

    def __init__(self, name, limit=10):
        self.name = name
        self.limit = limit
        self.items = []

'''

METHOD = '''\
    def step_{n}_{m}(self, value):
        """Transform value {m}."""
        total = 0
        for i in range(self.limit):
            if i % 3 == 0:
                total += i * {m}
            elif i % 3 == 1:
                total -= value
            else:
                total ^= len(self.name)
        self.items.append(total)
        data = json.dumps({{"total": total, "step": {m}}})
        return json.loads(data)["total"]

'''

FINDINGS = '''\
    def run_{n}(self, cmd):
        return subprocess.run(cmd, shell=True)

    def evaluate_{n}(self, expr):
        return eval(expr)

'''


def module(n: int, lines: int, finding: bool) -> str:
    """One module of about ``lines`` lines; every tenth carries two findings."""
    text = MODULE.format(n=n) + (FINDINGS.format(n=n) if finding else "")
    m = 0
    while text.count("\n") + METHOD.count("\n") <= lines:
        text += METHOD.format(n=n, m=m)
        m += 1
    return text + "\n" * (lines - text.count("\n"))


def git(repo: Path, *argv: str) -> None:
    subprocess.run(["git", "-C", str(repo), *argv], check=True, capture_output=True)


def corpus(root: Path, files: int, lines: int) -> int:
    """The repository: main with every module, branch `change` editing one. Returns the line count."""
    git(root, "init", "-q", "-b", "main")
    for n in range(files):
        path = root / "svc" / f"module_{n:04d}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(module(n, lines, n % 10 == 0))
    git(root, "add", "-A")
    git(root, "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "-m", "corpus")
    git(root, "switch", "-q", "-c", "change")
    edited = root / "svc" / "module_0007.py"
    edited.write_text(edited.read_text().replace("        self.items = []\n", "        self.items = []\n        self.config = os.popen('cat ' + name).read()\n", 1))
    git(root, "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-qam", "one-file change")
    return sum(p.read_text().count("\n") for p in (root / "svc").glob("*.py"))


def _children_cpu() -> float:
    """CPU seconds used so far by finished child processes and theirs: steadier than wall time on a busy machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def own_work(repo: Path, sarif: str) -> tuple[float, float]:
    """Wall seconds of a full scan run in this process: in all, and inside the scanners.

    The difference is shipline's own work on top of the scanners (merging,
    fingerprints, SARIF, reporting), measured within one run, so the machine's load
    cancels out.
    """
    import contextlib
    import io

    from shipline.cli import main as shipline
    from shipline.scan import tool

    real = tool.run
    inside = [0.0]

    def timed(*argv, **kwargs):
        start = time.perf_counter()
        try:
            return real(*argv, **kwargs)
        finally:
            inside[0] += time.perf_counter() - start

    tool.run = timed
    try:
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            shipline(["scan", "--fail-on", "none", "--sarif", sarif], environ={"PATH": str(BIN)}, cwd=repo)
        return time.perf_counter() - start, inside[0]
    finally:
        tool.run = real


def run(argv: list[str], cwd: Path, ok: tuple[int, ...]) -> None:
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--lines", type=int, default=260)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="shipline-bench-scan-") as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        lines = corpus(repo, args.files, args.lines)
        sarif = str(Path(tmp) / "out.sarif")
        shipline = [str(BIN / "shipline"), "scan", "--fail-on", "none", "--sarif", sarif]
        cases = {
            "full": lambda: run(shipline, repo, (0,)),
            "diff": lambda: run([*shipline, "--baseline-ref", "main"], repo, (0,)),
            "semgrep": lambda: run([str(BIN / "semgrep"), "scan", *OFFLINE, "--json", "--config", str(builtin_rules()), "."], repo, (0,)),
            "semgrep-native": lambda: run([str(BIN / "semgrep"), "scan", NATIVE, *OFFLINE, "--json", "--config", str(builtin_rules()), "."], repo, (0,)),
            "bandit": lambda: run([str(BIN / "bandit"), "-f", "json", "-q", "-r", "."], repo, (0, 1)),
        }
        for fn in cases.values():  # warm the caches
            fn()
        wall: dict[str, list[float]] = {name: [] for name in cases}
        in_process: list[tuple[float, float]] = []
        startup: list[float] = []
        cpu: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.repeat):
            for name, fn in cases.items():
                start, used = time.perf_counter(), _children_cpu()
                fn()
                wall[name].append(time.perf_counter() - start)
                cpu[name].append(_children_cpu() - used)
            in_process.append(own_work(repo, sarif))
            start = time.perf_counter()
            run([str(BIN / "shipline"), "scan", "--help"], repo, (0,))
            startup.append(time.perf_counter() - start)

    for title, times in (("CPU seconds (user + system, every process)", cpu), ("wall-clock seconds", wall)):
        t = {name: statistics.median(values) for name, values in times.items()}
        by_hand = t["semgrep"] + t["bandit"]
        native = t["semgrep-native"] + t["bandit"]
        print(f"\n{title}; corpus: {args.files} generated Python files, {lines:,} lines, one file changed on a branch; median of {args.repeat} interleaved runs.\n")
        print("| measure | seconds | ratio |")
        print("|---|---|---|")
        print(f"| full `shipline scan` | {t['full']:.2f} | 1 |")
        print(f"| diff-aware `shipline scan --baseline-ref main` (one file changed) | {t['diff']:.2f} | {t['diff'] / t['full']:.2f} of full (goal: at most 0.25) |")
        print(f"| `semgrep` + `bandit` by hand, same tree | {by_hand:.2f} ({t['semgrep']:.2f} + {t['bandit']:.2f}) | full scan = {t['full'] / by_hand:.2f}x by hand |")
        print(f"| `semgrep {NATIVE}` + `bandit` by hand (the engine shipline runs) | {native:.2f} ({t['semgrep-native']:.2f} + {t['bandit']:.2f}) | full scan = {t['full'] / native:.2f}x |")
    total = statistics.median(t for t, _ in in_process)
    inside = statistics.median(i for _, i in in_process)
    own = statistics.median(t - i for t, i in in_process)
    print(f"\nshipline's own work in a full scan, in process (median of {args.repeat}): {total:.2f} s in all, {inside:.2f} s inside semgrep and bandit, "
          f"{own:.2f} s of shipline's own ({own / total * 100:.1f}%: file selection, merging, fingerprints, SARIF, reporting); "
          f"plus {statistics.median(startup):.2f} s of start-up (`shipline scan --help`).")


if __name__ == "__main__":
    main()
