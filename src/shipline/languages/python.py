"""Python: pyproject.toml (PEP 621, poetry, uv), setup.py/setup.cfg, requirements*.txt, Pipfile."""

from __future__ import annotations

import datetime as dt
import re
import shlex
from collections.abc import Mapping
from typing import Any, ClassVar

from shipline.languages import versions
from shipline.languages.base import BuildContext, Declared, Detection, ProjectFiles, Purpose, RuntimeProbe, SetupAction

TEST_EXTRAS = ("test", "tests", "testing", "dev")
REQUIREMENTS_TEST = ("requirements-dev.txt", "requirements-test.txt", "requirements_dev.txt", "requirements_test.txt", "dev-requirements.txt", "test-requirements.txt")
_PIP = "python -m pip install"
_NEW_PIP = "python -m pip install --upgrade pip\n"  # pip >= 25.1 reads [dependency-groups]


def _first_line(text: str | None) -> str | None:
    for line in (text or "").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            return line
    return None


class Python:
    """CPython projects, packaged or not."""

    name: ClassVar[str] = "python"
    priority: ClassVar[int] = 10
    markers: ClassVar[tuple[str, ...]] = ("pyproject.toml", "setup.py", "setup.cfg", "requirements*.txt", "Pipfile")
    default_runtime: ClassVar[str | None] = "3.12"
    setup: ClassVar[SetupAction | None] = SetupAction(
        "actions/setup-python",
        "python-version",
        "Set up Python",
        sha="5fda3b95a4ea91299a34e894583c3862153e4b97",
        release="v7.0.0",
        # python prints its real executable too: a pyenv shim runs whichever version pyenv picks
        probe=RuntimeProbe(("python{v}", "python3", "python"), ("-c", "import sys; print('%d.%d.%d' % sys.version_info[:3], sys.executable)"), virtualenv=True, path_output="python-path"),
        other_inputs=("python-version-file", "check-latest"),
    )
    artifacts: ClassVar[tuple[str, ...]] = ("dist/*.whl", "dist/*.tar.gz")
    bandit: ClassVar[bool] = True
    today: ClassVar[dt.date | None] = None  # tests pin the day "still supported" is judged on

    # -- detection ------------------------------------------------------------------

    def detect(self, files: ProjectFiles) -> Detection:
        """Name, runtimes, package manager and test tool from what the project declares."""
        pyproject = files.toml("pyproject.toml")
        poetry = pyproject.get("tool", {}).get("poetry", {})
        name = pyproject.get("project", {}).get("name") or poetry.get("name") or self._setup_cfg(files, "name")
        out = Detection(self.name, name=name if isinstance(name, str) else None)
        out.runtimes = self._runtimes(files, pyproject)
        out.package_manager = self._manager(files, pyproject)
        out.tests = self._tests(files, pyproject)
        if out.tests is None:
            out.notes.append("no tests found (no test files, no pytest configuration)")
        return out

    def _setup_cfg(self, files: ProjectFiles, key: str) -> str | None:
        m = re.search(rf"^{key}\s*=\s*(.+)$", files.text("setup.cfg") or "", re.M)
        return m[1].strip() if m else None

    def _runtimes(self, files: ProjectFiles, pyproject: dict[str, Any]) -> list[Declared]:
        pinned = _first_line(files.text(".python-version"))
        if pinned and re.match(r"^\d+\.\d+", pinned):
            return [Declared(".".join(pinned.split(".")[:2]), ".python-version")]
        specs = (
            (pyproject.get("project", {}).get("requires-python"), "pyproject.toml [project] requires-python"),
            (pyproject.get("tool", {}).get("poetry", {}).get("dependencies", {}).get("python"), "pyproject.toml [tool.poetry.dependencies] python"),
            (self._setup_cfg(files, "python_requires"), "setup.cfg python_requires"),
            (self._setup_py_requires(files), "setup.py python_requires"),
        )
        for spec, source in specs:
            if isinstance(spec, str) and spec.strip():
                matrix = versions.allowed(spec, versions.PYTHON_RELEASES, self.today or dt.date.today(), 2)
                if matrix:
                    return [Declared(v, f"{source} {spec.strip()!r}") for v in matrix]
        pipfile = files.toml("Pipfile").get("requires", {}).get("python_version")
        if isinstance(pipfile, str):
            return [Declared(".".join(pipfile.split(".")[:2]), "Pipfile [requires] python_version")]
        return [Declared(self.default_runtime or "", "shipline's default (the project declares no Python version)")]

    def _setup_py_requires(self, files: ProjectFiles) -> str | None:
        m = re.search(r"python_requires\s*=\s*['\"]([^'\"]+)['\"]", files.text("setup.py") or "")
        return m[1] if m else None

    def _manager(self, files: ProjectFiles, pyproject: dict[str, Any]) -> Declared:
        tool = pyproject.get("tool", {})
        if files.exists("poetry.lock") or ("poetry" in tool and "project" not in pyproject):
            return Declared("poetry", "poetry.lock" if files.exists("poetry.lock") else "pyproject.toml [tool.poetry]")
        if files.exists("Pipfile"):
            return Declared("pipenv", "Pipfile")
        if files.exists("uv.lock"):
            return Declared("uv", "uv.lock")
        if pyproject or files.exists("setup.py") or files.exists("setup.cfg"):
            return Declared("pip", "pyproject.toml" if pyproject else "setup.py/setup.cfg")
        return Declared("pip", ", ".join(files.glob("requirements*.txt")) or "requirements.txt")

    def _declares_pytest(self, files: ProjectFiles, pyproject: dict[str, Any]) -> str | None:
        """The file that names pytest (configuration or a test dependency), if any."""
        if "pytest" in pyproject.get("tool", {}) or files.exists("pytest.ini") or files.exists("conftest.py"):
            return "pytest configuration"
        if re.search(r"^\[(tool:)?pytest\]", (files.text("setup.cfg") or "") + (files.text("tox.ini") or ""), re.M):
            return "pytest configuration"
        for name in ("pyproject.toml", "Pipfile", *self._requirement_files(files, "test")):
            if re.search(r"(^|[\"'\s\[,])pytest\b", files.text(name) or "", re.M):
                return name
        return None

    def _test_files(self, files: ProjectFiles) -> list[str]:
        found = [f for f in files.glob("**/test*.py") + files.glob("**/*_test.py") if not re.search(r"(^|/)(\.|venv/|node_modules/|build/|dist/)", f)]
        return sorted(set(found))

    def _tests(self, files: ProjectFiles, pyproject: dict[str, Any]) -> Declared | None:
        declared = self._declares_pytest(files, pyproject)
        if declared:
            return Declared("pytest", declared)
        tests = self._test_files(files)
        if not tests:
            return None
        uses_pytest = any(re.search(r"^\s*(import|from)\s+pytest\b", files.text(f) or "", re.M) for f in tests)
        uses_unittest = any(re.search(r"^\s*(import|from)\s+unittest\b", files.text(f) or "", re.M) for f in tests)
        if uses_unittest and not uses_pytest:
            return Declared("unittest", f"{tests[0]} imports unittest")
        return Declared("pytest", f"{tests[0]}")

    # -- install, build, test -------------------------------------------------------

    def _requirement_files(self, files: ProjectFiles, purpose: Purpose) -> list[str]:
        runtime = [f for f in ("requirements.txt",) if files.exists(f)]
        if purpose == "build":
            return runtime
        test = [f for f in REQUIREMENTS_TEST if files.exists(f)]
        # requirements/tests.txt when there is one; dev.txt often adds docs and release tools
        folder = files.glob("requirements/*.txt")
        test += [f for f in folder if "test" in f.rsplit("/", 1)[-1]] or [f for f in folder if re.search(r"(dev|ci)", f.rsplit("/", 1)[-1])]
        return runtime + test

    def _extras(self, pyproject: dict[str, Any]) -> list[str]:
        extras = pyproject.get("project", {}).get("optional-dependencies", {})
        return [e for e in TEST_EXTRAS if e in extras]

    def _groups(self, pyproject: dict[str, Any]) -> list[str]:
        groups = pyproject.get("dependency-groups", {})
        return [g for g in TEST_EXTRAS if g in groups]

    def _packaged(self, files: ProjectFiles, pyproject: dict[str, Any]) -> bool:
        build_system = "build-system" in pyproject or "project" in pyproject or "poetry" in pyproject.get("tool", {})
        return build_system or files.exists("setup.py") or files.exists("setup.cfg")

    def install(self, files: ProjectFiles, purpose: Purpose) -> str | None:
        """pip (with extras, groups and requirement files), poetry or pipenv; pytest for tests."""
        pyproject = files.toml("pyproject.toml")
        tests = self._tests(files, pyproject)
        if purpose == "build":
            if self._packaged(files, pyproject):
                return f"{_PIP} build"
            reqs = self._requirement_files(files, "build")
            return f"{_PIP} " + " ".join(f"-r {shlex.quote(r)}" for r in reqs) if reqs else None
        manager = self._manager(files, pyproject).value
        extra_tool = " pytest" if tests and tests.value == "pytest" and not self._declares_pytest(files, pyproject) else ""
        if manager == "poetry":
            # poetry in an environment of its own (installing the project must not replace
            # poetry's dependencies), installing into the job's Python
            tool = '"${RUNNER_TEMP:-/tmp}/shipline-poetry"'
            into = "VIRTUAL_ENV=\"$(python -c 'import sys; print(sys.prefix)')\" POETRY_VIRTUALENVS_CREATE=false"
            extra = f"\n{_PIP}{extra_tool}" if extra_tool else ""
            return f"python -m venv {tool}\n{tool}/bin/python -m pip install poetry\n{into} {tool}/bin/poetry install --no-interaction --all-extras{extra}"
        if manager == "pipenv":
            # --system installs only from a lock: without Pipfile.lock, make one first
            lock = "" if files.exists("Pipfile.lock") else "pipenv lock\n"
            deploy = " --deploy" if files.exists("Pipfile.lock") else ""
            return f"{_PIP} pipenv{extra_tool}\n{lock}pipenv install --dev --system{deploy}"
        if manager == "uv":
            return self._uv_sync(pyproject, extra_tool)
        args: list[str] = []
        if self._packaged(files, pyproject):
            extras = self._extras(pyproject)
            args.append(shlex.quote(f".[{','.join(extras)}]") if extras else ".")
            args += [f"--group {g}" for g in self._groups(pyproject)]
        args += [f"-r {shlex.quote(r)}" for r in self._requirement_files(files, "test")]
        if extra_tool:
            args.append("pytest")
        upgrade = _NEW_PIP if any(a.startswith("--group") for a in args) else ""
        return f"{upgrade}{_PIP} " + " ".join(args) if args else None

    def _uv_sync(self, pyproject: dict[str, Any], extra_tool: str) -> str:
        """``uv sync`` with the test extras and groups, as uv projects' own CI installs.

        uv makes the project's ``.venv`` from the job's Python (never a download) and
        the later steps use it; uv itself is installed with pip where the job has none
        (setup-python does not install it; the runner image may or may not have it).
        """
        options = [f"--extra {e}" for e in self._extras(pyproject)] + [f"--group {g}" for g in self._groups(pyproject)]
        sync = " ".join(["uv sync", *options, '--python "$(python -c \'import sys; print(sys.executable)\')"'])
        extra = "\nuv pip install --python .venv/bin/python pytest" if extra_tool else ""
        return (
            f"command -v uv >/dev/null || {_PIP} uv\n{sync}{extra}\n"
            'echo "$PWD/.venv/bin" >> "$GITHUB_PATH"\n'
            'echo "VIRTUAL_ENV=$PWD/.venv" >> "$GITHUB_ENV"'
        )

    def setup_inputs(self, files: ProjectFiles, prefix: str) -> dict[str, str]:
        """pip's cache keyed on the files that declare the dependencies."""
        declared = [f for f in ("pyproject.toml", "setup.py", "setup.cfg", "Pipfile.lock", "poetry.lock", "uv.lock") if files.exists(f)]
        declared += self._requirement_files(files, "test")
        if not declared:
            return {}
        return {"cache": "pip", "cache-dependency-path": "\n".join(prefix + f for f in declared)}

    def build_commands(self, ctx: BuildContext) -> list[list[str]]:
        """``python -m build`` for a package; byte-compiling the code for an application."""
        if self._packaged(ctx.files, ctx.files.toml("pyproject.toml")):
            return [[ctx.python, "-m", "build", "--outdir", "dist", "."]]
        return [[ctx.python, "-m", "compileall", "-q", "-x", r"(^|/)(\.|venv|node_modules)", "."]]

    def built_references(self, ctx: BuildContext, env: Mapping[str, str]) -> list[tuple[str, str]]:
        """None: the build leaves files."""
        return []

    def test_command(self, files: ProjectFiles, python: str) -> list[str] | None:
        """unittest where the project's tests use only it; pytest otherwise (shipline adds its reports); None without tests."""
        tests = self._tests(files, files.toml("pyproject.toml"))
        if tests is None:
            return None
        if tests.value == "unittest":
            # discovery from "." finds only packages; a plain tests/ folder is named
            folder = next((d for d in ("tests", "test") if (files.folder / d).is_dir()), None)
            return [python, "-m", "unittest", "discover", "-v", *(["-s", folder, "-t", "."] if folder else [])]
        return [python, "-m", "pytest"]

    def version(self, files: ProjectFiles) -> str | None:
        """``[project] version`` or poetry's."""
        pyproject = files.toml("pyproject.toml")
        version = pyproject.get("project", {}).get("version") or pyproject.get("tool", {}).get("poetry", {}).get("version")
        return version if isinstance(version, str) else None


LANGUAGE = Python  # found by `shipline.languages`
