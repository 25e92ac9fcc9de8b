"""Go: ``go build ./...`` (compiles every package; binaries come from build.command)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from shipline.build.artifacts import Artifact

if TYPE_CHECKING:
    from shipline.build import Spec

ARTIFACTS: tuple[str, ...] = ()


def commands(spec: Spec) -> list[list[str]]:
    """Compile every package of the module."""
    return [["go", "build", "./..."]]


def extra_artifacts(spec: Spec, env: Mapping[str, str]) -> list[Artifact]:
    """None beyond build.artifacts."""
    return []
