"""`shipline generate [--check]`: write the workflows the manifest gives, or show the drift."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from shipline.context import Context
from shipline.errors import EXIT_GATE_FAILED, EXIT_OK

if TYPE_CHECKING:
    from shipline.generate.files import Changes, Rendered
    from shipline.manifest import Manifest

HELP = "write .github/workflows/shipline-*.yml from the manifest (--check: exit 1 with a diff when they differ)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--check``: compare only, write nothing."""
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 with a unified diff when the files differ")


def load(args: argparse.Namespace, ctx: Context) -> tuple[Path, Rendered, Manifest]:
    """The manifest's directory (the repository root), the files it gives, and the manifest."""
    from shipline import manifest as schema
    from shipline import yamlfile
    from shipline.generate import files

    path = ctx.path(args.manifest)
    doc = yamlfile.load(path, ctx.display(path))
    manifest = schema.parse(doc)
    rendered = files.render(manifest, path.name, doc, path.parent)
    return path.parent, rendered, manifest


def drift(root: Path, rendered: Rendered, args: argparse.Namespace, ctx: Context) -> int:
    """Report how the files under ``root`` differ from ``rendered``; 1 when they do."""
    from shipline.generate import files

    return report_drift(root, files.changes(root, rendered), args, ctx)


def report_drift(root: Path, found: Changes, args: argparse.Namespace, ctx: Context, command: str = "generate") -> int:
    """Show ``found`` (a `files.Changes`) as a diff and one located error per file; 1 when there is any."""
    if not found:
        ctx.reporter.info(f"generated files match {args.manifest}")
        ctx.reporter.result(drift=False, files=[])
        return EXIT_OK
    ctx.reporter.info(found.diff().rstrip("\n"))
    paths = sorted([*found.write, *found.remove])
    for rel in paths:
        if rel in found.remove:
            what = "is stale: the manifest no longer produces it"
        else:
            what = "differs from what the manifest gives" if rel in found.old else "is missing"
        ctx.reporter.error(f'{rel} {what}; run "shipline {command}"', file=ctx.display(root / rel), title="shipline drift")
    ctx.reporter.result(drift=True, files=paths)
    return EXIT_GATE_FAILED


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Generate, or with ``--check`` compare; nothing is written when the manifest is bad."""
    from shipline.generate import files

    root, rendered, _ = load(args, ctx)
    if args.check:
        return drift(root, rendered, args, ctx)
    for note in rendered.notes:
        ctx.reporter.warning(note, file=args.manifest)
    found = files.changes(root, rendered)
    files.apply(root, found)
    for rel in sorted(found.write):
        ctx.reporter.info(f"wrote {ctx.display(root / rel)}")
    for rel in found.remove:
        ctx.reporter.info(f"removed {ctx.display(root / rel)} (stale)")
    if not found:
        ctx.reporter.info("generated files are up to date")
    ctx.reporter.result(written=sorted(found.write), removed=found.remove)
    return EXIT_OK
