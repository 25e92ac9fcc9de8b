"""The real-project corpus (tests/corpus/NAME/): prepared as git repositories for init, generate and act.

Each folder holds ``repo/`` (trimmed copies of the project's own manifests and a small
self-written reproduction of its shape), ``SOURCE.md`` (where the shape comes from)
and ``expected.yml`` (what detection must find, and whether its pull-request pipeline
can pass on this machine, with the reason when not). A new project is a new folder.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

CORPUS = Path(__file__).resolve().parent / "corpus"
BRANCH = "import"


def names() -> list[str]:
    """Every corpus project, by folder name."""
    return sorted(p.parent.name for p in CORPUS.glob("*/expected.yml"))


def expected(name: str) -> dict[str, Any]:
    """The project's expected.yml."""
    return YAML(typ="safe").load((CORPUS / name / "expected.yml").read_text(encoding="utf-8"))


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo, check=True, capture_output=True)


def prepare(name: str, into: Path) -> Path:
    """A git repository of the project: an empty main, and a branch adding the whole project (the pull request)."""
    repo = into / name
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "start")
    _git(repo, "switch", "-qc", BRANCH)
    shutil.copytree(CORPUS / name / "repo", repo, dirs_exist_ok=True)
    return repo


def commit(repo: Path, message: str) -> None:
    """Commit everything in ``repo`` (the manifest and workflows init and generate wrote)."""
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", message)


def installed_matrix(repo: Path) -> list[str]:
    """``--matrix runtime=V`` arguments for the Python versions of the test matrices that this machine has."""
    text = (repo / "shipline.yml").read_text(encoding="utf-8")
    versions = sorted(set(re.findall(r'"(3\.\d+)"', text)))
    have = [v for v in versions if shutil.which(f"python{v}")]
    return [arg for v in have for arg in ("--matrix", f"runtime={v}")]
