"""security: one security group per tier with the spec's ingress graph, IAM roles and instance profiles."""

from __future__ import annotations

from typing import Any

from tfgen.interfaces import ModuleInterface, common_vars, out, wired


def interface(project: dict[str, Any], env: dict[str, Any]) -> ModuleInterface:
    return ModuleInterface(
        name="security",
        title="Security",
        description="One security group for the ALB, one per service and one for RDS (name_prefix + "
                    "create_before_destroy), each ingress rule a separate resource referencing the source "
                    "group by ID; one IAM role and instance profile per service with Session Manager and "
                    "CloudWatch agent policies, plus resource-scoped S3 and Secrets Manager access for the "
                    "services whose spec lists those permissions.",
        variables=(
            *common_vars(env),
            wired("vpc_id", "string", "ID of the VPC the security groups belong to.", "module.networking.vpc_id"),
            wired("vpc_cidr", "string", "CIDR of the VPC; the ALB may only send traffic into it.",
                  "module.networking.vpc_cidr"),
            wired("uploads_bucket_arn", "string", "ARN of the uploads bucket (uploads-rw permission).",
                  "module.storage.uploads_bucket_arn"),
            wired("app_secret_arn", "string", "ARN of the application secret (app-secrets-read permission).",
                  "module.storage.app_secret_arn"),
            wired("db_secret_arn", "string", "ARN of the RDS-managed master user secret (db-secret-read "
                  "permission).", "module.database.master_user_secret_arn"),
        ),
        outputs=(
            out("security_group_ids", "Security group IDs by tier: alb, each service, rds.",
                "{\n" + "".join(f"{g['name']} = aws_security_group.{g['name']}.id\n"
                                for g in project["security_groups"]) + "}",
                export=True),
            out("alb_security_group_id", "ID of the ALB security group.", "aws_security_group.alb.id"),
            out("rds_security_group_id", "ID of the RDS security group.", "aws_security_group.rds.id"),
            # Instances launched with a profile must find its policies in place: user data reads secrets and
            # S3 on the first boot.
            out("instance_profile_names", "Instance profile name by service (available once the role's "
                "policies are attached).", _service_map(project, "aws_iam_instance_profile.{}.name"),
                depends_on=_policy_resources(project)),
            out("role_arns", "IAM role ARN by service.", _service_map(project, "aws_iam_role.{}.arn"),
                export=True),
            out("role_names", "IAM role name by service.", _service_map(project, "aws_iam_role.{}.name")),
        ),
    )


def _service_map(project: dict[str, Any], template: str) -> str:
    return "{\n" + "".join(f"{name} = {template.format(name)}\n" for name in project["service_names"]) + "}"


def _policy_resources(project: dict[str, Any]) -> tuple[str, ...]:
    """Every policy attachment and inline policy of the service roles."""
    found: list[str] = []
    for svc in project["services"]:
        found.append(f"aws_iam_role_policy_attachment.{svc['name']}")
        if svc["permissions"]:
            found.append(f"aws_iam_role_policy.{svc['name']}")
    return tuple(found)
