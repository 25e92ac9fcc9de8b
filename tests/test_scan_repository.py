"""The whole-repository scan reads the manifest: each service's suppressions hold in its folder only.

The generated ``repository-scan`` job runs ``shipline scan ..`` from ``.github`` (no
manifest there, so no service is chosen). It still reads the repository's manifest:
a finding a service has suppressed does not fail it, a service's suppression does not
hide the same code elsewhere, and outside every service the top-level suppressions
hold. Real git, semgrep and bandit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import build_file_tree, run_cli
from tests.monorepo_support import VULNERABLE_SCRIPT

API_SUPPRESSIONS = "services/api/.shipline/suppressions.yml"
TOP_SUPPRESSIONS = ".shipline/suppressions.yml"


def suppress(*fingerprints: str) -> str:
    items = "".join(f'  - fingerprint: {f}\n    reason: the argument is a fixed name\n    expires: "2999-12-31"\n' for f in fingerprints)
    return f"suppressions:\n{items}"


def repository_scan(repo: Path) -> tuple[int, dict[str, list[str]]]:
    """The generated job's call: from .github, PATH .., the manifest's fail_on."""
    result = run_cli("scan", "--format", "json", "--fail-on", "high", "--sarif", "../out.sarif", "..", cwd=repo / ".github")
    report = json.loads(result.out)
    new: dict[str, list[str]] = {}
    for finding in report["new"]:
        new.setdefault(finding["path"], []).append(finding["fingerprint"])
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


def test_whether_bandit_runs_by_default_is_the_language_plugin_s_say(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from shipline.commands.scan import _settings
    from shipline.languages import LANGUAGES
    from shipline.manifest import Security

    assert [_settings(Security(), name, tmp_path).bandit for name in ("python", "go", None)] == [True, False, True]
    monkeypatch.setattr(LANGUAGES["go"], "bandit", True)
    assert _settings(Security(), "go", tmp_path).bandit is True
    assert _settings(Security(bandit=False), "go", tmp_path).bandit is False
