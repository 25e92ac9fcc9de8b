"""The pr-scan-gate example through `shipline act --event pull_request`: real act, git, semgrep, bandit.

A pull request that adds a shell injection passes build and test and fails at the
Security scan step, which names the rule and the line; the summary job still runs and
posts nothing without a token. The fix-up commit on the same branch passes. Two act
runs in all: keep it that way.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.test_act_localrun import git
from tests.test_act_pipelines import explain

EXAMPLE = Path(__file__).resolve().parents[1] / "pipelines" / "pr-scan-gate"
STAGES = ("build", "test", "scan", "pr-summary")
CALL = "    print(greeting(args.name, args.shout))\n"
INJECTION = '    subprocess.call("echo " + args.name, shell=True)\n'
FIXED = '    subprocess.call(["echo", args.name])\n'

pytestmark = [pytest.mark.act, pytest.mark.slow]


def pull_request(repo: Path, tmp_path: Path) -> tuple[int, dict]:
    """`shipline act --event pull_request` in ``repo``: its exit code and JSON report."""
    result = run_cli("act", "--event", "pull_request", "--format", "json", cwd=repo, env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert result.out.strip(), result.err
    return result.code, json.loads(result.out)


def results(report: dict) -> dict[str, str]:
    """Each stage's result; one act did not start is "not run"."""
    return {j["id"]: j["result"] for j in report["jobs"]} | {name: "not run" for name in report["not_run"]}


def commit_greet(repo: Path, line: str, message: str) -> int:
    """Commit greet.py calling ``line`` after the greeting is printed; return that line's number."""
    greet = repo / "greet.py"
    text = greet.read_text()
    if "import subprocess\n" not in text:
        text = text.replace("import argparse\n", "import argparse\nimport subprocess\n")
    lines = [t for t in text.splitlines(keepends=True) if "subprocess.call(" not in t]
    at = lines.index(CALL) + 1
    greet.write_text("".join(lines[:at] + [line] + lines[at:]))
    git(repo, "commit", "-qam", message)
    return at + 1


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The example on main, generated for the Python this machine has, and a branch off it."""
    repo = tmp_path / "pr-scan-gate"
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = repo / "shipline.yml"
    here = "%d.%d" % sys.version_info[:2]
    manifest.write_text(manifest.read_text().replace('runtime: "3.11"', f'runtime: "{here}"'))
    assert run_cli("generate", cwd=repo).code == 0
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "greeting")
    git(repo, "switch", "-qc", "echo-name")
    return repo


def test_a_new_shell_injection_fails_the_pull_request_at_the_scan_and_the_fix_passes(repo, tmp_path):
    base = git(repo, "rev-parse", "main")
    line = commit_greet(repo, INJECTION, "echo the name")
    code, report = pull_request(repo, tmp_path)
    assert (code, results(report)) == (1, {"build": "success", "test": "success", "scan": "failure", "pr-summary": "success"}), explain(report)
    scan = next(j for j in report["jobs"] if j["id"] == "scan")
    failed = [s for s in scan["steps"] if s["result"] == "failure"]
    assert [s["name"] for s in failed] == ["Security scan"], explain(report)
    output = failed[0]["output"]
    # diff-aware against the pull request's base, which shipline's payload took from git
    assert any(f"merge base with {base}" in out for out in output), output
    rows = [out.split() for out in output]
    assert ["high", "shipline.python.shell-injection", f"greet.py:{line}"] in [r[:3] for r in rows], output
    assert any("1 new finding(s) at or above high" in out for out in output), output

    commit_greet(repo, FIXED, "echo the name without a shell")
    code, report = pull_request(repo, tmp_path)
    assert (code, results(report)) == (0, dict.fromkeys(STAGES, "success")), explain(report)
