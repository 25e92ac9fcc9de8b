"""Every fatal error in every --format, and every manifest-derived error located.

Problems found after loading (a working directory that is not there, a router the
strategy cannot drive) are golden cases too: tests/manifests/late/NAME.yml, whose first
line is ``# args: COMMAND ...``, and NAME.out with the expected stderr. A new case is
two new files. SHIPLINE_UPDATE_GOLDEN=1 rewrites the .out files.
"""

from __future__ import annotations

import ast
import json
import os
import shlex
import shutil
from pathlib import Path

import pytest

from tests.helpers import build_file_tree, run_cli

ROOT = Path(__file__).resolve().parents[1]
LATE = sorted((Path(__file__).parent / "manifests" / "late").glob("*.yml"))
UNLOCATED = Path(__file__).parent / "data" / "unlocated_input_errors.txt"

BAD_MANIFEST = """
    version: 1
    project:
      name: shop
      language: pyhton
"""


@pytest.mark.parametrize("case", LATE, ids=lambda p: p.stem)
def test_a_problem_found_after_loading_names_file_line_and_column(case, tmp_path):
    shutil.copy(case, tmp_path / "shipline.yml")
    args = shlex.split(case.read_text().splitlines()[0].removeprefix("# args:"))
    result = run_cli(*args, cwd=tmp_path)
    err = result.err.replace(str(tmp_path), "<dir>")
    expected = case.with_suffix(".out")
    if os.environ.get("SHIPLINE_UPDATE_GOLDEN") == "1":
        expected.write_text(err)
    assert result.code == 2, result.err
    assert err == expected.read_text()
    assert err.startswith("shipline: error: shipline.yml:"), err


def test_bad_manifest_under_github_actions_is_an_annotation_with_file_line_col(tmp_path):
    build_file_tree(tmp_path, {"shipline.yml": BAD_MANIFEST})
    result = run_cli("generate", cwd=tmp_path, env={"GITHUB_ACTIONS": "true"})
    assert result.code == 2
    assert result.out.startswith('::error file=shipline.yml,line=4,col=13::unknown language "pyhton"'), result.out
    assert result.err == ""


def test_a_problem_found_after_loading_is_an_annotation_too(tmp_path):
    build_file_tree(tmp_path, {"shipline.yml": "version: 1\nproject:\n  name: shop\n  language: python\n  working_directory: api\n"})
    result = run_cli("test", cwd=tmp_path, env={"GITHUB_ACTIONS": "true"})
    assert result.code == 2
    assert result.out == '::error file=shipline.yml,line=5,col=22::project.working_directory "api" is not a directory\n'


def test_format_json_prints_one_json_error_object_on_stdout(tmp_path):
    build_file_tree(tmp_path, {"shipline.yml": BAD_MANIFEST + "    surprise: 1\n"})
    result = run_cli("generate", "--format", "json", cwd=tmp_path)
    assert result.code == 2
    document = json.loads(result.out)
    assert document["error"] == "2 problems in shipline.yml"
    assert [(p["file"], p["line"], p["col"]) for p in document["problems"]] == [("shipline.yml", 4, 13), ("shipline.yml", 5, 1)]
    assert 'unknown language "pyhton"' in document["problems"][0]["message"]
    # stdout stays one document; the log still shows the problems to people
    assert result.err.startswith('shipline: error: shipline.yml:4:13: unknown language "pyhton"')


def test_format_json_covers_a_bad_flag_and_an_unlocated_error(tmp_path):
    bad_flag = run_cli("generate", "--frobnicate", "--format=json", cwd=tmp_path)
    assert bad_flag.code == 2
    assert json.loads(bad_flag.out)["error"].startswith("unrecognized arguments: --frobnicate")
    missing = run_cli("generate", "-m", "nowhere.yml", "--format", "json", cwd=tmp_path)
    assert missing.code == 2
    assert json.loads(missing.out)["problems"] == [{"file": "nowhere.yml", "line": None, "col": None, "message": "no such file", "rule": None}]


def test_text_format_keeps_one_line_per_problem_on_stderr(tmp_path):
    build_file_tree(tmp_path, {"shipline.yml": BAD_MANIFEST})
    result = run_cli("generate", cwd=tmp_path)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith('shipline: error: shipline.yml:4:13: unknown language "pyhton"')


# -- every InputError about a manifest value is located -----------------------------------


def _unlocated_sites() -> set[str]:
    """``module::function::message start`` of every InputError built with a plain message."""
    sites = set()
    for path in sorted((ROOT / "src" / "shipline").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "InputError"):
                    continue
                if any(k.arg == "problems" for k in node.keywords) or not node.args:
                    continue
                first = node.args[0]
                text = ast.unparse(first)
                if isinstance(first, ast.JoinedStr):
                    text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in first.values)
                elif isinstance(first, ast.Constant):
                    text = str(first.value)
                sites.add(f"{path.relative_to(ROOT / 'src')}::{function.name}::{text[:40].rstrip()}")
    return sites


def _listed() -> set[str]:
    lines = UNLOCATED.read_text(encoding="utf-8").splitlines()
    return {line.split("  #")[0].strip() for line in lines if line.strip() and not line.startswith("#")}


def test_every_unlocated_input_error_is_listed_as_not_from_a_manifest_value():
    """A new InputError with a plain message must either be located
    (`validation.error_at(model, key, message)`) or be listed in
    tests/data/unlocated_input_errors.txt with why it is not about a manifest value."""
    new = sorted(_unlocated_sites() - _listed())
    assert not new, "InputError sites without a location; locate them with validation.error_at or list them:\n" + "\n".join(new)


def test_the_list_of_unlocated_sites_only_shrinks():
    stale = sorted(_listed() - _unlocated_sites())
    assert not stale, "these sites are gone or located now; remove them from the list:\n" + "\n".join(stale)
