"""mypy --strict on src/ (configured in pyproject.toml, with the pydantic plugin) reports no error.

The second test runs the same command, with the same configuration, on a module
with an untyped function and mistyped model calls: it must fail there, so a broken
configuration (strict off, the pydantic plugin gone or loosened) cannot pass the
first test unnoticed; the first also counts the files checked.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_ERROR = re.compile(r"^\S+\.py:\d+: error: ", re.MULTILINE)


def _mypy(*files: Path) -> subprocess.CompletedProcess[str]:
    """mypy with the project's configuration: on its ``files`` (src/shipline), or on ``files``."""
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(ROOT / ".mypy_cache"), *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_mypy_strict_reports_no_error_on_src():
    proc = _mypy()
    assert proc.returncode == 0, f"mypy --strict on src/ exited {proc.returncode}:\n{proc.stdout}{proc.stderr}"
    assert not _ERROR.search(proc.stdout), proc.stdout
    # every module of the package was checked, not an empty selection
    checked = re.search(r"no issues found in (\d+) source files", proc.stdout)
    assert checked, proc.stdout
    assert int(checked.group(1)) == len(list((ROOT / "src" / "shipline").rglob("*.py")))


@pytest.mark.slow
def test_the_same_check_fails_on_untyped_code_and_a_mistyped_model(tmp_path):
    bad = tmp_path / "untyped.py"
    bad.write_text(
        "from pydantic import BaseModel\n"
        "\n"
        "\n"
        "def double(x):\n"
        "    return x * 2\n"
        "\n"
        "\n"
        "class Slot(BaseModel):\n"
        "    port: int\n"
        "\n"
        "\n"
        "SLOT = Slot(port=8080, host='127.0.0.1')\n"
        "KEPT = Slot.model_construct(port='8080')\n"
    )
    proc = _mypy(bad)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # 1: errors found; 2: mypy itself failed
    assert "untyped.py:4: error: Function is missing a type annotation" in proc.stdout  # strict
    # the pydantic plugin: with init_forbid_extra off it lets any keyword through
    assert 'untyped.py:12: error: Unexpected keyword argument "host" for "Slot"' in proc.stdout
    # and without the plugin model_construct takes anything
    assert 'untyped.py:13: error: Argument "port" to "model_construct" of "Slot" has incompatible type "str"; expected "int"' in proc.stdout
