"""Python: an sdist and a wheel with ``python -m build``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from shipline.build.artifacts import Artifact

if TYPE_CHECKING:
    from shipline.build import Spec

ARTIFACTS: tuple[str, ...] = ("dist/*.whl", "dist/*.tar.gz")


def commands(spec: Spec) -> list[list[str]]:
    """``python -m build`` into dist/ with the project's Python."""
    return [[spec.python, "-m", "build", "--outdir", "dist", "."]]


def extra_artifacts(spec: Spec, env: Mapping[str, str]) -> list[Artifact]:
    """None: the files in dist/ are the artifacts."""
    return []
