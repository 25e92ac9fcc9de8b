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
from shipline.scan.model import Finding, Note


MAX_BYTES = 1_000_000  # semgrep's default size limit, passed to it explicitly


def inside(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or under it (both relative to the scan root, in POSIX form)."""
    return path == folder or path.startswith(folder + "/")


@dataclass(frozen=True)
class Settings:
    """What the manifest (or the command line) says about the scan."""

    semgrep: bool = True
    bandit: bool = True
    rules: tuple[str, ...] = ()  # extra semgrep configs: absolute paths or registry names
    exclude: tuple[str, ...] = ()
    # folders with rules and exclude of their own (a repository scan's services), longest first
    folders: tuple[tuple[str, Settings], ...] = ()

    def at(self, path: str) -> Settings:
        """The settings that hold for ``path``: its folder's own, else these."""
        return next((own for folder, own in self.folders if inside(path, folder)), self)


@dataclass
class Output:
    """What one scanner found, and the files it could not read (syntax errors: not fatal)."""

    findings: list[Finding] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


class Scanner(Protocol):
    """A tool that scans files under a root and returns findings with paths relative to it."""

    name: str

    def enabled(self, settings: Settings) -> bool:
        """Whether the settings turn this scanner on."""

    def scan(self, root: Path, files: Sequence[str], large: Sequence[str], settings: Settings) -> Output:
        """Scan ``files`` (relative to ``root``, chosen by `targets.select`); ``large`` are
        over `MAX_BYTES`: scan them too if the tool can, else leave them (a note says so)."""


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
            # semgrep quotes a file's raw bytes in its messages: never fail on them
            encoding="utf-8",
            errors="replace",
            check=False,
        )
    except OSError as err:
        raise ToolError(tool, f"could not start: {err.strerror}") from None


def last_lines(text: str, n: int = 5) -> str:
    """The tail of a tool's stderr, for an error message that says what it said."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-n:]) or "(no output)"
