"""The installed entry point and ``python -m shipline``, as real processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_console_script_and_module_both_run_generate_check():
    shipline = Path(sys.executable).parent / "shipline"
    folder = ROOT / "pipelines" / "python-service"
    help_ = subprocess.run([str(shipline), "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert help_.returncode == 0 and "generate" in help_.stdout
    check = subprocess.run([sys.executable, "-m", "shipline", "generate", "--check"], cwd=folder, capture_output=True, text=True, timeout=60, check=False)
    assert check.returncode == 0, check.stderr
    assert "generated files match shipline.yml" in check.stdout
    bad = subprocess.run([str(shipline), "generate", "-m", "missing.yml"], cwd=folder, capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2 and bad.stderr.startswith("shipline: error: ") and "Traceback" not in bad.stderr
