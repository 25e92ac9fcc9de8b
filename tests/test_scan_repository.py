"""The whole-repository scan reads the manifest: each service's rules, excludes and suppressions hold in its folder only.

The generated ``repository-scan`` job runs ``shipline scan ..`` from ``.github`` (no
manifest there, so no service is chosen). It still reads the repository's manifest:
a finding a service has suppressed does not fail it, a service's suppression does not
hide the same code elsewhere, and outside every service the top-level suppressions
hold; the same for a service's semgrep rules and excludes. Real git, semgrep and bandit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.helpers import build_file_tree, run_cli
from tests.monorepo_support import VULNERABLE_SCRIPT
from tests.test_act_localrun import git

API_SUPPRESSIONS = "services/api/.shipline/suppressions.yml"
TOP_SUPPRESSIONS = ".shipline/suppressions.yml"


def suppress(*fingerprints: str) -> str:
    items = "".join(f'  - fingerprint: {f}\n    reason: the argument is a fixed name\n    expires: "2999-12-31"\n' for f in fingerprints)
    return f"suppressions:\n{items}"


def repository_scan(repo: Path, *flags: str, field: str = "fingerprint") -> tuple[int, dict[str, list[str]]]:
    """The generated job's call: from .github, PATH .., the manifest's fail_on; each new finding's ``field`` by path."""
    result = run_cli("scan", "--format", "json", "--fail-on", "high", "--sarif", "../out.sarif", *flags, "..", cwd=repo / ".github")
    report = json.loads(result.out)
    new: dict[str, list[str]] = {}
    for finding in report["new"]:
        new.setdefault(finding["path"], []).append(finding[field])
    return result.code, new


@pytest.fixture
def repo(shop: Callable[..., Path]) -> Path:
    files = {".github/workflows/.keep": "", "services/api/app.py": VULNERABLE_SCRIPT, "scripts/backup.py": VULNERABLE_SCRIPT}
    return shop(files, api={"security": {"suppressions": API_SUPPRESSIONS}})


def test_each_service_suppressions_apply_to_its_own_folder(repo: Path):
    code, new = repository_scan(repo)
    assert code == 1
    assert sorted(new) == ["scripts/backup.py", "services/api/app.py"]
    api_finding, script_finding = new["services/api/app.py"], new["scripts/backup.py"]  # semgrep and bandit each

    # the api's own suppression holds in the repository scan too
    build_file_tree(repo, {API_SUPPRESSIONS: suppress(*api_finding)})
    code, new = repository_scan(repo)
    assert (code, sorted(new)) == (1, ["scripts/backup.py"])

    # ... but the api's suppressions hide nothing outside its folder
    build_file_tree(repo, {API_SUPPRESSIONS: suppress(*api_finding, *script_finding)})
    code, new = repository_scan(repo)
    assert (code, sorted(new)) == (1, ["scripts/backup.py"])

    # outside every service the top-level suppressions hold, and they do not reach into the api,
    # which has suppressions of its own
    build_file_tree(repo, {API_SUPPRESSIONS: "suppressions: []\n", TOP_SUPPRESSIONS: suppress(*api_finding, *script_finding)})
    code, new = repository_scan(repo)
    assert (code, sorted(new)) == (1, ["services/api/app.py"])

    build_file_tree(repo, {API_SUPPRESSIONS: suppress(*api_finding)})
    assert repository_scan(repo) == (0, {})


def test_a_service_without_security_of_its_own_takes_the_top_level_suppressions(repo: Path):
    build_file_tree(repo, {"services/worker/worker.py": VULNERABLE_SCRIPT})
    code, new = repository_scan(repo)
    assert (code, sorted(new)) == (1, ["scripts/backup.py", "services/api/app.py", "services/worker/worker.py"])
    build_file_tree(repo, {TOP_SUPPRESSIONS: suppress(*new["services/worker/worker.py"], *new["scripts/backup.py"])})
    code, new = repository_scan(repo)
    assert (code, sorted(new)) == (1, ["services/api/app.py"])


# a rule of the api's own: semgrep reports every call of open_admin_shell() in its folder
API_RULES = """\
rules:
  - id: shop.api.admin-shell
    languages: [python]
    severity: ERROR
    message: The admin shell must never be opened from the api.
    pattern: open_admin_shell(...)
"""
ADMIN_SHELL = "def serve():\n    open_admin_shell()\n"


def test_each_service_rules_and_excludes_apply_to_its_own_folder(shop: Callable[..., Path]):
    """The api's own semgrep rules and exclude hold in its folder in the repository scan, as in its own scan; nowhere else."""
    api = {"security": {"rules": ["services/api/.shipline/rules.yml"], "exclude": ["generated/"]}}
    files = {
        ".github/workflows/.keep": "",
        "services/api/.shipline/rules.yml": API_RULES,
        "services/api/admin.py": ADMIN_SHELL,
        "services/api/generated/client.py": VULNERABLE_SCRIPT,
        "scripts/admin.py": ADMIN_SHELL,
        "scripts/generated/client.py": VULNERABLE_SCRIPT,
    }
    repo = shop(files, api=api)
    code, rules = repository_scan(repo, field="rule")
    assert code == 1
    # the api's rule finds the call in its folder only; its exclude hides its generated code only
    assert rules == {"services/api/admin.py": ["shop.api.admin-shell"], "scripts/generated/client.py": rules["scripts/generated/client.py"]}
    assert rules["scripts/generated/client.py"], "semgrep and bandit each find the shell call"

    # the same in a diff-aware scan of a change that adds the files, against the merge base
    git(repo, "commit", "-q", "--allow-empty", "-m", "empty")
    git(repo, "switch", "-qc", "change")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "services")
    assert repository_scan(repo, "--baseline-ref", "main", field="rule") == (1, rules)

    # the api's own scan agrees
    own = run_cli("scan", "--format", "json", "--service", "api", "--sarif", "api.sarif", cwd=repo)
    assert sorted(f["path"] for f in json.loads(own.out)["new"]) == ["services/api/admin.py"], own.out + own.err


def test_top_level_rules_and_excludes_do_not_reach_into_a_service_with_security_of_its_own(shop: Callable[..., Path]):
    top = {"rules": [".shipline/rules.yml"], "exclude": ["generated/"]}
    files = {
        ".github/workflows/.keep": "",
        ".shipline/rules.yml": API_RULES,
        "services/api/admin.py": ADMIN_SHELL,
        "services/api/generated/client.py": VULNERABLE_SCRIPT,
        "services/worker/admin.py": ADMIN_SHELL,
        "services/worker/generated/client.py": VULNERABLE_SCRIPT,
        "scripts/admin.py": ADMIN_SHELL,
        "scripts/generated/client.py": VULNERABLE_SCRIPT,
    }
    repo = shop(files, api={"security": {"fail_on": "high"}})
    manifest = repo / "shipline.yml"
    manifest.write_text(manifest.read_text() + yaml.safe_dump({"security": top}))
    code, rules = repository_scan(repo, field="rule")
    # the worker has no security of its own: the top level's rules and exclude hold there
    assert code == 1
    assert sorted(rules) == ["scripts/admin.py", "services/api/generated/client.py", "services/worker/admin.py"]


def test_a_service_rules_file_that_is_missing_fails_the_repository_scan_where_the_manifest_names_it(shop: Callable[..., Path]):
    repo = shop({".github/workflows/.keep": ""}, worker={"security": {"rules": ["services/worker/rules.yml"]}})
    result = run_cli("scan", "--sarif", "../out.sarif", "..", cwd=repo / ".github")
    assert result.code == 2, result.out + result.err
    assert re.search(r'shipline\.yml:\d+:\d+: semgrep: no such rules file or directory "services/worker/rules\.yml"', result.err), result.err
    assert "Traceback" not in result.err


def test_whether_bandit_runs_by_default_is_the_language_plugin_s_say(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from shipline.commands.scan import _settings
    from shipline.languages import LANGUAGES
    from shipline.manifest import Security

    assert [_settings(Security(), name, tmp_path).bandit for name in ("python", "go", None)] == [True, False, True]
    monkeypatch.setattr(LANGUAGES["go"], "bandit", True)
    assert _settings(Security(), "go", tmp_path).bandit is True
    assert _settings(Security(bandit=False), "go", tmp_path).bandit is False
