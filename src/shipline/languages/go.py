"""Go: go.mod's ``go`` and ``toolchain`` directives, ``go mod download``, ``go test ./...``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar

from shipline.languages.base import BuildContext, Declared, Detection, ProjectFiles, Purpose, RuntimeProbe, SetupAction


class Go:
    """Go modules."""

    name: ClassVar[str] = "go"
    priority: ClassVar[int] = 30
    markers: ClassVar[tuple[str, ...]] = ("go.mod",)
    default_runtime: ClassVar[str | None] = "1.22"
    setup: ClassVar[SetupAction | None] = SetupAction(
        "actions/setup-go",
        "go-version",
        "Set up Go",
        sha="b7ad1dad31e06c5925ef5d2fc7ad053ef454303e",
        release="v7.0.0",
        probe=RuntimeProbe(("go",), ("version",), minimum=True),
        other_inputs=("go-version-file",),
    )
    artifacts: ClassVar[tuple[str, ...]] = ()
    bandit: ClassVar[bool] = False

    def detect(self, files: ProjectFiles) -> Detection:
        """Module path and Go version."""
        text = files.text("go.mod") or ""
        module = re.search(r"^module\s+(\S+)", text, re.M)
        out = Detection(self.name, name=module[1] if module else None)
        toolchain = re.search(r"^toolchain\s+go(\d+\.\d+(?:\.\d+)?)", text, re.M)
        directive = re.search(r"^go\s+(\d+\.\d+(?:\.\d+)?)", text, re.M)
        if toolchain:
            out.runtimes = [Declared(toolchain[1], "go.mod toolchain")]
        elif directive:
            out.runtimes = [Declared(directive[1], "go.mod go directive")]
        else:
            out.runtimes = [Declared(self.default_runtime or "", "shipline's default (go.mod has no go directive)")]
        if files.glob("**/*_test.go"):
            out.tests = Declared("go test ./...", "*_test.go files")
        else:
            out.notes.append("no *_test.go files: go test ./... only compiles the packages")
            out.tests = Declared("go test ./...", "go's default")
        return out

    def install(self, files: ProjectFiles, purpose: Purpose) -> str | None:
        """The module's dependencies, verified against go.sum."""
        return "go mod download" if files.exists("go.sum") else None

    def setup_inputs(self, files: ProjectFiles, prefix: str) -> dict[str, str]:
        """setup-go caches the module cache keyed on go.sum by itself."""
        return {"cache-dependency-path": prefix + "go.sum"} if files.exists("go.sum") else {}

    def build_commands(self, ctx: BuildContext) -> list[list[str]]:
        """Compile every package of the module (binaries come from build.command)."""
        return [["go", "build", "./..."]]

    def built_references(self, ctx: BuildContext, env: Mapping[str, str]) -> list[tuple[str, str]]:
        """None: the build leaves files."""
        return []

    def test_command(self, files: ProjectFiles, python: str) -> list[str] | None:
        """Every package's tests."""
        return ["go", "test", "./..."]

    def version(self, files: ProjectFiles) -> str | None:
        """Go modules take their version from git tags."""
        return None


LANGUAGE = Go  # found by `shipline.languages`
