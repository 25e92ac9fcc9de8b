"""Every language shipline knows, one module each, behind the `Language` Protocol.

Adding a language is one module: a class with the Protocol's names and, at module
level, ``LANGUAGE = ThatClass``. A module in this package is found by itself; one in
another distribution is found through its ``shipline.languages`` entry point
(``name = "package.module"``). Detection, the manifest's allowed languages and default
runtimes, install, build and test defaults, the setup step and its pin
(`generate.pins`), the act stand-in for it (`localrun`) and scan defaults all read
it from here. Detection tries languages by ``priority``, lowest first, so Python code
with a Dockerfile is a Python service.
"""

from __future__ import annotations

import importlib
import pkgutil
from importlib.metadata import entry_points
from types import ModuleType

from shipline.languages.base import BuildContext, Declared, Detection, Language, ProjectFiles, RuntimeProbe, SetupAction, has_marker

__all__ = ["LANGUAGES", "BuildContext", "Declared", "Detection", "Language", "ProjectFiles", "RuntimeProbe", "SetupAction", "discover", "get", "has_marker", "setup_actions"]

ENTRY_POINTS = "shipline.languages"
_NOT_LANGUAGES = {"base", "versions"}


def _modules() -> list[ModuleType]:
    """This package's language modules, then those other distributions declare."""
    found = [importlib.import_module(f"{__name__}.{m.name}") for m in pkgutil.iter_modules(__path__) if m.name not in _NOT_LANGUAGES]
    found += [importlib.import_module(ep.value) for ep in entry_points(group=ENTRY_POINTS)]
    return found


def discover() -> dict[str, type[Language]]:
    """Every language module's ``LANGUAGE``, by name, in detection order."""
    languages: list[type[Language]] = [m.LANGUAGE for m in _modules() if hasattr(m, "LANGUAGE")]
    return {lang.name: lang for lang in sorted(languages, key=lambda lang: (lang.priority, lang.name))}


LANGUAGES: dict[str, type[Language]] = discover()


def get(name: str) -> Language:
    """The plugin for ``name`` (a manifest's ``language``)."""
    return LANGUAGES[name]()


def setup_actions() -> dict[str, tuple[type[Language], SetupAction]]:
    """Each language's setup action by ``owner/repo``: what pins and act stand-ins are made from."""
    return {lang.setup.action: (lang, lang.setup) for lang in LANGUAGES.values() if lang.setup is not None}
