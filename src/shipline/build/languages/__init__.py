"""One module per language, each exposing ``ARTIFACTS`` (default globs),
``commands(spec)`` (argv lists) and ``extra_artifacts(spec, env)``; one typed registry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from shipline.build.artifacts import Artifact
from shipline.build.languages import container, go, node, python

if TYPE_CHECKING:
    from shipline.build import Spec


class Language(Protocol):
    """What a language module provides (mypy checks each module against it)."""

    ARTIFACTS: tuple[str, ...]

    def commands(self, spec: Spec) -> list[list[str]]:
        """The build commands, as argv lists run in ``spec.cwd``."""

    def extra_artifacts(self, spec: Spec, env: Mapping[str, str]) -> list[Artifact]:
        """Artifacts that are not files matched by the globs (container images)."""


LANGUAGES: dict[str, Language] = {"python": python, "node": node, "go": go, "container": container}
