"""The run directory of the SSH key: under XDG_RUNTIME_DIR, and the ones of dead runs removed by the next run."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from shipline import processes
from shipline.deploy.hosts import rundir


def test_the_next_run_removes_the_directories_of_dead_runs_only():
    runtime = Path(tempfile.mkdtemp(prefix="rt-", dir="/tmp"))  # short, as a runtime directory is
    try:
        dead = subprocess.Popen(["true"])
        dead.wait()
        me = processes.proc_stat(os.getpid())
        assert me is not None
        here = socket.gethostname()
        owners = {
            "dead": f"{dead.pid} {me.started} {here}",
            "live": f"{os.getpid()} {me.started} {here}",
            "reused": f"{os.getpid()} {me.started - 100} {here}",  # its pid now belongs to a later process
            "elsewhere": f"{dead.pid} {me.started} another-machine",  # a container's: not ours to judge
            "making": None,  # no owner yet
        }
        for name, owner in owners.items():
            path = runtime / f"{rundir.PREFIX}{name}"
            path.mkdir()
            (path / "key").write_text("secret\n")
            if owner:
                (path / rundir.OWNER).write_text(owner + "\n")
        made = rundir.make(str(runtime))
        assert made.parent == runtime and oct(made.stat().st_mode & 0o777) == "0o700"
        assert (made / rundir.OWNER).read_text().split()[0] == str(os.getpid())
        left = sorted(p.name.removeprefix(rundir.PREFIX) for p in runtime.iterdir() if p != made)
        assert left == ["elsewhere", "live", "making"]
    finally:
        shutil.rmtree(runtime)


def test_a_runtime_directory_too_long_for_control_sockets_is_passed_over(tmp_path):
    long = tmp_path / ("x" * 60)
    long.mkdir()
    made = rundir.make(str(long))
    try:
        assert long not in made.parents and len(str(made.parent)) <= rundir.BASE_MAX
    finally:
        shutil.rmtree(made)
