"""Production guardrails and their documented overrides."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import TYPE_CHECKING

from tfgen.rules.registry import Check, rule
from tfgen.spec import Path_

if TYPE_CHECKING:
    from tfgen.model.views import Spec

GUARDRAILS: dict[str, tuple[Path_, Callable[[Spec], bool], str]] = {
    "database_deletion_protection": (("database", "deletion_protection"),
                                     lambda s: s.database.deletion_protection,
                                     "deletion protection on the database (database.deletion_protection: true)"),
    "loadbalancer_deletion_protection": (("loadbalancer", "deletion_protection"),
                                         lambda s: s.loadbalancer.deletion_protection,
                                         "deletion protection on the load balancer "
                                         "(loadbalancer.deletion_protection: true)"),
    "final_snapshot": (("database", "skip_final_snapshot"), lambda s: not s.database.skip_final_snapshot,
                       "a final database snapshot (database.skip_final_snapshot: false)"),
    "multi_az": (("database", "multi_az"), lambda s: s.database.multi_az,
                 "a Multi-AZ database (database.multi_az: true)"),
    "log_retention": (("logs", "retention_days"), lambda s: s.logs.retention_days >= 90,
                      "at least 90 days of logs (logs.retention_days: 90 or more)"),
    "alert_subscription": (("alerts", "email"), lambda s: bool(s.alerts.email or s.alerts.https),
                           "someone who receives the alarms (alerts.email or alerts.https)"),
}
MIN_REASON_CHARS = 10


@rule
def production_guardrails(spec: Spec, check: Check) -> None:
    """Production: deletion protection (DB, ALB), final snapshot, Multi-AZ, >= 90 days of logs, or an override."""
    production = spec.environment.production
    overrides = spec.environment.guardrail_overrides
    for rule_id, reason in overrides.items():
        path = ("environment", "guardrail_overrides", rule_id)
        if rule_id not in GUARDRAILS:
            close = difflib.get_close_matches(rule_id, list(GUARDRAILS), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            check.report(path, f"unknown guardrail {rule_id!r}; {hint}(guardrails: {', '.join(GUARDRAILS)})")
        elif not production:
            check.report(path, "overrides apply only to production environments (environment.production: true); "
                               "remove it")
        elif GUARDRAILS[rule_id][1](spec):
            check.report(path, f"the spec already has {GUARDRAILS[rule_id][2]}; remove the stale override")
        elif len(reason.strip()) < MIN_REASON_CHARS:
            check.report(path, f"give the reason for this exception (at least {MIN_REASON_CHARS} characters); it "
                               "is printed on every render")
        else:
            check.warn(f"production guardrail {rule_id!r} is overridden: {reason.strip()}")
    if not production:
        return
    for rule_id, (required, satisfied, requirement) in GUARDRAILS.items():
        if not satisfied(spec) and rule_id not in overrides:
            check.report(required, f"production environments need {requirement}; or record an exception as "
                               f"environment.guardrail_overrides.{rule_id}: \"<reason>\"")


@rule
def assume_role_in_account(spec: Spec, check: Check) -> None:
    """The role to assume lives in the environment's account: a role ARN of another account is a typo or a leak."""
    account, role = spec.aws.account_id, spec.aws.assume_role_arn
    if account is None or role is None:  # account: None only in specs of a revision before it was required
        return
    role_account = role.split(":")[4]
    if role_account != account:
        check.report(("aws", "assume_role_arn"), f"the role is in account {role_account} but aws.account_id is "
                                                 f"{account}; assume a role in the environment's own account")
