"""Generated deploy jobs of environments on a team's own servers, run through `shipline act`.

Two real sshd on loopback stand for two servers, each with its own haproxy (the
`tests.ssh_support` fleet). The workflow `shipline generate` writes for an environment
with ``hosts`` is linted (actionlint, ``zizmor --offline``), then its deploy job runs
under `shipline act` with the deploy key and known_hosts given as secrets the way a
user gives them (environment variables named by ``--secret NAME``); both hosts serve
the new version after, and the key shows nowhere: not in act's command line, not in
anything act printed. An environment with a self-hosted runner (``runs_on``) runs its
deploy job on this machine, against a haproxy here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from shipline.generate import lint
from shipline.localrun import runner
from tests.deploy_support import live_versions, site_with
from tests.helpers import run_cli
from tests.ssh_support import fleet
from tests.test_act_localrun import git

ROOT = Path(__file__).resolve().parents[1]
SECRETS = ("SHIPLINE_SSH_KEY", "SHIPLINE_SSH_KNOWN_HOSTS")

pytestmark = [pytest.mark.act, pytest.mark.slow]


@dataclass
class ActSpy:
    """act's argv and every line it printed, as `shipline act` ran it."""

    argv: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    stderr: str = ""

    @property
    def shown(self) -> str:
        """What act shows of each line (its ``msg``), its command line and its stderr."""
        return "\n".join([" ".join(self.argv), *(_message(line) for line in self.lines), self.stderr])

    def records_with(self, text: str) -> list[dict | str]:
        """The lines act printed that hold ``text`` anywhere (as JSON records when they are)."""
        return [_record(line) for line in self.lines if text in line]


def _record(line: str) -> dict | str:
    try:
        return json.loads(line)
    except ValueError:
        return line


def _message(line: str) -> str:
    rec = _record(line)
    return str(rec.get("msg", "")) if isinstance(rec, dict) else line


@pytest.fixture
def act_spy(monkeypatch) -> ActSpy:
    spy = ActSpy()
    execute = runner._execute

    def recording(argv, cwd, environ, timeout, on_line, on_job):
        spy.argv = list(argv)

        def both(line: str) -> None:
            spy.lines.append(line)
            if on_line:
                on_line(line)

        result = execute(argv, cwd, environ, timeout, both, on_job)
        spy.stderr = result.stderr
        return result

    monkeypatch.setattr(runner, "_execute", recording)
    return spy


def _generate(root: Path) -> dict:
    """Generate the workflows in ``root`` (made a git repository), check they lint clean, commit; the pipeline's jobs."""
    git(root, "init", "-q", "-b", "main")
    result = run_cli("generate", cwd=root)
    assert result.code == 0, result.out + result.err
    workflows = sorted(str(p.relative_to(root)) for p in (root / ".github/workflows").glob("*.yml"))
    assert lint.actionlint(lint.find_tool("actionlint", {}) or "actionlint", root, workflows, {}) == []
    assert lint.zizmor(lint.find_tool("zizmor", {}) or "zizmor", root / ".github", ROOT / "zizmor.yml", {}) == []
    git(root, "add", "-A")
    git(root, "commit", "-qm", "the app and its workflows")
    return YAML(typ="safe").load((root / ".github/workflows/shipline-pipeline.yml").read_text())["jobs"]


def _act(root: Path, job: str, *args: str, env: dict[str, str]) -> tuple[int, str]:
    """`shipline act -j JOB ARGS` in ``root``; its exit code and what it printed."""
    result = run_cli("act", "-j", job, *args, "--format", "text", cwd=root, env={"XDG_CACHE_HOME": str(root.parent / "cache"), **env})
    return result.code, result.out + result.err


def _steps(spy: ActSpy) -> str:
    return "\n".join(spy.lines[-200:])


def test_the_deploy_job_of_an_environment_with_hosts_runs_under_act_with_the_key_as_a_secret(tmp_path, act_spy):
    with fleet(tmp_path) as f:
        # one measurement, given time (a busy machine is slow over SSH): what is judged here is
        # how the job reaches the hosts, not the analysis
        f.manifest(analysis={"count": 1, "interval": 3.0}, approval=True)  # approval: the job runs in a GitHub environment, as production does
        jobs = _generate(f.root)
        assert {s["id"]: s.get("env") for s in jobs["deploy-prod"]["steps"]}["deploy"] == {n: f"${{{{ secrets.{n} }}}}" for n in SECRETS}
        assert jobs["deploy-prod"]["environment"]["name"] == "prod"
        # the release before, deployed from a laptop
        assert run_cli("deploy", "--env", "prod", "--version", "v1", cwd=f.root, env=f.env).code == 0
        assert [live_versions(h.proxy.port) for h in f.hosts] == [{"v1"}, {"v1"}]

        code, printed = _act(f.root, "deploy-prod", "--secret", SECRETS[0], "--secret", SECRETS[1], env=f.env)
        assert code == 0, printed + _steps(act_spy)
        # -j runs the job alone: the build's version output is the stand-in "local"
        assert [live_versions(h.proxy.port) for h in f.hosts] == [{"local"}, {"local"}]
        assert any("Smoke-test prod" in line for line in act_spy.lines)
        key_lines = [ln for ln in f.env["SHIPLINE_SSH_KEY"].splitlines() if ln.strip() and "PRIVATE KEY" not in ln]
        cached = "\n".join(p.read_text(errors="replace") for p in (tmp_path / "cache").rglob("*") if p.is_file())
        for line in key_lines:
            assert line not in printed and line not in act_spy.shown and line not in cached
            # act's JSON record of a step's ::add-mask:: command carries the value it masks, and only that record
            assert [(r["command"], r["msg"].strip()) for r in act_spy.records_with(line)] == [("add-mask", "⚙  ***")]
        assert [len(h.slot_groups()) for h in f.hosts] == [1, 1]

        # the rollback workflow, dispatched by hand, puts both hosts back
        secrets = ("--secret", SECRETS[0], "--secret", SECRETS[1])
        code, printed = _act(f.root, "rollback-prod", "--event", "workflow_dispatch", "--input", "environment=prod", *secrets, env=f.env)
        assert code == 0, printed + _steps(act_spy)
        assert [live_versions(h.proxy.port) for h in f.hosts] == [{"v1"}, {"v1"}]

        # a release whose smoke check fails on the second host only: the deploy checked the
        # first host's slot and promoted; the smoke step checks each host, names web2, and the
        # job's rollback step (given the secrets too) puts both hosts back
        f.hosts[1].faults({"local": {"fail_smoke": 1}})
        act_spy.lines.clear()
        code, printed = _act(f.root, "deploy-prod", *secrets, env=f.env)
        assert code == 1, printed + _steps(act_spy)
        shown = act_spy.shown
        assert "smoke check GET /smoke failed on host web2" in shown, _steps(act_spy)
        assert "Roll back prod (smoke test failed)" in printed + shown
        assert [live_versions(h.proxy.port) for h in f.hosts] == [{"v1"}, {"v1"}]
        assert [len(h.slot_groups()) for h in f.hosts] == [1, 1]


def test_the_deploy_job_of_an_environment_with_a_self_hosted_runner_runs_on_this_machine(tmp_path, act_spy):
    with site_with("haproxy", tmp_path) as site:
        site.manifest(state_dir=str(site.state_dir))  # the runner's workspace is act's copy: the state stays on the server
        labels = ["self-hosted", "linux", "shipline-test"]
        config = json.loads((site.root / "shipline.yml").read_text())
        config["environments"][0]["runs_on"] = labels
        (site.root / "shipline.yml").write_text(json.dumps(config))
        jobs = _generate(site.root)
        assert jobs["deploy-prod"]["runs-on"] == labels and jobs["build"]["runs-on"] == "ubuntu-latest"
        listed = run_cli("act", "--list", cwd=site.root)
        assert all(f"{label}" in listed.out for label in labels) and "-> host" in listed.out, listed.out
        assert run_cli("deploy", "--env", "prod", "--version", "v1", cwd=site.root).code == 0

        code, printed = _act(site.root, "deploy-prod", env={})
        assert code == 0, printed + _steps(act_spy)
        platforms = [act_spy.argv[n + 1] for n, arg in enumerate(act_spy.argv) if arg == "-P"]
        assert {f"{label}=-self-hosted" for label in labels} <= set(platforms)
        # an unmapped label makes act skip the job with exit 0: the new version serving proves it ran here
        assert live_versions(site.proxy.port) == {"local"}
