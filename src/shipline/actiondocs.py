"""Each action's README.md, generated from its action.yml: inputs, outputs, a usage example.

Regenerate every ``actions/*/README.md`` after changing an ``action.yml``::

    python -m shipline.actiondocs          # write them
    python -m shipline.actiondocs --check  # exit 1 naming each stale one

The test suite runs the check, so a README cannot drift from its action.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shipline import yamlfile
from shipline.manifest import Kit
from shipline.report import markdown_table

REGENERATE = "python -m shipline.actiondocs"
EMPTY = '""'
HEADER = f"<!-- Generated from action.yml by `{REGENERATE}`. Do not edit: change action.yml and regenerate. -->"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value).strip()


def _code(value: str) -> str:
    return f"`{value}`" if value else '`""`'


def _usage(name: str, inputs: dict[str, Any], outputs: dict[str, Any], kit: Kit) -> str:
    """A workflow step using the action: required inputs set, the others commented with their defaults."""
    lines = ["```yaml", f"- id: {name}", f"  uses: {kit.repository}/actions/{name}@{kit.ref}"]
    with_lines = []
    for key, spec in inputs.items():
        spec = spec or {}
        default = _text(spec.get("default"))
        if spec.get("required") and "default" not in spec:
            with_lines.append(f"    {key}: ...  # required")
        else:
            with_lines.append(f"    # {key}: {default or EMPTY}")
    if with_lines:
        lines += ["  with:", *with_lines]
    if outputs:
        first = next(iter(outputs))
        env_name = first.upper().replace("-", "_")
        lines += [
            f"- run: echo \"{first}: ${env_name}\"",
            "  env:",
            f"    {env_name}: ${{{{ steps.{name}.outputs.{first} }}}}",
        ]
    lines.append("```")
    return "\n".join(lines)


def render(action_yml: Path, kit: Kit | None = None) -> str:
    """The README.md text for the action defined in ``action_yml``."""
    kit = kit or Kit()
    data = yamlfile.load(action_yml).data or {}
    name = action_yml.parent.name
    inputs = data.get("inputs") or {}
    outputs = data.get("outputs") or {}
    parts = [f"# {_text(data.get('name')) or name}", "", HEADER, "", _text(data.get("description")), "", "## Usage", "", _usage(name, inputs, outputs, kit), ""]
    parts += ["## Inputs", ""]
    if inputs:
        rows = [
            (_code(key), _text((spec or {}).get("description")), "yes" if (spec or {}).get("required") else "no", _code(_text((spec or {}).get("default"))))
            for key, spec in inputs.items()
        ]
        parts.append(markdown_table(("input", "description", "required", "default"), rows))
    else:
        parts += ["None.", ""]
    parts += ["## Outputs", ""]
    if outputs:
        output_rows = [(_code(key), _text((spec or {}).get("description"))) for key, spec in outputs.items()]
        parts.append(markdown_table(("output", "description"), output_rows))
    else:
        parts += ["None.", ""]
    return "\n".join(parts).rstrip("\n") + "\n"


def action_files(actions_dir: Path) -> list[Path]:
    """Every ``actions/*/action.yml``."""
    return sorted(actions_dir.glob("*/action.yml"))


def stale(actions_dir: Path) -> list[Path]:
    """The README.md files that are missing or differ from what their action.yml gives."""
    out = []
    for action_yml in action_files(actions_dir):
        readme = action_yml.parent / "README.md"
        if not readme.is_file() or readme.read_text(encoding="utf-8") != render(action_yml):
            out.append(readme)
    return out


def write_all(actions_dir: Path) -> list[Path]:
    """Write every stale README.md; return the ones written."""
    written = stale(actions_dir)
    for readme in written:
        readme.write_text(render(readme.parent / "action.yml"), encoding="utf-8")
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """``--check``: exit 1 listing stale READMEs; otherwise regenerate them."""
    parser = argparse.ArgumentParser(prog=REGENERATE, description="Generate each action's README.md from its action.yml.")
    parser.add_argument("--check", action="store_true", help="only report stale READMEs (exit 1 if any)")
    parser.add_argument("--actions-dir", type=Path, default=Path("actions"), help="the kit's actions folder (default: actions)")
    args = parser.parse_args(argv)
    if args.check:
        paths = stale(args.actions_dir)
        for path in paths:
            print(f"{path}: stale; run `{REGENERATE}`", file=sys.stderr)
        return 1 if paths else 0
    for path in write_all(args.actions_dir):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
