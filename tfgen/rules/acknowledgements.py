"""Acknowledged destructive changes (`environment.acknowledged_changes`): a reason each, a warning each render."""

from __future__ import annotations

from typing import Any

from tfgen.rules.guardrails import MIN_REASON_CHARS
from tfgen.rules.registry import Check, rule

TOP_LEVEL_KEYS = ("project", "environment", "region", "state", "network", "services", "database",
                  "loadbalancer", "dns", "storage", "logs", "tags")


@rule
def acknowledged_changes(doc: dict[str, Any], check: Check) -> None:
    """Every acknowledgement names a spec key and gives a reason; it is printed while it stays in the spec."""
    for key, reason in doc["environment"]["acknowledged_changes"].items():
        path = ("environment", "acknowledged_changes", key)
        if key.split(".")[0] not in TOP_LEVEL_KEYS:
            check.report(path, f"{key!r} is not a spec key (it starts with one of: {', '.join(TOP_LEVEL_KEYS)}); "
                               "use the key `tfgen impact` names")
        elif len(reason.strip()) < MIN_REASON_CHARS:
            check.report(path, f"give the reason for this destructive change (at least {MIN_REASON_CHARS} "
                               "characters); it is printed on every render")
        else:
            check.warn(f"destructive change of {key} acknowledged: {reason.strip()} (remove this entry from "
                       "environment.acknowledged_changes once it is applied)")
