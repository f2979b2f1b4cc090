"""loadbalancer: internet-facing ALB with HTTPS, HTTP redirect, alarms, optional access logs and WAF."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tfgen.interfaces import checks
from tfgen.interfaces.base import ModuleInterface, ModuleVar, Validation, out, section, var, wired
from tfgen.interfaces.common import common_vars

if TYPE_CHECKING:
    from tfgen.model.views import Spec


def health_check_path_var(value: str) -> ModuleVar:
    """The health-check path input, shared with route53 (same name and declaration in both modules)."""
    return var("health_check_path", "string", "HTTP path of the target (and Route 53) health check.", value,
               Validation('can(regex("^/[ -~]*$", var.health_check_path))',
                          "health_check_path must start with / and be printable ASCII."))


def interface(env: dict[str, Any]) -> ModuleInterface:
    spec: Spec = env["spec"]
    lb = spec.loadbalancer
    return ModuleInterface(
        name="loadbalancer",
        title="Load balancer",
        description="Internet-facing Application Load Balancer in the public subnets: HTTPS listener with the "
                    "ACM certificate and a TLS 1.3 policy, HTTP listener redirecting to HTTPS, a target group for "
                    "the target service's port with health checks and cookie stickiness, CloudWatch alarms "
                    "(unhealthy hosts, no healthy host with missing data breaching, 5xx, latency), and optional "
                    "access logs (dedicated S3 bucket) and AWS WAFv2 web ACL with AWS managed rule groups.",
        variables=(
            *common_vars(env),
            var("aws_region", "string", "Region of the ALB (selects the access-log delivery principal).",
                env["region"]),
            wired("vpc_id", "string", "ID of the VPC (target group).", "module.networking.vpc_id"),
            wired("public_subnet_ids", "list(string)", "Public subnet IDs for the ALB (at least two AZs).",
                  "module.networking.public_subnet_ids"),
            wired("alb_security_group_id", "string", "Security group of the ALB.",
                  "module.security.alb_security_group_id"),
            wired("certificate_arn", "string", "ARN of the (validated) ACM certificate for the HTTPS listener.",
                  "local.certificate_arn"),
            var("lb_name_prefix", "string", "name_prefix of the ALB and target group (AWS allows 6 characters).",
                spec.loadbalancer.name_prefix or f"{spec.project.short_name}-",
                checks.matches("lb_name_prefix", "^[a-z][a-z0-9-]{0,5}$",
                               "lb_name_prefix must be 1-6 lowercase letters, digits or hyphens.")),
            wired("target_service", "string", "Name of the service the ALB forwards to.", "local.lb_target_service"),
            wired("target_port", "number", "Port of the target service.",
                  "local.services[local.lb_target_service].port", checks.between("target_port", 1, 65535)),
            wired("target_instance_ids", "map(string)", "Instance ID of every single-instance target by service "
                  "name (an Auto Scaling group registers its own instances).",
                  "{\n    for name, id in module.compute.instance_ids : name => id\n"
                  "    if name == local.lb_target_service\n  }"),
            var("alb_deletion_protection", "bool", "Refuse to delete the ALB (set false and apply before destroy).",
                lb.deletion_protection),
            var("alb_idle_timeout", "number", "ALB idle timeout in seconds.", lb.idle_timeout,
                checks.between("alb_idle_timeout", 1, 4000)),
            var("ssl_policy", "string", "TLS security policy of the HTTPS listener.", lb.ssl_policy,
                checks.matches("ssl_policy", "^ELBSecurityPolicy-(TLS13|TLS-1-2|FS-1-2)[A-Za-z0-9-]*$",
                               "ssl_policy must be a TLS 1.2+ ELBSecurityPolicy.")),
            health_check_path_var(lb.health_check_path),
            var("health_check_interval", "number", "Seconds between target health checks.",
                lb.health_check_interval, checks.between("health_check_interval", 5, 300)),
            var("stickiness_hours", "number", "Load-balancer cookie lifetime in hours; 0 disables stickiness.",
                lb.stickiness_hours, checks.between("stickiness_hours", 0, 168)),
            var("enable_access_logs", "bool", "Write ALB access logs to a dedicated S3 bucket.", lb.access_logs),
            var("enable_waf", "bool", "Attach an AWS WAFv2 web ACL with AWS managed rule groups.", lb.waf),
            var("log_retention_days", "number", "Retention of the WAF log group and of access logs, in days.",
                spec.logs.retention_days, checks.RETENTION),
            wired("alarm_actions", "list(string)",
                  "SNS topics notified by the alarms (alarm and OK): the environment's alert topic.",
                  "local.alarm_actions", checks.alarm_actions()),
        ),
        outputs=(
            *section(
                "Application Load Balancer",
                out("alb_dns_name", "DNS name of the ALB (CNAME/alias target without Route 53).",
                    "aws_lb.main.dns_name", export=True),
                out("alb_zone_id", "Canonical hosted zone ID of the ALB (for alias records).", "aws_lb.main.zone_id",
                    export=True),
                out("alb_arn", "ARN of the ALB.", "aws_lb.main.arn", export=True),
                out("alb_arn_suffix", "ARN suffix of the ALB (CloudWatch dimension).", "aws_lb.main.arn_suffix"),
            ),
            *section(
                "Target group",
                out("target_group_arn", "ARN of the target group.", "aws_lb_target_group.main.arn",
                    export=True),
                out("target_group_arn_suffix", "ARN suffix of the target group (CloudWatch dimension).",
                    "aws_lb_target_group.main.arn_suffix"),
            ),
            *section(
                "Listeners",
                out("https_listener_arn", "ARN of the HTTPS listener.", "aws_lb_listener.https.arn"),
            ),
            *section(
                "Access logs",
                out("access_logs_bucket_name", "S3 bucket with the ALB access logs (null when disabled).",
                    "one(aws_s3_bucket.access_logs[*].id)", export=True, export_name="alb_access_logs_bucket_name"),
            ),
            *section(
                "WAF",
                out("web_acl_arn", "ARN of the WAFv2 web ACL (null when disabled).",
                    "one(aws_wafv2_web_acl.main[*].arn)", export=True),
            ),
        ),
    )
