"""route53 (optional): hosted zone, ACM validation records, alias records, optional health check + alarm."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tfgen.interfaces import checks
from tfgen.interfaces.base import ModuleInterface, ModuleVar, Validation, out, section, var, wired
from tfgen.interfaces.common import common_vars
from tfgen.interfaces.loadbalancer import health_check_path_var

if TYPE_CHECKING:
    from tfgen.model.views import Spec

VALIDATION_OPTIONS_TYPE = """set(object({
  domain_name           = string
  resource_record_name  = string
  resource_record_type  = string
  resource_record_value = string
}))"""


def domain_name_var(value: str) -> ModuleVar:
    return var("domain_name", "string", "Domain served by the ALB (the hosted zone's name).", value,
               Validation('can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\\\.)+[a-z]{2,63}$", var.domain_name))',
                          "domain_name must be a lowercase DNS name such as app.example.com."))


def subdomains_var(value: Sequence[str]) -> ModuleVar:
    return var("subdomains", "list(string)", "Subdomain labels with alias records and certificate names.",
               list(value), checks.each_matches("subdomains", "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
                                                "Every subdomain must be one lowercase DNS label."))


def interface(env: dict[str, Any]) -> ModuleInterface:
    spec: Spec = env["spec"]
    dns = spec.dns
    return ModuleInterface(
        name="route53",
        title="Route 53",
        description="Optional DNS management (only when create_hosted_zone is true): a public hosted zone for "
                    "the domain, the ACM DNS validation records, alias A records for the apex and every "
                    "subdomain pointing at the ALB, NS records delegating subdomains to zones managed elsewhere "
                    "(another environment's), and an optional HTTPS health check with a CloudWatch alarm "
                    "created in us-east-1, where Route 53 publishes health-check metrics.",
        variables=(
            *common_vars(env),
            domain_name_var(dns.domain),
            subdomains_var(dns.subdomains),
            wired("enable_health_check", "bool", "Create the HTTPS health check and its alarm.",
                  "var.create_route53_health_check"),
            health_check_path_var(spec.loadbalancer.health_check_path),
            wired("alarm_actions", "list(string)",
                  "SNS topics notified by the alarms (alarm and OK): the alert topic in us-east-1.",
                  "local.alarm_actions_us_east_1", checks.alarm_actions()),
            wired("alb_dns_name", "string", "DNS name of the ALB.", "module.loadbalancer.alb_dns_name"),
            wired("alb_zone_id", "string", "Canonical hosted zone ID of the ALB.", "module.loadbalancer.alb_zone_id"),
            var("delegations", "map(list(string))", "Subdomains delegated to zones managed elsewhere: name -> "
                "the child zone's name servers (one NS record each).",
                {k: list(v) for k, v in sorted(dns.delegations.items())},
                checks.every("name", "keys(var.delegations)", 'endswith(name, ".${var.domain_name}")',
                             "Every delegated name must be a subdomain of domain_name.")),
            wired("certificate_domain_validation_options", VALIDATION_OPTIONS_TYPE,
                  "domain_validation_options of the ACM certificate.",
                  "aws_acm_certificate.main.domain_validation_options"),
        ),
        outputs=(
            *section(
                "Hosted zone",
                out("zone_id", "ID of the hosted zone.", "aws_route53_zone.main.zone_id", export=True,
                    export_name="route53_zone_id"),
                out("name_servers", "Name servers of the hosted zone: delegate the domain to them (README).",
                    "aws_route53_zone.main.name_servers", export=True, export_name="route53_name_servers"),
            ),
            *section(
                "ACM DNS validation records",
                out("validation_record_fqdns", "FQDNs of the ACM validation records (for the certificate waiter).",
                    "[for record in aws_route53_record.certificate_validation : record.fqdn]"),
            ),
            *section(
                "Health check",
                out("health_check_id", "ID of the Route 53 health check (null when disabled).",
                    "one(aws_route53_health_check.main[*].id)", export=True, export_name="route53_health_check_id"),
            ),
        ),
        count="var.create_hosted_zone",
        providers={"us_east_1": "us_east_1"},
    )
