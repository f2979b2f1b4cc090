"""Read one YAML file safely: regular files only, bounded size and depth, duplicate keys refused, YAML 1.2
scalar typing, and the file:line of every value."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from tfgen.errors import Location, Problem, SpecError
from tfgen.spec.document import Path_, format_path

MAX_SPEC_BYTES = 1024 * 1024
MAX_NODES = 20_000
MAX_DEPTH = 64
MAX_INT_DIGITS = 30


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
    from tfgen.output.safeio import kind_of

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


def absolute(path: Path) -> Path:
    """Absolute and normalised, without resolving links (a link loop must be reported, not followed)."""
    return Path(os.path.normpath(os.path.abspath(path)))


def project_relative(path: Path, project_dir: Path) -> str:
    try:
        return absolute(path).relative_to(absolute(project_dir)).as_posix()
    except ValueError:
        return path.as_posix()


def read_document(path: Path, project_dir: Path) -> tuple[dict[str, Any], dict[Path_, Location]]:
    """Read one YAML file into a mapping plus provenance; every failure is a SpecError."""
    rel = project_relative(path, project_dir)
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
