"""The kit's actions travel inside the package, so an installed shipline can run them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from shipline import __version__
from shipline.localrun.actionmap import kit_source_dir

ROOT = Path(__file__).resolve().parents[1]


def test_every_action_is_shipped_as_data_files():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    shipped = config["tool"]["setuptools"]["data-files"]
    actions = sorted(p.parent.name for p in (ROOT / "actions").glob("*/action.yml"))
    assert sorted(shipped) == [f"share/shipline/actions/{a}" for a in actions]
    for name in actions:
        assert shipped[f"share/shipline/actions/{name}"] == [f"actions/{name}/*"]


def test_kit_is_found_in_a_checkout_then_in_an_installed_prefix(tmp_path):
    assert kit_source_dir() == ROOT
    installed = tmp_path / "prefix" / "share" / "shipline"
    shutil.copytree(ROOT / "actions", installed / "actions")
    assert kit_source_dir(str(tmp_path / "prefix"), checkout=tmp_path / "nothing") == installed
    assert kit_source_dir(str(tmp_path / "empty"), checkout=tmp_path / "nothing") is None


def test_setup_uses_the_installed_shipline_when_the_kit_has_no_pyproject(tmp_path):
    installed = tmp_path / "share" / "shipline"
    shutil.copytree(ROOT / "actions", installed / "actions")
    github_path, github_output = tmp_path / "path", tmp_path / "output"
    env = {
        "PATH": os.environ["PATH"],
        "RUNNER_TEMP": str(tmp_path / "runner"),
        "SHIPLINE_VENV": sys.prefix,
        "GITHUB_PATH": str(github_path),
        "GITHUB_OUTPUT": str(github_output),
    }
    (tmp_path / "runner").mkdir()
    proc = subprocess.run(["bash", str(installed / "actions/setup/setup.sh")], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"version={__version__}" in github_output.read_text()
    bin_dir = Path(github_path.read_text().strip())
    assert (bin_dir / "shipline").exists()
