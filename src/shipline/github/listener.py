"""Follow a deploy's timeline on GitHub: deployment statuses as it goes, an incident on rollback.

Hooked onto `shipline.deploy.events.Timeline` by `shipline deploy` and `shipline
rollback`. A GitHub failure never changes the course of a deploy: it becomes one
warning naming what is not recorded (and the permission to add, or how long GitHub
made it wait), and the listener stops talking to GitHub. Every wait is bounded by
the client (timeouts, a capped rate-limit wait), so a deploy is never held up for
long. The listener only reads the token through its client: it starts no process.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from shipline import manifest
from shipline.deploy.events import Event
from shipline.errors import ShiplineError
from shipline.github import incidents
from shipline.github.client import GitHub, connect
from shipline.github.deployments import NO_TOKEN, UNDER_ACT, DeploymentRecorder, github_environment, recorder
from shipline.report import Reporter

FAILED_MEASUREMENTS = ("failed", "error", "inconclusive")


class GitHubListener:
    """Deployments and statuses for each deploy or rollback, and the incident of an automatic rollback."""

    def __init__(self, gh: GitHub | None, reporter: Reporter, environment: manifest.Environment, ref: str, why_not: str = NO_TOKEN, service: str = ""):
        self.gh = gh
        self.reporter = reporter
        self.environment = environment
        self.ref = ref
        self.service = service
        self.recorder: DeploymentRecorder = recorder(gh, reporter, why_not, service)
        self.operation = ""
        self.events: list[Event] = []
        self.broken = False

    def on_event(self, event: Event) -> None:
        """Move the GitHub deployment along with the deploy's events."""
        self.events.append(event)
        if self.broken:
            return
        try:
            self._handle(event)
        except ShiplineError as err:
            self.broken = True
            self.reporter.warning(f"{err}; not recorded on GitHub: {self._unrecorded(event)}; the {self.operation or 'deploy'} goes on", title="GitHub")

    def _unrecorded(self, event: Event) -> str:
        """What this run will not record, from the event that broke the connection on."""
        where = github_environment(self.environment.name, self.service)
        if self.operation == "rollback":
            return f"the rollback of {where} (deployment statuses, closing the incident)"
        if event.kind == "start":
            return f"the deployment to {where} and its statuses, and any incident"
        if event.kind == "rolled-back":
            return f"the rollback of {where} (deployment statuses) and its incident"
        return f"the outcome of the deployment to {where} ({event.kind}) and any incident"

    def _handle(self, event: Event) -> None:
        name = self.environment.name
        if event.kind == "start":
            # a deploy's start names the slot it replaces; a rollback's does not
            self.operation = event.data.get("operation") or ("deploy" if "previous_color" in event.data else "rollback")
            if self.operation == "deploy":
                version = event.data.get("version") or self.ref
                self.recorder.start(name, version, self.ref or version, self.environment.url)
                self._output_deployment()
        elif self.operation == "deploy" and event.kind == "promoted":
            self.recorder.finish(True, event.message)
            self._resolve(event, f"deployment {self.recorder.deployment_id} ({event.data.get('version') or self.ref}) went live")
        elif self.operation == "deploy" and event.kind in ("failed", "interrupted"):
            self.recorder.finish(False, event.message)
        elif event.kind == "rolled-back":
            self.recorder.rolled_back(name, event.message, self.environment.url)
            if self.operation == "deploy" and self.environment.incidents.enabled:
                self._incident(event)
            elif self.operation == "rollback":
                self._output_deployment()
                self._resolve(event, f"rollback: {event.message}")

    def _output_deployment(self) -> None:
        if self.recorder.deployment_id is not None:
            self.reporter.output("deployment-id", str(self.recorder.deployment_id))

    def _timeline(self) -> list[incidents.Event]:
        return [incidents.Event(datetime.fromtimestamp(e.at, timezone.utc), f"{e.kind}: {e.message}") for e in self.events]

    def _resolve(self, event: Event, how: str) -> None:
        """Service is healthy again: close the open incident with the time to restore."""
        if self.gh is None or not self.environment.incidents.enabled:
            return
        restored = datetime.fromtimestamp(event.at, timezone.utc)
        where = self.environment.name
        issue = incidents.resolve(self.gh, where, self.environment.incidents.labels, how, restored, self.service, self._timeline())
        if issue is not None:
            self.reporter.info(f"incident #{issue.number} closed: {how} ({issue.html_url})")
            self.reporter.output("incident-url", issue.html_url)

    def _incident(self, event: Event) -> None:
        if self.gh is None:
            return  # the recorder already said GitHub is not configured
        settings = self.environment.incidents
        analysis = self.environment.deploy.analysis
        error_rate, p95 = worst(self.events)
        level, why = incidents.severity(settings.rules, settings.default_severity, error_rate, p95)
        incident = incidents.Incident(
            environment=self.environment.name,
            severity=level,
            reason=event.message,
            version=str(event.data.get("version") or ""),
            measurements=measurements(self.events, analysis.max_error_rate, analysis.max_p95_ms),
            timeline=self._timeline(),
            run_url=self.gh.settings.run_url,
            rule=why,
            labels=settings.labels,
            service=self.service,
            deployment_id=self.recorder.deployment_id,
        )
        done, issue = incidents.open_or_comment(self.gh, incident)
        self.reporter.info(f"incident {done}: #{issue.number} ({level}) {issue.html_url}")
        self.reporter.output("incident-url", issue.html_url)


def _samples(events: list[Event]) -> list[tuple[Event, Mapping[str, Any]]]:
    return [(e, sample) for e in events if e.kind == "measurement" for sample in e.data.get("samples", {}).values()]


def worst(events: list[Event]) -> tuple[float | None, float | None]:
    """The highest error rate and p95 the new version showed in measurements that did not pass.

    A canary's ``stable`` samples measure the old version, the baseline: left out.
    """
    rates: list[float] = []
    p95s: list[float] = []
    for e, sample in _samples(events):
        if e.data.get("status") in FAILED_MEASUREMENTS and sample.get("target") != "stable":
            rates += [sample["error_rate"]] if sample.get("error_rate") is not None else []
            p95s += [sample["p95_ms"]] if sample.get("p95_ms") is not None else []
    return (max(rates) if rates else None, max(p95s) if p95s else None)


def measurements(events: list[Event], max_error_rate: float, max_p95_ms: float) -> list[incidents.Measurement]:
    """One row per target per analysis measurement, next to the analysis limits."""
    rows = []
    limit = f"error rate ≤ {max_error_rate:.1%}, p95 ≤ {max_p95_ms:g} ms"
    for e, sample in _samples(events):
        p95 = sample.get("p95_ms")
        value = f"error rate {sample.get('error_rate', 0):.1%}, p95 {'n/a' if p95 is None else f'{p95:g} ms'} ({sample.get('requests')} requests)"
        name = f"#{e.data.get('index')} {sample.get('target', '')} ({e.data.get('phase', '')}): {e.data.get('status')}"
        rows.append(incidents.Measurement(name, value, limit))
    return rows


def for_deploy(environ: Mapping[str, str], reporter: Reporter, environment: manifest.Environment, service: str = "") -> GitHubListener:
    """The listener `shipline deploy` and `shipline rollback` register: connected when GitHub is configured.

    The deployment is of ``$GITHUB_SHA`` when set (always, in a workflow), else of
    the version being deployed, which must then be a ref GitHub knows (a tag).
    Under act nothing is recorded, token or not: the run is local, and its repository
    name and pull request are simulated. ``service`` is the monorepo service (empty
    for a single-service manifest): its records never mix with another service's.
    """
    if environ.get("ACT") == "true":
        return GitHubListener(None, reporter, environment, "", UNDER_ACT, service)
    return GitHubListener(connect(environ, reporter), reporter, environment, environ.get("GITHUB_SHA", ""), service=service)
