"""One module per language, each exposing ``ARTIFACTS`` (default globs),
``commands(spec)`` (argv lists) and ``extra_artifacts(spec, env)``; one registry."""

from shipline.build.languages import container, go, node, python

LANGUAGES = {"python": python, "node": node, "go": go, "container": container}
