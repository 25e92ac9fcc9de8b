"""`shipline incident open|close --env NAME`: an incident issue by hand."""

from __future__ import annotations

import argparse

from shipline.context import Context

HELP = "open or close the incident issue of an environment on GitHub"

SEVERITIES = ("P0", "P1", "P2", "P3", "P4")  # as the manifest's incidents rules; kept here so --help stays light


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """open|close, --env, --severity, --title, --reason."""
    parser.add_argument("action", choices=("open", "close"), help="open an incident (or comment on the open one), or close it")
    parser.add_argument("--env", required=True, metavar="NAME", help="the environment of the manifest")
    parser.add_argument("--severity", choices=SEVERITIES, help="P0 outage ... P4 informational (default: the environment's default_severity)")
    parser.add_argument("--title", default="", help="what happened, in a few words")
    parser.add_argument("--reason", default="", help="why: the first line of the issue, or the closing note")


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Open (or comment on) or close the environment's incident issue."""
    from shipline.github import client, incidents

    manifest = ctx.load_manifest(args.manifest)
    service = manifest.service(args.service)
    environment = service.environment(args.env)
    monorepo_service = service.name if len(manifest.resolved_services()) > 1 else ""  # as `shipline deploy` records it
    settings = environment.incidents
    gh = client.require(ctx.environ, ctx.reporter, f"`shipline incident {args.action}`")
    if args.action == "close":
        issue = incidents.close(gh, args.env, settings.labels, f"Closed by `shipline incident close`. {args.reason}".strip(), monorepo_service)
        if issue is None:
            ctx.reporter.info(f"no open incident in {args.env}")
        else:
            ctx.reporter.info(f"closed incident #{issue.number}: {issue.html_url}")
            ctx.reporter.output("issue-url", issue.html_url)
        ctx.reporter.result(action="close", environment=args.env, issue=issue.number if issue else None)
        return 0
    severity = args.severity or settings.default_severity
    incident = incidents.Incident(
        environment=args.env,
        severity=severity,
        reason=args.reason or "opened by hand with `shipline incident open`",
        title=args.title,
        run_url=gh.settings.run_url,
        rule="set by hand" if args.severity else "the environment's default severity",
        labels=settings.labels,
        service=monorepo_service,
    )
    done, issue = incidents.open_or_comment(gh, incident)
    ctx.reporter.info(f"{done} incident #{issue.number} ({severity}): {issue.html_url}")
    ctx.reporter.output("issue-url", issue.html_url)
    ctx.reporter.result(action=done, environment=args.env, issue=issue.number, severity=severity, url=issue.html_url)
    return 0
