"""security: security groups (ALB, one per service, RDS), the ingress graph as a map of edges, IAM per service."""

from __future__ import annotations

from typing import Any

from tfgen.interfaces import checks
from tfgen.interfaces.base import ModuleInterface, out, section, var, wired
from tfgen.interfaces.common import common_vars, db_secret_wire, group_descriptions_var
from tfgen.names import session_logging

SERVICES_TYPE = """map(object({
  description = string
  port        = number
  permissions = optional(set(string), [])
  # an existing group's description (tfgen adopt): a different one would replace the group
  group_description = optional(string)
}))"""
INGRESS_TYPE = """map(object({
  target      = string
  source      = string
  port        = number
}))"""
GROUPS = 'concat(["alb", "rds"], keys(var.services))'
SESSION_LOGGING_TYPE = """object({
  region    = string
  log_group = string
  kms_alias = string
})"""


def interface(env: dict[str, Any]) -> ModuleInterface:
    return ModuleInterface(
        name="security",
        title="Security",
        description="A security group for the ALB, one per service and one for RDS (name_prefix + "
                    "create_before_destroy); every edge of the ingress graph is one rule referencing the "
                    "source group by ID (only the ALB accepts the internet, on 443 and 80); one IAM role and "
                    "instance profile per service with one least-privilege policy: Session Manager's minimum, its own "
                    "log group, agent metrics in the CWAgent namespace, and resource-scoped S3, Secrets Manager "
                    "and rds-db:connect access for the permissions a service lists.",
        variables=(
            *common_vars(env),
            wired("vpc_id", "string", "ID of the VPC the security groups belong to.", "module.networking.vpc_id"),
            wired("vpc_cidr", "string", "CIDR of the VPC; the ALB may only send traffic into it.",
                  "module.networking.vpc_cidr"),
            wired("services", SERVICES_TYPE, "Services by name: group description, port, extra IAM permissions.",
                  "local.services",
                  checks.every("name", "keys(var.services)", f'can(regex("{checks.SERVICE_NAME_RE}", name))',
                               "Service names must be 1-20 lowercase letters, digits or underscores, starting "
                               "with a letter."),
                  checks.every("s", "values(var.services)", "s.port >= 1 && s.port <= 65535",
                               "Every service port must be from 1 to 65535."),
                  checks.every("s", "values(var.services)",
                               checks.PERMISSIONS_KNOWN,
                               "Permissions must be uploads-rw, app-secrets-read, db-connect or db-secret-read."),
                  checks.every("s", "values(var.services)", 'can(regex("^[ -~]{1,255}$", s.description))',
                               "Service descriptions must be 1-255 printable ASCII characters.")),
            wired("ingress_rules", INGRESS_TYPE, "Ingress edges by key: target group <- source group on a port.",
                  "local.ingress_rules",
                  checks.every("r", "values(var.ingress_rules)", f"contains({GROUPS}, r.target)",
                               "Every ingress target must be alb, rds or a service name."),
                  checks.every("r", "values(var.ingress_rules)", f"contains({GROUPS}, r.source)",
                               "Every ingress source must be alb, rds or a service name."),
                  checks.every("r", "values(var.ingress_rules)", "r.port >= 1 && r.port <= 65535",
                               "Every ingress port must be from 1 to 65535.")),
            wired("alb_target_port", "number", "Port of the ALB's target service (the ALB's only egress).",
                  "local.services[local.lb_target_service].port", checks.between("alb_target_port", 1, 65535)),
            wired("uploads_bucket_arn", "string", "ARN of the uploads bucket (uploads-rw permission).",
                  "module.storage.uploads_bucket_arn"),
            wired("app_secret_arn", "string", "ARN of the application secret (app-secrets-read permission).",
                  "module.storage.app_secret_arn"),
            wired("db_secret_arn", "string", "ARN of the RDS-managed master user secret (db-secret-read "
                  "permission); null while an adopted database has none yet (granted on the next apply).",
                  db_secret_wire(env), nullable=True),
            wired("db_resource_id", "string", "Resource ID of the database (rds-db:connect for db-connect).",
                  "module.database.resource_id"),
            wired("log_group_arns", "map(string)", "CloudWatch log group ARN by service (the agent writes only there).",
                  "module.storage.log_group_arns"),
            var("aws_region", "string", "Region of the environment (ARNs of the scoped IAM statements).",
                env["region"]),
            var("ec2messages_channel", "bool", "Grant the ec2messages actions that SSM Agent before 3.3.40.0 uses "
                "for Run Command (true exactly when the VPC has the ec2messages endpoint).",
                "ec2messages" in env["spec"].network.interface_endpoints),
            var("session_logging", SESSION_LOGGING_TYPE, "Session Manager's log group and KMS key alias in the "
                "bootstrap root's region (the account baseline); null: sessions are not logged.",
                session_logging(env["spec"]),
                checks.unless_null("session_logging", 'can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", '
                                   "var.session_logging.region))",
                                   "session_logging.region must be an AWS region code such as us-east-1."),
                checks.unless_null("session_logging", 'can(regex("^[A-Za-z0-9_./#-]{1,512}$", '
                                   "var.session_logging.log_group))",
                                   "session_logging.log_group must be a CloudWatch log group name."),
                checks.unless_null("session_logging", 'can(regex("^alias/[A-Za-z0-9/_-]{1,250}$", '
                                   "var.session_logging.kms_alias))",
                                   "session_logging.kms_alias must be a KMS alias (alias/...)."),
                nullable=True),
            group_descriptions_var(),
        ),
        outputs=(
            *section(
                "Security groups",
                out("security_group_ids", "Security group ID by name: alb, each service, rds.", "local.group_ids",
                    export=True),
                out("alb_security_group_id", "ID of the ALB security group.", "aws_security_group.alb.id"),
                out("rds_security_group_id", "ID of the RDS security group.", "aws_security_group.rds.id"),
            ),
            *section(
                "IAM",
                # Instances launched with a profile must find its policies in place: user data reads secrets and
                # S3 on the first boot.
                out("instance_profile_names", "Instance profile name by service (available once the role's "
                    "policies are attached).",
                    "{ for name, profile in aws_iam_instance_profile.service : name => profile.name }",
                    depends_on=("aws_iam_role_policy.service",)),
                out("role_arns", "IAM role ARN by service.",
                    "{ for name, role in aws_iam_role.service : name => role.arn }", export=True),
                out("role_names", "IAM role name by service.",
                    "{ for name, role in aws_iam_role.service : name => role.name }"),
            ),
        ),
    )
