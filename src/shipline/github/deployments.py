"""Record deploys and rollbacks as GitHub Deployments and their statuses.

One deploy is one Deployment: ``in_progress`` when it starts, then ``success`` (and
the deployment it replaced ``inactive``) or ``failure``. A rollback marks the
rolled-back deployment ``failure`` with the reason, and puts a ``success`` status on
the deployment it restored: `shipline dora` reads those statuses for the change
failure rate and the time to restore.

shipline's deployments carry ``{"tool": "shipline", "service": ..., "key": ...}`` in
their payload: only those are read back (a job with ``environment:`` makes GitHub
Actions create a deployment of its own, which is not counted). In a monorepo each
service deploys to its own GitHub environment, ``ENV/SERVICE``, so services never
mark each other's deployments inactive. Every status is written with
``auto_inactive: false``: shipline decides what it replaced.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, Protocol

from shipline.github.client import GitHub
from shipline.report import Reporter

PERMISSION = "deployments: write"
ROLLED_BACK = "rolled back: "
RESTORED = "restored by rollback: "
DESCRIPTION_MAX = 140  # GitHub refuses longer status descriptions
TOOL = "shipline"
SCAN_LIMIT = 30  # deployments read back to find the live one: bounded requests per deploy


def github_environment(environment: str, service: str = "") -> str:
    """The GitHub environment of ``service``'s deployments: ``ENV``, or ``ENV/SERVICE`` in a monorepo."""
    return f"{environment}/{service}" if service else environment


def is_ours(payload: Any, service: str | None = None) -> bool:
    """A deployment shipline made (for ``service``, when given): its payload says so."""
    if not isinstance(payload, dict) or payload.get("tool") != TOOL:
        return False
    return service is None or str(payload.get("service") or "") == service


def went_live_and_stayed(states: Iterable[str]) -> bool:
    """Its latest success-or-failure status (newest first) is a success: it serves, or served until replaced."""
    for state in states:
        if state in ("success", "failure", "error"):
            return state == "success"
    return False


class DeploymentRecorder(Protocol):
    """What a deploy tells the outside world about its progress."""

    def start(self, environment: str, version: str, ref: str, url: str | None) -> None:
        """A deploy of ``version`` (commit ``ref``) to ``environment`` (served at ``url``) begins."""

    def finish(self, succeeded: bool, reason: str = "") -> None:
        """The deploy started last ended: live, or failed for ``reason``."""

    def rolled_back(self, environment: str, reason: str, url: str | None = None) -> None:
        """The environment (served at ``url``) went back to its previous version because of ``reason``."""

    @property
    def deployment_id(self) -> int | None:
        """The deployment this run created (a deploy) or restored (a rollback)."""


def _short(text: str) -> str:
    return text if len(text) <= DESCRIPTION_MAX else text[: DESCRIPTION_MAX - 1] + "…"


NO_TOKEN = "set GITHUB_TOKEN and GITHUB_REPOSITORY to record them"
UNDER_ACT = "a local run under act is not a deployment of the repository on GitHub"


class SkipRecording:
    """Without GitHub (or under act): say once that deployments are not recorded, then go on."""

    def __init__(self, reporter: Reporter, why: str = NO_TOKEN):
        self.reporter = reporter
        self.why = why
        self.said = False

    def _say(self) -> None:
        if not self.said:
            self.said = True
            self.reporter.info(f"GitHub deployments: not recorded ({self.why})")

    @property
    def deployment_id(self) -> int | None:
        return None

    def start(self, environment: str, version: str, ref: str, url: str | None) -> None:
        self._say()

    def finish(self, succeeded: bool, reason: str = "") -> None:
        self._say()

    def rolled_back(self, environment: str, reason: str, url: str | None = None) -> None:
        self._say()


class GitHubDeployments:
    """Deployments and statuses of one service through the GitHub API."""

    def __init__(self, gh: GitHub, reporter: Reporter, service: str = ""):
        self.gh = gh
        self.reporter = reporter
        self.service = service
        self.current: Any = None  # the Deployment this run created
        self.previous: Any = None  # the one it replaces
        self.restored: Any = None  # the one a rollback put back
        self.url: str | None = None

    @property
    def deployment_id(self) -> int | None:
        chosen = self.current if self.current is not None else self.restored
        return int(chosen.id) if chosen is not None else None

    def _status(self, deployment: Any, state: str, description: str) -> None:
        fields: dict[str, Any] = {"auto_inactive": False, "description": _short(description)}
        if self.gh.settings.run_url:
            fields["target_url"] = self.gh.settings.run_url
        if self.url and state in ("in_progress", "success"):
            fields["environment_url"] = self.url

        def written() -> Any:
            latest = next(iter(deployment.get_statuses()), None)
            same = latest is not None and latest.state == state and (latest.description or "") == fields["description"]
            return latest if same else None

        self.gh.create_once(f"setting deployment {deployment.id} to {state}", PERMISSION, lambda: deployment.create_status(state, **fields), written)

    def _ours(self, environment: str) -> list[Any]:
        """shipline's deployments of this service, newest first (at most `SCAN_LIMIT`)."""
        out = []
        with self.gh.errors(f"listing the deployments of {environment}", "deployments: read"):
            for deployment in self.gh.repo.get_deployments(environment=github_environment(environment, self.service)):
                if is_ours(deployment.payload, self.service):
                    out.append(deployment)
                if len(out) >= SCAN_LIMIT:
                    break
        return out

    def _live(self, environment: str, below: int | None = None) -> Any:
        """The newest deployment (older than ``below``) that went live and was not rolled back."""
        for deployment in self._ours(environment):
            if below is not None and deployment.id >= below:
                continue
            with self.gh.errors(f"reading the statuses of deployment {deployment.id}", "deployments: read"):
                if went_live_and_stayed(s.state for s in deployment.get_statuses()):
                    return deployment
        return None

    def active(self, environment: str) -> Any:
        """The environment's live deployment of this service."""
        return self._live(environment)

    def start(self, environment: str, version: str, ref: str, url: str | None) -> None:
        self.url = url
        self.previous = self.active(environment)
        target = github_environment(environment, self.service)
        payload = {"tool": TOOL, "service": self.service, "environment": environment, "version": version, "key": uuid.uuid4().hex}

        def create() -> Any:
            return self.gh.repo.create_deployment(
                ref=ref,
                task="deploy",
                auto_merge=False,  # never merge the default branch into what is being deployed
                required_contexts=[],  # the pipeline's own gates already passed
                payload=payload,
                environment=target,
                description=_short(f"shipline deploy of {version}"),
                transient_environment=False,
            )

        def made() -> Any:
            return next((d for d in self._ours(environment) if d.payload.get("key") == payload["key"]), None)

        self.current = self.gh.create_once(f"creating a deployment of {ref} to {target}", PERMISSION, create, made)
        self._status(self.current, "in_progress", f"deploying {version}")
        self.reporter.info(f"GitHub deployment {self.current.id} of {version} to {target}: in progress")

    def finish(self, succeeded: bool, reason: str = "") -> None:
        if self.current is None:
            return
        if succeeded:
            self._status(self.current, "success", reason or "live")
            if self.previous is not None:
                self._status(self.previous, "inactive", f"replaced by deployment {self.current.id}")
        else:
            self._status(self.current, "failure", reason or "failed")
        self.reporter.info(f"GitHub deployment {self.current.id}: {'success' if succeeded else 'failure'}")

    def rolled_back(self, environment: str, reason: str, url: str | None = None) -> None:
        self.url = url or self.url
        failed = self.current or self.active(environment)
        if failed is None:
            self.reporter.info(f"GitHub deployments: nothing live in {github_environment(environment, self.service)} to mark rolled back")
            return
        self._status(failed, "failure", ROLLED_BACK + reason)
        self.restored = self.previous if self.current is not None else self._live(environment, below=failed.id)
        if self.restored is not None:
            self._status(self.restored, "success", RESTORED + reason)
        self.reporter.info(f"GitHub deployment {failed.id}: rolled back ({reason})")


def recorder(gh: GitHub | None, reporter: Reporter, why_not: str = NO_TOKEN, service: str = "") -> DeploymentRecorder:
    """The recorder to use: GitHub's when connected, else one that says once it skips, and why."""
    return GitHubDeployments(gh, reporter, service) if gh is not None else SkipRecording(reporter, why_not)
