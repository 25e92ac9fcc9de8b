"""Which files are scanned: every scanner the same ones; ignored and excluded files by none, also when diff-aware."""

from __future__ import annotations

import json
import subprocess

from tests.helpers import build_file_tree, run_cli

EVAL = "def f(x):\n    return eval(x)\n"


def test_ignored_and_excluded_files_are_scanned_by_no_scanner(tmp_path):
    build_file_tree(
        tmp_path,
        {
            "shipline.yml": "version: 1\nproject: {name: app, language: python}\nsecurity: {exclude: [generated]}\n",
            ".gitignore": "venv/\n",
            "app.py": EVAL,
            "venv/lib/site.py": EVAL + "import pickle\n",
            "generated/stub.py": EVAL,
        },
    )
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)

    result = run_cli("scan", "--format", "json", "--fail-on", "none", cwd=tmp_path)
    assert result.code == 0, result.err
    assert {f["path"] for f in json.loads(result.out)["new"]} == {"app.py"}

    subprocess.run([*git, "switch", "-qc", "change"], check=True)
    build_file_tree(tmp_path, {"generated/stub2.py": EVAL, "venv/lib/other.py": EVAL, "app2.py": EVAL})
    result = run_cli("scan", "--format", "json", "--baseline-ref", "main", cwd=tmp_path)
    assert result.code == 1, result.err
    report = json.loads(result.out)
    assert [(f["path"], f["rule"]) for f in report["new"]] == [("app2.py", "shipline.python.eval-exec")]


def test_disabled_in_the_manifest_scans_nothing_and_says_so(tmp_path):
    build_file_tree(tmp_path, {"shipline.yml": "version: 1\nproject: {name: app, language: python}\nsecurity: {enabled: false}\n", "app.py": EVAL})
    outputs = tmp_path / "outputs"
    result = run_cli("scan", cwd=tmp_path, env={"GITHUB_OUTPUT": str(outputs)})
    assert result.code == 0, result.err
    assert "security scan: disabled in the manifest (security.enabled: false)" in result.out
    assert outputs.read_text().splitlines() == ["critical=0", "high=0", "medium=0", "low=0", "new-findings=0"]
    assert not (tmp_path / "shipline.sarif").exists()


def test_bandit_alone_skips_what_git_ignores(tmp_path):
    build_file_tree(tmp_path, {"shipline.yml": "version: 1\nproject: {name: app, language: python}\nsecurity: {semgrep: false}\n", ".gitignore": "venv/\n", "app.py": EVAL, "venv/lib/site.py": EVAL})
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    result = run_cli("scan", "--format", "json", "--fail-on", "none", cwd=tmp_path)
    assert result.code == 0, result.err
    assert {(f["path"], f["rule"]) for f in json.loads(result.out)["new"]} == {("app.py", "bandit.B307")}


def test_null_baseline_ref_of_a_new_branch_scans_the_whole_tree(tmp_path):
    build_file_tree(tmp_path, {"app.py": EVAL})
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    result = run_cli("scan", "--baseline-ref", "0" * 40, "--fail-on", "none", cwd=tmp_path)
    assert result.code == 0, result.err
    assert "names no commit (a new branch): scanning the whole tree" in result.out
    assert "1 new" in result.out


def test_renamed_file_keeps_its_findings_old(tmp_path):
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    build_file_tree(tmp_path, {"legacy.py": "import os\n\n\n" + EVAL + "\n\nVALUE = 1\n"})
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    subprocess.run([*git, "switch", "-qc", "rename"], check=True)
    subprocess.run([*git, "mv", "legacy.py", "modern.py"], check=True)
    build_file_tree(tmp_path, {"modern.py": "import os\n\nVALUE = 2\n\n\n" + EVAL + "\n\nVALUE = 1\n"})
    subprocess.run([*git, "commit", "-qam", "rename"], check=True)
    result = run_cli("scan", "--format", "json", "--baseline-ref", "main", cwd=tmp_path)
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert (report["new"], report["counts"]["high"]) == ([], 1)
