"""The committed baseline survives edits as the diff-aware scan does: renames are
followed, editing a dict beside a secret leaves the secret old, and a copied old line
is new where the copy is, not where the original is."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import build_file_tree, run_cli

EVAL = "def calc(expr):\n    return eval(expr)\n"
SETTINGS = """\
CONFIG = {
    "debug": False,
    "secret_key": "Zq7$kP2m!x9LwR4v",
    "timeout": 30,
}
"""
# a second function, above the first, with the very same flagged line
COPIED = "def quick(expr):\n    return eval(expr)\n\n\n" + EVAL


def git(repo: Path, *argv: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *argv], check=True, capture_output=True)


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def new_findings(repo: Path, *argv: str) -> list[tuple[str, int, str]]:
    result = run_cli("scan", "--format", "json", "--fail-on", "none", *argv, cwd=repo)
    assert result.code == 0, result.err
    return [(f["path"], f["line"], f["rule"]) for f in json.loads(result.out)["new"]]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: calc.py and settings.py with old findings, accepted in the committed baseline."""
    build_file_tree(tmp_path, {"calc.py": EVAL, "settings.py": SETTINGS})
    git(tmp_path, "init", "-q", "-b", "main")
    result = run_cli("scan", "--update-baseline", cwd=tmp_path)
    assert result.code == 0, result.err
    commit_all(tmp_path, "base, with the scan baseline")
    return tmp_path


@pytest.mark.parametrize("mode", [(), ("--baseline-ref", "main")], ids=["committed-baseline", "diff-aware"])
def test_a_renamed_file_keeps_its_findings_old(repo, mode):
    assert new_findings(repo, *mode) == []  # nothing changed yet
    git(repo, "switch", "-qc", "change")
    git(repo, "mv", "calc.py", "maths.py")
    (repo / "maths.py").write_text("import math\n\nPI = math.pi\n\n\n" + EVAL)
    commit_all(repo, "rename")
    assert new_findings(repo, *mode) == []


@pytest.mark.parametrize("mode", [(), ("--baseline-ref", "main")], ids=["committed-baseline", "diff-aware"])
def test_editing_a_dict_beside_a_secret_leaves_the_secret_old(repo, mode):
    git(repo, "switch", "-qc", "change")
    (repo / "settings.py").write_text(SETTINGS.replace('"timeout": 30', '"timeout": 60'))
    assert new_findings(repo, *mode) == []


@pytest.mark.parametrize("mode", [(), ("--baseline-ref", "main")], ids=["committed-baseline", "diff-aware"])
def test_a_copied_line_is_new_where_the_copy_is(repo, mode):
    git(repo, "switch", "-qc", "change")
    (repo / "calc.py").write_text(COPIED)
    commit_all(repo, "copy")
    assert new_findings(repo, *mode) == [("calc.py", 2, "shipline.python.eval-exec")]
    # and the original keeps its fingerprint, so code scanning keeps its alert where it was
    accepted = json.loads((repo / ".shipline/scan-baseline.json").read_text())["findings"]
    results = json.loads((repo / "shipline.sarif").read_text())["runs"][0]["results"]
    at_line_6 = next(r for r in results if r["locations"][0]["physicalLocation"]["region"]["startLine"] == 6 and r["ruleId"] == "shipline.python.eval-exec")
    assert at_line_6["partialFingerprints"]["shipline/v1"] in {e["fingerprint"] for e in accepted}
