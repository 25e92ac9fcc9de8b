"""One list of findings from several scanners: duplicates folded into one.

Two findings are the same problem when they overlap in the same file and either
one's rule says it covers the other's (our semgrep rules list the bandit tests they
overlap in ``metadata.bandit``), or, from different scanners, they share a CWE. The
more severe one stays (on a tie, the scanner registered first); the other's rule id
is kept in ``also``. The same rule at the same spot twice (a rule given in two
configs) is one finding.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from shipline.scan.model import Finding, rank


def _same_problem(a: Finding, b: Finding) -> bool:
    if not (a.line <= b.line <= a.end_line or b.line <= a.line <= b.end_line):
        return False
    if a.rule.id == b.rule.id:
        return (a.line, a.col) == (b.line, b.col)
    if b.rule.id in a.rule.covers or a.rule.id in b.rule.covers:
        return True
    return a.rule.tool != b.rule.tool and bool(a.rule.cwe_ids & b.rule.cwe_ids)


def merge(per_tool: Iterable[list[Finding]]) -> list[Finding]:
    """Every finding once, sorted by path and position."""
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for findings in per_tool:
        for finding in findings:
            kept = by_path[finding.path]
            twin = next((k for k in kept if _same_problem(k, finding)), None)
            if twin is None:
                kept.append(finding)
            elif rank(finding.severity) > rank(twin.severity):
                finding.also[:0] = [twin.rule.id, *twin.also]
                kept[kept.index(twin)] = finding
            elif finding.rule.id != twin.rule.id and finding.rule.id not in twin.also:
                twin.also.append(finding.rule.id)
    return sorted((f for kept in by_path.values() for f in kept), key=lambda f: (f.path, f.line, f.col, f.rule.id))
