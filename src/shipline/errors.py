"""The one exception tree and the exit codes of DESIGN.md.

Backends raise these; `cli.main` is the only place that turns them into exit codes
and messages. A user never sees a traceback for their own mistake.
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130

ISSUES_URL = "https://github.com/shipline/shipline/issues"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the user's input, located in a file when we know where."""

    file: str
    line: int  # 1-based; 0 when unknown
    col: int  # 1-based; 0 when unknown
    message: str
    rule: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}:{self.col or 1}"
        rule = f" [{self.rule}]" if self.rule else ""
        return f"{where}: {self.message}{rule}" if where else f"{self.message}{rule}"


class ShiplineError(Exception):
    """Base of every error shipline raises on purpose."""

    exit_code = EXIT_INTERNAL


class InputError(ShiplineError):
    """The user's input is wrong: bad manifest, bad flag, missing file (exit 2)."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str = "", problems: list[Problem] | None = None):
        self.problems = sorted(problems or [])
        super().__init__(message or "\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        """One line per problem, without the `shipline: error:` prefix."""
        if self.problems:
            return [str(p) for p in self.problems]
        return [str(self)]

    def summary(self) -> str:
        """The error in one line: the message, or how many problems and where."""
        if len(self.problems) == 1:
            return str(self.problems[0])
        if self.problems:
            files = sorted({p.file for p in self.problems if p.file})
            return f"{len(self.problems)} problems" + (f" in {', '.join(files)}" if files else "")
        return str(self)


class GateFailed(ShiplineError):
    """A gate said no: findings, SLO breach, failed smoke check, drift, rollback (exit 1)."""

    exit_code = EXIT_GATE_FAILED


class ToolError(ShiplineError):
    """A tool shipline drives (semgrep, locust, nginx, act...) broke in a way that is not the user's input (exit 3)."""

    exit_code = EXIT_INTERNAL

    def __init__(self, tool: str, message: str):
        self.tool = tool
        super().__init__(f"{tool}: {message}")


class LockTimeout(InputError):
    """Another run holds the environment's lock past the timeout (exit 2: the user must wait or clear it)."""
