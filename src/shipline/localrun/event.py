"""Event payloads for ``act -e``, built from the local git repository.

act's default payload is nearly empty, so ``github.event.before``,
``github.event.pull_request.base.sha`` and the like would be blank. These payloads
carry what the generated workflows read: the base and head commits, the branch, and
the files changed between them.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shipline.errors import InputError

ZERO_SHA = "0" * 40


def _git(root: Path, *args: str) -> str | None:
    proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def _changed(root: Path, base: str, head: str) -> dict[str, list[str]]:
    """Files added, modified and removed from ``base`` to ``head``."""
    out: dict[str, list[str]] = {"added": [], "modified": [], "removed": []}
    if base == ZERO_SHA:
        listing = _git(root, "ls-tree", "-r", "--name-only", head) or ""
        out["added"] = [p for p in listing.splitlines() if p]
        return out
    diff = _git(root, "diff", "--name-status", "--no-renames", base, head) or ""
    kinds = {"A": "added", "M": "modified", "D": "removed"}
    for line in diff.splitlines():
        status, _, path = line.partition("\t")
        out[kinds.get(status[:1], "modified")].append(path)
    return out


def _repository(root: Path, default_branch: str) -> dict[str, Any]:
    name = root.resolve().name
    return {"name": name, "full_name": f"local/{name}", "default_branch": default_branch, "private": True}


def push_payload(root: Path, default_branch: str) -> dict[str, Any]:
    """A push of the current branch: ``before`` is the parent commit (or zeros for the first)."""
    head = _git(root, "rev-parse", "HEAD")
    if head is None:
        raise InputError(f"{root}: not a git repository with a commit; run `git init` and commit, then `shipline act` again")
    before = _git(root, "rev-parse", "--verify", "-q", "HEAD^") or ZERO_SHA
    branch = _git(root, "symbolic-ref", "--short", "-q", "HEAD") or default_branch
    changed = _changed(root, before, head)
    message = _git(root, "log", "-1", "--format=%s") or ""
    commit = {"id": head, "message": message, "distinct": True, **changed}
    return {
        "ref": f"refs/heads/{branch}",
        "before": before,
        "after": head,
        "created": before == ZERO_SHA,
        "deleted": False,
        "forced": False,
        "head_commit": commit,
        "commits": [commit],
        "repository": _repository(root, default_branch),
    }


def pull_request_payload(root: Path, default_branch: str) -> dict[str, Any]:
    """A pull request from the current branch into the default branch.

    The base is where the branch left the default branch; on the default branch
    itself, the parent commit stands in for it.
    """
    head = _git(root, "rev-parse", "HEAD")
    if head is None:
        raise InputError(f"{root}: not a git repository with a commit; run `git init` and commit, then `shipline act` again")
    branch = _git(root, "symbolic-ref", "--short", "-q", "HEAD") or "HEAD"
    base = None
    if branch != default_branch:
        base = _git(root, "merge-base", default_branch, head)
    base = base or _git(root, "rev-parse", "--verify", "-q", "HEAD^") or head
    changed = _changed(root, base, head)
    files = sorted(changed["added"] + changed["modified"] + changed["removed"])
    return {
        "action": "synchronize",
        "number": 1,
        "pull_request": {
            "number": 1,
            "title": _git(root, "log", "-1", "--format=%s") or "",
            "draft": False,
            "base": {"ref": default_branch, "sha": base},
            "head": {"ref": branch, "sha": head},
            "changed_files": len(files),
        },
        # Not part of GitHub's payload (it needs an API call there); here it costs nothing.
        "changed_files": files,
        "repository": _repository(root, default_branch),
    }


def dispatch_payload(inputs: Mapping[str, str], default_branch: str, root: Path) -> dict[str, Any]:
    """A manual run with its inputs."""
    branch = _git(root, "symbolic-ref", "--short", "-q", "HEAD") or default_branch
    return {"inputs": dict(inputs), "ref": f"refs/heads/{branch}", "repository": _repository(root, default_branch)}


def write_event(path: Path, event: str, root: Path, default_branch: str, inputs: Mapping[str, str]) -> Path:
    """Write the payload for ``event`` to ``path`` (for ``act -e``) and return it."""
    if event == "push":
        payload = push_payload(root, default_branch)
    elif event == "pull_request":
        payload = pull_request_payload(root, default_branch)
    else:
        payload = dispatch_payload(inputs, default_branch, root)
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return path
