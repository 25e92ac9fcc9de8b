"""Artifacts: the files a build produced and their sha256 digests."""

from __future__ import annotations

import glob
import hashlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Artifact:
    """A built file (or, for containers, an image reference) and its sha256 digest."""

    path: str
    sha256: str
    size: int | None = None


def sha256_file(path: Path) -> str:
    """The file's sha256 as hex."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def find(cwd: Path, patterns: list[str], since: float | None) -> list[Path]:
    """Files matching ``patterns``; with ``since``, only those written during the build."""
    found: dict[Path, None] = {}
    for pattern in patterns:
        for name in sorted(glob.glob(pattern, root_dir=cwd, recursive=True)):
            path = cwd / name
            if path.is_file() and (since is None or path.stat().st_mtime >= since - 1):
                found[path] = None
    return list(found)
