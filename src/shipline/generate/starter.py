"""`shipline init`'s half: detect the projects in a directory, write a starter manifest.

A project is a folder holding one of a language plugin's markers (`shipline.languages`;
the first language that matches wins: Python code with a Dockerfile is a Python
service). One project gives a single-service manifest; several independent ones give a
monorepo with one service per folder. Folders of examples, docs, fixtures and tests
inside a project belong to it. Every detected value is written with a comment naming
the file it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from shipline.languages import LANGUAGES, Declared, Detection, ProjectFiles, get, has_marker
from shipline.manifest import SCHEMA_URL

MARKERS = tuple((name, plugin.markers) for name, plugin in LANGUAGES.items())
_SKIP = {"node_modules", "vendor", "venv", "dist", "build", "target", "__pycache__", "site-packages"}
# nested projects in these folders are part of the project around them, never services
_PART_OF_PARENT = re.compile(r"^(examples?|samples?|demos?|docs?|fixtures?|test.*|benchmarks?|e2e)$", re.I)
MAX_DEPTH = 2  # the root, services/, services/api/


@dataclass(frozen=True)
class Project:
    """A detected project: its folder (relative, POSIX), language, name and what it declares."""

    path: str
    language: str
    name: str
    detection: Detection

    @property
    def runtime(self) -> str | None:
        """The version the build runs on: the oldest the project allows (what it must keep working on)."""
        return self.detection.runtimes[0].value if self.detection.runtimes else None


def _name(raw: str) -> str:
    """A manifest name (lower-case letters, digits, '.', '_', '-') from anything."""
    s = re.sub(r"[^a-z0-9._-]+", "-", raw.lower().rsplit("/", 1)[-1]).strip("-._")
    return (s or "app")[:63]


def detect_one(root: Path, folder: Path) -> Project | None:
    """The project in ``folder`` (not its subfolders), or None."""
    files = ProjectFiles(folder)
    for language, plugin in LANGUAGES.items():
        if has_marker(plugin, files):
            detection = get(language).detect(files)
            rel = folder.relative_to(root).as_posix()
            name = _name(detection.name or (folder.name if rel != "." else root.resolve().name))
            return Project(path=rel, language=language, name=name, detection=detection)
    return None


def detect(root: Path) -> list[Project]:
    """Every project under ``root`` to ``MAX_DEPTH``; a workspace root with sub-projects is left out."""
    found: list[Project] = []

    def walk(folder: Path, depth: int) -> None:
        project = detect_one(root, folder)
        if project:
            found.append(project)
        if depth == MAX_DEPTH:
            return
        for child in sorted(p for p in folder.iterdir() if p.is_dir()):
            if child.name.startswith(".") or child.name in _SKIP or _PART_OF_PARENT.match(child.name):
                continue
            walk(child, depth + 1)

    walk(root, 0)
    subprojects = [p for p in found if p.path != "."]
    # a sub-project inside another one (tests/fixtures/...) belongs to its parent
    nested = {p.path for p in subprojects for q in subprojects if q is not p and p.path.startswith(q.path + "/")}
    subprojects = [p for p in subprojects if p.path not in nested]
    if subprojects and len(subprojects) > 1:
        return _unique(subprojects)
    root_project = next((p for p in found if p.path == "."), None)
    return [root_project] if root_project else subprojects


def _unique(projects: list[Project]) -> list[Project]:
    """Service names must differ: the folder name decides, numbered when repeated."""
    out, seen = [], set()
    for p in projects:
        name = _name(Path(p.path).name)
        n, candidate = 2, name
        while candidate in seen:
            candidate, n = f"{name}-{n}", n + 1
        seen.add(candidate)
        out.append(Project(p.path, p.language, candidate, p.detection))
    return out


_HEAD = f"""\
# yaml-language-server: $schema={SCHEMA_URL}
# shipline.yml: one manifest, the whole pipeline. After every change run
#   shipline generate   (writes .github/workflows/shipline-*.yml)
#   shipline check      (drift, actionlint and zizmor)
version: 1

kit:
  repository: shipline/shipline
  # A release tag follows the kit's fixes; a full commit SHA pins one exact release.
  ref: v1
"""

_COMMON = """
security:
  # fail on new findings at or over this severity: critical, high, medium, low, none
  fail_on: high

smoke:
  # after every deploy; each check must answer before its deadline
  checks:
    - path: /healthz

# Where the pipeline deploys, in order, on pushes to the default branch. Uncomment and
# fill in to add blue-green or canary deploys with automatic rollback:
#
# environments:
#   - name: staging
#     url: https://staging.example.com
#     allow_load_test: true          # the load test runs here after the deploy
#     # a haproxy or nginx router, or slots, on your server: the deploy, rollback and smoke
#     # jobs must run there, on a self-hosted runner with these labels
#     runs_on: [self-hosted, staging]
#     deploy:
#       strategy: blue-green
#       router:
#         type: command              # or haproxy, nginx
#         switch: ./deploy/switch.sh "$COLOR"
#       slots:
#         blue: {port: 8001}
#         green: {port: 8002}
#   - name: production
#     url: https://example.com
#     approval: true                 # waits for the "production" GitHub environment's reviewers
#     deploy:
#       strategy: canary             # 5%, 25%, 50%, 100%, analysed after each step
#       router:
#         type: command
#         switch: ./deploy/switch.sh "$COLOR"
#         set_weights: ./deploy/weights.sh "$COLOR" "$WEIGHT"
#       slots:
#         blue: {port: 8001}
#         green: {port: 8002}
"""


def _quoted(values: list[Declared]) -> str:
    return "[" + ", ".join(f'"{v.value}"' for v in values) + "]"


def _sources(values: list[Declared]) -> str:
    return "; ".join(dict.fromkeys(v.source for v in values))


def _runtime_line(p: Project, indent: str) -> str:
    runtimes = p.detection.runtimes
    if not p.runtime:
        return ""
    why = "the oldest of the test matrix" if len(runtimes) > 1 else runtimes[0].source
    return f'{indent}runtime: "{p.runtime}"  # {why}\n'


def _test_section(p: Project, indent: str) -> str:
    """``test:`` with the matrix and how the tests run, or ``enabled: false`` with the reason."""
    d = p.detection
    if d.tests is None:
        reason = next((n for n in d.notes if "test" in n), "no tests found")
        return f"{indent}test:\n{indent}  enabled: false  # {reason}\n"
    text = f"{indent}test:\n{indent}  # runs {d.tests.value} ({d.tests.source})\n"
    if d.runtimes:
        text += f"{indent}  # runtime versions the tests run on: {_sources(d.runtimes)}\n{indent}  matrix: {_quoted(d.runtimes)}\n"
    else:
        text += f"{indent}  enabled: true\n"
    return text


def _install_comment(p: Project, indent: str) -> str:
    """What the jobs will install, where that came from, and how to change it."""
    manager = p.detection.package_manager
    if manager is None:
        return ""
    return (
        f"{indent}# dependencies: {manager.value} ({manager.source}); `shipline generate` writes the install\n"
        f"{indent}# step of the build and test jobs from the project's files. To replace it:\n"
        f"{indent}# install:\n{indent}#   build: ...\n{indent}#   test: ...\n"
    )


def _notes(p: Project, indent: str, root: Path) -> str:
    text = "".join(f"{indent}# note: {n}\n" for n in p.detection.notes if "test" not in n or p.detection.tests is not None)
    if p.language != "container" and (root / p.path / "Dockerfile").is_file():
        # the Dockerfile packages this service: the language's jobs test it, docker ships it
        text += (
            f"{indent}# note: a Dockerfile is beside the code; to build the image instead of the {p.language} default:\n"
            f"{indent}# build:\n{indent}#   command: docker build --tag {p.name}:\"$VERSION\" .\n"
        )
    return text


def _languages() -> str:
    """Every language the registry holds, plugins included: "python, node, go or container"."""
    *most, last = LANGUAGES
    return f"{', '.join(most)} or {last}" if most else last


def starter(projects: list[Project], root_name: str, root: Path = Path(".")) -> str:
    """The text of a commented starter manifest for the detected projects under ``root``."""
    if len(projects) == 1:
        p = projects[0]
        text = f"\nproject:\n  name: {p.name}\n  language: {p.language}  # {_languages()}\n"
        text += _runtime_line(p, "  ")
        if p.path != ".":
            text += f"  working_directory: {p.path}\n"
        text += _install_comment(p, "") + _notes(p, "", root) + "\n" + _test_section(p, "")
        return _HEAD + text + _COMMON
    first = projects[0]
    text = f"\n# Defaults every service inherits unless it says otherwise.\nproject:\n  name: {_name(root_name)}\n  language: {first.language}\n"
    text += "\n# One entry per service: its jobs run only when its folder or this file changed.\nservices:\n"
    for p in projects:
        text += f"  - name: {p.name}\n    path: {p.path}\n    project:\n      language: {p.language}\n"
        text += _runtime_line(p, "      ")
        text += _install_comment(p, "    ") + _notes(p, "    ", root) + _test_section(p, "    ")
    return _HEAD + text + _COMMON


def summary(p: Project) -> dict[str, object]:
    """What was detected in ``p``, as plain data for `shipline init --format json`."""
    d = p.detection
    return {
        "path": p.path,
        "language": p.language,
        "name": p.name,
        "runtime": p.runtime,
        "runtimes": [r.value for r in d.runtimes],
        "package_manager": d.package_manager.value if d.package_manager else None,
        "tests": d.tests.value if d.tests else None,
        "notes": list(d.notes),
    }
