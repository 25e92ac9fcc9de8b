"""Node: ``npm ci`` then the package's build script, when it has one."""

from __future__ import annotations

ARTIFACTS = ()  # a build script's output varies: declare it with build.artifacts


def commands(spec) -> list[list[str]]:
    """Install exactly the lockfile, then ``npm run build --if-present``."""
    return [["npm", "ci"], ["npm", "run", "build", "--if-present"]]


def extra_artifacts(spec, env) -> list:
    """None beyond build.artifacts."""
    return []
