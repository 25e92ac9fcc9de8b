"""`shipline smoke`: not built yet."""

from __future__ import annotations

import argparse

from shipline.context import Context
from shipline.errors import InputError

HELP = "smoke (not built yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options yet."""


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Say plainly that this command is not built yet."""
    raise InputError("`shipline smoke` is not built yet")
