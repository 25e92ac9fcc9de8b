"""One SARIF 2.1.0 log for code scanning, from every scanner's findings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shipline import __version__
from shipline.scan import fingerprint
from shipline.scan.model import LEVEL, SECURITY_SEVERITY, Finding, Note, Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_CWE_URL = "https://cwe.mitre.org/data/definitions/{}.html"


def _help(rule: Rule) -> dict[str, str]:
    links = [f"[{cwe}]({_CWE_URL.format(cwe.split('-')[1])})" for cwe in sorted(rule.cwe_ids)]
    if rule.help_uri:
        links.append(f"[{rule.tool} documentation]({rule.help_uri})")
    markdown = rule.message + (f"\n\nReferences: {', '.join(links)}" if links else "")
    text = rule.message + "".join(f"\n{cwe}: {_CWE_URL.format(cwe.split('-')[1])}" for cwe in sorted(rule.cwe_ids))
    return {"text": text, "markdown": markdown}


def _rule(rule: Rule) -> dict[str, Any]:
    cwe_tags = [f"external/cwe/{c.lower()}" for c in sorted(rule.cwe_ids)]
    out: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.message.split(". ")[0].rstrip(".") + "."},
        "fullDescription": {"text": rule.message},
        "help": _help(rule),
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {
            "tags": ["security", *cwe_tags],
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "severity": rule.severity,
            "tool": rule.tool,
        },
    }
    if rule.help_uri:
        out["helpUri"] = rule.help_uri
    return out


def _result(finding: Finding, index: int, new: bool, suppressed: str | None) -> dict[str, Any]:
    region = {"startLine": finding.line, "startColumn": max(finding.col, 1)}
    if (finding.end_line, finding.end_col) > (finding.line, finding.col):
        region |= {"endLine": finding.end_line, "endColumn": max(finding.end_col, 1)}
    result: dict[str, Any] = {
        "ruleId": finding.rule.id,
        "ruleIndex": index,
        "level": LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"}, "region": region}}],
        "partialFingerprints": {fingerprint.KEY: finding.fingerprint},
        "baselineState": "new" if new else "unchanged",
        "properties": {"severity": finding.severity, "tool": finding.rule.tool, "alsoReportedBy": list(finding.also)},
    }
    if suppressed is not None:
        result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": suppressed}]
    return result


def _notification(note: Note) -> dict[str, Any]:
    location = {"physicalLocation": {"artifactLocation": {"uri": note.path, "uriBaseId": "%SRCROOT%"}}}
    return {"level": "warning", "message": {"text": f"{note.path}: {note.message}"}, "locations": [location]}


def build(findings: Sequence[Finding], new: set[str], suppressed: Mapping[str, str], tools: Sequence[str], notes: Sequence[Note] = ()) -> dict[str, Any]:
    """The SARIF log: one run, every rule that has a result, each result's level set.

    ``new`` holds the fingerprints not in the baseline, ``suppressed`` maps suppressed
    fingerprints to their reasons; ``tools`` names the scanners that ran; ``notes``
    (files not fully scanned) become the invocation's notifications.
    """
    rules: dict[str, Rule] = {}
    for finding in findings:
        rules.setdefault(finding.rule.id, finding.rule)
    order = {rule_id: i for i, rule_id in enumerate(sorted(rules))}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "shipline",
                        "semanticVersion": __version__,
                        "informationUri": "https://github.com/shipline/shipline",
                        "rules": [_rule(rules[rule_id]) for rule_id in sorted(rules)],
                        "properties": {"scanners": list(tools)},
                    }
                },
                "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": [_notification(n) for n in notes]}],
                "results": [_result(f, order[f.rule.id], f.fingerprint in new, suppressed.get(f.fingerprint)) for f in findings],
            }
        ],
    }
