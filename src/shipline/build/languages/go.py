"""Go: ``go build ./...`` (compiles every package; binaries come from build.command)."""

from __future__ import annotations

ARTIFACTS = ()


def commands(spec) -> list[list[str]]:
    """Compile every package of the module."""
    return [["go", "build", "./..."]]


def extra_artifacts(spec, env) -> list:
    """None beyond build.artifacts."""
    return []
