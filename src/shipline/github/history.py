"""Read an environment's deployment history from GitHub for `shipline dora`."""

from __future__ import annotations

from datetime import datetime, timezone

from shipline.github.client import GitHub
from shipline.github.dora import Deployment, Status



def _utc(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def fetch(gh: GitHub, environment: str, since: datetime, until: datetime) -> list[Deployment]:
    """Deployments to ``environment`` created in the window, oldest first, with their commits.

    The newest successful deployment before the window is fetched too: it is the base
    the first deployment's changes are counted from, and its statuses may close a
    failure. The changes of a deployment are the commits since the previous
    successful one (``compare``); the first one ever counts only its own commit.
    """
    raw = []
    with gh.errors(f"listing the deployments of {environment}", "deployments: read"):
        for d in gh.repo.get_deployments(environment=environment):  # newest first
            created = _utc(d.created_at)
            if created > until:
                continue
            statuses = tuple(Status(s.state, _utc(s.created_at), s.description or "") for s in d.get_statuses())
            raw.append((d.id, d.sha, created, statuses))
            if created < since and any(s.state == "success" for s in statuses):
                break
    raw.reverse()
    out: list[Deployment] = []
    base = None
    for did, sha, created, statuses in raw:
        live = any(s.state == "success" for s in statuses)
        times: tuple[datetime, ...] = ()
        if live and created >= since:
            times = _commit_times(gh, base, sha)
        out.append(Deployment(did, sha, created, statuses, times))
        if live:
            base = sha
    return out


def _commit_times(gh: GitHub, base: str | None, head: str) -> tuple[datetime, ...]:
    """When each commit in ``base..head`` was committed (just ``head`` without a base)."""
    with gh.errors(f"reading the commits deployed at {head[:12]}", "contents: read"):
        if base is None or base == head:
            commits = [gh.repo.get_commit(head)] if base is None else []
        else:
            commits = list(gh.repo.compare(base, head).commits)
        return tuple(_utc(c.commit.committer.date) for c in commits)
