"""Compare two trees of resource instances (tfgen.impact.tree) into the actions `terraform plan` would show.

Per instance, by full address: create, destroy, move (a `moved` block of the new tree renames an old
instance), update (an argument changed), replace (an argument the provider forces replacement on changed, or
such an argument reads a replaced instance, or `replace_triggered_by` names a changed one). Replacements
propagate to a fixpoint. A resource whose `for_each` keys are unknown offline is one `[*]` instance: a change
of its for_each expression is reported as a replacement of every instance (the conservative answer).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tfgen.impact.evaluate import has_unknown, refs_of, show
from tfgen.impact.provider import forces_replacement, role
from tfgen.impact.tree import Instance, Tree


@dataclass(frozen=True)
class TreeChange:
    """One predicted action on one instance and the argument that causes it (old and new value, as text)."""

    address: str
    action: str  # create | update | replace | destroy | move
    type: str
    role: str  # data | traffic | ""
    argument: str = ""
    old: Any = None
    new: Any = None
    moved_from: str = ""


def _paths(attrs: dict[str, Any]) -> dict[str, Any]:
    """Arguments by path: `name`, and `block.name` for the arguments of nested blocks (all blocks of a type)."""
    out: dict[str, Any] = {}
    for name, value in attrs.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            out[name] = len(value)
            for sub in sorted({k for v in value for k in v}):
                out[f"{name}.{sub}"] = [v.get(sub) for v in value]
        else:
            out[name] = value
    return out


def _renamer(moves: list[tuple[str, str]]) -> Callable[[str], str]:
    """Rewrites old addresses in a value's text to their moved-to addresses (a reference follows its move)."""
    if not moves:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(a) + r"(?![A-Za-z0-9_-])" for a, _ in moves))
    targets = dict(moves)
    return lambda text: pattern.sub(lambda m: targets[m.group()], text)


def changed_paths(old: Instance, new: Instance, rename: Callable[[str], str] = lambda t: t
                  ) -> list[tuple[str, Any, Any]]:
    """(path, old, new) of every argument that differs, except those lifecycle.ignore_changes names."""
    if new.ignore is None:
        return []
    a, b = _paths(old.attrs), _paths(new.attrs)
    rows = []
    for path in sorted(set(a) | set(b)):
        if path.split(".")[0] in new.ignore:
            continue
        before, after = a.get(path), b.get(path)
        if rename(show(before)) != show(after):
            rows.append((path, before, after))
    return rows


def _apply_moves(old: Tree, new: Tree) -> tuple[dict[str, Instance], dict[str, str]]:
    """The old instances renamed by the new tree's moved blocks, and {new address: old address}."""
    instances, moved = dict(old.instances), {}
    for source, target in new.moved:
        for address in sorted(instances):
            inst = instances[address]
            if address == source or inst.base == source:
                renamed = target + address[len(source):] if address != source else target
                if renamed in new.instances and renamed not in instances:
                    instances[renamed] = instances.pop(address)
                    moved[renamed] = address
    return instances, moved


def compare_trees(old: Tree, new: Tree) -> list[TreeChange]:
    """Every instance that a plan of `new` against state created from `old` would touch, sorted by address."""
    before, moved = _apply_moves(old, new)
    changes: dict[str, TreeChange] = {}
    common = sorted(set(before) & set(new.instances))
    rename = _renamer(new.moved)
    diffs = {a: changed_paths(before[a], new.instances[a], rename) for a in common}
    for address in common:
        inst = new.instances[address]
        forcing = [d for d in diffs[address] if forces_replacement(inst.type, d[0], inst.attrs)]
        if inst.unknown_keys and show(before[address].for_each) != show(inst.for_each):
            forcing.insert(0, ("for_each", before[address].for_each, inst.for_each))
        if forcing:
            changes[address] = _change(inst, "replace", forcing[0], moved.get(address, ""))
    _propagate(new, common, changes, diffs, moved)
    replaced = {a: c for a, c in changes.items() if c.action == "replace"}
    bases = {a: i.base for a, i in new.instances.items()}
    for address in common:
        if address not in changes:
            inst = new.instances[address]
            reads = _reads_replaced(inst, replaced, bases) if not diffs[address] else None
            if diffs[address] or reads:
                changes[address] = _change(inst, "update", diffs[address][0] if diffs[address] else reads,
                                           moved.get(address, ""))
            elif address in moved:
                changes[address] = TreeChange(address, "move", inst.type, role(inst.type), moved_from=moved[address])
    for address in sorted(set(new.instances) - set(before)):
        inst = new.instances[address]
        changes[address] = TreeChange(address, "create", inst.type, role(inst.type))
    for address in sorted(set(before) - set(new.instances)):
        inst = before[address]
        changes[address] = TreeChange(address, "destroy", inst.type, role(inst.type))
    return [changes[a] for a in sorted(changes)]


def _reads_replaced(inst: Instance, replaced: dict[str, TreeChange], bases: dict[str, str]
                    ) -> tuple[str, Any, Any] | None:
    """(argument, cause, ...) when an argument reads a replaced instance: its new ID is known after apply."""
    for path, value in _paths(inst.attrs).items():
        if path.split(".")[0] in (inst.ignore or ()):
            continue
        hit = _hits(refs_of(value), replaced, bases)
        if hit:
            return path, f"{hit} (replaced)", "(known after apply)"
    return None


def _hits(refs: frozenset[str], replaced: dict[str, TreeChange], bases: dict[str, str]) -> str | None:
    for ref in sorted(refs):
        if ref in replaced:
            return ref
        hit = next((a for a in replaced if bases.get(a) == ref), None)
        if hit:
            return hit
    return None


def _propagate(new: Tree, common: list[str], changes: dict[str, TreeChange],
               diffs: dict[str, list[tuple[str, Any, Any]]], moved: dict[str, str]) -> None:
    """Replace instances whose forcing argument reads a replaced instance, or whose replace_triggered_by names a
    changed one; repeat until nothing changes."""
    bases = {a: i.base for a, i in new.instances.items()}
    updated = {a for a in common if diffs[a]}
    grew = True
    while grew:
        grew = False
        for address in common:
            if address in changes:
                continue
            inst = new.instances[address]
            replaced = {a: c for a, c in changes.items() if c.action == "replace"}
            cause = None
            for path, value in _paths(inst.attrs).items():
                if forces_replacement(inst.type, path, inst.attrs) and path.split(".")[0] not in (inst.ignore or ()):
                    hit = _hits(refs_of(value), replaced, bases)
                    if hit:
                        cause = (path, f"{hit} (replaced)", "(known after apply)")
                        break
            if cause is None and inst.triggers:
                touched = {**replaced, **{a: changes.get(a) for a in updated}}
                hit = _hits(inst.triggers, touched, bases)  # type: ignore[arg-type]
                if hit:
                    cause = ("lifecycle.replace_triggered_by", hit, "changed")
            if cause:
                changes[address] = _change(inst, "replace", cause, moved.get(address, ""))
                grew = True


def _change(inst: Instance, action: str, diff: tuple[str, Any, Any], moved_from: str) -> TreeChange:
    return TreeChange(inst.address, action, inst.type, role(inst.type), diff[0], _value(diff[1]), _value(diff[2]),
                      moved_from)


def _value(value: Any) -> Any:
    """A value for the report: plain values as they are, values with unknown parts as their text."""
    return show(value) if has_unknown(value) else value
