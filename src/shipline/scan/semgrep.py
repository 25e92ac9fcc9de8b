"""semgrep with shipline's own rules (and the user's), fully offline."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from shipline.errors import InputError, ToolError
from shipline.scan import tool
from shipline.scan.model import SEVERITIES, Finding, Note, Rule
from shipline.scan.tool import MAX_BYTES, Output, Settings

# Without these two flags semgrep phones home and every scan takes ~100 s offline.
OFFLINE = ("--disable-version-check", "--metrics=off")
# semgrep's native command line: the same results as the Python one, but it starts in
# ~0.2 s instead of ~2.5 s, which is most of a diff-aware scan's time.
NATIVE = "--experimental"
# semgrep's own scale when a rule has no metadata.severity of ours.
_SEVERITY = {"CRITICAL": "critical", "ERROR": "high", "HIGH": "high", "WARNING": "medium", "MEDIUM": "medium", "INFO": "low", "LOW": "low"}
EXIT_BAD_CONFIG = 7


def builtin_rules() -> Path:
    """The directory of shipline's own rule files."""
    return Path(str(resources.files("shipline.scan") / "rules"))


def _configs(settings: Settings) -> list[str]:
    """shipline's rules, then the user's: absolute paths to files or directories, or registry names."""
    configs = [str(builtin_rules())]
    for config in settings.rules:
        local = Path(config)
        if local.is_absolute():
            if not local.exists():
                raise InputError(f'semgrep: no such rules file or directory "{config}" (security.rules)')
            if not os.access(local, os.R_OK):
                raise InputError(f'semgrep: cannot read the rules file "{config}" (permission denied)')
        configs.append(config)  # a registry name such as p/python needs the network
    return configs


def _rule_id(check_id: str, known: set[str]) -> str:
    """semgrep prefixes a local rule's id with its file's directory; take it off again."""
    for rule_id in known:
        if check_id == rule_id or check_id.endswith("." + rule_id):
            return rule_id
    return check_id


def _local_rule_ids(configs: Sequence[str]) -> set[str]:
    """The ids of the rules in local config files, read without running anything."""
    from ruamel.yaml import YAML

    ids: set[str] = set()
    for config in configs:
        path = Path(config)
        files = sorted(path.rglob("*.y*ml")) if path.is_dir() else [path] if path.is_file() else []
        for file in files:
            try:
                data = YAML(typ="safe").load(file.read_text(encoding="utf-8"))
            except Exception:  # semgrep itself reports a broken rule file, with its position
                continue
            for rule in (data or {}).get("rules", []) if isinstance(data, dict) else []:
                if isinstance(rule, dict) and isinstance(rule.get("id"), str):
                    ids.add(rule["id"])
    return ids


def _cwes(metadata: dict[str, Any]) -> tuple[str, ...]:
    raw = metadata.get("cwe", [])
    return tuple(str(c) for c in (raw if isinstance(raw, list) else [raw]))


def _severity(extra: dict[str, Any]) -> str:
    ours = str(extra.get("metadata", {}).get("severity", "")).lower()
    return ours if ours in SEVERITIES else _SEVERITY.get(str(extra.get("severity", "")).upper(), "medium")


def _finding(result: dict[str, Any], known: set[str]) -> Finding:
    extra = result.get("extra", {})
    metadata = extra.get("metadata", {}) or {}
    rule_id = _rule_id(result["check_id"], known)
    references = metadata.get("references") or []
    rule = Rule(
        id=rule_id,
        tool="semgrep",
        name=rule_id.rsplit(".", 1)[-1],
        message=extra.get("message", "").strip(),
        severity=_severity(extra),
        cwes=_cwes(metadata),
        help_uri=str(metadata.get("source") or (references[0] if references else "")),
        covers=(*(f"bandit.{b}" for b in metadata.get("bandit", []) or []), *(metadata.get("covers", []) or [])),
    )
    start, end = result["start"], result["end"]
    return Finding(rule, Path(result["path"]).as_posix(), start["line"], start["col"], end["line"], end["col"], rule.message)


def _problem(errors: list[dict[str, Any]], stderr: str) -> str:
    messages = [" ".join(str(e["message"]).split()) for e in errors if e.get("message")]
    messages = messages or [line.strip() for line in stderr.splitlines() if "error" in line.lower()]
    return " | ".join(messages[:3]) or tool.last_lines(stderr)


_CHUNK = 4000  # files per semgrep run: keeps the command line far below the kernel's limit


class Semgrep:
    """Runs ``semgrep scan --json`` offline and reads its results."""

    name = "semgrep"

    def enabled(self, settings: Settings) -> bool:
        """On unless the manifest turns it off."""
        return settings.semgrep

    def scan(self, root: Path, files: Sequence[str], large: Sequence[str], settings: Settings) -> Output:
        """Scan ``files`` under ``root`` with shipline's rules and the user's; ``large`` get a note."""
        configs = _configs(settings)
        limit = f"over semgrep's size limit of {MAX_BYTES:,} bytes"
        output = Output(notes=[Note(p, f"{limit}: scanned by bandit only" if p.endswith(".py") and settings.bandit else f"{limit}: not scanned") for p in large])
        if not files:
            return output
        known = _local_rule_ids(configs)
        for start in range(0, len(files), _CHUNK):
            self._run(root, files[start : start + _CHUNK], configs, known, output)
        return output

    def _run(self, root: Path, files: Sequence[str], configs: Sequence[str], known: set[str], output: Output) -> None:
        # the scan root anchors path patterns (/.github/workflows/) also outside git
        argv = ["scan", NATIVE, *OFFLINE, "--json", "--no-autofix", "--max-target-bytes", str(MAX_BYTES), "--project-root", "."]
        for config in configs:
            argv += ["--config", config]
        proc = tool.run("semgrep", [*argv, "--", *files], cwd=root)
        try:
            report = json.loads(proc.stdout) if proc.stdout.strip() else {}
        except json.JSONDecodeError:
            report = {}
        errors = report.get("errors", [])
        bad_rules = [e for e in errors if e.get("level") == "error" and ("rule" in str(e.get("type", "")).lower() or e.get("rule_id"))]
        if proc.returncode == EXIT_BAD_CONFIG or bad_rules:
            raise InputError(f"semgrep rejected the rules (exit {proc.returncode}): {_problem(bad_rules or errors, proc.stderr)}")
        if proc.returncode not in (0, 1) or "results" not in report:
            raise ToolError("semgrep", f"exit {proc.returncode}: {_problem(errors, proc.stderr)}")
        output.notes += [_note(e) for e in errors]
        output.findings += [_finding(r, known) for r in report["results"]]


def _note(error: dict[str, Any]) -> Note:
    """A file semgrep could not parse (partly or at all): what it said, on one line."""
    message = " ".join(str(error.get("message", error.get("type", ""))).split())
    return Note(Path(str(error.get("path", ""))).as_posix(), f"semgrep could not parse it: {message}")
