"""Stage 1: read spec YAML safely, resolve `extends:` chains, deep-merge, remember where every value came from.

The loader never interprets values beyond YAML scalars. It is hardened against hostile files: size cap,
strict UTF-8, duplicate keys, unknown tags, and alias bombs (refused before they expand).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tfgen.errors import Location, Problem, SpecError

MAX_SPEC_BYTES = 1024 * 1024
MAX_NODES = 20_000
MAX_DEPTH = 64
MAX_EXTENDS_DEPTH = 8
MAX_INT_DIGITS = 30
MAX_EXTENDS_CHARS = 255  # a file name; anything longer is not one
ENV_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,19}\Z")  # \Z: "dev\n" must not pass

Path_ = tuple[str | int, ...]

_NULL_RE = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT_RE = re.compile(r"^[-+]?[0-9]+$")
_FLOAT_RE = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT_RE = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_PLAIN_TAG = "tag:tfgen,2024:plain"  # an untagged plain scalar: typed by _resolve_plain (YAML 1.2 core)
_STD_TAGS = {
    _PLAIN_TAG,
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


class _PlainScalars:
    """Mixin for compose-only loaders: plain scalars stay untagged, `_resolve_plain` types them (YAML 1.2)."""

    yaml_implicit_resolvers: dict = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN_TAG
        return super().resolve(kind, value, implicit)  # type: ignore[misc]


class _ComposeLoader(_PlainScalars, yaml.SafeLoader):
    """A loader used only to compose node graphs; construction and scalar typing are ours."""


if getattr(yaml, "__with_libyaml__", False):

    class _FastComposeLoader(_PlainScalars, yaml.CSafeLoader):
        """libyaml composes ~15x faster; any error is re-parsed by _ComposeLoader for one canonical message."""

    _FAST_LOADERS: tuple[type, ...] = (_FastComposeLoader,)
else:  # pragma: no cover - PyYAML built without libyaml
    _FAST_LOADERS = ()


def _problem_at(rel: str, mark: Any, message: str) -> Problem:
    line = mark.line + 1 if mark is not None else 1
    col = mark.column + 1 if mark is not None else 1
    return Problem(Location(rel, line, col), "", message)


def _not_regular(rel: str, mode: int) -> SpecError:
    from tfgen.safeio import kind_of

    what = kind_of(mode)
    hint = ("replace the link with the file itself" if stat.S_ISLNK(mode)
            else "a spec is a YAML file" if stat.S_ISDIR(mode) else "remove it")
    return SpecError([Problem(Location(rel, 1, 1), "", f"is {what}, not a regular file; tfgen reads specs only "
                                                       f"from regular files in specs/ ({hint})")])


def _read_text(path: Path, rel: str) -> str:
    """Read a spec file with a size cap and strict UTF-8, reporting the line of a bad byte. Links (a loop, or
    one pointing out of specs/), directories, FIFOs and devices are located errors: checked with lstat, opened
    with O_NOFOLLOW | O_NONBLOCK so nothing can block or be read through a link."""
    try:
        mode = os.lstat(path).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(rel, mode)
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise _not_regular(rel, os.fstat(handle.fileno()).st_mode)
            raw = handle.read(MAX_SPEC_BYTES + 1)  # never read more than the cap, however big the file
    except FileNotFoundError:
        raise SpecError([Problem(Location(rel, 1, 1), "", "spec file not found")]) from None
    except OSError as exc:
        raise SpecError([Problem(Location(rel, 1, 1), "", f"cannot read spec: {exc.strerror}")]) from None
    if len(raw) > MAX_SPEC_BYTES:
        msg = f"spec is larger than {MAX_SPEC_BYTES} bytes (the limit); specs are short settings files"
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
    for fast in _FAST_LOADERS:
        try:
            return _compose_with(fast, text)
        except (yaml.YAMLError, RecursionError):
            pass  # the pure-Python loader below reports it, with the same wording everywhere
    try:
        loader = _ComposeLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise SpecError([_problem_at(rel, mark, _yaml_message(exc))]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        msg = f"invalid YAML: control character #x{exc.character:04x} is not allowed in a spec"
        raise SpecError([Problem(Location(rel, line, col), "", msg)]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Problem(Location(rel, 1, 1), "", f"invalid YAML: {exc}")]) from None
    except RecursionError:
        msg = f"invalid YAML: nesting deeper than {MAX_DEPTH} levels"
        raise SpecError([Problem(Location(rel, 1, 1), "", msg)]) from None
    return node


def _compose_with(loader_class: type, text: str) -> yaml.Node | None:
    loader = loader_class(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's problem text, plus what it was doing and a hint for the usual causes."""
    problem = exc.problem or exc.context or "syntax error"
    if exc.context and "expected a single document" in exc.context:
        return "invalid YAML: a spec is one YAML document; remove the '---' line that starts another"
    message = f"invalid YAML: {problem}"
    if exc.context and exc.problem and exc.context_mark is not None:
        message += f" ({exc.context} started at line {exc.context_mark.line + 1})"
    if "'\\t'" in problem or "\t" in problem:
        message += "; YAML does not allow tabs for indentation: indent with spaces"
    return message


class _Builder:
    """Turn a node graph into plain Python values with YAML 1.2 core scalars and provenance."""

    def __init__(self, rel: str):
        self.rel = rel
        self.nodes = 0
        self.provenance: dict[Path_, Location] = {}
        self.building: set[int] = set()  # collections being built: an alias back into one is recursion

    def loc(self, node: yaml.Node) -> Location:
        return Location(self.rel, node.start_mark.line + 1, node.start_mark.column + 1)

    def fail(self, node: yaml.Node, path: Path_, message: str) -> SpecError:
        return SpecError([Problem(self.loc(node), format_path(path), message)])

    def build(self, node: yaml.Node, path: Path_ = (), depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(node, path[:8], f"document expands to more than {MAX_NODES} values (alias bomb?)")
        if depth > MAX_DEPTH:
            raise self.fail(node, path[:8], f"nesting deeper than {MAX_DEPTH} levels")
        if node.tag not in _STD_TAGS:
            raise self.fail(node, path, f"YAML tag {node.tag!r} is not allowed in specs")
        self.provenance[path] = self.loc(node)
        if isinstance(node, yaml.ScalarNode):
            return self.build_scalar(node, path)
        if id(node) in self.building:
            raise self.fail(node, path[:8], "an alias refers to a collection that contains it (recursive YAML)")
        self.building.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self.build_mapping(node, path, depth)
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        finally:
            self.building.discard(id(node))

    def build_mapping(self, node: yaml.MappingNode, path: Path_, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if key_node.value == "<<" and key_node.tag in (_PLAIN_TAG, "tag:yaml.org,2002:merge"):
                raise self.fail(key_node, path, "YAML merge keys ('<<') are not supported; use extends:")
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, path, "mapping keys must be plain strings")
            if key_node.tag not in _STD_TAGS:
                raise self.fail(key_node, path, f"YAML tag {key_node.tag!r} is not allowed in specs")
            key = str(key_node.value)
            if key in seen:
                first = self.loc(seen[key])
                raise self.fail(key_node, (*path, key), f"duplicate key (first defined at line {first.line})")
            seen[key] = key_node
            result[key] = self.build(value_node, (*path, key), depth + 1)
        return result

    def build_scalar(self, node: yaml.ScalarNode, path: Path_) -> Any:
        """Quoted and block scalars are strings; plain ones follow the YAML 1.2 core schema; explicit
        standard tags (`!!str 010`, `!!int "8"`) are honoured."""
        if node.tag == _PLAIN_TAG:
            return _resolve_plain(node.value, node, self, path)
        if node.tag == "tag:yaml.org,2002:str":
            return node.value
        value = _resolve_plain(node.value, node, self, path)
        expected = {"tag:yaml.org,2002:int": int, "tag:yaml.org,2002:float": (int, float),
                    "tag:yaml.org,2002:bool": bool, "tag:yaml.org,2002:null": type(None)}[node.tag]
        if not isinstance(value, expected) or (node.tag.endswith(":int") and isinstance(value, bool)):
            raise self.fail(node, path, f"{node.value!r} is not a valid {node.tag.rsplit(':', 1)[1]}")
        return float(value) if node.tag.endswith(":float") else value


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
        if len(digits) > MAX_INT_DIGITS:
            raise builder.fail(node, path, f"number with {len(digits)} digits is too large for a spec")
        return int(value)
    if _FLOAT_RE.match(value) or _SPECIAL_FLOAT_RE.match(value):
        return float(value.replace(".inf", "inf").replace(".Inf", "inf").replace(".INF", "inf")
                     .replace(".nan", "nan").replace(".NaN", "nan").replace(".NAN", "nan"))
    return value


def _absolute(path: Path) -> Path:
    """Absolute and normalised, without resolving links (a link loop must be reported, not followed)."""
    return Path(os.path.normpath(os.path.abspath(path)))


def _relative(path: Path, project_dir: Path) -> str:
    try:
        return _absolute(path).relative_to(_absolute(project_dir)).as_posix()
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
    if data is None:  # "---" alone, or "~"
        raise SpecError([Problem(Location(rel, 1, 1), "", "spec is empty; expected a mapping of settings")])
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
    """Resolve an `extends:` target relative to the spec, refusing anything outside specs/, any link on the
    way (a link is how a target leaves specs/ or loops), NUL and control characters and overlong names."""
    from tfgen.schema import _short, unsafe_text_message

    def fail(message: str) -> SpecError:
        return SpecError([Problem(loc, "extends", message)])

    if not isinstance(target, str) or not target:
        raise fail("must be a file name such as base.yaml")
    if len(target) > MAX_EXTENDS_CHARS:
        raise fail(f"{_short(target)} is not a file name (longer than {MAX_EXTENDS_CHARS} characters)")
    unsafe = unsafe_text_message(target)
    if unsafe:
        raise fail(unsafe.replace("in the generated shell scripts, units and docs", "in a file name"))
    base = _absolute(specs_dir)
    candidate = _absolute(spec_path.parent / target)
    if not candidate.is_relative_to(base):
        raise fail(f"{target!r} is outside specs/; extends must stay in specs/")
    current = base
    for part in candidate.relative_to(base).parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            raise fail(f"{target!r} does not exist (looked for {candidate.name})") from None
        except OSError as exc:
            raise fail(f"{target!r} cannot be read ({exc.strerror})") from None
        if stat.S_ISLNK(mode):
            raise fail(f"{target!r} is a symbolic link (specs/{current.relative_to(base).as_posix()}); extends "
                       "must name a regular file in specs/, not a link")
    if not stat.S_ISREG(os.lstat(candidate).st_mode):
        raise fail(f"{target!r} does not exist (looked for {candidate.name}; that is not a regular file)")
    return candidate


def load_chain(spec_path: Path, project_dir: Path) -> tuple[dict[str, Any], dict[Path_, Location], list[str]]:
    """Load a spec and everything it extends, base first; cycles and deep chains are errors."""
    layers = read_layers(spec_path, project_dir)
    merged, merged_prov = merge_layers(layers)
    return merged, merged_prov, [layer.file for layer in layers]


def merge_layers(layers: list[Layer]) -> tuple[dict[str, Any], dict[Path_, Location]]:
    merged: dict[str, Any] = {}
    merged_prov: dict[Path_, Location] = {}
    for layer in layers:
        merged, merged_prov = deep_merge(merged, merged_prov, layer.data, layer.provenance)
    if layers:  # a problem with no closer location (a missing required key) points at the environment's file
        merged_prov[()] = Location(layers[-1].file, 1, 1)
    return merged, merged_prov


def read_layers(spec_path: Path, project_dir: Path) -> list[Layer]:
    """Every file of a spec's extends chain as written, base first; cycles and deep chains are errors."""
    specs_dir = project_dir / "specs"
    chain: list[Layer] = []
    visited: list[Path] = []
    _refuse_linked_specs_dir(specs_dir)
    current: Path | None = _absolute(spec_path)
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
        rel = _relative(current, project_dir)
        chain.append(Layer(rel, data, {p: v for p, v in prov.items() if p[:1] != ("extends",)}))
        current = (
            _resolve_extends(current, target, specs_dir, rel, prov.get(("extends",), Location(rel, 1, 1)))
            if target is not None else None
        )
    return list(reversed(chain))


def _refuse_linked_specs_dir(specs_dir: Path) -> None:
    """A committed `specs -> /somewhere` would make every command read files outside the checkout."""
    if specs_dir.is_symlink():
        raise SpecError([Problem(Location("specs", 1, 1), "", "specs/ is a symbolic link; tfgen reads specs only "
                                                              "from a real specs/ directory")])


def check_env_name(env: str) -> None:
    """Environment names become directory names: refuse anything that could escape the tree."""
    if not ENV_NAME_RE.match(env):
        msg = (f"environment name {env!r} is invalid: use 1-20 lowercase letters, digits or hyphens, "
               "starting with a letter (it becomes a directory name)")
        raise SpecError([Problem(None, "", msg)])
    if env.startswith("base"):
        msg = f"environment name {env!r} is reserved: spec files named base* are shared base specs, not environments"
        raise SpecError([Problem(None, "", msg)])


def spec_path_for(env: str, project_dir: Path) -> Path:
    check_env_name(env)
    return project_dir / "specs" / f"{env}.yaml"


def load_spec(env: str, project_dir: Path) -> LoadedSpec:
    """Load `specs/<env>.yaml` with its extends chain into one merged document."""
    path = spec_path_for(env, project_dir)
    if not os.path.lexists(path):
        rel = _relative(path, project_dir)
        known = ", ".join(list_environments(project_dir)) or "none"
        raise SpecError([Problem(Location(rel, 1, 1), "", f"no spec for environment {env!r} (known: {known})")])
    layers = read_layers(path, project_dir)
    data, prov = merge_layers(layers)
    return LoadedSpec(env=env, data=data, provenance=prov, files=[layer.file for layer in layers], layers=layers)


def misnamed_specs(project_dir: Path) -> list[Problem]:
    """Spec files that are neither a base nor a usable environment name would be skipped silently: report them."""
    specs_dir = project_dir / "specs"
    if not specs_dir.is_dir():
        return []
    problems = []
    for path in sorted([*specs_dir.glob("*.yaml"), *specs_dir.glob("*.yml")]):
        stem = path.stem
        if path.suffix == ".yml":
            message = "spec files end in .yaml; rename it so tfgen sees it"
        elif stem.startswith(("_", "base")) or ENV_NAME_RE.match(stem):
            continue
        else:
            message = (f"{stem!r} is not a valid environment name (1-20 lowercase letters, digits or hyphens, "
                       "starting with a letter); rename it, or start the name with '_' or 'base' if it is a "
                       "shared base spec")
        problems.append(Problem(Location(f"specs/{path.name}", 1, 1), "", message))
    return problems


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
