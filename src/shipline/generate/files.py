"""What `shipline generate` puts on disk: rendering, drift, stale files, atomic writes.

`render()` is pure: manifest (and the projects' declaration files) in, ``{relative path: text}`` out. `changes()` compares
that with a directory (files to write, stale ``shipline-*.yml`` files to remove) and
`apply()` carries the changes out, each file written atomically.
"""

from __future__ import annotations

import difflib
import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from shipline import yamlfile
from shipline.errors import InputError, Problem
from shipline.generate import overrides, runner_labels, writer
from shipline.generate.pipeline import build_workflows
from shipline.manifest import Manifest

WORKFLOWS = ".github/workflows"
DEPENDABOT = ".github/dependabot.yml"
GENERATED_GLOB = "shipline-*.yml"

DEPENDABOT_ENTRY = {
    "package-ecosystem": "github-actions",
    "directory": "/",
    "schedule": {"interval": "weekly"},
    # a new release waits a week before the update, so a hijacked tag has time to be noticed
    "cooldown": {"default-days": 7},
    "groups": {"github-actions": {"patterns": ["*"]}},
}
DEPENDABOT_HEAD = "# Written by shipline generate when missing, and yours to edit: dependabot keeps the actions the workflows pin by SHA current.\n"


@dataclass
class Rendered:
    """The files a manifest gives, relative to the repository root, and notes for the user."""

    files: dict[str, str]
    notes: list[str] = field(default_factory=list)
    runner_labels: list[str] = field(default_factory=list)  # self-hosted labels actionlint must be told about


@dataclass
class Changes:
    """How a directory differs from what the manifest gives."""

    write: dict[str, str] = field(default_factory=dict)  # path -> new text
    remove: list[str] = field(default_factory=list)
    old: dict[str, str] = field(default_factory=dict)  # path -> text on disk

    def __bool__(self) -> bool:
        return bool(self.write or self.remove)

    def diff(self) -> str:
        """A unified diff from the files on disk to what the manifest gives."""
        out = []
        for path in sorted([*self.write, *self.remove]):
            old = self.old.get(path, "")
            new = self.write.get(path, "")
            fromfile = f"a/{path}" if path in self.old else "/dev/null"
            tofile = f"b/{path}" if path in self.write else "/dev/null"
            lines = list(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile, tofile))
            # an empty stale file has no lines to diff, but its removal is still drift
            out += lines or [f"--- {fromfile}\n", f"+++ {tofile}\n"]
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in out)


def render(manifest: Manifest, manifest_name: str, doc: yamlfile.Document | None = None, root: Path | None = None) -> Rendered:
    """Every workflow file the manifest gives, overrides applied (errors located in ``doc``).

    ``root`` is the repository the projects' own files are read from (install steps).
    """
    built = build_workflows(manifest, manifest_name, root)
    if doc is not None:
        overrides.apply(built.workflows, manifest.overrides, doc.problem)
    else:
        overrides.apply(built.workflows, manifest.overrides, lambda loc, message: Problem(manifest_name, 0, 0, message))
    files = {f"{WORKFLOWS}/{w.filename}": writer.to_yaml(w, manifest_name) for w in built.workflows}
    return Rendered(files=files, notes=built.notes, runner_labels=runner_labels.self_hosted_labels(built.workflows))


def _dependabot(root: Path) -> str | None:
    """The dependabot file with a github-actions entry, or None when it has one already."""
    path = root / DEPENDABOT
    y = writer.yaml()
    if not path.exists():
        buf = io.StringIO()
        y.dump({"version": 2, "updates": [DEPENDABOT_ENTRY]}, buf)
        return DEPENDABOT_HEAD + buf.getvalue()
    doc = yamlfile.load(path, DEPENDABOT)
    updates = doc.data.get("updates") if isinstance(doc.data, dict) else None
    if not isinstance(updates, list):
        raise InputError(problems=[doc.problem(("updates",), "expected a list of updates in dependabot.yml")])
    if any(isinstance(u, dict) and u.get("package-ecosystem") == "github-actions" for u in updates):
        return None
    # round-trip so the user's comments and layout survive
    data = y.load(path.read_text(encoding="utf-8"))
    data["updates"].append(DEPENDABOT_ENTRY)
    buf = io.StringIO()
    y.dump(data, buf)
    return buf.getvalue()


def compare(root: Path, wanted: dict[str, str], generated: list[str]) -> Changes:
    """What to write so ``root`` holds ``wanted``, and which of the ``generated`` files found there are stale."""
    out = Changes()
    for rel, text in wanted.items():
        path = root / rel
        if path.exists():
            out.old[rel] = path.read_text(encoding="utf-8")
        if out.old.get(rel) != text:
            out.write[rel] = text
    for rel in generated:
        if rel not in wanted:
            out.old[rel] = (root / rel).read_text(encoding="utf-8", errors="replace")
            out.remove.append(rel)
    return out


def changes(root: Path, rendered: Rendered) -> Changes:
    """Compare ``root`` with ``rendered``: what to write, what is stale."""
    wanted = dict(rendered.files)
    dependabot = _dependabot(root)
    if dependabot is not None:
        wanted[DEPENDABOT] = dependabot
    actionlint_config = runner_labels.config_text(root, rendered.runner_labels)
    if actionlint_config is not None:
        wanted[runner_labels.ACTIONLINT_CONFIG] = actionlint_config
    return compare(root, wanted, [f"{WORKFLOWS}/{path.name}" for path in sorted((root / WORKFLOWS).glob(GENERATED_GLOB))])


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so a reader sees the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def apply(root: Path, found: Changes) -> None:
    """Write the new files and remove the stale ones."""
    for rel, text in sorted(found.write.items()):
        write_atomic(root / rel, text)
    for rel in found.remove:
        (root / rel).unlink()
