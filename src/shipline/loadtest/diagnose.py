"""Why locust stopped before measuring anything, from its log.

A locustfile that does not import or defines no user class is the user's mistake
(exit 2, located in the locustfile when the traceback says where); anything else is
locust breaking (exit 3) and quotes the end of its log.
"""

from __future__ import annotations

import re
from pathlib import Path

from shipline.errors import InputError, Problem, ShiplineError, ToolError

_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)')
_TASKLESS = re.compile(r"shipline-probe: user class without tasks: (?P<names>.+)")
NO_TASKS = "give it a method decorated with @task, or a tasks list (or abstract = True if it is only a base class)"
NO_USER_CLASS = "no user class found: define a subclass of locust's FastHttpUser (or HttpUser) with at least one task"


def _class_line(locustfile: Path, name: str) -> int:
    """The line where ``class name`` is defined in the locustfile, 0 when not found."""
    try:
        lines = locustfile.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return 0
    pattern = re.compile(rf"^\s*class\s+{re.escape(name)}\b")
    return next((i for i, line in enumerate(lines, 1) if pattern.match(line)), 0)


def _last_line(lines: list[str]) -> str:
    return next((line.strip() for line in reversed(lines) if line.strip() and not line.startswith(" ")), "")


def startup_failure(log: str, returncode: int, locustfile: Path, display: str) -> ShiplineError:
    """The error to raise for a locust run that wrote no results."""
    lines = log.splitlines()
    if "No User class found" in log:
        return InputError(problems=[Problem(display, 0, 0, NO_USER_CLASS)])
    if m := _TASKLESS.search(log):
        names = m["names"].split(", ")
        line = _class_line(locustfile, names[0])
        return InputError(problems=[Problem(display, line, 1 if line else 0, f"user class {names[0]} has no tasks: {NO_TASKS}")])
    if "Traceback (most recent call last)" in log:
        where = [int(m["line"]) for line in lines if (m := _FRAME.match(line)) and Path(m["file"]).resolve() == locustfile.resolve()]
        if where or "load_locustfile" in log:
            message = f"the locustfile does not import: {_last_line(lines)}"
            return InputError(problems=[Problem(display, where[-1] if where else 0, 1 if where else 0, message)])
    tail = " | ".join(line.strip() for line in lines[-5:] if line.strip()) or "(no output)"
    return ToolError("locust", f"exited with code {returncode} before measuring anything: {tail}")
