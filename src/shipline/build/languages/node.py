"""Node: ``npm ci`` then the package's build script, when it has one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from shipline.build.artifacts import Artifact

if TYPE_CHECKING:
    from shipline.build import Spec

ARTIFACTS: tuple[str, ...] = ()  # a build script's output varies: declare it with build.artifacts


def commands(spec: Spec) -> list[list[str]]:
    """Install exactly the lockfile, then ``npm run build --if-present``."""
    return [["npm", "ci"], ["npm", "run", "build", "--if-present"]]


def extra_artifacts(spec: Spec, env: Mapping[str, str]) -> list[Artifact]:
    """None beyond build.artifacts."""
    return []
