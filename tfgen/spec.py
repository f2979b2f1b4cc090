"""Stage 1: read spec YAML safely, resolve `extends:` chains, deep-merge, remember where every value came from.

The loader never interprets values beyond YAML scalars. It is hardened against hostile files: size cap,
strict UTF-8, duplicate keys, unknown tags, and alias bombs (refused before they expand).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tfgen.errors import Location, Problem, SpecError

MAX_SPEC_BYTES = 1024 * 1024
MAX_NODES = 20_000
MAX_DEPTH = 64
MAX_EXTENDS_DEPTH = 8
ENV_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,19}$")

Path_ = tuple[str | int, ...]

_NULL_RE = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT_RE = re.compile(r"^[-+]?[0-9]+$")
_FLOAT_RE = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT_RE = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_STD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}


def format_path(path: Path_) -> str:
    """Render a value path the way error messages show it: `services.llm.ports[0]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass
class LoadedSpec:
    """The merged document of one environment plus the origin of each value."""

    env: str
    data: dict[str, Any]
    provenance: dict[Path_, Location] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def location(self, path: Path_) -> Location | None:
        """Nearest known location for a path: the value itself, else its closest ancestor."""
        for cut in range(len(path), -1, -1):
            loc = self.provenance.get(tuple(path[:cut]))
            if loc is not None:
                return loc
        return None

    def problem(self, path: Path_, message: str) -> Problem:
        return Problem(self.location(path), format_path(path), message)


class _ComposeLoader(yaml.SafeLoader):
    """A loader used only to compose node graphs; construction and scalar typing are ours."""

    yaml_implicit_resolvers: dict = {}  # plain scalars stay untyped; _resolve_plain applies YAML 1.2 rules


def _problem_at(rel: str, mark: Any, message: str) -> Problem:
    line = mark.line + 1 if mark is not None else 1
    col = mark.column + 1 if mark is not None else 1
    return Problem(Location(rel, line, col), "", message)


def _read_text(path: Path, rel: str) -> str:
    """Read a spec file with a size cap and strict UTF-8, reporting the line of a bad byte."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SpecError([Problem(Location(rel, 1, 1), "", "spec file not found")]) from None
    except OSError as exc:
        raise SpecError([Problem(Location(rel, 1, 1), "", f"cannot read spec: {exc.strerror}")]) from None
    if len(raw) > MAX_SPEC_BYTES:
        msg = f"spec is {len(raw)} bytes; the limit is {MAX_SPEC_BYTES} bytes"
        raise SpecError([Problem(Location(rel, 1, 1), "", msg)])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        msg = f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        raise SpecError([Problem(Location(rel, line, col), "", msg)]) from None


def _compose(text: str, rel: str) -> yaml.Node | None:
    """Parse YAML into a node graph (aliases stay shared, nothing is expanded yet)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        loader = _ComposeLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise SpecError([_problem_at(rel, mark, f"invalid YAML: {exc.problem or exc.context}")]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Problem(Location(rel, 1, 1), "", f"invalid YAML: {exc}")]) from None
    return node


class _Builder:
    """Turn a node graph into plain Python values with YAML 1.2 core scalars and provenance."""

    def __init__(self, rel: str):
        self.rel = rel
        self.nodes = 0
        self.provenance: dict[Path_, Location] = {}

    def loc(self, node: yaml.Node) -> Location:
        return Location(self.rel, node.start_mark.line + 1, node.start_mark.column + 1)

    def fail(self, node: yaml.Node, path: Path_, message: str) -> SpecError:
        return SpecError([Problem(self.loc(node), format_path(path), message)])

    def build(self, node: yaml.Node, path: Path_ = (), depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(node, path, f"document expands to more than {MAX_NODES} values (alias bomb?)")
        if depth > MAX_DEPTH:
            raise self.fail(node, path, f"nesting deeper than {MAX_DEPTH} levels")
        if node.tag not in _STD_TAGS:
            raise self.fail(node, path, f"YAML tag {node.tag!r} is not allowed in specs")
        self.provenance[path] = self.loc(node)
        if isinstance(node, yaml.MappingNode):
            return self.build_mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        return self.build_scalar(node, path)

    def build_mapping(self, node: yaml.MappingNode, path: Path_, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if key_node.value == "<<" and key_node.style is None:
                raise self.fail(key_node, path, "YAML merge keys ('<<') are not supported; use extends:")
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, path, "mapping keys must be plain strings")
            key = str(key_node.value)
            if key in seen:
                first = self.loc(seen[key])
                raise self.fail(key_node, (*path, key), f"duplicate key (first defined at line {first.line})")
            seen[key] = key_node
            result[key] = self.build(value_node, (*path, key), depth + 1)
        return result

    def build_scalar(self, node: yaml.ScalarNode, path: Path_) -> Any:
        """Quoted and block scalars are strings; plain ones follow the YAML 1.2 core schema."""
        if node.style is not None:
            return node.value
        return _resolve_plain(node.value, node, self, path)


def _resolve_plain(value: str, node: yaml.ScalarNode, builder: _Builder, path: Path_) -> Any:
    """YAML 1.2 core schema: only true/false are booleans; `no`, `on`, `yes` stay strings."""
    if _NULL_RE.match(value):
        return None
    if _BOOL_RE.match(value):
        return value.lower() == "true"
    if _INT_RE.match(value):
        digits = value.lstrip("+-")
        if len(digits) > 1 and digits.startswith("0"):
            msg = f"{value!r} has a leading zero (octal in YAML 1.1); quote it or drop the zero"
            raise builder.fail(node, path, msg)
        return int(value)
    if _FLOAT_RE.match(value) or _SPECIAL_FLOAT_RE.match(value):
        return float(value.replace(".inf", "inf").replace(".Inf", "inf").replace(".INF", "inf")
                     .replace(".nan", "nan").replace(".NaN", "nan").replace(".NAN", "nan"))
    return value


def _relative(path: Path, project_dir: Path) -> str:
    try:
        return path.resolve().relative_to(project_dir.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def read_document(path: Path, project_dir: Path) -> tuple[dict[str, Any], dict[Path_, Location]]:
    """Read one YAML file into a mapping plus provenance; every failure is a SpecError."""
    rel = _relative(path, project_dir)
    node = _compose(_read_text(path, rel), rel)
    if node is None:
        raise SpecError([Problem(Location(rel, 1, 1), "", "spec is empty; expected a mapping of settings")])
    builder = _Builder(rel)
    data = builder.build(node)
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        raise SpecError([Problem(builder.loc(node), "", f"top level is {kind}; expected a mapping")])
    return data, builder.provenance


def deep_merge(
    base: dict[str, Any], base_prov: dict[Path_, Location],
    overlay: dict[str, Any], overlay_prov: dict[Path_, Location],
) -> tuple[dict[str, Any], dict[Path_, Location]]:
    """Mappings merge key by key; lists and scalars from the overlay replace the base's."""
    merged = dict(base)
    prov = dict(base_prov)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            sub, sub_prov = deep_merge(
                merged[key], _subtree(prov, (key,)), value, _subtree(overlay_prov, (key,))
            )
            merged[key] = sub
            prov = {p: loc for p, loc in prov.items() if p[:1] != (key,)}
            prov.update({(key, *p): loc for p, loc in sub_prov.items()})
        else:
            merged[key] = value
            prov = {p: loc for p, loc in prov.items() if p[:1] != (key,)}
            prov.update({p: loc for p, loc in overlay_prov.items() if p[:1] == (key,)})
    return merged, prov


def _subtree(prov: dict[Path_, Location], prefix: Path_) -> dict[Path_, Location]:
    n = len(prefix)
    return {p[n:]: loc for p, loc in prov.items() if p[:n] == prefix}


def _resolve_extends(spec_path: Path, target: Any, specs_dir: Path, rel: str, loc: Location) -> Path:
    """Resolve an `extends:` target relative to the spec, refusing anything outside specs/."""
    if not isinstance(target, str) or not target:
        raise SpecError([Problem(loc, "extends", "must be a file name such as base.yaml")])
    candidate = (spec_path.parent / target).resolve()
    if not candidate.is_relative_to(specs_dir.resolve()):
        raise SpecError([Problem(loc, "extends", f"{target!r} is outside specs/; extends must stay in specs/")])
    if not candidate.is_file():
        raise SpecError([Problem(loc, "extends", f"{target!r} does not exist (looked for {candidate.name})")])
    return candidate


def load_chain(spec_path: Path, project_dir: Path) -> tuple[dict[str, Any], dict[Path_, Location], list[str]]:
    """Load a spec and everything it extends, base first; cycles and deep chains are errors."""
    specs_dir = project_dir / "specs"
    chain: list[tuple[dict[str, Any], dict[Path_, Location]]] = []
    visited: list[Path] = []
    current: Path | None = spec_path.resolve()
    while current is not None:
        if current in visited:
            names = " -> ".join(_relative(p, project_dir) for p in [*visited, current])
            raise SpecError([Problem(Location(_relative(visited[-1], project_dir), 1, 1), "extends",
                                     f"extends cycle: {names}")])
        if len(visited) >= MAX_EXTENDS_DEPTH:
            raise SpecError([Problem(Location(_relative(current, project_dir), 1, 1), "extends",
                                     f"extends chain deeper than {MAX_EXTENDS_DEPTH} files")])
        visited.append(current)
        data, prov = read_document(current, project_dir)
        target = data.pop("extends", None)
        chain.append((data, {p: v for p, v in prov.items() if p[:1] != ("extends",)}))
        rel = _relative(current, project_dir)
        current = (
            _resolve_extends(current, target, specs_dir, rel, prov.get(("extends",), Location(rel, 1, 1)))
            if target is not None else None
        )
    merged: dict[str, Any] = {}
    merged_prov: dict[Path_, Location] = {}
    for data, prov in reversed(chain):
        merged, merged_prov = deep_merge(merged, merged_prov, data, prov)
    return merged, merged_prov, [_relative(p, project_dir) for p in reversed(visited)]


def check_env_name(env: str) -> None:
    """Environment names become directory names: refuse anything that could escape the tree."""
    if not ENV_NAME_RE.match(env):
        msg = (f"environment name {env!r} is invalid: use 1-20 lowercase letters, digits or hyphens, "
               "starting with a letter (it becomes a directory name)")
        raise SpecError([Problem(None, "", msg)])


def spec_path_for(env: str, project_dir: Path) -> Path:
    check_env_name(env)
    return project_dir / "specs" / f"{env}.yaml"


def load_spec(env: str, project_dir: Path) -> LoadedSpec:
    """Load `specs/<env>.yaml` with its extends chain into one merged document."""
    path = spec_path_for(env, project_dir)
    if not path.is_file():
        rel = _relative(path, project_dir)
        known = ", ".join(list_environments(project_dir)) or "none"
        raise SpecError([Problem(Location(rel, 1, 1), "", f"no spec for environment {env!r} (known: {known})")])
    data, prov, files = load_chain(path, project_dir)
    return LoadedSpec(env=env, data=data, provenance=prov, files=files)


def list_environments(project_dir: Path) -> list[str]:
    """Environments are the specs that are not only a base: files not named `base*` or starting `_`."""
    specs_dir = project_dir / "specs"
    if not specs_dir.is_dir():
        return []
    names = []
    for path in sorted(specs_dir.glob("*.yaml")):
        stem = path.stem
        if stem.startswith(("_", "base")) or not ENV_NAME_RE.match(stem):
            continue
        names.append(stem)
    return names
