"""shipline on its corpus (tests/scan_corpus, and the held-out one in heldout/): every
vulnerability judged by hand is found (but the held-out corpus's listed misses),
nothing at high is reported where there is none, and the workflow fixtures get exactly
the findings listed next to them (zizmor's high findings, differences noted)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.helpers import run_cli

CORPUS = Path(__file__).parent / "scan_corpus"


def scan_copy(folder: str, tmp_path: Path) -> list[dict]:
    """Scan a copy (under tests/ the scan's default ignores would skip it) in its own git repository."""
    repo = tmp_path / folder
    shutil.copytree(CORPUS / folder, repo, ignore=shutil.ignore_patterns("expected.yml"))
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    result = run_cli("scan", "--format", "json", "--fail-on", "none", cwd=repo)
    assert result.code == 0, result.err
    return json.loads(result.out)["new"]


@pytest.mark.parametrize("corpus", [".", "heldout"])
def test_every_judged_vulnerability_is_found_and_nothing_severe_elsewhere(corpus, tmp_path):
    """The corpus the rules were written with, and one written after them from other applications."""
    judged = YAML(typ="safe").load((CORPUS / corpus / "ground-truth.yml").read_text())
    truth = judged["vulnerabilities"]
    found = scan_copy(f"{corpus}/apps", tmp_path)

    def hit(finding: dict, vuln: dict) -> bool:
        return finding["path"] == vuln["file"].removeprefix("apps/") and vuln["lines"][0] <= finding["line"] <= vuln["lines"][1]

    assert sorted(v["id"] for v in truth if not any(hit(f, v) for f in found)) == sorted(judged.get("missed_by_shipline", []))
    severe = [f for f in found if f["severity"] in ("critical", "high") and not any(hit(f, v) for v in truth)]
    assert severe == []


def test_workflow_fixtures_get_exactly_the_expected_findings(tmp_path):
    expected = YAML(typ="safe").load((CORPUS / "workflows" / "expected.yml").read_text())["findings"]
    found = scan_copy("workflows", tmp_path)
    severe = sorted([f["path"], f["line"], f["rule"].rsplit(".", 1)[-1]] for f in found if f["severity"] in ("critical", "high"))
    assert severe == sorted(expected)
