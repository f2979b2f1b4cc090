"""Diff two environments' resource tables (tfgen.impact.resources) into the actions `terraform plan` would show.

Creates and destroys come from addresses on one side only, replacements from a changed ForceNew argument or a
replaced resource referenced by a ForceNew argument (a fixpoint over the table), updates from any other
changed argument. An environment that moves region is special: Terraform's refresh stops finding its
regional resources, so it plans them as new and abandons the old ones (see ACTIONS in impactmap).
"""

from __future__ import annotations

from typing import Any

from tfgen.impact.resources import GLOBAL_TYPES, Resource, ResourceChange, resource_type, resources


def _first_difference(old: Resource, new: Resource, forcing: bool) -> tuple[str, Any, Any] | None:
    """(reported spec key, old value, new value) of the first changed argument of the kind asked for."""
    before = {a.key: a for a in old.args}
    for arg in new.args:
        if arg.forces == forcing and arg.key in before and before[arg.key].value != arg.value:
            return arg.cause or arg.key, before[arg.key].value, arg.value
    return None


def _change(res: Resource, action: str, key: str, old: Any, new: Any) -> ResourceChange:
    return ResourceChange(res.address, action, res.stateful, key, old, new)


def _replacements(old: dict[str, Resource], new: dict[str, Resource], new_doc: dict[str, Any] | None
                  ) -> dict[str, ResourceChange]:
    """Resources in both whose forcing argument changed, or that reference a replaced resource."""
    replaced: dict[str, ResourceChange] = {}
    changed = True
    while changed:  # a fixpoint over references: the table is small, so a few passes suffice
        changed = False
        for address in sorted(set(old) & set(new)):
            if address in replaced:
                continue
            diff = _first_difference(old[address], new[address], forcing=True)
            if diff is not None:
                replaced[address] = _change(new[address], "replace", *diff)
                changed = True
                continue
            cause = next((replaced[p] for p in new[address].replaced_with if p in replaced), None)
            if cause is None:
                cause = next((_gone(old[p], new_doc) for p in new[address].replaced_with
                              if p in old and p not in new), None)
            if cause is not None:
                replaced[address] = _change(new[address], "replace", cause.key, cause.old, cause.new)
                changed = True
    return replaced


def _gone(old: Resource, new_doc: dict[str, Any] | None) -> ResourceChange:
    key = _absent_prefix(new_doc, old.exists_key)
    was = old.exists_value if key == old.exists_key else "defined"
    return _change(old, "destroy", key, was, key_value(new_doc, key))


def _absent_prefix(doc: dict[str, Any] | None, key: str) -> str:
    """The shortest prefix of KEY the document lacks (`services.x` when the whole service went), else KEY."""
    parts = key.split(".")
    for cut in range(1, len(parts) + 1):
        if key_value(doc, ".".join(parts[:cut])) is None:
            return ".".join(parts[:cut])
    return key


def key_value(doc: dict[str, Any] | None, key: str) -> Any:
    """A spec key's value for the report: scalars and lists as they are, a mapping as "defined", None if absent."""
    value: Any = doc
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return "defined" if isinstance(value, dict) else value


def _region_move(old: dict[str, Resource], new: dict[str, Resource], before: str, after: str
                 ) -> dict[str, ResourceChange]:
    """Regional resources of an environment moving region: created anew, the old ones abandoned."""
    moved = {a: _change(r, "create", "region", before, after)
             for a, r in new.items() if resource_type(a) not in GLOBAL_TYPES}
    moved.update({a: _change(r, "abandon", "region", before, after) for a, r in old.items()
                  if resource_type(a) not in GLOBAL_TYPES and a not in new})
    return moved


def plan_changes(env: str, old_doc: dict[str, Any] | None, new_doc: dict[str, Any] | None) -> list[ResourceChange]:
    """Predicted changes, sorted by address: what `terraform plan` of the new tree shows against the old state."""
    old = resources(env, old_doc) if old_doc is not None else {}
    new = resources(env, new_doc) if new_doc is not None else {}
    if old_doc and new_doc and old_doc["region"] != new_doc["region"]:
        moved = _region_move(old, new, old_doc["region"], new_doc["region"])
        rest = _diff({a: r for a, r in old.items() if a not in moved},
                     {a: r for a, r in new.items() if a not in moved}, old_doc, new_doc)
        return sorted([*rest, *moved.values()], key=lambda c: c.address)
    return _diff(old, new, old_doc, new_doc)


def _diff(old: dict[str, Resource], new: dict[str, Resource], old_doc: dict[str, Any] | None,
          new_doc: dict[str, Any] | None) -> list[ResourceChange]:
    """Creates, replaces, updates and destroys between two resource tables of the same region."""
    changes = _replacements(old, new, new_doc)
    for address in sorted(set(new) - set(old)):
        res = new[address]
        key = _absent_prefix(old_doc, res.exists_key)
        changes[address] = _change(res, "create", key, key_value(old_doc, key),
                                   res.exists_value if key == res.exists_key else "defined")
    for address in sorted(set(old) - set(new)):
        changes[address] = _gone(old[address], new_doc)
    for address in sorted(set(old) & set(new)):
        if address in changes:
            continue
        cause = _first_difference(old[address], new[address], forcing=False)
        if cause is None:
            parent = next((changes[p] for p in new[address].updated_with
                           if p in changes and changes[p].action == "replace"), None)
            cause = (parent.key, parent.old, parent.new) if parent else None
        if cause:
            changes[address] = _change(new[address], "update", *cause)
    return [changes[a] for a in sorted(changes)]
