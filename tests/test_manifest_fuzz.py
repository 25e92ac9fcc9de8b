"""Random YAML never gets anything out of the loader but a manifest or a located InputError,
and nothing out of the command line but exit 0 or 2."""

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from shipline import manifest
from shipline.errors import InputError
from shipline.yamlfile import loads
from tests.helpers import run_cli

YAML_ALPHABET = st.sampled_from(list("abcnoxyz019 -:[]{},&*!|>'\"#%@`?\t\n\r.\\") + ["version", "project", "name", "language", "python", "~", "\ufeff", "---", "..."])
KEYS = st.sampled_from(["version", "project", "name", "language", "kit", "environments", "deploy", "router", "type", "slots", "url", "x"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**6), st.floats(allow_nan=False), st.text(max_size=12))
TREES = st.recursive(SCALARS, lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=5)), max_leaves=25)


def check(text: str) -> None:
    try:
        result = manifest.parse(loads(text, "shipline.yml"))
    except InputError as err:
        assert err.problems or str(err)
        for problem in err.problems:
            assert problem.file == "shipline.yml"
            assert problem.message
    else:
        assert isinstance(result, manifest.Manifest)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(YAML_ALPHABET, max_size=60).map("".join))
def test_random_text(text):
    check(text)


@settings(max_examples=200, deadline=None)
@given(TREES)
def test_random_structures(tree):
    out = io.StringIO()
    YAML().dump(tree, out)
    check(out.getvalue())


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["language", "name", "runtime", "working_directory", "bogus"]), SCALARS, max_size=4))
def test_random_projects(project):
    out = io.StringIO()
    YAML().dump({"version": 1, "project": project}, out)
    check(out.getvalue())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.lists(YAML_ALPHABET, max_size=40).map("".join), TREES.map(lambda t: _dump({"version": 1, "project": t}))))
def test_the_command_line_answers_random_yaml_with_exit_0_or_2(tmp_path, text):
    (tmp_path / "shipline.yml").write_text(text, encoding="utf-8")
    result = run_cli("plan", cwd=tmp_path)
    assert result.code in (0, 2), result.err
    assert "Traceback" not in result.err
    if result.code == 2:
        assert result.err.startswith("shipline: error: shipline.yml")


def _dump(tree) -> str:
    out = io.StringIO()
    YAML().dump(tree, out)
    return out.getvalue()
