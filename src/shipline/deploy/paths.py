"""Where an environment's deploy state and releases live.

By default outside the checkout, so a CI runner or `shipline act` that deletes the
workspace after the job keeps what is live: ``$SHIPLINE_STATE_HOME``, else
``$XDG_STATE_HOME``, else ``~/.local/state``, then ``shipline/<project>``; each
environment has its own files there. ``deploy.state_dir`` overrides it (relative to
the service directory).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shipline import manifest


@dataclass(frozen=True)
class DeployPaths:
    """The directories one environment's deploys use."""

    state_dir: Path
    releases_dir: Path


def deploy_paths(environment: manifest.Environment, project: str, cwd: Path, environ: Mapping[str, str]) -> DeployPaths:
    """The state and release directories of ``environment``."""
    deploy = environment.deploy
    if deploy.state_dir:
        state_dir = cwd / Path(deploy.state_dir).expanduser()
    else:
        home = Path(environ.get("HOME") or Path.home())
        base = environ.get("SHIPLINE_STATE_HOME") or environ.get("XDG_STATE_HOME") or str(home / ".local" / "state")
        state_dir = Path(base) / "shipline" / project
    releases = cwd / Path(deploy.releases_dir).expanduser() if deploy.releases_dir else state_dir / f"{environment.name}.releases"
    return DeployPaths(state_dir, releases)
