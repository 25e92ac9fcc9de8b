"""`shipline init [DIR]`: detect the project and write a commented starter manifest."""

from __future__ import annotations

import argparse
from pathlib import Path

from shipline.context import Context
from shipline.errors import EXIT_OK, InputError

HELP = "detect the project (pyproject.toml, package.json, go.mod, Dockerfile) and write a starter shipline.yml"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``DIR`` and ``--force``."""
    parser.add_argument("dir", nargs="?", default=".", metavar="DIR", help="the repository to set up (default: .)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing manifest")


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Write ``DIR/shipline.yml``; refuse to overwrite one without ``--force``."""
    from shipline import manifest as schema
    from shipline import yamlfile
    from shipline.generate import files, starter

    root = ctx.path(args.dir)
    if not root.is_dir():
        raise InputError(f'{ctx.display(root)}: no such directory; give the repository to set up, e.g. "shipline init ."')
    target = root / Path(args.manifest).name
    if target.exists() and not args.force:
        raise InputError(f"{ctx.display(target)} already exists; keep it, or overwrite it with --force")
    projects = starter.detect(root)
    if not projects:
        kinds = ", ".join(m for _, markers in starter.MARKERS for m in markers)
        raise InputError(f"{ctx.display(root)}: no project found; expected one of: {kinds} (here or one or two folders down)")
    text = starter.starter(projects, root.resolve().name, root)
    # the starter must load and generate, or it is shipline's bug, not the user's
    try:
        files.render(schema.parse(yamlfile.loads(text, target.name)), target.name, root=root)
    except InputError as err:
        raise RuntimeError(f"the starter manifest does not load: {err}") from None
    files.write_atomic(target, text)
    for p in projects:
        ctx.reporter.info(f"found a {p.language} project in {p.path} ({p.name})")
    ctx.reporter.info(f'wrote {ctx.display(target)}; next: edit it, then run "shipline generate"')
    ctx.reporter.result(manifest=ctx.display(target), projects=[starter.summary(p) for p in projects])
    return EXIT_OK
