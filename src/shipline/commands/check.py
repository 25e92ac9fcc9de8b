"""`shipline check`: validate the manifest, check for drift, lint what it generates."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from shipline.context import Context
from shipline.errors import EXIT_GATE_FAILED, EXIT_OK

if TYPE_CHECKING:
    from shipline.manifest import Manifest

HELP = "validate the manifest, run generate --check (and monitor --check with a monitoring section), and lint the generated workflows with actionlint and zizmor"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options of its own."""


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Exit 1 on drift or any linter finding; 2 when the manifest is bad."""
    from shipline.commands import generate
    from shipline.generate import files, lint

    root, rendered, manifest = generate.load(args, ctx)
    ctx.reporter.info(f"{args.manifest}: valid")
    drifted = generate.drift(root, rendered, args, ctx) != EXIT_OK
    if "monitoring" in manifest.model_fields_set:  # the manifest asks for monitoring files: they drift like the workflows
        drifted = monitoring_drift(root, manifest, args, ctx) or drifted
    # lint what the manifest gives, whether or not it is on disk yet
    with tempfile.TemporaryDirectory(prefix="shipline-check-") as tmp:
        for rel, text in rendered.files.items():
            files.write_atomic(Path(tmp) / rel, text)
        config = next((root / c for c in lint.ZIZMOR_CONFIGS if (root / c).is_file()), None)
        if config is None and not manifest.kit.pinned:
            config = Path(tmp) / ".shipline-zizmor.yml"
            config.write_text(lint.kit_policy(manifest.kit.repository), encoding="utf-8")
            ctx.reporter.info(f'kit.ref "{manifest.kit.ref}" is a tag: zizmor allows it for {manifest.kit.repository} only; pin a commit SHA for the strictest setting')
        result = lint.lint(Path(tmp), sorted(rendered.files), ctx.environ, config)
    for name in result.skipped:
        ctx.reporter.warning(f"{name} is not installed; its checks were skipped (it comes with shipline: pipx install --force shipline)")
    for p in result.problems:
        ctx.reporter.error(f"{p.message} [{p.rule}]", file=ctx.display(root / p.file), line=p.line, col=p.col)
    if not result.problems:
        ran = [n for n in ("actionlint", "zizmor") if n not in result.skipped]
        if ran:
            ctx.reporter.info(f"{' and '.join(ran)}: no findings")
    ctx.reporter.result(drift=drifted, findings=[str(p) for p in result.problems], skipped=result.skipped)
    return EXIT_GATE_FAILED if drifted or result.problems else EXIT_OK


def monitoring_drift(root: Path, manifest: Manifest, args: argparse.Namespace, ctx: Context) -> bool:
    """Whether the files `shipline monitor` writes differ from what the manifest gives (reported like the workflows' drift)."""
    from shipline.commands.generate import report_drift
    from shipline.monitor import files

    wanted = files.render(manifest, ctx.path(args.manifest).name)
    ctx.reporter.info(f"monitoring files ({manifest.monitoring.output}):")
    return report_drift(root, files.changes(root, manifest, wanted), args, ctx, command="monitor") != EXIT_OK
