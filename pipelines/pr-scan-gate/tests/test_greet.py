"""Tests of the greeting."""

from __future__ import annotations

import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import greet  # noqa: E402


class GreetingTest(unittest.TestCase):
    def test_names_the_caller(self) -> None:
        self.assertEqual(greet.greeting("Ada"), "Hello, Ada!")

    def test_a_blank_name_greets_the_world(self) -> None:
        self.assertEqual(greet.greeting("  "), "Hello, world!")

    def test_shouts_in_capitals(self) -> None:
        self.assertEqual(greet.greeting("Ada", shout=True), "HELLO, ADA!")


if __name__ == "__main__":
    unittest.main()
