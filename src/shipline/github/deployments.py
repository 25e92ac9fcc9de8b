"""Record deploys and rollbacks as GitHub Deployments and their statuses.

One deploy is one Deployment for the environment: ``in_progress`` when it starts,
then ``success`` (and the deployment it replaced ``inactive``) or ``failure``. A
rollback marks the rolled-back deployment ``failure`` with the reason, and puts a
``success`` status on the deployment it restored: `shipline dora` reads those statuses
for the change failure rate and the time to restore.
"""

from __future__ import annotations

from typing import Any, Protocol

from shipline.github.client import GitHub
from shipline.report import Reporter

PERMISSION = "deployments: write"
ROLLED_BACK = "rolled back: "
RESTORED = "restored by rollback: "
DESCRIPTION_MAX = 140  # GitHub refuses longer status descriptions


class DeploymentRecorder(Protocol):
    """What a deploy tells the outside world about its progress."""

    def start(self, environment: str, version: str, ref: str, url: str | None) -> None:
        """A deploy of ``version`` (commit ``ref``) to ``environment`` (served at ``url``) begins."""

    def finish(self, succeeded: bool, reason: str = "") -> None:
        """The deploy started last ended: live, or failed for ``reason``."""

    def rolled_back(self, environment: str, reason: str) -> None:
        """The environment went back to its previous version because of ``reason``."""


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

    def start(self, environment: str, version: str, ref: str, url: str | None) -> None:
        self._say()

    def finish(self, succeeded: bool, reason: str = "") -> None:
        self._say()

    def rolled_back(self, environment: str, reason: str) -> None:
        self._say()


class GitHubDeployments:
    """Deployments and statuses through the GitHub API."""

    def __init__(self, gh: GitHub, reporter: Reporter):
        self.gh = gh
        self.reporter = reporter
        self.current: Any = None  # the Deployment this run created
        self.previous: Any = None  # the one it replaces
        self.url: str | None = None

    def _status(self, deployment: Any, state: str, description: str) -> None:
        fields: dict[str, Any] = {"auto_inactive": False, "description": _short(description)}
        if self.gh.settings.run_url:
            fields["target_url"] = self.gh.settings.run_url
        if self.url and state in ("in_progress", "success"):
            fields["environment_url"] = self.url
        with self.gh.errors(f"setting deployment {deployment.id} to {state}", PERMISSION):
            deployment.create_status(state, **fields)

    def active(self, environment: str, skip: int | None = None) -> Any:
        """The environment's live deployment: the newest whose latest status is success."""
        with self.gh.errors(f"listing the deployments of {environment}", "deployments: read"):
            for deployment in self.gh.repo.get_deployments(environment=environment):
                if deployment.id == skip:
                    continue
                latest = next(iter(deployment.get_statuses()), None)
                if latest is not None and latest.state == "success":
                    return deployment
        return None

    def start(self, environment: str, version: str, ref: str, url: str | None) -> None:
        self.url = url
        self.previous = self.active(environment)
        with self.gh.errors(f"creating a deployment of {ref} to {environment}", PERMISSION):
            self.current = self.gh.repo.create_deployment(
                ref=ref,
                task="deploy",
                auto_merge=False,  # never merge the default branch into what is being deployed
                required_contexts=[],  # the pipeline's own gates already passed
                payload={"version": version, "tool": "shipline"},
                environment=environment,
                description=_short(f"shipline deploy of {version}"),
                transient_environment=False,  # production_environment: GitHub's default (true for "production")
            )
        self._status(self.current, "in_progress", f"deploying {version}")
        self.reporter.info(f"GitHub deployment {self.current.id} of {version} to {environment}: in progress")

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

    def rolled_back(self, environment: str, reason: str) -> None:
        failed = self.current or self.active(environment)
        if failed is None:
            self.reporter.info(f"GitHub deployments: nothing live in {environment} to mark rolled back")
            return
        self._status(failed, "failure", ROLLED_BACK + reason)
        restored = self.previous if self.current is not None else self._before(environment, failed.id)
        if restored is not None:
            self._status(restored, "success", RESTORED + reason)
        self.reporter.info(f"GitHub deployment {failed.id}: rolled back ({reason})")

    def _before(self, environment: str, failed_id: int) -> Any:
        """The deployment a manual rollback goes back to: the newest earlier one that went live."""
        with self.gh.errors(f"listing the deployments of {environment}", "deployments: read"):
            for deployment in self.gh.repo.get_deployments(environment=environment):
                if deployment.id >= failed_id:
                    continue
                if any(s.state == "success" for s in deployment.get_statuses()):
                    return deployment
        return None


def recorder(gh: GitHub | None, reporter: Reporter, why_not: str = NO_TOKEN) -> DeploymentRecorder:
    """The recorder to use: GitHub's when connected, else one that says once it skips, and why."""
    return GitHubDeployments(gh, reporter) if gh is not None else SkipRecording(reporter, why_not)
