"""Container: ``docker build`` tagged with the commit SHA and the version."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from typing import TYPE_CHECKING

from shipline.build.artifacts import Artifact

if TYPE_CHECKING:
    from shipline.build import Spec

ARTIFACTS: tuple[str, ...] = ()
# docker tags: letters, digits, '_', '.', '-'; at most 128 characters, not starting with '.' or '-'
_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def tag(value: str) -> str:
    """``value`` made into a valid docker tag (``1.2.0+abc`` -> ``1.2.0-abc``)."""
    return _TAG_UNSAFE.sub("-", value).lstrip(".-")[:128] or "latest"


def image_refs(spec: Spec) -> list[str]:
    """``IMAGE:SHA`` and ``IMAGE:VERSION``; the image is build.image or the project name."""
    image = spec.build.image or spec.project.name
    return list(dict.fromkeys(f"{image}:{tag(t)}" for t in (spec.sha, spec.version) if t))


def commands(spec: Spec) -> list[list[str]]:
    """One ``docker build`` with both tags and the version as a build argument."""
    argv = ["docker", "build"]
    for ref in image_refs(spec):
        argv += ["--tag", ref]
    argv += ["--build-arg", f"VERSION={spec.version}", "--label", f"org.opencontainers.image.revision={spec.sha}", "."]
    return [argv]


def extra_artifacts(spec: Spec, env: Mapping[str, str]) -> list[Artifact]:
    """The image references, with the image ID docker reports as their digest."""
    refs = image_refs(spec)
    proc = subprocess.run(["docker", "image", "inspect", "--format", "{{.Id}}", refs[0]], cwd=spec.cwd, env=dict(env), capture_output=True, text=True)
    image_id = proc.stdout.strip().removeprefix("sha256:") if proc.returncode == 0 else ""
    return [Artifact(ref, image_id) for ref in refs]
