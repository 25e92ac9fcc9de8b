"""`shipline pr-comment record|post`: the pull request's one summary comment.

Each stage records its result into a small JSON file (``record``); the last job posts
them all as one comment on the pull request, updated in place on every push (``post``).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING
import json

from shipline.context import Context
from shipline.errors import InputError

if TYPE_CHECKING:
    from shipline.github.results import StageResult

HELP = "record a stage's results, or post them all as the pull request's summary comment"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """record STAGE --status ... | post [--pr N]."""
    parser.add_argument("action", choices=("record", "post"), help="record one stage's result, or post the summary")
    parser.add_argument("stage", nargs="?", help="with record: the stage (build, test, scan, loadtest, deploy, smoke...)")
    parser.add_argument("--results", default="shipline-results.json", metavar="FILE", help="the results file (default: shipline-results.json)")
    parser.add_argument("--status", metavar="STATUS", help="with record: passed, failed or skipped (or a job result: success, failure, cancelled)")
    parser.add_argument("--summary", default="", help="with record: one line about the stage")
    parser.add_argument("--field", action="append", default=[], metavar="NAME=VALUE", help="with record: a figure (repeatable)")
    parser.add_argument("--link", action="append", default=[], metavar="LABEL=URL", help="with record: a link to a report (repeatable)")
    parser.add_argument("--pr", type=int, metavar="NUMBER", help="with post: the pull request (default: the one of the event)")


def _event(ctx: Context) -> dict[str, object]:
    """The workflow's event payload (empty when there is none or it cannot be read)."""
    path = ctx.environ.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        event = json.loads(ctx.path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return event if isinstance(event, dict) else {}


def _event_pull_request(ctx: Context) -> int | None:
    """The pull request number in the workflow's event payload, if it is a pull request event."""
    pull = _event(ctx).get("pull_request")
    number = pull.get("number") if isinstance(pull, dict) else None
    return number if isinstance(number, int) else None


def _from_fork(ctx: Context) -> str:
    """The fork a ``pull_request`` event comes from, else empty.

    GitHub gives such a run a read-only GITHUB_TOKEN whatever the workflow's
    ``permissions:`` say (``pull_request_target`` runs get a writable one).
    """
    if ctx.environ.get("GITHUB_EVENT_NAME", "pull_request") != "pull_request":
        return ""
    pull = _event(ctx).get("pull_request")
    if not isinstance(pull, dict):
        return ""
    head = ((pull.get("head") or {}).get("repo") or {}).get("full_name") or ""
    base = ((pull.get("base") or {}).get("repo") or {}).get("full_name") or ""
    return head if head and base and head != base else ""


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Record into the results file, or post it."""
    from shipline.github import results

    path = ctx.path(args.results)
    display = ctx.display(path)
    if args.action == "record":
        if not args.stage or not args.status:
            raise InputError("`shipline pr-comment record` needs a STAGE and --status (passed, failed, skipped, or a job result)")
        entry = results.StageResult(args.status, args.summary, results.parse_pairs(args.field, "--field"), results.parse_pairs(args.link, "--link"))
        stages = results.record(path, display, args.stage, entry)
        ctx.reporter.info(f"recorded {args.stage}: {args.status} in {display} ({len(stages)} stages)")
        ctx.reporter.result(recorded=args.stage, stages=sorted(stages))
        return 0
    return _post(args, ctx, results.load(path, display))


def _post(args: argparse.Namespace, ctx: Context, stages: dict[str, StageResult]) -> int:
    from shipline.github import client, comment

    if args.pr is None and ctx.environ.get("ACT") == "true":
        # `shipline act` makes the pull request up from git and numbers it 1: with a token,
        # the comment would land on whatever real pull request #1 of the repository is.
        ctx.reporter.info("pull request summary: the pull request is simulated by act; nothing to post (--pr NUMBER posts on a real one)")
        ctx.reporter.result(posted=False)
        return 0
    number = args.pr or _event_pull_request(ctx)
    fork = _from_fork(ctx) if number == _event_pull_request(ctx) else ""
    if fork:
        ctx.reporter.annotate("notice", f"pull request summary: not posted: pull request #{number} comes from the fork {fork}, whose runs get a read-only token")
        ctx.reporter.result(posted=False, reason="fork")
        return 0
    if number is None:
        ctx.reporter.info("pull request summary: not a pull request event and no --pr; nothing to post")
        ctx.reporter.result(posted=False)
        return 0
    gh = client.connect(ctx.environ, ctx.reporter)
    if gh is None:
        ctx.reporter.info("pull request summary: not posted (set GITHUB_TOKEN and GITHUB_REPOSITORY to post it)")
        ctx.reporter.result(posted=False)
        return 0
    body = comment.render(stages, gh.settings.run_url, ctx.environ.get("GITHUB_SHA", ""))
    done, note = comment.upsert(gh, number, body)
    ctx.reporter.info(f"pull request #{number}: summary comment {done}: {note.html_url}")
    ctx.reporter.output("comment-url", note.html_url)
    ctx.reporter.result(posted=True, action=done, pull_request=number, url=note.html_url)
    return 0
