"""Bad input and broken scanners: a clear exit 2 or 3 naming the tool and what it said, never a silent pass."""

from __future__ import annotations

import os
import stat

from tests.helpers import build_file_tree, run_cli

MANIFEST = "version: 1\nproject: {{name: app, language: python}}\nsecurity: {{{security}}}\n"


def test_missing_path_is_bad_input(tmp_path):
    result = run_cli("scan", "nowhere", cwd=tmp_path)
    assert result.code == 2
    assert result.err == "shipline: error: nowhere: no such file or directory to scan\n"


def test_unknown_fail_on_lists_the_allowed_values(tmp_path):
    result = run_cli("scan", "--fail-on", "severe", cwd=tmp_path)
    assert result.code == 2
    assert 'unknown severity "severe"; expected one of: critical, high, medium, low, none' in result.err


def test_manifest_security_fail_on_is_validated(tmp_path):
    build_file_tree(tmp_path, {"shipline.yml": MANIFEST.format(security="fail_on: hihg")})
    result = run_cli("scan", cwd=tmp_path)
    assert result.code == 2
    assert 'shipline.yml:3:21: unknown fail_on "hihg" (did you mean "high"?)' in result.err


def test_missing_rules_file_is_bad_input(tmp_path):
    build_file_tree(tmp_path, {"shipline.yml": MANIFEST.format(security="rules: [rules/ours.yml]"), "app.py": "x = 1\n"})
    result = run_cli("scan", cwd=tmp_path)
    assert result.code == 2
    assert "semgrep: no such rules file or directory" in result.err and "rules/ours.yml" in result.err


def test_rules_file_semgrep_cannot_read_names_semgrep_and_its_error(tmp_path):
    build_file_tree(tmp_path, {"shipline.yml": MANIFEST.format(security="rules: [ours.yml]"), "ours.yml": b"\xff\xfe rules: [", "app.py": "x = 1\n"})
    result = run_cli("scan", cwd=tmp_path)
    assert result.code == 2
    assert result.err.startswith("shipline: error: semgrep rejected the rules (exit 7): Invalid YAML at line ")
    assert "ours.yml:1" in result.err


def test_broken_rule_reports_what_semgrep_said(tmp_path):
    bad_rule = "rules:\n  - id: broken\n    languages: [python]\n    severity: ERROR\n    message: m\n    pattern: eval(\n"
    build_file_tree(tmp_path, {"shipline.yml": MANIFEST.format(security="rules: [ours.yml]"), "ours.yml": bad_rule, "app.py": "x = 1\n"})
    result = run_cli("scan", cwd=tmp_path)
    assert result.code == 2, result.err
    assert result.err.startswith("shipline: error: semgrep rejected the rules (exit ")
    assert "): Rule parse error in rule broken: Invalid pattern for Python" in result.err
    assert result.err.count("\n") == 1  # one line


def test_crashing_scanner_is_exit_3_naming_it(tmp_path, monkeypatch):
    fake = build_file_tree(tmp_path / "bin", {"semgrep": "#!/bin/sh\necho 'Fatal error: out of memory' >&2\nexit 139\n"}) / "semgrep"
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    build_file_tree(tmp_path / "proj", {"app.py": "x = 1\n"})
    result = run_cli("scan", cwd=tmp_path / "proj")
    assert result.code == 3
    assert result.err == "shipline: error: semgrep: exit 139: Fatal error: out of memory\n"
    assert not (tmp_path / "proj" / "shipline.sarif").exists()


def test_unknown_baseline_ref_is_bad_input(tmp_path):
    import subprocess

    build_file_tree(tmp_path, {"app.py": "x = 1\n"})
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    result = run_cli("scan", "--baseline-ref", "no-such-branch", cwd=tmp_path)
    assert result.code == 2
    assert '--baseline-ref "no-such-branch" is not a commit here' in result.err


def test_broken_baseline_file_is_located(tmp_path):
    build_file_tree(tmp_path, {".shipline/scan-baseline.json": '{"version": 1,\n "findings": [}\n', "app.py": "x = 1\n"})
    result = run_cli("scan", "--update-baseline", "--baseline-ref", "main", cwd=tmp_path)
    assert result.code == 2 and "cannot be combined" in result.err
