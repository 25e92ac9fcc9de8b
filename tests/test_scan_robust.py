"""The scan on odd trees: bytes, sizes and binaries never crash it, each leaves a note;
full and diff-aware scans read the same files; new high findings fail the default gate."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema

from tests.helpers import build_file_tree, run_cli

SARIF_SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())

INJECTION = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"


def git(repo: Path, *argv: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *argv], check=True, capture_output=True, text=True).stdout


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def scan(repo: Path, *argv: str) -> tuple[int, dict, dict, str]:
    """Exit code, the JSON result, the SARIF log and the job summary of ``shipline scan``."""
    summary = repo.parent / f"{repo.name}-summary.md"
    result = run_cli("scan", "--format", "json", *argv, cwd=repo, env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.code in (0, 1), result.err
    sarif = json.loads((repo / "shipline.sarif").read_text())
    return result.code, json.loads(result.out), sarif, summary.read_text() if summary.exists() else ""


def notifications(sarif: dict) -> dict[str, str]:
    """path -> message of the notes in the SARIF's invocation."""
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    return {n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: n["message"]["text"] for n in notes}


def test_a_non_utf8_file_is_a_note_not_a_crash(tmp_path):
    # semgrep quotes the raw bytes of the broken line in its error message
    build_file_tree(tmp_path, {"latin.py": b"import os\n\xe9\xff = 1\nos.system('ls ' + name)\n", "app.py": INJECTION})
    code, report, sarif, summary = scan(tmp_path)
    assert code == 1  # the gate ran: app.py's injection is new and high
    assert ("app.py", "shipline.python.shell-injection") in {(f["path"], f["rule"]) for f in report["new"]}
    assert "could not parse it" in notifications(sarif)["latin.py"]
    jsonschema.validate(sarif, SARIF_SCHEMA)
    assert any(n["path"] == "latin.py" for n in report["not_scanned"])
    assert "`latin.py`: " in summary


def test_a_file_over_the_size_limit_is_scanned_by_bandit_with_a_note(tmp_path):
    max_bytes = 1_000_000  # semgrep's default limit
    padding = ("# " + "x" * 998 + "\n") * (max_bytes // 1000 * 2)  # 2 MB, in long lines (quick for bandit)
    build_file_tree(tmp_path, {"big.py": padding + INJECTION})
    code, report, sarif, summary = scan(tmp_path)
    last = padding.count("\n") + 5
    assert code == 1
    assert ("big.py", "bandit.B602", last) in {(f["path"], f["rule"], f["line"]) for f in report["new"]}
    assert notifications(sarif)["big.py"] == "big.py: over semgrep's size limit of 1,000,000 bytes: scanned by bandit only"
    assert "`big.py`: over semgrep's size limit" in summary


def test_a_binary_named_py_is_skipped_up_front(tmp_path):
    blob = bytes(range(256)) * 800  # 200 KB with NUL bytes
    build_file_tree(tmp_path, {"model.py": blob, "app.py": "def add(a, b):\n    return a + b\n"})
    code, report, sarif, _ = scan(tmp_path)
    assert (code, report["new"]) == (0, [])
    # one note saying why, and no scanner was handed the file to choke on
    assert notifications(sarif) == {"model.py": "model.py: skipped: a binary file (NUL bytes), not source code"}


def test_full_and_diff_aware_scans_choose_the_same_files(tmp_path):
    from shipline.scan import targets

    files = {name: INJECTION for name in ("app/a.py", "tests/test_a.py", "vendor/lib.py", "build/gen.py", "generated/x.py", "node_modules/m/i.py")}
    build_file_tree(tmp_path, {"README.md": "x\n", "shipline.yml": "version: 1\nproject: {name: app, language: python}\nsecurity: {exclude: [generated]}\n"})
    git(tmp_path, "init", "-q", "-b", "main")
    commit_all(tmp_path, "base")
    build_file_tree(tmp_path, files)
    exclude = ("generated",)
    full = targets.choose(tmp_path, ["."], exclude)
    change = targets.choose(tmp_path, ["."], exclude, among=list(files))
    assert full.files == ["README.md", "app/a.py", "shipline.yml"]
    assert change.files == ["app/a.py"]  # the same choice among the changed files
    # and end to end: the diff-aware scan reports what the full scan reports
    _, full_report, _, _ = scan(tmp_path, "--fail-on", "none")
    _, diff_report, _, _ = scan(tmp_path, "--fail-on", "none", "--baseline-ref", "main")
    assert {f["path"] for f in full_report["new"]} == {f["path"] for f in diff_report["new"]} == {"app/a.py"}


def test_a_semgrepignore_replaces_the_default_folders(tmp_path):
    from shipline.scan import targets

    build_file_tree(tmp_path, {".semgrepignore": "# only this\nfixtures/\n", "tests/t.py": "", "fixtures/f.py": "", "app.py": ""})
    chosen = targets.choose(tmp_path, ["."], ())
    assert chosen.files == [".semgrepignore", "app.py", "tests/t.py"]


def test_sql_injection_and_a_secret_key_with_a_dollar_fail_the_default_gate(tmp_path):
    build_file_tree(
        tmp_path,
        {
            "settings.py": 'SECRET_KEY = "django-insecure-7x$k2!q9@zr#p1v&w8m"\nTOKEN_URL = "https://oauth2.example.com/token"\nAPI_KEY_ENV_VAR = "OPENAI_API_KEY"\n',
            "views.py": """\
                import sqlite3

                from flask import Flask, request

                app = Flask(__name__)


                @app.route("/user")
                def user():
                    db = sqlite3.connect("app.db")
                    return str(db.execute("SELECT * FROM users WHERE name = '%s'" % request.args["name"]).fetchall())
                """,
        },
    )
    code, report, _, _ = scan(tmp_path)
    assert code == 1
    failing = {(f["path"], f["line"], f["rule"], f["severity"]) for f in report["new"] if f["severity"] in ("critical", "high")}
    assert failing == {
        ("settings.py", 1, "shipline.python.hard-coded-secret", "high"),
        ("views.py", 11, "shipline.python.web.sql-injection", "critical"),
    }
    # bandit's low B105 on the same line is folded into the secret finding, not listed twice
    assert not any(f["rule"] == "bandit.B105" for f in report["new"])


def test_a_diff_aware_sarif_goes_to_its_own_category(tmp_path):
    build_file_tree(tmp_path, {"app.py": "x = 1\n"})
    git(tmp_path, "init", "-q", "-b", "main")
    commit_all(tmp_path, "base")
    for argv, category in (((), "shipline-scan"), (("--baseline-ref", "main"), "shipline-scan-diff")):
        outputs = tmp_path.parent / "outputs"
        outputs.unlink(missing_ok=True)
        result = run_cli("scan", *argv, cwd=tmp_path, env={"GITHUB_OUTPUT": str(outputs)})
        assert result.code == 0, result.err
        assert f"sarif-category={category}" in outputs.read_text().splitlines()


def test_a_default_generated_repository_scans_clean(tmp_path):
    """The generated workflows use the kit's own actions at kit.ref (v1 by default): not flagged."""
    build_file_tree(tmp_path, {"pyproject.toml": '[project]\nname = "app"\nversion = "0.1.0"\n', "app.py": "def add(a, b):\n    return a + b\n"})
    git(tmp_path, "init", "-q", "-b", "main")
    for command in ("init", "generate"):
        result = run_cli(command, cwd=tmp_path)
        assert result.code == 0, result.err
    workflows = "".join(p.read_text() for p in (tmp_path / ".github/workflows").glob("*.yml"))
    assert "shipline/shipline/actions/security-scan@v1" in workflows
    code, report, _, _ = scan(tmp_path, "--fail-on", "low")
    assert (code, report["new"]) == (0, [])


def test_ignore_patterns_follow_semgrepignore_syntax():
    from shipline.scan.targets import Ignore

    ignored = Ignore(("build/", "/docs", "src/gen/", "*.min.js", "generated"))
    assert [p for p in ("build/x.py", "app/build/x.py", "docs/x.md", "src/gen/x.py", "web/app.min.js", "x/generated") if not ignored(p)] == []
    # a folder pattern is no file; an anchored one only at the root
    assert [p for p in ("build", "app/docs/x.md", "lib/src/gen/x.py", "app.py") if ignored(p)] == []
