"""actions/setup's script, run as the runner runs it: PATH and output files, the once-per-job marker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SETUP = Path(__file__).resolve().parents[1] / "actions" / "setup" / "setup.sh"


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    files = {"RUNNER_TEMP": str(tmp_path), "GITHUB_PATH": str(tmp_path / "path.txt"), "GITHUB_OUTPUT": str(tmp_path / "output.txt")}
    return subprocess.run(["bash", str(SETUP)], env={"PATH": os.environ["PATH"], **files, **env}, capture_output=True, text=True, timeout=120)


def test_setup_puts_only_shipline_tools_on_path_once(tmp_path):
    venv = str(Path(sys.prefix))
    first = _run(tmp_path, SHIPLINE_VENV=venv)
    assert first.returncode == 0, first.stderr
    assert "shipline 0.1.0 ready" in first.stdout
    (bin_dir,) = (tmp_path / "path.txt").read_text().splitlines()
    tools = {p.name for p in Path(bin_dir).iterdir()}
    assert "shipline" in tools
    assert "python" not in tools and "pip" not in tools  # the project's python must not be shadowed
    assert (tmp_path / "output.txt").read_text() == "version=0.1.0\n"
    version = subprocess.run([str(Path(bin_dir) / "shipline"), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == "shipline 0.1.0"

    # a second call in the same job takes the marker's word: no install, same PATH entry
    second = _run(tmp_path, SHIPLINE_PYTHON="/nonexistent/python")
    assert second.returncode == 0, second.stderr
    assert second.stdout == ""
    assert (tmp_path / "path.txt").read_text().splitlines() == [bin_dir, bin_dir]


def test_setup_rejects_a_venv_without_shipline(tmp_path):
    res = _run(tmp_path, SHIPLINE_VENV=str(tmp_path))
    assert res.returncode == 1
    assert f"::error title=shipline setup::SHIPLINE_VENV={tmp_path} has no bin/shipline" in res.stdout
