"""One function per kind of job the pipeline runs, for one service.

Each job checks the code out (the kit's actions read the manifest from the working
tree), sets up what it needs and calls one of the kit's actions with inputs exactly
as the actions declare them. Step ids are stable: overrides address them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from shipline.generate import budget
from shipline.generate.model import Concurrency, Condition, Deployment, Grant, Job, Step
from shipline.languages import Language, ProjectFiles, get, has_marker
from shipline.languages.base import Purpose
from shipline.manifest import Environment, Kit, ServiceConfig

READ_CODE = Grant("contents", "read", "check out the code")
DEPLOYMENTS = Grant("deployments", "write", "record the deployment and its status")
INCIDENTS = Grant("issues", "write", "open an incident issue when the deploy rolls back")
SARIF = Grant("security-events", "write", "upload the SARIF report to code scanning")
RUN_INFO = Grant("actions", "read", "the SARIF upload reads this run's details (private repositories)")
PULL_REQUESTS = Grant("pull-requests", "write", "post the summary comment on the pull request")

_GLOB = re.compile(r"[*?\[{]")


@dataclass(frozen=True)
class Target:
    """One service as the job factories see it."""

    service: ServiceConfig
    kit: Kit
    manifest_name: str
    monorepo: bool
    default_branch: str
    runs_on: str | list[str]
    timeout_minutes: int
    root: Path | None = None  # the repository, to read what the project declares; None: defaults only

    @property
    def language(self) -> Language:
        """The service's language plugin."""
        return get(self.service.project.language)

    @property
    def folder(self) -> str:
        """The service's folder as a workflow path prefix: "" or "api/"."""
        path = self.service.path.strip("/")
        return "" if path in ("", ".") else path + "/"

    def files(self) -> ProjectFiles | None:
        """The service's files, when the repository is at hand."""
        if self.root is None:
            return None
        files = ProjectFiles(self.root / self.service.path)
        # a manifest without its code beside it (an example) gets the defaults
        return files if has_marker(type(self.language), files) else None

    def job_id(self, kind: str) -> str:
        """``build`` for a single service, ``api-build`` in a monorepo."""
        return f"{slug(self.service.name)}-{kind}" if self.monorepo else kind

    def job_name(self, title: str) -> str:
        """``Build``, or ``api: Build`` in a monorepo."""
        return f"{self.service.name}: {title}" if self.monorepo else title

    def kit_step(self, id: str, name: str, action: str, inputs: dict[str, Any] | None = None, **kw: Any) -> Step:
        """A step using one of the kit's actions at the manifest's ref."""
        common: dict[str, Any] = {}
        if self.manifest_name != "shipline.yml":
            common["manifest"] = self.manifest_name
        if self.monorepo:
            common["service"] = self.service.name
        uses = f"{self.kit.repository}/actions/{action}@{self.kit.ref}"
        return Step(id=id, name=name, uses=uses, with_={**common, **(inputs or {})}, **kw)

    def job(self, kind: str, title: str, permissions: list[Grant], steps: list[Step], **kw: Any) -> Job:
        """A job with this target's ids, runner and default timeout."""
        kw.setdefault("timeout_minutes", self.timeout_minutes)
        return Job(id=self.job_id(kind), name=self.job_name(title), permissions=permissions, steps=steps, runs_on=self.runs_on, **kw)

    def push_only(self) -> Condition:
        """Pushes to the default branch, for this service."""
        return Condition(events=("push",), branch=self.default_branch, service=self.service.name if self.monorepo else None)


def safe(name: str) -> str:
    """``name`` with only the characters job ids allow (letters, digits, '-', '_')."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)


def slug(name: str) -> str:
    """A job id or output name from a service name: `safe`, starting with a letter."""
    s = safe(name)
    return s if s[:1].isalpha() or s[:1] == "_" else f"s{s}"


def checkout(fetch_depth: int | None = None) -> Step:
    """The pinned checkout, without leaving the token on disk."""
    with_: dict[str, Any] = {"persist-credentials": False}
    if fetch_depth is not None:
        with_["fetch-depth"] = fetch_depth
    return Step.pinned("checkout", "Check out", "actions/checkout", with_)


def setup_runtime(t: Target, version: str | None) -> list[Step]:
    """The language's pinned setup action, with its own dependency cache; nothing for images."""
    setup = t.language.setup
    if setup is None or version is None:
        return []
    files = t.files()
    extra = t.language.setup_inputs(files, t.folder) if files is not None else {}
    return [Step.pinned("setup-runtime", setup.title, setup.action, {setup.version_input: version, **extra})]


def install(t: Target, purpose: Purpose) -> list[Step]:
    """The step installing what the build or the tests need: the manifest's ``install:``, else the language's."""
    command = getattr(t.service.install, purpose)
    if command is None:
        files = t.files()
        command = t.language.install(files, purpose) if files is not None else None
    if not command:
        return []
    run = command if command.endswith("\n") else command + "\n"
    folder = t.folder.rstrip("/")
    step = Step(id="install", name="Install dependencies", shell="bash", run=run)
    if folder:
        step.working_directory = folder
    return [step]


def _artifact_dir(globs: list[str]) -> str:
    """The directory the build's artifacts share, where a deploy job downloads them."""
    dirs = []
    for g in globs:
        prefix = _GLOB.split(g)[0]
        dirs.append((prefix.rstrip("/") if prefix.endswith("/") else os.path.dirname(prefix)) or ".")
    return os.path.normpath(os.path.commonpath(dirs)) if dirs else "."


def _artifact_name(t: Target) -> str:
    return f"shipline-build-{slug(t.service.name)}"


def build(t: Target, condition: Condition) -> Job:
    """Build once; later jobs deploy this build's version (and artifacts, when declared)."""
    steps = [checkout(), *setup_runtime(t, t.service.project.runtime_version), *install(t, "build"), t.kit_step("build", "Build", "build")]
    artifacts = t.service.build.artifacts
    if artifacts:
        steps.append(
            Step.pinned(
                "upload-artifacts",
                "Upload build artifacts",
                "actions/upload-artifact",
                {"name": _artifact_name(t), "path": "\n".join(artifacts), "if-no-files-found": "error"},
            )
        )
    outputs = {"version": "${{ steps.build.outputs.version }}"}
    return t.job("build", "Build", [READ_CODE], steps, condition=condition, outputs=outputs, needs=_changes_need(t))


def _changes_need(t: Target) -> list[str]:
    return ["changes"] if t.monorepo else []


def has_tests(t: Target) -> bool:
    """Whether the service gets a test job: not switched off, and something to run."""
    test = t.service.test
    if not test.enabled:
        return False
    if test.command:
        return True
    files = t.files()
    return files is None or t.language.test_command(files, "python") is not None


def test(t: Target, condition: Condition) -> Job:
    """The test suite, once per runtime of the matrix."""
    runtimes = t.service.test.matrix or ([t.service.project.runtime_version] if t.service.project.runtime_version else [])
    inputs = {"runtime-version": "${{ matrix.runtime }}"} if runtimes else {}
    steps = [
        checkout(),
        *setup_runtime(t, "${{ matrix.runtime }}" if runtimes else None),
        *install(t, "test"),
        t.kit_step("test", "Test", "test", inputs),
    ]
    matrix = {"runtime": list(runtimes)} if runtimes else None
    return t.job("test", "Test", [READ_CODE], steps, condition=condition, matrix=matrix, needs=_changes_need(t))


def scan(t: Target, condition: Condition) -> Job:
    """Security scan gating on new findings only: the whole history, so the base commit is there."""
    inputs = {"baseline-ref": "${{ github.event.pull_request.base.sha || github.event.before }}"}
    steps = [checkout(fetch_depth=0), t.kit_step("scan", "Security scan", "security-scan", inputs)]
    return t.job("scan", "Security scan", [READ_CODE, SARIF, RUN_INFO], steps, condition=condition, needs=_changes_need(t))


def deploy_concurrency(t: Target, env: Environment) -> Concurrency:
    """One deploy or rollback at a time per service and environment; never cancel one."""
    return Concurrency(group=f"shipline-deploy-{slug(t.service.name)}-{env.name}", cancel_in_progress=False)


def deploy_grants(env: Environment) -> list[Grant]:
    """What deploying or rolling back needs: deployments, and issues for incidents."""
    return [READ_CODE, DEPLOYMENTS] + ([INCIDENTS] if env.incidents.enabled else [])


def deployment(env: Environment) -> Deployment | None:
    """The GitHub environment the job runs in, when the manifest asks for one."""
    if env.approval or env.github_environment:
        return Deployment(env.github_environment_name, env.url)
    return None


def on_environment_runner(t: Target, env: Environment) -> Target:
    """``t`` running its jobs on the environment's own runner, when it names one."""
    return replace(t, runs_on=env.runs_on) if env.runs_on else t


def ssh_secrets(env: Environment) -> dict[str, str]:
    """The deploy key and known_hosts from the repository's secrets, for an environment reached over SSH."""
    if not env.hosts:
        return {}
    return {name: f"${{{{ secrets.{name} }}}}" for name in ("SHIPLINE_SSH_KEY", "SHIPLINE_SSH_KNOWN_HOSTS")}


def deploy(t: Target, env: Environment, needs: list[str]) -> Job:
    """Deploy to one environment, then smoke-test it."""
    t = on_environment_runner(t, env)
    steps = [checkout()]
    if t.service.build.artifacts:
        steps.append(
            Step.pinned(
                "download-artifacts",
                "Download build artifacts",
                "actions/download-artifact",
                {"name": _artifact_name(t), "path": _artifact_dir(t.service.build.artifacts)},
            )
        )
    version = f"${{{{ needs.{t.job_id('build')}.outputs.version }}}}"
    steps.append(t.kit_step("deploy", f"Deploy to {env.name}", "deploy", {"environment": env.name, "version": version}, env=ssh_secrets(env)))
    if t.service.smoke.enabled:
        steps.append(t.kit_step("smoke", f"Smoke-test {env.name}", "smoke-test", {"base-url": env.url, "environment": env.name}))
        # the deploy checked the new slot before switching; this checks the public
        # entry point after, and a failure there puts the previous version back
        steps.append(
            t.kit_step(
                "rollback-on-smoke-failure",
                f"Roll back {env.name} (smoke test failed)",
                "rollback",
                {"environment": env.name, "reason": "smoke test failed after the deploy"},
                if_="failure() && steps.smoke.outcome == 'failure'",
                env=ssh_secrets(env),
            )
        )
    worst = budget.budget(env.deploy).promote + t.service.smoke.deadline
    return t.job(
        f"deploy-{safe(env.name)}",
        f"Deploy to {env.name}",
        deploy_grants(env),
        steps,
        needs=needs,
        condition=t.push_only(),
        environment=deployment(env),
        concurrency=deploy_concurrency(t, env),
        # the worst case of the deploy's own analysis, plus room to set up the kit
        timeout_minutes=max(t.timeout_minutes, budget.minutes(worst) + 10),
    )


def load_test(t: Target, env: Environment, needs: list[str]) -> Job:
    """The load-test gate, compared with the last passing run on the default branch."""
    baseline = f".shipline/loadtest/{slug(t.service.name)}-{env.name}.json"
    key = f"shipline-loadtest-{slug(t.service.name)}-{env.name}-"
    report = f"shipline-loadtest-{slug(t.service.name)}"
    steps = [
        checkout(),
        Step.pinned("restore-baseline", "Restore the load-test baseline", "actions/cache/restore", {"path": baseline, "key": key + "${{ github.run_id }}", "restore-keys": key}),
        t.kit_step(
            "load-test",
            f"Load-test {env.name}",
            "load-test",
            {"host": env.url, "environment": env.name, "baseline-file": baseline, "update-baseline": "true", "report-dir": report},
        ),
        Step.pinned("save-baseline", "Save the load-test baseline", "actions/cache/save", {"path": baseline, "key": key + "${{ github.run_id }}"}),
        Step.pinned(
            "upload-report",
            "Upload the load-test report",
            "actions/upload-artifact",
            {"name": report, "path": report, "if-no-files-found": "ignore"},
            if_="${{ !cancelled() }}",
        ),
    ]
    lt = t.service.load_test
    return t.job(
        f"load-test-{safe(env.name)}",
        f"Load-test {env.name}",
        [READ_CODE],
        steps,
        needs=needs,
        condition=t.push_only(),
        timeout_minutes=max(t.timeout_minutes, budget.minutes(lt.max_duration) + 10),
    )


def rollback(t: Target, env: Environment, selected: str) -> Job:
    """Roll one environment back to its previous version, on demand."""
    t = on_environment_runner(t, env)
    steps = [checkout(), t.kit_step("rollback", f"Roll back {env.name}", "rollback", {"environment": env.name, "reason": "${{ inputs.reason }}"}, env=ssh_secrets(env))]
    return t.job(
        f"rollback-{safe(env.name)}",
        f"Roll back {env.name}",
        deploy_grants(env),
        steps,
        if_=selected,
        environment=deployment(env),
        concurrency=deploy_concurrency(t, env),
    )
