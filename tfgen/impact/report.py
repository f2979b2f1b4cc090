"""`tfgen impact` output: a plain-text report (terminal and CI logs), Markdown (job summaries) and JSON.

The JSON shape is documented in docs/impact.md and versioned: keys are never removed or
renamed within a version. Every spec value is printed through `_show` (JSON-style, one line), so a spec
string can never start a new line or inject Markdown table cells.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from tfgen.impact.compare import EnvImpact, Finding
from tfgen.impact.resources import ACTIONS, ResourceChange

JSON_VERSION = 1
SYMBOLS = {"create": "+", "update": "~", "replace": "-/+", "destroy": "-", "abandon": "!"}


def _show(value: Any) -> str:
    """One line, whatever the value: JSON text (strings quoted, lists and maps inline), control chars escaped."""
    return json.dumps(value, sort_keys=True, ensure_ascii=True)


def _cause(change: ResourceChange) -> str:
    return f"{change.key}: {_show(change.old)} -> {_show(change.new)}"


def counts(impacts: list[EnvImpact]) -> dict[str, int]:
    tally = Counter(r.action for impact in impacts for r in impact.resources)
    return {action: tally[action] for action in ACTIONS}


def _blocking_keys(findings: list[Finding], resources: list[ResourceChange], impacts: list[EnvImpact]
                   ) -> set[tuple[str, str]]:
    blocked = {(f.env, f.key) for f in findings}
    for impact in impacts:
        blocked |= {(impact.env, r.key) for r in impact.destructive if r in resources}
    return blocked


# ---------------------------------------------------------------------------------------------- text

def render_text(ref: str, commit: str, impacts: list[EnvImpact], findings: list[Finding],
                resources: list[ResourceChange]) -> str:
    """The report people read: per environment the changed keys, the resource actions, the findings."""
    lines = [f"impact of the working tree's specs against {ref}" + (f" ({commit[:12]})" if commit else ""), ""]
    for impact in impacts:
        lines += _env_text(impact, resources)
    tally = counts(impacts)
    blocking = len(findings) + len(resources)
    lines.append("summary: " + ", ".join(f"{n} to {a}" for a, n in tally.items())
                 + f"; {blocking} unacknowledged destructive change{'s' if blocking != 1 else ''}")
    return "\n".join(lines) + "\n"


def _env_text(impact: EnvImpact, blocking: list[ResourceChange]) -> list[str]:
    head = f"== {impact.env}: {impact.status}"
    if impact.status == "unchanged":
        return [head, ""]
    lines = [head + f" ({len(impact.keys)} spec key{'s' if len(impact.keys) != 1 else ''}, "
             f"{len(impact.resources)} resource change{'s' if len(impact.resources) != 1 else ''})"]
    if impact.status == "changed":
        lines += [f"   {k.key}: {_show(k.old)} -> {_show(k.new)}" for k in impact.keys]
    width = max((len(r.address) for r in impact.resources), default=0)
    for change in impact.resources:
        mark = "STATEFUL" if change.stateful else "        "
        flag = "  << destructive, not acknowledged" if change in blocking else ""
        lines.append(f"  {SYMBOLS[change.action]:>3} {change.action:<8} {mark} {change.address:<{width}}  "
                     f"{_cause(change)}{flag}")
    for finding in impact.findings:
        label = "acknowledged" if finding.acknowledged else "ERROR"
        reason = f" ({finding.acknowledged})" if finding.acknowledged else ""
        lines.append(f"  {label} [{finding.rule}] {finding.problem()}{reason}")
    return [*lines, ""]


# ---------------------------------------------------------------------------------------------- markdown

def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "'")


def _markdown_row(change: ResourceChange, blocking: bool) -> str:
    flag = " **(not acknowledged)**" if blocking else ""
    return (f"| {change.action} | `{_cell(change.address)}` | {'**yes**' if change.stateful else ''} | "
            f"{_cell(_cause(change))}{flag} |")


def render_markdown(ref: str, commit: str, impacts: list[EnvImpact], findings: list[Finding],
                    resources: list[ResourceChange]) -> str:
    """A table per environment for a CI job summary (GitHub renders it)."""
    blocked = _blocking_keys(findings, resources, impacts)
    out = [f"### tfgen impact against `{_cell(ref)}`" + (f" ({commit[:12]})" if commit else ""), ""]
    for impact in impacts:
        out.append(f"**{impact.env}**: {impact.status}")
        out.append("")
        if impact.resources:
            out += ["| action | resource | stateful | caused by |", "| --- | --- | --- | --- |"]
            out += [_markdown_row(r, r.stateful and (impact.env, r.key) in blocked) for r in impact.resources]
            out.append("")
        for finding in impact.findings:
            state = f"acknowledged: {_cell(finding.acknowledged)}" if finding.acknowledged else "**blocking**"
            out.append(f"- {state}: `{finding.rule}`: {_cell(str(finding.problem()))}")
        out.append("")
    tally = counts(impacts)
    out.append("Totals: " + ", ".join(f"{n} {a}" for a, n in tally.items())
               + f"; {len(findings) + len(resources)} unacknowledged destructive change(s).")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------- json

def _resource_json(change: ResourceChange, blocking: list[ResourceChange]) -> dict[str, Any]:
    return {"address": change.address, "action": change.action, "stateful": change.stateful, "key": change.key,
            "old": change.old, "new": change.new, "blocking": change in blocking}


def _finding_json(finding: Finding) -> dict[str, Any]:
    loc = finding.location
    return {"rule": finding.rule, "key": finding.key, "old": finding.old, "new": finding.new,
            "message": finding.message, "file": loc.file if loc else None, "line": loc.line if loc else None,
            "column": loc.col if loc else None, "acknowledged": finding.acknowledged,
            "blocking": finding.acknowledged is None}


def impact_json(ref: str, commit: str, impacts: list[EnvImpact], findings: list[Finding],
                resources: list[ResourceChange], warnings: list[str]) -> dict[str, Any]:
    """The documented `--json` report (version 1)."""
    environments = [
        {"name": i.env, "status": i.status,
         "keys": [{"key": k.key, "old": k.old, "new": k.new} for k in i.keys],
         "resources": [_resource_json(r, resources) for r in i.resources],
         "findings": [_finding_json(f) for f in i.findings]}
        for i in impacts
    ]
    return {"version": JSON_VERSION, "command": "impact", "status": "destructive" if findings or resources else "ok",
            "ref": ref, "commit": commit or None, "environments": environments,
            "summary": {**counts(impacts), "blocking": len(findings) + len(resources)},
            "problems": [], "warnings": warnings}


def failure_json(ref: str, problems: list[dict[str, Any]]) -> dict[str, Any]:
    """The same keys when the input is invalid (exit 2)."""
    return {"version": JSON_VERSION, "command": "impact", "status": "invalid", "ref": ref, "commit": None,
            "environments": [], "summary": {**dict.fromkeys(ACTIONS, 0), "blocking": 0},
            "problems": problems, "warnings": []}
