"""Python: an sdist and a wheel with ``python -m build``."""

from __future__ import annotations

ARTIFACTS = ("dist/*.whl", "dist/*.tar.gz")


def commands(spec) -> list[list[str]]:
    """``python -m build`` into dist/ with the project's Python."""
    return [[spec.python, "-m", "build", "--outdir", "dist", "."]]


def extra_artifacts(spec, env) -> list:
    """None: the files in dist/ are the artifacts."""
    return []
