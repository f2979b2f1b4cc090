"""Upgrade scenarios: plan other versions of an environment against the state the rehearsal applied.

Why: the most expensive mistakes are changes that look additive but replace something stateful (a third
availability zone that moves a service, and with it its data volume, to another subnet). Applying once and
planning each scenario against that state costs one plan per scenario instead of one apply each.

A scenario is a generated tree (environments/ and modules/) of the same project with one change. The
scratch copy's root module and modules are swapped for the scenario's (the override file, .terraform/ and
the state stay), `terraform plan -out` runs, and `terraform show -json` of that plan must contain no
action that deletes: no destroy, no replacement (delete-then-create or create-then-delete). The original
tree is put back before the teardown. Stdlib only, like run.py.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

KEEP = ("_override.tf",)


def swap_tree(root: Path, env: str, tree: Path) -> None:
    """Make the scratch copy of `env` (root module at `root`) hold `tree`'s version of its configuration."""
    scratch = root.parent.parent
    source_root = tree / "environments" / env
    if not source_root.is_dir():
        raise FileNotFoundError(f"{source_root} does not exist")
    shutil.rmtree(scratch / "modules", ignore_errors=True)
    shutil.copytree(tree / "modules", scratch / "modules")
    for path in root.glob("*.tf"):
        if not path.name.endswith(KEEP):
            path.unlink()
    for path in source_root.glob("*.tf"):
        shutil.copy2(path, root / path.name)


def destructive_changes(plan: dict[str, Any]) -> list[str]:
    """`address: actions` of every planned change that deletes (destroy or replace)."""
    return [f"{rc['address']}: {'/'.join(rc['change']['actions'])}"
            for rc in plan.get("resource_changes", []) if "delete" in rc["change"]["actions"]]


def change_summary(plan: dict[str, Any]) -> str:
    """`3 create, 2 update` for the managed resources a plan changes."""
    counts: Counter[str] = Counter()
    for rc in plan.get("resource_changes", []):
        if rc.get("mode") == "managed":
            actions = rc["change"]["actions"]
            counts["replace" if len(actions) == 2 else actions[0]] += 1
    counts.pop("no-op", None)
    return ", ".join(f"{n} {action}" for action, n in sorted(counts.items())) or "no changes"


def parse_scenario(text: str) -> tuple[str, Path]:
    """NAME=TREE from the command line."""
    name, sep, tree = text.partition("=")
    if not sep or not name.isidentifier():
        raise ValueError(f"expected NAME=TREE, got {text!r}")
    return name, Path(tree).resolve()


def load_plan(text: str) -> dict[str, Any]:
    return json.loads(text)
