"""Container images: a Dockerfile and nothing else shipline knows how to build or test."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from typing import ClassVar

from shipline.languages.base import BuildContext, Detection, ProjectFiles, Purpose, SetupAction

# docker tags: letters, digits, '_', '.', '-'; at most 128 characters, not starting with '.' or '-'
_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def tag(value: str) -> str:
    """``value`` made into a valid docker tag (``1.2.0+abc`` -> ``1.2.0-abc``)."""
    return _TAG_UNSAFE.sub("-", value).lstrip(".-")[:128] or "latest"


def image_refs(ctx: BuildContext) -> list[str]:
    """``IMAGE:SHA`` and ``IMAGE:VERSION``."""
    return list(dict.fromkeys(f"{ctx.image}:{tag(t)}" for t in (ctx.sha, ctx.version) if t))


class Container:
    """A Dockerfile: ``docker build``; tests only from test.command."""

    name: ClassVar[str] = "container"
    priority: ClassVar[int] = 90
    markers: ClassVar[tuple[str, ...]] = ("Dockerfile",)
    default_runtime: ClassVar[str | None] = None
    setup: ClassVar[SetupAction | None] = None
    artifacts: ClassVar[tuple[str, ...]] = ()
    bandit: ClassVar[bool] = False

    def detect(self, files: ProjectFiles) -> Detection:
        """A container has no runtime to set up and no default tests."""
        return Detection(self.name, notes=["a container image has no default tests: set test.command to run some"])

    def install(self, files: ProjectFiles, purpose: Purpose) -> str | None:
        """The Dockerfile installs what the image needs."""
        return None

    def setup_inputs(self, files: ProjectFiles, prefix: str) -> dict[str, str]:
        """No setup action."""
        return {}

    def build_commands(self, ctx: BuildContext) -> list[list[str]]:
        """One ``docker build`` with both tags and the version as a build argument."""
        argv = ["docker", "build"]
        for ref in image_refs(ctx):
            argv += ["--tag", ref]
        argv += ["--build-arg", f"VERSION={ctx.version}", "--label", f"org.opencontainers.image.revision={ctx.sha}", "."]
        return [argv]

    def built_references(self, ctx: BuildContext, env: Mapping[str, str]) -> list[tuple[str, str]]:
        """The image references, with the image ID docker reports as their digest."""
        refs = image_refs(ctx)
        proc = subprocess.run(["docker", "image", "inspect", "--format", "{{.Id}}", refs[0]], cwd=ctx.files.folder, env=dict(env), capture_output=True, text=True)
        image_id = proc.stdout.strip().removeprefix("sha256:") if proc.returncode == 0 else ""
        return [(ref, image_id) for ref in refs]

    def test_command(self, files: ProjectFiles, python: str) -> list[str] | None:
        """None: only test.command tests an image."""
        return None

    def version(self, files: ProjectFiles) -> str | None:
        """Images take their version from git."""
        return None


LANGUAGE = Container  # found by `shipline.languages`
