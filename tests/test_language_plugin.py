"""A language is one module: a small Perl plugin, added from outside the kit, is picked up everywhere.

The module below is all there is to it: its ``LANGUAGE`` and its setup action (pin,
version comment, cache inputs, how the offline stand-in finds perl). Declared by an
entry point of its own distribution (a module inside ``shipline/languages/`` is found
the same way, without one), it makes ``init`` detect a Perl project, ``generate`` pin
its setup action, ``shipline act`` map that action to a stand-in, and the stand-in
find this machine's perl. No other file of the kit changes. Each step runs in a fresh
interpreter, as the registry is read when shipline is imported.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import build_file_tree

SHA = "4c4f6a5e3d2b1a09f8e7d6c5b4a3928170615243"
PLUGIN = f'''\
"""Perl: a cpanfile, cpanm, prove."""

from shipline.languages.base import Declared, Detection, RuntimeProbe, SetupAction


class Perl:
    name = "perl"
    priority = 50
    markers = ("cpanfile",)
    default_runtime = "5.36"
    setup = SetupAction(
        "shogo82148/actions-setup-perl",
        "perl-version",
        "Set up Perl",
        sha="{SHA}",
        release="v1.34.0",
        probe=RuntimeProbe(("perl",), ("-e", 'printf "%vd\\\\n", $^V')),
        cache_inputs=("install-modules-with",),
    )
    artifacts = ()
    bandit = False

    def detect(self, files):
        return Detection(self.name, runtimes=[Declared(self.default_runtime, "the Perl plugin's default")], tests=Declared("prove", "t/"))

    def install(self, files, purpose):
        return "cpanm --notest --installdeps ."

    def setup_inputs(self, files, prefix):
        return {{"install-modules-with": "cpanm"}}

    def build_commands(self, ctx):
        return [["perl", "-c", "app.pl"]]

    def built_references(self, ctx, env):
        return []

    def test_command(self, files, python):
        return ["prove", "-l", "t"]

    def version(self, files):
        return None


LANGUAGE = Perl
'''


def shipline(*argv: str, cwd: Path, plugin: Path | None, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "SHIPLINE_"))}
    environ["PYTHONPATH"] = str(plugin) if plugin else ""
    return subprocess.run([sys.executable, *argv], cwd=cwd, env={**environ, **env}, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def plugin(tmp_path: Path) -> Path:
    """The plugin's module, and the entry point its distribution declares."""
    return build_file_tree(
        tmp_path / "site",
        {
            "shipline_perl.py": PLUGIN,
            "shipline_perl-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: shipline-perl\nVersion: 0.1\n",
            "shipline_perl-0.1.dist-info/entry_points.txt": "[shipline.languages]\nperl = shipline_perl\n",
        },
    )


@pytest.mark.skipif(shutil.which("perl") is None, reason="perl is not installed")
def test_one_module_adds_a_language_to_init_generate_and_act(plugin: Path, tmp_path: Path):
    project = build_file_tree(tmp_path / "greeter", {"cpanfile": "requires 'JSON::PP';\n", "app.pl": "print qq(hi\\n);\n", "t/basic.t": "use Test::More tests => 1; ok(1);\n"})

    # without the plugin the kit knows no Perl
    done = shipline("-m", "shipline", "init", cwd=project, plugin=None)
    assert done.returncode != 0 or "language: perl" not in (project / "shipline.yml").read_text()
    (project / "shipline.yml").unlink(missing_ok=True)

    done = shipline("-m", "shipline", "init", cwd=project, plugin=plugin)
    assert done.returncode == 0, done.stderr
    manifest = (project / "shipline.yml").read_text()
    assert "language: perl" in manifest and "the Perl plugin's default" in manifest
    # the languages the comment offers come from the registry: the plugin's among them
    offered = re.search(r"^  language: perl  # (.*)$", manifest, re.M)
    assert offered and set(re.split(r", | or ", offered[1])) == {"python", "node", "go", "container", "perl"}, manifest

    done = shipline("-m", "shipline", "generate", cwd=project, plugin=plugin)
    assert done.returncode == 0, done.stderr
    workflows = "".join(p.read_text() for p in sorted((project / ".github" / "workflows").glob("*.yml")))
    assert re.search(rf"uses: shogo82148/actions-setup-perl@{SHA} +# v1\.34\.0$", workflows, re.M)
    assert "perl-version: '5.36'" in workflows or 'perl-version: "5.36"' in workflows
    assert "install-modules-with: cpanm" in workflows and "cpanm --notest --installdeps ." in workflows

    done = shipline("-m", "shipline", "act", "--list", cwd=project, plugin=plugin)
    assert done.returncode == 0, done.stderr
    assert f"shogo82148/actions-setup-perl@{SHA}" in done.stdout + done.stderr
    assert "cannot run offline" not in done.stdout + done.stderr

    # the stand-in act runs for that step (named after the action's repository) finds the perl installed here
    outputs = tmp_path / "outputs"
    done = shipline(
        "-m", "shipline.localrun.standin", "actions-setup-perl", cwd=project, plugin=plugin,
        PERL_VERSION="5", GITHUB_OUTPUT=str(outputs), SHIPLINE_ACT_STORE=str(tmp_path / "store"),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert outputs.read_text().startswith("perl-version=5.")
