"""The rules `shipline monitor` writes pass promtool: for every example, and against the hand-written cases per alert family."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import run_cli
from tests.prometheus_support import PROMTOOL

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.parent for p in (ROOT / "pipelines").glob("*/shipline.yml"))
FAMILIES = Path(__file__).parent / "monitor_rules"
AMTOOL = "/usr/bin/amtool"


def promtool(*args: str, cwd: Path) -> str:
    done = subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def monitored(src: Path, tmp: Path) -> Path:
    """Copy of the manifest at ``src`` with its monitoring files written beside it; the monitoring folder."""
    shutil.copy(src / "shipline.yml", tmp / "shipline.yml")
    result = run_cli("monitor", cwd=tmp)
    assert result.code == 0, result.err
    return tmp / "monitoring"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_gives_rules_promtool_accepts_and_their_tests_pass(example, tmp_path):
    out = monitored(example, tmp_path)
    assert "SUCCESS" in promtool("check", "rules", "rules.yml", cwd=out)
    assert "SUCCESS" in promtool("test", "rules", "rules.test.yml", cwd=out)
    assert "SUCCESS" in promtool("check", "config", "prometheus.yml", cwd=out)
    if Path(AMTOOL).exists():
        done = subprocess.run([AMTOOL, "check-config", "alertmanager.yml"], cwd=out, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_generated_tests_catch_a_rule_that_stopped_firing(tmp_path):
    out = monitored(ROOT / "pipelines" / "example", tmp_path)
    rules = out / "rules.yml"
    rules.write_text(rules.read_text().replace("> 0.05", "> 0.9"))  # ErrorRateHigh no longer fires at 50% errors
    done = subprocess.run([PROMTOOL, "test", "rules", "rules.test.yml"], cwd=out, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "ShiplineErrorRateHigh" in done.stdout + done.stderr


@pytest.mark.parametrize("family", sorted(FAMILIES.glob("*.test.yml")), ids=lambda p: p.name.removesuffix(".test.yml"))
def test_each_alert_family_fires_on_a_breach_and_stays_silent_when_healthy(family, tmp_path):
    out = monitored(FAMILIES, tmp_path)
    shutil.copy(family, out / family.name)
    assert "SUCCESS" in promtool("test", "rules", family.name, cwd=out)
