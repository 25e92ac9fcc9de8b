"""Incidents: an automatic rollback opens a GitHub issue with a postmortem to fill in.

One open incident per environment (and service, in a monorepo): the issue carries the
environment's labels and a hidden marker, so a second rollback while it is open adds
a comment instead of a new issue. The marker also names the deployment that caused
it, which `shipline dora` counts as a failed change. The severity comes from the
manifest's ``environments[].incidents`` rules. An incident closes itself when the
environment is healthy again, with its timeline and time to restore.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from shipline.github.client import GitHub
from shipline.report import markdown_table

PERMISSION = "issues: write"
MEANING = {"P0": "outage", "P1": "critical", "P2": "major", "P3": "minor", "P4": "informational"}
POSTMORTEM = (
    ("Summary", "_What happened, who was affected and for how long, in a few sentences._"),
    ("Timeline", "_Detection, response and resolution, in UTC; start from the timeline above._"),
    ("Root cause", "_Why the change failed; ask why until the answer is a process, not a person._"),
    ("Response analysis", "_What worked in detecting and rolling back, what was slow or missing._"),
    ("Prevention", "_What would have caught this before production (tests, load test, canary analysis)._"),
    ("Action items", "- [ ] _owner — action — due date_"),
)


@dataclass(frozen=True)
class Event:
    """A moment in the deploy and its analysis."""

    at: datetime
    what: str


@dataclass(frozen=True)
class Measurement:
    """A figure that triggered the rollback, next to the limit it crossed."""

    name: str
    value: str
    limit: str = ""


@dataclass(frozen=True)
class Incident:
    """Everything an incident issue says."""

    environment: str
    severity: str
    reason: str
    version: str = ""
    title: str = ""
    measurements: Sequence[Measurement] = ()
    timeline: Sequence[Event] = ()
    run_url: str = ""
    rule: str = ""  # why this severity
    labels: Sequence[str] = field(default_factory=lambda: ["incident"])
    service: str = ""  # in a monorepo
    deployment_id: int | None = None  # the deployment that caused it


_MARKER = re.compile(r"<!-- shipline:incident ([^>]*?) -->")


def marker(environment: str, service: str = "", deployment_id: int | None = None) -> str:
    """The hidden line that ties an issue to an environment, a service and the deployment that caused it."""
    fields = [f"environment={environment}"]
    if service:
        fields.append(f"service={service}")
    if deployment_id is not None:
        fields.append(f"deployment={deployment_id}")
    return f"<!-- shipline:incident {' '.join(fields)} -->"


def read_marker(body: str | None) -> dict[str, str]:
    """The fields of an issue's incident marker (empty when it has none)."""
    m = _MARKER.search(body or "")
    if not m:
        return {}
    return dict(part.split("=", 1) for part in m.group(1).split() if "=" in part)


def is_for(body: str | None, environment: str, service: str = "") -> bool:
    """The issue is an incident of ``environment`` (and ``service``): exact fields, no prefix matches."""
    fields = read_marker(body)
    return bool(fields) and fields.get("environment") == environment and fields.get("service", "") == service


def severity(rules: Sequence[Any], default: str, error_rate: float | None, p95_ms: float | None) -> tuple[str, str]:
    """The most severe rule the measurements reach, with a phrase saying why; else ``default``.

    A rule applies when it sets at least one threshold and every threshold it sets is
    reached (``min_error_rate``, ``min_p95_ms``).
    """
    best: tuple[str, str] | None = None
    for rule in rules:
        checks = []
        if rule.min_error_rate is not None:
            checks.append((error_rate is not None and error_rate >= rule.min_error_rate, f"error rate at least {rule.min_error_rate:.1%}"))
        if rule.min_p95_ms is not None:
            checks.append((p95_ms is not None and p95_ms >= rule.min_p95_ms, f"p95 at least {rule.min_p95_ms:g} ms"))
        if checks and all(ok for ok, _ in checks) and (best is None or rule.severity < best[0]):
            best = (rule.severity, " and ".join(why for _, why in checks))
    return best or (default, "no rule matched: the default severity")


def _details(incident: Incident) -> list[str]:
    lines = [f"**Severity:** {incident.severity} ({MEANING[incident.severity]}){' — ' + incident.rule if incident.rule else ''}  "]
    facts = [f"**Environment:** {incident.environment}"]
    if incident.version:
        facts.append(f"**Version rolled back:** {incident.version}")
    if incident.run_url:
        facts.append(f"[workflow run]({incident.run_url})")
    lines += [" · ".join(facts), "", f"**Reason:** {incident.reason}", ""]
    if incident.measurements:
        rows = [[m.name, m.value, m.limit] for m in incident.measurements]
        lines += ["### Measurements that triggered the rollback", "", markdown_table(["measurement", "value", "limit"], rows)]
    if incident.timeline:
        rows = [[e.at.strftime("%Y-%m-%d %H:%M:%S"), e.what] for e in sorted(incident.timeline, key=lambda e: e.at)]
        lines += ["### Timeline (UTC)", "", markdown_table(["time", "event"], rows)]
    return lines


def issue_title(incident: Incident) -> str:
    """``[P1] production: automatic rollback of 1.4.0``."""
    what = incident.title or (f"automatic rollback of {incident.version}" if incident.version else "automatic rollback")
    return f"[{incident.severity}] {incident.environment}: {what}"


def issue_body(incident: Incident) -> str:
    """The issue: what happened, then the postmortem sections to fill in."""
    lines = [marker(incident.environment, incident.service, incident.deployment_id), *_details(incident), "## Postmortem", ""]
    for heading, prompt in POSTMORTEM:
        lines += [f"### {heading}", "", prompt, ""]
    return "\n".join(lines)


def comment_body(incident: Incident) -> str:
    """A comment for a further rollback while the incident is open."""
    return "\n".join(["## Another automatic rollback", "", *_details(incident)])


def find_open(gh: GitHub, environment: str, labels: Sequence[str], service: str = "") -> Any:
    """The open incident issue for ``environment`` (and ``service``), or None."""
    with gh.errors(f"looking for an open incident in {environment}", PERMISSION):
        for issue in gh.repo.get_issues(state="open", labels=list(labels)):
            if issue.pull_request is None and is_for(issue.body, environment, service):
                return issue
    return None


def comment_once(gh: GitHub, issue: Any, body: str, doing: str) -> Any:
    """Comment ``body`` on ``issue``; after a failed attempt, the comment it may have made counts."""

    def made() -> Any:
        return next((c for c in issue.get_comments() if c.body == body), None)

    return gh.create_once(doing, PERMISSION, lambda: issue.create_comment(body), made)


def open_or_comment(gh: GitHub, incident: Incident) -> tuple[str, Any]:
    """Open an incident issue, or comment on the open one; ``("opened" | "commented", issue)``."""
    existing = find_open(gh, incident.environment, incident.labels, incident.service)
    if existing is not None:
        comment_once(gh, existing, comment_body(incident), f"commenting on incident #{existing.number}")
        return "commented", existing
    issue = gh.create_once(
        f"opening an incident for {incident.environment}",
        PERMISSION,
        lambda: gh.repo.create_issue(title=issue_title(incident), body=issue_body(incident), labels=[*incident.labels, incident.severity]),
        lambda: find_open(gh, incident.environment, incident.labels, incident.service),
    )
    return "opened", issue


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min {secs:02d} s" if hours else f"{minutes} min {secs:02d} s"


def closing_note(opened: datetime, restored: datetime, how: str, timeline: Sequence[Event] = ()) -> str:
    """The closing comment: how service came back, the time to restore, the timeline."""
    lines = [
        "## Resolved",
        "",
        f"**Restored:** {how}  ",
        f"**Time to restore:** {_duration((restored - opened).total_seconds())} (from {opened:%Y-%m-%d %H:%M:%S} to {restored:%Y-%m-%d %H:%M:%S} UTC)",
        "",
    ]
    if timeline:
        rows = [[e.at.strftime("%Y-%m-%d %H:%M:%S"), e.what] for e in sorted(timeline, key=lambda e: e.at)]
        lines += ["### Timeline (UTC)", "", markdown_table(["time", "event"], rows)]
    return "\n".join(lines)


def close(gh: GitHub, environment: str, labels: Sequence[str], note: str, service: str = "") -> Any:
    """Close the open incident for ``environment`` with a comment; None when there is none."""
    issue = find_open(gh, environment, labels, service)
    if issue is not None:
        _close_with(gh, issue, note)
    return issue


def _close_with(gh: GitHub, issue: Any, note: str) -> None:
    comment_once(gh, issue, note, f"commenting on incident #{issue.number}")
    with gh.errors(f"closing incident #{issue.number}", PERMISSION):
        issue.edit(state="closed", state_reason="completed")


def resolve(gh: GitHub, environment: str, labels: Sequence[str], how: str, restored: datetime, service: str = "", timeline: Sequence[Event] = ()) -> Any:
    """Close the open incident (if any) now that ``how`` restored service, writing the time to restore."""
    issue = find_open(gh, environment, labels, service)
    if issue is None:
        return None
    opened = issue.created_at if issue.created_at.tzinfo else issue.created_at.replace(tzinfo=timezone.utc)
    _close_with(gh, issue, closing_note(opened, restored, how, timeline))
    return issue
