"""Lint workflow files with actionlint and ``zizmor --offline``, when they are installed.

Findings come back as `Problem`s located in the files; a linter that is missing is
reported as skipped, never as a pass. ``zizmor`` always runs offline: with a token set
and no network it would crash.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shipline.errors import Problem, ToolError

_ACTIONLINT_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<message>.*)$")
ZIZMOR_CONFIGS = ("zizmor.yml", ".github/zizmor.yml")


@dataclass
class LintResult:
    """What the linters found, and which linters could not run."""

    problems: list[Problem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def find_tool(name: str, environ: Mapping[str, str]) -> str | None:
    """``name`` beside the running Python (shipline installs the versions it parses), else on PATH."""
    path = os.pathsep.join(p for p in (os.path.dirname(sys.executable), environ.get("PATH", "")) if p)
    return shutil.which(name, path=path)


def _run(argv: Sequence[str], cwd: Path, environ: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(list(argv), cwd=cwd, env=dict(environ), capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ToolError(Path(argv[0]).name, str(err)) from None


def actionlint(exe: str, root: Path, files: Sequence[str], environ: Mapping[str, str]) -> list[Problem]:
    """actionlint's findings in ``files`` (paths relative to ``root``)."""
    # named explicitly: actionlint looks for its config next to the nearest .git, which may lie above ``root``
    config = root / ".github" / "actionlint.yaml"
    proc = _run([exe, "-no-color", "-oneline", *(["-config-file", str(config)] if config.is_file() else []), *files], root, environ)
    if proc.returncode not in (0, 1):
        raise ToolError("actionlint", (proc.stderr or proc.stdout).strip()[:500])
    problems = []
    for line in proc.stdout.splitlines():
        m = _ACTIONLINT_LINE.match(line)
        if m:
            problems.append(Problem(m["file"], int(m["line"]), int(m["col"]), m["message"], rule="actionlint"))
    return problems


def zizmor(exe: str, root: Path, config: Path | None, environ: Mapping[str, str]) -> list[Problem]:
    """zizmor's findings under ``root``, offline."""
    argv = [exe, "--offline", "--format", "json"]
    argv += ["--config", str(config)] if config else ["--no-config"]
    proc = _run([*argv, "."], root, {**environ, "ZIZMOR_OFFLINE": "1"})
    # 0 clean, 11-14 findings by the worst severity; anything else is zizmor failing
    if proc.returncode not in (0, 11, 12, 13, 14):
        raise ToolError("zizmor", (proc.stderr or proc.stdout).strip()[-500:])
    try:
        findings = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        raise ToolError("zizmor", f"unreadable output: {proc.stdout[:200]!r}") from None
    problems = []
    for f in findings:
        primary = next((loc for loc in f["locations"] if loc["symbolic"].get("kind") == "Primary"), f["locations"][0])
        file = primary["symbolic"]["key"].get("Local", {}).get("verbatim_path", "?").removeprefix("./")
        point = primary["concrete"]["location"]["start_point"]
        message = f"{f['desc']}: {primary['symbolic'].get('annotation', '')}".rstrip(": ")
        problems.append(Problem(file, point["row"] + 1, point["column"] + 1, message, rule=f"zizmor/{f['ident']}"))
    return problems


def kit_policy(kit_repository: str) -> str:
    """A zizmor config that lets the kit's own actions be pinned by tag, every other action by SHA.

    Used only when the repository has no zizmor config of its own: a team that writes
    `kit.ref: v1` follows the kit's releases on purpose, while a third-party action
    on a moving tag is still a finding.
    """
    return (
        "# Written by shipline check: the kit's actions may follow a release tag.\n"
        "rules:\n"
        "  unpinned-uses:\n"
        "    config:\n"
        "      policies:\n"
        f'        "{kit_repository}/*": ref-pin\n'
        '        "*": hash-pin\n'
    )


def lint(root: Path, workflow_files: Sequence[str], environ: Mapping[str, str], zizmor_config: Path | None = None) -> LintResult:
    """Run both linters on the workflows under ``root`` (zizmor also reads dependabot.yml)."""
    out = LintResult()
    exe = find_tool("actionlint", environ)
    if exe:
        out.problems += actionlint(exe, root, workflow_files, environ)
    else:
        out.skipped.append("actionlint")
    exe = find_tool("zizmor", environ)
    if exe:
        out.problems += zizmor(exe, root, zizmor_config, environ)
    else:
        out.skipped.append("zizmor")
    return out
