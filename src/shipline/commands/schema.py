"""`shipline schema`: print the manifest's JSON Schema for editors."""

from __future__ import annotations

import argparse
import json

from shipline.context import Context

HELP = "print the JSON Schema of shipline.yml (for editor completion and checks)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options of its own."""


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Print the schema as JSON, whatever the format."""
    from shipline import manifest

    print(json.dumps(manifest.json_schema(), indent=2, sort_keys=True))
    return 0
