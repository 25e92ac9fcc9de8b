"""The build backend and `shipline build`, in-process: versions, per-language commands, artifacts and digests."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shipline import build
from shipline.languages import BuildContext, ProjectFiles, get
from shipline.languages.container import tag as docker_tag
from shipline.errors import InputError
from shipline.manifest import Build, Project

from tests.helpers import build_file_tree, run_cli

PYDEMO = {p.name: p.read_text(encoding="utf-8") for p in (Path(__file__).parent / "projects" / "pydemo").iterdir() if p.is_file()}


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo, check=True, capture_output=True)


def test_version_precedence(tmp_path):
    build_file_tree(tmp_path, {**PYDEMO, "package.json": '{"version": "3.1.0"}'})
    assert build.resolve_version("9.9.9", tmp_path, "python") == "9.9.9"
    assert build.resolve_version(None, tmp_path, "python") == "1.2.3"
    assert build.resolve_version(None, tmp_path, "node") == "3.1.0"


def test_version_from_git_describe(tmp_path):
    _git(tmp_path, "init", "-q")
    build_file_tree(tmp_path, {"main.go": "package main\n"})
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "one")
    _git(tmp_path, "tag", "v1.5.0")
    assert build.resolve_version(None, tmp_path, "go") == "1.5.0"
    (tmp_path / "main.go").write_text("package main // changed\n")
    assert build.resolve_version(None, tmp_path, "go") == "1.5.0-dirty"


def test_no_version_anywhere_is_bad_input(tmp_path):
    with pytest.raises(InputError, match="cannot tell the version: pass --version"):
        build.resolve_version(None, tmp_path, "go")


def _spec(tmp_path: Path, language: str, **build_fields) -> build.Spec:
    return build.Spec(Project(name="web", language=language), Build(**build_fields), tmp_path, "1.0.0+build.7", "a" * 40)


def _context(tmp_path: Path, image: str = "web") -> BuildContext:
    return BuildContext(ProjectFiles(tmp_path), "1.0.0+build.7", "a" * 40, image)


def test_language_defaults(tmp_path):
    # the install step of the generated job installs; the build only builds
    assert get("node").build_commands(_context(tmp_path)) == []
    build_file_tree(tmp_path, {"package.json": '{"scripts": {"build": "tsc"}}', "pnpm-lock.yaml": "lockfileVersion: 9\n"})
    assert get("node").build_commands(_context(tmp_path)) == [["pnpm", "run", "build"]]
    assert get("go").build_commands(_context(tmp_path)) == [["go", "build", "./..."]]
    build_file_tree(tmp_path, {"pyproject.toml": "[project]\nname = 'web'\n"})
    assert get("python").build_commands(_context(tmp_path)) == [["python", "-m", "build", "--outdir", "dist", "."]]
    (argv,) = get("container").build_commands(_context(tmp_path, "ghcr.io/acme/web"))
    assert argv[:6] == ["docker", "build", "--tag", f"ghcr.io/acme/web:{'a' * 40}", "--tag", "ghcr.io/acme/web:1.0.0-build.7"]
    assert argv[-1] == "."
    assert "VERSION=1.0.0+build.7" in argv


def test_python_application_without_packaging_is_byte_compiled(tmp_path):
    build_file_tree(tmp_path, {"requirements.txt": "flask\n", "app.py": "import flask\n"})
    (argv,) = get("python").build_commands(_context(tmp_path))
    assert argv[1:3] == ["-m", "compileall"]


@pytest.mark.parametrize(("value", "tag"), [("1.2.3", "1.2.3"), ("1.2.3+g1f", "1.2.3-g1f"), ("-x/y", "x-y"), ("", "latest"), ("a" * 200, "a" * 128)])
def test_docker_tags_are_valid(value, tag):
    assert docker_tag(value) == tag


def test_custom_command_with_declared_artifacts(tmp_path):
    spec = _spec(tmp_path, "go", command='mkdir -p out && printf "$VERSION@$COMMIT_SHA" > out/web && echo x > out/notes.txt', artifacts=["out/web", "out/*.txt"])
    result = build.run(spec, env={"PATH": "/usr/bin:/bin"}, stdout=subprocess.DEVNULL)
    assert [a.path for a in result.artifacts] == ["out/web", "out/notes.txt"]
    content = f"1.0.0+build.7@{'a' * 40}".encode()
    assert result.artifacts[0].sha256 == hashlib.sha256(content).hexdigest()
    assert result.artifacts[0].size == len(content)


def test_failing_command_raises_build_failed(tmp_path):
    with pytest.raises(build.BuildFailed) as err:
        build.run(_spec(tmp_path, "go", command="exit 7"), env={"PATH": "/usr/bin:/bin"}, stdout=subprocess.DEVNULL)
    assert (err.value.command, err.value.returncode) == ("exit 7", 7)


def test_missing_tool_is_bad_input(tmp_path):
    with pytest.raises(InputError, match="go is not installed or not on PATH"):
        build.run(_spec(tmp_path, "go"), env={"PATH": str(tmp_path)}, stdout=subprocess.DEVNULL)


def test_cli_python_build_outputs_only_fresh_artifacts(tmp_path):
    build_file_tree(
        tmp_path,
        {
            "shipline.yml": "version: 1\nproject: {name: demo, language: python}\n",
            **PYDEMO,
            "dist/demo-0.3.0-py3-none-any.whl": b"an old build",
        },
    )
    old = tmp_path / "dist/demo-0.3.0-py3-none-any.whl"
    subprocess.run(["touch", "-d", "2020-01-01", str(old)], check=True)
    out_file = tmp_path / "out.txt"
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "GITHUB_OUTPUT": str(out_file), "GITHUB_SHA": "b" * 40}
    res = run_cli("build", "--format", "json", cwd=tmp_path, env=env)
    assert res.code == 0, res.out + res.err
    doc = json.loads(res.out)
    assert doc["version"] == "1.2.3"
    assert doc["artifacts"] == ["dist/demo-1.2.3-py3-none-any.whl", "dist/demo-1.2.3.tar.gz"]
    for path, digest in doc["digests"].items():
        assert hashlib.sha256((tmp_path / path).read_bytes()).hexdigest() == digest
    outputs = dict(line.split("=", 1) for line in out_file.read_text().splitlines())
    assert json.loads(outputs["artifacts"]) == doc["artifacts"]
    assert outputs["version"] == "1.2.3"


def test_cli_failed_build_exits_1_with_summary(tmp_path):
    build_file_tree(tmp_path, {"shipline.yml": "version: 1\nproject: {name: demo, language: go}\nbuild: {command: 'exit 2'}\n"})
    summary = tmp_path / "summary.md"
    res = run_cli("build", "--version", "1.0.0", cwd=tmp_path, env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert res.code == 1
    assert "error: build failed: `exit 2` exited with code 2" in res.err
    assert "### Build failed: demo 1.0.0" in summary.read_text()


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_cli_node_build_with_real_npm(tmp_path):
    build_file_tree(
        tmp_path,
        {
            "shipline.yml": "version: 1\nproject: {name: web, language: node}\nbuild: {artifacts: ['dist/*.js']}\n",
            "package.json": json.dumps(
                {"name": "web", "version": "2.3.4", "private": True, "scripts": {"build": "node -e \"require('fs').mkdirSync('dist');require('fs').writeFileSync('dist/app.js','x')\""}}
            ),
            # no dependencies: `npm ci` installs nothing and needs no registry
            "package-lock.json": json.dumps({"name": "web", "version": "2.3.4", "lockfileVersion": 3, "requires": True, "packages": {"": {"name": "web", "version": "2.3.4"}}}),
        },
    )
    offline = {"npm_config_offline": "true", "npm_config_audit": "false", "npm_config_fund": "false", "npm_config_update_notifier": "false"}
    res = run_cli("build", "--format", "json", cwd=tmp_path, env={"PATH": "/usr/local/bin:/usr/bin:/bin", **offline})
    assert res.code == 0, res.err
    doc = json.loads(res.out)
    assert (doc["version"], doc["commands"]) == ("2.3.4", ["npm run build"])
    assert doc["digests"] == {"dist/app.js": hashlib.sha256(b"x").hexdigest()}
