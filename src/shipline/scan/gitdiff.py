"""What a change touched, and the same files as they were at the merge base.

Used by the diff-aware scan: only files changed since the merge base are scanned,
on both sides, so a one-file pull request costs a one-file scan however large the
repository is. The base side is checked out into a temporary ``git worktree`` with
just those files, fetching history first when the clone is shallow.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shipline.errors import InputError, ToolError


def git(repo: Path, *argv: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run git in ``repo``; a failure is a `ToolError` quoting git's message."""
    try:
        proc = subprocess.run(["git", "-C", str(repo), *argv], input=stdin, capture_output=True, text=True, check=False)
    except OSError as err:
        raise ToolError("git", f"could not start: {err.strerror}") from None
    if check and proc.returncode != 0:
        raise ToolError("git", f"`git {' '.join(argv)}` exit {proc.returncode}: {proc.stderr.strip()}")
    return proc


def toplevel(path: Path) -> Path | None:
    """The root of the git work tree holding ``path``, or None outside git."""
    proc = git(path, "rev-parse", "--show-toplevel", check=False)
    return Path(proc.stdout.strip()) if proc.returncode == 0 else None


def listed(repo: Path, targets: Sequence[str]) -> list[str] | None:
    """Files under ``targets`` that git does not ignore (tracked or new); None outside git."""
    proc = git(repo, "--literal-pathspecs", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *targets, check=False)
    if proc.returncode != 0:
        return None
    return sorted({p for p in proc.stdout.split("\0") if p and (repo / p).is_file()})


def _resolve(repo: Path, ref: str) -> str | None:
    proc = git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def _shallow(repo: Path) -> bool:
    return git(repo, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"


def merge_base(repo: Path, ref: str) -> str:
    """The merge base of HEAD and ``ref``, fetching ``ref`` and history as needed."""
    commit = _resolve(repo, ref)
    if commit is None:
        fetched = git(repo, "fetch", "--quiet", "--no-tags", "origin", ref, check=False)
        commit = _resolve(repo, "FETCH_HEAD") if fetched.returncode == 0 else None
        if commit is None:
            raise InputError(f'--baseline-ref "{ref}" is not a commit here and `git fetch origin {ref}` failed: {fetched.stderr.strip() or "no such ref"}')
    base = git(repo, "merge-base", "HEAD", commit, check=False)
    if base.returncode != 0 and _shallow(repo):
        # a shallow clone stops before the fork point: fetch the rest of the history
        git(repo, "fetch", "--quiet", "--no-tags", "--unshallow", "origin")
        git(repo, "fetch", "--quiet", "--no-tags", "origin", ref, check=False)
        base = git(repo, "merge-base", "HEAD", commit, check=False)
    if base.returncode != 0:
        raise InputError(f'HEAD and --baseline-ref "{ref}" have no common history')
    return base.stdout.strip()


@dataclass
class Change:
    """Files changed since the base: as they are now, as they were, and renames (old -> new)."""

    head: list[str] = field(default_factory=list)
    base: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)


def changes(repo: Path, base: str) -> Change:
    """Files that differ between ``base`` and the work tree, untracked ones included."""
    fields = git(repo, "diff", "--name-status", "-z", "-M", "--no-ext-diff", base).stdout.split("\0")
    change = Change()
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i]
        if status[0] in "RC":
            old, new = fields[i + 1], fields[i + 2]
            change.base.append(old)
            change.head.append(new)
            change.renamed[old] = new
            i += 3
            continue
        path = fields[i + 1]
        if status[0] != "A":
            change.base.append(path)
        if status[0] != "D":
            change.head.append(path)
        i += 2
    untracked = git(repo, "ls-files", "-z", "--others", "--exclude-standard").stdout.split("\0")
    change.head += [p for p in untracked if p]
    return change


_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)


def added_lines(repo: Path, base: str, paths: Sequence[str]) -> dict[str, frozenset[int]]:
    """The lines of each of ``paths`` (in the work tree) added or changed since ``base``."""
    if not paths:
        return {}
    # many paths would overflow the command line: then the whole diff, filtered below
    pathspec = list(paths) if len(paths) <= 1000 else []
    diff = git(repo, "-c", "core.quotePath=false", "--literal-pathspecs", "diff", "-U0", "-M", "--no-ext-diff", "--no-color", base, "--", *pathspec).stdout
    wanted = set(paths)
    added: dict[str, frozenset[int]] = {}
    for chunk in re.split(r"^diff --git ", diff, flags=re.MULTILINE)[1:]:
        target = re.search(r"^\+\+\+ b/(.*)$", chunk, re.MULTILINE)
        if target and target[1] in wanted:
            lines = (range(int(m[1]), int(m[1]) + int(m[2] if m[2] is not None else 1)) for m in _HUNK.finditer(chunk))
            added[target[1]] = frozenset(n for span in lines for n in span)
    return added


def committed_at(repo: Path, path: str) -> str | None:
    """The last commit that changed ``path``; None when it is not committed as it is now."""
    if git(repo, "--literal-pathspecs", "status", "--porcelain", "--", path, check=False).stdout.strip():
        return None
    proc = git(repo, "--literal-pathspecs", "log", "-1", "--format=%H", "--", path, check=False)
    return proc.stdout.strip() or None


@contextlib.contextmanager
def worktree(repo: Path, commit: str, paths: Sequence[str]) -> Iterator[Path]:
    """A temporary worktree at ``commit`` with only ``paths`` checked out."""
    with tempfile.TemporaryDirectory(prefix="shipline-base-") as tmp:
        tree = Path(tmp) / "base"
        git(repo, "worktree", "add", "--quiet", "--detach", "--no-checkout", str(tree), commit)
        try:
            if paths:
                git(tree, "--literal-pathspecs", "checkout", commit, "--pathspec-from-file=-", "--pathspec-file-nul", stdin="\0".join(paths))
            yield tree
        finally:
            git(repo, "worktree", "remove", "--force", str(tree), check=False)
            git(repo, "worktree", "prune", check=False)
