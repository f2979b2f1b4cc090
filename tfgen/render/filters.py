"""Jinja filters. `hcl` is the only way a spec value reaches HCL (design invariant 4)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import jinja2

_IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# One str.translate table: the named escapes, and \uXXXX for every other C0 control character and DEL.
_HCL_STRING_TABLE = {**{c: f"\\u{c:04x}" for c in (*range(0x20), 0x7F)}, **{ord(k): v for k, v in _ESCAPES.items()}}


class HclExpr(str):
    """An HCL expression written by tfgen itself (`var.backend_instance_type`), printed verbatim by `hcl`.

    Only tfgen.context creates these, from names it controls; spec values are never wrapped.
    """


def hcl_string(value: str) -> str:
    """Quote a string for HCL so it can never end the string or start an interpolation/directive."""
    text = value.translate(_HCL_STRING_TABLE).replace("${", "$${").replace("%{", "%%{")
    return f'"{text}"'


def _hcl_number(value: int | float) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} cannot be written as an HCL number")
        return repr(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _hcl_key(key: str) -> str:
    return key if _IDENT_RE.match(key) else hcl_string(key)


LIST_ONE_LINE = 100  # `  default     = ` and the list stay within the generated tree's 120 columns


def hcl(value: Any, multiline: bool | None = None) -> str:
    """Render a Python value as an HCL literal: strings escaped, lists/maps as HCL, never Python repr."""
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises here, naming the missing variable
    if value is None:
        return "null"
    if isinstance(value, HclExpr):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _hcl_number(value)
    if isinstance(value, str):
        return hcl_string(value)
    if isinstance(value, list | tuple):
        if multiline is None:  # one item a line once the list would not fit a review line after its name
            return _hcl_list(list(value), len(_hcl_list(list(value), False)) > LIST_ONE_LINE)
        return _hcl_list(list(value), multiline)
    if isinstance(value, dict):
        return _hcl_object(value, True if multiline is None else multiline)
    raise TypeError(f"cannot render {type(value).__name__} as HCL")


def _hcl_list(items: list[Any], multiline: bool) -> str:
    if not items:
        return "[]"
    rendered = [hcl(item) for item in items]
    if not multiline:
        return "[" + ", ".join(rendered) + "]"
    return "[\n" + "".join(f"{item},\n" for item in rendered) + "]"


def _hcl_object(mapping: dict[str, Any], multiline: bool) -> str:
    if not mapping:
        return "{}"
    pairs = [f"{_hcl_key(str(k))} = {hcl(v, multiline=False)}" for k, v in mapping.items()]
    if not multiline:
        return "{ " + ", ".join(pairs) + " }"
    return "{\n" + "".join(f"{pair}\n" for pair in pairs) + "}"


def tojson_sorted(value: Any) -> str:
    """Deterministic JSON for docs and policy bodies."""
    return json.dumps(value, sort_keys=True, indent=2, allow_nan=False)


# HTML, entities, links/images, code spans, emphasis, strikethrough, cells; `_` only where it can start or end
# emphasis (not inside a word: GFM never emphasises snake_case, so names stay readable in the raw file).
_MD_ACTIVE = re.compile(r"([\\`*~\[\]<>|&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def md_cell(value: Any) -> str:
    """Escape a value for Markdown text or a table cell: the characters that could start HTML, an entity, a
    link or image, a code span or emphasis, or end the cell are backslash-escaped; line breaks become spaces."""
    text = value if isinstance(value, str) else json.dumps(value, allow_nan=False)
    return " ".join(_MD_ACTIVE.sub(r"\\\1", text).splitlines())


FILTERS = {"hcl": hcl, "hcl_string": hcl_string, "tojson_sorted": tojson_sorted, "md_cell": md_cell}
