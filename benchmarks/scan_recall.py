"""Security scan recall and precision on tests/scan_corpus, per vulnerability class.

    .venv/bin/python benchmarks/scan_recall.py [--community-rules DIR]

The corpus (tests/scan_corpus/) holds small self-written reproductions of the
vulnerable code in public, intentionally vulnerable Python web applications, with
the vulnerabilities judged by hand in ground-truth.yml, and workflow-injection
fixtures; tests/scan_corpus/heldout/ is a second such corpus (same layout), written
after the rules, from other applications. This scans a copy of each corpus's
applications with:

- `shipline scan` (semgrep with shipline's rules, and bandit, merged);
- bandit alone (`bandit -r`, its default tests);
- semgrep alone with shipline's rules;
- the community semgrep rules (a local copy of semgrep/semgrep-rules' Python rule
  folders, given with --community-rules; the registry is not reachable offline, so
  without it the column says so) together with bandit;

and the workflow fixtures (and, with --workflow-fixtures, another tree) with
`shipline scan` and `zizmor --offline`. A finding hits
a vulnerability when it is in the same file within the vulnerability's lines. Recall
per class: vulnerabilities hit / all; precision: findings that hit one / all findings
of the class (a finding's class comes from its CWE). Prints Markdown for
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "scan_corpus"
sys.path.insert(0, str(ROOT / "src"))

from shipline.scan.semgrep import NATIVE, OFFLINE, builtin_rules  # noqa: E402

# a finding's class, from its CWE
CLASSES = {
    "89": "sql-injection", "78": "command-injection", "1336": "template-injection", "79": "xss",
    "918": "ssrf", "22": "path-traversal", "502": "deserialization", "95": "code-injection",
    "94": "code-injection", "798": "hard-coded-secret", "259": "hard-coded-secret",
    "916": "weak-crypto", "327": "weak-crypto", "328": "weak-crypto", "347": "broken-auth",
    "601": "open-redirect", "215": "debug-enabled", "489": "debug-enabled", "611": "xxe",
    "643": "xpath-injection", "776": "xxe",
}  # fmt: skip
_SEVERE = ("critical", "high")


@dataclass(frozen=True)
class Found:
    """One finding, reduced to what the comparison needs."""

    tool: str
    rule: str
    path: str
    line: int
    severity: str
    cwe: str


def _class(found: Found) -> str:
    if found.rule == "bandit.B201":  # flask debug=True: bandit files it under CWE-94
        return "debug-enabled"
    return CLASSES.get(found.cwe, "other")


def _git_copy(source: Path, dest: Path) -> Path:
    shutil.copytree(source, dest)
    subprocess.run(["git", "init", "-q", str(dest)], check=True)
    return dest


def shipline(repo: Path) -> list[Found]:
    """`shipline scan`: the SARIF's results, with each rule's CWE and shipline's severity."""
    sarif = repo.parent / f"{repo.name}.sarif"
    subprocess.run([str(BIN / "shipline"), "scan", "--fail-on", "none", "--sarif", str(sarif)], cwd=repo, capture_output=True, check=True)
    run = json.loads(sarif.read_text())["runs"][0]
    cwe = {}
    for rule in run["tool"]["driver"]["rules"]:
        tags = [t.rsplit("-", 1)[1] for t in rule["properties"]["tags"] if t.startswith("external/cwe/")]
        cwe[rule["id"]] = tags[0] if tags else ""
    found = []
    for result in run["results"]:
        region = result["locations"][0]["physicalLocation"]
        found.append(Found("shipline", result["ruleId"], region["artifactLocation"]["uri"], region["region"]["startLine"], result["properties"]["severity"], cwe[result["ruleId"]]))
    return found


def bandit(repo: Path) -> list[Found]:
    """bandit alone, its default tests, recursively."""
    proc = subprocess.run([str(BIN / "bandit"), "-r", "-f", "json", "-q", "."], cwd=repo, capture_output=True, text=True)
    return [
        Found("bandit", f"bandit.{r['test_id']}", r["filename"].removeprefix("./"), r["line_number"], r["issue_severity"].lower(), str((r.get("issue_cwe") or {}).get("id", "")))
        for r in json.loads(proc.stdout)["results"]
    ]


_SEMGREP_LEVELS = {"ERROR": "high", "WARNING": "medium", "INFO": "low"}


def semgrep(repo: Path, config: Path | None = None) -> list[Found]:
    """semgrep alone: shipline's rules, or the rules in ``config`` (their ERROR counted as high)."""
    engine = [NATIVE] if config is None else []  # the community rules use features only the default engine has
    proc = subprocess.run([str(BIN / "semgrep"), "scan", *engine, *OFFLINE, "--json", "--config", str(config or builtin_rules()), "."], cwd=repo, capture_output=True, text=True)
    found = []
    for r in json.loads(proc.stdout)["results"]:
        meta = r["extra"].get("metadata", {})
        cwe = (meta.get("cwe") or [""])[0].split(":")[0].removeprefix("CWE-")
        severity = str(meta.get("severity", "")) if config is None else _SEMGREP_LEVELS.get(r["extra"].get("severity", ""), "low")
        found.append(Found("semgrep", r["check_id"].rsplit(".", 1)[-1], r["path"], r["start"]["line"], severity, cwe))
    return found


def hits(found: Found, vuln: dict) -> bool:
    """Whether ``found`` points into ``vuln``'s lines of the same file."""
    return found.path == vuln["file"].removeprefix("apps/") and vuln["lines"][0] <= found.line <= vuln["lines"][1]


def recall_table(truth: list[dict], results: dict[str, list[Found] | None]) -> None:
    classes = sorted({v["class"] for v in truth})
    tools = list(results)
    print("| class | vulnerabilities | " + " | ".join(f"{t} recall" for t in tools) + " | " + " | ".join(f"{t} precision" for t in tools) + " |")
    print("|---" * (2 + 2 * len(tools)) + "|")
    for klass in [*classes, "all"]:
        vulns = [v for v in truth if klass in (v["class"], "all")]
        row = [klass, str(len(vulns))]
        for tool in tools:
            found = results[tool]
            hit = sum(1 for v in vulns if found is not None and any(hits(f, v) for f in found))
            row.append(f"{hit}/{len(vulns)}" if found is not None else _OFFLINE_NOTE)
        for tool in tools:
            if results[tool] is None:
                row.append(_OFFLINE_NOTE)
                continue
            mine = [f for f in results[tool] or [] if klass in (_class(f), "all")]
            good = sum(1 for f in mine if any(hits(f, v) for v in truth))
            row.append(f"{good}/{len(mine)}" if mine else "-")
        print("| " + " | ".join(row) + " |")


_OFFLINE_NOTE = "not available offline"
_COMMUNITY = "community rules + bandit"


def false_positives(truth: list[dict], found: list[Found]) -> list[Found]:
    """Findings at high or critical that hit no judged vulnerability."""
    return [f for f in found if f.severity in _SEVERE and not any(hits(f, v) for v in truth)]


def workflows(tmp: Path, folder: Path = CORPUS / "workflows") -> None:
    """shipline's high and critical workflow findings against zizmor's high ones (high confidence)."""
    repo = _git_copy(folder, tmp / "workflows")
    ours = {(f.path, f.line): f.rule for f in shipline(repo) if f.severity in _SEVERE}
    files = sorted(str(p.relative_to(repo)) for p in repo.rglob("*.yml") if ".git" not in p.parts)
    proc = subprocess.run([str(BIN / "zizmor"), "--offline", "--format", "json", *files], cwd=repo, capture_output=True, text=True)
    theirs = {}
    for finding in json.loads(proc.stdout):
        det = finding["determinations"]
        if det["severity"] != "High" or det["confidence"] != "High":
            continue
        for loc in finding["locations"]:
            if loc["symbolic"].get("kind") == "Primary":
                key = loc["symbolic"]["key"]["Local"]
                path = key.get("given_path") or key.get("verbatim_path")
                theirs[(path, loc["concrete"]["location"]["start_point"]["row"] + 1)] = finding["ident"]
    both = ours.keys() & theirs.keys()
    print(f"\nWorkflow fixtures ({folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder}, {len(files)} files): zizmor --offline, high severity and high confidence: {len(theirs)} locations; shipline at high or critical: {len(ours)}; both: {len(both)}.\n")
    print("| only one flags | location | finding |")
    print("|---|---|---|")
    for where in sorted(theirs.keys() - ours.keys()):
        print(f"| zizmor | `{where[0]}:{where[1]}` | {theirs[where]} |")
    for where in sorted(ours.keys() - theirs.keys()):
        print(f"| shipline | `{where[0]}:{where[1]}` | {ours[where]} |")


def corpus(folder: Path, tmp: Path, community: Path | None) -> None:
    """Recall and precision of every tool on one corpus: ``folder``/apps judged in ``folder``/ground-truth.yml."""
    truth = YAML(typ="safe").load((folder / "ground-truth.yml").read_text())["vulnerabilities"]
    repo = _git_copy(folder / "apps", tmp / folder.name / "apps")
    results: dict[str, list[Found] | None] = {"shipline": shipline(repo), "bandit": bandit(repo), "semgrep (shipline's rules)": semgrep(repo)}
    results[_COMMUNITY] = semgrep(repo, community) + (results["bandit"] or []) if community else None
    apps = sorted({v["source"] for v in truth})
    where = folder.relative_to(ROOT) / "ground-truth.yml"
    print(f"\n### {where.parent}\n\nPython web applications: {len(truth)} vulnerabilities judged by hand in reproductions of {', '.join(apps)} ({where}).\n")
    recall_table(truth, results)

    def caught(tool: str) -> set[str]:
        return {v["id"] for v in truth if any(hits(f, v) for f in results[tool] or [])}

    ours = caught("shipline")
    union = caught("bandit") | caught("semgrep (shipline's rules)")
    print(f"\nshipline: {len(ours)}/{len(truth)}; bandit and semgrep with shipline's rules together: {len(union)}/{len(truth)}; missed by shipline: {', '.join(sorted({v['id'] for v in truth} - ours)) or 'none'}.")
    if community:
        theirs = caught(_COMMUNITY)
        print(f"\n{_COMMUNITY}: {len(theirs)}/{len(truth)}; caught by them, missed by shipline: {', '.join(sorted(theirs - ours)) or 'none'}; caught by shipline, missed by them: {', '.join(sorted(ours - theirs)) or 'none'}.")
    for tool, found in results.items():
        if found is None:
            continue
        fps = false_positives(truth, found)
        listed = "; ".join(f"`{f.path}:{f.line}` {f.rule}" for f in fps) or "none"
        print(f"\n{tool}: high or critical findings on no judged vulnerability: {len(fps)} ({listed})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--community-rules", type=Path, help="a local copy of semgrep/semgrep-rules' Python rule folders (the registry is not reachable offline)")
    parser.add_argument("--workflow-fixtures", type=Path, help="another tree of workflows and actions to compare with zizmor (e.g. zizmor's own test data)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shipline-bench-recall-") as tmp:
        for folder in (CORPUS, CORPUS / "heldout"):
            corpus(folder, Path(tmp), args.community_rules)
        workflows(Path(tmp))
    if args.workflow_fixtures:
        with tempfile.TemporaryDirectory(prefix="shipline-bench-recall-") as tmp:
            workflows(Path(tmp), args.workflow_fixtures.resolve())


if __name__ == "__main__":
    main()
