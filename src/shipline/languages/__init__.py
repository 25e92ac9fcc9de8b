"""Every language shipline knows, one module each, behind the `Language` Protocol.

Adding a language is one module here (a class with the Protocol's names) plus its
entry in `LANGUAGES`; detection, the manifest's allowed languages and default
runtimes, install, build and test defaults and the setup step all read it from here.
Order matters for detection: the first language whose markers a folder holds wins,
so Python code with a Dockerfile is a Python service.
"""

from __future__ import annotations

from shipline.languages.base import BuildContext, Declared, Detection, Language, ProjectFiles, SetupAction, has_marker
from shipline.languages.container import Container
from shipline.languages.go import Go
from shipline.languages.node import Node
from shipline.languages.python import Python

__all__ = ["LANGUAGES", "BuildContext", "Declared", "Detection", "Language", "ProjectFiles", "SetupAction", "get", "has_marker"]

LANGUAGES: dict[str, type[Language]] = {"python": Python, "node": Node, "go": Go, "container": Container}


def get(name: str) -> Language:
    """The plugin for ``name`` (a manifest's ``language``)."""
    return LANGUAGES[name]()
