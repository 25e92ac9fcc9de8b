"""What every command receives: the reporter, the environment and the working directory.

Environment variables and action inputs are read here, at the entry point, and passed
inward as typed values.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from shipline.report import Reporter

if TYPE_CHECKING:
    from shipline.manifest import Manifest


@dataclass
class Context:
    """The world as a command sees it."""

    reporter: Reporter
    environ: Mapping[str, str]
    cwd: Path
    cleanup: ExitStack = field(default_factory=ExitStack)  # closed when the command ends, however it ends

    def path(self, value: str | Path) -> Path:
        """``value`` relative to the working directory."""
        p = Path(value)
        return p if p.is_absolute() else self.cwd / p

    def display(self, path: Path) -> str:
        """``path`` as the user would write it: relative to the working directory when inside it."""
        try:
            return str(path.relative_to(self.cwd))
        except ValueError:
            return str(path)

    def load_manifest(self, manifest: str) -> Manifest:
        """Load and validate the manifest named on the command line."""
        from shipline import manifest as schema

        path = self.path(manifest)
        return schema.load(path, self.display(path))
