"""What loading yields: value paths, the merged document of one environment and the origin of each value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tfgen.errors import Location, Problem

Path_ = tuple[str | int, ...]


def format_path(path: Path_) -> str:
    """Render a value path the way error messages show it: `services.llm.ports[0]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True)
class Layer:
    """One file of an extends chain as written (before merging), for rules that compare files."""

    file: str
    data: dict[str, Any]
    provenance: dict[Path_, Location]


@dataclass
class LoadedSpec:
    """The merged document of one environment plus the origin of each value."""

    env: str
    data: dict[str, Any]
    provenance: dict[Path_, Location] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    layers: list[Layer] = field(default_factory=list)  # each file's own document, base first

    def location(self, path: Path_) -> Location | None:
        """Nearest known location for a path: the value itself, else its closest ancestor."""
        for cut in range(len(path), -1, -1):
            loc = self.provenance.get(tuple(path[:cut]))
            if loc is not None:
                return loc
        return None

    def problem(self, path: Path_, message: str) -> Problem:
        return Problem(self.location(path), format_path(path), message)




def flatten(value: Any, path: Path_ = ()) -> dict[Path_, Any]:
    """Leaf values by path; empty containers count as leaves so they still show up."""
    if isinstance(value, dict) and value:
        out: dict[Path_, Any] = {}
        for key in sorted(value):
            out.update(flatten(value[key], (*path, key)))
        return out
    if isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
        out = {}
        for i, item in enumerate(value):
            out.update(flatten(item, (*path, i)))
        return out
    return {path: value}
