"""A monorepo, ``shop``: services api (``services/api``) and worker (``services/worker``), as the `shop` fixture.

The repository scan and the security gate through act both start from it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import build_file_tree

# user input into a shell: semgrep and bandit each report it (high)
VULNERABLE_SCRIPT = """\
import subprocess
import sys


def main():
    subprocess.call("tar czf backup.tgz " + sys.argv[1], shell=True)
"""
SERVICE_FILES = {
    "services/api/app.py": "def handler():\n    return 'ok'\n",
    "services/worker/worker.py": "def run():\n    return 1\n",
}


def shop_manifest(api: Mapping[str, Any] | None = None, worker: Mapping[str, Any] | None = None) -> str:
    """The shop's shipline.yml; ``api`` and ``worker``: more of each service's settings."""
    services = [{"name": "api", "path": "services/api", **(api or {})}, {"name": "worker", "path": "services/worker", **(worker or {})}]
    return yaml.safe_dump({"version": 1, "project": {"name": "shop", "language": "python"}, "services": services}, sort_keys=False)


@pytest.fixture
def shop(tmp_path: Path) -> Callable[..., Path]:
    """Builds ``tmp_path/shop``, a git repository on branch main with nothing committed: the manifest, both services' code, then ``files``."""

    def build(files: Mapping[str, str] | None = None, api: Mapping[str, Any] | None = None, worker: Mapping[str, Any] | None = None) -> Path:
        root = build_file_tree(tmp_path / "shop", {"shipline.yml": shop_manifest(api, worker), **SERVICE_FILES, **(files or {})})
        subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
        return root

    return build
