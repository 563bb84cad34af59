"""Pydantic validation errors → findings a marketer can act on.

Each error's ``loc`` is mapped to the field path as written in the file (``metrics[3].owner``),
to the line and column where it is written, and to a plain message with a hint: the key that
was probably meant, the values that are allowed, or what to add.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from demandos.errors import Finding
from demandos.spec.yamlio import FieldPath, ParsedYaml
from demandos.suggest import closest, did_you_mean

_MAX_LISTED = 12


def render_path(path: Sequence[str | int]) -> str:
    """``("metrics", 3, "owner")`` → ``"metrics[3].owner"``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def listing(values: Sequence[str]) -> str:
    """``a, b, c`` — cut short for long lists."""
    shown = ", ".join(values[:_MAX_LISTED])
    return shown + (f", … ({len(values)} in all)" if len(values) > _MAX_LISTED else "")


def _unwrap(tp: Any) -> Any:
    """Strip ``Annotated`` and ``Optional`` from a type."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _field(model: type[BaseModel], key: str) -> tuple[str, FieldInfo] | None:
    for name, info in model.model_fields.items():
        if (info.alias or name) == key:
            return name, info
    return None


def field_keys(model: type[BaseModel]) -> list[str]:
    """The keys a model accepts, as written in YAML."""
    return [info.alias or name for name, info in model.model_fields.items()]


def _member_tags(member: Any) -> list[str]:
    member = _unwrap(member)
    if _is_model(member) and "type" in member.model_fields:
        return [str(a) for a in get_args(member.model_fields["type"].annotation)]
    return []


def _tags(tp: Any) -> list[str]:
    """The ``type`` values of a discriminated union's members."""
    return [tag for member in get_args(_unwrap(tp)) for tag in _member_tags(member)]


@dataclass
class _Walk:
    """Where a pydantic ``loc`` leads: the data path, the model holding the leaf, the field."""

    path: FieldPath
    parent: type[BaseModel] | None
    info: FieldInfo | None
    leaf_type: Any


def _child(node: Any, part: str | int) -> tuple[bool, Any]:
    """Whether ``part`` is a place in the data ``node``, and what is there."""
    if isinstance(node, dict) and part in node:
        return True, node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return True, node[part]
    return False, None


def _item_type(base: Any) -> Any:
    """The item type of ``tuple[X, ...]`` or ``list[X]``, also inside ``X | tuple[X, ...]``."""
    for candidate in (base, *get_args(base)):
        if get_origin(candidate) in (tuple, list) and get_args(candidate):
            return get_args(candidate)[0]
    return None


def _walk(model: type[BaseModel], data: Any, loc: Sequence[str | int]) -> _Walk:
    path: list[str | int] = []
    tp: Any = model
    parent: type[BaseModel] | None = None
    info: FieldInfo | None = None
    node = data
    for part in loc:
        base = _unwrap(tp)
        if isinstance(part, str) and part in _tags(base):
            tp = next(m for m in get_args(base) if part in _member_tags(m))
            continue  # the tag of a discriminated union
        written, child = _child(node, part)
        if _is_model(base) and isinstance(part, str):
            parent, found = base, _field(base, part)
            info, tp = (found[1], found[1].annotation) if found else (None, None)
        elif not written:
            continue  # a union member's label, such as 'str', not a place in the file
        elif isinstance(part, int):
            tp = _item_type(base)
        elif get_origin(base) is dict:
            tp = get_args(base)[1]
        path.append(part)
        node = child
    return _Walk(tuple(path), parent, info, tp)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping of keys"
    return f"{value!r}"


def _about(info: FieldInfo | None) -> tuple[str, str | None]:
    """A field's description and first example, from its declaration."""
    if info is None:
        return "", None
    example = str(info.examples[0]) if info.examples else None
    return info.description or "", example


def _with_choices(guess: str | None, label: str, options: Sequence[str]) -> str:
    """``did you mean 'paid'? (one of: owned, earned, paid)`` or ``one of: …``."""
    listed = f"{label}: {listing(list(options))}" if options else ""
    if guess:
        return f"{guess} ({listed})" if listed else guess
    return f"use {listed}" if listed else ""


def _echo(kind: str) -> bool:
    """Errors that only echo a more precise error further down the same path."""
    return kind == "too_short" or kind.endswith(("_type", "_parsing"))


@dataclass
class Explainer:
    """Turns the validation errors of one file into findings."""

    model: type[BaseModel]
    parsed: ParsedYaml
    people: Sequence[str] = ()

    def findings(self, error: ValidationError) -> list[Finding]:
        details = [
            (d, _walk(self.model, self.parsed.data, d["loc"]))
            for d in error.errors(include_url=False)
        ]
        # An unknown key that is a misspelling of a missing one is one mistake, not two.
        misspelt = {
            (w.path[:-1], guess)
            for d, w in details
            if d["type"] == "extra_forbidden" and w.parent is not None and w.path
            for guess in [closest(str(w.path[-1]), field_keys(w.parent))]
            if guess
        }
        paths = [w.path for _, w in details]
        out: list[Finding] = []
        seen: set[FieldPath] = set()
        for detail, walk in details:
            if walk.path in seen:
                continue  # several members of a union failed at the same place
            if detail["type"] == "missing" and (walk.path[:-1], walk.path[-1]) in misspelt:
                continue
            if _echo(detail["type"]) and any(
                len(p) > len(walk.path) and p[: len(walk.path)] == walk.path for p in paths
            ):
                continue  # a list emptied by its failing items, or the losing branch of a union
            seen.add(walk.path)
            out.append(self.explain(detail, walk))
        return out

    def explain(self, detail: ErrorDetails, walk: _Walk) -> Finding:
        kind, value, ctx = detail["type"], detail.get("input"), detail.get("ctx") or {}
        names = [p for p in walk.path if isinstance(p, str)]
        name = names[-1] if names else "value"
        message, hint = self._message(kind, name, value, ctx, walk, detail["msg"])
        location = self.parsed.positions.locate(walk.path, key=kind == "extra_forbidden")
        return Finding("error", location, render_path(walk.path), message, hint, rule="schema")

    def _message(
        self, kind: str, name: str, value: Any, ctx: dict[str, Any], walk: _Walk, raw: str
    ) -> tuple[str, str | None]:
        description, example = _about(walk.info)
        if kind == "spec":
            return raw, ctx.get("hint")
        if kind == "missing":
            if name == "owner" and self.people:
                detail = f"one person id from team.yaml: {listing(list(self.people))}"
            else:
                detail = description
            return f"missing required field {name!r}", f"add `{name}:` here" + (
                f" — {detail}" if detail else ""
            )
        if kind == "extra_forbidden":
            allowed = field_keys(walk.parent) if walk.parent else []
            guess = did_you_mean(name, allowed)
            return f"unknown field {name!r}", guess or f"allowed here: {listing(allowed)}"
        if kind == "literal_error":
            options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
            guess = did_you_mean(str(value), options)
            return f"{value!r} is not a valid {name}", _with_choices(guess, "one of", options)
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            tags = _tags(walk.leaf_type)
            if kind == "union_tag_not_found":
                return f"{name} needs a `type`", f"add `type:` with one of: {listing(tags)}"
            tag = str(ctx.get("tag"))
            guess = did_you_mean(tag, tags)
            return f"unknown {name} type {tag!r}", _with_choices(guess, "one of", tags)
        explain = _TYPE_MESSAGES.get(kind)
        if explain is None:  # pydantic's own words, for errors we have not met
            return raw.removeprefix("Value error, "), description or None
        message, hint = explain(name, value, ctx, example)
        if description and hint:
            hint = f"{hint} — {description}"
        elif description:
            hint = f"{name}: {description}"
        return message, hint


Explain = Callable[[str, Any, dict[str, Any], str | None], tuple[str, str | None]]
"""``(field name, input, error context, example) -> (message, hint)``."""


def _expects(what: str, write: str, sample: str | None) -> Explain:
    """A wrong-type error: what was expected, what was found, and how to write it."""

    def explain(
        name: str, value: Any, ctx: dict[str, Any], example: str | None
    ) -> tuple[str, str | None]:
        shown = example or sample
        hint = f"write {write}" + (f", e.g. `{name}: {shown}`" if shown else "")
        if what == "text" and isinstance(value, int | float | bool):
            hint = f'put the value in quotes: {name}: "{value}"'
        return f"expected {what}, got {_describe(value)}", hint

    return explain


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _bound(word: str, key: str) -> Explain:
    def explain(
        name: str, value: Any, ctx: dict[str, Any], example: str | None
    ) -> tuple[str, str | None]:
        return f"must be {word} {_number(ctx.get(key))}, got {_number(value)}", None

    return explain


def _too_short(
    name: str, value: Any, ctx: dict[str, Any], example: str | None
) -> tuple[str, str | None]:
    if isinstance(value, str):
        return "must not be empty", f"write a value for {name}"
    need = ctx.get("min_length", 1)
    return f"needs at least {need} item{'s' if need != 1 else ''}", (
        f"add {'an item' if need == 1 else 'items'} under `{name}:`"
    )


def _pattern(
    name: str, value: Any, ctx: dict[str, Any], example: str | None
) -> tuple[str, str | None]:
    return f"{value!r} is not a valid {name}", f"write it to match {ctx.get('pattern')}"


_NUMBER = _expects("a number", "a number (no currency signs or commas)", "2.5")
_WHOLE = _expects("a whole number", "a whole number", "3")
_BOOL = _expects("true or false", "true or false", "true")
_LIST = _expects("a list", "one `- item` per line, or [a, b] on one line", None)
_MAPPING = _expects("a mapping of keys", "its keys on the lines below, indented", None)
_DATE = _expects("a date", "a date as YYYY-MM-DD", "2025-01-06")

_TYPE_MESSAGES: dict[str, Explain] = {
    "string_type": _expects("text", "a text value", None),
    "string_too_short": _too_short,
    "too_short": _too_short,
    "int_type": _WHOLE,
    "int_parsing": _WHOLE,
    "int_from_float": _WHOLE,
    "float_type": _NUMBER,
    "float_parsing": _NUMBER,
    "finite_number": _NUMBER,
    "bool_type": _BOOL,
    "bool_parsing": _BOOL,
    "list_type": _LIST,
    "tuple_type": _LIST,
    "dict_type": _MAPPING,
    "model_type": _MAPPING,
    "model_attributes_type": _MAPPING,
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "greater_than_equal": _bound("at least", "ge"),
    "greater_than": _bound("more than", "gt"),
    "less_than_equal": _bound("at most", "le"),
    "less_than": _bound("less than", "lt"),
    "string_pattern_mismatch": _pattern,
}
