"""Golden tests: every pipelines/NAME/shipline.yml against the workflows beside it.

A new example is new files only. Regenerate the expected files after an intended
change with ``SHIPLINE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_generate_golden.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shipline.generate import files
from tests.helpers import run_cli

PIPELINES = Path(__file__).resolve().parents[1] / "pipelines"
EXAMPLES = sorted(p.parent.name for p in PIPELINES.glob("*/shipline.yml"))


def test_there_are_examples_of_every_kind():
    assert {"python-service", "node-app", "container-image", "monorepo", "canary-command"} <= set(EXAMPLES)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_generates_its_golden_files(name):
    folder = PIPELINES / name
    if os.environ.get("SHIPLINE_UPDATE_GOLDEN") == "1":
        assert run_cli("generate", cwd=folder).code == 0
    result = run_cli("generate", "--check", cwd=folder)
    assert result.code == 0, f"{name}: generated files differ from the golden ones:\n{result.out}\n{result.err}"
    golden = sorted(p.name for p in (folder / files.WORKFLOWS).glob(files.GENERATED_GLOB))
    assert "shipline-pipeline.yml" in golden


def _kit_steps(folder: Path):
    from ruamel.yaml import YAML

    for path in sorted((folder / files.WORKFLOWS).glob(files.GENERATED_GLOB)):
        for job in YAML(typ="safe").load(path.read_text())["jobs"].values():
            for step in job["steps"]:
                if "/actions/" in step.get("uses", "") and not step["uses"].startswith("actions/"):
                    yield path.name, step


@pytest.mark.parametrize("name", EXAMPLES)
def test_kit_steps_pass_only_inputs_the_actions_declare(name):
    from ruamel.yaml import YAML

    actions = PIPELINES.parent / "actions"
    steps = list(_kit_steps(PIPELINES / name))
    assert steps
    for file, step in steps:
        action = step["uses"].split("@")[0].split("/actions/")[1]
        declared = YAML(typ="safe").load((actions / action / "action.yml").read_text())["inputs"]
        given = set(step.get("with", {}))
        assert given <= set(declared), f"{file}: {step['id']} passes {sorted(given - set(declared))} to {action}"
        required = {k for k, v in declared.items() if v.get("required")}
        assert required <= given, f"{file}: {step['id']} misses {sorted(required - given)}"
