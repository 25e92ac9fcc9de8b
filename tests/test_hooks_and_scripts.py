"""The pre-commit hooks the kit publishes, and the scripts' output in a log."""

from __future__ import annotations

import os
import pty
import re
import shlex
import subprocess
from pathlib import Path

from ruamel.yaml import YAML

from tests.helpers import build_file_tree, run_cli

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = "version: 1\nproject: {name: shop, language: python}\n"


def _hooks() -> dict[str, dict]:
    hooks = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())
    return {h["id"]: h for h in hooks}


def test_pre_commit_hooks_run_check_and_generate_check_on_the_manifest_and_workflows():
    hooks = _hooks()
    assert sorted(hooks) == ["shipline-check", "shipline-generate-check"]
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        pattern = re.compile(hook["files"])
        assert pattern.search("shipline.yml") and pattern.search("services/api/shipline.yml")
        assert pattern.search(".github/workflows/shipline-pipeline.yml")
        assert not pattern.search("src/app.py") and not pattern.search(".github/workflows/other.yml")
    assert hooks["shipline-check"]["entry"] == "shipline check"
    assert hooks["shipline-generate-check"]["entry"] == "shipline generate --check"


def test_the_generate_check_hook_fails_on_drift_and_passes_once_regenerated(tmp_path):
    argv = shlex.split(_hooks()["shipline-generate-check"]["entry"])[1:]
    build_file_tree(tmp_path, {"shipline.yml": MANIFEST})
    assert run_cli(*argv, cwd=tmp_path).code == 1  # nothing generated yet: drift
    assert run_cli("generate", cwd=tmp_path).code == 0
    assert run_cli(*argv, cwd=tmp_path).code == 0


def _say(*, tty: bool, env: dict[str, str] | None = None) -> bytes:
    script = f"source {ROOT}/scripts/lib/output.sh; say 'shipline generate'"
    environ = {"PATH": os.environ["PATH"], **(env or {})}
    if not tty:
        return subprocess.run(["bash", "-c", script], env=environ, capture_output=True, check=True).stdout
    pid, fd = pty.fork()
    if pid == 0:  # the child: bash with the pty as its terminal
        os.execve("/bin/bash", ["bash", "-c", script], environ)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    return out


def test_the_demo_prints_no_escape_codes_into_a_log_or_pipe():
    assert _say(tty=False) == b"\n== shipline generate\n"
    assert b"\x1b[1m" in _say(tty=True)
    assert b"\x1b" not in _say(tty=True, env={"NO_COLOR": "1"})
    assert "source scripts/lib/output.sh" in (ROOT / "scripts" / "demo").read_text()
    assert "\\033" not in (ROOT / "scripts" / "demo").read_text()
