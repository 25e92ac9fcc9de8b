"""Immutable releases: each version unpacked once into ``<releases_dir>/<version>``.

Slots start inside their release, never in the checkout, so a rollback runs exactly
the code that was deployed under that version even after the checkout moved on.
The release comes from what the build produced (``deploy.artifact``: a directory, a
tarball, a wheel or a zip), else from ``git archive`` of the version's commit (HEAD
when the version names no commit), else from a copy of the service directory. It is
unpacked beside its final place and renamed into it, so a release directory is
always complete; a kept release is reused as it is.
"""

from __future__ import annotations

import builtins
import glob
import io
import shutil
import subprocess
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from shipline.errors import InputError

# never part of a release copied from a directory
SKIP = (".git", ".venv", "venv", "node_modules", "__pycache__", ".shipline", ".pytest_cache", ".mypy_cache")
ARCHIVE_TIMEOUT = 300


class ReleaseError(Exception):
    """A release could not be made from its source."""


@dataclass(frozen=True)
class Release:
    """One unpacked version."""

    version: str
    path: Path
    made: float  # seconds since the epoch


def _safe_name(version: str) -> str:
    if not version or version in (".", "..") or "/" in version or "\0" in version:
        raise InputError(f"version {version!r} cannot name a release directory: use letters, digits, dots, dashes or underscores")
    return version


def _unpack_tar(data: io.BufferedIOBase | bytes, into: Path) -> None:
    fileobj = io.BytesIO(data) if isinstance(data, bytes) else data
    with tarfile.open(fileobj=fileobj) as tar:
        tar.extractall(into, filter="data")  # no absolute paths, no escapes, no devices


def _plain(path: Path) -> bool:
    """A file, directory or link: not a socket, fifo or device, which a release never holds."""
    return path.is_symlink() or path.is_file() or path.is_dir()


class ReleaseStore:
    """The releases of one environment, and how to make a new one."""

    def __init__(self, root: Path, source: Path, artifact: str | None, skip: tuple[Path, ...] = ()):
        self.root = root
        self.source = source
        self.artifact = artifact
        self.skip = tuple(p.resolve() for p in skip)

    def path(self, version: str) -> Path:
        """Where ``version`` is (or would be) unpacked."""
        return self.root / _safe_name(version)

    def exists(self, version: str) -> bool:
        """Whether ``version`` is kept."""
        return self.path(version).is_dir()

    def prepare(self, version: str) -> tuple[Path, bool]:
        """The release directory of ``version``, unpacked now unless it is kept; and whether it was reused."""
        final = self.path(version)
        if final.is_dir():
            return final, True
        self.root.mkdir(parents=True, exist_ok=True)
        work = self.root / f".{final.name}.partial"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        try:
            self._fill(work, version)
            work.rename(final)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        return final, False

    def _fill(self, into: Path, version: str) -> None:
        if self.artifact:
            self._from_artifact(into)
        elif (self.source / ".git").exists() or self._git("rev-parse", "--is-inside-work-tree").returncode == 0:
            self._from_git(into, version)
        else:
            self._copy(self.source, into)

    def _artifact_path(self) -> Path:
        pattern = str(self.source / str(self.artifact))
        matches = sorted((Path(m) for m in glob.glob(pattern)), key=lambda p: p.stat().st_mtime)
        if not matches:
            raise ReleaseError(f"deploy.artifact {self.artifact!r} matches nothing under {self.source}: did the build run?")
        return matches[-1]

    def _from_artifact(self, into: Path) -> None:
        found = self._artifact_path()
        if found.is_dir():
            self._copy(found, into)
        elif found.suffix in (".whl", ".zip"):
            with zipfile.ZipFile(found) as archive:
                for member in archive.namelist():
                    target = (into / member).resolve()
                    if not target.is_relative_to(into.resolve()):
                        raise ReleaseError(f"{found}: member {member!r} would land outside the release")
                archive.extractall(into)
        elif tarfile.is_tarfile(found):
            with open(found, "rb") as f:
                _unpack_tar(f, into)
        else:
            raise ReleaseError(f"deploy.artifact {found} is not a directory, tarball, wheel or zip")

    def _git(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(["git", *args], cwd=self.source, capture_output=True, timeout=ARCHIVE_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as err:
            return subprocess.CompletedProcess(["git", *args], 1, b"", str(err).encode())

    def _from_git(self, into: Path, version: str) -> None:
        commit = version if self._git("rev-parse", "--verify", "--quiet", f"{version}^{{commit}}").returncode == 0 else "HEAD"
        done = self._git("archive", "--format=tar", commit, ".")
        if done.returncode != 0:
            raise ReleaseError(f"git archive {commit} failed in {self.source}: {done.stderr.decode(errors='replace').strip()[-300:]}")
        _unpack_tar(done.stdout, into)

    def _copy(self, source: Path, into: Path) -> None:
        skip = self.skip + (self.root.resolve(),)

        def ignore(folder: str, names: list[str]) -> list[str]:
            return [n for n in names if n in SKIP or not _plain(Path(folder) / n) or (Path(folder) / n).resolve() in skip]

        shutil.copytree(source, into, symlinks=True, ignore=ignore, dirs_exist_ok=True)

    def list(self) -> list[Release]:
        """Kept releases, oldest first."""
        if not self.root.is_dir():
            return []
        found = [Release(p.name, p, p.stat().st_mtime) for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")]
        return sorted(found, key=lambda r: (r.made, r.version))

    def prune(self, keep: int, in_use: set[str]) -> builtins.list[str]:
        """Remove the oldest releases beyond ``keep``, never one in ``in_use``; the versions removed."""
        releases = self.list()
        removable = [r for r in releases if r.version not in in_use]
        excess = max(0, len(releases) - max(keep, len(in_use)))
        removed = []
        for release in removable[:excess]:
            shutil.rmtree(release.path, ignore_errors=True)
            removed.append(release.version)
        return removed
