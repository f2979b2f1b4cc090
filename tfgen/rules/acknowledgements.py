"""Acknowledged destructive changes (`environment.acknowledged_changes`): each names the change it approves
(tfgen.impact.acks) and why; a warning each render."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tfgen.impact.acks import FORM, is_address, parse_entry
from tfgen.rules.guardrails import MIN_REASON_CHARS
from tfgen.rules.registry import Check, rule

if TYPE_CHECKING:
    from tfgen.model.views import Spec

TOP_LEVEL_KEYS = ("project", "environment", "region", "state", "network", "services", "database",
                  "loadbalancer", "dns", "storage", "logs", "tags")


@rule
def acknowledged_changes(spec: Spec, check: Check) -> None:
    """Every acknowledgement names a spec key (or a resource address), the change it approves and a reason; it
    is printed while it stays in the spec."""
    for key, text in spec.environment.acknowledged_changes.items():
        path = ("environment", "acknowledged_changes", key)
        parsed = parse_entry(key, text)
        reason = parsed[1] if parsed else ""
        if key.split(".")[0].split("[")[0] not in TOP_LEVEL_KEYS and not is_address(key):
            check.report(path, f"{key!r} is not a spec key (it starts with one of: {', '.join(TOP_LEVEL_KEYS)}) "
                               "or a resource address; use the key or address `tfgen impact` names")
        elif parsed is None:
            check.report(path, f"name the change this approves, so that it cannot approve a later, different one: "
                               f"{FORM}")
        elif len(reason) < MIN_REASON_CHARS:
            check.report(path, f"give the reason for this destructive change (at least {MIN_REASON_CHARS} "
                               "characters); it is printed on every render")
        else:
            check.warn(f"destructive change of {key} ({parsed[0]}) acknowledged: {reason} (remove this entry from "
                       "environment.acknowledged_changes once it is applied)")
