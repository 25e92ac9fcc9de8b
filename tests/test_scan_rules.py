"""shipline's own semgrep rules: every rule has a fixing message, metadata, and a positive and a negative case.

Cases live in tests/scan_rules/ in semgrep's test format (``# ruleid:`` on the line
before a match, ``# ok:`` before code that must not match), checked offline with
``semgrep --test``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from shipline.scan.model import SEVERITIES
from shipline.scan.semgrep import OFFLINE, builtin_rules

CASES = Path(__file__).parent / "scan_rules"
# rule file -> its case file (semgrep --test pairs them by name)
PAIRS = {
    "python.yml": "python.py",
    "javascript.yml": "javascript.js",
    "dockerfile.yml": "dockerfile.dockerfile",
    "github-actions.yml": "github-actions.yaml",
    "python-web.yml": "python-web.py",
    "templates.yml": "templates.html",
}
SEMGREP = shutil.which("semgrep", path=str(Path(sys.executable).parent)) or "semgrep"


def _rules(name: str) -> list[dict]:
    return YAML(typ="safe").load((builtin_rules() / name).read_text())["rules"]


def _semgrep_test(config: Path, target: Path) -> dict:
    proc = subprocess.run([SEMGREP, "--test", "--json", *OFFLINE, "--config", str(config), str(target)], capture_output=True, text=True, timeout=300)
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def results() -> dict[str, dict]:
    """rule id -> semgrep's verdict, one semgrep run per rule file."""
    checks = {}
    for rules, case in PAIRS.items():
        report = _semgrep_test(builtin_rules() / rules, CASES / case)
        assert not report["config_with_errors"], report["config_with_errors"]
        for per_config in report["results"].values():
            checks.update(per_config["checks"])
    return checks


def test_every_rule_file_has_a_case_file():
    assert sorted(p.name for p in builtin_rules().glob("*.yml")) == sorted(PAIRS)


@pytest.mark.parametrize("rules", sorted(PAIRS))
def test_every_rule_has_fix_message_cwe_and_severity(rules):
    for rule in _rules(rules):
        meta = rule["metadata"]
        assert rule["id"].startswith("shipline."), rule["id"]
        assert len(rule["message"]) > 80, f"{rule['id']}: the message must say how to fix it"
        assert meta["severity"] in SEVERITIES, rule["id"]
        assert meta["cwe"] and all(re.match(r"CWE-\d+: ", c) for c in meta["cwe"]), rule["id"]


@pytest.mark.parametrize("rules", sorted(PAIRS))
def test_every_rule_has_positive_and_negative_cases(rules):
    text = (CASES / PAIRS[rules]).read_text()
    for rule in _rules(rules):
        # the annotation ends the line, or an HTML comment: <!-- ok: rule -->
        assert re.search(rf"ruleid: {re.escape(rule['id'])}( -->)?\n", text), f"{rule['id']}: no positive case in {PAIRS[rules]}"
        assert re.search(rf"ok: {re.escape(rule['id'])}( -->)?\n", text), f"{rule['id']}: no negative case in {PAIRS[rules]}"


@pytest.mark.parametrize("rules", sorted(PAIRS))
def test_every_rule_passes_its_cases(rules, results):
    for rule in _rules(rules):
        check = results.get(rule["id"])
        assert check is not None, f"{rule['id']}: semgrep ran no case for it"
        assert check["passed"], f"{rule['id']}: {check['matches']}"


def test_the_web_taint_rules_share_one_definition_of_request_data():
    """semgrep has no shared definitions, so each taint rule repeats the sources: kept identical."""
    rules = [r for r in _rules("python-web.yml") if r.get("mode") == "taint"]
    assert len(rules) == 9
    assert all(r["pattern-sources"] == rules[0]["pattern-sources"] for r in rules)


def test_a_wrong_case_fails(tmp_path):
    """The check above can fail: a case file expecting a match on safe code does."""
    case = tmp_path / "python.py"
    case.write_text("import yaml\n# ruleid: shipline.python.unsafe-yaml-load\nyaml.safe_load(text)\n")
    report = _semgrep_test(builtin_rules() / "python.yml", case)
    checks = next(iter(report["results"].values()))["checks"]
    assert checks["shipline.python.unsafe-yaml-load"]["passed"] is False


def _expected(text: str) -> set[tuple[str, int]]:
    """(rule id, line) for every ``ruleid:`` annotation: the match is on the next line."""
    return {(m.group(1), text.count("\n", 0, m.start()) + 2) for m in re.finditer(r"ruleid: (\S+)", text)}


def test_the_engine_shipline_runs_finds_exactly_the_annotated_lines(tmp_path):
    """`shipline scan` runs semgrep's native command line: it must agree with the cases too."""
    from shipline.scan.semgrep import Semgrep
    from shipline.scan.tool import Settings

    placed = {
        "python.py": "app/cases.py",
        "python-web.py": "app/views.py",
        "templates.html": "app/templates/cases.html",
        "javascript.js": "web/cases.js",
        "dockerfile.dockerfile": "Dockerfile",
        "github-actions.yaml": ".github/workflows/cases.yaml",
    }
    expected, own = set(), {}
    rules_of = {case: rules for rules, case in PAIRS.items()}
    for case, where in placed.items():
        text = (CASES / case).read_text()
        (tmp_path / where).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / where).write_text(text)
        expected |= {(rule, where, line) for rule, line in _expected(text)}
        own[where] = {rule["id"] for rule in _rules(rules_of[case])}
    output = Semgrep().scan(tmp_path, sorted(placed.values()), [], Settings())
    # each case file answers for its own rule file's rules (the web cases also trip the pattern rules)
    assert {(f.rule.id, f.path, f.line) for f in output.findings if f.rule.id in own[f.path]} == expected
