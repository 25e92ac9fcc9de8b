"""The version a build carries when none is given: the project's own, else git's."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

from shipline.errors import InputError


def _pyproject(cwd: Path) -> str | None:
    try:
        data = tomllib.loads((cwd / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    version = data.get("project", {}).get("version")
    return version if isinstance(version, str) else None


def _package_json(cwd: Path) -> str | None:
    try:
        data = json.loads((cwd / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = data.get("version") if isinstance(data, dict) else None
    return version if isinstance(version, str) else None


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
    readers = {"python": _pyproject, "node": _package_json}.get(language)
    version = (readers(cwd) if readers else None) or _git_describe(cwd)
    if not version:
        raise InputError("cannot tell the version: pass --version, set it in pyproject.toml or package.json, or build inside a git repository")
    return version
