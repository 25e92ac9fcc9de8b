"""Command-line entry point: ``main(argv) -> int``, the one error handler.

Every command lives in ``shipline.commands.NAME`` and exposes ``HELP``,
``add_arguments(parser)`` and ``run(args, ctx) -> int``. Heavy imports stay inside
``run`` so that ``shipline --help`` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn

from shipline import __version__
from shipline.commands import COMMANDS
from shipline.context import Context
from shipline.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    ISSUES_URL,
    InputError,
    ShiplineError,
)
from shipline.report import FORMATS, Reporter


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so bad flags take the one error path."""

    def error(self, message: str) -> NoReturn:
        raise InputError(f"{message} (see `{self.prog} --help`)")


def _common_options() -> _Parser:
    common = _Parser(add_help=False)
    common.add_argument("-m", "--manifest", default="shipline.yml", metavar="PATH", help="the manifest (default: shipline.yml)")
    common.add_argument("--service", default=None, metavar="NAME", help="the service of a monorepo manifest")
    common.add_argument("--format", choices=FORMATS, default=None, help="output format (default: github under GitHub Actions, else text)")
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks for internal errors")
    return common


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, every command registered."""
    parser = _Parser(
        prog="shipline",
        description="One manifest, a production GitHub Actions pipeline.",
        epilog="Exit codes: 0 done, 1 a gate failed, 2 bad input, 3 shipline broke, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"shipline {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    common = _common_options()
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        cmd = sub.add_parser(name, parents=[common], help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def _format_asked(argv: Sequence[str]) -> str | None:
    """The ``--format`` on the command line, read before parsing so a bad flag honours it too."""
    for i, arg in enumerate(argv):
        value = arg.partition("=")[2] if arg.startswith("--format=") else (argv[i + 1] if arg == "--format" and i + 1 < len(argv) else None)
        if value in FORMATS:
            return value
    return None


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> int:
    """Run shipline with ``argv``; return the exit code (never raises, never exits)."""
    environ = dict(os.environ if environ is None else environ)
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    reporter = Reporter.from_environ(_format_asked(argv), environ)
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stdout)
            return EXIT_BAD_INPUT
        reporter = Reporter.from_environ(args.format, environ)
        ctx = Context(reporter=reporter, environ=environ, cwd=(cwd or Path.cwd()))
        with ctx.cleanup:
            code: int = args._run(args, ctx)
        reporter.finish()
        return code
    except KeyboardInterrupt:
        reporter.fail("interrupted")
        return EXIT_INTERRUPTED
    except InputError as err:
        reporter.fail(err.summary(), err.problems)
        return err.exit_code
    except ShiplineError as err:
        reporter.fail(str(err))
        return err.exit_code
    except Exception as err:  # the one place an unexpected error becomes exit 3
        if debug:
            traceback.print_exc()
        reporter.fail(f"internal error: {type(err).__name__}: {err}; please report it at {ISSUES_URL} (run with --debug for the traceback)")
        return EXIT_INTERNAL
