"""Which files a scan reads: one choice for the full scan and the diff-aware scan.

Both scans ask `wanted()` about each path, so a file under ``tests/`` is in both or in
neither. Ignored are what git ignores, the folders semgrep ignores by default
(``tests/``, ``vendor/``, ``build/``, ...; a ``.semgrepignore`` at the root replaces
that list, as it does for semgrep) and ``security.exclude``. `select()` then sorts the
wanted files: binaries named like source are skipped up front (reading them costs
seconds and finds nothing), files over `MAX_BYTES` go to the scanners that can read
them, each with a note.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath

from shipline.scan import gitdiff
from shipline.scan.model import Note
from shipline.scan.tool import MAX_BYTES, inside

# semgrep's own default .semgrepignore (1.185, --experimental), .gitignore aside: git applies it here
DEFAULT_IGNORE = (
    ".git", ".svn", ".hg", "_darcs", "CVS",
    "build/", "vendor/", "dist/", "*.min.js", ".env/", ".tox/",
    "node_modules/", ".npm/", ".yarn/", ".venv/", "_opam/", "_build/", "_cargo/",
    "test/", "tests/", "testsuite/", "*_test.go",
)  # fmt: skip
_SNIFF = 8192  # bytes read to tell a binary: a NUL among them
# Names the scanners read as code: checked for binaries, and noted when too large. Other
# files (images, archives) go to semgrep unread, which skips what no rule's language covers.
SOURCE_SUFFIXES = frozenset(".py .pyi .pyw .js .jsx .mjs .cjs .ts .tsx .yml .yaml .json .go .java .rb .php .sh .tf".split())


@dataclass(frozen=True)
class Ignore:
    """Ignore patterns in .semgrepignore syntax: ``dir/`` any folder of that name, a
    pattern with a slash anchored at the root, else a glob on any part of the path.
    In ``folders`` (longest first) a folder's own patterns hold instead."""

    patterns: tuple[str, ...]
    folders: tuple[tuple[str, Ignore], ...] = ()

    def __call__(self, path: str) -> bool:
        own = next((ignored for folder, ignored in self.folders if inside(path, folder)), None)
        if own is not None:
            return own(path)
        p = PurePosixPath(path)
        folders = [str(d) for d in p.parents if str(d) != "."]
        for pattern in self.patterns:
            folder_only, body = pattern.endswith("/"), pattern.strip("/")
            if "/" in body or pattern.startswith("/"):  # anchored at the root
                candidates = folders if folder_only else [path, *folders]
            else:
                candidates = list(p.parts[:-1] if folder_only else p.parts)
            if any(fnmatch(c, body) for c in candidates):
                return True
        return False


def ignore(root: Path, exclude: Sequence[str], folders: Sequence[tuple[str, Sequence[str]]] = ()) -> Ignore:
    """The root's .semgrepignore (else semgrep's defaults), plus ``security.exclude``;
    in each of ``folders`` (longest first) plus that folder's own exclude instead."""
    own = root / ".semgrepignore"
    try:
        lines = own.read_text(encoding="utf-8", errors="replace").splitlines()
        base = tuple(s for line in lines if (s := line.strip()) and not s.startswith(("#", ":include")))
    except OSError:
        base = DEFAULT_IGNORE
    return Ignore((*base, *exclude), tuple((folder, Ignore((*base, *mine))) for folder, mine in folders))


def wanted(path: str, targets: Sequence[str], ignored: Ignore) -> bool:
    """Whether ``path`` is under one of ``targets`` and not ignored."""
    p = PurePosixPath(path)
    if ignored(path):
        return False
    return any(t in (".", "") or p == PurePosixPath(t) or PurePosixPath(t) in p.parents for t in targets)


def listing(root: Path, targets: Sequence[str]) -> list[str]:
    """Every file under ``targets``: git's list (tracked and new, not ignored), else a walk."""
    listed = gitdiff.listed(root, targets)
    if listed is not None:
        return listed
    found: set[str] = set()
    for target in targets:
        start = root / target
        if start.is_file():
            found.add(PurePosixPath(target).as_posix())
        for folder, dirs, files in os.walk(start):
            dirs[:] = [d for d in dirs if d != ".git"]
            found |= {(Path(folder) / f).relative_to(root).as_posix() for f in files}
    return sorted(found)


@dataclass
class Selection:
    """The files to scan, those over the size limit, and a note for each left out."""

    files: list[str] = field(default_factory=list)
    large: list[str] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


def _binary(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return b"\0" in handle.read(_SNIFF)
    except OSError:
        return False


def select(root: Path, paths: Iterable[str]) -> Selection:
    """Sort ``paths`` (wanted files under ``root``) into scanned, large and skipped."""
    chosen = Selection()
    for path in sorted(set(paths)):
        full = root / path
        if not full.is_file():
            continue
        source = full.suffix in SOURCE_SUFFIXES or full.name.startswith("Dockerfile")
        if source and _binary(full):
            chosen.notes.append(Note(path, "skipped: a binary file (NUL bytes), not source code"))
        elif full.stat().st_size > MAX_BYTES:
            if source:
                chosen.large.append(path)
        else:
            chosen.files.append(path)
    return chosen


def choose(root: Path, targets: Sequence[str], exclude: Sequence[str], among: Iterable[str] | None = None, folders: Sequence[tuple[str, Sequence[str]]] = ()) -> Selection:
    """The files a scan of ``targets`` reads: all of them, or those of ``among`` (a change);
    ``folders``: (folder, its own exclude), as `ignore` takes them."""
    ignored = ignore(root, exclude, folders)
    candidates = listing(root, targets) if among is None else among
    return select(root, (p for p in candidates if wanted(p, targets, ignored)))
