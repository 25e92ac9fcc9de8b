"""The manifest schema: defaults, parsing of durations and shares, services, the JSON Schema."""

import json
from pathlib import Path

import jsonschema
import pytest

from shipline import manifest
from shipline.errors import InputError
from shipline.yamlfile import loads
from tests.helpers import run_cli

HERE = Path(__file__).parent
GOOD = sorted((HERE / "manifests" / "good").glob("*.yml"))
MINIMAL = "version: 1\nproject: {name: web, language: python}\n"


def parse(text: str) -> manifest.Manifest:
    return manifest.parse(loads(text, "shipline.yml"))


def test_defaults_come_from_operations_practice():
    env = parse(
        MINIMAL
        + "environments:\n  - name: prod\n    url: https://x.test\n    deploy:\n"
        + "      router: {type: command, switch: ./switch}\n      slots: {blue: {port: 1}, green: {port: 2}}\n"
    ).environments[0]
    assert env.deploy.analysis.max_error_rate == 0.05
    assert env.deploy.analysis.max_p95_ms == 3000
    assert env.deploy.canary_steps == [5, 25, 50, 100]
    assert env.deploy.strategy == "blue-green"
    assert env.github_environment_name == "prod"


def test_minimal_manifest_resolves_to_one_service():
    m = parse(MINIMAL)
    (service,) = m.resolved_services()
    assert service.name == "web"
    assert service.project.runtime_version == "3.12"
    assert m.service(None) is not None
    assert m.kit.repository == "shipline/shipline" and m.kit.ref == "v1" and not m.kit.pinned


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h30m", 5400), ("500ms", 0.5), (90, 90), (1.5, 1.5), ("2m30s", 150)],
)
def test_durations(text, seconds):
    assert manifest.parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "soon", "5 minutes", True, -1, "1d"])
def test_bad_durations(bad):
    with pytest.raises(ValueError, match="duration"):
        manifest.parse_duration(bad)


@pytest.mark.parametrize(("text", "share"), [("5%", 0.05), (0.05, 0.05), ("100%", 1.0), (0, 0.0), ("0.5%", 0.005)])
def test_fractions(text, share):
    assert manifest.parse_fraction(text) == pytest.approx(share)


def test_monorepo_services_inherit_top_level_sections():
    m = parse(
        MINIMAL
        + "test: {coverage_min: 90}\n"
        + "services:\n  - {name: api, path: services/api}\n"
        + "  - name: web\n    path: web\n    project: {language: node}\n    test: {command: npm test}\n"
    )
    api, web = m.resolved_services()
    assert api.test.coverage_min == 90 and api.project.language == "python" and api.path == "services/api"
    assert web.test.command == "npm test" and web.test.coverage_min is None and web.project.language == "node"
    with pytest.raises(InputError, match="several services; choose one with --service: api, web"):
        m.service(None)
    with pytest.raises(InputError, match='unknown service "apy" \\(did you mean "api"\\?\\)'):
        m.service("apy")


def test_unknown_environment_suggests_the_near_one():
    m = parse(HERE.joinpath("manifests/good/full.yml").read_text())
    with pytest.raises(InputError, match='unknown environment "prodution" \\(did you mean "production"\\?\\); expected one of: staging, production'):
        m.service(None).environment("prodution")


def test_load_test_environment_defaults_to_the_first():
    m = parse(HERE.joinpath("manifests/good/full.yml").read_text())
    assert m.service(None).load_test_environment.name == "staging"


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_good_manifests_validate_against_the_json_schema(path):
    data = loads(path.read_text(), str(path)).data
    manifest.parse(loads(path.read_text(), str(path)))
    jsonschema.validate(data, manifest.json_schema())


def test_json_schema_rejects_what_the_loader_rejects():
    schema = manifest.json_schema()
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"version": 1, "project": {"name": "web", "language": "pyton"}}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"version": 1, "project": {"name": "web", "language": "python"}, "extra": 1}, schema)


def test_schema_command_matches_the_committed_schema_file(tmp_path, repo_root):
    result = run_cli("schema", cwd=tmp_path)
    assert result.code == 0
    committed = json.loads((repo_root / "schema" / "shipline.schema.json").read_text())
    assert json.loads(result.out) == committed, "schema/shipline.schema.json is stale: run `shipline schema > schema/shipline.schema.json`"
    assert committed["$id"] == manifest.SCHEMA_URL


def test_unquoted_dates_load_as_iso_strings():
    doc = loads("expires: 2027-03-31\nat: 2027-03-31T09:30:00Z\n", "x.yml")
    assert doc.data["expires"] == "2027-03-31"
    assert doc.data["at"].startswith("2027-03-31T09:30:00")
