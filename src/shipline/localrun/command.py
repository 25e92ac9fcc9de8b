"""The act command line for one offline, Docker-free run on this machine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

HOST = "-self-hosted"  # act's platform value for "run the job on this machine"


@dataclass
class ActOptions:
    """Everything one act run needs; `command()` turns it into argv.

    ``secrets`` are passed by name only (``-s NAME``): act reads their values from
    its environment (see `runner.act_environment`), so they never show in ``ps``.
    """

    act: Path
    event: str = "push"
    workflows: Path | None = None
    job: str | None = None
    event_path: Path | None = None
    labels: set[str] = field(default_factory=lambda: {"ubuntu-latest"})
    local_repositories: Mapping[str, Path] = field(default_factory=dict)
    inputs: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    action_cache: Path | None = None
    artifact_dir: Path | None = None
    artifact_port: int | None = None
    default_branch: str | None = None
    list_only: bool = False
    matrix: Mapping[str, list[str]] = field(default_factory=dict)  # run only these matrix values


def command(opts: ActOptions) -> list[str]:
    """argv for act: host mode for every label, local repositories, offline servers, --json."""
    argv = [str(opts.act), opts.event, "--json"]
    if opts.list_only:
        argv.append("--list")
    if opts.workflows is not None:
        argv += ["-W", str(opts.workflows)]
    if opts.job:
        argv += ["-j", opts.job]
    if opts.event_path is not None:
        argv += ["-e", str(opts.event_path)]
    for label in sorted(opts.labels):
        argv += ["-P", f"{label}={HOST}"]
    for key, folder in sorted(opts.local_repositories.items()):
        argv += ["--local-repository", f"{key}={folder}"]
    # Offline: no cache server (the cache stand-in keeps caches), the artifact server on loopback.
    argv.append("--no-cache-server")
    argv += ["--artifact-server-addr", "127.0.0.1"]
    if opts.artifact_dir is not None:
        argv += ["--artifact-server-path", str(opts.artifact_dir)]
    if opts.artifact_port is not None:
        argv += ["--artifact-server-port", str(opts.artifact_port)]
    if opts.action_cache is not None:
        argv += ["--action-cache-path", str(opts.action_cache)]
    argv.append("--action-offline-mode")
    if opts.default_branch:
        argv += ["--defaultbranch", opts.default_branch]
    for key, values in sorted(opts.matrix.items()):
        for value in values:
            argv += ["--matrix", f"{key}:{value}"]
    for name, value in sorted(opts.inputs.items()):
        argv += ["--input", f"{name}={value}"]
    for name in sorted(opts.secrets):
        argv += ["-s", name]
    for name, value in sorted(opts.env.items()):
        argv += ["--env", f"{name}={value}"]
    return argv
