"""The offline stand-ins for the languages' setup actions, made from what each language declares.

A language module declares its setup action once (`shipline.languages.SetupAction`):
its inputs, outputs and how to find the runtime here. The stand-in act runs instead
is one composite action with those inputs, whose one step runs
``python -m shipline.localrun.standin setup-NAME``; it is written on demand under the
temporary folder, named by its content, so runs side by side share it safely.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

from shipline.languages import SetupAction, setup_actions
from shipline.localrun.standin import version_variable


def action_document(language: str, setup: SetupAction) -> dict[str, Any]:
    """The stand-in's ``action.yml`` as data."""
    short = setup.action.rsplit("/", 1)[-1]
    inputs: dict[str, Any] = {setup.version_input: {"description": f"The {language} version to use.", "default": ""}}
    for name in (*setup.cache_inputs, *setup.other_inputs):
        inputs[name] = {"description": "Ignored by the stand-in.", "default": ""}
    outputs = {setup.version_input: {"description": f"The {language} version found.", "value": f"${{{{ steps.standin.outputs.{setup.version_input} }}}}"}}
    if setup.probe.path_output:
        name = setup.probe.path_output
        outputs[name] = {"description": f"The {language} executable found.", "value": f"${{{{ steps.standin.outputs.{name} }}}}"}
    step = {
        "name": f"shipline stand-in for {setup.action}",
        "id": "standin",
        "shell": "bash",
        "env": {version_variable(language): f"${{{{ inputs.{setup.version_input} }}}}"},
        "run": f'"${{SHIPLINE_ACT_PYTHON:-python3}}" -m shipline.localrun.standin {short}',
    }
    return {
        "name": f"{short} (shipline offline stand-in)",
        "description": f"Used by `shipline act` instead of {setup.action}. Checks that the requested {language} is installed here (or fetches it, where shipline knows how) and puts it first on PATH.",
        "inputs": inputs,
        "outputs": outputs,
        "runs": {"using": "composite", "steps": [step]},
    }


def folder(language: str, setup: SetupAction) -> Path:
    """The stand-in's folder (laid out like the action's repository), written if it is not there yet."""
    text = json.dumps(action_document(language, setup), indent=2) + "\n"  # JSON is YAML, as act reads it
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    out = Path(tempfile.gettempdir()) / f"shipline-standins-{os.getuid()}" / digest / setup.action
    target = out / "action.yml"
    if not target.is_file():
        out.mkdir(parents=True, exist_ok=True)
        temporary = out / f".action.yml.{secrets.token_hex(6)}"
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    return out


def standins() -> dict[str, Path]:
    """Every registered language's setup action (``owner/repo``) and its stand-in folder."""
    return {action: folder(language.name, setup) for action, (language, setup) in setup_actions().items()}
