"""Effective specs for people: merged YAML, provenance of each value, and differences between environments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tfgen.pipeline import validate_project
from tfgen.spec import Path_, flatten, format_path
from tfgen.validate import ValidatedSpec


def effective_spec(project_dir: Path, env: str) -> ValidatedSpec:
    """The validated spec of one environment (all environments are validated, modules are shared)."""
    return next(v for v in validate_project(project_dir) if v.spec.env == env)


def render_yaml(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=True, default_flow_style=False, allow_unicode=True)


def origin(validated: ValidatedSpec, path: Path_) -> str:
    """Where a value was set: `file:line:col`, or `default` when no spec file sets it.

    Only the value's own path counts: a defaulted key inside a mapping a file does set is still a default.
    """
    loc = validated.spec.provenance.get(tuple(path))
    return str(loc) if loc is not None else "default"


def render_provenance(validated: ValidatedSpec) -> str:
    rows = [(format_path(p), _scalar(v), origin(validated, p)) for p, v in flatten(validated.doc).items()]
    width = max(len(r[0]) for r in rows)
    vwidth = min(48, max(len(r[1]) for r in rows))
    return "".join(f"{p:<{width}}  {v:<{vwidth}}  # {o}\n" for p, v, o in rows)


def provenance_json(validated: ValidatedSpec) -> dict[str, Any]:
    """`show --provenance --json`: the effective spec plus one row per leaf value with where it was set
    (`file`, `line`, `column`; all null for a default), in the order of the text table."""
    rows = []
    for path, value in flatten(validated.doc).items():
        loc = validated.spec.provenance.get(tuple(path))
        rows.append({"path": format_path(path), "value": value, "file": loc.file if loc else None,
                     "line": loc.line if loc else None, "column": loc.col if loc else None})
    return {"spec": validated.doc, "provenance": rows}


def _scalar(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("\n...").strip()


_MISSING = object()


def diff_specs(a: ValidatedSpec, b: ValidatedSpec) -> list[dict[str, Any]]:
    """Rows (path, value in a, value in b, origin in a, origin in b) for every differing leaf."""
    flat_a, flat_b = flatten(a.doc), flatten(b.doc)
    rows = []
    for path in sorted(set(flat_a) | set(flat_b), key=format_path):
        va, vb = flat_a.get(path, _MISSING), flat_b.get(path, _MISSING)
        if va != vb:
            va, vb = (None if v is _MISSING else v for v in (va, vb))
            rows.append({"path": format_path(path), "a": va, "b": vb,
                         "a_origin": origin(a, path), "b_origin": origin(b, path)})
    return rows


def render_diff_table(env_a: str, env_b: str, rows: list[dict[str, Any]]) -> str:
    """A plain-text table: path, value in each environment, and which file set each."""
    header = ("path", env_a, env_b, f"{env_a} from", f"{env_b} from")
    table = [header] + [
        (r["path"], _scalar(r["a"]), _scalar(r["b"]), r["a_origin"], r["b_origin"]) for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"
