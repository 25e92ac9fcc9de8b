"""Overhead of the kit's actions: actions/setup, and each action around the tool it drives.

    .venv/bin/python benchmarks/actions.py [--repeat N] [--skip-cold]

Prints a Markdown section for docs/benchmarks.md. Every figure is a ratio of two
timings taken in the same run, so a busy machine still gives comparable numbers:

- setup: a cold install for the deploy action (core only) and for the scan action
  (core + scan extra), each in a new virtualenv with uv's cache warm, against the pip
  install of every tool the setup did before; and a second call in the same job,
  against the start-up of `shipline --version`;
- `shipline test` against the same `pytest` command run by hand, on a generated
  suite; `shipline build` against `python -m build`; `shipline smoke`
  against the same requests made with urllib;
- the test action through act against a workflow step that runs pytest itself.
"""

from __future__ import annotations

import argparse
import http.server
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.act_harness import run_workflow, uses  # noqa: E402
from tests.helpers import build_file_tree  # noqa: E402

BIN = Path(sys.executable).parent
SETUP = ROOT / "actions" / "setup" / "setup.sh"
TESTS = 1000
# the machine's certificate and proxy settings pass through: installs reach the package index
PASSED = ("SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy")
ENV = {"PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin", "HOME": str(Path.home()), **{k: v for k, v in os.environ.items() if k in PASSED or k.startswith("PIP_")}}


def timed(fn: Callable[[], object], repeat: int, warmup: bool = True) -> float:
    """Median wall time of ``fn`` in seconds, after one untimed run that fills the caches."""
    if warmup:
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def pair(label: str, base: Callable[[], object], ours: Callable[[], object], repeat: int) -> tuple[str, str]:
    """Time ``base`` and ``ours`` alternately (so both see the same load); their ratio and difference."""
    base(), ours()
    base_times, our_times = [], []
    for _ in range(repeat):
        for fn, times in ((base, base_times), (ours, our_times)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    b, o = statistics.median(base_times), statistics.median(our_times)
    return label, f"{o / b:.2f} ({o:.2f} s / {b:.2f} s: {o - b:+.2f} s)"


def sh(argv: list[str], cwd: Path, env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> None:
    proc = subprocess.run(argv, cwd=cwd, env={**ENV, **(env or {})}, capture_output=True, text=True)
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")


def _pip_install(target: Path) -> None:
    """The install actions/setup did before uv and extras: pip, every stage's tools in every job."""
    sh(["python3", "-m", "venv", str(target)], target.parent)
    sh([str(target / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-compile", "--disable-pip-version-check", f"{ROOT}[all]"], target.parent)


def bench_setup(work: Path, repeat: int, cold: bool) -> list[tuple[str, str]]:
    job = work / "job"
    job.mkdir()
    files = {"RUNNER_TEMP": str(job), "GITHUB_PATH": str(job / "path"), "GITHUB_OUTPUT": str(job / "out")}
    rows = []
    startup = timed(lambda: sh([str(BIN / "shipline"), "--version"], work), repeat)
    if cold:
        cache = {"SHIPLINE_CACHE_DIR": str(work / "cache")}
        jobs = iter(range(1000))

        def cold_setup(extras: str) -> Callable[[], None]:
            def once() -> None:
                fresh = work / f"cold{next(jobs)}"
                fresh.mkdir()
                sh(["bash", str(SETUP)], work, {**cache, "RUNNER_TEMP": str(fresh), "SHIPLINE_EXTRAS": extras})

            return once

        def pip_setup() -> None:
            _pip_install(work / f"pip{next(jobs)}")

        # untimed first runs fill uv's and pip's caches: a warm runner, or actions/cache
        before = timed(pip_setup, 1)
        deploy = timed(cold_setup(""), repeat)
        scan = timed(cold_setup("scan"), repeat)
        rows.append(("setup before: pip, every tool (new venv, warm pip cache)", f"{before:.1f} s = {before / startup:.0f}x `shipline --version`"))
        rows.append(("setup, deploy action: uv, core only (new venv, warm uv cache)", f"{deploy:.1f} s = {deploy / before:.2f}x the pip install"))
        rows.append(("setup, scan action: uv, core + scan (new venv, warm uv cache)", f"{scan:.1f} s = {scan / before:.2f}x the pip install"))
    else:
        sh(["bash", str(SETUP)], work, {**files, "SHIPLINE_VENV": sys.prefix})
    if cold:
        sh(["bash", str(SETUP)], work, {**files, "SHIPLINE_VENV": sys.prefix})
    warm = timed(lambda: sh(["bash", str(SETUP)], work, files), repeat * 3)
    rows.append(("setup, second call in the same job", f"{warm * 1000:.0f} ms = {warm / startup:.2f}x `shipline --version` ({startup * 1000:.0f} ms)"))
    return rows


def _suite(root: Path, tests: int) -> None:
    body = "\n".join(f"def test_{i}():\n    assert add({i}, 1) == {i + 1}\n" for i in range(tests))
    build_file_tree(
        root,
        {
            "shipline.yml": "version: 1\nproject: {name: calc, language: python}\ntest: {coverage_min: 50}\n",
            "app.py": "def add(a, b):\n    return a + b\n",
            "tests/test_calc.py": "from app import add\n\n\n" + body,
        },
    )


def bench_test(work: Path, repeat: int) -> tuple[str, str]:
    project = work / "suite"
    _suite(project, TESTS)
    # the very command `shipline test` runs by default, so the difference is shipline's own
    results = ".shipline/test-results"
    plain = [str(BIN / "python"), "-m", "pytest", f"--junitxml={results}/junit.xml", "-o", "junit_family=xunit1", "--cov"]
    plain += [f"--cov-report=xml:{results}/coverage.xml", "--cov-report=term"]
    ours = [str(BIN / "shipline"), "test"]
    return pair(f"`shipline test` / its pytest command by hand ({TESTS} tests)", lambda: sh(plain, project), lambda: sh(ours, project), repeat)


def bench_build(work: Path, repeat: int) -> tuple[str, str]:
    project = work / "pydemo"
    project.mkdir()
    for p in (ROOT / "tests" / "projects" / "pydemo").iterdir():
        if p.is_file():
            (project / p.name).write_text(p.read_text())
    (project / "shipline.yml").write_text("version: 1\nproject: {name: demo, language: python}\n")
    plain = [str(BIN / "python"), "-m", "build", "--outdir", "dist", "."]
    ours = [str(BIN / "shipline"), "build"]
    return pair("`shipline build` / `python -m build` (tiny project)", lambda: sh(plain, project), lambda: sh(ours, project, {"GITHUB_SHA": "0" * 40}), repeat)


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args) -> None:
        pass


def bench_smoke(work: Path, repeat: int) -> tuple[str, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    checks = "".join(f"- path: /c{i}\n" for i in range(20))
    build_file_tree(work / "smoke", {"checks.yml": checks})
    loop = f"import urllib.request\nfor i in range(20): urllib.request.urlopen('{url}/c%d' % i).read()"
    ours = [str(BIN / "shipline"), "smoke", "--base-url", url, "--checks", "checks.yml"]
    try:
        return pair("`shipline smoke` / urllib loop (20 checks)", lambda: sh([str(BIN / "python"), "-c", loop], work), lambda: sh(ours, work / "smoke"), repeat)
    finally:
        server.shutdown()
        server.server_close()


def bench_act(work: Path, repeat: int) -> tuple[str, str]:
    files = {"tests/test_calc.py": "def test_one():\n    assert 1 + 1 == 2\n", "shipline.yml": "version: 1\nproject: {name: calc, language: python}\n"}
    head = 'on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v5\n      - run: echo "$PYBIN" >> "$GITHUB_PATH"\n'
    plain = head + "      - run: python -m pytest -q --junitxml=j.xml\n"
    action = head + f"      - uses: {uses('test')}\n"
    env = {"PYBIN": str(BIN)}
    counter = iter(range(1000))

    def once(workflow: str) -> None:
        run = run_workflow(work / f"act{next(counter)}", workflow, files=files, env=env)
        if not run.ok:
            raise SystemExit(run.explain())

    return pair("act: a job using the test action / a job running pytest", lambda: once(plain), lambda: once(action), repeat)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-cold", action="store_true", help="skip the cold install (about two minutes)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shipline-bench-") as tmp:
        work = Path(tmp)
        rows = bench_setup(work, args.repeat, not args.skip_cold)
        rows += [bench_test(work, args.repeat), bench_build(work, args.repeat), bench_smoke(work, args.repeat), bench_act(work, args.repeat)]
    print(textwrap.dedent(f"""\
        Measured with `.venv/bin/python benchmarks/actions.py` (median of {args.repeat}).

        | what | figure |
        |---|---|"""))
    for what, figure in rows:
        print(f"| {what} | {figure} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
