"""`shipline pr-comment post` under act: the pull request there is made up, so nothing is posted to GitHub."""

from __future__ import annotations

import json

from tests.helpers import run_cli


def test_under_act_the_simulated_pull_request_gets_no_comment_even_with_a_token(fake_github, tmp_path):
    fake_github.add_pull(1)  # a real pull request #1, which the simulated one must not touch
    fake_github.add_pull(7)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "pull_request": {"number": 1}}))
    env = fake_github.env(GITHUB_EVENT_PATH=str(event), ACT="true")
    assert run_cli("pr-comment", "record", "scan", "--status", "failure", cwd=tmp_path).code == 0

    quiet = run_cli("pr-comment", "post", "--format", "json", cwd=tmp_path, env=env)
    assert quiet.code == 0, quiet.err
    assert json.loads(quiet.out)["posted"] is False
    assert fake_github.requests == []

    named = run_cli("pr-comment", "post", "--pr", "7", "--format", "json", cwd=tmp_path, env=env)
    assert named.code == 0, named.err
    assert json.loads(named.out) | {"url": None} == {"posted": True, "action": "created", "pull_request": 7, "url": None}
    assert fake_github.calls("POST", r"/repos/.*/issues/1/comments") == []
