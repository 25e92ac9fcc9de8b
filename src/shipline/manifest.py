"""The one place the `shipline.yml` schema lives.

Pydantic models with ``extra="forbid"``; `load()` reads the file with the safe YAML
loader and turns every validation error into a located, human message (see
`shipline.validation`). `shipline schema` prints `Manifest`'s JSON Schema.

Defaults come from operations practice (DESIGN.md): roll back when the error rate is
over 5% or p95 over 3 s; canary steps 5, 25, 50, 100%.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    RootModel,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from shipline import validation, yamlfile
from shipline.errors import InputError, Problem
from shipline.languages import LANGUAGES as LANGUAGE_PLUGINS

SCHEMA_URL = "https://raw.githubusercontent.com/shipline/shipline/v1/schema/shipline.schema.json"

LANGUAGES = tuple(LANGUAGE_PLUGINS)
DEFAULT_RUNTIME = {name: plugin.default_runtime for name, plugin in LANGUAGE_PLUGINS.items()}
if TYPE_CHECKING:  # a name from the language registry, known only when the plugins load
    Language = str
else:  # the schema lists them
    Language = Literal[LANGUAGES]
SEVERITIES = ("critical", "high", "medium", "low", "none")
IncidentSeverity = Literal["P0", "P1", "P2", "P3", "P4"]
INCIDENT_SEVERITIES: tuple[IncidentSeverity, ...] = ("P0", "P1", "P2", "P3", "P4")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m(?!s))?\s*(?:(\d+(?:\.\d+)?)s)?\s*(?:(\d+(?:\.\d+)?)ms)?\s*$")
_NAME = r"^[a-z0-9][a-z0-9._-]{0,62}$"
_SHA = re.compile(r"^[0-9a-f]{40}$")


def _quote(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def parse_duration(value: Any) -> float:
    """Seconds from ``90``, ``1.5``, ``"30s"``, ``"5m"``, ``"1h30m"`` or ``"500ms"``."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as 30s, 5m or 1h, got {_quote(value)}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and value.strip() and (m := _DURATION.match(value)):
        h, mins, s, ms = (float(g) if g else 0.0 for g in m.groups())
        seconds = h * 3600 + mins * 60 + s + ms / 1000
    else:
        raise ValueError(f"expected a duration such as 30s, 5m or 1h, got {_quote(value)}")
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative, got {_quote(value)}")
    return seconds


def parse_fraction(value: Any) -> float:
    """A share from ``0.05`` or ``"5%"``, between 0 and 1."""
    if isinstance(value, bool):
        raise ValueError(f"expected a share such as 5% or 0.05, got {_quote(value)}")
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            share = float(value.strip()[:-1]) / 100
        except ValueError:
            raise ValueError(f"expected a share such as 5% or 0.05, got {_quote(value)}") from None
    elif isinstance(value, (int, float)):
        share = float(value)
    else:
        raise ValueError(f"expected a share such as 5% or 0.05, got {_quote(value)}")
    if not 0 <= share <= 1:
        raise ValueError(f"a share must be between 0% and 100%, got {_quote(value)}")
    return share


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": _DURATION.pattern}], "description": "seconds, or 30s, 5m, 1h30m, 500ms"}),
]
Fraction = Annotated[
    float,
    BeforeValidator(parse_fraction),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0, "maximum": 1}, {"type": "string", "pattern": r"^\d+(\.\d+)?%$"}], "description": "a share: 0.05 or 5%"}),
]
Name = Annotated[str, Field(pattern=_NAME, description="lower-case letters, digits, '.', '_' and '-'")]
UrlPath = Annotated[str, Field(pattern=r"^/", description="a path starting with /")]
Port = Annotated[int, Field(ge=1, le=65535)]
Status = Annotated[int, Field(ge=100, le=599)]
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class Strict(BaseModel):
    """Every section rejects unknown keys and is immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    # where the section was read (validation.locate): problems found later are located
    _origin: validation.Origin | None = PrivateAttr(default=None)


# -- kit, project, build, test --------------------------------------------------------


class Kit(Strict):
    """Where the generated workflows find shipline's actions."""

    repository: str = Field("shipline/shipline", pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", description="owner/name of the kit")
    ref: str = Field("v1", pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$", description="a tag such as v1 or a full commit SHA")

    @property
    def pinned(self) -> bool:
        """Whether ``ref`` is a full commit SHA."""
        return bool(_SHA.match(self.ref))


class Project(Strict):
    """What is being shipped."""

    name: Name
    language: Language
    runtime: str | None = Field(None, description="runtime version (3.12, 20, 1.22); defaults per language")
    working_directory: str = Field(".", description="where commands run, relative to the repository root")

    @property
    def runtime_version(self) -> str | None:
        """The runtime version, or the language's default."""
        return self.runtime or DEFAULT_RUNTIME[self.language]


class Build(Strict):
    """How to build; empty means the language's default."""

    command: str | None = Field(None, description="replaces the language's default build")
    artifacts: list[str] = Field(default_factory=list, description="globs of files the build produces")
    image: str | None = Field(None, description="container image name (language: container)")


class Install(Strict):
    """How the build and test jobs install the project's dependencies; empty means the language's default."""

    build: str | None = Field(None, description="replaces the default install in the build job (pip install build, npm ci...)")
    test: str | None = Field(None, description="replaces the default install in the test job (the project with its test extras and groups, npm ci...)")


class Test(Strict):
    """How to test."""

    enabled: bool = Field(True, description="false: no test job (a project without tests)")
    command: str | None = Field(None, description="default: pytest with JUnit XML and coverage (python), npm test, go test ./...")
    matrix: list[str] = Field(default_factory=list, description="runtime versions to test on; default: the project's")
    coverage_min: float | None = Field(None, ge=0, le=100, description="fail below this line coverage, in percent")
    junit: str | None = Field(None, description="JUnit XML the command writes, when it is not the default")


class Security(Strict):
    """Security scan: semgrep and bandit, gating on new findings only."""

    enabled: bool = True
    semgrep: bool = True
    bandit: bool | None = Field(None, description="default: on for python projects")
    fail_on: Literal["critical", "high", "medium", "low", "none"] = "high"
    rules: list[str] = Field(default_factory=list, description="extra semgrep configs: rule files or registry names")
    paths: list[str] = Field(default_factory=lambda: ["."])
    exclude: list[str] = Field(default_factory=list)
    baseline: str = ".shipline/scan-baseline.json"
    suppressions: str = ".shipline/suppressions.yml"


# -- load test and smoke --------------------------------------------------------------


class Slo(Strict):
    """Service level objectives a load test must meet."""

    p50_ms: float | None = Field(None, gt=0)
    p90_ms: float | None = Field(None, gt=0)
    p95_ms: float | None = Field(3000, gt=0)
    p99_ms: float | None = Field(None, gt=0)
    p99_9_ms: float | None = Field(None, gt=0, description="p99.9 response time")
    avg_ms: float | None = Field(None, gt=0, description="average response time")
    max_ms: float | None = Field(None, gt=0, description="slowest response")
    error_rate: Fraction = 0.05
    exception_rate: Fraction = Field(0, description="share of task runs whose code raised (load_test.slo only: raised errors belong to no endpoint)")
    min_rps: float | None = Field(None, ge=0)


class Endpoint(Strict):
    """A request the generic locustfile makes."""

    name: str | None = None
    path: UrlPath
    method: HttpMethod = "GET"
    weight: int = Field(1, ge=1)
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = None
    expect_status: Status | list[Status] = 200
    slo: Slo | None = Field(None, description="this endpoint's own SLO; only the fields given apply")

    @model_validator(mode="after")
    def _no_run_wide_limit(self) -> Endpoint:
        if self.slo is not None and "exception_rate" in self.slo.model_fields_set:
            raise ValueError("exception_rate applies to the whole run: set it in load_test.slo, not on an endpoint")
        return self


class Regression(Strict):
    """How much worse than the baseline run a load test may be."""

    max_p95_increase: Fraction = 0.2
    max_rps_decrease: Fraction = 0.2
    p95_noise_ms: float = Field(5, ge=0, description="p95 growth of at most this many milliseconds is never a regression (noise at that scale)")


AbortLimit = Literal["p50_ms", "p90_ms", "p95_ms", "p99_ms", "p99_9_ms", "avg_ms", "max_ms", "error_rate", "exception_rate", "min_rps"]


def _default_abort_on_fail() -> list[AbortLimit]:
    return ["error_rate"]


class LoadTest(Strict):
    """Load test with locust and SLO gates."""

    enabled: bool = True
    locustfile: str | None = Field(None, description="default: the generic locustfile driven by endpoints")
    endpoints: list[Endpoint] = Field(default_factory=lambda: [Endpoint(path="/")])
    users: int = Field(10, ge=1)
    spawn_rate: float = Field(5, gt=0)
    duration: Duration = 30
    max_duration: Duration = 600
    processes: Annotated[int, Field(ge=1)] | Literal["auto"] = Field(1, description="locust processes on one runner; auto = one per core")
    environment: Name | None = Field(None, description="where the pipeline load-tests; default: the first environment")
    slo: Slo = Field(default_factory=Slo)
    regression: Regression = Field(default_factory=Regression)
    abort_on_fail: list[AbortLimit] = Field(
        default_factory=_default_abort_on_fail, description="SLO limits checked every second during the run; the first breach stops it"
    )
    delay_abort: Duration = Field(10, description="warm-up before abort_on_fail limits are checked")

    @model_validator(mode="after")
    def _duration_within_cap(self) -> LoadTest:
        if self.duration > self.max_duration:
            raise ValueError(f"duration {self.duration:g}s is over max_duration {self.max_duration:g}s")
        return self


class SmokeCheck(Strict):
    """One request and what must come back."""

    name: str | None = None
    path: UrlPath
    method: HttpMethod = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = None
    expect_status: Status | list[Status] = 200
    body_contains: str | None = None
    json_equals: dict[str, Any] | None = Field(None, description="dotted JSON field -> expected value")
    max_latency_ms: float | None = Field(None, gt=0)


class Smoke(Strict):
    """Smoke tests after every deploy."""

    enabled: bool = True
    checks: list[SmokeCheck] = Field(default_factory=lambda: [SmokeCheck(path="/healthz")])
    deadline: Duration = 60
    retry_interval: Duration = 1


# -- environments and deploys ---------------------------------------------------------


class Probe(Strict):
    """The built-in metric provider: HTTP requests measuring errors and latency."""

    path: UrlPath = "/"
    requests: int = Field(20, ge=1, le=10_000, description="requests per measurement")
    concurrency: int = Field(2, ge=1, le=64)
    timeout: Duration = 5


PROMETHEUS_MEASURES = ("requests", "errors", "p50_ms", "p95_ms", "p99_ms")
PROMQL_VARIABLES = ("environment", "target", "color", "server", "backend", "window", "version")


class PrometheusMetric(Strict):
    """A named PromQL query giving one figure of a measurement, or judged by its own condition; ``{{ name }}`` fills in PROMQL_VARIABLES."""

    name: Name
    measures: Literal["requests", "errors", "p50_ms", "p95_ms", "p99_ms"] | None = Field(
        None, description="the figure this query gives: requests and errors counted over the window, or a latency in ms"
    )
    query: str = Field(min_length=1, description="PromQL; {{ environment }}, {{ target }} (canary, stable, live), {{ color }}, {{ server }}, {{ backend }}, {{ window }}, {{ version }}")
    success: str | None = Field(None, description='a condition on the query\'s value for the judged target, "result OP NUMBER" (OP: < <= > >= == !=), e.g. "result < 0.05"')


class PrometheusAnalysis(Strict):
    """The ``prometheus`` provider: figures from PromQL; with the haproxy router no query is needed."""

    url: str = Field("http://127.0.0.1:9090", pattern=r"^https?://", description="the Prometheus server the queries go to")
    window: Duration = Field(30, description="how far back each measurement looks ({{ window }} in queries)")
    settle: Duration = Field(30, description="each measurement waits this long first, so Prometheus has scraped the traffic since the last weight change")
    timeout: Duration = 5
    metrics: list[PrometheusMetric] = Field(default_factory=list, description="replace the default query of the figures they measure")
    # set when the manifest is parsed: where things are, and the environment the queries are about
    _where: dict[str, tuple[str, int, int]] = PrivateAttr(default_factory=dict)
    _environment: Environment | None = PrivateAttr(None)

    def locate(self, what: str) -> tuple[str, int, int]:
        """File, line and column of ``url`` or ``metrics.N.query`` in the manifest (empty when built in code)."""
        return self._where.get(what, ("", 0, 0))

    @property
    def environment(self) -> Environment | None:
        """The environment whose deploys these queries judge."""
        return self._environment


class Analysis(Strict):
    """Promote or roll back, with Argo Rollouts' semantics."""

    provider: Literal["probe", "prometheus"] = "probe"
    interval: Duration = 10
    count: int = Field(3, ge=1)
    failure_limit: int = Field(0, ge=0)
    consecutive_error_limit: int = Field(4, ge=0)
    inconclusive: Literal["rollback", "promote"] = "rollback"
    inconclusive_limit: int | None = Field(None, ge=0, description="more inconclusive measurements than this pause the deploy for a person (promote or abort)")
    initial_delay: Duration = Field(0, description="wait this long after each traffic step before the first measurement")
    max_error_rate: Fraction = 0.05
    max_p95_ms: float = Field(3000, gt=0)
    relative_p95_factor: float | None = Field(None, ge=1, description="canary p95 at most stable p95 times this")
    probe: Probe = Field(default_factory=Probe)
    prometheus: PrometheusAnalysis = Field(default_factory=PrometheusAnalysis)

    def success_conditions(self) -> list[tuple[str, str]]:
        """(metric name, condition) of every named metric of the chosen provider that has a ``success`` condition."""
        metrics = getattr(getattr(self, self.provider), "metrics", [])
        return [(m.name, m.success) for m in metrics if m.success]


def _default_servers() -> dict[Literal["blue", "green"], str]:
    return {"blue": "blue", "green": "green"}


class HaproxyRouter(Strict):
    """Weights servers through haproxy's runtime API; no reload."""

    type: Literal["haproxy"]
    admin_socket: str = Field(description="path of haproxy's admin socket (stats socket ... level admin)")
    backend: str = "app"
    servers: dict[Literal["blue", "green"], str] = Field(default_factory=_default_servers)
    server_state_file: str | None = Field(None, description="haproxy's server-state-file: weights are saved there after each change and survive a restart (for an environment with hosts, on each host: a relative path is under hosts[].dir)")


class NginxRouter(Strict):
    """Writes an upstream include file, checks it with nginx -t, reloads gracefully."""

    type: Literal["nginx"]
    upstream_file: str
    upstream: str = "app"
    config: str | None = Field(None, description="nginx.conf for nginx -t and the reload")
    nginx: str = "nginx"


class CommandRouter(Strict):
    """The user's own hooks; COLOR, PORT, VERSION and WEIGHT are in their environment."""

    type: Literal["command"]
    switch: str = Field(description="send all traffic to COLOR")
    set_weights: str | None = Field(None, description="send WEIGHT percent to COLOR (canary)")
    check: str | None = Field(None, description="exits 0 when the router is up; run before a deploy changes anything")


Router = Annotated[HaproxyRouter | NginxRouter | CommandRouter, Field(discriminator="type")]
ROUTER_TYPES = ("command", "haproxy", "nginx")


class Slot(Strict):
    """One of the two places a version runs."""

    port: Port
    host: str = "127.0.0.1"
    start: str | None = Field(None, description="command shipline runs as a daemon; COLOR, PORT, VERSION set")
    stop: str | None = Field(None, description="hook that stops the slot; default: signal the daemon")
    health_url: str | None = Field(None, description="default: http://HOST:PORT + health_path")


class Slots(Strict):
    blue: Slot
    green: Slot

    @model_validator(mode="after")
    def _apart(self) -> Slots:
        if (self.blue.host, self.blue.port) == (self.green.host, self.green.port):
            raise ValueError(
                f"the blue and green slots both listen on {self.blue.host}:{self.blue.port}; "
                "each slot needs its own port, or the new version cannot start beside the live one"
            )
        return self


class CanaryPause(Strict):
    """A canary step that holds the weights: for a duration, or until `shipline promote` (``pause: promote``)."""

    pause: Duration | Literal["promote"]


def _default_canary_steps() -> list[int | CanaryPause]:
    return [5, 25, 50, 100]


class Deploy(Strict):
    """How an environment takes a new version."""

    strategy: Literal["blue-green", "canary"] = "blue-green"
    router: Router
    slots: Slots
    health_path: UrlPath = "/healthz"
    health_timeout: Duration = 30
    version_header: str | None = Field(None, description="health passes only when the health answer carries this header naming the version deployed")
    canary_steps: list[int | CanaryPause] = Field(
        default_factory=_default_canary_steps, description="traffic percentages, and {pause: DURATION} or {pause: promote} between them"
    )
    progress_deadline: Duration = Field(600, description="longest pause (or stalled run) before traffic returns to the stable slot by itself")
    analysis: Analysis = Field(default_factory=Analysis)
    keep_previous_for: Duration = Field(0, description="keep the old slot running this long after promotion")
    lock_timeout: Duration = 300
    state_dir: str | None = Field(None, description="default: $SHIPLINE_STATE_HOME, $XDG_STATE_HOME or ~/.local/state, then shipline/PROJECT")
    releases_dir: str | None = Field(None, description="where versions are unpacked; default: ENVIRONMENT.releases in the state_dir")
    keep_releases: int = Field(5, ge=1, description="releases kept on disk (the live and previous ones always are)")
    artifact: str | None = Field(None, description="what the build produced (directory, tarball, wheel or zip; a glob picks the newest); default: git archive of the version")
    env: dict[str, str] = Field(default_factory=dict, description="environment of the slots and hooks, besides PATH, HOME, LANG, TZ")
    pass_env: list[str] = Field(default_factory=list, description="names passed through from the deploy's own environment")
    on_rollback: list[str] = Field(default_factory=list, description="commands run after a rollback")

    @field_validator("router")
    @classmethod
    def _router_can_do_the_strategy(cls, router: Any, info: ValidationInfo) -> Any:
        if info.data.get("strategy") == "canary" and isinstance(router, CommandRouter) and not router.set_weights:
            raise ValueError("strategy canary moves traffic step by step: this command router needs a set_weights hook")
        return router

    @field_validator("canary_steps")
    @classmethod
    def _steps_climb_to_100(cls, given: list[int | CanaryPause]) -> list[int | CanaryPause]:
        steps = [s for s in given if isinstance(s, int)]
        if not steps:
            raise ValueError("canary_steps needs at least one step")
        if any(not 0 < s <= 100 for s in steps):
            raise ValueError(f"canary steps are percentages from 1 to 100, got {steps}")
        if any(b <= a for a, b in zip(steps, steps[1:])):
            raise ValueError(f"canary steps must increase, got {steps}")
        if steps[-1] != 100:
            raise ValueError(f"the last canary step must be 100, got {steps[-1]}")
        return given

    @property
    def canary_weights(self) -> list[int]:
        """The traffic steps of ``canary_steps``, without the pauses."""
        return [s for s in self.canary_steps if isinstance(s, int)]


class IncidentRule(Strict):
    """A severity that applies when the measurements that caused a rollback reach it."""

    severity: IncidentSeverity
    min_error_rate: Fraction | None = None
    min_p95_ms: float | None = Field(None, gt=0)


def _default_incident_rules() -> list[IncidentRule]:
    return [
        IncidentRule(severity="P0", min_error_rate=0.5),
        IncidentRule(severity="P1", min_error_rate=0.05),
        IncidentRule(severity="P2", min_p95_ms=3000),
    ]


class Incidents(Strict):
    """Open a GitHub issue when this environment rolls back by itself."""

    enabled: bool = False
    rules: list[IncidentRule] = Field(default_factory=_default_incident_rules)
    default_severity: IncidentSeverity = "P3"
    labels: list[str] = Field(default_factory=lambda: ["incident"])


class Host(Strict):
    """A server the environment deploys to over SSH: the release goes there, its slots and router run there."""

    host: str = Field(min_length=1, description="address or name the runner connects to")
    user: str = Field(min_length=1, description="the login; its key comes from the SHIPLINE_SSH_KEY secret")
    port: Port = Field(22, description="the SSH port")
    name: str | None = Field(None, description="what messages call the host; default: host")
    address: str | None = Field(None, description="the address the slots listen on, on the host; default: the slots' host")
    url: str | None = Field(None, pattern=r"^https?://", description="this host's own entry point (its router), measured by the analysis and smoke-tested besides the environment's url")
    dir: str = Field(".local/state/shipline", description="where releases, pid files and slot logs live on the host (relative to the login's home)")

    @property
    def label(self) -> str:
        """The host's name in messages."""
        return self.name or self.host


class Environment(Strict):
    """A place the pipeline deploys to, in order."""

    name: Name
    url: str = Field(pattern=r"^https?://", description="the live entry point")
    github_environment: str | None = Field(None, description="GitHub environment (approvals); default: name")
    approval: bool = Field(False, description="the job waits for the GitHub environment's reviewers")
    allow_load_test: bool = Field(False, description="allow load tests against this environment's URL")
    runs_on: str | list[str] | None = Field(
        None, description="labels of a self-hosted runner on the server; this environment's deploy, rollback and smoke jobs run there"
    )
    hosts: list[Host] = Field(default_factory=list, description="servers reached over SSH from the runner; every host gets the release, its slots and its router")
    canary_hosts: int = Field(1, ge=1, description="canary: the first hosts that take the canary weights before the rest follow")
    max_parallel: int = Field(1, ge=1, description="hosts switched at once when a change rolls across them")
    deploy: Deploy
    incidents: Incidents = Field(default_factory=Incidents)

    @model_validator(mode="after")
    def _bind_prometheus(self) -> Environment:
        self.deploy.analysis.prometheus._environment = self
        return self

    @field_validator("hosts")
    @classmethod
    def _hosts_apart(cls, hosts: list[Host]) -> list[Host]:
        seen: dict[tuple[str, int], str] = {}
        for host in hosts:
            where = (host.host, host.port)
            if where in seen:
                raise ValueError(f"{host.label} and {seen[where]} are the same server ({host.host}:{host.port}); list each host once")
            seen[where] = host.label
        labels = [h.label for h in hosts]
        twice = sorted({n for n in labels if labels.count(n) > 1})
        if twice:
            raise ValueError(f"host name {twice[0]!r} is used twice; give each host its own name")
        return hosts

    @property
    def github_environment_name(self) -> str:
        """The GitHub environment the deploy job runs in."""
        return self.github_environment or self.name


# -- monitoring -----------------------------------------------------------------------


def _default_receivers() -> dict[IncidentSeverity, str]:
    return {"P0": "page", "P1": "page", "P2": "page", "P3": "ticket", "P4": "log"}


class Monitoring(Strict):
    """What `shipline monitor` writes from the SLOs: rules and their tests, alert routes, dashboards, scrape config."""

    output: str = Field("monitoring", description="directory for the generated files, relative to the manifest")
    availability: Fraction = Field(0.999, description="availability SLO: the share of requests that must not answer 5xx")
    latency: Fraction = Field(0.99, description="latency SLO: the share of requests faster than load_test.slo.p95_ms")
    latency_histogram: str | None = Field(
        None, pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$", description="a histogram of request seconds the app exports (name without _bucket); enables the latency SLO"
    )
    warning_error_rate: Fraction = Field(0.02, description="P4 when errors stay over this share for 10 minutes")
    runbook_url: str = Field("https://github.com/shipline/shipline/blob/v1/docs/runbook.md", pattern=r"^https?://", description="alerts link here, with #ALERT-NAME")
    receivers: dict[IncidentSeverity, Name] = Field(default_factory=_default_receivers, description="Alertmanager receiver per severity")
    webhooks: dict[str, Annotated[str, Field(pattern=r"^https?://")]] = Field(default_factory=dict, description="receiver name -> webhook URL Alertmanager posts to")
    scrape_interval: Duration = 15
    haproxy_exporter: str = Field("127.0.0.1:8405", pattern=r"^[A-Za-z0-9.\[\]:-]+:\d+$", description="host:port of haproxy's Prometheus exporter frontend")
    alertmanager: str = Field("127.0.0.1:9093", pattern=r"^[A-Za-z0-9.\[\]:-]+:\d+$", description="host:port Prometheus sends alerts to")

    @field_validator("receivers")
    @classmethod
    def _every_severity(cls, receivers: dict[str, str]) -> dict[str, str]:
        missing = [s for s in INCIDENT_SEVERITIES if s not in receivers]
        if missing:
            raise ValueError(f"every severity needs a receiver; missing: {', '.join(missing)}")
        return receivers

    @field_validator("webhooks")
    @classmethod
    def _webhooks_of_receivers(cls, webhooks: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        names = list(dict.fromkeys((info.data.get("receivers") or {}).values()))
        for name in webhooks:
            if names and name not in names:
                raise ValueError(f'webhook for "{name}", which no severity is routed to{validation.did_you_mean(name, names)}; receivers: {", ".join(names)}')
        return webhooks


# -- services, overrides, pipeline ----------------------------------------------------


class ServiceProject(Strict):
    """A service's own language and runtime; the name comes from the service."""

    language: Language
    runtime: str | None = None


class Service(Strict):
    """One service of a monorepo; sections it leaves out come from the top level."""

    name: Name
    path: str
    project: ServiceProject | None = None
    install: Install | None = None
    build: Build | None = None
    test: Test | None = None
    security: Security | None = None
    load_test: LoadTest | None = None
    smoke: Smoke | None = None
    environments: list[Environment] | None = None


class Step(Strict):
    """A step an override adds."""

    id: Name
    name: str | None = None
    run: str | None = None
    uses: str | None = None
    with_: dict[str, str | int | float | bool] = Field(default_factory=dict, alias="with")
    env: dict[str, str] = Field(default_factory=dict)
    shell: str | None = None
    if_: str | None = Field(None, alias="if")

    @model_validator(mode="after")
    def _run_or_uses(self) -> Step:
        if (self.run is None) == (self.uses is None):
            raise ValueError("a step needs exactly one of run or uses")
        return self


class Override(Strict):
    """Change a generated job or step, addressed by id."""

    job: str
    step: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    with_: dict[str, str | int | float | bool] = Field(default_factory=dict, alias="with")
    runs_on: str | list[str] | None = None
    timeout_minutes: int | None = Field(None, ge=1, le=360)
    before: Step | None = None
    after: Step | None = None
    remove: bool = False

    @model_validator(mode="after")
    def _fits_its_target(self) -> Override:
        step_only = [k for k, v in (("with", self.with_), ("before", self.before), ("after", self.after), ("remove", self.remove)) if v]
        if step_only and self.step is None:
            verb = "needs" if len(step_only) == 1 else "need"
            raise ValueError(f"{', '.join(step_only)} {verb} a step: add step: ID (one of job {self.job}'s step ids)")
        job_only = [k for k, v in (("runs_on", self.runs_on), ("timeout_minutes", self.timeout_minutes)) if v is not None]
        if job_only and self.step is not None:
            verb = "applies" if len(job_only) == 1 else "apply"
            raise ValueError(f"{', '.join(job_only)} {verb} to the whole job: remove step: {self.step}")
        if self.remove and (self.with_ or self.env or self.before or self.after):
            raise ValueError("remove: true drops the step; it cannot be combined with other changes")
        if not (step_only or job_only or self.env):
            raise ValueError("this override changes nothing; give env, with, runs_on, timeout_minutes, before, after or remove")
        return self


class Pipeline(Strict):
    """Workflow-wide settings."""

    default_branch: str = "main"
    runs_on: str | list[str] = "ubuntu-latest"
    timeout_minutes: int = Field(30, ge=1, le=360)


class Manifest(Strict):
    """A `shipline.yml`."""

    version: Literal[1]
    kit: Kit = Field(default_factory=Kit)
    project: Project
    pipeline: Pipeline = Field(default_factory=Pipeline)
    install: Install = Field(default_factory=Install)
    build: Build = Field(default_factory=Build)
    test: Test = Field(default_factory=Test)
    security: Security = Field(default_factory=Security)
    load_test: LoadTest = Field(default_factory=LoadTest)
    smoke: Smoke = Field(default_factory=Smoke)
    environments: list[Environment] = Field(default_factory=list)
    services: list[Service] = Field(default_factory=list)
    overrides: list[Override] = Field(default_factory=list)
    monitoring: Monitoring = Field(default_factory=Monitoring)

    def resolved_services(self) -> list[ServiceConfig]:
        """Every service with its sections filled in; a single-service manifest gives one."""
        if not self.services:
            return [
                ServiceConfig(
                    name=self.project.name,
                    path=self.project.working_directory,
                    project=self.project,
                    install=self.install,
                    build=self.build,
                    test=self.test,
                    security=self.security,
                    load_test=self.load_test,
                    smoke=self.smoke,
                    environments=self.environments,
                )
            ]
        out = []
        for s in self.services:
            sp = s.project or ServiceProject(language=self.project.language, runtime=self.project.runtime)
            project = Project(name=s.name, language=sp.language, runtime=sp.runtime, working_directory=s.path)
            project._origin = s._origin  # a problem with the service's project points at the service
            out.append(
                ServiceConfig(
                    name=s.name,
                    path=s.path,
                    project=project,
                    install=s.install or self.install,
                    build=s.build or self.build,
                    test=s.test or self.test,
                    security=s.security or self.security,
                    load_test=s.load_test or self.load_test,
                    smoke=s.smoke or self.smoke,
                    environments=s.environments if s.environments is not None else self.environments,
                )
            )
        return out

    def service(self, name: str | None) -> ServiceConfig:
        """The named service, or the only one; an `InputError` listing the names otherwise."""
        services = self.resolved_services()
        if name is None:
            if len(services) == 1:
                return services[0]
            names = ", ".join(s.name for s in services)
            raise InputError(f"this manifest has several services; choose one with --service: {names}")
        for s in services:
            if s.name == name:
                return s
        names = ", ".join(s.name for s in services)
        raise InputError(f'unknown service "{name}"{validation.did_you_mean(name, [s.name for s in services])}; expected one of: {names}')


class ServiceConfig(Strict):
    """Everything one service needs, after top-level defaults are applied."""

    name: str
    path: str
    project: Project
    install: Install
    build: Build
    test: Test
    security: Security
    load_test: LoadTest
    smoke: Smoke
    environments: list[Environment]

    def environment(self, name: str) -> Environment:
        """The named environment, or an `InputError` listing the ones there are."""
        for env in self.environments:
            if env.name == name:
                return env
        names = [e.name for e in self.environments]
        hint = validation.did_you_mean(name, names)
        allowed = ", ".join(names) or "(none: add an environments section)"
        raise InputError(f'unknown environment "{name}"{hint}; expected one of: {allowed}')

    @property
    def load_test_environment(self) -> Environment | None:
        """The environment the pipeline load-tests after deploying to it."""
        if self.load_test.environment:
            return self.environment(self.load_test.environment)
        return self.environments[0] if self.environments else None


# -- other files users write ----------------------------------------------------------


class SmokeChecksFile(RootModel[list[SmokeCheck]]):
    """A ``--checks FILE`` for `shipline smoke`: a list shaped like ``smoke.checks``."""


class Suppression(Strict):
    """One suppressed scan finding, in ``security.suppressions``."""

    fingerprint: str = Field(pattern=r"^[0-9a-f]{8,64}$", description="the finding's fingerprint (SARIF partialFingerprints)")
    reason: str = Field(min_length=3, description="why this finding is acceptable")
    expires: datetime.date = Field(description="after this date (YYYY-MM-DD) the finding counts again")
    rule: str | None = Field(None, description="the rule, for people reading the file")


class SuppressionsFile(Strict):
    """The whole suppressions file."""

    suppressions: list[Suppression] = Field(default_factory=list)


def _cross_checks(manifest: Manifest, doc: yamlfile.Document) -> list[Problem]:
    """Checks that span sections, located at the value they are about."""
    problems = []
    named: tuple[tuple[str, Sequence[Environment | Service]], ...] = (("environments", manifest.environments), ("services", manifest.services))
    for section, items in named:
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.name in seen:
                problems.append(doc.problem((section, i, "name"), f'{section[:-1]} name "{item.name}" is used twice; names must be unique'))
            seen.add(item.name)
    names = [e.name for e in manifest.environments]
    if manifest.load_test.environment and manifest.load_test.environment not in names:
        hint = validation.did_you_mean(manifest.load_test.environment, names)
        problems.append(
            doc.problem(
                ("load_test", "environment"),
                f'unknown environment "{manifest.load_test.environment}"{hint}; expected one of: {", ".join(names) or "(none)"}',
            )
        )
    return problems


def _prometheus_checks(manifest: Manifest, doc: yamlfile.Document) -> list[Problem]:
    """Template variables the queries use, and where each setting is, for errors found at deploy time."""
    from shipline.monitor.promql import template_problems

    problems = []
    places: list[tuple[yamlfile.Path_, Environment]] = [(("environments", i), env) for i, env in enumerate(manifest.environments)]
    places += [(("services", s, "environments", i), env) for s, svc in enumerate(manifest.services) for i, env in enumerate(svc.environments or [])]
    for base, env in places:
        settings = env.deploy.analysis.prometheus
        at = (*base, "deploy", "analysis", "prometheus")
        settings._where["url"] = (doc.file, *doc.locate((*at, "url")))
        for i, metric in enumerate(settings.metrics):
            settings._where[f"metrics.{i}.query"] = (doc.file, *doc.locate((*at, "metrics", i, "query")))
        if env.deploy.analysis.provider == "prometheus":
            problems += [doc.problem(loc, message) for loc, message in template_problems(env, at)]
    return problems


def parse(doc: yamlfile.Document) -> Manifest:
    """Validate a loaded document as a manifest, reporting every problem at once."""
    if doc.data is None:
        raise InputError(problems=[Problem(doc.file, 1, 1, "the manifest is empty; start with `shipline init`")])
    if not isinstance(doc.data, dict):
        raise InputError(problems=[Problem(doc.file, 1, 1, f"a manifest is a mapping of sections, got {validation.kind(doc.data)}")])
    manifest = validation.validate(Manifest, doc)
    problems = _cross_checks(manifest, doc) + _prometheus_checks(manifest, doc)
    if problems:
        raise InputError(problems=problems)
    return manifest


def load(path: Path, display: str | None = None) -> Manifest:
    """Read, parse and validate the manifest at ``path``."""
    return parse(yamlfile.load(path, display))


def json_schema() -> dict[str, Any]:
    """The JSON Schema editors use to complete and check `shipline.yml`."""
    schema = Manifest.model_json_schema(by_alias=True)
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    schema["$id"] = SCHEMA_URL
    schema["title"] = "shipline.yml"
    return schema
