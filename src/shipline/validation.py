"""Pydantic validation errors rewritten for people, located in the user's file.

`validate(Model, document)` returns the model or raises one `InputError` carrying every
problem, each quoting the bad value, listing what is allowed and suggesting the
nearest allowed name.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, RootModel, ValidationError

from shipline.errors import InputError, Problem
from shipline.yamlfile import Document

M = TypeVar("M", bound=BaseModel)

_QUOTED = re.compile(r"'([^']*)'")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean "x"?)`` for the closest choice, or the empty string."""
    match = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{match[0]}"?)' if match else ""


def kind(value: Any) -> str:
    """A short description of a YAML value's type for messages."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        return f'a string ("{value}")'
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (dict, list)):
        return kind(value)
    return repr(value) if not isinstance(value, bool) else str(value).lower()


def dotted(loc: Sequence[Any]) -> str:
    """``environments[0].deploy.router`` from a location tuple."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the top level"


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types inside Optional, Annotated, list, dict and unions."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg)]
    if origin in (list, dict, tuple):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg)]
    return [annotation]


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def _models_at(root: type[BaseModel], loc: Sequence[Any]) -> list[type[BaseModel]]:
    """The model classes a value at ``loc`` may be (several for a union).

    List indexes are skipped; a discriminated-union tag in ``loc`` (pydantic puts the
    member's tag there) narrows the union to that member.
    """
    current: list[Any] = [root]
    for part in loc:
        if isinstance(part, int):
            continue
        inside = [t for m in current if _is_model(m) for name, f in m.model_fields.items() if part in (name, f.alias) for t in _unwrap(f.annotation)]
        tagged = [m for m in current if _is_model(m) and _tag_of(m) == part]
        current = inside or tagged or current
    return [m for m in current if _is_model(m)]


def _model_at(root: type[BaseModel], loc: Sequence[Any]) -> type[BaseModel] | None:
    """The model class that holds the last key of ``loc`` (for listing its fields)."""
    models = _models_at(root, loc[:-1])
    return models[0] if len(models) == 1 else None


def _tag_of(model: type[BaseModel]) -> str | None:
    field = model.model_fields.get("type")
    if field is None:
        return None
    args = typing.get_args(field.annotation)
    return args[0] if len(args) == 1 and isinstance(args[0], str) else None


def field_names(model: type[BaseModel]) -> list[str]:
    """The keys a model accepts, by their YAML spelling."""
    return [f.alias or name for name, f in model.model_fields.items()]


_EXPECTED = {
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "string_type": "expected a string",
    "list_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
}


def _union_tags(root: type[BaseModel], raw: tuple[Any, ...]) -> list[str]:
    """The tags of a discriminated union at ``raw`` (for a missing `type`)."""
    return sorted(t for m in _models_at(root, raw) if (t := _tag_of(m)))


def _message(root: type[BaseModel], err: dict[str, Any], loc: tuple[Any, ...]) -> tuple[str, bool]:
    """A human message for one pydantic error, and whether it is about the key itself."""
    etype, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    raw = tuple(err["loc"])
    where = dotted(loc[:-1]) if loc else "the top level"
    last = loc[-1] if loc else ""
    if etype == "extra_forbidden":
        model = _model_at(root, raw)
        allowed = field_names(model) if model else []
        listing = f"; expected one of: {', '.join(allowed)}" if allowed else ""
        return f'unknown key "{last}" in {where}{did_you_mean(str(last), allowed)}{listing}', True
    if etype == "missing":
        return f'missing required key "{last}" in {where}', True
    if etype == "literal_error":
        allowed = _QUOTED.findall(ctx.get("expected", "")) or [str(ctx.get("expected", ""))]
        return f'unknown {last} {_show(value)}{did_you_mean(str(value), allowed)}; expected one of: {", ".join(allowed)}', False
    if etype == "union_tag_invalid":
        allowed = _QUOTED.findall(str(ctx.get("expected_tags", "")))
        tag = ctx.get("tag")
        return f'unknown {ctx.get("discriminator", "type").strip(chr(39))} "{tag}" in {dotted(loc[:-1] if loc[-1:] == ("type",) else loc)}{did_you_mean(str(tag), allowed)}; expected one of: {", ".join(allowed)}', False
    if etype == "union_tag_not_found":
        allowed = _union_tags(root, raw)
        return f'{dotted(loc)} needs a "type" key; expected one of: {", ".join(allowed)}', False
    if etype == "string_pattern_mismatch":
        return f"{dotted(loc)}: {_show(value)} is not allowed here; it must match {ctx.get('pattern')}", False
    if etype == "value_error":
        return f"{dotted(loc)}: {str(ctx.get('error', err['msg']))}", False
    if etype in _EXPECTED:
        return f"{dotted(loc)}: {_EXPECTED[etype]}, got {kind(value)}", False
    msg = err["msg"].replace("Input should be", "must be").replace("Value error, ", "")
    return f"{dotted(loc)}: {msg}, got {_show(value)}", False


def _clean_loc(raw: tuple[Any, ...], doc: Document, *, keep_last: bool) -> tuple[Any, ...]:
    """Drop the parts pydantic adds (union tags, type names) that are not in the file.

    ``keep_last`` keeps a final part that is absent from the file: the key of a
    ``missing`` error.
    """
    out: tuple[Any, ...] = ()
    for i, part in enumerate(raw):
        candidate = out + (part,)
        if candidate in doc.values or (keep_last and i == len(raw) - 1):
            out = candidate
    return out


def _alternative(err: dict[str, Any]) -> str:
    """What one member of a union wanted, as a phrase: 'a whole number', "auto"."""
    etype, ctx = err["type"], err.get("ctx") or {}
    if etype == "literal_error":
        return " or ".join(f'"{v}"' for v in _QUOTED.findall(ctx.get("expected", "")))
    if etype in _EXPECTED:
        return _EXPECTED[etype].removeprefix("expected ")
    bounds = {"less_than_equal": "at most {le}", "greater_than_equal": "at least {ge}", "less_than": "below {lt}", "greater_than": "above {gt}"}
    if etype in bounds:
        return "a number " + bounds[etype].format(**ctx)
    return str(err["msg"]).replace("Input should be ", "a value ").replace("Value error, ", "")


def _union_problem(doc: Document, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Problem:
    alternatives = list(dict.fromkeys(_alternative(e) for e in errors))
    return doc.problem(loc, f"{dotted(loc)}: expected {' or '.join(alternatives)}, got {kind(errors[0].get('input'))}")


def _names_a_union_member(root: type[BaseModel], raw: tuple[Any, ...], loc: tuple[Any, ...]) -> bool:
    """Whether pydantic put a plain union member's label ('int', "literal['auto']") in ``raw``.

    Those are the parts `_clean_loc` dropped that are not discriminated-union tags.
    """
    kept = iter(loc)
    nxt = next(kept, None)
    for i, part in enumerate(raw):
        if part == nxt:
            nxt = next(kept, None)
        elif not (isinstance(part, str) and part in _union_tags(root, raw[:i])):
            return True
    return False


def validate(model: type[M], doc: Document) -> M:
    """Validate ``doc.data`` as ``model``; every problem at once as one `InputError`.

    Every model in the result remembers where in ``doc`` it was read (see `locate`), so
    a problem found later, by code far from the loader, still names file, line and column.
    """
    try:
        loaded = model.model_validate(doc.data)
    except ValidationError as exc:
        problems: set[Problem] = set()
        # A plain union (int | list, int | "auto") reports once per member, each under
        # a made-up loc part such as 'int' or "literal['auto']": gather those into one.
        unions: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for details in exc.errors(include_url=False):
            err: dict[str, Any] = dict(details)
            raw = tuple(err["loc"])
            about_key = err["type"] in ("missing", "extra_forbidden")
            loc = _clean_loc(raw, doc, keep_last=about_key)
            if _names_a_union_member(model, raw, loc) and loc in doc.values:
                unions.setdefault(loc, []).append(err)
                continue
            message, on_key = _message(model, err, loc)
            if err["type"] == "union_tag_invalid" and loc + ("type",) in doc.values:
                problems.add(doc.problem(loc + ("type",), message))
            elif err["type"] == "missing":
                problems.add(doc.problem(loc[:-1], message))
            else:
                problems.add(doc.problem(loc, message, key=on_key))
        for loc, errors in unions.items():
            if len(errors) == 1:
                message, on_key = _message(model, errors[0], loc)
                problems.add(doc.problem(loc, message, key=on_key))
            else:
                problems.add(_union_problem(doc, loc, errors))
        raise InputError(problems=sorted(problems)) from None
    remember_origins(loaded, doc)
    return loaded


# -- where a loaded value came from -----------------------------------------------------


@dataclass(frozen=True, eq=False)
class Origin:
    """The document a model was read from and its key path in it.

    Equal to every other origin: where a value was read does not make it another value,
    so two models with the same fields stay equal wherever they come from.
    """

    doc: Document
    path: tuple[str | int, ...]

    def __eq__(self, other: object) -> bool:
        return other is None or isinstance(other, Origin)

    def __hash__(self) -> int:
        return 0


def remember_origins(value: Any, doc: Document, path: tuple[str | int, ...] = ()) -> None:
    """Record on every model under ``value`` (models with an ``_origin`` attribute) its path in ``doc``.

    Defaults the user did not write get the path they would have; `Document.locate`
    lands those on the nearest part that is in the file.
    """
    if isinstance(value, BaseModel):
        if "_origin" in type(value).__private_attributes__:
            setattr(value, "_origin", Origin(doc, path))  # a private attribute of the schema's models
        for name, field in type(value).model_fields.items():
            remember_origins(getattr(value, name), doc, path + (field.alias or name,))
        if isinstance(value, RootModel):
            remember_origins(value.root, doc, path)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            remember_origins(item, doc, path + (i,))
    elif isinstance(value, dict):
        for key, item in value.items():
            remember_origins(item, doc, path + (str(key),))


Key = str | int | tuple[str | int, ...] | None


def locate(model: BaseModel, key: Key, message: str) -> Problem:
    """A `Problem` at ``key`` (a key or a key path) of a loaded ``model``; the model itself when None.

    A model built in code, not read from a file, gives an unlocated problem.
    """
    origin = getattr(model, "_origin", None)
    if not isinstance(origin, Origin):
        return Problem("", 0, 0, message)
    path = origin.path + (key if isinstance(key, tuple) else () if key is None else (key,))
    return origin.doc.problem(path, message)


def error_at(model: BaseModel, key: Key, message: str) -> InputError:
    """An `InputError` located at ``key`` of a loaded ``model``: raise it where the problem is found."""
    return InputError(problems=[locate(model, key, message)])
