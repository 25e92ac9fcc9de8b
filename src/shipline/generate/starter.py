"""`shipline init`'s half: detect the projects in a directory, write a starter manifest.

A project is a folder holding one of the markers below (the first that matches gives
its language: a Python service with a Dockerfile is a Python service). One project
gives a single-service manifest; several give a monorepo with one service per folder.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from shipline.manifest import DEFAULT_RUNTIME, SCHEMA_URL

MARKERS = (
    ("python", ("pyproject.toml", "setup.cfg", "setup.py")),
    ("node", ("package.json",)),
    ("go", ("go.mod",)),
    ("container", ("Dockerfile",)),
)
_SKIP = {"node_modules", "vendor", "venv", "dist", "build", "target", "__pycache__", "site-packages"}
MAX_DEPTH = 2  # the root, services/, services/api/


@dataclass(frozen=True)
class Project:
    """A detected project: its folder (relative, POSIX), language, name and runtime."""

    path: str
    language: str
    name: str
    runtime: str | None


def _name(raw: str) -> str:
    """A manifest name (lower-case letters, digits, '.', '_', '-') from anything."""
    s = re.sub(r"[^a-z0-9._-]+", "-", raw.lower().rsplit("/", 1)[-1]).strip("-._")
    return (s or "app")[:63]


def _read_name(folder: Path, language: str) -> str | None:
    """The project's own name from its metadata, when it has one."""
    try:
        if language == "python" and (folder / "pyproject.toml").is_file():
            data = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
            return data.get("project", {}).get("name") or data.get("tool", {}).get("poetry", {}).get("name")
        if language == "node":
            return json.loads((folder / "package.json").read_text(encoding="utf-8")).get("name")
        if language == "go":
            m = re.search(r"^module\s+(\S+)", (folder / "go.mod").read_text(encoding="utf-8"), re.M)
            return m[1] if m else None
    except (OSError, ValueError, AttributeError):
        return None  # unreadable metadata: fall back to the folder's name
    return None


def _go_runtime(folder: Path) -> str | None:
    try:
        m = re.search(r"^go\s+(\d+\.\d+)", (folder / "go.mod").read_text(encoding="utf-8"), re.M)
    except OSError:
        return None
    return m[1] if m else None


def detect_one(root: Path, folder: Path) -> Project | None:
    """The project in ``folder`` (not its subfolders), or None."""
    for language, markers in MARKERS:
        if any((folder / m).is_file() for m in markers):
            rel = folder.relative_to(root).as_posix()
            name = _name(_read_name(folder, language) or (folder.name if rel != "." else root.resolve().name))
            runtime = _go_runtime(folder) if language == "go" else DEFAULT_RUNTIME[language]
            return Project(path=rel, language=language, name=name, runtime=runtime)
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
            if not child.name.startswith(".") and child.name not in _SKIP:
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
        out.append(Project(p.path, p.language, candidate, p.runtime))
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


def _runtime_line(p: Project, indent: str) -> str:
    return f'{indent}runtime: "{p.runtime}"\n' if p.runtime else ""


def starter(projects: list[Project], root_name: str) -> str:
    """The text of a commented starter manifest for the detected projects."""
    if len(projects) == 1:
        p = projects[0]
        text = f"\nproject:\n  name: {p.name}\n  language: {p.language}  # python, node, go or container\n"
        text += _runtime_line(p, "  ")
        if p.path != ".":
            text += f"  working_directory: {p.path}\n"
        if p.runtime:
            text += f'\ntest:\n  # runtime versions the tests run on\n  matrix: ["{p.runtime}"]\n'
        return _HEAD + text + _COMMON
    first = projects[0]
    text = f"\n# Defaults every service inherits unless it says otherwise.\nproject:\n  name: {_name(root_name)}\n  language: {first.language}\n"
    text += "\n# One entry per service: its jobs run only when its folder or this file changed.\nservices:\n"
    for p in projects:
        text += f"  - name: {p.name}\n    path: {p.path}\n    project:\n      language: {p.language}\n"
        text += _runtime_line(p, "      ")
    return _HEAD + text + _COMMON
