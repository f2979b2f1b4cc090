"""Inputs every module takes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tfgen.interfaces import checks
from tfgen.interfaces.base import ModuleVar, var, wired
from tfgen.names import GROUP_DESCRIPTIONS

if TYPE_CHECKING:
    from tfgen.model.views import Spec


def common_vars(env: dict[str, Any]) -> list[ModuleVar]:
    """Inputs every module takes: the naming prefix and tags."""
    return [
        var("name_prefix", "string", "Prefix for resource names: <project>-<environment>.", env["name_prefix"],
            checks.NAME_PREFIX),
        var("tags", "map(string)", "Tags merged into every taggable resource (besides provider default_tags).",
            env["resource_tags"], default_hcl="{}"),
    ]


def group_descriptions_var() -> ModuleVar:
    """The descriptions of the ALB, RDS and endpoint security groups: tfgen's unless the spec names an existing
    group's (a different description replaces a group)."""
    fields = "\n".join(f"  {group} = string" for group in GROUP_DESCRIPTIONS)
    return wired("group_descriptions", f"object({{\n{fields}\n}})", "Descriptions of the alb, rds and endpoints "
                 "security groups (tfgen's, or an existing group's from the spec: a new one replaces a group).",
                 "local.security_group_descriptions")


def db_secret_wire(env: dict[str, Any]) -> str:
    """What the services read as the master secret's ARN: nothing until an adopted database has its
    RDS-managed secret (`database.master_secret_ready`), whose ARN would otherwise appear mid-apply."""
    spec: Spec = env["spec"]
    return "module.database.master_user_secret_arn" if spec.database.master_secret_ready else "null"
