"""One sticky comment per pull request, updated in place on every push.

The comment carries a hidden marker; the next run finds it by that marker and edits
it instead of adding another, so a pull request never collects one comment per push.
Only a comment written by the token's own identity is edited: anyone can paste the
marker into a comment of their own.
"""

from __future__ import annotations

from typing import Any

from shipline.github.client import GitHub
from shipline.github.results import StageResult, ordered
from shipline.report import markdown_table

MARKER = "<!-- shipline:pr-summary -->"
PERMISSION = "pull-requests: write"
ICONS = {"passed": "✅", "failed": "❌", "skipped": "⏭️"}


def render(stages: dict[str, StageResult], run_url: str = "", sha: str = "") -> str:
    """The comment's Markdown: one row per stage, its figures, its links."""
    lines = [MARKER, "### shipline", ""]
    if not stages:
        lines.append("No stage has recorded results yet.")
    else:
        rows = []
        for name, result in ordered(stages):
            figures = ", ".join(f"{k}: {v}" for k, v in result.fields.items())
            links = " ".join(f"[{label}]({url})" for label, url in result.links.items())
            rows.append([f"{ICONS.get(result.status, '')} {name}", result.status, result.summary, figures, links])
        lines.append(markdown_table(["stage", "result", "summary", "figures", "reports"], rows).rstrip("\n"))
    footer = []
    if sha:
        footer.append(f"commit {sha[:12]}")
    if run_url:
        footer.append(f"[workflow run]({run_url})")
    if footer:
        lines += ["", "<sub>" + " · ".join(footer) + "</sub>"]
    return "\n".join(lines) + "\n"


def _mine(issue: Any, identity: str) -> Any:
    """The summary comment this identity wrote earlier, or None."""
    for c in issue.get_comments():
        if MARKER in (c.body or "") and c.user is not None and c.user.login == identity:
            return c
    return None


def upsert(gh: GitHub, number: int, body: str) -> tuple[str, Any]:
    """Create the pull request's summary comment, or edit the one already there.

    Returns ``("created" | "updated" | "unchanged", comment)``.
    """
    identity = gh.identity()
    with gh.errors(f"reading the comments of pull request #{number}", PERMISSION):
        issue = gh.repo.get_issue(number)
        mine = _mine(issue, identity)
    if mine is not None and mine.body == body:
        return "unchanged", mine
    if mine is not None:
        with gh.errors(f"updating the summary comment on pull request #{number}", PERMISSION):
            mine.edit(body)
        return "updated", mine
    created = gh.create_once(f"commenting on pull request #{number}", PERMISSION, lambda: issue.create_comment(body), lambda: _mine(issue, identity))
    return "created", created
