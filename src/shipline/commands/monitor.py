"""`shipline monitor [--check]`: Prometheus rules and their tests, Alertmanager routes, Grafana dashboards and scrape config from the SLOs.

Files go under ``monitoring.output`` (default ``monitoring/``) beside the manifest,
each carrying the generated header; ``--check`` writes nothing and exits 1 with a
diff when they drifted, like ``shipline generate --check``.
"""

from __future__ import annotations

import argparse

from shipline.context import Context
from shipline.errors import EXIT_OK

HELP = "write Prometheus rules (with promtool tests), Alertmanager routes, Grafana dashboards and scrape config from the SLOs (--check: exit 1 on drift)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--check``: compare only, write nothing."""
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 with a unified diff when the files differ")


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Write the monitoring files, or with ``--check`` compare; nothing is written when the manifest is bad."""
    from shipline.commands.generate import report_drift
    from shipline.generate import files as generated
    from shipline.monitor import files

    path = ctx.path(args.manifest)
    manifest = ctx.load_manifest(args.manifest)
    root = path.parent
    wanted = files.render(manifest, path.name)
    found = files.changes(root, manifest, wanted)
    if args.check:
        return report_drift(root, found, args, ctx, command="monitor")
    generated.apply(root, found)
    for rel in sorted(found.write):
        ctx.reporter.info(f"wrote {ctx.display(root / rel)}")
    for rel in found.remove:
        ctx.reporter.info(f"removed {ctx.display(root / rel)} (stale)")
    out = root / manifest.monitoring.output.strip("/")
    ctx.reporter.info(f"rules: {ctx.display(out / 'rules.yml')} (tests: {ctx.display(out / 'rules.test.yml')})")
    ctx.reporter.info(f"dashboards: {ctx.display(out / 'dashboards')}/")
    ctx.reporter.result(
        directory=ctx.display(out),
        written=sorted(found.write),
        removed=found.remove,
        files=sorted(wanted),
    )
    return EXIT_OK
