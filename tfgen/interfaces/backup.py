"""backup: an AWS Backup vault, a daily plan and a selection by tag (data volumes, optionally the database)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tfgen.interfaces import checks
from tfgen.interfaces.base import ModuleInterface, Validation, out, section, var, wired
from tfgen.interfaces.common import common_vars

if TYPE_CHECKING:
    from tfgen.model.views import Spec


def interface(env: dict[str, Any]) -> ModuleInterface:
    spec: Spec = env["spec"]
    backup = spec.backup
    return ModuleInterface(
        name="backup",
        title="Backup",
        description="AWS Backup: a vault (encrypted with the AWS-managed key), a plan whose rule runs on the "
                    "environment's schedule and keeps recovery points for its retention, an optional copy of "
                    "every recovery point to a vault in another region, and a selection of every resource "
                    "carrying the backup tag (the data volumes, and the database where the environment asks), "
                    "with a service role limited to AWS Backup's managed policies.",
        variables=(
            *common_vars(env),
            var("backup_schedule", "string", "When the backup rule runs (AWS Backup cron expression, UTC).",
                backup.schedule, checks.matches("backup_schedule", "^cron\\\\(.+\\\\)$",
                                                   "backup_schedule must be a cron(...) expression.")),
            var("backup_retention_days", "number", "Days a recovery point is kept.", backup.retention_days,
                checks.between("backup_retention_days", 1, 36500)),
            var("backup_copy_enabled", "bool", "Copy every recovery point to the vault in the copy region "
                "(provider aws.backup_copy).", backup.copy_region is not None),
            var("backup_copy_retention_days", "number", "Days a copied recovery point is kept (null: "
                "backup_retention_days).", backup.copy_retention_days,
                checks.optional_between("backup_copy_retention_days", 1, 36500), nullable=True),
            wired("selection_tags", "map(string)", "The tag (one key and value) of every resource the plan backs "
                  "up.", "local.backup_tags",
                  Validation("length(var.selection_tags) == 1", "selection_tags must hold exactly one tag.")),
        ),
        outputs=(
            *section(
                "Vaults",
                out("vault_name", "Name of the backup vault.", "aws_backup_vault.main.name", export=True,
                    export_name="backup_vault_name"),
                out("copy_vault_arn", "ARN of the copy vault in the copy region (null without a copy).",
                    "one(aws_backup_vault.copy[*].arn)", export=True, export_name="backup_copy_vault_arn"),
            ),
            *section(
                "Plan and selection",
                out("plan_id", "ID of the backup plan.", "aws_backup_plan.main.id", export=True,
                    export_name="backup_plan_id"),
            ),
        ),
        count="var.enable_backup",
        providers={"backup_copy": "backup_copy"},
    )
