"""What GitHub answers at the edges: 401, 403, 404, 5xx and rate limits, masking."""

from __future__ import annotations

import dataclasses
import io

import pytest

from shipline.errors import InputError, ToolError
from shipline.github import client
from shipline.github.deployments import GitHubDeployments
from shipline.report import Reporter
from tests.helpers import run_cli

DEPLOYMENTS = r"/repos/acme/shop/deployments$"


def recorder(fake, **knobs) -> GitHubDeployments:
    settings = dataclasses.replace(client.settings_from_environ(fake.env()), backoff=0.01, **knobs)
    fake.add_commit("c" * 40, "2026-11-01T08:00:00Z")
    return GitHubDeployments(client.GitHub(settings, Reporter(stdout=io.StringIO())), Reporter(stdout=io.StringIO()))


@pytest.mark.parametrize(
    ("status", "error", "words"),
    [
        (401, InputError, ["rejected the token", "401 Bad credentials", "GITHUB_TOKEN"]),
        (403, InputError, ["403 Resource not accessible by integration", "`permissions: deployments: write`"]),
        (404, InputError, ["404 Not Found", "acme/shop", "`permissions: deployments: write`"]),
        (422, ToolError, ["422"]),
    ],
)
def test_refusals_name_the_fix(fake_github, status, error, words):
    rec = recorder(fake_github)
    fake_github.fail("POST", DEPLOYMENTS, status)
    with pytest.raises(error) as caught:
        rec.start("production", "1.0", "c" * 40, None)
    for word in words:
        assert word in str(caught.value)
    assert len(fake_github.calls("POST", DEPLOYMENTS)) == 1, "a refusal was retried"


def test_server_errors_and_secondary_rate_limits_are_retried(fake_github):
    rec = recorder(fake_github)
    fake_github.fail("POST", DEPLOYMENTS, 502)
    fake_github.rate_limit("POST", r"/statuses$")
    rec.start("production", "1.0", "c" * 40, "https://shop.example.com")
    assert [r.status for r in fake_github.calls("POST", DEPLOYMENTS)] == [502, 201]
    assert [r.status for r in fake_github.calls("POST", r".*/statuses")] == [403, 201]
    assert fake_github.statuses_of(rec.current.id) == ["in_progress"]


def test_a_failed_post_is_tried_once_more_after_looking_for_it(fake_github):
    rec = recorder(fake_github, retries=2)
    fake_github.fail("POST", DEPLOYMENTS, 503, times=5)
    with pytest.raises(ToolError, match=r"503 Server Error"):
        rec.start("production", "1.0", "c" * 40, None)
    # a POST is never retried blindly: one attempt, a look for what it made, one more attempt
    assert len(fake_github.calls("POST", DEPLOYMENTS)) == 2
    assert not fake_github.state.deployments


def test_command_exit_codes_and_the_token_stays_secret(fake_github, tmp_path):
    fake_github.fail("GET", DEPLOYMENTS, 403)
    denied = run_cli("dora", "--format", "github", cwd=tmp_path, env=fake_github.env())
    assert denied.code == 2
    assert "::error::GitHub refused listing the deployments of production in acme/shop" in denied.out
    assert "`permissions: deployments: read`" in denied.out
    assert f"::add-mask::{fake_github.token}" in denied.out

    wrong = run_cli("dora", cwd=tmp_path, env={**fake_github.env(), "GITHUB_TOKEN": "ghs_wrong"})
    assert wrong.code == 2 and "401 Bad credentials" in wrong.err and "ghs_wrong" not in wrong.err + wrong.out

    fake_github.fail("GET", DEPLOYMENTS, 422, message="Validation Failed")  # not retried: the retries are timed above
    broken = run_cli("dora", cwd=tmp_path, env={**fake_github.env(), "GITHUB_API_URL": fake_github.url + "/"})
    assert broken.code == 3 and "shipline: error: github: GitHub refused listing the deployments" in broken.err
    assert "Traceback" not in broken.err


def test_an_unreachable_github_is_a_tool_error(fake_github):
    rec = recorder(fake_github, retries=1, api_url="http://127.0.0.1:9")  # the discard port: nothing listens
    with pytest.raises(ToolError, match=r"cannot connect to http://127.0.0.1:9 while listing the deployments of production: connection refused"):
        rec.start("production", "1.0", "c" * 40, None)


def test_the_token_never_shows_in_settings(fake_github):
    settings = client.settings_from_environ(fake_github.env())
    assert fake_github.token not in repr(settings) and fake_github.token not in str(settings)
