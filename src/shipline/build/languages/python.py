"""Python: an sdist and a wheel with ``python -m build``."""

from __future__ import annotations

import shutil

ARTIFACTS = ("dist/*.whl", "dist/*.tar.gz")


def commands(spec) -> list[list[str]]:
    """``python -m build`` into dist/ (the project's Python, found on PATH)."""
    python = "python" if shutil.which("python") else "python3"
    return [[python, "-m", "build", "--outdir", "dist", "."]]


def extra_artifacts(spec, env) -> list:
    """None: the files in dist/ are the artifacts."""
    return []
