"""bandit on Python code."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shipline.errors import ToolError
from shipline.scan import tool
from shipline.scan.model import Finding, Note, Rule
from shipline.scan.tool import Output, Settings

_SEVERITY = {"HIGH": "high", "MEDIUM": "medium", "LOW": "low"}
_CHUNK = 2000  # files per bandit run: keeps the command line far below the kernel's limit
_HELP = "See the linked bandit documentation for safer alternatives."
# With semgrep on, shipline.python.hard-coded-secret judges hard-coded secrets (the value
# must look random; URLs and variable names are not secrets). bandit's tests flag any
# string assigned to a secret-like name, at low: left out rather than repeated.
SECRET_TESTS = ("B105", "B106", "B107")


def _finding(result: dict[str, Any]) -> Finding:
    cwe = result.get("issue_cwe") or {}
    test_id = result["test_id"]
    rule = Rule(
        id=f"bandit.{test_id}",
        tool="bandit",
        name=result.get("test_name", test_id),
        message=f"{result['issue_text']} {_HELP}",
        severity=_SEVERITY.get(result.get("issue_severity", ""), "medium"),
        cwes=(f"CWE-{cwe['id']}",) if cwe.get("id") else (),
        help_uri=result.get("more_info", ""),
    )
    path = Path(result["filename"]).as_posix()
    line = int(result["line_number"])
    end_line = max(result.get("line_range") or [line])
    col = int(result.get("col_offset", 0)) + 1
    end_col = int(result.get("end_col_offset", col - 1)) + 1
    return Finding(rule, path.removeprefix("./"), line, col, end_line, end_col, result["issue_text"])


class Bandit:
    """Runs ``bandit -f json`` and reads its results."""

    name = "bandit"

    def enabled(self, settings: Settings) -> bool:
        """On unless the manifest turns it off (the default for non-Python projects)."""
        return settings.bandit

    def scan(self, root: Path, files: Sequence[str], large: Sequence[str], settings: Settings) -> Output:
        """Scan the Python files among ``files`` and ``large`` (bandit has no size limit)."""
        targets = [t for t in (*files, *large) if t.endswith(".py")]
        output = Output()
        for start in range(0, len(targets), _CHUNK):
            self._run(root, targets[start : start + _CHUNK], settings, output)
        return output

    def _run(self, root: Path, targets: Sequence[str], settings: Settings, output: Output) -> None:
        argv = ["-f", "json", "-q"]
        if settings.semgrep:
            argv += ["-s", ",".join(SECRET_TESTS)]
        proc = tool.run("bandit", [*argv, "--", *targets], cwd=root)
        try:
            report = json.loads(proc.stdout)
        except json.JSONDecodeError:
            raise ToolError("bandit", f"exit {proc.returncode}: {tool.last_lines(proc.stderr or proc.stdout)}") from None
        if proc.returncode not in (0, 1):
            raise ToolError("bandit", f"exit {proc.returncode}: {tool.last_lines(proc.stderr)}")
        output.notes += [Note(str(e.get("filename", "")).removeprefix("./"), f"bandit could not parse it: {e.get('reason', '')}") for e in report.get("errors", [])]
        output.findings += [_finding(r) for r in report.get("results", [])]
