#!/usr/bin/env python3
"""Markdown summary of a `terraform show -json` plan for the GitHub job summary (standard library only, so CI
runs it with the runner's python3 and no install).

    plan_summary.py --env dev [--title plan] [--text tfplan.txt] [--json-out summary.json] tfplan.json

Prints the counts (`Plan: 2 to add, 1 to change, 0 to destroy, 1 to replace`), one table row per resource
that changes, and the redacted text plan in a collapsed block. `--json-out` writes the same facts without any
attribute value (the JSON plan carries sensitive values in clear, so it is never uploaded).

Exit status: 0 summary written, 2 unreadable plan or text (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

TEXT_LIMIT = 60_000  # GitHub caps a step summary at 1 MiB; keep each environment well below
ACTIONS = ("create", "update", "replace", "delete", "read")


def classify(actions: list[str]) -> str | None:
    """Terraform's action lists: ["create"], ["update"], ["delete"], ["read"], ["no-op"], and a replacement
    as ["delete", "create"] or ["create", "delete"]."""
    if set(actions) == {"create", "delete"}:
        return "replace"
    if actions in (["create"], ["update"], ["delete"], ["read"]):
        return actions[0]
    return None


def summarise(plan: dict[str, Any]) -> dict[str, Any]:
    """Counts and the changing resource addresses of a JSON plan (resource drift included as its own list)."""
    changes = []
    for rc in plan.get("resource_changes", []):
        action = classify(rc.get("change", {}).get("actions", []))
        if action:
            changes.append({"address": rc["address"], "action": action})
    drift = [rd["address"] for rd in plan.get("resource_drift", [])
             if classify(rd.get("change", {}).get("actions", []))]
    counts = {a: sum(1 for c in changes if c["action"] == a) for a in ACTIONS}
    return {"counts": counts, "changes": sorted(changes, key=lambda c: c["address"]), "drift": sorted(drift),
            "format_version": plan.get("format_version"), "terraform_version": plan.get("terraform_version")}


def _read_plan(path: Path) -> dict[str, Any]:
    """A `terraform show -json` document, checked for the shape summarise() reads; ValueError in one line."""
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise ValueError("JSON nested too deeply to be a plan") from None
    if not isinstance(plan, dict):
        raise ValueError(f"a JSON {type(plan).__name__} where terraform writes an object")
    for key in ("resource_changes", "resource_drift"):
        items = plan.get(key, [])
        if not isinstance(items, list) or not all(
                isinstance(i, dict) and isinstance(i.get("address"), str) and isinstance(i.get("change", {}), dict)
                and isinstance(i.get("change", {}).get("actions", []), list) for i in items):
            raise ValueError(f"{key} is not a list of {{address, change: {{actions: [...]}}}} objects")
    return plan


def headline(counts: dict[str, int]) -> str:
    if not any(counts[a] for a in ("create", "update", "replace", "delete")):
        return "No changes."
    return (f"Plan: {counts['create']} to add, {counts['update']} to change, {counts['delete']} to destroy, "
            f"{counts['replace']} to replace.")


def markdown(env: str, title: str, summary: dict[str, Any], text: str | None) -> str:
    """The job-summary section of one environment."""
    lines = [f"### {title} {env}", "", f"**{headline(summary['counts'])}**", ""]
    if summary["changes"]:
        lines += ["| action | resource |", "| --- | --- |"]
        lines += [f"| {c['action']} | `{c['address']}` |" for c in summary["changes"]]
        lines.append("")
    if summary["drift"]:
        lines.append(f"Changed outside Terraform: {', '.join(f'`{a}`' for a in summary['drift'])}")
        lines.append("")
    if text is not None:
        shown = text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + "\n... (truncated; see the artifact)\n"
        lines += ["<details><summary>terraform show</summary>", "", "```", shown.rstrip("\n"), "```", "",
                  "</details>", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan_json", type=Path)
    parser.add_argument("--env", required=True)
    parser.add_argument("--title", default="terraform plan")
    parser.add_argument("--text", type=Path, help="output of `terraform show -no-color tfplan`")
    parser.add_argument("--json-out", type=Path, help="write the values-free summary here")
    args = parser.parse_args(argv)
    try:
        summary = summarise(_read_plan(args.plan_json))
        text = args.text.read_text(encoding="utf-8") if args.text else None
    except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        print(f"plan_summary: cannot summarise {args.plan_json}: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(markdown(args.env, args.title, summary, text))
    if args.json_out:
        args.json_out.write_text(json.dumps({"environment": args.env, **summary}, indent=2, sort_keys=True,
                                                      allow_nan=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
