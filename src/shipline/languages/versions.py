"""Runtime releases and the version ranges projects write (PEP 440, poetry, npm semver).

Only what detection needs: which supported releases a range allows, compared on
``major.minor`` (Python) or ``major`` (Node). The release tables carry end-of-life
dates so "still supported" is a fact about a day, not a guess.
"""

from __future__ import annotations

import datetime as dt
import re

# CPython feature releases and their end of life (devguide.python.org/versions).
PYTHON_RELEASES = (
    ("3.9", dt.date(2025, 10, 31)),
    ("3.10", dt.date(2026, 10, 31)),
    ("3.11", dt.date(2027, 10, 31)),
    ("3.12", dt.date(2028, 10, 31)),
    ("3.13", dt.date(2029, 10, 31)),
    ("3.14", dt.date(2030, 10, 31)),
)
# Node.js LTS majors and their end of life (nodejs.org/en/about/previous-releases).
NODE_LTS = (
    ("18", dt.date(2025, 4, 30)),
    ("20", dt.date(2026, 4, 30)),
    ("22", dt.date(2027, 4, 30)),
    ("24", dt.date(2028, 4, 30)),
)

_CLAUSE = re.compile(r"^\s*(~=|==|!=|<=|>=|<|>|\^|~|=)?\s*v?([0-9][0-9.*xX]*)\s*$")


def _key(version: str, parts: int) -> tuple[int, ...]:
    nums = [int(n) for n in re.findall(r"\d+", version)[:parts]]
    return tuple(nums + [0] * (parts - len(nums)))


def _allows(op: str, bound: str, candidate: str, parts: int) -> bool:
    """One clause of a range against ``candidate`` (``3.12`` or ``22``), compared on ``parts`` numbers."""
    wildcard = bool(re.search(r"[*xX]", bound))
    bound = re.sub(r"\.?[*xX].*$", "", bound)
    given = len(re.findall(r"\d+", bound))
    b, c = _key(bound, parts), _key(candidate, parts)
    if op in ("", "=", "==") and (wildcard or given < parts):
        return c[:given] == b[:given]
    if op in ("", "=", "=="):
        return c == b
    if op == "!=":
        return c[:given] != b[:given] if wildcard or given < parts else c != b
    if op == ">=":
        return c >= b
    if op == ">":
        # ">3.9.1" allows 3.9 itself at minor precision only when a patch bound is given
        return c > b or (given > parts and c == b)
    if op == "<=":
        return c <= b
    if op == "<":
        return c < b
    if op == "^":  # poetry and npm: the leftmost non-zero part stays
        upper = (b[0] + 1,) + (0,) * (parts - 1) if b[0] else (0, b[1] + 1) + (0,) * (parts - 2)
        return b <= c < upper
    if op in ("~", "~="):  # ~3.10 and ~=3.10 both mean >=3.10,<4 at minor precision when two parts given
        if op == "~=" and given >= 2:
            upper = _key(".".join(bound.split(".")[: given - 1]), parts)
            upper = upper[: given - 2] + (upper[given - 2] + 1,) + (0,) * (parts - given + 1)
            return b <= c < upper
        width = 2 if given >= 2 else 1  # poetry's ~3.12 is 3.12.*, ~3 is 3.*
        return c[:width] == b[:width] and c >= b
    return False


def satisfies(spec: str, candidate: str, parts: int) -> bool:
    """Whether ``candidate`` is allowed by ``spec`` (``>=3.10,<4``, ``^3.10``, ``>=18 <23 || 24``)."""
    for alternative in spec.split("||"):
        clauses = [c for c in re.split(r"[,\s]+(?=[<>=!~^0-9v])", alternative.strip()) if c.strip()]
        if not clauses or clauses == ["*"]:
            return True
        matched = [_CLAUSE.match(c) for c in clauses]
        if all(m is not None for m in matched) and all(_allows(m[1] or "", m[2], candidate, parts) for m in matched if m):
            return True
    return False


def supported(releases: tuple[tuple[str, dt.date], ...], today: dt.date) -> list[str]:
    """The releases still supported on ``today``, oldest first."""
    return [version for version, eol in releases if eol >= today]


def allowed(spec: str, releases: tuple[tuple[str, dt.date], ...], today: dt.date, parts: int) -> list[str]:
    """The supported releases ``spec`` allows, oldest first."""
    return [v for v in supported(releases, today) if satisfies(spec, v, parts)]
