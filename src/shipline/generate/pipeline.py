"""Manifest -> workflows: the pipeline and the rollback workflow.

``shipline-pipeline.yml`` runs build, test and scan on pull requests and pushes to the
default branch; on pushes it then deploys to each environment in order, smoke-tests
after each deploy and load-tests after the load-test environment. A monorepo gets one
``changes`` job deciding which services changed, per-service jobs that run only then,
and an always-running ``shipline-required`` job to mark as the required check.
``shipline-rollback.yml`` rolls an environment back on demand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from shipline.generate import jobs
from shipline.generate.jobs import READ_CODE, Target
from shipline.generate.model import Concurrency, Condition, DispatchInput, Job, Step, Workflow
from shipline.manifest import Manifest, ServiceConfig

PIPELINE_FILE = "shipline-pipeline.yml"
ROLLBACK_FILE = "shipline-rollback.yml"
REQUIRED_JOB = "shipline-required"
SUMMARY_JOB = "pr-summary"
REPOSITORY_SCAN_JOB = "repository-scan"


@dataclass
class Build:
    """What the builder made: workflows, and notes for the user (things it left out)."""

    workflows: list[Workflow]
    notes: list[str] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)  # service -> path prefixes


def _targets(manifest: Manifest, manifest_name: str, root: Path | None) -> list[Target]:
    monorepo = bool(manifest.services)
    p = manifest.pipeline
    return [
        Target(
            service=svc,
            kit=manifest.kit,
            manifest_name=manifest_name,
            monorepo=monorepo,
            default_branch=p.default_branch,
            runs_on=p.runs_on,
            timeout_minutes=p.timeout_minutes,
            root=root,
        )
        for svc in manifest.resolved_services()
    ]


def path_filter(svc: ServiceConfig, manifest_name: str) -> list[str]:
    """What counts as a change to a service: its folder, the manifest and the pipeline itself.

    Entries ending in ``/`` match everything under them; others match one file.
    """
    folder = svc.path.strip("/")
    own = "" if folder in ("", ".") else folder + "/"
    return [own, manifest_name, f".github/workflows/{PIPELINE_FILE}"] if own else [""]


def matches(filter_: list[str], path: str) -> bool:
    """Whether a changed ``path`` falls under a service's `path_filter`."""
    path = path.removeprefix("./")
    return any(path.startswith(p) if p.endswith("/") or not p else path == p for p in filter_)


def _ere(text: str) -> str:
    """``text`` as a literal in a POSIX extended regular expression."""
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", text)


def _changes_job(targets: list[Target], filters: dict[str, list[str]], runs_on: str | list[str]) -> Job:
    lines = [
        "# Without a base to compare with (a new branch, a force push), everything changed.",
        'if [ -n "$BASE_SHA" ] && git cat-file -e "$BASE_SHA^{commit}" 2>/dev/null; then',
        '  changed=$(git diff --name-only "$BASE_SHA" "$GITHUB_SHA")',
        "else",
        "  changed=ALL",
        "fi",
    ]
    outputs = {}
    for t in targets:
        name = jobs.slug(t.service.name)
        # folders (and "" for the whole repository) match as prefixes, files whole
        alternatives = "|".join(_ere(p) if p.endswith("/") or not p else _ere(p) + "$" for p in filters[t.service.name])
        pattern = f"^({alternatives})"
        lines += [
            f"if [ \"$changed\" = ALL ] || grep -qE '{pattern}' <<<\"$changed\"; then",
            f'  echo "{name}=true" >>"$GITHUB_OUTPUT"',
            "fi",
        ]
        outputs[name] = f"${{{{ steps.diff.outputs.{name} }}}}"
    diff = Step(
        id="diff",
        name="Find changed services",
        env={"BASE_SHA": "${{ github.event.pull_request.base.sha || github.event.before }}"},
        shell="bash",
        run="\n".join(lines) + "\n",
    )
    return Job(
        id="changes",
        name="Find changed services",
        permissions=[READ_CODE],
        steps=[jobs.checkout(fetch_depth=0), diff],
        runs_on=runs_on,
        timeout_minutes=10,
        outputs=outputs,
    )


def _required_job(needs: list[str], runs_on: str | list[str]) -> Job:
    check = Step(
        id="check",
        name="Fail when a required job failed",
        env={"FAILED": "${{ contains(needs.*.result, 'failure') || contains(needs.*.result, 'cancelled') }}"},
        shell="bash",
        run='if [ "$FAILED" = true ]; then\n  echo "::error::a required job failed or was cancelled"\n  exit 1\nfi\n',
    )
    return Job(
        id=REQUIRED_JOB,
        name="shipline required",
        permissions=[],
        steps=[check],
        runs_on=runs_on,
        timeout_minutes=5,
        needs=needs,
        condition=Condition(always=True),
    )


def _repository_scan_job(manifest: Manifest, manifest_name: str) -> Job:
    """A scan of the whole repository on every run: each service's scan covers its folder only.

    Without it a pull request changing only ``.github/`` or a script outside every
    service would skip every scan and pass the required check. The scan runs from
    ``.github`` where no manifest is, so no service is chosen: both scanners over the
    whole tree, diff-aware like the others, gating at the manifest's top-level
    ``security.fail_on``. It still reads the manifest at the root: each service's
    rules, excludes and suppressions hold in its folder, the top-level ones elsewhere.
    """
    kit = manifest.kit
    inputs = {
        "working-directory": ".github",
        "path": "..",
        "fail-on": manifest.security.fail_on,
        "baseline-ref": "${{ github.event.pull_request.base.sha || github.event.before }}",
        "sarif-file": "../shipline-repository.sarif",
    }
    scan = Step(id="scan", name="Security scan (whole repository)", uses=f"{kit.repository}/actions/security-scan@{kit.ref}", with_=inputs)
    return Job(
        id=REPOSITORY_SCAN_JOB,
        name="Security scan (whole repository)",
        permissions=[READ_CODE, jobs.SARIF, jobs.RUN_INFO],
        steps=[jobs.checkout(fetch_depth=0), scan],
        runs_on=manifest.pipeline.runs_on,
        timeout_minutes=manifest.pipeline.timeout_minutes,
    )


def _summary_job(kit_setup: str, ci: list[str], runs_on: str | list[str]) -> Job:
    """One comment per pull request with each stage's result, updated on every push."""
    record = []
    env = {}
    for job_id in ci:
        var = jobs.safe(job_id).upper().replace("-", "_") + "_RESULT"
        env[var] = f"${{{{ needs.{job_id}.result }}}}"
        record.append(f'shipline pr-comment record {job_id} --status "${var}"')
    steps = [
        Step(id="setup", name="Set up shipline", uses=kit_setup),
        Step(id="record", name="Record each stage's result", env=env, shell="bash", run="\n".join(record) + "\n"),
        Step(id="post", name="Post the summary comment", env={"GITHUB_TOKEN": "${{ github.token }}"}, shell="bash", run="shipline pr-comment post\n"),
    ]
    return Job(
        id=SUMMARY_JOB,
        name="Pull request summary",
        permissions=[jobs.PULL_REQUESTS],
        steps=steps,
        runs_on=runs_on,
        timeout_minutes=10,
        needs=list(ci),
        condition=Condition(events=("pull_request",), always=True),
    )


def _service_jobs(t: Target, out: Build) -> tuple[list[Job], list[str]]:
    """The jobs of one service, and the ids a required check waits for."""
    svc = t.service
    ci = Condition(service=svc.name, output=jobs.slug(svc.name)) if t.monorepo else Condition()
    ci_jobs = [jobs.build(t, ci)]
    if jobs.has_tests(t):
        ci_jobs.append(jobs.test(t, ci))
    else:
        out.notes.append(f"{svc.name}: no test job: {'test.enabled is false' if not svc.test.enabled else 'the project has no tests to run by default (set test.command)'}")
    if svc.security.enabled:
        ci_jobs.append(jobs.scan(t, ci))
    out_jobs = list(ci_jobs)
    previous = [j.id for j in ci_jobs]
    load_env = svc.load_test_environment if svc.load_test.enabled else None
    for env in svc.environments:
        needs = previous if t.job_id("build") in previous else [t.job_id("build"), *previous]
        deploy = jobs.deploy(t, env, needs)
        out_jobs.append(deploy)
        previous = [deploy.id]
        if load_env is not None and env.name == load_env.name:
            if env.allow_load_test:
                lt = jobs.load_test(t, env, [deploy.id])
                out_jobs.append(lt)
                previous = [lt.id]
            else:
                out.notes.append(
                    f"{svc.name}: no load test after {env.name}: the environment does not set allow_load_test: true"
                )
    return out_jobs, [j.id for j in ci_jobs]


def _rollback_workflow(targets: list[Target], monorepo: bool) -> Workflow | None:
    envs = list(dict.fromkeys(e.name for t in targets for e in t.service.environments))
    if not envs:
        return None
    inputs: dict[str, DispatchInput] = {}
    if monorepo:
        services = [t.service.name for t in targets if t.service.environments]
        inputs["service"] = {"description": "Service to roll back", "type": "choice", "required": True, "options": services}
    inputs["environment"] = {"description": "Environment to roll back", "type": "choice", "required": True, "options": envs}
    inputs["reason"] = {"description": "Why (recorded in the deployment history)", "type": "string", "required": False, "default": "manual rollback"}
    rollbacks = []
    for t in targets:
        for env in t.service.environments:
            selected = f"inputs.environment == '{env.name}'"
            if monorepo:
                selected = f"inputs.service == '{t.service.name}' && {selected}"
            rollbacks.append(jobs.rollback(t, env, selected))
    return Workflow(filename=ROLLBACK_FILE, name="shipline rollback", on={"workflow_dispatch": {"inputs": inputs}}, jobs=rollbacks)


def build_workflows(manifest: Manifest, manifest_name: str = "shipline.yml", root: Path | None = None) -> Build:
    """Every workflow the manifest asks for, before overrides.

    ``root`` is the repository: the install steps and setup caches come from the files
    each project declares its dependencies in. Without it, only the manifest counts.
    """
    targets = _targets(manifest, manifest_name, root)
    monorepo = bool(manifest.services)
    out = Build(workflows=[])
    if not manifest.kit.pinned:
        out.notes.append(
            f'kit.ref "{manifest.kit.ref}" is a tag, which can move; pin a release\'s full commit SHA for the strictest setting (`shipline check` allows the tag for the kit\'s own actions only)'
        )
    pipeline_jobs: list[Job] = []
    required: list[str] = []
    if monorepo:
        out.filters = {t.service.name: path_filter(t.service, manifest_name) for t in targets}
        pipeline_jobs.append(_changes_job(targets, out.filters, manifest.pipeline.runs_on))
        required.append("changes")
        if manifest.security.enabled:
            pipeline_jobs.append(_repository_scan_job(manifest, manifest_name))
            required.append(REPOSITORY_SCAN_JOB)
    for t in targets:
        service_jobs, ci = _service_jobs(t, out)
        pipeline_jobs += service_jobs
        required += ci
    if monorepo:
        pipeline_jobs.append(_required_job(required, manifest.pipeline.runs_on))
    kit_setup = f"{manifest.kit.repository}/actions/setup@{manifest.kit.ref}"
    pipeline_jobs.append(_summary_job(kit_setup, [j for j in required if j != "changes"], manifest.pipeline.runs_on))
    branch = manifest.pipeline.default_branch
    pipeline = Workflow(
        filename=PIPELINE_FILE,
        name="shipline",
        on={"pull_request": None, "push": {"branches": [branch]}},
        jobs=pipeline_jobs,
        # a newer push to a pull request replaces the older run; pushes to the default
        # branch each get their own group, so no deploy is ever cancelled
        concurrency=Concurrency(
            group="shipline-${{ github.event_name == 'pull_request' && github.ref || github.sha }}",
            cancel_in_progress="${{ github.event_name == 'pull_request' }}",
        ),
    )
    out.workflows.append(pipeline)
    rollback = _rollback_workflow(targets, monorepo)
    if rollback:
        out.workflows.append(rollback)
    return out
