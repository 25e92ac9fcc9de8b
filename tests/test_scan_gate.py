"""The gate on a real git repository: a pull request adds one HIGH finding on top of old ones.

The pull request also moves the old findings around (code added above them, functions
swapped): the gate must fail on exactly the new finding, whether the old ones are
known from the merge base (``--baseline-ref``, also from a shallow clone) or from the
committed baseline file, and suppressions must hide it until they expire.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

from tests.helpers import build_file_tree, run_cli

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())

OLD_STORE = """\
    import pickle
    import subprocess


    def load(blob):
        return pickle.loads(blob)


    def run(cmd):
        return subprocess.run(cmd, shell=True)
    """

# the same two findings, moved: a docstring and a helper above them, functions swapped
MOVED_STORE = '''\
    """Storage helpers."""

    import pickle
    import subprocess

    VERSION = 2


    def describe():
        return "store"


    def run(cmd):
        return subprocess.run(cmd, shell=True)


    def load(blob):
        return pickle.loads(blob)
    '''

NEW_CONFIG = """\
    import yaml


    def read(text):
        return yaml.load(text, Loader=yaml.Loader)
    """

NEW_RULE = "shipline.python.unsafe-yaml-load"


def git(repo: Path, *argv: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *argv], check=True, capture_output=True, text=True).stdout


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", message)


@pytest.fixture(scope="module")
def origin(tmp_path_factory) -> Path:
    """A repository whose main has two old HIGH findings and whose feature branch adds one."""
    repo = tmp_path_factory.mktemp("origin") / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    build_file_tree(repo, {"app/store.py": OLD_STORE, "app/util.py": "def add(a, b):\n    return a + b\n"})
    commit(repo, "main")
    for n in range(3):  # history below the fork point, for the shallow clone to lack
        build_file_tree(repo, {f"app/more{n}.py": f"VALUE = {n}\n"})
        commit(repo, f"main {n}")
    git(repo, "switch", "-q", "-c", "feature")
    build_file_tree(repo, {"app/store.py": MOVED_STORE, "app/config.py": NEW_CONFIG})
    commit(repo, "feature: read config")
    git(repo, "switch", "-q", "main")
    return repo


def clone(origin: Path, dest: Path, *flags: str) -> Path:
    subprocess.run(["git", "clone", "-q", *flags, "-b", "feature", f"file://{origin}", str(dest)], check=True)
    return dest


def scan(repo: Path, *argv: str):
    result = run_cli("scan", "--format", "json", "--sarif", "out/shipline.sarif", *argv, cwd=repo)
    return result, (json.loads(result.out) if result.out.strip().startswith("{") else {})


@pytest.fixture(scope="module")
def pr_scan(origin, tmp_path_factory):
    repo = clone(origin, tmp_path_factory.mktemp("pr") / "repo")
    result, report = scan(repo, "--baseline-ref", "origin/main")
    return repo, result, report


def test_pull_request_fails_on_exactly_the_new_finding(pr_scan):
    _, result, report = pr_scan
    assert result.code == 1, result.err
    assert [(f["rule"], f["path"], f["line"], f["severity"]) for f in report["new"]] == [(NEW_RULE, "app/config.py", 5, "high")]
    assert report["failing"] == 1
    assert "app/config.py:5:12: error: high: shipline.python.unsafe-yaml-load" in result.err


def test_moved_findings_are_not_new(pr_scan):
    repo, _, report = pr_scan
    log = json.loads((repo / "out" / "shipline.sarif").read_text())
    states = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]): r["baselineState"] for r in log["runs"][0]["results"]}
    assert states[("shipline.python.pickle", "app/store.py")] == "unchanged"
    assert states[("shipline.python.shell-injection", "app/store.py")] == "unchanged"
    assert states[(NEW_RULE, "app/config.py")] == "new"


def test_sarif_is_valid_2_1_0_with_levels_cwe_and_fingerprints(pr_scan):
    repo, _, _ = pr_scan
    log = json.loads((repo / "out" / "shipline.sarif").read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    run = log["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    for result in run["results"]:
        assert result["level"] in ("error", "warning", "note")
        assert len(result["partialFingerprints"]["shipline/v1"]) == 32
        rule = rules[result["ruleId"]]
        assert rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] == result["level"]
    yaml_rule = rules[NEW_RULE]
    assert "external/cwe/cwe-502" in yaml_rule["properties"]["tags"]
    assert "yaml.safe_load" in yaml_rule["help"]["text"]
    assert yaml_rule["properties"]["security-severity"] == "8.0"
    # bandit's B506 reports the same yaml.load: merged into the semgrep finding, not a second result
    new = [r for r in run["results"] if r["ruleId"] == NEW_RULE]
    assert new[0]["properties"]["alsoReportedBy"] == ["bandit.B506"]
    assert not [r for r in run["results"] if r["ruleId"] == "bandit.B506"]


def test_shallow_clone_fetches_history_for_the_merge_base(origin, tmp_path):
    repo = clone(origin, tmp_path / "repo", "--depth", "1")
    assert git(repo, "rev-parse", "--is-shallow-repository").strip() == "true"
    result, report = scan(repo, "--baseline-ref", "main")
    assert result.code == 1, result.err
    assert [(f["rule"], f["path"]) for f in report["new"]] == [(NEW_RULE, "app/config.py")]


def test_committed_baseline_and_suppressions(origin, tmp_path):
    repo = clone(origin, tmp_path / "repo")
    git(repo, "switch", "-q", "main")
    result, _ = scan(repo, "--update-baseline")
    assert result.code == 0, result.err
    baseline = json.loads((repo / ".shipline" / "scan-baseline.json").read_text())
    assert {f["rule"] for f in baseline["findings"]} >= {"shipline.python.pickle", "shipline.python.shell-injection"}

    git(repo, "switch", "-q", "feature")  # the baseline file stays: it is untracked
    result, report = scan(repo)
    assert result.code == 1, result.err
    assert [(f["rule"], f["path"]) for f in report["new"]] == [(NEW_RULE, "app/config.py")]
    fingerprint = report["new"][0]["fingerprint"]

    suppressions = repo / ".shipline" / "suppressions.yml"
    suppressions.write_text(f'suppressions:\n  - fingerprint: {fingerprint}\n    reason: trusted config only\n    expires: "2999-12-31"\n')
    result, report = scan(repo)
    assert result.code == 0, result.err
    assert (report["new"], report["suppressed"]) == ([], 1)
    log = json.loads((repo / "out" / "shipline.sarif").read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    hidden = [r for r in log["runs"][0]["results"] if "suppressions" in r]
    assert [(r["ruleId"], r["suppressions"][0]["justification"]) for r in hidden] == [(NEW_RULE, "trusted config only")]

    suppressions.write_text(f'suppressions:\n  - fingerprint: {fingerprint}\n    reason: trusted config only\n    expires: "2020-01-31"\n')
    result, report = scan(repo)
    assert result.code == 1
    assert ".shipline/suppressions.yml:4:14: error: expired suppression: the suppression of" in result.err
    assert "expired on 2020-01-31 (trusted config only)" in result.err
    assert [f["rule"] for f in report["new"]] == [NEW_RULE]
