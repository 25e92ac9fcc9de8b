"""Build a project: the language's default commands or the manifest's, then hash the artifacts.

`Spec` says what to build; `run(spec, ...)` runs the commands and returns a `Result`
with the artifacts (paths relative to the project), their sha256 digests and the
version. The default commands come from the project's `shipline.languages` plugin;
`resolve_version()` finds the version when none is given.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from shipline.build.artifacts import Artifact, find, sha256_file
from shipline.build.version import resolve_version
from shipline.errors import InputError
from shipline.languages import BuildContext, ProjectFiles, get
from shipline.manifest import Build, Project

__all__ = ["Artifact", "BuildFailed", "Result", "Spec", "resolve_version", "run"]


@dataclass(frozen=True)
class Spec:
    """What to build, where, as which version and commit."""

    project: Project
    build: Build
    cwd: Path
    version: str
    sha: str
    python: str = "python"  # the project's interpreter (python builds)


@dataclass
class Result:
    """What a build produced."""

    version: str
    commands: list[str]
    seconds: float
    artifacts: list[Artifact] = field(default_factory=list)


class BuildFailed(Exception):
    """A build command exited non-zero."""

    def __init__(self, command: str, returncode: int):
        self.command, self.returncode = command, returncode
        super().__init__(f"`{command}` exited with code {returncode}")


def _run_step(argv: list[str], spec: Spec, env: Mapping[str, str], stdout: int | IO[str] | None) -> str:
    """Run one build command; a failing one is the user's build breaking (exit 1 upstream)."""
    shown = argv[-1] if argv[:2] == ["bash", "-c"] else " ".join(argv)
    try:
        proc = subprocess.run(argv, cwd=spec.cwd, env=dict(env), stdout=stdout, stderr=subprocess.STDOUT if stdout else None)
    except FileNotFoundError:
        raise InputError(f"cannot build: {argv[0]} is not installed or not on PATH (needed by `{shown}`)") from None
    if proc.returncode != 0:
        raise BuildFailed(shown, proc.returncode)
    return shown


def run(spec: Spec, *, env: Mapping[str, str], stdout: int | IO[str] | None = None) -> Result:
    """Run the build and collect its artifacts; `BuildFailed` when a command fails."""
    language = get(spec.project.language)
    context = BuildContext(ProjectFiles(spec.cwd), spec.version, spec.sha, spec.build.image or spec.project.name, spec.python)
    env = {**env, "VERSION": spec.version, "COMMIT_SHA": spec.sha}
    if spec.build.command:
        commands = [["bash", "-c", spec.build.command]]
    else:
        commands = language.build_commands(context)
    started = time.time()
    shown = [_run_step(argv, spec, env, stdout) for argv in commands]
    result = Result(spec.version, shown, time.time() - started)
    if spec.build.artifacts:
        paths = find(spec.cwd, spec.build.artifacts, None)
    elif spec.build.command:
        paths = []
    else:
        paths = find(spec.cwd, list(language.artifacts), started)
    result.artifacts = [Artifact(p.relative_to(spec.cwd).as_posix(), sha256_file(p), p.stat().st_size) for p in paths]
    if not spec.build.command:
        result.artifacts += [Artifact(ref, digest) for ref, digest in language.built_references(context, env)]
    return result
