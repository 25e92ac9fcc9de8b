"""Random YAML never gets anything out of the loader but a manifest or a located InputError."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
import io

from shipline import manifest
from shipline.errors import InputError
from shipline.yamlfile import loads

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
