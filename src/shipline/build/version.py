"""The version a build carries when none is given: the project's own, else git's."""

from __future__ import annotations

import subprocess
from pathlib import Path

from shipline.errors import InputError
from shipline.languages import ProjectFiles, get


def _git_describe(cwd: Path) -> str | None:
    try:
        proc = subprocess.run(["git", "describe", "--tags", "--always", "--dirty"], cwd=cwd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = proc.stdout.strip()
    return out.removeprefix("v") if proc.returncode == 0 and out else None


def resolve_version(explicit: str | None, cwd: Path, language: str) -> str:
    """``explicit``, else pyproject.toml's or package.json's version, else ``git describe``."""
    if explicit:
        return explicit
    version = get(language).version(ProjectFiles(cwd)) or _git_describe(cwd)
    if not version:
        raise InputError("cannot tell the version: pass --version, set it in pyproject.toml or package.json, or build inside a git repository")
    return version
