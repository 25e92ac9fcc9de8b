"""Which local folder act uses for each remote action, so that nothing is fetched.

act fetches every remote ``uses:`` from github.com before a job starts, even for a
step that would be skipped. ``--local-repository owner/repo@REF=DIR`` replaces one
repository at one exact ref with a folder. Three kinds of reference are mapped:

- the kit's own actions (``<kit.repository>/actions/NAME@<kit.ref>``) to the installed
  kit's source tree;
- the third-party actions the generated workflows pin, to the stand-ins shipped in
  ``standins/`` (one folder per repository, laid out like the real one), and each
  language's setup action to the stand-in made from its module (`setup_standins`);
- ``actions/checkout``, which act special-cases itself: it copies the local tree.

Anything else cannot run offline and is reported before act starts.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path

from shipline.errors import Problem
from shipline.generate.pins import Computed
from shipline.localrun.workflows import ActionRef

STANDINS_DIR = Path(__file__).parent / "standins"

# owner/repo -> its stand-in folder, for the actions every pipeline may use
PIPELINE_STANDINS = {
    "actions/upload-artifact": STANDINS_DIR / "actions" / "upload-artifact",
    "actions/download-artifact": STANDINS_DIR / "actions" / "download-artifact",
    "actions/cache": STANDINS_DIR / "actions" / "cache",
    "github/codeql-action": STANDINS_DIR / "github" / "codeql-action",
}


def _all_standins() -> dict[str, Path]:
    """The pipeline's stand-ins and every registered language's setup action's."""
    from shipline.localrun.setup_standins import standins

    return {**PIPELINE_STANDINS, **standins()}


# the one registry of stand-ins
STANDINS: MappingABC[str, Path] = Computed(_all_standins)

# act copies the local tree for these itself (no fetch, no mapping needed).
BUILT_IN = {"actions/checkout"}


def kit_source_dir(prefix: str = sys.prefix, checkout: Path = Path(__file__).resolve().parents[3]) -> Path | None:
    """The folder holding the kit's ``actions/``: the source checkout, else the installed copy.

    A checkout (or an editable install) has ``actions/`` beside ``src/``; a wheel
    installs them as data files under ``PREFIX/share/shipline`` (see pyproject.toml).
    """
    for root in (checkout, Path(prefix) / "share" / "shipline"):
        if (root / "actions" / "setup" / "action.yml").is_file():
            return root
    return None


@dataclass
class Mapping:
    """The ``--local-repository`` entries for one run, and what could not be mapped."""

    repositories: dict[str, Path] = field(default_factory=dict)  # "owner/repo@ref" -> folder
    standins: list[ActionRef] = field(default_factory=list)
    kit: list[ActionRef] = field(default_factory=list)
    unmapped: list[Problem] = field(default_factory=list)


def map_actions(uses: dict[ActionRef, Problem], kit_repository: str, kit_dir: Path | None) -> Mapping:
    """Map every remote action in ``uses`` (ref -> where it is used) to a local folder."""
    out = Mapping()
    standins = dict(STANDINS)
    for ref, where in sorted(uses.items()):
        if ref.repository in BUILT_IN:
            continue
        if ref.repository.lower() == kit_repository.lower():
            if kit_dir is None:
                out.unmapped.append(_problem(where, f"{ref}: the installed shipline has no actions/ folder to run the kit's actions from"))
                continue
            if not (kit_dir / ref.path / "action.yml").is_file():
                names = ", ".join(sorted(p.parent.name for p in (kit_dir / "actions").glob("*/action.yml"))) or "none"
                out.unmapped.append(_problem(where, f'{ref}: the kit has no action "{ref.path.removeprefix("actions/")}"; it has: {names}'))
                continue
            out.repositories[ref.key] = kit_dir
            out.kit.append(ref)
        elif ref.repository in standins and (standins[ref.repository] / ref.path / "action.yml").is_file():
            out.repositories[ref.key] = standins[ref.repository]
            out.standins.append(ref)
        else:
            known = ", ".join(sorted(standins) + sorted(BUILT_IN) + [f"{kit_repository}/actions/*"])
            out.unmapped.append(
                _problem(
                    where,
                    f"{ref}: act would fetch it from github.com and there is no offline stand-in for it; offline runs support: {known}."
                    f" To run this job here, replace the step with a run: step (an override's remove/before), or add a stand-in:"
                    f" {STANDINS_DIR.name}/{ref.repository}/action.yml in the kit and an entry in PIPELINE_STANDINS, or, for a language's"
                    f" setup action, its SetupAction in the language's module",
                )
            )
    return out


def _problem(where: Problem, message: str) -> Problem:
    return Problem(where.file, where.line, where.col, message)
