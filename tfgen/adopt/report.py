"""The adoption report: text for people (terminal-escaped by the CLI) and JSON for CI."""

from __future__ import annotations

from typing import Any

from tfgen.adopt.run import Adoption, changed_keys

VERBS = {"keep": "keep", "move": "move", "import": "import", "forget": "forget", "destroy": "destroy",
         "create": "create", "replace": "REPLACE", "unplaced": "UNPLACED"}
SECTIONS = (("move", "Moved (a `moved` block: same object, tfgen's address)"),
            ("import", "Imported (an `import` block: tfgen manages the live object as its own resource)"),
            ("keep", "Kept at the same address"),
            ("forget", "Forgotten (a `removed` block with destroy = false: stays in AWS, no longer managed)"),
            ("unplaced", "Cannot be kept under tfgen (stays in AWS, forgotten; tfgen creates its own)"),
            ("replace", "Would be REPLACED by the plan"),
            ("destroy", "Destroyed by the plan (tfgen has its own resource for the role; holds no data)"),
            ("create", "Created by the plan"))


def adoption_json(result: Adoption) -> dict[str, Any]:
    return {
        "environment": result.env,
        "counts": result.counts,
        "spec_values": changed_keys(result),
        "outcomes": [{"action": o.action, "old": o.old, "new": o.new, "reason": o.reason, "guard": o.guard,
                      "updates": list(o.updates),
                      "blocking": o in result.blocking} for o in result.outcomes],
        "blocks": [{"kind": b.kind, "target": b.target, "source": b.source} for b in result.blocks],
        "blocking": [o.new or o.old for o in result.blocking],
        "written": result.written,
    }


def adoption_text(result: Adoption) -> list[str]:
    lines = [f"Adoption of a live state into {result.env}:"]
    for action, title in SECTIONS:
        rows = [o for o in result.outcomes if o.action == action]
        if not rows:
            continue
        lines.append(f"\n{title}: {len(rows)}")
        for o in rows:
            arrow = f"{o.old} -> {o.new}" if o.old and o.new and o.old != o.new else (o.new or o.old)
            mark = " [blocking]" if o in result.blocking else ""
            why = f"  ({o.reason})" if o.reason else ""
            lines.append(f"  {VERBS[action]:8} {arrow}{why}{mark}")
            lines += [f"           updates in place: {u}" for u in o.updates]
    keys = changed_keys(result)
    if keys:
        lines.append(f"\nSpec values that keep the live resources (specs/{result.env}.yaml): {len(keys)}")
        lines += [f"  {k} = {v!r}" for k, v in sorted(keys.items())]
    counts = result.counts
    lines.append("\n" + ", ".join(f"{n} {counts[n]}" for n in counts))
    return lines
