"""The project's own interpreter, as the job's PATH gives it (never the one running shipline)."""

from __future__ import annotations

import shutil
from collections.abc import Mapping


def project_python(environ: Mapping[str, str]) -> str:
    """``python`` when the PATH has it (setup-python, GitHub's runners), else ``python3``."""
    return "python" if shutil.which("python", path=environ.get("PATH")) else "python3"
