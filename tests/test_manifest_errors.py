"""Malformed manifests: a new case is a new file pair, tests/manifests/bad/NAME.yml + NAME.out.

Each must end in exit 2 with exactly the located messages in NAME.out, quickly, with
nothing written. Regenerate the .out files after a deliberate message change with
SHIPLINE_UPDATE_GOLDEN=1 and review the diff.
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.helpers import run_cli

BAD = sorted((Path(__file__).parent / "manifests" / "bad").glob("*.yml"))


def test_the_corpus_is_large_enough():
    assert len(BAD) >= 60


@pytest.mark.parametrize("case", BAD, ids=lambda p: p.stem)
def test_malformed_manifest_is_exit_2_with_located_messages(case, tmp_path):
    shutil.copy(case, tmp_path / "shipline.yml")
    result = run_cli("generate", "-m", "shipline.yml", cwd=tmp_path)
    expected_file = case.with_suffix(".out")
    if os.environ.get("SHIPLINE_UPDATE_GOLDEN") == "1":
        expected_file.write_text(result.err)
    assert result.code == 2, result.err
    assert result.err == expected_file.read_text()
    assert result.out == ""
    assert "Traceback" not in result.err
    for line in result.err.splitlines():
        assert line.startswith("shipline: error: shipline.yml:"), line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shipline.yml"], "nothing may be written"
