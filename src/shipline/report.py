"""The one way out to the user: text, GitHub workflow commands, the job summary, JSON.

Backends return results and never print; commands hand those results to a Reporter.
Three formats:

- ``text``: plain lines for a terminal.
- ``github``: workflow commands (``::group::``, ``::error file=,line=::``,
  ``::add-mask::``), Markdown appended to ``$GITHUB_STEP_SUMMARY`` and step outputs in
  ``$GITHUB_OUTPUT``.
- ``json``: nothing but one JSON document on stdout at the end, built from ``result()``.
- ``markdown``: nothing but the Markdown of the job summary on stdout (for pasting into
  an issue or a wiki page); messages for people are dropped, annotations go to stderr.

Summaries and outputs are written whenever their files are set, whatever the format,
so an action may ask for ``--format text`` and still fill the job summary.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from shipline.errors import Problem

FORMATS = ("text", "github", "json", "markdown")


def default_format(environ: Mapping[str, str]) -> str:
    """``github`` inside GitHub Actions (and act), else ``text``."""
    return "github" if environ.get("GITHUB_ACTIONS") == "true" else "text"


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table; pipes inside cells are escaped."""

    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |"]
    lines.append("|" + "|".join("---" for _ in headers) + "|")
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def text_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain aligned table for terminals."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    out = []
    for n, row in enumerate(cells):
        out.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out) + "\n"


@dataclass
class Reporter:
    """Everything a command says goes through one of these."""

    format: str = "text"
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    summary_path: Path | None = None
    output_path: Path | None = None
    _result: dict[str, Any] = field(default_factory=dict)
    _masked: list[str] = field(default_factory=list)

    @classmethod
    def from_environ(cls, fmt: str | None, environ: Mapping[str, str], **streams: Any) -> Reporter:
        """Build a reporter from the process environment (read here, at the entry point, only)."""
        summary = environ.get("GITHUB_STEP_SUMMARY")
        output = environ.get("GITHUB_OUTPUT")
        return cls(
            format=fmt or default_format(environ),
            summary_path=Path(summary) if summary else None,
            output_path=Path(output) if output else None,
            **streams,
        )

    # -- plain messages -------------------------------------------------------------

    def _redact(self, text: str) -> str:
        for secret in self._masked:
            text = text.replace(secret, "***")
        return text

    @property
    def _stdout_is_a_document(self) -> bool:
        return self.format in ("json", "markdown")

    def info(self, message: str) -> None:
        """A line for people; silent in JSON and Markdown modes so stdout stays one document."""
        if not self._stdout_is_a_document:
            print(self._redact(message), file=self.stdout, flush=True)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """A table on the terminal (text and github formats)."""
        if not self._stdout_is_a_document:
            self.stdout.write(self._redact(text_table(headers, rows)))
            self.stdout.flush()

    def annotate(
        self,
        level: str,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        col: int | None = None,
        end_line: int | None = None,
        title: str | None = None,
    ) -> None:
        """An ``error``, ``warning`` or ``notice`` at a place in the code.

        Under GitHub it becomes an annotation on that line; elsewhere a
        ``file:line:col: level: message`` line on stderr.
        """
        assert level in ("error", "warning", "notice"), level
        message = self._redact(message)
        if self.format == "github":
            props = []
            if file:
                props.append(f"file={_escape_property(file)}")
            if line:
                props.append(f"line={line}")
            if end_line:
                props.append(f"endLine={end_line}")
            if col:
                props.append(f"col={col}")
            if title:
                props.append(f"title={_escape_property(self._redact(title))}")
            head = f"::{level} {','.join(props)}::" if props else f"::{level}::"
            print(head + _escape_data(message), file=self.stdout, flush=True)
            return
        where = ""
        if file:
            where = file + (f":{line}" if line else "") + (f":{col}" if line and col else "") + ": "
        label = f"{title}: " if title else ""
        print(f"{where}{level}: {label}{message}", file=self.stderr, flush=True)

    def error(self, message: str, **where: Any) -> None:
        """Shorthand for an ``error`` annotation."""
        self.annotate("error", message, **where)

    def warning(self, message: str, **where: Any) -> None:
        """Shorthand for a ``warning`` annotation."""
        self.annotate("warning", message, **where)

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        """A foldable group in the GitHub log; a heading in text mode."""
        if self.format == "github":
            print(f"::group::{_escape_data(title)}", file=self.stdout, flush=True)
            try:
                yield
            finally:
                print("::endgroup::", file=self.stdout, flush=True)
        else:
            self.info(f"== {title}")
            yield

    def mask(self, secret: str) -> None:
        """Never show ``secret``: ``::add-mask::`` under GitHub, redacted everywhere here.

        A multi-line secret (a private key) is masked line by line too, as GitHub's
        runner does: logs arrive a line at a time, so the whole value never matches.
        """
        parts = [secret, *(line.strip() for line in secret.splitlines() if line.strip())]
        new = [p for p in dict.fromkeys(parts) if p and p not in self._masked]
        if not new:
            return
        self._masked.extend(new)  # the whole value before its lines
        if self.format == "github":
            for part in secret.splitlines() or [secret]:
                if part.strip():
                    print(f"::add-mask::{part}", file=self.stdout, flush=True)

    # -- machine-readable results ---------------------------------------------------

    def summary(self, markdown: str) -> None:
        """Append Markdown to the job summary when there is one; print it in Markdown mode."""
        if self.format == "markdown":
            print(self._redact(markdown).rstrip("\n") + "\n", file=self.stdout, flush=True)
        if self.summary_path is not None:
            with self.summary_path.open("a", encoding="utf-8") as f:
                f.write(self._redact(markdown).rstrip("\n") + "\n\n")

    def output(self, name: str, value: Any) -> None:
        """Set a step output; multi-line values use a random heredoc delimiter."""
        if self.output_path is None:
            return
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        text = self._redact(text)
        with self.output_path.open("a", encoding="utf-8") as f:
            if "\n" in text or "\r" in text:
                delimiter = f"ghadelimiter_{secrets.token_hex(12)}"
                f.write(f"{name}<<{delimiter}\n{text}\n{delimiter}\n")
            else:
                f.write(f"{name}={text}\n")

    def result(self, **fields: Any) -> None:
        """Add fields to the JSON document printed at the end in ``json`` format."""
        self._result.update(fields)

    def finish(self) -> None:
        """Print the JSON document, if that is the format."""
        if self.format == "json":
            text = json.dumps(self._result, indent=2, sort_keys=True, default=str)
            print(self._redact(text), file=self.stdout, flush=True)

    def fail(self, error: str, problems: Sequence[Problem] = ()) -> None:
        """The one renderer of a fatal error and its problems, in the reporter's format.

        ``text`` and ``markdown``: ``shipline: error: FILE:LINE:COL: message`` per problem
        on stderr. ``github``: an ``::error file=,line=,col=::`` annotation per problem on
        stdout. ``json``: the result so far plus ``{"error": ..., "problems": [...]}`` as
        the one document on stdout, and the text lines on stderr for the people reading
        the log. ``error`` is the whole message when there are no problems, a one-line
        summary otherwise.
        """
        shown = list(problems) or [Problem("", 0, 0, error)]
        if self.format == "json":
            self._result["error"] = self._redact(error)
            self._result["problems"] = [
                {"file": p.file or None, "line": p.line or None, "col": (p.col or 1) if p.line else None, "message": self._redact(p.message), "rule": p.rule or None}
                for p in shown
            ]
            self.finish()
        for p in shown:
            if self.format == "github":
                message = f"{p.message} [{p.rule}]" if p.rule else p.message
                self.annotate("error", message, file=p.file or None, line=p.line or None, col=(p.col or 1) if p.line else None)
            else:
                print(f"shipline: error: {self._redact(str(p))}", file=self.stderr, flush=True)
