"""Helpers shared by the tests: inline file trees and an in-process CLI runner."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from shipline import processes
from shipline.cli import main


def build_file_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``{relative path: content}`` under ``root``; str content is dedented."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


def free_port() -> int:
    """A loopback port nothing listens on right now, out of the way of outgoing connections (`processes.free_port`)."""
    return processes.free_port()


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(*argv: str, cwd: Path, env: Mapping[str, str] | None = None) -> CliResult:
    """Run ``shipline ARGV`` in-process in ``cwd``, capturing stdout and stderr.

    The environment is empty apart from ``env`` (and PATH), so GitHub variables of
    the machine running the tests never leak in.
    """
    import os

    environ = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/root")}
    environ.update(env or {})
    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(argv), environ=environ, cwd=cwd)
    finally:
        os.chdir(old)
    return CliResult(code, out.getvalue(), err.getvalue())
