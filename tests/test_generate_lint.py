"""Every workflow shipline ships or generates lints clean: actionlint and zizmor --offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipline.generate import lint

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = sorted(p.parent for p in (ROOT / "pipelines").glob("*/shipline.yml")) + [ROOT]


def _tool(name: str) -> str:
    exe = lint.find_tool(name, {})
    assert exe, f"{name} is a dev dependency; install shipline[dev]"
    return exe


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name if p != ROOT else "shipline's own CI")
def test_workflows_lint_clean(folder: Path):
    workflows = sorted(str(p.relative_to(folder)) for p in (folder / ".github/workflows").glob("*.yml"))
    assert workflows
    assert lint.actionlint(_tool("actionlint"), folder, workflows, {}) == []
    config = ROOT / "zizmor.yml"
    assert lint.zizmor(_tool("zizmor"), folder / ".github", config, {}) == []
