"""Language plugins: what `init` detects from what projects declare, and the install steps `generate` writes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from shipline import manifest as schema
from shipline.generate import starter
from shipline.languages import LANGUAGES, ProjectFiles, get
from shipline.languages.node import Node
from shipline.languages.python import Python
from tests.helpers import build_file_tree, run_cli

TODAY = dt.date(2026, 12, 5)


@pytest.fixture(autouse=True)
def _pinned_day(monkeypatch):
    """"Still supported" is judged on a fixed day, so these results do not age."""
    monkeypatch.setattr(Python, "today", TODAY)
    monkeypatch.setattr(Node, "today", TODAY)


def detected(root: Path) -> list[dict]:
    return [starter.summary(p) for p in starter.detect(root)]


def pipeline(root: Path) -> dict:
    """`shipline init` then `generate`; the pipeline's jobs."""
    assert run_cli("init", cwd=root).code == 0
    result = run_cli("generate", cwd=root)
    assert result.code == 0, result.err
    return YAML(typ="safe").load((root / ".github/workflows/shipline-pipeline.yml").read_text())["jobs"]


def step(job: dict, step_id: str) -> dict | None:
    return next((s for s in job["steps"] if s["id"] == step_id), None)


def test_every_plugin_has_the_protocols_names():
    for name, plugin in LANGUAGES.items():
        assert plugin.name == name
        for attr in ("markers", "default_runtime", "setup", "artifacts", "bandit", "detect", "install", "setup_inputs", "build_commands", "built_references", "test_command", "version"):
            assert hasattr(plugin, attr), f"{name} lacks {attr}"


def test_requirements_and_a_dockerfile_make_a_python_service_not_a_bare_container(tmp_path):
    build_file_tree(tmp_path, {"requirements.txt": "flask\n", "Dockerfile": "FROM python:3.12\n", "app.py": "", "tests/test_app.py": "def test_ok():\n    pass\n"})
    (found,) = detected(tmp_path)
    assert (found["language"], found["tests"]) == ("python", "pytest")
    jobs = pipeline(tmp_path)
    assert "test" in jobs
    install = step(jobs["test"], "install")["run"]
    assert "-r requirements.txt" in install and "pytest" in install
    # bandit runs for python services; a container got none
    assert schema.load(tmp_path / "shipline.yml").project.language == "python"
    # the image build is one uncommented block away
    assert '#   command: docker build --tag' in (tmp_path / "shipline.yml").read_text()


def test_python_build_job_installs_build_and_test_job_installs_the_test_extras(tmp_path):
    build_file_tree(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "lib"\nrequires-python = ">=3.10"\n[project.optional-dependencies]\ntest = ["pytest"]\n[dependency-groups]\ndev = ["coverage"]\n',
            "src/lib/__init__.py": "",
            "tests/test_lib.py": "def test_x():\n    pass\n",
        },
    )
    jobs = pipeline(tmp_path)
    assert step(jobs["build"], "install")["run"] == "python -m pip install build\n"
    test_install = step(jobs["test"], "install")["run"]
    assert "python -m pip install '.[test]' --group dev" in test_install
    # a supported-release matrix from requires-python (3.10 reached its end of life in October 2026)
    assert jobs["test"]["strategy"]["matrix"]["runtime"] == ["3.11", "3.12", "3.13", "3.14"]
    setup = step(jobs["test"], "setup-runtime")["with"]
    assert setup["cache"] == "pip" and "pyproject.toml" in setup["cache-dependency-path"]
    text = (tmp_path / "shipline.yml").read_text()
    assert "pyproject.toml [project] requires-python '>=3.10'" in text


def test_a_uv_project_installs_with_uv_sync_into_its_own_environment(tmp_path):
    build_file_tree(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "app"\n[project.optional-dependencies]\ntest = ["httpx"]\n[dependency-groups]\ndev = ["pytest"]\n',
            "uv.lock": "version = 1\n",
            "tests/test_app.py": "def test_x():\n    pass\n",
        },
    )
    jobs = pipeline(tmp_path)
    run = step(jobs["test"], "install")["run"].splitlines()
    # uv from pip where the job has none; the job's Python, never a download; later steps use .venv
    assert run == [
        "command -v uv >/dev/null || python -m pip install uv",
        "uv sync --extra test --group dev --python \"$(python -c 'import sys; print(sys.executable)')\"",
        'echo "$PWD/.venv/bin" >> "$GITHUB_PATH"',
        'echo "VIRTUAL_ENV=$PWD/.venv" >> "$GITHUB_ENV"',
    ]
    assert "uv.lock" in step(jobs["test"], "setup-runtime")["with"]["cache-dependency-path"]


@pytest.mark.parametrize(
    ("files", "runtimes", "source"),
    [
        ({"pyproject.toml": '[project]\nname = "a"\nrequires-python = ">=3.14"\n'}, ["3.14"], "requires-python"),
        ({"pyproject.toml": '[project]\nname = "a"\nrequires-python = ">=3.9"\n', ".python-version": "3.13.1\n"}, ["3.13"], ".python-version"),
        ({"pyproject.toml": '[tool.poetry]\nname = "a"\n[tool.poetry.dependencies]\npython = "^3.12"\n'}, ["3.12", "3.13", "3.14"], "tool.poetry"),
        ({"setup.py": "setup(python_requires='>=3.12')\n"}, ["3.12", "3.13", "3.14"], "setup.py"),
        ({"package.json": "{}", ".nvmrc": "v20.11.0\n"}, ["20"], ".nvmrc"),
        ({"package.json": '{"engines": {"node": ">=24"}}'}, ["24"], "engines.node"),
        ({"package.json": '{"engines": {"node": "^18 || ^20"}}'}, ["20"], "allows no supported LTS"),
        ({"go.mod": "module m\n\ngo 1.23\n"}, ["1.23"], "go directive"),
        ({"go.mod": "module m\n\ngo 1.22\n\ntoolchain go1.23.4\n"}, ["1.23.4"], "toolchain"),
    ],
)
def test_declared_runtimes_are_read_and_cited(tmp_path, files, runtimes, source):
    build_file_tree(tmp_path, files)
    (found,) = starter.detect(tmp_path)
    assert [r.value for r in found.detection.runtimes] == runtimes
    assert source in found.detection.runtimes[0].source


@pytest.mark.parametrize(
    ("files", "manager", "install"),
    [
        ({"package-lock.json": "{}"}, "npm", "npm ci"),
        ({}, "npm", "npm install"),
        ({"pnpm-lock.yaml": "lockfileVersion: '9.0'\n"}, "pnpm", "corepack enable\npnpm install --frozen-lockfile"),
        ({"yarn.lock": "# yarn lockfile v1\n"}, "yarn", "corepack enable\nyarn install --frozen-lockfile"),
        ({"yarn.lock": "__metadata:\n  version: 8\n"}, "yarn-berry", "corepack enable\nyarn install --immutable"),
        ({"bun.lock": "{}"}, "bun", "bun install --frozen-lockfile"),
    ],
)
def test_node_package_manager_from_the_lockfile(tmp_path, files, manager, install):
    build_file_tree(tmp_path, {"package.json": '{"scripts": {"test": "node --test"}}', **files})
    files_ = ProjectFiles(tmp_path)
    assert get("node").detect(files_).package_manager.value == manager
    assert get("node").install(files_, "test") == install


def test_package_manager_field_wins_and_the_test_job_installs_too(tmp_path):
    build_file_tree(tmp_path, {"package.json": '{"name": "u", "packageManager": "pnpm@10.12.1", "scripts": {"test": "vitest run"}}', "package-lock.json": "{}"})
    jobs = pipeline(tmp_path)
    for job in ("build", "test"):
        assert step(jobs[job], "install")["run"] == "corepack enable\npnpm install\n", job


def test_npm_placeholder_test_script_gets_no_test_job(tmp_path):
    build_file_tree(tmp_path, {"package.json": '{"name": "r", "scripts": {"test": "echo \\"Error: no test specified\\" && exit 1"}}', "package-lock.json": "{}"})
    jobs = pipeline(tmp_path)
    assert "test" not in jobs and "build" in jobs
    assert "enabled: false  # package.json has no test script" in (tmp_path / "shipline.yml").read_text()


def test_root_project_with_examples_stays_one_project(tmp_path):
    build_file_tree(
        tmp_path,
        {
            "package.json": '{"name": "lib", "scripts": {"test": "node --test"}}',
            "examples/chat/package.json": '{"name": "chat"}',
            "examples/cluster/package.json": '{"name": "cluster"}',
            "test/fixtures/app/package.json": "{}",
        },
    )
    assert [(p["path"], p["name"]) for p in detected(tmp_path)] == [(".", "lib")]


def test_unittest_project_is_tested_with_unittest_and_needs_no_pytest(tmp_path):
    build_file_tree(tmp_path, {"requirements.txt": "flask\n", "tests.py": "import unittest\n\n\nclass T(unittest.TestCase):\n    pass\n"})
    (found,) = detected(tmp_path)
    assert found["tests"] == "unittest"
    jobs = pipeline(tmp_path)
    assert "pytest" not in step(jobs["test"], "install")["run"]


def test_manifest_install_replaces_the_default(tmp_path):
    build_file_tree(tmp_path, {"requirements.txt": "flask\n", "tests/test_a.py": "def test_a():\n    pass\n"})
    assert run_cli("init", cwd=tmp_path).code == 0
    manifest = tmp_path / "shipline.yml"
    manifest.write_text(manifest.read_text() + "\ninstall:\n  test: make deps\n")
    assert run_cli("generate", cwd=tmp_path).code == 0
    jobs = YAML(typ="safe").load((tmp_path / ".github/workflows/shipline-pipeline.yml").read_text())["jobs"]
    assert step(jobs["test"], "install")["run"] == "make deps\n"
    assert "-r requirements.txt" in step(jobs["build"], "install")["run"]


def test_poetry_runs_from_its_own_environment(tmp_path):
    """Installing a project poetry depends on (cleo) must not replace poetry's own packages."""
    build_file_tree(tmp_path, {"pyproject.toml": '[tool.poetry]\nname = "cleo"\n[tool.poetry.group.dev.dependencies]\npytest = "^7"\n', "tests/test_a.py": "def test_a():\n    pass\n"})
    install = get("python").install(ProjectFiles(tmp_path), "test")
    assert install.splitlines()[0] == 'python -m venv "${RUNNER_TEMP:-/tmp}/shipline-poetry"'
    assert "POETRY_VIRTUALENVS_CREATE=false" in install and "VIRTUAL_ENV=" in install
