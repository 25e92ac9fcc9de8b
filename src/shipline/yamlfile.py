"""Load a YAML file the user wrote, safely, remembering where every value came from.

Every failure is an `InputError` whose problems carry file:line:col. Guards against
what a hostile or broken file can do to a loader: non-UTF-8 bytes, tabs, duplicate
keys, several documents, tags that would construct objects, nesting deep enough to
blow the stack, and alias bombs (a few lines that expand to billions of nodes).
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.composer import MaxDepthExceededError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from shipline.errors import InputError, Problem

MAX_BYTES = 1_000_000
MAX_DEPTH = 64
MAX_NODES = 200_000  # after alias expansion

Path_ = tuple[str | int, ...]

# Tags of YAML's core schema are harmless; anything else would ask for an object.
_SAFE_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq")}


@dataclass
class Document:
    """A loaded YAML document as plain Python data, with the position of every node."""

    file: str
    data: Any
    # path -> (line, col), both 1-based: where the value starts and where its key is.
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def locate(self, loc: Iterable[Any], *, key: bool = False) -> tuple[int, int]:
        """The position of the deepest node of ``loc`` present in the file.

        Parts of ``loc`` that are not in the document (pydantic adds union tags and
        model names) are skipped, so a validation error lands on the nearest node
        the user actually wrote.
        """
        path: Path_ = ()
        for part in loc:
            candidate = path + (part,)
            if candidate in self.values:
                path = candidate
        table = self.keys if key and path in self.keys else self.values
        return table.get(path, (1, 1))

    def problem(self, loc: Iterable[Any], message: str, *, key: bool = False) -> Problem:
        """A `Problem` at ``loc`` in this document."""
        line, col = self.locate(loc, key=key)
        return Problem(self.file, line, col, message)


def _mark_problem(file: str, err: MarkedYAMLError) -> Problem:
    mark = err.problem_mark or err.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    what = (err.problem or err.context or "invalid YAML").strip()
    opened = err.context_mark
    if err.problem and err.context and opened and opened is not mark:
        # e.g. an unclosed quote: say where the thing that never ended began
        what = f"{what} ({err.context.strip()} that starts at line {opened.line + 1}, column {opened.column + 1})"
    if "found character '\\t'" in what:
        what = "a tab character cannot indent YAML; use spaces"
    elif "expected a single document" in str(err.context or "") + what:
        what = "a manifest is one YAML document; remove the extra '---' document"
    elif what.startswith("found duplicate key"):
        what = what.split(" with value")[0].replace("found duplicate key", "duplicate key")
    return Problem(file, line, col, f"YAML: {what}")


def _decode(file: str, raw: bytes) -> str:
    if len(raw) > MAX_BYTES:
        raise InputError(problems=[Problem(file, 0, 0, f"file is {len(raw)} bytes; the limit is {MAX_BYTES}")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        col = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        bad = raw[err.start : err.start + 1].hex()
        raise InputError(problems=[Problem(file, line, col, f"not UTF-8: byte 0x{bad} cannot start a character")]) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError(problems=[Problem(file, line, 1, "NUL byte in a text file")])
    return text


class _Converter:
    """Turn ruamel's round-trip tree into plain data, checking tags, depth and size."""

    def __init__(self, file: str) -> None:
        self.doc = Document(file, None)
        self.nodes = 0

    def _fail(self, path: Path_, message: str) -> InputError:
        return InputError(problems=[self.doc.problem(path, message)])

    def _tag_of(self, node: Any) -> str | None:
        tag = getattr(node, "tag", None)
        value = getattr(tag, "value", tag) if tag is not None else None
        return value if isinstance(value, str) and value else None

    def convert(self, node: Any, path: Path_, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self._fail(path, f"document expands to more than {MAX_NODES} nodes (an alias bomb?)")
        if depth > MAX_DEPTH:
            raise self._fail(path, f"nested deeper than {MAX_DEPTH} levels")
        tag = self._tag_of(node)
        if tag is not None and tag not in _SAFE_TAGS:
            raise self._fail(path, f"YAML tag {tag!r} is not allowed; a manifest holds plain data only")
        if isinstance(node, CommentedMap):
            out: dict[str, Any] = {}
            for key in node:
                child = path + (key,) if isinstance(key, str) else path + (str(key),)
                try:
                    kline, kcol = node.lc.key(key)
                    vline, vcol = node.lc.value(key)
                    self.doc.keys[child] = (kline + 1, kcol + 1)
                    self.doc.values[child] = (vline + 1, vcol + 1)
                except (KeyError, TypeError, AttributeError):
                    # merged keys (<<) have no position of their own; use the map's
                    self.doc.keys[child] = self.doc.values[child] = self.doc.values.get(path, (1, 1))
                if not isinstance(key, str):
                    raise InputError(problems=[self.doc.problem(child, f"key {key!r} must be a string", key=True)])
                out[key] = self.convert(node[key], child, depth + 1)
            return out
        if isinstance(node, CommentedSeq):
            items = []
            for i, item in enumerate(node):
                child = path + (i,)
                try:
                    line, col = node.lc.item(i)
                    self.doc.values[child] = (line + 1, col + 1)
                except (KeyError, TypeError, AttributeError):
                    self.doc.values[child] = self.doc.values.get(path, (1, 1))
                items.append(self.convert(item, child, depth + 1))
            return items
        if isinstance(node, TaggedScalar):
            return node.value
        if isinstance(node, (datetime.date, datetime.datetime)):
            # `expires: 2027-03-31` unquoted: the models read dates as ISO strings
            return node.isoformat()
        if isinstance(node, (str, int, float, bool)) or node is None:
            # ruamel's scalar subclasses (ScalarFloat, LiteralScalarString...) to plain types
            for plain in (bool, int, float, str):
                if isinstance(node, plain):
                    return plain(node)
            return None
        raise self._fail(path, f"unsupported YAML value of type {type(node).__name__}")


def loads(text: str, file: str) -> Document:
    """Parse ``text`` (named ``file`` in errors) into a `Document`."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    # the composer stops at this depth itself, before deep input can exhaust the stack
    yaml.max_depth = MAX_DEPTH
    try:
        data = yaml.load(io.StringIO(text))
    except MaxDepthExceededError as err:
        mark = err.problem_mark
        raise InputError(problems=[Problem(file, mark.line + 1, mark.column + 1, f"nested deeper than {MAX_DEPTH} levels")]) from None
    except MarkedYAMLError as err:
        raise InputError(problems=[_mark_problem(file, err)]) from None
    except YAMLError as err:
        raise InputError(problems=[Problem(file, 0, 0, f"YAML: {err}")]) from None
    except RecursionError:
        raise InputError(problems=[Problem(file, 0, 0, f"nested deeper than {MAX_DEPTH} levels")]) from None
    converter = _Converter(file)
    converter.doc.values[()] = (1, 1)
    try:
        converter.doc.data = converter.convert(data, (), 0)
    except RecursionError:
        raise InputError(problems=[Problem(file, 0, 0, f"nested deeper than {MAX_DEPTH} levels")]) from None
    return converter.doc


def load(path: Path, display: str | None = None) -> Document:
    """Read and parse the YAML file at ``path``; ``display`` is the name used in errors."""
    name = display or str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(problems=[Problem(name, 0, 0, "no such file")]) from None
    except IsADirectoryError:
        raise InputError(problems=[Problem(name, 0, 0, "is a directory, not a file")]) from None
    except OSError as err:
        raise InputError(problems=[Problem(name, 0, 0, f"cannot read: {err.strerror}")]) from None
    return loads(_decode(name, raw), name)
