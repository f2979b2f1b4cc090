"""A small declarative type system for specs: one definition drives validation, defaults and JSON Schema.

We keep this instead of a heavyweight model library so start-up stays fast and every error can point at
the exact file:line of the offending value.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import re
import unicodedata
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from tfgen.errors import Problem
from tfgen.spec.document import LoadedSpec, Path_
from tfgen.spec.text import short_repr, unsafe_text_message

REQUIRED: Any = object()
# True while the specs of an earlier git revision are validated for a comparison (`tfgen impact --since`, the
# render gate): a field that became required later takes its `formerly` value there instead of failing, so an
# upgrade that adds a required field still shows what the change does against the specs written before it.
_EARLIER_REVISION: ContextVar[bool] = ContextVar("tfgen_earlier_revision", default=False)


@contextlib.contextmanager
def earlier_revision() -> Iterator[None]:
    """Validate specs of an earlier revision: newly required fields take the value their absence meant then."""
    token = _EARLIER_REVISION.set(True)
    try:
        yield
    finally:
        _EARLIER_REVISION.reset(token)


@dataclass(frozen=True)
class Field:
    """One setting: its type, default, constraints and documentation."""

    kind: str  # "string" | "integer" | "number" | "boolean" | "list" | "map" | "object"
    description: str
    default: Any = REQUIRED
    choices: tuple[Any, ...] | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    min_items: int | None = None
    max_length: int | None = None
    items: Field | None = None
    values: Field | None = None
    key_pattern: str | None = None
    fields: dict[str, Field] = field(default_factory=dict)
    examples: tuple[Any, ...] = ()
    nullable: bool = False
    shapes_modules: bool = False  # must agree across every environment (design invariant 2)
    formerly: Any = REQUIRED  # a required field that once was optional: what its absence meant (earlier revisions)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


def string(description: str, default: Any = REQUIRED, **kw: Any) -> Field:
    return Field("string", description, default, **kw)


def integer(description: str, default: Any = REQUIRED, **kw: Any) -> Field:
    return Field("integer", description, default, **kw)


def number(description: str, default: Any = REQUIRED, **kw: Any) -> Field:
    return Field("number", description, default, **kw)


def boolean(description: str, default: Any = REQUIRED, **kw: Any) -> Field:
    return Field("boolean", description, default, **kw)


def list_of(item: Field, description: str, default: Any = REQUIRED, **kw: Any) -> Field:
    return Field("list", description, default, items=item, **kw)


def map_of(value: Field, description: str, default: Any = REQUIRED, **kw: Any) -> Field:
    return Field("map", description, default, values=value, **kw)


def obj(description: str, fields: dict[str, Field], default: Any = None, **kw: Any) -> Field:
    """An object whose missing keys take their defaults; `default=None` means 'build from field defaults'."""
    return Field("object", description, {} if default is None else default, fields=fields, **kw)


_TYPE_NAMES = {
    "string": "a string", "integer": "an integer", "number": "a number",
    "boolean": "true or false", "list": "a list", "map": "a mapping", "object": "a mapping",
}


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"string {short_repr(value)}"
    return f"{type(value).__name__} {value!r}"


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "list":
        return isinstance(value, list)
    return isinstance(value, dict)


def _type_hint(kind: str, value: Any) -> str:
    """Explain YAML surprises (`no`, `on`, quoted numbers) where they are the likely cause."""
    if kind == "boolean" and isinstance(value, str) and value.lower() in {"yes", "no", "on", "off", "y", "n"}:
        return "; YAML 1.1 words like 'yes'/'no'/'on'/'off' are strings in tfgen specs: write true or false"
    if kind in ("integer", "number") and isinstance(value, str) and re.fullmatch(r"[-+]?\d+(\.\d+)?", value):
        return "; remove the quotes to make it a number"
    if kind == "string" and isinstance(value, bool | int | float):
        return "; quote it to make it a string"
    if kind in ("integer", "number") and isinstance(value, float) and not math.isfinite(value):
        return "; infinity and NaN are not allowed"
    if kind == "integer" and isinstance(value, float) and value.is_integer():
        return f"; write {int(value)} (a decimal point or exponent such as 1e3 makes a float)"
    return ""


class Validator:
    """Walks a document against a Field tree, filling defaults and collecting every problem."""

    def __init__(self, spec: LoadedSpec, partial: bool = False):
        self.spec = spec
        self.partial = partial  # a single file of an extends chain: check what is there, require nothing
        self.problems: list[Problem] = []

    def report(self, path: Path_, message: str) -> None:
        self.problems.append(self.spec.problem(path, message))

    def check(self, spec_field: Field, value: Any, path: Path_) -> Any:
        if value is None and spec_field.nullable:
            return None
        if not _type_ok(spec_field.kind, value):
            expected = _TYPE_NAMES[spec_field.kind]
            hint = _type_hint(spec_field.kind, value)
            self.report(path, f"expected {expected}, got {_describe(value)}{hint}")
            return None
        handler = getattr(self, f"_check_{spec_field.kind}", None)
        return handler(spec_field, value, path) if handler else self._check_scalar(spec_field, value, path)

    def _check_scalar(self, spec_field: Field, value: Any, path: Path_) -> Any:
        if spec_field.choices is not None and value not in spec_field.choices:
            options = ", ".join(str(c) for c in spec_field.choices)
            self.report(path, f"{_describe(value)} is not one of: {options}{_did_you_mean(value, spec_field.choices)}")
        if spec_field.minimum is not None and value < spec_field.minimum:
            self.report(path, f"{value} is below the minimum {_num(spec_field.minimum)}")
        if spec_field.maximum is not None and value > spec_field.maximum:
            self.report(path, f"{value} is above the maximum {_num(spec_field.maximum)}")
        if isinstance(value, float) and value == 0:
            return 0.0  # -0.0 is zero: it must not print as "-0" or "$-0.00" anywhere downstream
        return value

    def _check_string(self, spec_field: Field, value: str, path: Path_) -> str:
        unsafe = unsafe_text_message(value)
        if unsafe:
            self.report(path, unsafe)
            return value
        # ASCII: \d and \w mean 0-9 and [A-Za-z0-9_] as in JSON Schema, never other scripts' digits or letters.
        if spec_field.pattern and not re.fullmatch(spec_field.pattern, value, re.ASCII):
            self.report(path, f"{short_repr(value)} does not match the pattern {spec_field.pattern} "
                              f"({spec_field.description.rstrip('.')})")
        if spec_field.max_length is not None and len(value) > spec_field.max_length:
            self.report(path, f"{short_repr(value)} is longer than {spec_field.max_length} characters")
        return self._check_scalar(spec_field, value, path)

    def _check_list(self, spec_field: Field, value: list, path: Path_) -> list:
        if spec_field.min_items is not None and len(value) < spec_field.min_items:
            self.report(path, f"needs at least {spec_field.min_items} item(s), got {len(value)}")
        assert spec_field.items is not None
        return [self.check(spec_field.items, item, (*path, i)) for i, item in enumerate(value)]

    def _check_map(self, spec_field: Field, value: dict, path: Path_) -> dict:
        assert spec_field.values is not None
        result = {}
        for key in sorted(value):
            if spec_field.key_pattern and not re.fullmatch(spec_field.key_pattern, key, re.ASCII):
                self.report((*path, key), f"name {short_repr(key)} does not match the pattern {spec_field.key_pattern}"
                                          f"{lookalike_note(key)}")
            result[key] = self.check(spec_field.values, value[key], (*path, key))
        return result

    def _check_object(self, spec_field: Field, value: dict, path: Path_) -> dict:
        known = spec_field.fields
        for key in value:
            if key not in known:
                self.report((*path, key), _unknown_key_message(key, known))
        result = {}
        for name, sub in known.items():
            if name in value and not (value[name] is None and not sub.nullable and not sub.required):
                result[name] = self.check(sub, value[name], (*path, name))
            elif self.partial:
                continue
            elif sub.required and sub.formerly is not REQUIRED and _EARLIER_REVISION.get():
                result[name] = sub.formerly
            elif sub.required:
                self.report((*path, name), f"is required ({sub.description})")
                result[name] = None
            else:
                result[name] = self._default(sub, (*path, name))
        return result

    def _default(self, spec_field: Field, path: Path_) -> Any:
        if spec_field.kind == "object" and spec_field.default is not None:
            return self._check_object(spec_field, dict(spec_field.default), path)
        default = spec_field.default
        return list(default) if isinstance(default, list | tuple) else (
            dict(default) if isinstance(default, dict) else default
        )


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _did_you_mean(value: Any, choices: tuple[Any, ...]) -> str:
    """`; did you mean 'app-secrets-read'?` for a string close to one of the string choices."""
    names = [c for c in choices if isinstance(c, str)]
    close = difflib.get_close_matches(value, names, n=1, cutoff=0.6) if isinstance(value, str) else []
    return f"; did you mean {close[0]!r}?" if close else ""


def _unknown_key_message(key: str, known: dict[str, Field]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    suggestion = f"; did you mean {close[0]!r}?" if close else ""
    options = ", ".join(sorted(known))
    return f"unknown key {short_repr(key)}{suggestion}{lookalike_note(key)} (allowed: {options})"


def lookalike_note(text: str) -> str:
    """Say so when a name holds non-ASCII characters: `nаme` with a Cyrillic а looks exactly like `name`."""
    odd = [ch for ch in dict.fromkeys(text) if ord(ch) > 0x7E or ord(ch) < 0x20]
    if not odd:
        return ""
    listing = ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed character')}" for ch in odd[:3])
    return f" (it contains the look-alike or invisible character(s) {listing}; spec keys are plain ASCII)"


def validate_document(root: Field, spec: LoadedSpec, partial: bool = False) -> tuple[dict[str, Any], list[Problem]]:
    """Type-check a merged spec, returning the normalized document (defaults filled) and all problems.

    With `partial`, `spec` is one file of an extends chain: present values are checked, nothing is required.
    """
    validator = Validator(spec, partial)
    result = validator.check(root, spec.data, ())
    return (result or {}), validator.problems


def module_shaping_paths(root: Field, document: dict[str, Any], path: Path_ = ()) -> dict[Path_, Any]:
    """Every value in a normalized document flagged `shapes_modules`, keyed by its path."""
    found: dict[Path_, Any] = {}
    _collect_shaping(root, document, path, found)
    return found


def _has_shaping(spec_field: Field) -> bool:
    """Whether anything inside a field shapes the modules (a map of such entries: its names do too)."""
    if spec_field.shapes_modules:
        return True
    children = [*spec_field.fields.values(), spec_field.values, spec_field.items]
    return any(_has_shaping(child) for child in children if child is not None)


def _collect_shaping(spec_field: Field, value: Any, path: Path_, found: dict[Path_, Any]) -> None:
    if spec_field.shapes_modules:
        found[path] = value
        return
    if not _has_shaping(spec_field):
        return  # e.g. tags, guardrail_overrides: environments may differ freely
    if spec_field.kind == "object" and spec_field.nullable:
        found[(*path, "<present>")] = value is not None
    if spec_field.kind == "object" and isinstance(value, dict):
        for name, sub in spec_field.fields.items():
            _collect_shaping(sub, value.get(name), (*path, name), found)
    elif spec_field.kind == "map" and isinstance(value, dict) and spec_field.values is not None:
        found[(*path, "<names>")] = sorted(value)
        for key, item in value.items():
            _collect_shaping(spec_field.values, item, (*path, key), found)


def to_json_schema(root: Field, title: str) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the spec format, generated from the same Field tree."""
    schema = _field_schema(root)
    schema.pop("default", None)
    schema["properties"]["extends"] = {
        "type": "string",
        "description": "Another spec in specs/ whose settings this one starts from (deep-merged).",
        "examples": ["base.yaml"],
    }
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, **schema}


def _field_schema(spec_field: Field) -> dict[str, Any]:
    kind = spec_field.kind
    out: dict[str, Any] = {"description": spec_field.description}
    json_type = {"map": "object", "list": "array"}.get(kind, kind)
    out["type"] = [json_type, "null"] if spec_field.nullable else json_type
    _add_constraints(spec_field, out)
    if kind == "object":
        out["properties"] = {name: _field_schema(sub) for name, sub in spec_field.fields.items()}
        out["additionalProperties"] = False
        required = [name for name, sub in spec_field.fields.items() if sub.required]
        if required:
            out["required"] = required
    elif kind == "map" and spec_field.values is not None:
        out["additionalProperties"] = _field_schema(spec_field.values)
        if spec_field.key_pattern:
            out["propertyNames"] = {"pattern": f"^(?:{spec_field.key_pattern})$"}
    elif kind == "list" and spec_field.items is not None:
        out["items"] = _field_schema(spec_field.items)
    if not spec_field.required and kind != "object":
        out["default"] = spec_field.default
    if spec_field.examples:
        out["examples"] = list(spec_field.examples)
    return out


def _add_constraints(spec_field: Field, out: dict[str, Any]) -> None:
    if spec_field.choices is not None:
        out["enum"] = list(spec_field.choices) + ([None] if spec_field.nullable else [])
    if spec_field.pattern:
        out["pattern"] = f"^(?:{spec_field.pattern})$"
    if spec_field.minimum is not None:
        out["minimum"] = spec_field.minimum
    if spec_field.maximum is not None:
        out["maximum"] = spec_field.maximum
    if spec_field.min_items is not None:
        out["minItems"] = spec_field.min_items
    if spec_field.max_length is not None:
        out["maxLength"] = spec_field.max_length
