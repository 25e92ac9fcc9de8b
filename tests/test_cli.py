import subprocess
import sys
from pathlib import Path

import pytest

from shipline import __version__
from shipline.commands import COMMANDS
from tests.helpers import run_cli

CONTRACT = "init generate check plan schema build test scan loadtest smoke deploy rollback status act dora".split()


def test_every_command_of_the_contract_is_registered():
    assert set(CONTRACT) <= set(COMMANDS)


def test_help_lists_commands(tmp_path):
    with pytest.raises(SystemExit) as exc:
        run_cli("--help", cwd=tmp_path)
    assert exc.value.code == 0


def test_no_command_prints_help_and_exits_2(tmp_path):
    result = run_cli(cwd=tmp_path)
    assert result.code == 2
    assert "COMMAND" in result.out


def test_unknown_flag_is_bad_input(tmp_path):
    result = run_cli("schema", "--frobnicate", cwd=tmp_path)
    assert result.code == 2
    assert result.err.startswith("shipline: error: unrecognized arguments: --frobnicate")
    assert "Traceback" not in result.err


def test_unknown_command_is_bad_input(tmp_path):
    result = run_cli("deploi", cwd=tmp_path)
    assert result.code == 2
    assert "invalid choice: 'deploi'" in result.err


def test_internal_error_is_exit_3_without_traceback(tmp_path, monkeypatch):
    import shipline.commands.schema as schema_cmd

    def boom(args, ctx):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(schema_cmd, "run", boom)
    result = run_cli("schema", cwd=tmp_path)
    assert result.code == 3
    assert "internal error: RuntimeError: disk on fire" in result.err
    assert "Traceback" not in result.err
    debug = run_cli("schema", "--debug", cwd=tmp_path)
    assert debug.code == 3
    assert "Traceback" in debug.err


def test_interrupt_is_exit_130(tmp_path, monkeypatch):
    import shipline.commands.schema as schema_cmd

    def interrupted(args, ctx):
        raise KeyboardInterrupt

    monkeypatch.setattr(schema_cmd, "run", interrupted)
    assert run_cli("schema", cwd=tmp_path).code == 130


def test_installed_entry_point_and_module_run():
    exe = subprocess.run([sys.executable, "-m", "shipline", "--version"], capture_output=True, text=True, timeout=60)
    assert exe.returncode == 0
    assert exe.stdout.strip() == f"shipline {__version__}"
    console = Path(sys.executable).parent / "shipline"
    script = subprocess.run([str(console), "schema"], capture_output=True, text=True, timeout=60)
    assert script.returncode == 0 and '"title": "shipline.yml"' in script.stdout
