"""Read a service's deployment and incident history from GitHub for `shipline dora`.

Requests are counted, not spent freely (a workflow's GITHUB_TOKEN has 1,000 an hour
per repository): one page of deployments per 100, one statuses request per
deployment, commits listed page by page once for the whole window (``compare`` only
for a deployment of a commit that history does not reach), one page of incident
issues per 100.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from shipline.github import incidents as incident_issues
from shipline.github.client import GitHub
from shipline.github.deployments import github_environment, is_ours
from shipline.github.dora import Deployment, Incident, Status

COMMIT_LOOKBACK = timedelta(days=14)  # commits this much older than the first deployment read still count


@dataclass(frozen=True)
class History:
    """What `dora.compute` needs: deployments (oldest first) and incidents."""

    deployments: list[Deployment]
    incidents: list[Incident]


def _utc(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def fetch(gh: GitHub, environment: str, since: datetime, until: datetime, service: str | None = None, labels: tuple[str, ...] = ("incident",)) -> History:
    """shipline's deployments of ``service`` (any service when None) to ``environment``, and its incidents.

    Read: every deployment created from the newest one that went live before the
    window (the base the first change is counted from) to now, so that restores
    after the window's end are found; only deployments shipline made count (their
    payload says so), never those GitHub Actions creates for an ``environment:`` job.
    """
    target = github_environment(environment, service or "")
    raw = []
    with gh.errors(f"listing the deployments of {target}", "deployments: read"):
        for d in gh.repo.get_deployments(environment=target):  # newest first
            if not is_ours(d.payload, service):
                continue
            created = _utc(d.created_at)
            statuses = tuple(Status(s.state, _utc(s.created_at), s.description or "") for s in d.get_statuses())
            raw.append((d.id, d.sha, created, statuses, str(d.payload.get("service") or "")))
            if created < since and any(s.state == "success" for s in statuses):
                break
    raw.reverse()
    first = raw[0][2] if raw else since
    commits = _commit_times(gh, [r[1] for r in raw], first - COMMIT_LOOKBACK)
    out: list[Deployment] = []
    base: dict[str, str] = {}  # service -> sha of its last deployment that went live
    for did, sha, created, statuses, svc in raw:
        live_at = min((s.at for s in statuses if s.state == "success"), default=None)
        live = live_at is not None
        times: tuple[datetime, ...] = ()
        if live_at is not None and live_at >= since:  # lead times only for changes that went live in the window
            times = _shipped(gh, commits, base.get(svc), sha)
        out.append(Deployment(did, sha, created, statuses, times, svc))
        if live:
            base[svc] = sha
    return History(out, _incidents(gh, environment, service, labels, since))


def _commit_times(gh: GitHub, shas: list[str], since: datetime) -> dict[str, tuple[datetime, list[str]]]:
    """sha -> (commit time, parents) for the history of the newest deployed commit, back to ``since``."""
    if not shas:
        return {}
    out: dict[str, tuple[datetime, list[str]]] = {}
    with gh.errors(f"listing the commits up to {shas[-1][:12]}", "contents: read"):
        for c in gh.repo.get_commits(sha=shas[-1], since=since):
            out[c.sha] = (_utc(c.commit.committer.date), [p.sha for p in c.parents])
    return out


def _shipped(gh: GitHub, commits: dict[str, tuple[datetime, list[str]]], base: str | None, head: str) -> tuple[datetime, ...]:
    """When each commit in ``base..head`` was made (just ``head`` without a base)."""
    if base == head:
        return ()
    if head not in commits or (base is not None and base not in commits):
        return _compare(gh, base, head)  # a commit off the listed history: ask GitHub
    if base is None:
        return (commits[head][0],)
    seen, todo, times = {base}, [head], []
    while todo:
        sha = todo.pop()
        if sha in seen or sha not in commits:
            continue
        seen.add(sha)
        when, parents = commits[sha]
        times.append(when)
        todo.extend(parents)
    return tuple(sorted(times))


def _compare(gh: GitHub, base: str | None, head: str) -> tuple[datetime, ...]:
    with gh.errors(f"reading the commits deployed at {head[:12]}", "contents: read"):
        found: list[Any] = [gh.repo.get_commit(head)] if base is None else list(gh.repo.compare(base, head).commits)
        return tuple(_utc(c.commit.committer.date) for c in found)


def _incidents(gh: GitHub, environment: str, service: str | None, labels: tuple[str, ...], since: datetime) -> list[Incident]:
    """shipline's incident issues of the environment (and service), open or closed, updated since the window began."""
    out = []
    with gh.errors(f"listing the incident issues of {environment}", "issues: read"):
        for issue in gh.repo.get_issues(state="all", labels=list(labels), since=since):
            fields = incident_issues.read_marker(issue.body)
            if issue.pull_request is not None or fields.get("environment") != environment:
                continue
            if service is not None and fields.get("service", "") != service:
                continue
            deployment = fields.get("deployment", "")
            closed = _utc(issue.closed_at) if issue.closed_at else None
            out.append(Incident(issue.number, _utc(issue.created_at), closed, int(deployment) if deployment.isdigit() else None))
    return out
