"""Fingerprints, merging, the gate and the suppressions file, without running a scanner."""

from __future__ import annotations

import datetime as dt

import pytest

from shipline.errors import InputError
from shipline.scan import fingerprint, gate, suppressions
from shipline.scan.merge import merge
from shipline.scan.model import Finding, Rule
from shipline.scan.suppressions import Suppressions

EVAL = Rule("shipline.python.eval-exec", "semgrep", "eval-exec", "Do not eval.", "high", ("CWE-95: Eval injection",), covers=("bandit.B307",))
B307 = Rule("bandit.B307", "bandit", "blacklist", "eval is insecure.", "medium", ("CWE-78",))
B602 = Rule("bandit.B602", "bandit", "subprocess_popen_with_shell_equals_true", "shell=True.", "high", ("CWE-78",))
SHELL = Rule("shipline.python.shell-injection", "semgrep", "shell-injection", "No shell.", "high", ("CWE-78: OS Command Injection",))
LOW = Rule("bandit.B404", "bandit", "import_subprocess", "subprocess imported.", "low", ("CWE-78",))


def at(rule: Rule, path: str, line: int, col: int = 1, end_line: int | None = None) -> Finding:
    return Finding(rule, path, line, col, end_line or line, col + 5, rule.message)


def fingerprints(text: str, findings: list[Finding]) -> list[str]:
    fingerprint.assign(findings, lambda path: text.splitlines())
    return [f.fingerprint for f in findings]


def test_fingerprint_survives_lines_moving_and_reindenting():
    before = "x = 1\neval(a)\neval(a)\n"
    after = "'''doc'''\n\nimport os\n\nif True:\n    eval(a)\n\n\neval(a)\n"
    old = fingerprints(before, [at(EVAL, "m.py", 2), at(EVAL, "m.py", 3)])
    new = fingerprints(after, [at(EVAL, "m.py", 6), at(EVAL, "m.py", 9)])
    assert old == new
    assert len(set(old)) == 2  # identical code twice: told apart by its occurrence index


def test_fingerprint_changes_with_the_code_rule_or_file():
    base = fingerprints("eval(a)\n", [at(EVAL, "m.py", 1)])
    assert fingerprints("eval(b)\n", [at(EVAL, "m.py", 1)]) != base
    assert fingerprints("eval(a)\n", [at(EVAL, "n.py", 1)]) != base
    assert fingerprints("eval(a)\n", [at(B307, "m.py", 1)]) != base


def test_merge_folds_covered_and_same_cwe_findings_keeping_the_more_severe():
    merged = merge([[at(EVAL, "m.py", 3), at(SHELL, "m.py", 7)], [at(B307, "m.py", 3), at(B602, "m.py", 7), at(LOW, "m.py", 1), at(B307, "n.py", 3)]])
    assert [(f.rule.id, f.path, f.line, f.also) for f in merged] == [
        ("bandit.B404", "m.py", 1, []),
        ("shipline.python.eval-exec", "m.py", 3, ["bandit.B307"]),
        ("shipline.python.shell-injection", "m.py", 7, ["bandit.B602"]),
        ("bandit.B307", "n.py", 3, []),
    ]


def test_merge_lets_a_more_severe_later_finding_win():
    quiet = Rule("user.shell", "semgrep", "shell", "shell.", "low", ("CWE-78",))
    merged = merge([[at(quiet, "m.py", 7)], [at(B602, "m.py", 7)]])
    assert [(f.rule.id, f.also) for f in merged] == [("bandit.B602", ["user.shell"])]


@pytest.mark.parametrize(
    ("fail_on", "failing"),
    [("critical", []), ("high", ["shipline.python.eval-exec"]), ("low", ["bandit.B404", "shipline.python.eval-exec"]), ("none", [])],
)
def test_gate_fails_on_new_findings_at_or_above_the_threshold(fail_on, failing):
    findings = [at(EVAL, "m.py", 3), at(SHELL, "m.py", 7), at(LOW, "m.py", 1)]
    fingerprint.assign(findings, lambda path: ["import subprocess", "", "eval(a)", "", "", "", "os.system(c)"])
    old = {findings[1].fingerprint}  # the shell injection is in the baseline
    verdict = gate.decide(findings, old, Suppressions(), fail_on)
    assert sorted(f.rule.id for f in verdict.failing) == failing
    assert verdict.passed is (not failing)
    assert len(verdict.new) == 2


def test_expired_suppression_fails_unless_fail_on_none(tmp_path):
    path = tmp_path / "s.yml"
    path.write_text('suppressions:\n  - fingerprint: 0123abcd\n    reason: reviewed\n    expires: "2026-01-01"\n')
    loaded = suppressions.load(path, "s.yml", dt.date(2026, 1, 2))
    assert not loaded.active
    assert [str(p) for p in loaded.expired] == [
        "s.yml:4:14: the suppression of 0123abcd expired on 2026-01-01 (reviewed); fix the finding, or renew the suppression with a new expires date"
    ]
    assert not gate.decide([], set(), loaded, "high").passed
    assert gate.decide([], set(), loaded, "none").passed
    assert suppressions.load(path, "s.yml", dt.date(2026, 1, 1)).active == {"0123abcd": "reviewed"}


def test_suppressions_file_errors_are_located(tmp_path):
    path = tmp_path / "s.yml"
    path.write_text('suppressions:\n  - fingerprint: nothex!\n    reason: ok\n    expires: "someday"\n    owner: me\n')
    with pytest.raises(InputError) as err:
        suppressions.load(path, "s.yml", dt.date(2026, 1, 1))
    lines = err.value.lines()
    assert lines[0].startswith('s.yml:2:18: suppressions[0].fingerprint: "nothex!" is not allowed here')
    assert any(line.startswith("s.yml:3:13: suppressions[0].reason") for line in lines)
    assert any(line.startswith("s.yml:4:14: suppressions[0].expires") for line in lines)
    assert any(line.startswith('s.yml:5:5: unknown key "owner"') for line in lines)


def test_a_folder_own_exclude_replaces_the_top_level_one_there_only(tmp_path):
    from shipline.scan.targets import ignore

    ignored = ignore(tmp_path, ["generated/"], [("services/api-v2", ["legacy/", "services/api-v2/old.py"])])
    assert ignored("scripts/generated/x.py") and ignored("services/api/generated/x.py")  # a sibling folder is not the api-v2's
    assert not ignored("services/api-v2/generated/x.py") and not ignored("scripts/legacy/x.py")
    assert ignored("services/api-v2/legacy/x.py") and ignored("services/api-v2/old.py")
    assert ignored("services/api-v2/tests/test_x.py") and ignored("tests/test_x.py")  # semgrep's defaults hold everywhere

