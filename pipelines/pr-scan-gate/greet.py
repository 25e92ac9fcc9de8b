"""A greeting, shaped by the caller's options: the project the pull request gate guards."""

from __future__ import annotations

import argparse


def greeting(name: str, shout: bool = False) -> str:
    """``Hello, NAME!``; in capitals when ``shout``."""
    text = f"Hello, {name.strip() or 'world'}!"
    return text.upper() if shout else text


def main(argv: list[str] | None = None) -> int:
    """Print the greeting for the name on the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("name", nargs="?", default="")
    parser.add_argument("--shout", action="store_true")
    args = parser.parse_args(argv)
    print(greeting(args.name, args.shout))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
