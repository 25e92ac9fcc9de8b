"""The one Protocol every scanner implements, and running a scanner's process."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from shipline.errors import ToolError
from shipline.scan.model import Finding


@dataclass(frozen=True)
class Settings:
    """What the manifest (or the command line) says about the scan."""

    semgrep: bool = True
    bandit: bool = True
    rules: tuple[str, ...] = ()  # extra semgrep configs: absolute paths or registry names
    exclude: tuple[str, ...] = ()


@dataclass
class Output:
    """What one scanner found, what it could not read (syntax errors: not fatal), and
    the files it chose to scan when it chooses them itself (None when it does not say)."""

    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    scanned: list[str] | None = None


class Scanner(Protocol):
    """A tool that scans files under a root and returns findings with paths relative to it."""

    name: str
    chooses_files: bool  # applies .gitignore and ignore files itself, and says what it scanned

    def enabled(self, settings: Settings) -> bool:
        """Whether the settings turn this scanner on."""

    def scan(self, root: Path, targets: Sequence[str], settings: Settings) -> Output:
        """Scan ``targets`` (files or directories relative to ``root``)."""


def executable(name: str) -> str:
    """The tool's executable: on PATH, or next to this Python (a venv not on PATH)."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if not found:
        raise ToolError(name, "not installed; it comes with shipline's scan extra: pip install 'shipline[scan]'")
    return found


def run(tool: str, argv: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a scanner to completion, capturing its output; a missing binary is a `ToolError`."""
    try:
        return subprocess.run(
            [executable(tool), *argv],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as err:
        raise ToolError(tool, f"could not start: {err.strerror}") from None


def last_lines(text: str, n: int = 5) -> str:
    """The tail of a tool's stderr, for an error message that says what it said."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-n:]) or "(no output)"
