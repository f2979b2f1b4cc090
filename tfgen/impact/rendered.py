"""Impact judged on the rendered trees: the tree at REF against the tree the working copy renders.

tfgen.impact.tree reads both trees' resource instances, tfgen.impact.treediff says what a plan would do to each.
The spec-key table (tfgen.impact.diff) only explains why: where it predicts the same instance, its spec key
and values are the cause; any other change is caused by the templates (or, when they did not change, by tfgen
itself, or the spec key whose values the argument's values contain), named with the argument that changed.
"""

from __future__ import annotations

from typing import Any

from tfgen.impact.evaluate import show
from tfgen.impact.provider import role
from tfgen.impact.resources import GLOBAL_TYPES, ResourceChange
from tfgen.impact.tree import Tree, environment_instances
from tfgen.impact.treediff import TreeChange, compare_trees


def _cause(change: TreeChange, cause: str, keys: list[Any]) -> tuple[str, object, object]:
    if change.action == "move":
        return f"{cause}: moved block", change.moved_from, change.address
    if change.action in ("create", "destroy"):
        return cause, None, None
    key = _spec_key(change, keys)
    if key is not None:
        return key.key, key.old, key.new
    return (f"{cause}: {change.argument}", *_compact(change.old, change.new))


def _compact(old: Any, new: Any, context: int = 24) -> tuple[Any, Any]:
    """Long texts (an unknown user_data) shortened to what differs, with some context on each side."""
    if not (isinstance(old, str) and isinstance(new, str)) or len(old) + len(new) <= 4 * context:
        return old, new
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    begin = max(0, start - context)

    def cut(text: str) -> str:
        stop = len(text) - max(0, end - context)
        return ("..." if begin else "") + text[begin:stop] + ("..." if stop < len(text) else "")
    return cut(old), cut(new)


def _spec_key(change: TreeChange, keys: list[Any]) -> Any:
    """The changed spec key whose old value is in the argument's old value and new value in its new one
    (`project.name` for a log group's name), if one is."""
    before, after = show(change.old), show(change.new)
    for key in keys:
        if isinstance(key.old, str | int) and isinstance(key.new, str | int) and not isinstance(key.old, bool) \
                and str(key.old) in before and str(key.new) in after:
            return key
    return None


def _global(resource_type: str) -> bool:
    """Found by refresh in any region: IAM, Route 53, S3 (one namespace) and resources outside AWS."""
    return (resource_type in GLOBAL_TYPES or resource_type.startswith(("aws_iam_", "aws_s3_bucket"))
            or not resource_type.startswith("aws_"))


def _region_move(old: Tree, new: Tree, spec: dict[str, ResourceChange], region: Any) -> list[ResourceChange]:
    """An environment moving region: refresh (in the new region) no longer finds any regional resource, so every
    regional instance of the new tree is created and every old one not in it is abandoned where it runs; global
    ones (IAM, Route 53, S3 names) follow the tree comparison."""
    rows = []
    for change in compare_trees(Tree({a: i for a, i in old.instances.items() if _global(i.type)}, old.moved),
                                Tree({a: i for a, i in new.instances.items() if _global(i.type)}, new.moved)):
        cause = spec.get(change.address)
        key, was, now = (cause.key, cause.old, cause.new) if cause else ("region", region.old, region.new)
        rows.append(ResourceChange(change.address, change.action, change.role == "data", key, was, now, change.role))
    for address, inst in new.instances.items():
        if not _global(inst.type):
            rows.append(ResourceChange(address, "create", role(inst.type) == "data", "region", region.old,
                                       region.new, role(inst.type)))
    for address, inst in old.instances.items():
        if not _global(inst.type) and address not in new.instances:
            rows.append(ResourceChange(address, "abandon", role(inst.type) == "data", "region", region.old,
                                       region.new, role(inst.type)))
    return sorted(rows, key=lambda c: c.address)


def rendered_changes(env: str, old_files: dict[str, str], new_files: dict[str, str],
                     spec_changes: list[ResourceChange], cause: str, keys: list[Any]) -> list[ResourceChange]:
    """Every instance a plan touches, with its spec-key cause where the spec table predicts it. `cause` names
    what else changed the tree (`templates` or `tfgen <old> -> <new>`)."""
    by_address = {c.address: c for c in spec_changes}
    old, new = environment_instances(old_files, env), environment_instances(new_files, env)
    region = next((k for k in keys if k.key == "region"), None)
    if region is not None:
        return _region_move(old, new, by_address, region)
    rows = []
    for change in compare_trees(old, new):
        spec = by_address.pop(change.address, None)
        stateful = change.role == "data"
        if spec is not None and (spec.action == change.action or spec.action == "abandon"):
            rows.append(ResourceChange(change.address, spec.action, stateful, spec.key, spec.old, spec.new,
                                       change.role))
            continue
        key, old, new = _cause(change, cause, keys)
        if spec is not None:
            key, old, new = spec.key, spec.old, spec.new
        rows.append(ResourceChange(change.address, change.action, stateful, key, old, new, change.role,
                                   change.moved_from))
    rows += [c for c in by_address.values() if c.action == "abandon"]  # a region move: refresh loses them
    return sorted(rows, key=lambda c: c.address)
