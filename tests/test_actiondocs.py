"""Each action's README.md is generated from its action.yml and must not be stale."""

from __future__ import annotations

from shipline import actiondocs

from tests.helpers import build_file_tree

ACTION = """\
    name: shipline demo
    description: Demonstrate the README generator.
    inputs:
      environment:
        description: Where to go.
        required: true
      github-token:
        description: Token | with a pipe.
        default: ${{ github.token }}
    outputs:
      result:
        description: What happened.
        value: ${{ steps.run.outputs.result }}
    runs:
      using: composite
      steps: []
    """


def test_every_action_readme_is_current(repo_root):
    actions = repo_root / "actions"
    assert actiondocs.action_files(actions), "no actions found"
    stale = [str(p.relative_to(repo_root)) for p in actiondocs.stale(actions)]
    assert not stale, f"stale or missing: {', '.join(stale)}; regenerate with `{actiondocs.REGENERATE}`"


def test_readme_has_usage_inputs_and_outputs(tmp_path):
    build_file_tree(tmp_path, {"actions/demo/action.yml": ACTION})
    text = actiondocs.render(tmp_path / "actions/demo/action.yml")
    assert text.startswith("# shipline demo\n")
    assert actiondocs.REGENERATE in text
    assert "  uses: shipline/shipline/actions/demo@v1\n" in text
    assert "    environment: ...  # required\n" in text
    assert "    # github-token: ${{ github.token }}\n" in text
    assert "RESULT: ${{ steps.demo.outputs.result }}" in text
    assert "| `environment` | Where to go. | yes | `\"\"` |" in text
    assert "| `github-token` | Token \\| with a pipe. | no | `${{ github.token }}` |" in text
    assert "| `result` | What happened. |" in text


def test_check_fails_until_regenerated(tmp_path, capsys):
    build_file_tree(tmp_path, {"actions/demo/action.yml": ACTION})
    actions = str(tmp_path / "actions")
    assert actiondocs.main(["--check", "--actions-dir", actions]) == 1
    assert "demo/README.md: stale; run `python -m shipline.actiondocs`" in capsys.readouterr().err
    assert actiondocs.main(["--actions-dir", actions]) == 0
    assert actiondocs.main(["--check", "--actions-dir", actions]) == 0
    (tmp_path / "actions/demo/README.md").write_text("edited by hand\n")
    assert actiondocs.main(["--check", "--actions-dir", actions]) == 1
