"""Node.js: package.json, its lockfile or ``packageManager`` (npm, pnpm, yarn, bun), .nvmrc."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from shipline.languages import versions
from shipline.languages.base import BuildContext, Declared, Detection, ProjectFiles, Purpose, RuntimeProbe, SetupAction

# npm init's test script: a package without tests
PLACEHOLDER_TEST = re.compile(r"no test specified", re.I)
LOCKFILES = (
    ("pnpm-lock.yaml", "pnpm"),
    ("yarn.lock", "yarn"),
    ("bun.lock", "bun"),
    ("bun.lockb", "bun"),
    ("package-lock.json", "npm"),
    ("npm-shrinkwrap.json", "npm"),
)
# what installs exactly the lockfile, per package manager; corepack brings pnpm and yarn
INSTALL = {
    "npm": "npm ci",
    "pnpm": "corepack enable\npnpm install --frozen-lockfile",
    "yarn": "corepack enable\nyarn install --frozen-lockfile",
    "yarn-berry": "corepack enable\nyarn install --immutable",
    "bun": "bun install --frozen-lockfile",
}
NO_LOCKFILE = {"npm": "npm install", "pnpm": "corepack enable\npnpm install", "yarn": "corepack enable\nyarn install", "yarn-berry": "corepack enable\nyarn install", "bun": "bun install"}


class Node:
    """Node.js packages and applications."""

    name: ClassVar[str] = "node"
    priority: ClassVar[int] = 20
    markers: ClassVar[tuple[str, ...]] = ("package.json",)
    default_runtime: ClassVar[str | None] = "22"
    setup: ClassVar[SetupAction | None] = SetupAction(
        "actions/setup-node",
        "node-version",
        "Set up Node.js",
        sha="820762786026740c76f36085b0efc47a31fe5020",
        release="v7.0.0",
        probe=RuntimeProbe(("node",), ("--version",), npm_package="node-{os}-{arch}"),
        other_inputs=("node-version-file", "registry-url"),
    )
    artifacts: ClassVar[tuple[str, ...]] = ()  # a build script's output varies: declare it with build.artifacts
    bandit: ClassVar[bool] = False
    today: ClassVar[dt.date | None] = None

    def detect(self, files: ProjectFiles) -> Detection:
        """Name, Node version, package manager and whether there is a real test script."""
        package = files.json("package.json")
        name = package.get("name")
        out = Detection(self.name, name=name if isinstance(name, str) else None)
        out.runtimes = [self._runtime(files, package)]
        manager, source = self.manager(files, package)
        out.package_manager = Declared(manager, source)
        if not files.exists(next((f for f, m in LOCKFILES if m == manager.removesuffix("-berry")), "package-lock.json")):
            out.notes.append(f"no lockfile: the install runs `{NO_LOCKFILE[manager].splitlines()[-1]}`, so each run may get newer dependencies")
        script = self._test_script(package)
        if script is None:
            out.notes.append('package.json has no test script, or npm\'s placeholder ("Error: no test specified"): no test job')
        else:
            out.tests = Declared(f"{self._run(manager)} test", "package.json scripts.test")
        return out

    def _runtime(self, files: ProjectFiles, package: dict[str, Any]) -> Declared:
        for name in (".nvmrc", ".node-version"):
            value = (files.text(name) or "").strip().lstrip("v")
            if re.match(r"^\d+", value):
                return Declared(value.split(".")[0], name)
        engines = package.get("engines", {}).get("node") if isinstance(package.get("engines"), dict) else None
        if isinstance(engines, str) and engines.strip():
            allowed = versions.allowed(engines, versions.NODE_LTS, self.today or dt.date.today(), 1)
            if self.default_runtime in allowed:
                return Declared(self.default_runtime or "", f"package.json engines.node {engines!r} (the current LTS it allows)")
            if allowed:
                return Declared(allowed[0], f"package.json engines.node {engines!r}")
            older = [v for v, _ in versions.NODE_LTS if versions.satisfies(engines, v, 1)]
            if older:
                return Declared(older[-1], f"package.json engines.node {engines!r} (allows no supported LTS)")
        return Declared(self.default_runtime or "", "shipline's default (the project declares no Node version)")

    def manager(self, files: ProjectFiles, package: dict[str, Any] | None = None) -> tuple[str, str]:
        """``npm``, ``pnpm``, ``yarn`` (classic), ``yarn-berry`` or ``bun``, and where that came from."""
        package = files.json("package.json") if package is None else package
        declared = package.get("packageManager")
        if isinstance(declared, str) and (m := re.match(r"^(npm|pnpm|yarn|bun)@(\d+)", declared)):
            tool = "yarn-berry" if m[1] == "yarn" and int(m[2]) >= 2 else m[1]
            return tool, f"package.json packageManager {declared!r}"
        for lockfile, tool in LOCKFILES:
            if files.exists(lockfile):
                if tool == "yarn" and (files.exists(".yarnrc.yml") or "__metadata:" in (files.text("yarn.lock") or "")):
                    return "yarn-berry", f"{lockfile} (yarn 2 or later)"
                return tool, lockfile
        return "npm", "no lockfile (npm, the default)"

    def _run(self, manager: str) -> str:
        return manager.removesuffix("-berry")

    def _test_script(self, package: dict[str, Any]) -> str | None:
        scripts = package.get("scripts") if isinstance(package.get("scripts"), dict) else {}
        script = scripts.get("test") if scripts else None
        return script if isinstance(script, str) and script.strip() and not PLACEHOLDER_TEST.search(script) else None

    def install(self, files: ProjectFiles, purpose: Purpose) -> str | None:
        """Exactly the lockfile with its own package manager; a plain install without one."""
        manager, _ = self.manager(files)
        lockfile = next((f for f, m in LOCKFILES if m == self._run(manager) and files.exists(f)), None)
        return (INSTALL if lockfile else NO_LOCKFILE)[manager]

    def setup_inputs(self, files: ProjectFiles, prefix: str) -> dict[str, str]:
        """setup-node's cache for npm and yarn classic (pnpm's needs pnpm before setup-node)."""
        manager, _ = self.manager(files)
        lockfile = next((f for f, m in LOCKFILES if m == manager and files.exists(f)), None)
        if manager in ("npm", "yarn") and lockfile:
            return {"cache": manager, "cache-dependency-path": prefix + lockfile}
        return {}

    def build_commands(self, ctx: BuildContext) -> list[list[str]]:
        """The package's build script, when it has one (the install step ran before)."""
        scripts = ctx.files.json("package.json").get("scripts")
        if isinstance(scripts, dict) and isinstance(scripts.get("build"), str):
            return [[self._run(self.manager(ctx.files)[0]), "run", "build"]]
        return []

    def built_references(self, ctx: BuildContext, env: Mapping[str, str]) -> list[tuple[str, str]]:
        """None: the build leaves files."""
        return []

    def test_command(self, files: ProjectFiles, python: str) -> list[str] | None:
        """``<manager> test``, or None for a missing or placeholder test script."""
        if self._test_script(files.json("package.json")) is None:
            return None
        return [self._run(self.manager(files)[0]), "test"]

    def version(self, files: ProjectFiles) -> str | None:
        """package.json's version."""
        version = files.json("package.json").get("version")
        return version if isinstance(version, str) else None


LANGUAGE = Node  # found by `shipline.languages`
