"""networking: VPC, subnets keyed by availability zone, gateways, routes, VPC endpoints, optional flow logs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tfgen.interfaces import checks
from tfgen.interfaces.base import ModuleInterface, Validation, out, section, var, wired
from tfgen.interfaces.common import common_vars, group_descriptions_var

if TYPE_CHECKING:
    from tfgen.model.views import Spec

SUBNETS_TYPE = "map(object({ public_cidr = string, private_cidr = string }))"
ENDPOINTS = ("ssm", "ssmmessages", "ec2messages")


def interface(env: dict[str, Any]) -> ModuleInterface:
    spec: Spec = env["spec"]
    net = spec.network
    return ModuleInterface(
        name="networking",
        title="Networking",
        description="VPC with DNS support; one public and one private subnet per availability zone, keyed by "
                    "the zone's name (adding, removing or reordering zones never moves another subnet); an "
                    "internet gateway, NAT gateway(s) with Elastic IPs, route tables, an S3 gateway endpoint, "
                    "interface endpoints for Session Manager, and optional VPC flow logs.",
        variables=(
            *common_vars(env),
            group_descriptions_var(),
            var("aws_region", "string", "Region, used in VPC endpoint service names.", env["region"],
                checks.REGION),
            var("vpc_cidr", "string", "IPv4 CIDR block of the VPC.", net.vpc_cidr, checks.cidr("vpc_cidr")),
            wired("subnets", SUBNETS_TYPE, "Public and private subnet CIDR by availability zone name.",
                  "local.subnets",
                  Validation("length(var.subnets) >= 2", "subnets needs at least two availability zones."),
                  checks.every("zone", "keys(var.subnets)", f'can(regex("{checks.AZ_RE}", zone))',
                               "Every key of subnets must be an availability zone name such as us-east-1a."),
                  checks.every("s", "values(var.subnets)",
                               "can(cidrhost(s.public_cidr, 0)) && can(cidrhost(s.private_cidr, 0))",
                               "Every subnet CIDR must be an IPv4 CIDR block such as 10.0.1.0/24.")),
            var("nat_gateway_per_az", "bool", "One NAT gateway per AZ instead of a single shared one.",
                net.nat_gateway == "per_az"),
            var("interface_endpoints", "set(string)", "Interface endpoint services (ssm, ssmmessages, ec2messages).",
                sorted(net.interface_endpoints),
                checks.every("name", "var.interface_endpoints",
                             "contains([" + ", ".join(f'"{e}"' for e in ENDPOINTS) + "], name)",
                             "interface_endpoints may only hold ssm, ssmmessages and ec2messages.")),
            var("enable_flow_logs", "bool", "Send VPC flow logs to CloudWatch Logs.", net.flow_logs),
            var("log_retention_days", "number", "Retention in days of every CloudWatch log group of the "
                "environment (networking: the flow-log group).", spec.logs.retention_days,
                checks.RETENTION),
        ),
        outputs=(
            *section(
                "VPC",
                out("vpc_id", "ID of the VPC.", "aws_vpc.main.id", export=True),
                out("vpc_cidr", "CIDR block of the VPC.", "aws_vpc.main.cidr_block"),
            ),
            *section(
                "Subnets",
                out("public_subnet_ids", "IDs of the public subnets, sorted by availability zone name.",
                    "[for az in local.zones : aws_subnet.public[az].id]", export=True),
                out("private_subnet_ids", "IDs of the private subnets, sorted by availability zone name.",
                    "[for az in local.zones : aws_subnet.private[az].id]", export=True),
                out("private_subnet_ids_by_az", "Private subnet ID by availability zone name.",
                    "{ for az, subnet in aws_subnet.private : az => subnet.id }"),
            ),
            *section(
                "Internet and NAT gateways",
                out("nat_gateway_public_ips", "Public IPs of the NAT gateways (egress addresses).",
                    "[for az in sort(keys(aws_eip.nat)) : aws_eip.nat[az].public_ip]", export=True),
            ),
            *section(
                "Route tables",
                out("private_route_table_ids", "Private route table ID by availability zone name.",
                    "{ for az, table in aws_route_table.private : az => table.id }"),
            ),
            *section(
                "VPC flow logs",
                out("flow_log_group_name", "CloudWatch log group of the VPC flow logs (null when disabled).",
                    "one(aws_cloudwatch_log_group.flow_logs[*].name)"),
            ),
        ),
    )
