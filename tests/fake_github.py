"""One shared local fake of the GitHub REST endpoints shipline uses.

Faithful where shipline depends on it: JSON shapes as GitHub returns them, every
``url`` under the fake's own base URL, ``Authorization: token ...`` checked (401 Bad
credentials), unknown refs refused with 422, lists newest first with ``per_page`` /
``page`` and a ``Link`` header, and failures injected on demand (any status, or a
secondary rate limit). Time is the fake's own clock, so a test can lay out a history.

Use the ``fake_github`` fixture (``pytest_plugins = ["tests.fake_github"]`` or import
it into the test module); point PyGithub at ``fake_github.url``.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

TOKEN = "ghs_fake_token_0123456789"
OWNER, NAME = "acme", "shop"
SECONDARY_RATE_LIMIT = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
# GitHub's primary rate limit message (docs: "Rate limits for the REST API"), as a GITHUB_TOKEN sees it
PRIMARY_RATE_LIMIT = "API rate limit exceeded for installation ID 1234567. If you reach out to GitHub Support for help, please include the request ID ABCD:1234."
DOCS = "https://docs.github.com/rest"


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """``2026-11-01T10:00:00Z`` as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Failure:
    """A response served instead of the real one, ``times`` times."""

    method: str
    path: re.Pattern[str]
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int
    after_write: bool = False  # do the real work, then answer with the failure
    hang: bool = False  # accept the request and never answer


@dataclass
class Request:
    """What the fake received, for assertions."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int = 0


@dataclass
class State:
    """Everything the fake repository holds."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc))
    commits: dict[str, dict[str, Any]] = field(default_factory=dict)  # sha -> {date, message, parent}
    branches: dict[str, str] = field(default_factory=dict)
    deployments: list[dict[str, Any]] = field(default_factory=list)
    statuses: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    issues: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 1000


class FakeGitHub:
    """The server, its state and the knobs tests turn."""

    def __init__(self) -> None:
        self.state = State()
        self.failures: list[Failure] = []
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()  # releases hanging requests
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.repo = f"{OWNER}/{NAME}"
        self.token = TOKEN
        self.html = f"{self.url}/{OWNER}/{NAME}"
        self.api = f"{self.url}/repos/{OWNER}/{NAME}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> FakeGitHub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    # -- knobs --------------------------------------------------------------------------

    def at(self, when: str | datetime) -> None:
        """Set the fake's clock: what ``created_at`` the next objects get."""
        self.state.now = parse_time(when) if isinstance(when, str) else when

    def tick(self, **delta: float) -> None:
        """Move the clock forward, e.g. ``tick(minutes=5)``."""
        self.state.now += timedelta(**delta)

    def add_commit(self, sha: str, date: str, message: str = "change", branch: str = "main") -> str:
        """A commit on ``branch`` (its new head), committed at ``date``."""
        parent = self.state.branches.get(branch)
        self.state.commits[sha] = {"date": date, "message": message, "parent": parent}
        self.state.branches[branch] = sha
        return sha

    def add_pull(self, number: int, title: str = "A change") -> None:
        """An open pull request (an issue with a ``pull_request`` key, as the issues API shows it)."""
        issue = self._issue(number, title, "", [])
        issue["pull_request"] = {"url": f"{self.api}/pulls/{number}", "html_url": f"{self.html}/pull/{number}"}
        self.state.issues.append(issue)

    def add_comment(self, number: int, body: str) -> None:
        """A comment someone else wrote on issue or pull request ``number``."""
        comment, _ = Api(self).create_comment({}, {"body": body}, str(number))
        comment["user"] = {**self.user(), "login": "octocat", "type": "User"}

    def fail(self, method: str, path: str, status: int, times: int = 1, message: str | None = None, headers: dict[str, str] | None = None) -> None:
        """Answer the next ``times`` ``METHOD`` requests whose path matches regex ``path`` with ``status``."""
        text = message or {401: "Bad credentials", 403: "Resource not accessible by integration", 404: "Not Found"}.get(status, "Server Error")
        body = {"message": text, "documentation_url": DOCS, "status": str(status)}
        self.failures.append(Failure(method.upper(), re.compile(path), status, body, headers or {}, times))

    def primary_rate_limit(self, method: str, path: str, reset_in: float = 3600, times: int = 1) -> None:
        """The primary rate limit spent: 403 with ``x-ratelimit-remaining: 0`` and a reset ``reset_in`` s away (real epoch time)."""
        import time

        reset = str(int(time.time() + reset_in))
        headers = {"x-ratelimit-limit": "1000", "x-ratelimit-remaining": "0", "x-ratelimit-used": "1000", "x-ratelimit-reset": reset, "x-ratelimit-resource": "core"}
        self.fail(method, path, 403, times, PRIMARY_RATE_LIMIT, headers)

    def too_many(self, method: str, path: str, retry_after: int = 3600, times: int = 1) -> None:
        """429 Too Many Requests with a ``retry-after`` of ``retry_after`` seconds."""
        self.fail(method, path, 429, times, SECONDARY_RATE_LIMIT, {"retry-after": str(retry_after)})

    def fail_after_write(self, method: str, path: str, status: int = 502, times: int = 1) -> None:
        """Do the next matching write for real, then answer ``status`` (a proxy failing on the way back)."""
        self.fail(method, path, status, times)
        self.failures[-1].after_write = True

    def hang(self, method: str, path: str, times: int = 1) -> None:
        """Accept the next matching requests and never answer (until the fake stops)."""
        self.fail(method, path, 504, times)
        self.failures[-1].hang = True

    def rate_limit(self, method: str, path: str, times: int = 1) -> None:
        """A secondary rate limit on the next ``times`` matching requests (403, as GitHub answers it)."""
        self.fail(method, path, 403, times, SECONDARY_RATE_LIMIT, {"retry-after": "0"})

    def env(self, **extra: str) -> dict[str, str]:
        """The variables a workflow step would see, pointing at this fake."""
        return {"GITHUB_TOKEN": self.token, "GITHUB_REPOSITORY": self.repo, "GITHUB_API_URL": self.url, "GITHUB_SERVER_URL": self.url, **extra}

    def calls(self, method: str, pattern: str) -> list[Request]:
        """Requests received with ``method`` and a path matching regex ``pattern``."""
        return [r for r in self.requests if r.method == method and re.fullmatch(pattern, r.path)]

    def statuses_of(self, deployment_id: int) -> list[str]:
        """The states of a deployment's statuses, oldest first."""
        return [s["state"] for s in self.state.statuses.get(deployment_id, [])]

    # -- shapes ---------------------------------------------------------------------------

    def _id(self) -> int:
        self.state.next_id += 1
        return self.state.next_id

    def user(self) -> dict[str, Any]:
        return {
            "login": "github-actions[bot]",
            "id": 41898282,
            "node_id": "MDM6Qm90NDE4OTgyODI=",
            "url": f"{self.url}/users/github-actions%5Bbot%5D",
            "html_url": f"{self.url}/apps/github-actions",
            "type": "Bot",
            "site_admin": False,
        }

    def repository(self) -> dict[str, Any]:
        return {
            "id": 1296269,
            "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
            "name": NAME,
            "full_name": self.repo,
            "owner": {**self.user(), "login": OWNER, "type": "Organization", "url": f"{self.url}/users/{OWNER}"},
            "private": True,
            "html_url": self.html,
            "url": self.api,
            "deployments_url": f"{self.api}/deployments",
            "issues_url": f"{self.api}/issues{{/number}}",
            "default_branch": "main",
            "permissions": {"admin": False, "push": True, "pull": True},
        }

    def commit(self, sha: str) -> dict[str, Any]:
        c = self.state.commits[sha]
        person = {"name": "Dev", "email": "dev@example.com", "date": c["date"]}
        parents = [{"sha": c["parent"], "url": f"{self.api}/commits/{c['parent']}", "html_url": f"{self.html}/commit/{c['parent']}"}] if c["parent"] else []
        return {
            "url": f"{self.api}/commits/{sha}",
            "sha": sha,
            "node_id": f"C_{sha[:12]}",
            "html_url": f"{self.html}/commit/{sha}",
            "comments_url": f"{self.api}/commits/{sha}/comments",
            "commit": {
                "url": f"{self.api}/git/commits/{sha}",
                "author": person,
                "committer": person,
                "message": c["message"],
                "tree": {"url": f"{self.api}/git/trees/{sha}", "sha": sha},
                "comment_count": 0,
            },
            "author": None,
            "committer": None,
            "parents": parents,
        }

    def _issue(self, number: int, title: str, body: str, labels: list[str]) -> dict[str, Any]:
        now = _iso(self.state.now)
        return {
            "url": f"{self.api}/issues/{number}",
            "repository_url": self.api,
            "labels_url": f"{self.api}/issues/{number}/labels{{/name}}",
            "comments_url": f"{self.api}/issues/{number}/comments",
            "events_url": f"{self.api}/issues/{number}/events",
            "html_url": f"{self.html}/issues/{number}",
            "id": self._id(),
            "node_id": f"I_{number}",
            "number": number,
            "title": title,
            "user": self.user(),
            "labels": [self._label(name) for name in labels],
            "state": "open",
            "state_reason": None,
            "locked": False,
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "comments": 0,
            "created_at": now,
            "updated_at": now,
            "closed_at": None,
            "author_association": "NONE",
            "body": body,
        }

    def _label(self, name: str) -> dict[str, Any]:
        return {"id": abs(hash(name)) % 10**8, "node_id": f"LA_{name}", "url": f"{self.api}/labels/{name}", "name": name, "color": "d73a4a", "default": False, "description": None}


# -- routing ---------------------------------------------------------------------------------


class _Reply(Exception):
    """Raised by a route to answer with an error status."""

    def __init__(self, status: int, message: str, errors: list[dict[str, Any]] | None = None):
        self.status = status
        self.body: dict[str, Any] = {"message": message, "documentation_url": DOCS, "status": str(status)}
        if errors:
            self.body["errors"] = errors


ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(rf"^/repos/(?P<owner>[^/]+)/(?P<name>[^/]+){p}$"), fn)
    for m, p, fn in [
        ("GET", "", "get_repo"),
        ("GET", "/commits", "list_commits"),
        ("GET", "/commits/(?P<sha>[^/]+)", "get_commit"),
        ("GET", r"/compare/(?P<base>[^/.]+)\.\.\.(?P<head>[^/.]+)", "compare"),
        ("POST", "/deployments", "create_deployment"),
        ("GET", "/deployments", "list_deployments"),
        ("GET", r"/deployments/(?P<id>\d+)", "get_deployment"),
        ("POST", r"/deployments/(?P<id>\d+)/statuses", "create_status"),
        ("GET", r"/deployments/(?P<id>\d+)/statuses", "list_statuses"),
        ("POST", "/issues", "create_issue"),
        ("GET", "/issues", "list_issues"),
        ("GET", r"/issues/(?P<number>\d+)", "get_issue"),
        ("PATCH", r"/issues/(?P<number>\d+)", "edit_issue"),
        ("GET", r"/issues/(?P<number>\d+)/comments", "list_comments"),
        ("POST", r"/issues/(?P<number>\d+)/comments", "create_comment"),
        ("PATCH", r"/issues/comments/(?P<id>\d+)", "edit_comment"),
    ]
]
# An installation token (a workflow's GITHUB_TOKEN) may not read /user: GitHub answers 403.
USER_ROUTE = re.compile(r"^/user$")


class Api:
    """The endpoints, over a FakeGitHub's state (called with its lock held)."""

    def __init__(self, gh: FakeGitHub):
        self.gh = gh
        self.s = gh.state

    def get_repo(self, q, body, **_):
        return self.gh.repository()

    def _sha(self, ref: str) -> str:
        if ref in self.s.commits:
            return ref
        if ref in self.s.branches:
            return self.s.branches[ref]
        raise _Reply(422, f"No ref found for: {ref}")

    def get_commit(self, q, body, sha, **_):
        if sha in self.s.branches:
            sha = self.s.branches[sha]
        if sha not in self.s.commits:
            raise _Reply(422, f"No commit found for SHA: {sha}")
        return self.gh.commit(sha)

    def list_commits(self, q, body, **_):
        """The history of ``sha`` (a branch or commit; default: main), newest first, committed at or after ``since``."""
        head = self._sha(q.get("sha", ["main"])[0])
        since = parse_time(q["since"][0]) if "since" in q else None
        found, sha = [], head
        while sha:
            c = self.s.commits[sha]
            if since is None or parse_time(c["date"]) >= since:
                found.append(self.gh.commit(sha))
            sha = c["parent"]
        return _page(found, q)

    def compare(self, q, body, base, head, **_):
        base, head = self._sha(base), self._sha(head)
        chain, sha = [], head
        while sha and sha != base:
            chain.append(sha)
            sha = self.s.commits[sha]["parent"]
        if sha != base:
            raise _Reply(404, "Not Found")
        commits = [self.gh.commit(c) for c in reversed(chain)]
        page = _page(commits, q, default=250)
        return {
            "url": f"{self.gh.api}/compare/{base}...{head}",
            "html_url": f"{self.gh.html}/compare/{base}...{head}",
            "base_commit": self.gh.commit(base),
            "status": "ahead" if commits else "identical",
            "ahead_by": len(commits),
            "behind_by": 0,
            "total_commits": len(commits),
            "commits": page.items,
            "files": [],
        }, page

    def _deployment(self, id: str) -> dict[str, Any]:
        for d in self.s.deployments:
            if d["id"] == int(id):
                return d
        raise _Reply(404, "Not Found")

    def create_deployment(self, q, body, **_):
        if not isinstance(body, dict) or not body.get("ref"):
            raise _Reply(422, "Invalid request.\n\n\"ref\" wasn't supplied.")
        sha = self._sha(body["ref"])
        did = self._id()
        env = body.get("environment", "production")
        now = _iso(self.s.now)
        deployment = {
            "url": f"{self.gh.api}/deployments/{did}",
            "id": did,
            "node_id": f"DE_{did}",
            "sha": sha,
            "ref": body["ref"],
            "task": body.get("task", "deploy"),
            "payload": body.get("payload", {}),
            "original_environment": env,
            "environment": env,
            "description": body.get("description"),
            "creator": self.gh.user(),
            "created_at": now,
            "updated_at": now,
            "statuses_url": f"{self.gh.api}/deployments/{did}/statuses",
            "repository_url": self.gh.api,
            "transient_environment": bool(body.get("transient_environment", False)),
            "production_environment": bool(body.get("production_environment", env == "production")),
        }
        self.s.deployments.append(deployment)
        self.s.statuses[did] = []
        return deployment, 201

    def _id(self) -> int:
        return self.gh._id()

    def list_deployments(self, q, body, **_):
        found = [
            d
            for d in reversed(self.s.deployments)
            if all(d[k] == q[k][0] for k in ("sha", "ref", "task", "environment") if k in q)
        ]
        return _page(found, q)

    def get_deployment(self, q, body, id, **_):
        return self._deployment(id)

    def create_status(self, q, body, id, **_):
        deployment = self._deployment(id)
        states = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")
        if body.get("state") not in states:
            raise _Reply(422, "Validation Failed", [{"resource": "DeploymentStatus", "code": "custom", "field": "state", "message": f"state is not included in the list: {', '.join(states)}"}])
        sid = self._id()
        now = _iso(self.s.now)
        status = {
            "url": f"{deployment['url']}/statuses/{sid}",
            "id": sid,
            "node_id": f"DES_{sid}",
            "state": body["state"],
            "creator": self.gh.user(),
            "description": body.get("description", ""),
            "environment": body.get("environment", deployment["environment"]),
            "target_url": body.get("target_url", body.get("log_url", "")),
            "log_url": body.get("log_url", body.get("target_url", "")),
            "environment_url": body.get("environment_url", ""),
            "created_at": now,
            "updated_at": now,
            "deployment_url": deployment["url"],
            "repository_url": self.gh.api,
        }
        if body["state"] == "success" and body.get("auto_inactive", True):
            self._deactivate_others(deployment)
        self.s.statuses[deployment["id"]].append(status)
        deployment["updated_at"] = now
        return status, 201

    def _deactivate_others(self, deployment: dict[str, Any]) -> None:
        """GitHub's auto_inactive: earlier successful deployments to the environment become inactive."""
        for other in self.s.deployments:
            history = self.s.statuses[other["id"]]
            if other is not deployment and other["environment"] == deployment["environment"] and history and history[-1]["state"] == "success":
                self.create_status({}, {"state": "inactive", "auto_inactive": False}, str(other["id"]))

    def list_statuses(self, q, body, id, **_):
        return _page(list(reversed(self.s.statuses[self._deployment(id)["id"]])), q)

    def _issue(self, number: str) -> dict[str, Any]:
        for issue in self.s.issues:
            if issue["number"] == int(number):
                return issue
        raise _Reply(404, "Not Found")

    def create_issue(self, q, body, **_):
        if not body.get("title"):
            raise _Reply(422, "Validation Failed", [{"resource": "Issue", "code": "missing_field", "field": "title"}])
        number = max((i["number"] for i in self.s.issues), default=0) + 1
        issue = self.gh._issue(number, body["title"], body.get("body", ""), list(body.get("labels", [])))
        self.s.issues.append(issue)
        return issue, 201

    def list_issues(self, q, body, **_):
        state = q.get("state", ["open"])[0]
        wanted = {name for name in q.get("labels", [""])[0].split(",") if name}
        since = q.get("since", [""])[0]  # issues updated at or after
        found = [
            i
            for i in sorted(self.s.issues, key=lambda i: -i["number"])
            if (state == "all" or i["state"] == state)
            and wanted <= {label["name"] for label in i["labels"]}
            and (not since or parse_time(i["updated_at"]) >= parse_time(since))
        ]
        return _page(found, q)

    def get_issue(self, q, body, number, **_):
        return self._issue(number)

    def edit_issue(self, q, body, number, **_):
        issue = self._issue(number)
        for key in ("title", "body", "state_reason"):
            if key in body:
                issue[key] = body[key]
        if "labels" in body:
            issue["labels"] = [self.gh._label(name) for name in body["labels"]]
        if body.get("state") in ("open", "closed"):
            issue["state"] = body["state"]
            issue["closed_at"] = _iso(self.s.now) if body["state"] == "closed" else None
        issue["updated_at"] = _iso(self.s.now)
        return issue

    def list_comments(self, q, body, number, **_):
        self._issue(number)
        return _page([c for c in self.s.comments if c["issue_number"] == int(number)], q)

    def create_comment(self, q, body, number, **_):
        issue = self._issue(number)
        if not body.get("body"):
            raise _Reply(422, "Validation Failed", [{"resource": "IssueComment", "code": "missing_field", "field": "body"}])
        cid = self._id()
        now = _iso(self.s.now)
        comment = {
            "url": f"{self.gh.api}/issues/comments/{cid}",
            "html_url": f"{issue['html_url']}#issuecomment-{cid}",
            "issue_url": issue["url"],
            "id": cid,
            "node_id": f"IC_{cid}",
            "user": self.gh.user(),
            "created_at": now,
            "updated_at": now,
            "author_association": "NONE",
            "body": body["body"],
            "issue_number": issue["number"],
        }
        self.s.comments.append(comment)
        issue["comments"] += 1
        return comment, 201

    def edit_comment(self, q, body, id, **_):
        for comment in self.s.comments:
            if comment["id"] == int(id):
                comment["body"] = body["body"]
                comment["updated_at"] = _iso(self.s.now)
                return comment
        raise _Reply(404, "Not Found")


@dataclass
class _Page:
    items: list[Any]
    links: dict[str, int]
    per_page: int


def _page(items: list[Any], q: dict[str, list[str]], default: int = 30) -> _Page:
    """One page of ``items`` as GitHub cuts it: ``per_page`` (max 100 here), 1-based ``page``."""
    per_page = min(int(q.get("per_page", [default])[0]), max(default, 100))
    page = max(int(q.get("page", ["1"])[0]), 1)
    last = max((len(items) + per_page - 1) // per_page, 1)
    links = {}
    if page < last:
        links.update(next=page + 1, last=last)
    if page > 1:
        links.update(first=1, prev=page - 1)
    return _Page(items[(page - 1) * per_page : page * per_page], links, per_page)


def _handler(gh: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    api = Api(gh)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # headers and body leave in one write: split writes meet the client's delayed ACK (~40 ms each)
        wbufsize = 1 << 16

        def log_message(self, *args: Any) -> None:  # quiet: pytest shows failures itself
            pass

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-GitHub-Api-Version-Selected", "2022-11-28")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _serve(self) -> None:
            split = urlsplit(self.path)
            query = parse_qs(split.query)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else {}
            request = Request(self.command, split.path, query, body)
            with gh.lock:
                gh.requests.append(request)
                status, payload, headers = self._answer(split.path, query, body)
                request.status = status
            self._send(status, payload, headers)

        def _answer(self, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any, dict[str, str]]:
            for failure in gh.failures:
                if failure.times > 0 and failure.method == self.command and failure.path.search(path):
                    failure.times -= 1
                    if failure.hang:
                        gh.lock.release()  # other requests go on while this one hangs
                        try:
                            gh.stopping.wait()
                        finally:
                            gh.lock.acquire()
                    if failure.after_write:
                        self._route(path, query, body)
                    return failure.status, failure.body, failure.headers
            return self._route(path, query, body)

        def _route(self, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any, dict[str, str]]:
            if self.headers.get("Authorization") != f"token {gh.token}":
                return 401, {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}, {}
            if USER_ROUTE.match(path) and self.command == "GET":
                return 403, {"message": "Resource not accessible by integration", "documentation_url": DOCS, "status": "403"}, {}
            for method, pattern, name in ROUTES:
                m = pattern.match(path)
                if method != self.command or not m:
                    continue
                params = m.groupdict()
                if (params.pop("owner"), params.pop("name")) != (OWNER, NAME):
                    break
                try:
                    result = getattr(api, name)(query, body, **params)
                except _Reply as reply:
                    return reply.status, reply.body, {}
                return self._shape(path, query, result)
            return 404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}, {}

        def _shape(self, path: str, query: dict[str, list[str]], result: Any) -> tuple[int, Any, dict[str, str]]:
            status = 200
            if isinstance(result, tuple) and isinstance(result[1], int):
                result, status = result
            headers = {}
            page = None
            if isinstance(result, _Page):
                page, result = result, result.items
            elif isinstance(result, tuple):
                result, page = result
            if page is not None and page.links:
                base = {k: v[0] for k, v in query.items() if k != "page"}
                base["per_page"] = str(page.per_page)
                parts = [f'<{gh.url}{path}?{urlencode({**base, "page": n})}>; rel="{rel}"' for rel, n in page.links.items()]
                headers["Link"] = ", ".join(parts)
            return status, result, headers

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PATCH(self) -> None:
            self._serve()

    return Handler


@pytest.fixture
def fake_github():
    """A FakeGitHub on 127.0.0.1 for one test; stopped afterwards."""
    gh = FakeGitHub().start()
    try:
        yield gh
    finally:
        gh.stop()
