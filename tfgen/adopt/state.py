"""Read a Terraform state: `terraform show -json` output or a raw `terraform state pull` (version 4) file.

The file comes from outside the project: its size, nesting and counts are bounded, and anything that is not
one of the two shapes is a StateError naming what was wrong, never a traceback.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from tfgen.errors import StateError

MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64
MAX_INSTANCES = 20_000
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,127}$")
MODULE_RE = re.compile(r'^module\.[A-Za-z_][A-Za-z0-9_-]*(\[(\d+|"[^"\\]{0,200}")\])?'
                       r'(\.module\.[A-Za-z_][A-Za-z0-9_-]*(\[(\d+|"[^"\\]{0,200}")\])?)*$')
KEY_RE = re.compile(r'^[A-Za-z0-9_.:/@+=, -]{1,200}$')


@dataclass(frozen=True)
class StateInstance:
    """One managed resource instance of the state."""

    module: str  # "" for the root module, else "module.a" or "module.a[0].module.b"
    type: str
    name: str
    key: int | str | None
    attrs: dict[str, Any] = field(hash=False, compare=False)

    @property
    def address(self) -> str:
        return instance_address(self.module, self.type, self.name, self.key)

    def items(self, name: str, kind: Any = (dict, str)) -> list[Any]:
        """The entries of a list attribute that are of `kind` (blocks are dicts, names strings): a hostile
        or malformed state may hold anything there, and adoption must report, not crash."""
        value = self.attrs.get(name)
        return [item for item in value if isinstance(item, kind)] if isinstance(value, list) else []


def instance_address(module: str, type_: str, name: str, key: int | str | None) -> str:
    base = f"{module}.{type_}.{name}" if module else f"{type_}.{name}"
    if key is None:
        return base
    return f"{base}[{key}]" if isinstance(key, int) else f'{base}["{key}"]'


def _depth_ok(value: Any) -> bool:
    """Iterative nesting check (json.loads itself recurses, so a RecursionError is caught separately)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if isinstance(item, dict):
            stack += [(v, depth + 1) for v in item.values()]
        elif isinstance(item, list):
            stack += [(v, depth + 1) for v in item]
    return True


def parse_state(data: bytes, source: str = "state") -> list[StateInstance]:
    """The managed resource instances of a state, sorted by address."""
    if len(data) > MAX_BYTES:
        raise StateError(source, f"larger than {MAX_BYTES // (1024 * 1024)} MiB; not read")
    try:
        doc = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise StateError(source, f"nested deeper than {MAX_DEPTH} levels") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise StateError(source, f"not JSON ({exc.__class__.__name__}: {str(exc)[:120]})") from None
    if not _depth_ok(doc):
        raise StateError(source, f"nested deeper than {MAX_DEPTH} levels")
    if not isinstance(doc, dict):
        raise StateError(source, "not a Terraform state (the top level is not an object)")
    if "values" in doc or "format_version" in doc:
        found = _from_show(doc, source)
    elif doc.get("version") == 4:
        found = _from_raw(doc, source)
    else:
        raise StateError(source, "not a Terraform state: expected `terraform show -json` output (format_version) "
                                 "or a version 4 state file (`terraform state pull`)")
    if len(found) > MAX_INSTANCES:
        raise StateError(source, f"more than {MAX_INSTANCES} resource instances; not read")
    addresses = [i.address for i in found]
    duplicates = sorted({a for a in addresses if addresses.count(a) > 1})
    if duplicates:
        raise StateError(source, f"resource instance {duplicates[0]} appears twice")
    return sorted(found, key=lambda i: i.address)


def _check(source: str, module: str, type_: Any, name: Any, key: Any) -> tuple[str, str, int | str | None]:
    if not all(isinstance(v, str) and NAME_RE.fullmatch(v) for v in (type_, name)):
        raise StateError(source, f"a resource has an invalid type or name ({str(type_)[:60]!r}, {str(name)[:60]!r})")
    if module and not MODULE_RE.fullmatch(module):
        raise StateError(source, f"invalid module address {module[:80]!r}")
    if key is None or (isinstance(key, int) and not isinstance(key, bool) and 0 <= key < 100_000):
        return type_, name, key
    if isinstance(key, str) and KEY_RE.fullmatch(key):
        return type_, name, key
    raise StateError(source, f"{type_}.{name} has an instance key tfgen does not accept ({str(key)[:60]!r})")


def _attrs(source: str, where: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise StateError(source, f"{where}: attributes are not an object")
    return value


def _from_raw(doc: dict[str, Any], source: str) -> list[StateInstance]:
    resources = doc.get("resources", [])
    if not isinstance(resources, list):
        raise StateError(source, "`resources` is not a list")
    found = []
    for res in resources:
        if not isinstance(res, dict) or res.get("mode") != "managed":
            continue
        module = res.get("module", "")
        if not isinstance(module, str):
            raise StateError(source, "a resource's `module` is not a string")
        instances = res.get("instances", [])
        if not isinstance(instances, list):
            raise StateError(source, f"{res.get('type')}.{res.get('name')}: `instances` is not a list")
        for inst in instances:
            if not isinstance(inst, dict):
                raise StateError(source, "an instance is not an object")
            type_, name, key = _check(source, module, res.get("type"), res.get("name"), inst.get("index_key"))
            attrs = _attrs(source, f"{type_}.{name}", inst.get("attributes"))
            found.append(StateInstance(module, type_, name, key, attrs))
    return found


def _from_show(doc: dict[str, Any], source: str) -> list[StateInstance]:
    values = doc.get("values") or {}
    if not isinstance(values, dict):
        raise StateError(source, "`values` is not an object")
    found: list[StateInstance] = []
    stack = [values.get("root_module") or {}]
    while stack:
        module = stack.pop()
        if not isinstance(module, dict):
            raise StateError(source, "a module is not an object")
        address = module.get("address", "")
        if not isinstance(address, str):
            raise StateError(source, "a module address is not a string")
        resources = module.get("resources") or []
        if not isinstance(resources, list):
            raise StateError(source, "`resources` is not a list")
        for res in resources:
            if not isinstance(res, dict) or res.get("mode") != "managed":
                continue
            type_, name, key = _check(source, address, res.get("type"), res.get("name"), res.get("index"))
            found.append(StateInstance(address, type_, name, key, _attrs(source, f"{type_}.{name}", res.get("values"))))
        children = module.get("child_modules") or []
        if not isinstance(children, list):
            raise StateError(source, "`child_modules` is not a list")
        stack += children
    return found
